// Point expiry (docs/API.md, "Expiry"). A point written with an expiry
// time (its own expires_at, or the collection's default_ttl_seconds after
// the write) carries it in its WAL op, memtable row and segment row
// (segment section kExpiry). The collection queues one entry per such
// write; from the expiry time on, the first read or write that comes (or
// the background maintenance, for an idle collection) kills the point's
// live row, as a delete would but without a WAL record: the time is in the
// data, so replay and every replica reach the same answer. Killed rows
// are dropped by the next compaction of their segment, like deleted ones.
#include <algorithm>
#include <functional>

#include "collection/collection_impl.h"

namespace proximadb {

void CollectionImpl::NoteExpiry(uint64_t at, std::string_view id) {
  MutexLock l(&expiry_mu_);
  expiry_heap_.push_back(ExpiryEntry{at, std::string(id)});
  std::push_heap(expiry_heap_.begin(), expiry_heap_.end(), std::greater<>());
  next_expiry_.store(expiry_heap_.front().at, std::memory_order_release);
}

void CollectionImpl::ReapExpired() {
  const uint64_t now = deps_.clock->NowMicros();
  if (now < next_expiry_.load(std::memory_order_acquire)) return;
  ReaderLock lock(&state_mu_);
  ReapExpiredLocked(now);
}

void CollectionImpl::ReapExpiredLocked(uint64_t now) {
  if (now < next_expiry_.load(std::memory_order_acquire)) return;
  // Held while killing, so that a read that finds the heap reaped up to
  // `now` finds the rows dead too.
  MutexLock l(&expiry_mu_);
  uint64_t reaped = 0;
  while (!expiry_heap_.empty() && expiry_heap_.front().at <= now) {
    std::pop_heap(expiry_heap_.begin(), expiry_heap_.end(), std::greater<>());
    const ExpiryEntry e = std::move(expiry_heap_.back());
    expiry_heap_.pop_back();
    const Location loc = LocateLocked(e.id);
    if (!loc.live) continue;
    const uint64_t at = ExpiresAtLocked(loc);
    if (at == 0 || at > now) continue;  // rewritten since: its own entry
    // Dead flags and bitmaps are atomic: a shared lock suffices, as for
    // the kills a flush reconciles (collection_flush.cc).
    const bool killed = loc.kind == Location::kSegment ? loc.seg->Kill(loc.row)
                                                       : loc.mem->Kill(loc.row);
    reaped += killed;
  }
  next_expiry_.store(
      expiry_heap_.empty() ? UINT64_MAX : expiry_heap_.front().at,
      std::memory_order_release);
  if (reaped != 0) expired_points_.fetch_add(reaped, std::memory_order_relaxed);
}

void CollectionImpl::NoteSegmentExpiriesLocked() {
  for (const auto& s : segments_) {
    const segment::Segment& seg = *s->seg;
    for (size_t r = 0; r < seg.size(); ++r) {
      const uint64_t at = seg.expires_at(r);
      if (at != 0 && !s->dead(r)) NoteExpiry(at, seg.id(r));
    }
  }
}

uint64_t CollectionImpl::ExpiresAtLocked(const Location& loc) const {
  if (loc.kind == Location::kSegment) return loc.seg->seg->expires_at(loc.row);
  return loc.mem->expires_at(loc.row);
}

}  // namespace proximadb
