// One zstd frame holding a block of a file (the IVF file's column
// statistics and row columns, a segment's compressed sections; docs/
// FORMATS.md): packing, in one call or streamed, and unpacking with every
// size checked against what the file recorded.
#pragma once

#include <zstd.h>

#include <algorithm>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

#include "proximadb/status.h"

namespace proximadb {

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

// Packs a stream of pieces into one zstd frame (level 3, content checksum
// on), holding only the packed bytes: Add each piece, then Finish once.
// Errors are sticky and reported by Finish.
class ZstdStreamPacker {
 public:
  ZstdStreamPacker() : cctx_(ZSTD_createCCtx()) {
    if (!cctx_) {
      error_ = "zstd: out of memory";
      return;
    }
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_compressionLevel, 3);
    ZSTD_CCtx_setParameter(cctx_.get(), ZSTD_c_checksumFlag, 1);
  }
  void SetPledgedSize(uint64_t raw_size) {
    if (cctx_) ZSTD_CCtx_setPledgedSrcSize(cctx_.get(), raw_size);
  }
  void Add(std::string_view piece) {
    raw_size_ += piece.size();
    Run(piece, ZSTD_e_continue);
  }
  Result<std::string> Finish() {
    Run({}, ZSTD_e_end);
    if (!error_.empty()) return Status::Internal(error_);
    return std::move(out_);
  }
  uint64_t raw_size() const { return raw_size_; }

 private:
  struct Free {
    void operator()(ZSTD_CCtx* c) const { ZSTD_freeCCtx(c); }
  };
  void Run(std::string_view in, ZSTD_EndDirective mode) {
    if (!error_.empty()) return;
    ZSTD_inBuffer src{in.data(), in.size(), 0};
    for (;;) {
      const size_t at = out_.size();
      out_.resize(at + ZSTD_CStreamOutSize());
      ZSTD_outBuffer dst{out_.data() + at, ZSTD_CStreamOutSize(), 0};
      const size_t left = ZSTD_compressStream2(cctx_.get(), &dst, &src, mode);
      out_.resize(at + dst.pos);
      if (ZSTD_isError(left)) {
        error_ = std::string("zstd: ") + ZSTD_getErrorName(left);
        return;
      }
      const bool done = mode == ZSTD_e_end ? left == 0 : src.pos == src.size;
      if (done) return;
    }
  }
  std::unique_ptr<ZSTD_CCtx, Free> cctx_;
  std::string out_;
  std::string error_;
  uint64_t raw_size_ = 0;
};

// The `raw_size` bytes of the frame `packed`; Corruption (prefixed with
// `what`) when the frame is not exactly one frame of that content size
// (whose checksum, when it has one, holds), or the size exceeds `most`.
// Decoded in pieces into a buffer that grows with the output, so memory
// follows what the frame really holds, not the size it claims: a damaged
// or crafted claim is noticed before much is allocated.
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
  struct Free {
    void operator()(ZSTD_DCtx* d) const { ZSTD_freeDCtx(d); }
  };
  std::unique_ptr<ZSTD_DCtx, Free> dctx(ZSTD_createDCtx());
  if (!dctx) return Status::ResourceExhausted(what + ": zstd: out of memory");
  std::string raw;
  ZSTD_inBuffer src{packed.data(), packed.size(), 0};
  for (;;) {
    const size_t at = raw.size();
    // One byte past the recorded size, to notice a frame that holds more.
    const size_t room = static_cast<size_t>(
        std::min<uint64_t>(ZSTD_DStreamOutSize(), raw_size - at + 1));
    raw.resize(at + room);
    ZSTD_outBuffer dst{raw.data() + at, room, 0};
    const size_t left = ZSTD_decompressStream(dctx.get(), &dst, &src);
    raw.resize(at + dst.pos);
    if (ZSTD_isError(left) || raw.size() > raw_size) {
      return Status::Corruption(what + ": zstd frame unreadable");
    }
    if (left == 0) break;  // the frame is complete (and its checksum good)
    if (src.pos == src.size && dst.pos == 0) {
      return Status::Corruption(what + ": zstd frame truncated");
    }
  }
  if (raw.size() != raw_size || src.pos != src.size) {
    return Status::Corruption(what + ": zstd frame does not match its size");
  }
  return raw;
}

}  // namespace proximadb
