// CRC32C (Castagnoli), the checksum of every WAL record and segment block.
// Uses the SSE4.2 crc32 instruction when the CPU has it (checked once at run
// time, so the binary still runs on older CPUs) and a table-driven fallback.
#pragma once

#include <cstddef>
#include <cstdint>

namespace proximadb::crc32c {

// crc32c of data[0, n) continuing from `init` (the crc of preceding bytes).
uint32_t Extend(uint32_t init, const char* data, size_t n);

// crc32c of data[0, n).
inline uint32_t Value(const char* data, size_t n) { return Extend(0, data, n); }

// A CRC stored next to the data it covers is masked: computing the CRC of a
// string that itself contains embedded CRCs is otherwise prone to collisions
// (the LevelDB trick).
inline constexpr uint32_t kMaskDelta = 0xa282ead8u;
inline uint32_t Mask(uint32_t crc) {
  return ((crc >> 15) | (crc << 17)) + kMaskDelta;
}
inline uint32_t Unmask(uint32_t masked) {
  uint32_t rot = masked - kMaskDelta;
  return (rot >> 17) | (rot << 15);
}

// Exposed for tests and benchmarks: the two implementations behind Extend.
uint32_t ExtendSoftware(uint32_t init, const char* data, size_t n);
// Only valid when HardwareAvailable().
uint32_t ExtendHardware(uint32_t init, const char* data, size_t n);
bool HardwareAvailable();
// Whether Extend uses the hardware path. Setting the environment variable
// PDB_CRC32C=software before the first call forces the fallback.
bool UsingHardware();

}  // namespace proximadb::crc32c
