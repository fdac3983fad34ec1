// S3ObjectStore: the ObjectStore on an S3 bucket (AWS, or any S3 server:
// the tests use Ceph radosgw), with libcurl's built-in SigV4 signing.
//
// Requests: path-style URLs <endpoint>/<bucket>/<prefix><key> (key bytes
// percent-encoded except '/'), `x-amz-content-sha256: UNSIGNED-PAYLOAD`
// (the body is not hashed; TLS protects it on the wire, the CRC32C below
// checks it end to end), query parameters pre-encoded and in sorted order
// (curl 7.88 signs the query string as given).
//
// Checksum: Put/PutFile send the object's CRC32C as user metadata
// `x-amz-meta-pdb-crc32c: <8 lower-case hex digits>` (on the PUT, or on the
// multipart initiate); Head reads it back (0 when an object has none); Get
// and GetToFile check the body against it and against Content-Length: a
// short body, a mismatch or a missing checksum is kCorruption.
//
// Large objects: a body of at least part_size bytes is uploaded as a
// multipart upload (initiate, parts of part_size, complete; aborted on
// failure, so the key keeps its old object). PutFile streams the file: it
// reads it once for the CRC, then each part from disk as that part is sent,
// up to upload_concurrency parts at a time (so memory is at most
// part_size * upload_concurrency). Put's multipart parts go the same way.
//
// Retries: a request that fails with a timeout, a refused or reset
// connection, a truncated body, HTTP 5xx or 429 is tried again, at most
// max_attempts times in all, with jittered exponential back-off
// (s3_http.h: BackoffMs). Other 4xx answers are not retried: 404 is
// kNotFound, the rest kFailedPrecondition naming the store and the HTTP
// status (and S3's error code), never the key. After the last attempt:
// kUnavailable ("... unreachable after N attempts (...)" or "... HTTP 503
// after N attempts"); a body still cut short is kCorruption.
//
// No message, log or Describe() ever holds the access or secret key.
// Thread-safe: every request has its own curl handle; counters are atomic.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "proximadb/env.h"
#include "storage/object/object_store.h"
#include "storage/object/s3_http.h"

namespace proximadb::object {

struct S3Options {
  // "http://127.0.0.1:7480" or "https://s3.eu-west-1.amazonaws.com":
  // scheme, host, optional port, no path. Required.
  std::string endpoint;
  std::string region = "us-east-1";  // the SigV4 signing region
  std::string bucket;                // required; must exist
  // Put before every key ("pdb/prod/"); "" (the default) is the bucket's
  // root. Same rules as a key, but may (and usually does) end with '/'.
  std::string prefix;
  std::string access_key;          // required
  std::string secret_key;          // required; never logged
  int connect_timeout_ms = 5000;   // TCP (+TLS) connect, per attempt
  int request_timeout_ms = 60000;  // one whole request, per attempt
  int max_attempts = 4;            // tries per request, first included
  int base_backoff_ms = 100;       // wait before the 2nd try; doubles after
  // Multipart threshold and part size: 5 MiB (S3's minimum part) .. 5 GiB.
  uint64_t part_size = 8ull << 20;
  int upload_concurrency = 4;  // parts in flight per Put/PutFile, 1..64

  // kInvalidArgument naming the first bad field (never a key's value).
  Status Validate() const;
};

// Counters since the store was opened, for /metrics.
struct S3Stats {
  uint64_t requests = 0;    // HTTP attempts made
  uint64_t retries = 0;     // attempts after a retryable failure
  uint64_t failures = 0;    // requests that ended in an error (404 aside)
  uint64_t bytes_up = 0;    // request bodies sent
  uint64_t bytes_down = 0;  // response bodies received
};

class S3ObjectStore final : public ObjectStore {
 public:
  // Validates `options` (no request is made: the bucket is first touched by
  // the first call). `env` (for PutFile/GetToFile) must outlive the store.
  static Result<std::unique_ptr<S3ObjectStore>> Open(S3Options options,
                                                     Env* env = Env::Default());

  std::string Describe() const override { return describe_; }
  Status Put(const std::string& key, std::string_view data) override;
  Status PutFile(const std::string& key, const std::string& path) override;
  Result<std::string> Get(const std::string& key) override;
  Result<ObjectInfo> GetToFile(const std::string& key,
                               const std::string& path) override;
  Result<std::string> GetRange(const std::string& key, uint64_t offset,
                               uint64_t length) override;
  Result<ObjectInfo> Head(const std::string& key) override;
  Result<ListPage> List(const std::string& prefix, const std::string& token,
                        size_t max_keys) override;
  Status Delete(const std::string& key) override;

  uint64_t retries() const override { return stats().retries; }
  S3Stats stats() const;
  const S3Options& options() const { return options_; }

 private:
  S3ObjectStore(S3Options options, Env* env);

  // Reads part bytes [offset, offset + n) into a view (of `scratch` or of
  // the caller's memory).
  using PartSource = std::function<Result<std::string_view>(
      uint64_t offset, size_t n, std::string* scratch)>;

  std::string ObjectUrl(const std::string& key) const;
  // Runs `request` with the retry policy; the response of a completed
  // exchange (any HTTP status that is not retried), else the error, named
  // by `op` and `key` ("" for none).
  Result<s3::HttpResponse> Call(const s3::HttpRequest& request, const char* op,
                                const std::string& key,
                                s3::BodySink* sink = nullptr);
  // The Status of a final non-2xx answer (404 included: kNotFound).
  Status Refused(const s3::HttpResponse& r, const char* op,
                 const std::string& key);
  Status PutSingle(const std::string& key, std::string_view data, uint32_t crc);
  Status PutMultipart(const std::string& key, uint64_t size, uint32_t crc,
                      const PartSource& source);
  // Whether `key` now holds an object of this size and checksum.
  bool Completed(const std::string& key, uint64_t size, uint32_t crc);
  Result<std::vector<std::string>> UploadParts(const std::string& key,
                                               const std::string& upload_id,
                                               uint64_t size,
                                               const PartSource& source);
  Status VerifyBody(const std::string& key, const s3::HttpResponse& r,
                    uint64_t got_size, uint32_t got_crc);

  const S3Options options_;
  Env* const env_;
  const s3::HttpConfig http_;
  const std::string describe_;
  std::atomic<uint64_t> requests_{0};
  std::atomic<uint64_t> retries_{0};
  std::atomic<uint64_t> failures_{0};
  std::atomic<uint64_t> bytes_up_{0};
  std::atomic<uint64_t> bytes_down_{0};
};

}  // namespace proximadb::object
