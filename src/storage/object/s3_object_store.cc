// S3ObjectStore: options, the retry loop, and the single-request operations.
// Multipart uploads are in s3_multipart.cc.
#include "storage/object/s3_object_store.h"

#include <curl/curl.h>

#include <charconv>
#include <chrono>
#include <random>
#include <thread>

#include "storage/object/object_checksum.h"
#include "storage/object/s3_xml.h"
#include "util/crc32c.h"

namespace proximadb::object {

namespace {

constexpr uint64_t kMinPartSize = 5ull << 20;  // S3's minimum (but the last)
constexpr uint64_t kMaxPartSize = 5ull << 30;
constexpr size_t kCrcChunk = 1 << 20;
constexpr const char* kCrcHeader = "x-amz-meta-pdb-crc32c";

bool HasControlChar(std::string_view s) {
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) return true;
  }
  return false;
}

std::optional<uint64_t> ParseU64(const std::string& s) {
  uint64_t v = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || s.empty()) {
    return std::nullopt;
  }
  return v;
}

// GetToFile's sink: the body straight into the file, checksummed on the way.
class FileSink final : public s3::BodySink {
 public:
  FileSink(Env* env, std::string path) : env_(env), path_(std::move(path)) {}
  Status Begin() override {
    file_.reset();
    crc_ = 0;
    size_ = 0;
    PDB_ASSIGN_OR_RETURN(file_, env_->NewWritableFile(path_));
    return Status::OK();
  }
  Status Write(const char* data, size_t n) override {
    PDB_RETURN_IF_ERROR(file_->Append(std::string_view(data, n)));
    crc_ = crc32c::Extend(crc_, data, n);
    size_ += n;
    return Status::OK();
  }
  Status Finish() {
    PDB_RETURN_IF_ERROR(file_->Sync());
    return file_->Close();
  }
  uint32_t crc() const { return crc_; }
  uint64_t size() const { return size_; }

 private:
  Env* const env_;
  const std::string path_;
  std::unique_ptr<WritableFile> file_;
  uint32_t crc_ = 0;
  uint64_t size_ = 0;
};

}  // namespace

Status S3Options::Validate() const {
  auto bad = [](const std::string& why) {
    return Status::InvalidArgument("s3 options: " + why);
  };
  std::string_view ep = endpoint;
  if (ep.substr(0, 7) == "http://") {
    ep.remove_prefix(7);
  } else if (ep.substr(0, 8) == "https://") {
    ep.remove_prefix(8);
  } else {
    return bad("endpoint must start with http:// or https:// (got \"" +
               endpoint + "\")");
  }
  if (!ep.empty() && ep.back() == '/') ep.remove_suffix(1);
  if (ep.empty() || ep.find('/') != std::string_view::npos ||
      ep.find('?') != std::string_view::npos || HasControlChar(ep)) {
    return bad("endpoint must be scheme://host[:port] with no path (got \"" +
               endpoint + "\")");
  }
  if (region.empty() || region.size() > 64) {
    return bad("region must be 1..64 characters");
  }
  for (char c : region) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '_')) {
      return bad("region may hold only a-z, 0-9, '-' and '_' (got \"" + region +
                 "\")");
    }
  }
  if (bucket.size() < 3 || bucket.size() > 63) {
    return bad("bucket must be 3..63 characters (got \"" + bucket + "\")");
  }
  for (char c : bucket) {
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
          c == '.')) {
      return bad("bucket may hold only a-z, 0-9, '-' and '.' (got \"" + bucket +
                 "\")");
    }
  }
  if (!prefix.empty()) {
    std::string p = prefix;
    if (p.back() == '/') p.pop_back();
    Status s = ValidateKey(p);
    if (!s.ok()) return bad("prefix: " + s.message());
  }
  if (access_key.empty()) return bad("access_key is empty");
  if (access_key.find(':') != std::string::npos || HasControlChar(access_key)) {
    return bad("access_key holds ':' or a control character");
  }
  if (secret_key.empty()) return bad("secret_key is empty");
  if (HasControlChar(secret_key)) {
    return bad("secret_key holds a control character");
  }
  if (connect_timeout_ms <= 0) return bad("connect_timeout_ms must be > 0");
  if (request_timeout_ms <= 0) return bad("request_timeout_ms must be > 0");
  if (max_attempts < 1 || max_attempts > 20) {
    return bad("max_attempts must be 1..20 (got " +
               std::to_string(max_attempts) + ")");
  }
  if (base_backoff_ms < 0 || base_backoff_ms > 60000) {
    return bad("base_backoff_ms must be 0..60000");
  }
  if (part_size < kMinPartSize || part_size > kMaxPartSize) {
    return bad("part_size must be 5 MiB (S3's smallest part) .. 5 GiB (got " +
               std::to_string(part_size) + ")");
  }
  if (upload_concurrency < 1 || upload_concurrency > 64) {
    return bad("upload_concurrency must be 1..64 (got " +
               std::to_string(upload_concurrency) + ")");
  }
  return Status::OK();
}

