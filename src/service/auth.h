// API keys: who may call which operation.
//
// A key entry is "ro:<key>" (read-only: operations with
// OperationInfo::write == false), "rw:<key>" or a bare "<key>" (read-write:
// everything). A key is 8..256 visible ASCII characters without ',' (the
// environment form is comma-separated) and without whitespace. No entries =
// the API is open. Health is always open (load balancers probe it without
// credentials); the transports decide that, not this class.
//
// Presented keys are compared with every configured key in time that does
// not depend on where the first differing byte is, so response times do not
// reveal a key prefix by prefix.
//
// Thread-safety: immutable after Parse(); Check() is safe from any thread.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"
#include "service/operations.h"
#include "util/constant_time.h"

namespace proximadb::service {

enum class AuthOutcome {
  kAllowed,
  kUnauthenticated,   // no key, or not one of ours (401 / UNAUTHENTICATED)
  kPermissionDenied,  // read-only key, write operation (403)
};

class ApiKeys {
 public:
  ApiKeys() = default;  // open

  // Validates and parses key entries; errors name the offending entry by
  // position only (never echo a secret into logs).
  static Result<ApiKeys> Parse(const std::vector<std::string>& entries);

  bool enabled() const { return !keys_.empty(); }

  // `presented` is the key the client sent ("" when none).
  AuthOutcome Check(std::string_view presented, Operation op) const;

 private:
  struct Key {
    std::string secret;
    bool write = true;
  };
  std::vector<Key> keys_;
};

// The key a request carries: the token of "Authorization: Bearer <token>"
// (scheme case-insensitive), else the "api-key" header, else "".
std::string_view PresentedKey(std::string_view authorization,
                              std::string_view api_key);

// Equality of a and b in time depending only on their lengths
// (util/constant_time.h).
using proximadb::ConstantTimeEquals;

// The message clients get for an outcome other than kAllowed.
std::string_view AuthMessage(AuthOutcome outcome);

}  // namespace proximadb::service
