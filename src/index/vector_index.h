// The index interface every search source plugs into: the memtable and each
// immutable segment own one VectorIndex; a collection search fans out over
// them and merges. The flat (exact) index is one implementation; the
// HNSW graph (hnsw/hnsw_index.h) is the other, behind the same interface.
#pragma once

#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "index/top_k.h"
#include "proximadb/types.h"

namespace proximadb::index {

struct Candidate {
  uint32_t row;
  float distance;  // internal distance, smaller is better
};

// Work counters, summed into SearchStats for stats and explain output.
struct SearchCounters {
  uint64_t distances_computed = 0;
  uint64_t points_scanned = 0;
  uint64_t nodes_visited = 0;  // graph nodes whose neighbour lists were read
  // IVF partitions skipped because their column statistics rule the filter
  // out (SearchParams::partition_mask).
  uint64_t partitions_pruned = 0;
};

// Row acceptance: liveness and the metadata filter. Called only for rows that
// would enter the result, so an expensive filter costs little.
using RowFilter = std::function<bool(uint32_t row)>;

// Asks a long index build to stop: polled between rows (HnswIndex::Build)
// or phases (IvfIndex::Build); once it returns true the build ends with
// Status::Unavailable and nothing is built. Empty: the build runs to its end.
// A segment compacted away or a collection closing has no use for the index
// a 1M-row build would deliver minutes later (946k rows at 768-d: 182 s on
// 2 cores, docs/BENCHMARKS.md "Ten minutes at 768-d").
using BuildStop = std::function<bool()>;

// Where an index reads vectors from: a segment's mmap or the memtable arena.
struct VectorView {
  const float* data = nullptr;   // rows * dim floats, row-major
  const float* norms = nullptr;  // rows floats (L2 norm of each row)
  uint32_t rows = 0;
  uint32_t dim = 0;
};

struct SearchParams {
  const float* query = nullptr;
  float query_norm = 0;
  uint32_t k = 10;
  uint32_t ef_search = 0;  // 0: the index's default
  uint32_t nprobe = 0;     // IVF partitions to probe; 0: the index's default
  bool exact = false;      // graph indexes fall back to a scan
  // IVF: when set, one byte per partition, 0 for a partition no accepted
  // row can be in (its column statistics rule the filter out): it is never
  // probed, and nprobe counts the others.
  const std::vector<uint8_t>* partition_mask = nullptr;
  // The accept filter costs little next to a distance (it reads typed
  // columns, not JSON). IVF then tests it before scoring a row, and probes
  // past nprobe until nprobe partitions holding accepted rows were probed
  // and enough accepted rows were scored (a share of what the unfiltered
  // probe scores: IvfIndex::AcceptedRowsToScore, or at most
  // IvfIndex::kMaxProbeFactor times nprobe partitions): a filter away from
  // the query (whose nearest partitions hold few accepted rows) still
  // scores enough of them.
  bool accept_cheap = false;
};

class VectorIndex {
 public:
  VectorIndex() = default;
  VectorIndex(const VectorIndex&) = delete;
  VectorIndex& operator=(const VectorIndex&) = delete;
  virtual ~VectorIndex() = default;

  // Appends to *out up to k accepted rows, best first. `accept` may be empty
  // (accept everything). Thread-safe for concurrent searches.
  virtual void Search(const SearchParams& params, const RowFilter& accept,
                      std::vector<Candidate>* out,
                      SearchCounters* counters) const = 0;
  // True when a search scans a quantized code of every row instead of
  // walking a graph (a codes-only HnswIndex): its cost does not shrink with
  // a filter's selectivity, and it sees every accepted row.
  virtual bool scans_codes() const { return false; }
  // True for an IVF index (ivf/ivf_index.h): a search probes the partitions
  // nearest the query (SearchParams::nprobe).
  virtual bool probes_partitions() const { return false; }
  // Process memory it holds of its own (not a view of another's vectors,
  // not the page cache of a mmapped file): what the memory budget counts.
  virtual size_t HeapBytes() const { return 0; }
};

// Ranks candidates: the smaller distance first, ties by row so that results
// are deterministic.
struct CandidateBefore {
  bool operator()(const Candidate& a, const Candidate& b) const {
    return a.distance < b.distance ||
           (a.distance == b.distance && a.row < b.row);
  }
};

// Keeps the k nearest candidates seen (top_k.h).
class TopK : public BestK<Candidate, CandidateBefore> {
 public:
  explicit TopK(uint32_t k) : BestK(k) {}
  // The distance a candidate must beat to enter (infinity when not full).
  float threshold() const {
    return full() && size() > 0 ? worst().distance
                                : std::numeric_limits<float>::infinity();
  }
};

}  // namespace proximadb::index
