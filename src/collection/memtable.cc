#include "collection/memtable.h"

#include <algorithm>
#include <cstring>

#include "index/distance.h"

namespace proximadb {

namespace {

// The first 8 bytes of `id` as a big-endian integer, zero-padded: for two
// ids, a smaller prefix means a smaller id (a shorter id padded with zeros
// is a prefix of the longer one there, so it sorts first, as it should);
// equal prefixes need the full comparison.
uint64_t IdPrefix(std::string_view id) {
  unsigned char b[8] = {};
  if (!id.empty()) std::memcpy(b, id.data(), std::min<size_t>(id.size(), 8));
  uint64_t p = 0;
  for (unsigned char c : b) p = (p << 8) | c;
  return p;
}

}  // namespace

std::optional<MemtableKind> MemtableKindFromName(std::string_view name) {
  if (name == "btree") return MemtableKind::kBTree;
  if (name == "hash") return MemtableKind::kHash;
  return std::nullopt;
}

const char* MemtableKindName(MemtableKind kind) {
  switch (kind) {
    case MemtableKind::kBTree:
      return "btree";
    case MemtableKind::kHash:
      return "hash";
  }
  return "btree";
}

std::string_view Memtable::IdArena::Copy(std::string_view id) {
  if (id.empty()) return {};
  char* dst;
  if (id.size() > kBlockBytes / 4) {
    large_.push_back(std::make_unique<char[]>(id.size()));
    dst = large_.back().get();
  } else {
    if (kBlockBytes - used_ < id.size()) {
      blocks_.push_back(std::make_unique<char[]>(kBlockBytes));
      used_ = 0;
    }
    dst = blocks_.back().get() + used_;
    used_ += id.size();
  }
  std::memcpy(dst, id.data(), id.size());
  return {dst, id.size()};
}

void Memtable::IdArena::DropLast(std::string_view copy) {
  if (copy.empty()) return;
  if (copy.size() > kBlockBytes / 4) {
    large_.pop_back();
  } else {
    used_ -= copy.size();
  }
}

void Memtable::Append(std::string_view id, const float* vec,
                      std::string metadata_json, std::string sparse,
                      uint64_t expires_at, uint64_t version,
                      uint64_t now_micros) {
  const uint32_t row = static_cast<uint32_t>(rows_.size());
  // Copy first and give the bytes back if the id is known: the map is then
  // probed once, and a new entry's key never points at the caller's bytes.
  const std::string_view copy = ids_.Copy(id);
  std::string_view key;
  if (kind_ == MemtableKind::kBTree) {
    auto [it, inserted] = btree_.try_emplace(copy, row);
    if (!inserted) it->second = row;
    key = it->first;
  } else {
    auto [it, inserted] = hash_.try_emplace(copy, row);
    if (!inserted) it->second = row;
    key = it->first;
  }
  if (key.data() != copy.data()) ids_.DropLast(copy);

  vectors_.Append(vec, dim_);
  norms_.push_back(index::Norm(vec, dim_));
  bytes_ += id.size() + metadata_json.size() + sparse.size() +
            dim_ * sizeof(float) + 48;
  rows_.push_back(Row{key, std::move(metadata_json), std::move(sparse), version,
                      expires_at});
  dead_.emplace_back(false);
  live_.fetch_add(1, std::memory_order_relaxed);
  if (oldest_write_micros_ == 0) oldest_write_micros_ = now_micros;
}

std::optional<uint32_t> Memtable::Find(std::string_view id) const {
  if (kind_ == MemtableKind::kBTree) {
    auto it = btree_.find(id);
    if (it == btree_.end()) return std::nullopt;
    return it->second;
  }
  auto it = hash_.find(id);
  if (it == hash_.end()) return std::nullopt;
  return it->second;
}

bool Memtable::Kill(uint32_t row) {
  bool was_dead = dead_[row].exchange(true, std::memory_order_acq_rel);
  if (!was_dead) live_.fetch_sub(1, std::memory_order_relaxed);
  return !was_dead;
}

index::VectorView Memtable::view() const {
  return index::VectorView{vectors_.data(), norms_.data(), rows(), dim_};
}

std::shared_ptr<const Memtable::SortedIds> Memtable::Sorted() const {
  MutexLock lock(&sorted_mu_);
  const uint32_t n = rows();
  if (sorted_ && sorted_rows_ == n) return sorted_;

  auto less = [this](const SortedEntry& a, const SortedEntry& b) {
    if (a.prefix != b.prefix) return a.prefix < b.prefix;
    return rows_[a.row].id < rows_[b.row].id;
  };
  auto out = std::make_shared<SortedIds>();
  if (!sorted_) {
    // First scan: the map holds exactly the newest row of each id.
    out->reserve(hash_.size());
    for (const auto& [key, row] : hash_) {
      out->push_back(SortedEntry{IdPrefix(key), row});
    }
    std::sort(out->begin(), out->end(), less);
  } else {
    // Only rows appended since the last sort are new. An id written again
    // since then appears both in the cache (older row) and here; the newest
    // row wins, the way the map's entry was replaced. The map is never
    // consulted: rows carry their ids, and an id's newest row is its
    // largest.
    SortedIds fresh;
    fresh.reserve(n - sorted_rows_);
    for (uint32_t r = sorted_rows_; r < n; ++r) {
      fresh.push_back(SortedEntry{IdPrefix(rows_[r].id), r});
    }
    std::sort(fresh.begin(), fresh.end(),
              [&](const SortedEntry& a, const SortedEntry& b) {
                if (less(a, b)) return true;
                if (less(b, a)) return false;
                return a.row > b.row;  // newest first within an id
              });
    auto same_id = [&](const SortedEntry& a, const SortedEntry& b) {
      return a.prefix == b.prefix && rows_[a.row].id == rows_[b.row].id;
    };
    fresh.erase(std::unique(fresh.begin(), fresh.end(), same_id), fresh.end());

    const SortedIds& old = *sorted_;
    out->reserve(old.size() + fresh.size());
    size_t i = 0, j = 0;
    while (i < old.size() && j < fresh.size()) {
      if (less(old[i], fresh[j])) {
        out->push_back(old[i++]);
      } else if (less(fresh[j], old[i])) {
        out->push_back(fresh[j++]);
      } else {  // the same id: the fresh row replaced the old one
        out->push_back(fresh[j++]);
        ++i;
      }
    }
    out->insert(out->end(), old.begin() + i, old.end());
    out->insert(out->end(), fresh.begin() + j, fresh.end());
  }
  sorted_ = std::move(out);
  sorted_rows_ = n;
  return sorted_;
}

size_t Memtable::UpperBound(const SortedIds& sorted,
                            std::string_view after) const {
  const uint64_t prefix = IdPrefix(after);
  auto it = std::upper_bound(sorted.begin(), sorted.end(), after,
                             [&](std::string_view key, const SortedEntry& e) {
                               if (prefix != e.prefix) return prefix < e.prefix;
                               return key < rows_[e.row].id;
                             });
  return static_cast<size_t>(it - sorted.begin());
}

uint64_t Memtable::MemoryBytes() const {
  const uint64_t n = rows_.size();
  // bytes_ counts ids, metadata, sparse and vectors plus 48 bytes a row.
  constexpr uint64_t kMapEntry = 32;  // btree or flat hash slot, about
  return bytes_ - 48 * n + rows_.capacity() * sizeof(Row) +
         norms_.capacity() * sizeof(float) + n * (sizeof(bool) + kMapEntry);
}

}  // namespace proximadb
