// RFC 3339 times, as the API writes and reads them (the change feed's
// "time", point-in-time restore's "as_of").
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proximadb/status.h"

namespace proximadb {

// "2026-11-30T09:15:00.123456Z" (UTC, always six fraction digits).
std::string Rfc3339Micros(uint64_t unix_micros);

// Parses "YYYY-MM-DDTHH:MM:SS[.fraction]" followed by "Z" or "+HH:MM" /
// "-HH:MM" ("t", "z" and a space for "T" accepted, as RFC 3339 allows)
// into unix microseconds; fraction digits past the sixth are cut off.
// kInvalidArgument naming `field` and what is wrong; times before 1970 or
// after 9999 are refused.
Result<uint64_t> ParseRfc3339(std::string_view text, std::string_view field);

// A point's expires_at (docs/API.md, "Expiry"): ParseRfc3339, with the
// epoch itself mapped to 1 µs after it, since 0 means "never expires".
Result<uint64_t> ParseExpiryTime(std::string_view text, std::string_view field);

// The same grammar (years 0000..9999, so also times before 1970) as a
// signed instant in unix microseconds, without an error message and without
// allocating: false when `text` is not an RFC 3339 time. Used by the filter
// language's datetime ranges (docs/FILTERS.md) on every stored string.
bool ParseRfc3339Instant(std::string_view text, int64_t* unix_micros);

}  // namespace proximadb
