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

}  // namespace

void FlatScan(const simd::KernelTable& k, VectorView view, Metric metric,
              const SearchParams& p, const RowFilter& accept,
              std::vector<Candidate>* out) {
  TopK top(p.k);
  if (p.k == 0 || view.rows == 0) return;
  const size_t dim = view.dim;
  const bool euclid = metric == Metric::kEuclidean;
  const auto batch = euclid ? k.l2_x4 : k.dot_x4;
  const auto single = euclid ? k.l2 : k.dot;
  const float* q = p.query;
  const float q_norm = p.query_norm;

  // The k-th best distance so far, cached: most rows fail the compare and
  // never touch the heap or the filter. Infinity until the heap is full, so
  // the full() check only runs for rows that might enter anyway.
  float threshold = std::numeric_limits<float>::infinity();
  auto consider = [&](uint32_t row, float raw) {
    // Norms are read only for cosine: for the other metrics they would be a
    // second memory stream for nothing (measurably slower).
    float d = metric == Metric::kCosine
                  ? ToInternal(metric, raw, q_norm,
                               view.norms ? view.norms[row] : 0.0f)
                  : ToInternal(metric, raw, q_norm, 0.0f);
    if (!(d < threshold) && top.full()) return;
    if (accept && !accept(row)) return;
    top.Push({row, d});
    threshold = top.threshold();
  };

  const size_t row_bytes = dim * sizeof(float);
  const size_t block_bytes = simd::kBatch * row_bytes;
  const size_t total_bytes = static_cast<size_t>(view.rows) * row_bytes;
  const char* base = reinterpret_cast<const char*>(view.data);
  const uint32_t batched_rows = row_bytes <= kMaxBatchedRowBytes
                                    ? view.rows / simd::kBatch * simd::kBatch
                                    : 0;
  uint32_t row = 0;
  for (; row < batched_rows; row += simd::kBatch) {
    const size_t at = static_cast<size_t>(row) * row_bytes;
    // Prefetch the block kPrefetchAheadBytes ahead: one line per 64 bytes of
    // this block's size, so the prefetch front moves as fast as the scan.
    const size_t pf_end =
        std::min(at + kPrefetchAheadBytes + block_bytes, total_bytes);
    for (size_t pf = at + kPrefetchAheadBytes; pf < pf_end; pf += kCacheLine)
      __builtin_prefetch(base + pf, 0, 3);
    const float* x0 = view.data + static_cast<size_t>(row) * dim;
    const float* xs[simd::kBatch] = {x0, x0 + dim, x0 + 2 * dim, x0 + 3 * dim};
    float raw[simd::kBatch];
    batch(q, xs, dim, raw);
    for (uint32_t r = 0; r < simd::kBatch; ++r) consider(row + r, raw[r]);
  }
  for (; row < view.rows; ++row) {
    consider(row, single(q, view.data + static_cast<size_t>(row) * dim, dim));
  }
  auto best = top.Take();
  out->insert(out->end(), best.begin(), best.end());
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

}  // namespace proximadb::index
