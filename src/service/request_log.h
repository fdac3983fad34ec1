// Request ids and the access log, shared by the REST and gRPC transports.
//
// Every request gets an id: the client's own (`X-Request-Id` header, gRPC
// metadata `x-request-id`) when it is a safe token, otherwise a fresh one.
// The id goes back in the answer and into one access-log line per request,
// so a client's report can be matched to the server's log. Ids the client
// sends are restricted to a small character set because they are copied
// into log lines and response headers verbatim: anything else (spaces,
// quotes, control characters, over 128 bytes) is replaced, not escaped.
//
// The access line is logfmt (key=value, values with spaces quoted), through
// spdlog's default logger:
//   access request_id=4b1f.. protocol=rest operation=Search status=200
//     code=ok latency_ms=0.412 bytes_in=1043 bytes_out=388
// Successful requests log at info, client errors (4xx / invalid argument,
// not found...) at warn, server errors (5xx / internal, io_error,
// corruption) at error; failed requests add message="...".
//
// Thread-safety: everything here is safe from any thread.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "util/limits.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::service {

inline constexpr std::string_view kRequestIdHeader = "X-Request-Id";
// gRPC metadata keys are lowercase.
inline constexpr std::string_view kRequestIdMetadata = "x-request-id";
// util/limits.h (kMaxRequestIdBytes).
using ::proximadb::kMaxRequestIdBytes;
inline constexpr size_t kMaxRequestIdLength = kMaxRequestIdBytes;

// 1..128 characters of [A-Za-z0-9] and . _ - : / + = @
bool IsValidRequestId(std::string_view id);
// 32 lowercase hex characters (128 random bits).
std::string NewRequestId();
// `presented` when valid, else a new id.
std::string RequestIdOrNew(std::string_view presented);

struct AccessRecord {
  std::string_view request_id;
  std::string_view protocol;   // "rest" | "grpc"
  std::string_view operation;  // operations.h name, or "-" (unrouted)
  std::string_view method;     // REST only: "GET", ...
  std::string_view target;     // REST only: the request target
  unsigned status = 0;         // HTTP status, or the gRPC status code
  std::string_view code;       // "ok" or the error code (metrics' label)
  double latency_ms = 0;
  uint64_t bytes_in = 0;
  uint64_t bytes_out = 0;
  std::string_view message;  // error message; "" on success
  // Lines a LogLimiter dropped just before this one (suppressed=N when > 0).
  uint64_t suppressed = 0;
};

// At most one line per interval for one kind of event (e.g. gRPC requests
// that cannot be decoded), so that a client sending them in a loop cannot
// flood the log; the next line written says how many were dropped.
//
// Thread-safety: safe from any thread.
class LogLimiter {
 public:
  using Clock = std::chrono::steady_clock;
  explicit LogLimiter(Clock::duration interval = std::chrono::seconds(1))
      : interval_(interval) {}
  LogLimiter(const LogLimiter&) = delete;
  LogLimiter& operator=(const LogLimiter&) = delete;

  // True when a line may be written at `now`; then *suppressed is the
  // number of lines refused since the last one admitted.
  bool Admit(Clock::time_point now, uint64_t* suppressed);

 private:
  const Clock::duration interval_;
  Mutex mu_;
  bool started_ GUARDED_BY(mu_) = false;
  Clock::time_point last_ GUARDED_BY(mu_);
  uint64_t suppressed_ GUARDED_BY(mu_) = 0;
};

// The line (without the logger's prefix).
std::string FormatAccess(const AccessRecord& r);
// Logs it at the level its code calls for (see above).
void LogAccess(const AccessRecord& r);
// The same through `limiter` (dropped, or written with suppressed=N).
void LogAccessLimited(AccessRecord r, LogLimiter* limiter);

}  // namespace proximadb::service
