#include "index/flat_index.h"

#include <algorithm>
#include <limits>

#include "index/distance.h"
#include "index/simd/dispatch.h"

namespace proximadb::index {

namespace {

// Measured on the Zen 4 VM of docs/BENCHMARKS.md (thread CPU time against
// the single-stream read bound): with short rows (128 floats) the batched
// kernels plus prefetching run ~15 % faster than one kernel call per row;
// with long rows (784 floats) reading kBatch rows side by side is ~10 %
// slower than reading one row after another (kBatch interleaved streams
// defeat the hardware prefetcher more than the shared query loads save), so
// long rows go through the single-row kernel in memory order.
constexpr size_t kMaxBatchedRowBytes = 1024;
// How far ahead of the block being scored the batched scan prefetches (best
// of 4-32 KiB measured), into all cache levels (prefetcht0; the
// non-temporal hint was slower).
constexpr size_t kPrefetchAheadBytes = 16384;
constexpr size_t kCacheLine = 64;

// Raw kernel output (squared L2 or inner product) -> internal distance, the
// same expressions as InternalDistance so the results are bit-identical.
inline float ToInternal(Metric m, float raw, float q_norm, float x_norm) {
  switch (m) {
    case Metric::kEuclidean:
      return raw;
    case Metric::kDotProduct:
      return -raw;
    case Metric::kCosine: {
      float denom = q_norm * x_norm;
      return denom > 0 ? 1.0f - raw / denom : 1.0f;
    }
  }
  return 0;
}

// Tiles of the batched scan (FlatScanMany): a tile stays in the core's L1
// data cache while every query of the batch scores it (the queries come
// from L2). Measured with bench/batch_bench (batches of 32, Fashion-MNIST
// and 200k x 128 synthetic): 8-32 KiB tiles within 5 % of each other,
// 64 KiB and 256 KiB 1.3-1.8x slower.
constexpr size_t kScanTileBytes = 32768;

// One query's side of a scan: its k best rows so far and the distance a row
// must beat to enter.
class QueryScan {
 public:
  QueryScan(Metric metric, const SearchParams& p, const RowFilter* accept,
            const float* norms)
      : metric_(metric),
        q_norm_(p.query_norm),
        accept_(accept != nullptr && *accept ? accept : nullptr),
        norms_(norms),
        top_(p.k) {}

  void Consider(uint32_t row, float raw) {
    // Norms are read only for cosine: for the other metrics they would be a
    // second memory stream for nothing (measurably slower).
    const float d =
        metric_ == Metric::kCosine
            ? ToInternal(metric_, raw, q_norm_, norms_ ? norms_[row] : 0.0f)
            : ToInternal(metric_, raw, q_norm_, 0.0f);
    // The k-th best distance so far, cached: most rows fail this compare and
    // never touch the heap or the filter. Infinity until the heap is full,
    // so the full() check only runs for rows that might enter anyway.
    if (!(d < threshold_) && top_.full()) return;
    if (accept_ != nullptr && !(*accept_)(row)) return;
    top_.Push({row, d});
    threshold_ = top_.threshold();
  }

  void AppendTo(std::vector<Candidate>* out) {
    auto best = top_.Take();
    out->insert(out->end(), best.begin(), best.end());
  }

