// A fixed-size bitmap whose bits can be set by a writer while searches read
// it without a lock. Used for the deletion state of immutable sources
// (segments and the frozen memtable): a bit only ever goes from 0 to 1.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace proximadb {

class AtomicBitmap {
 public:
  explicit AtomicBitmap(size_t bits = 0);
  AtomicBitmap(const AtomicBitmap&) = delete;
  AtomicBitmap& operator=(const AtomicBitmap&) = delete;

  size_t size() const { return bits_; }
  bool Test(size_t i) const {
    return (words_[i >> 6].load(std::memory_order_acquire) >> (i & 63)) & 1;
  }
  // Returns true when the bit was newly set.
  bool Set(size_t i);
  size_t Count() const;
  // Little-endian u64 words, the catalog's deleted_bitmap encoding.
  std::string ToBytes() const;
  // ORs the bits encoded in `bytes` (shorter input is fine).
  void OrBytes(std::string_view bytes);

 private:
  size_t bits_;
  size_t nwords_;
  std::unique_ptr<std::atomic<uint64_t>[]> words_;
};

}  // namespace proximadb
