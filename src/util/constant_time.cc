#include "util/constant_time.h"

#include <algorithm>

namespace proximadb {

bool ConstantTimeEquals(std::string_view a, std::string_view b) {
  // Walk the longer length so that a short guess takes as long as a full
  // one; only the lengths influence the time.
  const size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0u : 1u;
  for (size_t i = 0; i < n; ++i) {
    unsigned char x = i < a.size() ? static_cast<unsigned char>(a[i]) : 0;
    unsigned char y = i < b.size() ? static_cast<unsigned char>(b[i]) : 0;
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

}  // namespace proximadb
