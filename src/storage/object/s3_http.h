// The HTTP layer under S3ObjectStore: one signed request with libcurl (one
// easy handle per request, so any number of threads may call at once), the
// retry classifier and the back-off, and the URI encoding S3 signs. Kept
// apart from the store so the classifier and encoder are unit-tested without
// a server.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::object::s3 {

// What every request of one store shares. `userpwd` is "ACCESS:SECRET": it
// goes to libcurl and nowhere else (never into a message or a log).
struct HttpConfig {
  std::string sigv4;  // "aws:amz:<region>:s3"
  std::string userpwd;
  long connect_timeout_ms = 0;
  long request_timeout_ms = 0;
};

struct HttpRequest {
  const char* method = "GET";        // GET HEAD PUT POST DELETE
  std::string url;                   // path and query already encoded
  std::vector<std::string> headers;  // "Name: value"
  std::string_view body;             // PUT and POST
};

// Receives a 2xx response's body instead of HttpResponse::body (GetToFile
// streams it to a file). Begin() runs before every attempt (a retry starts
// the body afresh).
class BodySink {
 public:
  virtual ~BodySink() = default;
  virtual Status Begin() = 0;
  virtual Status Write(const char* data, size_t n) = 0;
};

struct HttpResponse {
  int curl_code = 0;  // CURLcode; 0 = the exchange completed
  long status = 0;    // HTTP status, 0 without a response
  std::map<std::string, std::string> headers;  // names lower-cased
  std::string body;  // the body (an error body even with a sink), capped
  uint64_t bytes_up = 0;
  uint64_t bytes_down = 0;
  Status sink_status;  // a sink's failure (no retry: it is local)
};

// Whether an HTTP status is a success (2xx).
inline bool Is2xx(long status) { return status >= 200 && status < 300; }

// Performs one attempt. Never throws; never logs.
HttpResponse PerformOnce(const HttpConfig& config, const HttpRequest& request,
                         BodySink* sink);

// Whether a failed exchange (curl code) or an answer (HTTP status) is worth
// another attempt: timeouts, refused/reset connections, name resolution,
// truncated transfers; 5xx and 429. Other 4xx are the request's fault.
bool IsRetryableCurl(int curl_code);
bool IsRetryableHttp(long status);
// curl_easy_strerror, for messages (never contains the URL).
std::string CurlError(int curl_code);
// Milliseconds to wait before attempt `attempt` (2, 3, ...): base * 2^(n-2),
// capped at kMaxBackoffMs, then "equal jitter": a uniform pick in
// [d/2, d] from `random` (any 64-bit value).
inline constexpr uint64_t kMaxBackoffMs = 10000;
uint64_t BackoffMs(int attempt, int base_ms, uint64_t random);

// RFC 3986 percent-encoding as SigV4 wants it: A-Z a-z 0-9 - _ . ~ stay, all
// else is %XX (upper-case); '/' stays when `keep_slash` (paths), not in
// query values.
std::string UriEncode(std::string_view s, bool keep_slash);

// Once per process: curl_global_init (std::call_once).
void GlobalInit();

}  // namespace proximadb::object::s3
