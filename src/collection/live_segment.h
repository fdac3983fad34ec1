// An immutable segment as a collection serves it: the mmapped file plus its
// current deletion bitmap (which, unlike the file, changes as newer writes
// overwrite or delete its points; it is persisted in the catalog at every
// flush and compaction).
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "collection/atomic_bitmap.h"
#include "collection/payload_index.h"
#include "index/flat_index.h"
#include "storage/catalog/catalog.h"
#include "storage/segment/segment.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

struct LiveSegment {
  explicit LiveSegment(std::shared_ptr<segment::Segment> s,
                       catalog::Placement where = {})
      : seg(std::move(s)),
        placement(std::move(where)),
        deleted(seg->size()),
        index(index::VectorView{seg->vectors(), seg->norms(),
                                static_cast<uint32_t>(seg->size()),
                                seg->dimension()},
              seg->metric()) {}

  bool dead(size_t row) const { return deleted.Test(row); }
  uint64_t live() const { return seg->size() - deleted.Count(); }
  // Marks row dead; remembers that the catalog copy is stale.
  bool Kill(size_t row) {
    bool newly = deleted.Set(row);
    if (newly) dirty.store(true, std::memory_order_release);
    return newly;
  }

  // The HNSW graph once built or loaded (null until then, and for flat
  // collections); searches fall back to the exact scan meanwhile.
  std::shared_ptr<const index::VectorIndex> graph() const {
    return std::atomic_load(&graph_);
  }
  void set_graph(std::shared_ptr<const index::VectorIndex> g) {
    std::atomic_store(&graph_, std::move(g));
  }
  // Sidecar file holding the graph: seg-<id>.hnsw beside seg-<id>.pdb.
  std::string graph_path() const {
    const std::string& p = seg->path();
    return p.substr(0, p.size() - 4) + ".hnsw";
  }

  // The payload indexes (null until built or loaded, and when the
  // collection has none); the planner reads metadata meanwhile.
  std::shared_ptr<const SegmentPayloadIndex> payload() const {
    return std::atomic_load(&payload_);
  }
  void set_payload(std::shared_ptr<const SegmentPayloadIndex> p) {
    std::atomic_store(&payload_, std::move(p));
  }
  // Sidecar file holding them: seg-<id>.pidx.
  std::string payload_path() const {
    const std::string& p = seg->path();
    return p.substr(0, p.size() - 4) + ".pidx";
  }

  // Writes a sidecar file (graph, payload index) unless the segment was
  // retired: a compaction retires its inputs before deleting their files,
  // so no sidecar is written after them (start-up would find it orphaned).
  template <typename Write>
  Status WriteSidecar(Write&& write) EXCLUDES(files_mu_) {
    MutexLock lock(&files_mu_);
    if (retired_) return Status::OK();
    return write();
  }
  // Waits for a sidecar write in progress.
  void Retire() EXCLUDES(files_mu_) {
    MutexLock lock(&files_mu_);
    retired_ = true;
  }

  std::shared_ptr<segment::Segment> seg;
  // Where its files are, as the catalog records it.
  const catalog::Placement placement;
  // SegmentRecord::newest_write_unix_ms; set before it is published.
  uint64_t newest_write_unix_ms = 0;
  AtomicBitmap deleted;
  std::atomic<bool> dirty{false};
  index::FlatIndex index;

 private:
  std::shared_ptr<const index::VectorIndex> graph_;
  std::shared_ptr<const SegmentPayloadIndex> payload_;
  Mutex files_mu_;
  bool retired_ GUARDED_BY(files_mu_) = false;
};

}  // namespace proximadb
