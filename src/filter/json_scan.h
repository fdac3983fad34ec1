// A small, allocation-free JSON reader for the metadata text stored in
// segments, feeding a filter's TextMatcher (match_text.cc).
//
// Why not nlohmann's SAX parser: it copies every key and string into a
// token buffer and converts every number, which made a one-key filter over a
// ~200-byte document cost ~2.5 us. This reader hands out string_views into
// the input (copying only strings with escapes that a filter actually reads)
// and converts only the values the handler wants.
//
// It checks the JSON grammar (structure, literals, numbers, escapes, no raw
// control characters in strings) but not UTF-8 validity: stored metadata was
// produced by nlohmann::json::dump and is always valid. Containers nested
// deeper than kMaxScanDepth return kTooDeep so the caller can fall back to a
// parser without that limit.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "filter/value.h"

namespace proximadb::filter {

enum class ScanResult { kOk, kInvalid, kTooDeep };
inline constexpr int kMaxScanDepth = 256;

// Handler interface (duck-typed, so calls inline):
//   bool WantsValue() const;  is the next value routed anywhere?
//   bool WantsKeys() const;   do the current object's keys matter?
//   void Scalar(const Value&); StartObject(); StartArray(); End();
//   void Key(std::string_view);
template <typename Handler>
class JsonScanner {
 public:
  JsonScanner(std::string_view text, Handler* h)
      : p_(text.data()), end_(text.data() + text.size()), h_(h) {}

  ScanResult Run() {
    char stack[kMaxScanDepth];  // '{' or '[' per open container
    int depth = 0;
    bool need_value = true;
    while (true) {
      SkipWs();
      if (need_value) {
        if (p_ == end_) return ScanResult::kInvalid;
        const char c = *p_;
        if (c == '{' || c == '[') {
          if (depth == kMaxScanDepth) return ScanResult::kTooDeep;
          ++p_;
          c == '{' ? h_->StartObject() : h_->StartArray();
          stack[depth++] = c;
          SkipWs();
          if (p_ != end_ && *p_ == (c == '{' ? '}' : ']')) {
            ++p_;
            --depth;
            h_->End();
            need_value = false;
          } else if (c == '{' && !ReadKey()) {
            return ScanResult::kInvalid;
          }
          continue;
        }
        if (!ReadScalar()) return ScanResult::kInvalid;
        need_value = false;
        continue;
      }
      if (depth == 0)
        return p_ == end_ ? ScanResult::kOk : ScanResult::kInvalid;
      if (p_ == end_) return ScanResult::kInvalid;
      const char c = *p_++;
      const bool in_object = stack[depth - 1] == '{';
      if (c == ',') {
        if (in_object && !ReadKey()) return ScanResult::kInvalid;
        need_value = true;
      } else if (c == (in_object ? '}' : ']')) {
        --depth;
        h_->End();
      } else {
        return ScanResult::kInvalid;
      }
    }
  }

