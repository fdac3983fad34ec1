// One zstd frame holding a block of the IVF file (column statistics, row
// columns; docs/FORMATS.md, "IVF file"): packing, and unpacking with every
// size checked against what the file recorded.
#pragma once

#include <zstd.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "proximadb/status.h"

namespace proximadb::index {

inline Result<std::string> ZstdPack(std::string_view raw) {
  constexpr int kLevel = 3;
  std::string packed(ZSTD_compressBound(raw.size()), '\0');
  const size_t n = ZSTD_compress(packed.data(), packed.size(), raw.data(),
                                 raw.size(), kLevel);
  if (ZSTD_isError(n)) {
    return Status::Internal(std::string("zstd: ") + ZSTD_getErrorName(n));
  }
  packed.resize(n);
  return packed;
}

// The `raw_size` bytes of the frame `packed`; Corruption (prefixed with
// `what`) when the frame is not exactly one frame of that content size, or
// the size exceeds `most`.
inline Result<std::string> ZstdUnpack(std::string_view packed,
                                      uint64_t raw_size, uint64_t most,
                                      const std::string& what) {
  if (raw_size > most) return Status::Corruption(what + ": implausible size");
  if (ZSTD_getFrameContentSize(packed.data(), packed.size()) != raw_size ||
      ZSTD_findFrameCompressedSize(packed.data(), packed.size()) !=
          packed.size()) {
    return Status::Corruption(what +
                              ": zstd frame does not match its recorded sizes");
  }
  std::string raw(raw_size, '\0');
  const size_t n =
      ZSTD_decompress(raw.data(), raw.size(), packed.data(), packed.size());
  if (ZSTD_isError(n) || n != raw_size) {
    return Status::Corruption(what + ": zstd frame unreadable");
  }
  return raw;
}

}  // namespace proximadb::index
