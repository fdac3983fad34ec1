// The admission chain: what every request passes between its transport and
// the service, written once for REST (api/rest/router.cc) and gRPC
// (api/grpc/grpc_service.cc). In order:
//
//   1. health bypass: Operation::kHealth is always open and never refused
//      for load (liveness probes must get through);
//   2. API key (service/auth.h): no valid key -> unauthenticated (REST 401 +
//      WWW-Authenticate, gRPC UNAUTHENTICATED);
//   3. permission: a read-only key calling a write operation
//      (operations.h `write`) -> permission_denied (403 / PERMISSION_DENIED);
//   4. a slot of the in-flight bound (inflight_limit.h), held while the
//      handler runs -> unavailable (503 + Retry-After: 1 / UNAVAILABLE);
//   5. the rejection metric for 2-4 (Metrics::Reject);
//   6. the handler, with any exception turned into an internal error
//      ("unexpected error: ...") - nothing thrown crosses a transport;
//   7. the latency metric with the result's code (Metrics::Record).
//
// The transport supplies only the shape of its answer: how a refusal and an
// internal error look, and the metrics code of an answer.
//
// Thread-safety: stateless; the gates it is given are thread-safe.
#pragma once

#include <chrono>
#include <cstddef>
#include <exception>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "proximadb/status.h"
#include "service/auth.h"
#include "service/inflight_limit.h"
#include "service/metrics.h"
#include "service/operations.h"

namespace proximadb::service {

// The gates (null = off), shared by both transports.
struct AdmissionGates {
  const ApiKeys* api_keys = nullptr;
  InflightLimit* inflight = nullptr;
  Metrics* metrics = nullptr;
};

// Why a request was refused before its handler ran.
struct Refusal {
  enum class Kind { kUnauthenticated, kPermissionDenied, kOverloaded };
  Kind kind;
  std::string message;  // the same text on both transports
  size_t code;          // the metrics' code label (kCode* / CodeIndex())
};

// Steps 1-5 for one request: holds the in-flight slot (when one was taken)
// for its lifetime. `presented_key` is service::PresentedKey() of the
// request.
class Admission {
 public:
  Admission(const AdmissionGates& gates, Protocol protocol, Operation op,
            std::string_view presented_key);
  Admission(const Admission&) = delete;
  Admission& operator=(const Admission&) = delete;

  // nullopt: admitted.
  const std::optional<Refusal>& refusal() const { return refusal_; }

 private:
  std::optional<Refusal> refusal_;  // before slot_: it decides the slot
  InflightLimit::Slot slot_;
};

// Step 6 on its own: runs `fn` (returning R) and passes an exception to
// `failed` (Status -> R) as Status::Internal("unexpected error: ...").
template <typename Fn, typename Failed>
auto CatchAll(Fn&& fn, Failed&& failed) -> decltype(fn()) {
  try {
    return fn();
  } catch (const std::exception& e) {
    return failed(
        Status::Internal(std::string("unexpected error: ") + e.what()));
  } catch (...) {
    return failed(Status::Internal("unexpected error"));
  }
}

// Records one finished request (step 7) when `metrics` is set.
void RecordLatency(Metrics* metrics, Protocol protocol, Operation op,
                   size_t code, std::chrono::steady_clock::time_point start);

// The whole chain for one request of operation `op`:
//   handler()            -> R, the transport's answer;
//   refused(Refusal)     -> R, a refusal in the transport's shape;
//   failed(Status)       -> R, an internal error in the transport's shape;
//   code_of(const R&)    -> size_t, the answer's metrics code.
// `start` is when the transport began the request (latency includes
// decoding and routing).
template <typename Handler, typename Refused, typename Failed, typename CodeOf>
auto Admit(const AdmissionGates& gates, Protocol protocol, Operation op,
           std::string_view presented_key,
           std::chrono::steady_clock::time_point start, Handler&& handler,
           Refused&& refused, Failed&& failed, CodeOf&& code_of)
    -> decltype(handler()) {
  using R = decltype(handler());
  R answer = [&]() -> R {
    Admission admission(gates, protocol, op, presented_key);
    if (admission.refusal()) return refused(*admission.refusal());
    return CatchAll(handler, failed);
  }();
  RecordLatency(gates.metrics, protocol, op, code_of(answer), start);
  return answer;
}

}  // namespace proximadb::service
