// The mutable in-memory part of a collection: the newest points, searchable
// at once. Rows are append-only; overwriting or deleting an id marks its old
// row dead. After a flush starts, the memtable is frozen (no more appends) and
// only its dead flags still change.
//
// Two kinds index the ids (the collection's "memtable" setting), with the
// same API and the same answers:
//   kBTree  an absl::btree_map, always in id order: scroll and flush walk it
//           directly.
//   kHash   an absl::flat_hash_map: the cheapest point upserts and lookups;
//           the id order that scroll and flush need is built on demand (see
//           ScanLiveFrom).
//
// Thread-safety: Append and the id map are guarded by the collection's state
// lock (exclusive to write, shared to read). Dead flags are atomics, so a
// frozen memtable can be read without the lock while writers kill rows.
// The hash kind's sorted order is a cache behind its own mutex, so
// ScanLiveFrom stays safe for concurrent readers under the shared lock and
// for the flush thread reading a frozen memtable without it.
#pragma once

#include <absl/container/btree_map.h>
#include <absl/container/flat_hash_map.h>

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collection/vector_arena.h"
#include "index/vector_index.h"
#include "proximadb/types.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

enum class MemtableKind : uint8_t { kBTree, kHash };

// "btree" / "hash"; nullopt for any other name.
std::optional<MemtableKind> MemtableKindFromName(std::string_view name);
const char* MemtableKindName(MemtableKind kind);

class Memtable {
 public:
  Memtable(uint32_t dim, Metric metric,
           MemtableKind kind = MemtableKind::kBTree)
      : dim_(dim), metric_(metric), kind_(kind) {}
  Memtable(const Memtable&) = delete;
  Memtable& operator=(const Memtable&) = delete;

  // Appends a new live row for `id`. The caller has already killed every
  // older version (in this memtable or elsewhere).
  // `sparse`: its point vectors blob (sparse and named vectors,
  // index/sparse.h) ("" = none);
  // `expires_at`: when it expires (unix microseconds, 0 = never).
  void Append(std::string_view id, const float* vec, std::string metadata_json,
              std::string sparse, uint64_t expires_at, uint64_t version,
              uint64_t now_micros);

  // Where `id` was last written here, live or dead. The collection stops its
  // lookup at the first source that knows an id.
  std::optional<uint32_t> Find(std::string_view id) const;
  // Marks `row` dead; true if it was live.
  bool Kill(uint32_t row);

  bool dead(uint32_t row) const {
    return dead_[row].load(std::memory_order_acquire);
  }
  std::string_view id(uint32_t row) const { return rows_[row].id; }
  const float* vector(uint32_t row) const {
    return vectors_.data() + static_cast<size_t>(row) * dim_;
  }
  float norm(uint32_t row) const { return norms_[row]; }
  const std::string& metadata(uint32_t row) const {
    return rows_[row].metadata;
  }
  uint64_t version(uint32_t row) const { return rows_[row].version; }
  const std::string& sparse(uint32_t row) const { return rows_[row].sparse; }
  uint64_t expires_at(uint32_t row) const { return rows_[row].expires_at; }

  uint32_t rows() const { return static_cast<uint32_t>(rows_.size()); }
  uint64_t live() const { return live_.load(std::memory_order_relaxed); }
  uint64_t bytes() const { return bytes_; }
  // What it holds in process memory: the vectors, every row's bookkeeping
  // at the capacity of its containers, the id map, the ids, metadata and
  // sparse vectors (the memory budget's count; bytes() is the flush
  // threshold's estimate).
  uint64_t MemoryBytes() const;
  // Arrival time of the oldest row (0 when empty): the age flush trigger.
  uint64_t oldest_write_micros() const { return oldest_write_micros_; }
  uint32_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  MemtableKind kind() const { return kind_; }
  index::VectorView view() const;