 private:
  Metric metric_;
  float q_norm_;
  const RowFilter* accept_;
  const float* norms_;
  TopK top_;
  float threshold_ = std::numeric_limits<float>::infinity();
};

// Scores rows [from, to) for one query, kBatch rows per kernel call (the
// batched kernels give every row the single-row kernel's exact result);
// with `prefetch`, kPrefetchAheadBytes ahead of the rows being scored.
void ScoreRows(const simd::KernelTable& k, bool euclid, VectorView view,
               const float* q, uint32_t from, uint32_t to, bool prefetch,
               QueryScan* scan) {
  const auto batch = euclid ? k.l2_x4 : k.dot_x4;
  const auto single = euclid ? k.l2 : k.dot;
  const size_t dim = view.dim;
  const size_t row_bytes = dim * sizeof(float);
  const size_t block_bytes = simd::kBatch * row_bytes;
  const size_t total_bytes = static_cast<size_t>(view.rows) * row_bytes;
  const char* base = reinterpret_cast<const char*>(view.data);
  uint32_t row = from;
  for (; row + simd::kBatch <= to; row += simd::kBatch) {
    if (prefetch) {
      // One line per 64 bytes of this block's size, so the prefetch front
      // moves as fast as the scan.
      const size_t at = static_cast<size_t>(row) * row_bytes;
      const size_t pf_end =
          std::min(at + kPrefetchAheadBytes + block_bytes, total_bytes);
      for (size_t pf = at + kPrefetchAheadBytes; pf < pf_end; pf += kCacheLine)
        __builtin_prefetch(base + pf, 0, 3);
    }
    const float* x0 = view.data + static_cast<size_t>(row) * dim;
    const float* xs[simd::kBatch] = {x0, x0 + dim, x0 + 2 * dim, x0 + 3 * dim};
    float raw[simd::kBatch];
    batch(q, xs, dim, raw);
    for (uint32_t r = 0; r < simd::kBatch; ++r) scan->Consider(row + r, raw[r]);
  }
  for (; row < to; ++row) {
    scan->Consider(row,
                   single(q, view.data + static_cast<size_t>(row) * dim, dim));
  }
}

}  // namespace

void FlatScan(const simd::KernelTable& k, VectorView view, Metric metric,
              const SearchParams& p, const RowFilter& accept,
              std::vector<Candidate>* out) {
  if (p.k == 0 || view.rows == 0) return;
  QueryScan scan(metric, p, &accept, view.norms);
  const bool euclid = metric == Metric::kEuclidean;
  if (view.dim * sizeof(float) <= kMaxBatchedRowBytes) {
    ScoreRows(k, euclid, view, p.query, 0, view.rows, /*prefetch=*/true, &scan);
  } else {
    const auto single = euclid ? k.l2 : k.dot;
    for (uint32_t row = 0; row < view.rows; ++row) {
      scan.Consider(
          row, single(p.query, view.data + static_cast<size_t>(row) * view.dim,
                      view.dim));
    }
  }
  scan.AppendTo(out);
}

void FlatScanMany(const simd::KernelTable& k, VectorView view, Metric metric,
                  std::span<const ScanQuery> queries) {
  std::vector<QueryScan> scans;
  scans.reserve(queries.size());
  for (const ScanQuery& q : queries) {
    scans.emplace_back(metric, q.params, q.accept, view.norms);
  }
  const bool euclid = metric == Metric::kEuclidean;
  const size_t row_bytes = std::max<size_t>(view.dim * sizeof(float), 1);
  const uint32_t tile = static_cast<uint32_t>(
      std::max<size_t>(kScanTileBytes / row_bytes / simd::kBatch, 1) *
      simd::kBatch);
  for (uint32_t from = 0; from < view.rows;) {
    const uint32_t to = view.rows - from > tile ? from + tile : view.rows;
    for (size_t i = 0; i < queries.size(); ++i) {
      if (queries[i].params.k == 0) continue;
      ScoreRows(k, euclid, view, queries[i].params.query, from, to,
                /*prefetch=*/false, &scans[i]);
    }
    from = to;
  }
  for (size_t i = 0; i < queries.size(); ++i) {
    if (queries[i].params.k != 0) scans[i].AppendTo(queries[i].out);
    if (queries[i].counters != nullptr) {
      queries[i].counters->distances_computed += view.rows;
      queries[i].counters->points_scanned += view.rows;
    }
  }
}

void FlatIndex::Search(const SearchParams& p, const RowFilter& accept,
                       std::vector<Candidate>* out,
                       SearchCounters* counters) const {
  FlatScan(simd::ActiveKernels(), view_, metric_, p, accept, out);
  if (counters) {
    counters->distances_computed += view_.rows;
    counters->points_scanned += view_.rows;
  }
}

void FlatIndex::SearchMany(std::span<const ScanQuery> queries) const {
  FlatScanMany(simd::ActiveKernels(), view_, metric_, queries);
}

}  // namespace proximadb::index
