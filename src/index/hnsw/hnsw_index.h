// HNSW graph index (Malkov & Yashunin) over rows of a VectorView. The graph
// refers to rows; the vectors stay where they are (a segment's mmap or the
// memtable arena). Level 0 is one fixed-stride block of neighbour lists
// indexed by row ([count, id0, id1, ...], 1 + 2m uint32 per row), so walking
// it touches one cache-line group per node; upper levels are short lists for
// the few rows (1/m of them) that reach level 1 or above.
//
// Thread-safety: Search is safe from any number of threads. Add is safe
// against other Add and Search calls (short per-node lock stripes, never
// nested; readers take no lock and read list words with acquire loads, so
// a reader sees either the old or the new list). Save must not run
// concurrently with Add. A loaded (memory-mapped) index is read-only.
//
// File format ("PDBHNSW1"): see hnsw/hnsw_format.h.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "index/hnsw/hnsw_params.h"
#include "index/hnsw/visited_pool.h"
#include "index/quant/binary_quantizer.h"
#include "index/quant/product_quantizer.h"
#include "index/quant/scalar_quantizer.h"
#include "index/vector_index.h"
#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "util/mutex.h"

namespace proximadb::index {

namespace hnsw {
struct FloatDist;  // hnsw/distances.h
}  // namespace hnsw

class HnswIndex final : public VectorIndex {
 public:
  // An empty graph that can take rows [0, capacity) of `view` through Add.
  // With int8, binary or pq quantization the quantizer is trained on the rows
  // the view holds now (there must be some).
  static Result<std::unique_ptr<HnswIndex>> Create(VectorView view,
                                                   Metric metric,
                                                   const HnswParams& params,
                                                   uint32_t capacity);
  // The whole view (a flushed segment), inserted by `threads` threads;
  // Unavailable once `stop` says so (each thread polls it before each row).
  static Result<std::unique_ptr<HnswIndex>> Build(VectorView view,
                                                  Metric metric,
                                                  const HnswParams& params,
                                                  uint32_t threads,
                                                  const BuildStop& stop = {});
  // Serves a file written by Save from Env::MapFile, without a rebuild.
  // Every byte is checked: a damaged file is Status::Corruption. `view` must
  // have the file's dimension and at least its row count.
  static Result<std::unique_ptr<HnswIndex>> Load(Env* env,
                                                 const std::string& path,
                                                 VectorView view,
                                                 Metric metric);

  ~HnswIndex() override;

  // Inserts `row` (< capacity, < view.rows). AlreadyExists if it was added;
  // FailedPrecondition on a loaded index.
  Status Add(uint32_t row);

  // Writes path.tmp, fsyncs, renames over path, fsyncs the parent directory.
  Status Save(Env* env, const std::string& path) const;

  void Search(const SearchParams& params, const RowFilter& accept,
              std::vector<Candidate>* out,
              SearchCounters* counters) const override;
  bool scans_codes() const override { return codes_only(); }

  const HnswParams& params() const { return params_; }
  Metric metric() const { return metric_; }
  uint32_t capacity() const { return capacity_; }
  // Rows inserted so far.
  uint32_t size() const { return size_.load(std::memory_order_relaxed); }
  // Bytes of RAM held by the graph and the codes (not the view's vectors,
  // nor the per-search scratch). For a loaded index, bytes of the mapping.
  size_t MemoryUsage() const;
  // Loaded from a file (mmapped): the pointer table only; built here: all.
  size_t HeapBytes() const override;
  // Highest level of the graph (-1 when empty, and always when codes only).
  int max_level() const;
  // No graph, only codes (m 0; HnswParams::m).
  bool codes_only() const { return params_.m == 0; }

  // Build links euclidean graphs of at least this many dimensions on int8
  // codes (temporary ones for a float graph): see Build.
  // (Below it a float row is a cache line or two: codes save little.)
  static constexpr uint32_t kMinBuildCodesDim = 32;
  // Linking on codes: the best kRescoredForLinks * m candidates of each
  // insertion walk are re-scored on floats before the heuristic picks.
  // Measured (bench/ann_bench, 2 threads): Fashion-MNIST float build 13.0 s
  // on floats, 6.2 s on codes alone, 7.2 s with this re-score, 9.6 s
  // re-scoring all ef_construction; the re-score keeps the synthetic
  // 100k x 128 recall curve of the float build, codes alone lose ~0.005.
  static constexpr uint32_t kRescoredForLinks = 4;

 private:
  friend class HnswFile;
  HnswIndex(VectorView view, Metric metric, const HnswParams& params,
            uint32_t capacity);
  // Create, with int8 codes also for a float graph when build_codes (Build
  // links on them and drops them).
  static Result<std::unique_ptr<HnswIndex>> CreateImpl(VectorView view,
                                                       Metric metric,
                                                       const HnswParams& params,
                                                       uint32_t capacity,
                                                       bool build_codes);

