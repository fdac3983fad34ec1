#include "service/auth.h"

#include <algorithm>
#include <cctype>

#include "util/limits.h"

namespace proximadb::service {

namespace {

bool ValidKeyChar(char c) { return c > 0x20 && c < 0x7f && c != ','; }

}  // namespace

Result<ApiKeys> ApiKeys::Parse(const std::vector<std::string>& entries) {
  ApiKeys out;
  for (size_t i = 0; i < entries.size(); ++i) {
    std::string_view e = entries[i];
    Key key;
    if (e.starts_with("ro:")) {
      key.write = false;
      e.remove_prefix(3);
    } else if (e.starts_with("rw:")) {
      e.remove_prefix(3);
    }
    const std::string where = "api key #" + std::to_string(i + 1);
    if (e.size() < kMinApiKeyBytes || e.size() > kMaxApiKeyBytes) {
      return Status::InvalidArgument(
          where + " must be " + std::to_string(kMinApiKeyBytes) + ".." +
          std::to_string(kMaxApiKeyBytes) + " characters long");
    }
    if (!std::all_of(e.begin(), e.end(), ValidKeyChar)) {
      return Status::InvalidArgument(
          where + " may only hold visible ASCII characters other than ','");
    }
    key.secret = std::string(e);
    out.keys_.push_back(std::move(key));
  }
  return out;
}

AuthOutcome ApiKeys::Check(std::string_view presented, Operation op) const {
  if (keys_.empty()) return AuthOutcome::kAllowed;
  // Every key is compared (no early exit), so the time taken does not say
  // which key, if any, matched.
  bool found = false;
  bool may_write = false;
  for (const Key& k : keys_) {
    bool eq = ConstantTimeEquals(presented, k.secret);
    found |= eq;
    may_write |= eq && k.write;
  }
  if (presented.empty() || !found) return AuthOutcome::kUnauthenticated;
  if (IsWrite(op) && !may_write) return AuthOutcome::kPermissionDenied;
  return AuthOutcome::kAllowed;
}

std::string_view PresentedKey(std::string_view authorization,
                              std::string_view api_key) {
  constexpr std::string_view kBearer = "bearer ";
  if (authorization.size() > kBearer.size()) {
    bool is_bearer = true;
    for (size_t i = 0; i < kBearer.size(); ++i) {
      is_bearer &= std::tolower(static_cast<unsigned char>(authorization[i])) ==
                   kBearer[i];
    }
    if (is_bearer) {
      std::string_view token = authorization.substr(kBearer.size());
      while (!token.empty() && token.front() == ' ') token.remove_prefix(1);
      while (!token.empty() && token.back() == ' ') token.remove_suffix(1);
      return token;
    }
  }
  return api_key;
}

std::string_view AuthMessage(AuthOutcome outcome) {
  switch (outcome) {
    case AuthOutcome::kAllowed:
      return "";
    case AuthOutcome::kUnauthenticated:
      return "a valid API key is required (Authorization: Bearer <key> or "
             "api-key: <key>)";
    case AuthOutcome::kPermissionDenied:
      return "this API key is read-only";
  }
  return "";
}

}  // namespace proximadb::service