  // Calls fn(row) for the live rows with id > after (all when after is
  // empty), in ascending id order, until fn returns false.
  //
  // kBTree walks the tree from upper_bound(after). kHash first needs the ids
  // sorted: the first scan after a change pays for that (O(n log n) on the
  // first scan; later, O(k log k + n) for the k rows appended since the last
  // one), and every scan then finds `after` by binary search and walks a
  // vector. A flush therefore pays one sort; a scroll page of a hash
  // memtable that is being written costs O(n) instead of O(log n + page).
  template <typename Fn>
  void ScanLiveFrom(std::string_view after, Fn&& fn) const {
    if (kind_ == MemtableKind::kBTree) {
      auto it = after.empty() ? btree_.begin() : btree_.upper_bound(after);
      for (; it != btree_.end(); ++it) {
        if (dead(it->second)) continue;
        if (!fn(it->second)) return;
      }
      return;
    }
    // The snapshot stays valid without the cache mutex: rows only change
    // under the exclusive state lock, which no scanner overlaps.
    const std::shared_ptr<const SortedIds> sorted = Sorted();
    const size_t n = sorted->size();
    for (size_t i = after.empty() ? 0 : UpperBound(*sorted, after); i < n;
         ++i) {
      const uint32_t row = (*sorted)[i].row;
      if (dead(row)) continue;
      if (!fn(row)) return;
    }
  }

 private:
  struct Row {
    std::string_view id;  // in ids_: never moves
    std::string metadata;
    std::string sparse;
    uint64_t version;
    uint64_t expires_at;  // 0: never
  };

  // The bytes of every id, copied once and never moved: both maps key by
  // std::string_view into here, since neither keeps its entries in place.
  // One block per 64 KiB of ids instead of an allocation per id.
  class IdArena {
   public:
    std::string_view Copy(std::string_view id);
    // Gives back the space of `copy`, the result of the latest Copy (the
    // id was known already, so the map kept its own key).
    void DropLast(std::string_view copy);

   private:
    static constexpr size_t kBlockBytes = 64 << 10;
    std::vector<std::unique_ptr<char[]>> blocks_;
    size_t used_ = kBlockBytes;  // bytes used in blocks_.back()
    std::vector<std::unique_ptr<char[]>> large_;  // ids > kBlockBytes / 4
  };

  // One entry of the hash kind's id order. `prefix` holds the id's first 8
  // bytes, big-endian, zero-padded, so most comparisons while sorting are one
  // integer compare instead of a trip to the id's bytes.
  struct SortedEntry {
    uint64_t prefix;
    uint32_t row;
  };
  using SortedIds = std::vector<SortedEntry>;

  // The ids of the map in ascending order, as of rows() now: the cache when
  // it is current, else the cache extended (or built) first.
  std::shared_ptr<const SortedIds> Sorted() const EXCLUDES(sorted_mu_);
  // The index of the first entry of `sorted` whose id is > after.
  size_t UpperBound(const SortedIds& sorted, std::string_view after) const;

  const uint32_t dim_;
  const Metric metric_;
  const MemtableKind kind_;
  VectorArena vectors_;  // contiguous rows, grown without copying
  std::vector<float> norms_;
  std::vector<Row> rows_;
  std::deque<std::atomic<bool>> dead_;  // deque: never relocates elements
  IdArena ids_;
  // id -> its newest row. Only the map of kind_ is used.
  absl::btree_map<std::string_view, uint32_t> btree_;
  absl::flat_hash_map<std::string_view, uint32_t> hash_;
  std::atomic<uint64_t> live_{0};
  uint64_t bytes_ = 0;
  uint64_t oldest_write_micros_ = 0;

  mutable Mutex sorted_mu_;
  // kHash: the map's entries in id order as of sorted_rows_ == rows(); null
  // until the first scan. Shared so that a scan keeps its snapshot while a
  // later scan (after more appends) replaces the cache.
  mutable std::shared_ptr<const SortedIds> sorted_ GUARDED_BY(sorted_mu_);
  mutable uint32_t sorted_rows_ GUARDED_BY(sorted_mu_) = 0;
};

}  // namespace proximadb
