#include "collection/memtable.h"

#include "index/distance.h"

namespace proximadb {

void Memtable::Append(std::string_view id, const float* vec,
                      std::string metadata_json, std::string sparse,
                      uint64_t expires_at, uint64_t version,
                      uint64_t now_micros) {
  auto [it, inserted] = map_.try_emplace(std::string(id), 0);
  uint32_t row = static_cast<uint32_t>(rows_.size());
  it->second = row;
  vectors_.Append(vec, dim_);
  norms_.push_back(index::Norm(vec, dim_));
  bytes_ += id.size() + metadata_json.size() + sparse.size() +
            dim_ * sizeof(float) + 48;
  rows_.push_back(Row{&it->first, std::move(metadata_json), std::move(sparse),
                      version, expires_at});
  dead_.emplace_back(false);
  live_.fetch_add(1, std::memory_order_relaxed);
  if (oldest_write_micros_ == 0) oldest_write_micros_ = now_micros;
}

std::optional<uint32_t> Memtable::Find(std::string_view id) const {
  auto it = map_.find(id);
  if (it == map_.end()) return std::nullopt;
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

}  // namespace proximadb
