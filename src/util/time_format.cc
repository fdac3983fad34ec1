#include "util/time_format.h"

#include <cstdio>
#include <ctime>

namespace proximadb {

std::string Rfc3339Micros(uint64_t unix_micros) {
  const std::time_t t = static_cast<std::time_t>(unix_micros / 1000000);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[48];
  const size_t n = std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%S", &tm);
  std::snprintf(buf + n, sizeof(buf) - n, ".%06uZ",
                static_cast<unsigned>(unix_micros % 1000000));
  return buf;
}

namespace {

// `n` decimal digits at s[pos..]; -1 when any is not a digit.
int Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

bool IsLeap(int y) { return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0; }

int DaysIn(int y, int m) {
  static constexpr int kDays[] = {31, 28, 31, 30, 31, 30,
                                  31, 31, 30, 31, 30, 31};
  return m == 2 && IsLeap(y) ? 29 : kDays[m - 1];
}

// Days from 1970-01-01 to y-m-d (proleptic Gregorian).
int64_t DaysFromCivil(int y, int m, int d) {
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// Parses `s` into unix microseconds; returns why it is not an RFC 3339
// time, or nullptr. Years 0000..9999; no allocation (the filter calls it for
// every stored string a datetime range reads).
const char* ParseCore(std::string_view s, int64_t* out) {
  const int year = Digits(s, 0, 4);
  const int month = Digits(s, 5, 2);
  const int day = Digits(s, 8, 2);
  const int hour = Digits(s, 11, 2);
  const int minute = Digits(s, 14, 2);
  const int second = Digits(s, 17, 2);
  if (s.size() < 20 || year < 0 || month < 0 || day < 0 || hour < 0 ||
      minute < 0 || second < 0 || s[4] != '-' || s[7] != '-' ||
      (s[10] != 'T' && s[10] != 't' && s[10] != ' ') || s[13] != ':' ||
      s[16] != ':') {
    return "expected YYYY-MM-DDTHH:MM:SS and a zone";
  }
  if (month < 1 || month > 12) return "month outside 1..12";
  if (day < 1 || day > DaysIn(year, month)) return "no such day";
  if (hour > 23 || minute > 59 || second > 59) return "time of day";
  size_t pos = 19;
  int64_t micros = 0;
  if (s[pos] == '.') {
    ++pos;
    const size_t start = pos;
    int64_t scale = 100000;
    while (pos < s.size() && s[pos] >= '0' && s[pos] <= '9') {
      micros += (s[pos] - '0') * scale;
      scale /= 10;
      ++pos;
    }
    if (pos == start) return "no digits after '.'";
  }
  int64_t offset_min = 0;
  if (pos < s.size() && (s[pos] == 'Z' || s[pos] == 'z')) {
    ++pos;
  } else if (pos < s.size() && (s[pos] == '+' || s[pos] == '-')) {
    const int oh = Digits(s, pos + 1, 2);
    const int om = Digits(s, pos + 4, 2);
    if (oh < 0 || om < 0 || pos + 3 >= s.size() || s[pos + 3] != ':' ||
        oh > 23 || om > 59) {
      return "bad zone offset";
    }
    offset_min = (oh * 60 + om) * (s[pos] == '-' ? -1 : 1);
    pos += 6;
  } else {
    return "no zone (Z or +HH:MM)";
  }
  if (pos != s.size()) return "trailing characters";
  const int64_t secs = DaysFromCivil(year, month, day) * 86400 + hour * 3600 +
                       minute * 60 + second - offset_min * 60;
  *out = secs * 1000000 + micros;
  return nullptr;
}

}  // namespace

bool ParseRfc3339Instant(std::string_view text, int64_t* unix_micros) {
  int64_t t;
  if (ParseCore(text, &t) != nullptr) return false;
  *unix_micros = t;
  return true;
}

Result<uint64_t> ParseRfc3339(std::string_view s, std::string_view field) {
  auto bad = [&](const std::string& why) {
    return Status::InvalidArgument(
        std::string(field) + ": '" + std::string(s.substr(0, 64)) +
        "' is not an RFC 3339 time (" + why +
        "; e.g. 2026-11-30T09:15:00Z or 2026-11-30T10:15:00.5+01:00)");
  };
  int64_t t = 0;
  if (const char* why = ParseCore(s, &t)) return bad(why);
  const int year = Digits(s, 0, 4);
  if (year < 1970 || year > 9999) return bad("year outside 1970..9999");
  if (t < 0) return bad("before 1970-01-01T00:00:00Z");
  return static_cast<uint64_t>(t);
}

Result<uint64_t> ParseExpiryTime(std::string_view text,
                                 std::string_view field) {
  PDB_ASSIGN_OR_RETURN(uint64_t at, ParseRfc3339(text, field));
  return at == 0 ? 1 : at;
}

}  // namespace proximadb
