// Nesting depth of JSON, computed without recursion: nlohmann's copy and
// dump recurse, so a hostile document nested millions deep must be refused
// before anything copies or serialises it. The limits themselves are in
// util/limits.h.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace proximadb {

// True when `j` nests objects/arrays deeper than `max_depth` (a scalar has
// depth 0, {} and [] depth 1).
inline bool JsonDeeperThan(const nlohmann::json& j, size_t max_depth) {
  std::vector<std::pair<const nlohmann::json*, size_t>> stack{{&j, 0}};
  while (!stack.empty()) {
    auto [v, depth] = stack.back();
    stack.pop_back();
    if (!v->is_structured()) continue;
    if (depth + 1 > max_depth) return true;
    for (const auto& child : *v) stack.push_back({&child, depth + 1});
  }
  return false;
}

// The same on JSON text, before any parser sees it: counts the brackets
// outside strings (a backslash escapes the next byte inside a string). It
// does not validate; on malformed text the result only bounds what a parser
// would build, and the parser reports the error afterwards. With SSE2, 16
// bytes at a time are matched against { } [ ] " \ and only the matches are
// looked at: a 28 MB batch body of numbers scans in a few milliseconds.
inline bool JsonTextDeeperThan(std::string_view text, size_t max_depth) {
  size_t depth = 0;
  bool in_string = false;
  size_t skip = 0;  // a byte before this offset was escaped: ignore it
  // One special byte at offset j; false when the depth is exceeded.
  auto step = [&](char c, size_t j) {
    if (j < skip) return true;
    if (in_string) {
      if (c == '\\') {
        skip = j + 2;
      } else if (c == '"') {
        in_string = false;
      }
    } else if (c == '{' || c == '[') {
      if (++depth > max_depth) return false;
    } else if (c == '}' || c == ']') {
      if (depth > 0) --depth;
    } else if (c == '"') {
      in_string = true;
    }
    return true;
  };
  const char* p = text.data();
  const size_t n = text.size();
  size_t i = 0;
#if defined(__SSE2__)
  for (; i + 16 <= n; i += 16) {
    const __m128i v = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + i));
    auto eq = [&](char c) { return _mm_cmpeq_epi8(v, _mm_set1_epi8(c)); };
    const __m128i special =
        _mm_or_si128(_mm_or_si128(_mm_or_si128(eq('{'), eq('}')),
                                  _mm_or_si128(eq('['), eq(']'))),
                     _mm_or_si128(eq('"'), eq('\\')));
    for (unsigned mask = static_cast<unsigned>(_mm_movemask_epi8(special));
         mask != 0; mask &= mask - 1) {
      const size_t j = i + static_cast<size_t>(__builtin_ctz(mask));
      if (!step(p[j], j)) return true;
    }
  }
#endif
  for (; i < n; ++i) {
    const char c = p[i];
    if (c == '{' || c == '}' || c == '[' || c == ']' || c == '"' || c == '\\') {
      if (!step(c, i)) return true;
    }
  }
  return false;
}

}  // namespace proximadb
