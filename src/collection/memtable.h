// The mutable in-memory part of a collection: the newest points, searchable
// at once. Rows are append-only; overwriting or deleting an id marks its old
// row dead. After a flush starts, the memtable is frozen (no more appends) and
// only its dead flags still change.
//
// Thread-safety: Append and the map are guarded by the collection's state
// lock (exclusive to write, shared to read). Dead flags are atomics, so a
// frozen memtable can be read without the lock while writers kill rows.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "collection/vector_arena.h"
#include "index/vector_index.h"
#include "proximadb/types.h"

namespace proximadb {

class Memtable {
 public:
  Memtable(uint32_t dim, Metric metric) : dim_(dim), metric_(metric) {}
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
  std::string_view id(uint32_t row) const { return *rows_[row].id; }
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
  // Arrival time of the oldest row (0 when empty): the age flush trigger.
  uint64_t oldest_write_micros() const { return oldest_write_micros_; }
  uint32_t dim() const { return dim_; }
  Metric metric() const { return metric_; }
  index::VectorView view() const;

  // Live rows with id > after (or all when after is empty), in id order,
  // at most `limit` of them, each accepted by `accept`.
  template <typename Fn>
  void ScanLiveFrom(std::string_view after, Fn&& fn) const {
    auto it = after.empty() ? map_.begin() : map_.upper_bound(after);
    for (; it != map_.end(); ++it) {
      if (dead(it->second)) continue;
      if (!fn(it->second)) return;
    }
  }

 private:
  struct Row {
    const std::string* id;  // the map's key: stable for the node's lifetime
    std::string metadata;
    std::string sparse;
    uint64_t version;
    uint64_t expires_at;  // 0: never
  };

  const uint32_t dim_;
  const Metric metric_;
  VectorArena vectors_;  // contiguous rows, grown without copying
  std::vector<float> norms_;
  std::vector<Row> rows_;
  std::deque<std::atomic<bool>> dead_;  // deque: never relocates elements
  std::map<std::string, uint32_t, std::less<>> map_;
  std::atomic<uint64_t> live_{0};
  uint64_t bytes_ = 0;
  uint64_t oldest_write_micros_ = 0;
};

}  // namespace proximadb
