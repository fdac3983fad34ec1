#include "service/request_log.h"

#include <cstdio>
#include <random>

#include <spdlog/spdlog.h>

namespace proximadb::service {

namespace {

bool IdChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
         (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-' ||
         c == ':' || c == '/' || c == '+' || c == '=' || c == '@';
}

void AppendHexByte(std::string& out, unsigned char u) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "\\x%02x", u);
  out.append(buf);
}

// Length of the well-formed UTF-8 sequence at the start of `s` (RFC 3629:
// no overlongs, no surrogates, nothing above U+10FFFF), or 0 if it is not one.
size_t Utf8SequenceLength(std::string_view s) {
  auto b = [&](size_t i) { return static_cast<unsigned char>(s[i]); };
  auto cont = [&](size_t i) { return i < s.size() && (b(i) & 0xC0) == 0x80; };
  unsigned char c = b(0);
  if (c >= 0xC2 && c <= 0xDF) return cont(1) ? 2 : 0;
  if (c >= 0xE0 && c <= 0xEF) {
    if (!cont(1) || !cont(2)) return 0;
    if (c == 0xE0 && b(1) < 0xA0) return 0;   // overlong
    if (c == 0xED && b(1) >= 0xA0) return 0;  // surrogate
    return 3;
  }
  if (c >= 0xF0 && c <= 0xF4) {
    if (!cont(1) || !cont(2) || !cont(3)) return 0;
    if (c == 0xF0 && b(1) < 0x90) return 0;   // overlong
    if (c == 0xF4 && b(1) >= 0x90) return 0;  // above U+10FFFF
    return 4;
  }
  return 0;
}

// A logfmt value: bare when it is a plain token, else quoted with \" \\ and
// control characters escaped (targets and messages come from clients).
void AppendValue(std::string& out, std::string_view v) {
  bool bare = !v.empty();
  for (char c : v) {
    unsigned char u = static_cast<unsigned char>(c);
    if (u <= ' ' || c == '"' || c == '\\' || c == '=' || u >= 0x7f) {
      bare = false;
      break;
    }
  }
  if (bare) {
    out.append(v);
    return;
  }
  out.push_back('"');
  for (size_t i = 0; i < v.size();) {
    char c = v[i];
    unsigned char u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
      ++i;
    } else if (u >= 0x80) {
      // Valid UTF-8 is kept readable; any other high byte is escaped so a
      // log line is always valid UTF-8 (log shippers and readers reject
      // anything else, and clients control these bytes).
      size_t n = Utf8SequenceLength(v.substr(i));
      if (n > 0) {
        out.append(v.substr(i, n));
        i += n;
      } else {
        AppendHexByte(out, u);
        ++i;
      }
    } else if (u < ' ' || u == 0x7f) {
      AppendHexByte(out, u);
      ++i;
    } else {
      out.push_back(c);
      ++i;
    }
  }
  out.push_back('"');
}

void Field(std::string& out, std::string_view key, std::string_view value) {
  out.push_back(' ');
  out.append(key);
  out.push_back('=');
  AppendValue(out, value);
}

bool ServerError(std::string_view code) {
  return code == "internal" || code == "io_error" || code == "corruption";
}

}  // namespace

bool IsValidRequestId(std::string_view id) {
  if (id.empty() || id.size() > kMaxRequestIdLength) return false;
  for (char c : id) {
    if (!IdChar(c)) return false;
  }
  return true;
}

std::string NewRequestId() {
  // One generator per thread: no lock, and seeded from the OS so that ids
  // of different processes do not collide.
  thread_local std::mt19937_64 gen([] {
    std::random_device rd;
    return (uint64_t{rd()} << 32) ^ rd();
  }());
  char buf[33];
  std::snprintf(buf, sizeof buf, "%016llx%016llx",
                static_cast<unsigned long long>(gen()),
                static_cast<unsigned long long>(gen()));
  return std::string(buf, 32);
}

std::string RequestIdOrNew(std::string_view presented) {
  return IsValidRequestId(presented) ? std::string(presented) : NewRequestId();
}

std::string FormatAccess(const AccessRecord& r) {
  std::string out = "access";
  out.reserve(160 + r.target.size() + r.message.size());
  Field(out, "request_id", r.request_id);
  Field(out, "protocol", r.protocol);
  Field(out, "operation", r.operation.empty() ? "-" : r.operation);
  if (!r.method.empty()) Field(out, "method", r.method);
  if (!r.target.empty()) Field(out, "target", r.target);
  Field(out, "status", std::to_string(r.status));
  Field(out, "code", r.code.empty() ? "ok" : r.code);
  char ms[32];
  std::snprintf(ms, sizeof ms, "%.3f", r.latency_ms);
  Field(out, "latency_ms", ms);
  Field(out, "bytes_in", std::to_string(r.bytes_in));
  Field(out, "bytes_out", std::to_string(r.bytes_out));
  if (!r.message.empty()) Field(out, "message", r.message);
  if (r.suppressed > 0) Field(out, "suppressed", std::to_string(r.suppressed));
  return out;
}

void LogAccess(const AccessRecord& r) {
  spdlog::level::level_enum level = spdlog::level::info;
  if (!r.code.empty() && r.code != "ok") {
    level = ServerError(r.code) ? spdlog::level::err : spdlog::level::warn;
  }
  // Formatting costs more than the level check: skip it when filtered out.
  if (!spdlog::default_logger_raw()->should_log(level)) return;
  spdlog::default_logger_raw()->log(level, FormatAccess(r));
}

bool LogLimiter::Admit(Clock::time_point now, uint64_t* suppressed) {
  MutexLock lock(&mu_);
  if (started_ && now - last_ < interval_) {
    ++suppressed_;
    return false;
  }
  started_ = true;
  last_ = now;
  *suppressed = suppressed_;
  suppressed_ = 0;
  return true;
}

void LogAccessLimited(AccessRecord r, LogLimiter* limiter) {
  if (!limiter->Admit(LogLimiter::Clock::now(), &r.suppressed)) return;
  LogAccess(r);
}

}  // namespace proximadb::service