  // Internals: storage accessors, insertion and search (hnsw_index.cc,
  // hnsw_search.cc).
  uint32_t* MutList0(uint32_t row) const {
    return level0_ + size_t(row) * stride0_;
  }
  const uint32_t* List(uint32_t row, int level) const;
  uint32_t* MutList(uint32_t row, int level) const;
  int LevelOf(uint32_t row) const {
    return __atomic_load_n(&levels_[row], __ATOMIC_ACQUIRE);
  }
  int RandomLevel(uint32_t row) const;
  Mutex& LockFor(uint32_t row) const { return locks_[row & lock_mask_]; }
  uint32_t Cap(int level) const { return level == 0 ? max_m0_ : params_.m; }
  float RowDistance(uint32_t a, uint32_t b) const;
  void SelectNeighbors(uint32_t base, std::vector<hnsw::Neighbor>* cands,
                       uint32_t limit) const;
  void SetOwnList(uint32_t row, int level,
                  const std::vector<hnsw::Neighbor>& chosen);
  void LinkBack(uint32_t to, uint32_t from, int level, float dist);
  void EncodeRow(uint32_t row);
  template <typename Dist>
  void Insert(const Dist& dist, const hnsw::FloatDist* exact, uint32_t row,
              int level, uint64_t entry);

  template <typename Dist>
  uint32_t Greedy(const Dist& dist, uint32_t cur, float* cur_dist, int top,
                  int bottom, SearchCounters* counters) const;
  // The beam search on codes, then the float re-score of the best `keep`.
  template <typename Dist>
  std::vector<hnsw::Neighbor> SearchCodes(const Dist& cdist,
                                          const hnsw::FloatDist& fdist,
                                          uint32_t entry, int top, uint32_t ef,
                                          size_t keep, const RowFilter* filter,
                                          hnsw::SearchScratch* scratch,
                                          SearchCounters* counters) const;
  template <typename Dist>
  void SearchLevel(const Dist& dist, uint32_t entry, float entry_dist,
                   uint32_t ef, int level, const RowFilter* accept,
                   hnsw::SearchScratch* scratch,
                   SearchCounters* counters) const;
  void ScanSearch(const SearchParams& p, const RowFilter& accept,
                  std::vector<Candidate>* out, SearchCounters* c) const;
  // Codes only (m 0): every inserted row's code, the best `keep` accepted
  // ones re-scored on floats, best first.
  template <typename Dist>
  std::vector<hnsw::Neighbor> ScanCodes(const Dist& cdist,
                                        const hnsw::FloatDist& fdist,
                                        size_t keep, const RowFilter* filter,
                                        SearchCounters* counters) const;

  VectorView view_;
  Metric metric_;
  HnswParams params_;
  uint32_t capacity_;
  uint32_t dim_;
  uint32_t max_m0_;
  size_t stride0_;  // uint32 words per level-0 list
  size_t strideU_;  // uint32 words per upper-level list
  double level_mult_;
  float mips_m2_ = 0;  // dot product: largest squared norm seen at Create

  // Level 0 and levels: owned buffers, or pointers into the mapped file.
  std::vector<uint32_t> level0_owned_;
  std::vector<int8_t> levels_owned_;
  uint32_t* level0_ = nullptr;
  int8_t* levels_ = nullptr;
  // Upper levels while mutable: one allocation per row with level >= 1,
  // published through upper_ptr_ (atomic loads/stores).
  std::vector<std::unique_ptr<uint32_t[]>> upper_owned_;
  std::vector<uint32_t*> upper_ptr_;
  // Upper levels when mapped: offsets (in words) into one array.
  const uint32_t* upper_off_ = nullptr;
  const uint32_t* upper_data_ = nullptr;
  std::unique_ptr<MappedFile> file_;

  // int8 codes (row-major, dim bytes per row) or binary codes (bq_.words()
  // words per row), and the per-row terms of either quantizer.
  quant::ScalarQuantizer sq_;
  quant::BinaryQuantizer bq_;
  std::vector<uint8_t> codes_owned_;
  std::vector<uint64_t> bits_owned_;
  std::vector<uint8_t> centroid_of_owned_;  // binary, pq: each row's centroid
  std::vector<float> terms_owned_;
  const uint8_t* codes_ = nullptr;
  const uint64_t* bits_ = nullptr;
  // pq codes (pq_.subspaces() bytes per row); its coarse centroid numbers
  // and row terms are centroid_of_ and terms_, as for binary.
  quant::ProductQuantizer pq_;
  std::vector<uint8_t> pq_codes_owned_;
  const uint8_t* pq_codes_ = nullptr;
  const uint8_t* centroid_of_ = nullptr;
  const float* terms_ = nullptr;

  // (max_level + 1) << 32 | entry row; 0 while empty.
  std::atomic<uint64_t> entry_{0};
  Mutex entry_mu_;  // serialises raising the top level
  std::atomic<uint32_t> size_{0};
  // Striped over rows: a writer of row r's neighbour lists holds
  // LockFor(r); searches read the list words atomically without it. Not
  // expressible as GUARDED_BY (the lists are rows of raw words), so this
  // one is unchecked by the analysis.
  std::unique_ptr<Mutex[]> locks_;
  uint32_t lock_mask_ = 0;
  mutable hnsw::ScratchPool pool_;
};

}  // namespace proximadb::index
