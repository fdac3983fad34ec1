#include "collection/atomic_bitmap.h"

#include <bit>
#include <cstring>

namespace proximadb {

AtomicBitmap::AtomicBitmap(size_t bits)
    : bits_(bits),
      nwords_((bits + 63) / 64),
      words_(new std::atomic<uint64_t>[nwords_ == 0 ? 1 : nwords_]) {
  for (size_t i = 0; i < (nwords_ == 0 ? 1 : nwords_); ++i) words_[i] = 0;
}

bool AtomicBitmap::Set(size_t i) {
  uint64_t mask = uint64_t{1} << (i & 63);
  uint64_t old = words_[i >> 6].fetch_or(mask, std::memory_order_acq_rel);
  return (old & mask) == 0;
}

size_t AtomicBitmap::Count() const {
  size_t n = 0;
  for (size_t w = 0; w < nwords_; ++w) {
    n += std::popcount(words_[w].load(std::memory_order_relaxed));
  }
  return n;
}

std::string AtomicBitmap::ToBytes() const {
  std::string out(nwords_ * 8, '\0');
  for (size_t w = 0; w < nwords_; ++w) {
    uint64_t v = words_[w].load(std::memory_order_acquire);
    for (int b = 0; b < 8; ++b)
      out[w * 8 + b] = static_cast<char>(v >> (8 * b));
  }
  return out;
}

void AtomicBitmap::OrBytes(std::string_view bytes) {
  size_t n = std::min(nwords_, bytes.size() / 8);
  for (size_t w = 0; w < n; ++w) {
    uint64_t v = 0;
    for (int b = 0; b < 8; ++b) {
      v |= uint64_t{static_cast<unsigned char>(bytes[w * 8 + b])} << (8 * b);
    }
    // Bits past size() are ignored so a corrupt blob cannot inflate counts.
    if (w == nwords_ - 1 && (bits_ & 63))
      v &= (uint64_t{1} << (bits_ & 63)) - 1;
    words_[w].fetch_or(v, std::memory_order_acq_rel);
  }
}

}  // namespace proximadb