Result<std::unique_ptr<S3ObjectStore>> S3ObjectStore::Open(S3Options options,
                                                           Env* env) {
  PDB_RETURN_IF_ERROR(options.Validate());
  while (options.endpoint.back() == '/') options.endpoint.pop_back();
  s3::GlobalInit();
  return std::unique_ptr<S3ObjectStore>(
      new S3ObjectStore(std::move(options), env));
}

S3ObjectStore::S3ObjectStore(S3Options options, Env* env)
    : options_(std::move(options)),
      env_(env),
      http_{"aws:amz:" + options_.region + ":s3",
            options_.access_key + ":" + options_.secret_key,
            options_.connect_timeout_ms, options_.request_timeout_ms},
      describe_("s3://" + options_.bucket + "/" + options_.prefix + " at " +
                options_.endpoint) {}

S3Stats S3ObjectStore::stats() const {
  S3Stats s;
  s.requests = requests_.load();
  s.retries = retries_.load();
  s.failures = failures_.load();
  s.bytes_up = bytes_up_.load();
  s.bytes_down = bytes_down_.load();
  return s;
}

std::string S3ObjectStore::ObjectUrl(const std::string& key) const {
  return options_.endpoint + "/" + options_.bucket + "/" +
         s3::UriEncode(options_.prefix + key, /*keep_slash=*/true);
}

Result<s3::HttpResponse> S3ObjectStore::Call(const s3::HttpRequest& request,
                                             const char* op,
                                             const std::string& key,
                                             s3::BodySink* sink) {
  const std::string what =
      std::string(op) + (key.empty() ? "" : " '" + key + "'");
  thread_local std::mt19937_64 rng{std::random_device{}()};
  s3::HttpResponse last;
  const int attempts = options_.max_attempts;
  for (int attempt = 1; attempt <= attempts; attempt++) {
    if (attempt > 1) {
      retries_.fetch_add(1);
      std::this_thread::sleep_for(std::chrono::milliseconds(
          s3::BackoffMs(attempt, options_.base_backoff_ms, rng())));
    }
    if (sink != nullptr) {
      Status s = sink->Begin();
      if (!s.ok()) {
        failures_.fetch_add(1);
        return s;
      }
    }
    requests_.fetch_add(1);
    last = s3::PerformOnce(http_, request, sink);
    bytes_up_.fetch_add(last.bytes_up);
    bytes_down_.fetch_add(last.bytes_down);
    if (!last.sink_status.ok()) {  // a local write failed: not the network
      failures_.fetch_add(1);
      return last.sink_status;
    }
    if (last.curl_code != CURLE_OK) {
      if (s3::IsRetryableCurl(last.curl_code)) continue;
      failures_.fetch_add(1);
      return Status::Unavailable(describe_ + ": " + what + " failed (" +
                                 s3::CurlError(last.curl_code) + ")");
    }
    if (s3::IsRetryableHttp(last.status)) continue;
    return last;
  }
  failures_.fetch_add(1);
  std::string after = " after " + std::to_string(attempts) + " attempts";
  if (last.curl_code == CURLE_PARTIAL_FILE) {
    return Status::Corruption(describe_ + ": " + what +
                              ": body shorter than its Content-Length" + after);
  }
  if (last.curl_code != CURLE_OK) {
    return Status::Unavailable(describe_ + ": " + what + ": s3 unreachable" +
                               after + " (" + s3::CurlError(last.curl_code) +
                               ")");
  }
  return Status::Unavailable(describe_ + ": " + what + ": HTTP " +
                             std::to_string(last.status) + after);
}

Status S3ObjectStore::Refused(const s3::HttpResponse& r, const char* op,
                              const std::string& key) {
  if (r.status == 404) {
    return Status::NotFound(describe_ + ": no object '" + key + "'");
  }
  failures_.fetch_add(1);
  std::string code = s3::ParseErrorCode(r.body);
  // No key here: a refusal is about the request or the credentials.
  return Status::FailedPrecondition(describe_ + ": " + op + " refused: HTTP " +
                                    std::to_string(r.status) +
                                    (code.empty() ? "" : " (" + code + ")"));
}

