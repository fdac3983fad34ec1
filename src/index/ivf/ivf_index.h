// Inverted-file index (IVF) over the rows of a VectorView: the rows are
// clustered into `nlist` partitions by k-means at build time, and a search
// scores only the rows of the `nprobe` partitions whose centroids are nearest
// the query. Building it is a few k-means rounds and one assignment pass,
// far cheaper than inserting every row into an HNSW graph: it is the index
// of segments written for ingest speed (storage strategy "custom" with
// index kind "ivf"; docs/API.md, "Storage strategies").
//
// With a quantization the partitions hold codes of their rows in partition
// order, so a probe reads one contiguous run of codes: 8-bit codes
// (quant::ScalarQuantizer, int8), 1 bit per dimension of rotated residuals
// (quant::BinaryQuantizer, binary) or product-quantization bytes
// (quant::ProductQuantizer, pq). The best rerank_factor * k (at least
// kMinRescored) code-space candidates are re-scored on the float vectors;
// the coarser the codes, the larger the kind's default factor
// (DefaultRerankFactor). Without quantization the probed rows are scored on
// the floats of the view directly.
//
// Thread-safety: immutable after Build / Load; Search is safe from any
// number of threads.
//
// File format ("PDBIVF01"): docs/FORMATS.md, "IVF sidecar".
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>
#include <vector>

#include "index/hnsw/distances.h"
#include "index/hnsw/hnsw_params.h"
#include "index/ivf/partition_columns.h"
#include "index/ivf/row_columns.h"
#include "index/quant/binary_quantizer.h"
#include "index/quant/product_quantizer.h"
#include "index/quant/scalar_quantizer.h"
#include "index/vector_index.h"
#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::index {

struct IvfParams {
  // Partitions; 0 picks DefaultNlist(rows). Clamped to the row count.
  uint32_t nlist = 0;
  // Partitions probed by a search that does not set its own; 0 picks
  // DefaultNprobe(nlist).
  uint32_t nprobe = 0;
  // Score the probed rows on codes of this kind (kNone: on the floats),
  // then re-score on floats.
  Quantization quantization = Quantization::kNone;
  // With codes: the best rerank_factor * k code-space candidates (at least
  // kMinRescored) are re-scored on the floats; 0 picks
  // DefaultRerankFactor(quantization).
  uint32_t rerank_factor = 0;
};

class IvfIndex final : public VectorIndex {
 public:
  // Most partitions an index has (and nprobe may ask for).
  static constexpr uint32_t kMaxNlist = 65536;
  // Fewest code-space candidates an int8 search re-scores.
  static constexpr uint32_t kMinRescored = 32;
  // Rows k-means trains on at most per partition (an even stride through
  // the view when it has more): the centroids of a sample of 64 rows per
  // partition are as good for probing as those of every row (FAISS
  // recommends 30..256) at a fraction of the cost.
  static constexpr uint32_t kTrainRowsPerList = 64;
  static constexpr int kTrainRounds = 8;
  // AcceptedRowsToScore's share of the unfiltered probe's rows. Measured
  // on Fashion-MNIST with class filters (docs/BENCHMARKS.md, "viper:
  // filterable columns"): a filter's accepted rows scored nearest-first
  // reach recall@10 >= 0.98 at a quarter (0.96 at an eighth; the whole
  // count gave 0.999 at half the QPS).
  static constexpr uint32_t kAcceptedShare = 4;
  // The counting probe's bound: once k accepted rows were found in nprobe
  // partitions that hold some, and the nearest nprobe partitions held
  // accepted rows at least half as densely as the whole probe so far (the
  // filter is not away from the query), it stops after kMaxProbeFactor *
  // nprobe partitions even short of AcceptedRowsToScore. A filter
  // independent of the vectors that passes a fraction s of the rows would
  // otherwise probe 1 / (kAcceptedShare * s) times nprobe partitions (10x
  // at s = 2.5 %), testing every row of them, where its true top k lie
  // among the nearest k / s rows, which a few times nprobe partitions hold.
  // A filter away from the query keeps the AcceptedRowsToScore rule (a cap
  // alone cut recall for another class than the query's from 0.98 to
  // 0.96; docs/BENCHMARKS.md, "viper: filterable columns").
  static constexpr uint32_t kMaxProbeFactor = 4;

  // sqrt(rows) partitions, rounded (at least 1): the classic IVF choice,
  // each partition then holds about sqrt(rows) rows.
  static uint32_t DefaultNlist(uint32_t rows);
  // The partitions Build makes for `rows` rows given IvfParams::nlist
  // (0: DefaultNlist), capped by the rows and kMaxNlist.
  static uint32_t NlistFor(uint32_t configured, uint32_t rows);
  // The default probe count for nlist partitions: nlist / 16, at least 8
  // (recall@10 >= 0.99 on Fashion-MNIST and synthetic clustered 128-d data;
  // docs/BENCHMARKS.md, "IVF segments").
  static uint32_t DefaultNprobe(uint32_t nlist);
  // Code-space candidates re-scored per result for a quantization kind:
  // int8 4, pq 8, binary 32 (recall@10 of the re-scored probe within 0.01
  // of the float probe's on Fashion-MNIST and synthetic clustered data;
  // docs/BENCHMARKS.md, "IVF segments").
  static uint32_t DefaultRerankFactor(Quantization q);

