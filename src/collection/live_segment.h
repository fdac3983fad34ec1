// An immutable segment as a collection serves it: the mmapped file plus its
// current deletion bitmap (which, unlike the file, changes as newer writes
// overwrite or delete its points; it is persisted in the catalog at every
// flush and compaction).
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "collection/atomic_bitmap.h"
#include "collection/payload_index.h"
#include "index/flat_index.h"
#include "storage/catalog/catalog.h"
#include "storage/object/object_cache.h"
#include "storage/segment/segment.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

// The vectors of a cold segment, served from its entry in the collection's
// object cache (collection_cold.cc): the decoded segment file, mapped, with
// the graph loaded against it. The cache entry stays pinned (its file is
// not evicted) while this lives.
struct ColdVectors {
  ColdVectors(std::shared_ptr<object::ObjectCache> c,
              std::shared_ptr<const object::ObjectCache::Entry> e,
              std::shared_ptr<segment::Segment> f)
      : cache(std::move(c)),
        entry(std::move(e)),
        full(std::move(f)),
        flat(index::VectorView{full->vectors(), full->norms(),
                               static_cast<uint32_t>(full->size()),
                               full->dimension()},
             full->metric()) {}

  // Declared first, destroyed last: the entry is released before the
  // cache can go.
  const std::shared_ptr<object::ObjectCache> cache;
  const std::shared_ptr<const object::ObjectCache::Entry> entry;
  const std::shared_ptr<segment::Segment> full;
  const index::FlatIndex flat;
  // Null for flat collections, and when the graph file is missing (the
  // exact scan serves then).
  std::shared_ptr<const index::VectorIndex> graph;
};

// The HNSW graph of one named vector over a segment
// (collection_named_graph.cc): the segment's vectors under the name,
// gathered from the point vectors blobs into one array (for a multivector
// name every row of every matrix), and the graph over that array. Held in
// RAM only: rebuilt in the background when the segment is opened.
struct NamedGraph {
  std::vector<float> vectors;    // graph row after graph row, dim floats each
  std::vector<float> norms;      // L2 norm of each graph row
  std::vector<uint32_t> row_of;  // graph row -> segment row (ascending)
  // Declared after the vectors it reads, so destroyed before them.
  std::shared_ptr<const index::VectorIndex> graph;
  size_t bytes = 0;  // RAM of all of the above
};
using NamedGraphs =
    std::map<std::string, std::shared_ptr<const NamedGraph>, std::less<>>;

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
  // A cold segment: `seg` is its local stub (no vectors; ColdVectors has
  // them).
  bool cold() const { return placement.tier == Tier::kCold; }
  // Bytes it takes in its tier: the segment file, or the cold object.
  uint64_t bytes() const {
    return cold() ? placement.object_size : seg->file_bytes();
  }
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
  // The named vectors' graphs built so far (null or without a name until
  // then, and for names indexed "flat"); searches scan meanwhile.
  std::shared_ptr<const NamedGraphs> named_graphs() const {
    return std::atomic_load(&named_graphs_);
  }
  std::shared_ptr<const NamedGraph> named_graph(std::string_view name) const {
    std::shared_ptr<const NamedGraphs> all = named_graphs();
    if (!all) return nullptr;
    auto it = all->find(name);
    return it == all->end() ? nullptr : it->second;
  }
  void set_named_graphs(std::shared_ptr<const NamedGraphs> g) {
    std::atomic_store(&named_graphs_, std::move(g));
  }
  // Sidecar file holding the graph: seg-<id>.hnsw beside seg-<id>.pdb (or
  // the stub seg-<id>.stub).
  std::string graph_path() const { return stem() + ".hnsw"; }

  // The payload indexes (null until built or loaded, and when the
  // collection has none); the planner reads metadata meanwhile.
  std::shared_ptr<const SegmentPayloadIndex> payload() const {
    return std::atomic_load(&payload_);
  }
  void set_payload(std::shared_ptr<const SegmentPayloadIndex> p) {
    std::atomic_store(&payload_, std::move(p));
  }
  // Sidecar file holding them: seg-<id>.pidx.
  std::string payload_path() const { return stem() + ".pidx"; }
  // The path without its extension.
  std::string stem() const {
    const std::string& p = seg->path();
    return p.substr(0, p.rfind('.'));
  }

  // A cold segment's vectors while some search holds them, or kept
  // resident by the collection (collection_cold.cc).
  std::shared_ptr<const ColdVectors> resident() const EXCLUDES(cold_mu_) {
    MutexLock lock(&cold_mu_);
    return resident_;
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
    retired_now_.store(true, std::memory_order_release);
  }
  // Retired (compacted away, or replaced by a moved copy): an index build
  // for it is wasted work and stops (index::BuildStop).
  bool retired() const { return retired_now_.load(std::memory_order_acquire); }

  std::shared_ptr<segment::Segment> seg;
  // Where its files are, as the catalog records it.
  const catalog::Placement placement;
  // SegmentRecord::newest_write_unix_ms; set before it is published.
  uint64_t newest_write_unix_ms = 0;
  AtomicBitmap deleted;
  std::atomic<bool> dirty{false};
  // A background build of its index is queued or running
  // (CollectionImpl::ScheduleGraphBuild): a migration waits for it rather
  // than building the same index twice.
  std::atomic<bool> build_queued{false};
  // The adaptive rule's calibration kept this segment's IVF index (its
  // graph lost: CollectionImpl::ScheduleAdaptiveGraph): not tried again
  // while the process runs.
  std::atomic<bool> adaptive_declined{false};
  index::FlatIndex index;

 private:
  std::shared_ptr<const index::VectorIndex> graph_;
  std::shared_ptr<const NamedGraphs> named_graphs_;
  std::shared_ptr<const SegmentPayloadIndex> payload_;
  friend class CollectionImpl;
  // Serialises loading the cold vectors (one fetch per segment at a time);
  // held during the download, so never taken under state_mu_ or cold_mu_.
  Mutex cold_load_mu_ ACQUIRED_BEFORE(cold_mu_);
  // Guards what is loaded; a leaf, held only to read or swap a pointer.
  mutable Mutex cold_mu_;
  std::shared_ptr<const ColdVectors> resident_ GUARDED_BY(cold_mu_);
  std::weak_ptr<const ColdVectors> in_use_ GUARDED_BY(cold_mu_);
  std::atomic<uint64_t> cold_used_tick_{0};
  Mutex files_mu_;
  bool retired_ GUARDED_BY(files_mu_) = false;
  std::atomic<bool> retired_now_{false};  // retired_, read without the lock
};

}  // namespace proximadb