Status S3ObjectStore::VerifyBody(const std::string& key,
                                 const s3::HttpResponse& r, uint64_t got_size,
                                 uint32_t got_crc) {
  auto crc_it = r.headers.find(kCrcHeader);
  if (crc_it == r.headers.end()) {
    return Status::Corruption(describe_ + ": object '" + key + "' has no " +
                              kCrcHeader + " checksum");
  }
  std::optional<uint32_t> want_crc = CrcFromHex(crc_it->second);
  if (!want_crc) {
    return Status::Corruption(describe_ + ": object '" + key + "': bad " +
                              kCrcHeader + " value");
  }
  uint64_t want_size = got_size;
  auto len_it = r.headers.find("content-length");
  if (len_it != r.headers.end()) {
    std::optional<uint64_t> len = ParseU64(len_it->second);
    if (!len) {
      return Status::Corruption(describe_ + ": object '" + key +
                                "': bad Content-Length");
    }
    want_size = *len;
  }
  return VerifyObject(describe_, key, got_size, got_crc, want_size, *want_crc);
}

Status S3ObjectStore::PutSingle(const std::string& key, std::string_view data,
                                uint32_t crc) {
  s3::HttpRequest req;
  req.method = "PUT";
  req.url = ObjectUrl(key);
  req.headers = {std::string(kCrcHeader) + ": " + CrcToHex(crc),
                 "Content-Type: application/octet-stream"};
  req.body = data;
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r, Call(req, "PUT", key));
  if (!s3::Is2xx(r.status)) return Refused(r, "PUT", key);
  return Status::OK();
}

Status S3ObjectStore::Put(const std::string& key, std::string_view data) {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  uint32_t crc = crc32c::Value(data.data(), data.size());
  if (data.size() < options_.part_size) return PutSingle(key, data, crc);
  return PutMultipart(key, data.size(), crc,
                      [data](uint64_t offset, size_t n,
                             std::string*) -> Result<std::string_view> {
                        return data.substr(offset, n);
                      });
}

Status S3ObjectStore::PutFile(const std::string& key, const std::string& path) {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  PDB_ASSIGN_OR_RETURN(std::unique_ptr<RandomAccessFile> file,
                       env_->NewRandomAccessFile(path));
  const uint64_t size = file->Size();
  // Reads [offset, offset + n) exactly (RandomAccessFile::Read is safe for
  // concurrent readers: parts are read by the upload threads).
  PartSource source = [&](uint64_t offset, size_t n,
                          std::string* scratch) -> Result<std::string_view> {
    scratch->resize(n);
    std::string_view got;
    PDB_RETURN_IF_ERROR(file->Read(offset, n, scratch->data(), &got));
    if (got.size() != n) {
      return Status::IOError("read " + path + ": file shrank during upload");
    }
    return got;
  };
  // First pass: the checksum, which the first request must carry.
  uint32_t crc = 0;
  std::string scratch;
  for (uint64_t off = 0; off < size; off += kCrcChunk) {
    size_t n = static_cast<size_t>(std::min<uint64_t>(kCrcChunk, size - off));
    PDB_ASSIGN_OR_RETURN(std::string_view chunk, source(off, n, &scratch));
    crc = crc32c::Extend(crc, chunk.data(), chunk.size());
  }
  if (size < options_.part_size) {
    PDB_ASSIGN_OR_RETURN(std::string_view all,
                         source(0, static_cast<size_t>(size), &scratch));
    if (crc32c::Value(all.data(), all.size()) != crc) {
      return Status::IOError("read " + path + ": file changed during upload");
    }
    return PutSingle(key, all, crc);
  }
  return PutMultipart(key, size, crc, source);
}

Result<std::string> S3ObjectStore::Get(const std::string& key) {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  s3::HttpRequest req;
  req.url = ObjectUrl(key);
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r, Call(req, "GET", key));
  if (!s3::Is2xx(r.status)) return Refused(r, "GET", key);
  Status s = VerifyBody(key, r, r.body.size(),
                        crc32c::Value(r.body.data(), r.body.size()));
  if (!s.ok()) {
    failures_.fetch_add(1);
    return s;
  }
  return std::move(r.body);
}

