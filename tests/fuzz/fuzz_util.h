// Helpers shared by the libFuzzer targets in tests/fuzz/ (see
// docs/RELIABILITY.md, "Fuzzing").
//
// FUZZ_CHECK states an invariant: when it fails the target prints what was
// expected and aborts, which libFuzzer (and the short ctest runs) report as
// a crash with the input that caused it. Sanitizers catch the rest (out of
// bounds, use after free, leaks, undefined behaviour).
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <string_view>

#include <spdlog/spdlog.h>

#include "proximadb/env.h"
#include "proximadb/status.h"
#include "util/coding.h"
#include "util/crc32c.h"

#define FUZZ_CHECK(cond, ...)                                         \
  do {                                                                \
    if (!(cond)) {                                                    \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, \
                   __LINE__, #cond);                                  \
      ::proximadb::fuzz::PrintContext(__VA_ARGS__);                   \
      std::abort();                                                   \
    }                                                                 \
  } while (0)

namespace proximadb::fuzz {

// The engine's warnings (a torn WAL tail cut, ...) are expected by the
// thousand here; printing them would only slow the fuzzer down.
inline const bool kQuietLogs = [] {
  spdlog::set_level(spdlog::level::off);
  return true;
}();

inline void PrintContext() {}
inline void PrintContext(std::string_view what) {
  std::fprintf(stderr, "  %.*s\n", static_cast<int>(what.size()), what.data());
}
inline void PrintContext(const Status& s) { PrintContext(s.ToString()); }
template <typename A, typename B, typename... Rest>
void PrintContext(const A& a, const B& b, const Rest&... rest) {
  PrintContext(a);
  PrintContext(b, rest...);
}

inline std::string_view AsView(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Takes the first byte of the input as flags (0 when empty).
inline uint8_t TakeFlags(std::string_view* in) {
  if (in->empty()) return 0;
  uint8_t f = static_cast<uint8_t>((*in)[0]);
  in->remove_prefix(1);
  return f;
}

// Writes the masked CRC32C of buf[from, to) at buf[at] when all of it lies
// inside the buffer. The file targets use it to "re-seal" a mutated file, so
// the fuzzer gets past the checksums to the structural checks behind them
// (a file with a right checksum and a wrong structure is what a buggy or
// hostile writer produces).
inline void SealCrc(std::string* buf, uint64_t from, uint64_t to, uint64_t at) {
  if (from > to || to > buf->size() || at > buf->size() ||
      buf->size() - at < 4) {
    return;
  }
  EncodeFixed32(buf->data() + at,
                crc32c::Mask(crc32c::Value(buf->data() + from, to - from)));
}

// One in-memory Env per process, with `dir` created; files are replaced per
// input, so nothing carries over between inputs.
inline Env* MemEnvWithDir(const std::string& dir) {
  static Env* env = [] { return NewMemEnv().release(); }();
  Status s = env->CreateDirIfMissing(dir);
  FUZZ_CHECK(s.ok(), s);
  return env;
}

// Replaces `path` with `bytes` (through the Env's atomic write, as the
// engine's own writers do).
inline void PutFile(Env* env, const std::string& path, std::string_view bytes) {
  Status s = env->WriteFileAtomically(path, bytes);
  FUZZ_CHECK(s.ok(), s);
}

}  // namespace proximadb::fuzz
