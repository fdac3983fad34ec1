// Hand-made protobuf bytes for tests of request decoding: fields a client
// with its own (or a broken) encoder could send, and Structs nested far
// deeper than protobuf's own parser would take.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace proximadb::testing {

inline void PutVarint(std::string* out, uint64_t v) {
  while (v >= 0x80) {
    out->push_back(static_cast<char>(v | 0x80));
    v >>= 7;
  }
  out->push_back(static_cast<char>(v));
}

inline size_t VarintSize(uint64_t v) {
  size_t n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// A length-delimited field.
inline std::string Field(int number, const std::string& bytes) {
  std::string out;
  PutVarint(&out, (uint64_t(number) << 3) | 2);
  PutVarint(&out, bytes.size());
  return out + bytes;
}

// The bytes of a Struct {"a": {"a": ... {"a": 0}}} nested `depth` levels,
// written outside in (sizes first) so that millions of levels cost linear
// time and no recursion.
inline std::string NestedStructBytes(size_t depth) {
  const std::string leaf = "\x11" + std::string(8, '\0');  // number_value 0
  std::vector<size_t> value(depth + 1), entry(depth + 1), st(depth + 2);
  value[depth] = leaf.size();
  for (size_t i = depth; i >= 1; --i) {
    entry[i] = 3 + 1 + VarintSize(value[i]) + value[i];  // key "a", value
    st[i] = 1 + VarintSize(entry[i]) + entry[i];
    if (i > 1) value[i - 1] = 1 + VarintSize(st[i]) + st[i];  // struct_value
  }
  std::string out;
  out.reserve(st[1]);
  for (size_t i = 1; i <= depth; ++i) {
    out.push_back('\x0a');  // Struct.fields
    PutVarint(&out, entry[i]);
    out.append(
        "\x0a\x01"
        "a"
        "\x12");  // key, then value
    PutVarint(&out, value[i]);
    if (i < depth) {
      out.push_back('\x2a');  // Value.struct_value
      PutVarint(&out, st[i + 1]);
    }
  }
  out.append(leaf);
  return out;
}

}  // namespace proximadb::testing
