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

static_assert(kMemoryComponents[0] == &MemoryUsage::memtables,
              "SetMemtables sets part 0, SetSegments the others");

void MemoryReporter::Set(size_t first, size_t end, const MemoryUsage& usage) {
  MemoryUsage before, after;
  for (size_t i = first; i < end; ++i) {
    after.*kMemoryComponents[i] = usage.*kMemoryComponents[i];
    before.*kMemoryComponents[i] =
        parts_[i].exchange(after.*kMemoryComponents[i]);
  }
  if (budget_ != nullptr && before != after) budget_->Add(before, after);
}

void MemoryReporter::SetMemtables(uint64_t bytes) {
  MemoryUsage u;
  u.memtables = bytes;
  Set(0, 1, u);
}

void MemoryReporter::SetSegments(const MemoryUsage& usage) {
  Set(1, MemoryBudget::kParts, usage);
}

MemoryUsage MemoryReporter::reported() const {
  MemoryUsage out;
  for (size_t i = 0; i < MemoryBudget::kParts; ++i) {
    out.*kMemoryComponents[i] = parts_[i].load();
  }
  return out;
}

void MemoryReporter::Clear() {
  SetMemtables(0);
  SetSegments(MemoryUsage{});
}

}  // namespace proximadb
