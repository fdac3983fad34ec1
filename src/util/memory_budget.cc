#include "util/memory_budget.h"

namespace proximadb {

namespace {

std::string MiB(uint64_t bytes) {
  return std::to_string((bytes + (1 << 19)) >> 20) + " MiB";
}

}  // namespace

void MemoryBudget::Add(const MemoryUsage& before, const MemoryUsage& after) {
  for (size_t i = 0; i < kParts; ++i) {
    const int64_t d = static_cast<int64_t>(after.*kMemoryComponents[i]) -
                      static_cast<int64_t>(before.*kMemoryComponents[i]);
    if (d != 0) parts_[i].fetch_add(d, std::memory_order_relaxed);
  }
}

MemoryUsage MemoryBudget::used() const {
  MemoryUsage out;
  for (size_t i = 0; i < kParts; ++i) {
    const int64_t v = parts_[i].load(std::memory_order_relaxed);
    out.*kMemoryComponents[i] = v > 0 ? static_cast<uint64_t>(v) : 0;
  }
  return out;
}

uint64_t MemoryBudget::total() const { return used().total(); }

Status MemoryBudget::Admit(uint64_t bytes, const std::string& collection) {
  if (limit_ == 0) return Status::OK();
  const MemoryUsage u = used();
  const uint64_t total = u.total();
  if (total >= limit_ / 2) {
    MutexLock lock(&pressure_mu_);
    if (on_pressure_) on_pressure_();
  }
  if (total + bytes <= limit_) return Status::OK();
  std::string parts;
  for (size_t i = 0; i < kParts; ++i) {
    parts += (i ? ", " : "") + std::string(kMemoryComponentNames[i]) + " " +
             MiB(u.*kMemoryComponents[i]);
  }
  const bool flushing_helps = u.memtables >= bytes;
  return Status::Unavailable(
      "write to collection '" + collection + "' refused: the memory budget " +
      "([storage] memory_limit_mb = " + std::to_string(limit_ >> 20) +
      ") is taken (" + MiB(total) + ": " + parts + ")" +
      (flushing_helps
           ? "; writes resume as flushes free memtables: retry"
           : "; the memtables are nearly empty, so flushing cannot make "
             "room: raise the budget, or hold less in memory (quantized or "
             "viper collections, fewer payload indexes)"));
}

void MemoryReporter::SetMemtables(uint64_t bytes) {
  const uint64_t before = memtables_.exchange(bytes);
  if (budget_ == nullptr || before == bytes) return;
  MemoryUsage a, b;
  a.memtables = before;
  b.memtables = bytes;
  budget_->Add(a, b);
}

void MemoryReporter::SetSegments(const MemoryUsage& usage) {
  MemoryUsage before, after = usage;
  after.memtables = 0;
  before.graphs = graphs_.exchange(after.graphs);
  before.payload_indexes = payload_.exchange(after.payload_indexes);
  before.unpacked_segments = unpacked_.exchange(after.unpacked_segments);
  if (budget_ != nullptr) budget_->Add(before, after);
}

MemoryUsage MemoryReporter::reported() const {
  MemoryUsage out;
  out.memtables = memtables_.load();
  out.graphs = graphs_.load();
  out.payload_indexes = payload_.load();
  out.unpacked_segments = unpacked_.load();
  return out;
}

void MemoryReporter::Clear() {
  SetMemtables(0);
  SetSegments(MemoryUsage{});
}

}  // namespace proximadb
