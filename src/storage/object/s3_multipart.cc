// S3ObjectStore's multipart uploads: initiate (carrying the checksum),
// parts uploaded by up to upload_concurrency threads, complete; abort on any
// failure so no half-uploaded parts linger and the key keeps its old object.
#include <algorithm>
#include <atomic>
#include <system_error>
#include <thread>
#include <vector>

#include "storage/object/object_checksum.h"
#include "storage/object/s3_object_store.h"
#include "storage/object/s3_xml.h"
#include "util/markup_escape.h"
#include "util/mutex.h"

namespace proximadb::object {

namespace {

constexpr uint64_t kMaxParts = 10000;  // S3's limit

}  // namespace

bool S3ObjectStore::Completed(const std::string& key, uint64_t size,
                              uint32_t crc) {
  auto head = Head(key);
  return head.ok() && head->size == size && head->crc32c == crc;
}

Status S3ObjectStore::PutMultipart(const std::string& key, uint64_t size,
                                   uint32_t crc, const PartSource& source) {
  if ((size + options_.part_size - 1) / options_.part_size > kMaxParts) {
    return Status::InvalidArgument(
        describe_ + ": object '" + key + "' of " + std::to_string(size) +
        " bytes needs more than 10000 parts of part_size");
  }
  s3::HttpRequest init;
  init.method = "POST";
  init.url = ObjectUrl(key) + "?uploads=";
  init.headers = {"x-amz-meta-pdb-crc32c: " + CrcToHex(crc),
                  "Content-Type: application/octet-stream"};
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r,
                       Call(init, "multipart initiate", key));
  if (!s3::Is2xx(r.status)) return Refused(r, "multipart initiate", key);
  auto upload_id = s3::ParseUploadId(r.body);
  if (!upload_id.ok()) {
    failures_.fetch_add(1);
    return upload_id.status();
  }
  const std::string id_query = "uploadId=" + s3::UriEncode(*upload_id, false);

  Status s;
  auto etags = UploadParts(key, *upload_id, size, source);
  if (!etags.ok()) {
    s = etags.status();
  } else {
    std::string xml = "<CompleteMultipartUpload>";
    for (size_t i = 0; i < etags->size(); i++) {
      xml += "<Part><PartNumber>" + std::to_string(i + 1) +
             "</PartNumber><ETag>" + MarkupEscape((*etags)[i]) +
             "</ETag></Part>";
    }
    xml += "</CompleteMultipartUpload>";
    s3::HttpRequest done;
    done.method = "POST";
    done.url = ObjectUrl(key) + "?" + id_query;
    done.headers = {"Content-Type: application/xml"};
    done.body = xml;
    auto c = Call(done, "multipart complete", key);
    if (!c.ok()) {
      s = c.status();
    } else if (c->status == 404 && Completed(key, size, crc)) {
      // A retried complete whose first try did complete (its answer was
      // lost): the upload is gone and the object is ours.
      return Status::OK();
    } else if (!s3::Is2xx(c->status)) {
      s = Refused(*c, "multipart complete", key);
    } else if (std::string code = s3::ParseErrorCode(c->body); !code.empty()) {
      // S3 may answer 200 and report the failure in the body.
      failures_.fetch_add(1);
      s = Status::Unavailable(describe_ + ": multipart complete '" + key +
                              "' failed (" + code + ")");
    } else {
      return Status::OK();
    }
  }
  // Best effort: a leftover upload costs storage, not correctness.
  s3::HttpRequest abort;
  abort.method = "DELETE";
  abort.url = ObjectUrl(key) + "?" + id_query;
  (void)Call(abort, "multipart abort", key);
  return s;
}

Result<std::vector<std::string>> S3ObjectStore::UploadParts(
    const std::string& key, const std::string& upload_id, uint64_t size,
    const PartSource& source) {
  const uint64_t part_size = options_.part_size;
  const uint64_t parts = (size + part_size - 1) / part_size;
  const std::string url = ObjectUrl(key);
  const std::string id = s3::UriEncode(upload_id, false);
  std::vector<std::string> etags(parts);
  std::atomic<uint64_t> next{0};
  std::atomic<bool> stop{false};
  Mutex mu;
  Status first_error;  // guarded by mu

  auto fail = [&](Status s) {
    MutexLock l(&mu);
    if (first_error.ok()) first_error = std::move(s);
    stop.store(true);
  };
  auto worker = [&] {
    std::string scratch;
    while (!stop.load()) {
      uint64_t i = next.fetch_add(1);
      if (i >= parts) return;
      uint64_t offset = i * part_size;
      size_t n = static_cast<size_t>(std::min(part_size, size - offset));
      auto body = source(offset, n, &scratch);
      if (!body.ok()) return fail(body.status());
      s3::HttpRequest req;
      req.method = "PUT";
      // Sorted: partNumber < uploadId.
      req.url =
          url + "?partNumber=" + std::to_string(i + 1) + "&uploadId=" + id;
      req.body = *body;
      auto r = Call(req, "multipart part", key);
      if (!r.ok()) return fail(r.status());
      if (!s3::Is2xx(r->status))
        return fail(Refused(*r, "multipart part", key));
      auto etag = r->headers.find("etag");
      if (etag == r->headers.end() || etag->second.empty()) {
        return fail(Status::Corruption(describe_ + ": multipart part of '" +
                                       key + "' answered without an ETag"));
      }
      etags[i] = etag->second;
    }
  };

  size_t want = static_cast<size_t>(std::min<uint64_t>(
      parts, static_cast<uint64_t>(options_.upload_concurrency)));
  std::vector<std::thread> threads;
  for (size_t t = 1; t < want; t++) {
    try {
      threads.emplace_back(worker);
    } catch (const std::system_error&) {
      break;  // fewer threads: the parts still all get uploaded
    }
  }
  worker();
  for (auto& t : threads) t.join();
  MutexLock l(&mu);
  if (!first_error.ok()) return first_error;
  return etags;
}

}  // namespace proximadb::object