 private:
  void SkipWs() {
    while (p_ != end_ &&
           (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) {
      ++p_;
    }
  }

  // A key and its colon.
  bool ReadKey() {
    SkipWs();
    std::string_view raw;
    bool escaped;
    if (!ReadString(&raw, &escaped)) return false;
    if (h_->WantsKeys()) {
      if (escaped && !Unescape(raw)) return false;
      h_->Key(escaped ? std::string_view(scratch_) : raw);
    }
    SkipWs();
    if (p_ == end_ || *p_ != ':') return false;
    ++p_;
    return true;
  }

  bool ReadScalar() {
    const char c = *p_;
    if (c == '"') {
      std::string_view raw;
      bool escaped;
      if (!ReadString(&raw, &escaped)) return false;
      if (h_->WantsValue()) {
        if (escaped && !Unescape(raw)) return false;
        h_->Scalar(Value::String(escaped ? std::string_view(scratch_) : raw));
      }
      return true;
    }
    if (c == 't') return Literal("true", Value::Bool(true));
    if (c == 'f') return Literal("false", Value::Bool(false));
    if (c == 'n') return Literal("null", Value::Null());
    return ReadNumber();
  }

  bool Literal(std::string_view word, const Value& v) {
    if (static_cast<size_t>(end_ - p_) < word.size() ||
        std::string_view(p_, word.size()) != word) {
      return false;
    }
    p_ += word.size();
    if (h_->WantsValue()) h_->Scalar(v);
    return true;
  }

  // Positioned on the opening quote; leaves `raw` between the quotes.
  bool ReadString(std::string_view* raw, bool* escaped) {
    if (p_ == end_ || *p_ != '"') return false;
    const char* start = ++p_;
    *escaped = false;
    while (p_ != end_) {
      const auto c = static_cast<unsigned char>(*p_);
      if (c == '"') {
        *raw = std::string_view(start, p_ - start);
        ++p_;
        return true;
      }
      if (c < 0x20) return false;
      if (c == '\\') {
        *escaped = true;
        if (++p_ == end_) return false;
      }
      ++p_;
    }
    return false;
  }

  static int Hex(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  }

  static bool Hex4(std::string_view s, size_t i, uint32_t* out) {
    if (i + 4 > s.size()) return false;
    *out = 0;
    for (size_t k = i; k < i + 4; ++k) {
      const int h = Hex(s[k]);
      if (h < 0) return false;
      *out = *out * 16 + static_cast<uint32_t>(h);
    }
    return true;
  }

  void AppendUtf8(uint32_t cp) {
    if (cp < 0x80) {
      scratch_ += static_cast<char>(cp);
    } else if (cp < 0x800) {
      scratch_ += static_cast<char>(0xC0 | (cp >> 6));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
      scratch_ += static_cast<char>(0xE0 | (cp >> 12));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
      scratch_ += static_cast<char>(0xF0 | (cp >> 18));
      scratch_ += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
      scratch_ += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
      scratch_ += static_cast<char>(0x80 | (cp & 0x3F));
    }
  }

  // Decodes `raw` (between quotes, known to contain a backslash) into
  // scratch_, the only place this reader may allocate.
  bool Unescape(std::string_view raw) {
    scratch_.clear();
    for (size_t i = 0; i < raw.size(); ++i) {
      if (raw[i] != '\\') {
        scratch_ += raw[i];
        continue;
      }
      const char e = raw[++i];  // ReadString guarantees a following char
      switch (e) {
        case '"':
        case '\\':
        case '/':
          scratch_ += e;
          break;
        case 'b':
          scratch_ += '\b';
          break;
        case 'f':
          scratch_ += '\f';
          break;
        case 'n':
          scratch_ += '\n';
          break;
        case 'r':
          scratch_ += '\r';
          break;
        case 't':
          scratch_ += '\t';
          break;
        case 'u': {
          uint32_t cp;
          if (!Hex4(raw, i + 1, &cp)) return false;
          i += 4;
          if (cp >= 0xD800 && cp <= 0xDBFF) {  // needs a low surrogate
            uint32_t lo;
            if (i + 2 >= raw.size() || raw[i + 1] != '\\' ||
                raw[i + 2] != 'u' || !Hex4(raw, i + 3, &lo) || lo < 0xDC00 ||
                lo > 0xDFFF) {
              return false;
            }
            i += 6;
            cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
          } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
            return false;  // a lone low surrogate
          }
          AppendUtf8(cp);
          break;
        }
        default:
          return false;
      }
    }
    return true;
  }

  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }

  // JSON number grammar; integers stay exact (int64 if negative, uint64
  // otherwise) and become doubles only on overflow, as nlohmann does.
  bool ReadNumber() {
    const char* start = p_;
    if (p_ != end_ && *p_ == '-') ++p_;
    if (p_ == end_ || !IsDigit(*p_)) return false;
    if (*p_ == '0') {
      ++p_;
    } else {
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    }
    bool integral = true;
    if (p_ != end_ && *p_ == '.') {
      integral = false;
      if (++p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    }
    if (p_ != end_ && (*p_ == 'e' || *p_ == 'E')) {
      integral = false;
      if (++p_ != end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      if (p_ == end_ || !IsDigit(*p_)) return false;
      while (p_ != end_ && IsDigit(*p_)) ++p_;
    }
    if (!h_->WantsValue()) return true;
    if (integral) {
      if (*start == '-') {
        int64_t v;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          h_->Scalar(Value::Int(v));
          return true;
        }
      } else {
        uint64_t v;
        if (std::from_chars(start, p_, v).ec == std::errc()) {
          h_->Scalar(Value::Uint(v));
          return true;
        }
      }
    }
    double d;
    if (std::from_chars(start, p_, d).ec != std::errc()) {
      // Out of double range: strtod gives +-inf or 0 as nlohmann would.
      d = std::strtod(std::string(start, p_).c_str(), nullptr);
    }
    h_->Scalar(Value::Double(d));
    return true;
  }

  const char* p_;
  const char* end_;
  Handler* h_;
  std::string scratch_;  // unescaped strings; stays empty (no allocation)
                         // unless a string the filter reads has escapes
};

}  // namespace proximadb::filter