Result<ObjectInfo> S3ObjectStore::GetToFile(const std::string& key,
                                            const std::string& path) {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  s3::HttpRequest req;
  req.url = ObjectUrl(key);
  FileSink sink(env_, path);
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r, Call(req, "GET", key, &sink));
  if (!s3::Is2xx(r.status)) return Refused(r, "GET", key);
  Status s = VerifyBody(key, r, sink.size(), sink.crc());
  if (!s.ok()) {
    failures_.fetch_add(1);
    return s;
  }
  PDB_RETURN_IF_ERROR(sink.Finish());
  return ObjectInfo{key, sink.size(), sink.crc()};
}

Result<std::string> S3ObjectStore::GetRange(const std::string& key,
                                            uint64_t offset, uint64_t length) {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  if (length == 0) {
    PDB_RETURN_IF_ERROR(Head(key).status());  // still kNotFound when absent
    return std::string();
  }
  uint64_t last =
      length > UINT64_MAX - offset ? UINT64_MAX - 1 : offset + length - 1;
  s3::HttpRequest req;
  req.url = ObjectUrl(key);
  req.headers = {"Range: bytes=" + std::to_string(offset) + "-" +
                 std::to_string(last)};
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r, Call(req, "GET range", key));
  if (r.status == 206) return std::move(r.body);
  if (r.status == 416) return std::string();  // starts at or past the end
  if (r.status == 200) {  // the whole object: the server ignored the range
    if (offset >= r.body.size()) return std::string();
    return r.body.substr(offset, length);
  }
  return Refused(r, "GET range", key);
}

Result<ObjectInfo> S3ObjectStore::Head(const std::string& key) {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  s3::HttpRequest req;
  req.method = "HEAD";
  req.url = ObjectUrl(key);
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r, Call(req, "HEAD", key));
  if (!s3::Is2xx(r.status)) return Refused(r, "HEAD", key);
  ObjectInfo info;
  info.key = key;
  auto len = r.headers.find("content-length");
  std::optional<uint64_t> size =
      len == r.headers.end() ? std::nullopt : ParseU64(len->second);
  if (!size) {
    return Status::Corruption(describe_ + ": HEAD '" + key +
                              "': no Content-Length");
  }
  info.size = *size;
  auto crc = r.headers.find(kCrcHeader);
  if (crc != r.headers.end()) info.crc32c = CrcFromHex(crc->second).value_or(0);
  return info;
}

Result<ListPage> S3ObjectStore::List(const std::string& prefix,
                                     const std::string& token,
                                     size_t max_keys) {
  if (max_keys == 0 || max_keys > 1000) {
    return Status::InvalidArgument(describe_ +
                                   ": list max_keys must be 1..1000");
  }
  if (HasControlChar(prefix)) {
    return Status::InvalidArgument(describe_ +
                                   ": list prefix holds a control character");
  }
  // Parameters in sorted order, values encoded: what SigV4 signs (curl
  // 7.88 signs the query as written).
  std::string query;
  if (!token.empty()) {
    query += "continuation-token=" + s3::UriEncode(token, false) + "&";
  }
  query += "list-type=2&max-keys=" + std::to_string(max_keys);
  std::string full_prefix = options_.prefix + prefix;
  if (!full_prefix.empty()) {
    query += "&prefix=" + s3::UriEncode(full_prefix, false);
  }
  s3::HttpRequest req;
  req.url = options_.endpoint + "/" + options_.bucket + "?" + query;
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r, Call(req, "LIST", ""));
  if (r.status == 404) {
    failures_.fetch_add(1);
    return Status::FailedPrecondition(describe_ +
                                      ": LIST refused: HTTP 404 (no bucket)");
  }
  if (!s3::Is2xx(r.status)) return Refused(r, "LIST", "");
  PDB_ASSIGN_OR_RETURN(s3::ListResult listed, s3::ParseListObjectsV2(r.body));
  ListPage page;
  for (auto& o : listed.objects) {
    if (o.key.compare(0, options_.prefix.size(), options_.prefix) != 0) {
      return Status::Corruption(describe_ +
                                ": list returned a key outside the prefix");
    }
    page.objects.push_back(
        ObjectInfo{o.key.substr(options_.prefix.size()), o.size, 0});
  }
  if (listed.is_truncated) page.next_token = std::move(listed.next_token);
  return page;
}

Status S3ObjectStore::Delete(const std::string& key) {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  s3::HttpRequest req;
  req.method = "DELETE";
  req.url = ObjectUrl(key);
  PDB_ASSIGN_OR_RETURN(s3::HttpResponse r, Call(req, "DELETE", key));
  if (s3::Is2xx(r.status) || r.status == 404) return Status::OK();
  return Refused(r, "DELETE", key);
}

}  // namespace proximadb::object