  // Clusters every row of `view` (which must have some), using `threads`
  // threads for the assignment passes. Deterministic for a given view.
  // Unavailable once `stop` says so (polled between the phases: training,
  // assignment, encoding).
  static Result<std::unique_ptr<IvfIndex>> Build(VectorView view, Metric metric,
                                                 const IvfParams& params,
                                                 uint32_t threads,
                                                 const BuildStop& stop = {});
  // Reads a file written by Save; every byte is checked (crc32c): a damaged
  // file is Status::Corruption. `view` must have the file's dimension and
  // row count.
  static Result<std::unique_ptr<IvfIndex>> Load(Env* env,
                                                const std::string& path,
                                                VectorView view, Metric metric);
  // Writes path atomically (temporary file, fsync, rename, fsync of the
  // directory).
  Status Save(Env* env, const std::string& path) const;

  void Search(const SearchParams& params, const RowFilter& accept,
              std::vector<Candidate>* out,
              SearchCounters* counters) const override;
  bool probes_partitions() const override { return true; }

  // With a cheap filter (SearchParams::accept_cheap), the accepted rows a
  // search scores before it may stop probing: a kAcceptedShare-th of what
  // `nprobe` (0: the default) partitions of average size hold, that is of
  // what the unfiltered probe scores.
  uint64_t AcceptedRowsToScore(uint32_t nprobe) const {
    const uint32_t want = nprobe != 0 ? nprobe : nprobe_;
    return nlist_ == 0 ? 0
                       : uint64_t(want) * view_.rows / nlist_ / kAcceptedShare;
  }
  uint32_t nlist() const { return nlist_; }
  uint32_t nprobe() const { return nprobe_; }
  Quantization quantization() const { return quantization_; }
  uint32_t rerank_factor() const { return rerank_factor_; }
  uint32_t rows() const { return view_.rows; }
  // Rows in partition p.
  uint32_t list_size(uint32_t p) const { return offsets_[p + 1] - offsets_[p]; }
  // The rows of partition p, ascending.
  std::span<const uint32_t> partition_rows(uint32_t p) const {
    return {order_.data() + offsets_[p], list_size(p)};
  }
  // The collection's filterable columns: their statistics per partition
  // and their typed values per row, saved in the file (version 3; version 2
  // files have statistics only). Null when the index has none. Set before
  // Save and before the index is shared; `rows` needs `stats`.
  void set_columns(std::shared_ptr<const PartitionColumns> stats,
                   std::shared_ptr<const RowColumns> rows) {
    columns_ = std::move(stats);
    row_columns_ = std::move(rows);
  }
  const PartitionColumns* columns() const { return columns_.get(); }
  const RowColumns* row_columns() const { return row_columns_.get(); }
  // Bytes of RAM held (centroids, lists, codes and quantizers), not the
  // view's vectors.
  size_t MemoryUsage() const;
  size_t HeapBytes() const override { return MemoryUsage(); }

 private:
  IvfIndex(VectorView view, Metric metric) : view_(view), metric_(metric) {}
  // (distance, partition) from the query to every centroid (of those
  // `mask` allows, when set), the nearest `nprobe` first and in order (the
  // rest unordered).
  std::vector<std::pair<float, uint32_t>> Probe(
      const float* q, uint32_t nprobe, const std::vector<uint8_t>* mask) const;
  // The centroid space: cosine clusters the unit rows.
  void ToCentroidSpace(const float* x, float norm, float* out) const;
  // Trains the quantizer on the view and codes every row, in order_'s
  // order.
  Status EncodeRows(uint32_t threads);
  // The probe on codes: the best max(k * rerank_factor_, kMinRescored)
  // positions by `cdist` (a distance over positions in order_), re-scored
  // on the floats into `top`. `probe_more(i, found)` says whether the i-th
  // partition of `lists` is probed; `scan(pos)` says whether a position is
  // scored at all (the counting probe skips rows its filter refuses),
  // `keep(pos)` whether a scored one may enter the shortlist.
  template <typename Dist, typename More, typename Scan, typename Keep>
  void ProbeCodes(const Dist& cdist, const hnsw::FloatDist& fd,
                  const std::vector<std::pair<float, uint32_t>>& lists,
                  uint32_t k, const More& probe_more, const Scan& scan,
                  const Keep& keep, TopK* top, uint64_t* scored,
                  uint64_t* examined, uint32_t* holding,
                  SearchCounters* counters) const;

  VectorView view_;
  Metric metric_;
  uint32_t nlist_ = 0;
  uint32_t nprobe_ = 0;
  Quantization quantization_ = Quantization::kNone;
  uint32_t rerank_factor_ = 4;
  std::vector<float> centroids_;   // nlist * dim
  std::vector<uint32_t> offsets_;  // nlist + 1: partition p is
                                   // order_[offsets_[p], offsets_[p + 1])
  std::vector<uint32_t> order_;    // rows, partition after partition
  // With codes, in order_'s order: the code rows (int8: dim bytes; binary:
  // bq_.words() words; pq: pq_.subspaces() bytes), the row term of each
  // (int8: RowTerm; binary, pq: 2 <c, r^> + |r^|^2), the coarse centroid
  // number of each (binary, pq) and the float norm of each.
  quant::ScalarQuantizer sq_;
  quant::BinaryQuantizer bq_;
  quant::ProductQuantizer pq_;
  std::vector<uint8_t> codes_;  // int8 and pq
  std::vector<uint64_t> bits_;  // binary
  std::vector<uint8_t> centroid_of_;
  std::vector<float> terms_;
  std::vector<float> norms_;
  std::shared_ptr<const PartitionColumns> columns_;
  std::shared_ptr<const RowColumns> row_columns_;
};

}  // namespace proximadb::index
