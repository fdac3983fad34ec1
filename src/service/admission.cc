#include "service/admission.h"

namespace proximadb::service {

namespace {

// Steps 1-3: the health bypass, the key and the permission.
std::optional<Refusal> CheckKey(const AdmissionGates& gates, Operation op,
                                std::string_view presented_key) {
  if (op == Operation::kHealth || gates.api_keys == nullptr) {
    return std::nullopt;
  }
  const AuthOutcome a = gates.api_keys->Check(presented_key, op);
  if (a == AuthOutcome::kAllowed) return std::nullopt;
  const bool unauth = a == AuthOutcome::kUnauthenticated;
  return Refusal{unauth ? Refusal::Kind::kUnauthenticated
                        : Refusal::Kind::kPermissionDenied,
                 std::string(AuthMessage(a)),
                 unauth ? kCodeUnauthenticated : kCodePermissionDenied};
}

RejectReason ReasonOf(Refusal::Kind kind) {
  switch (kind) {
    case Refusal::Kind::kUnauthenticated:
      return RejectReason::kUnauthenticated;
    case Refusal::Kind::kPermissionDenied:
      return RejectReason::kForbidden;
    case Refusal::Kind::kOverloaded:
      break;
  }
  return RejectReason::kOverloaded;
}

}  // namespace

Admission::Admission(const AdmissionGates& gates, Protocol protocol,
                     Operation op, std::string_view presented_key)
    : refusal_(CheckKey(gates, op, presented_key)),
      // Step 4: a slot only for an authorised request other than health.
      slot_(!refusal_ && op != Operation::kHealth ? gates.inflight : nullptr) {
  if (!slot_.acquired()) {
    refusal_ =
        Refusal{Refusal::Kind::kOverloaded,
                "too many requests in flight (limit " +
                    std::to_string(gates.inflight->max()) + "); retry shortly",
                CodeIndex(StatusCode::kUnavailable)};
  }
  // Step 5.
  if (refusal_ && gates.metrics != nullptr) {
    gates.metrics->Reject(protocol, ReasonOf(refusal_->kind));
  }
}

void RecordLatency(Metrics* metrics, Protocol protocol, Operation op,
                   size_t code, std::chrono::steady_clock::time_point start) {
  if (metrics == nullptr) return;
  metrics->Record(protocol, op, code,
                  std::chrono::duration_cast<std::chrono::nanoseconds>(
                      std::chrono::steady_clock::now() - start));
}

}  // namespace proximadb::service
