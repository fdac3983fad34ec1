// Query-time search: greedy descent, beam search on level 0 (on floats, or
// on 8-bit, 1-bit or product-quantization codes followed by a float
// re-score), the scan of every code of a codes-only index (m 0), and the
// flat-scan fallback for exact requests and for filters that leave too few
// reachable rows.
#include <algorithm>

#include "index/distance.h"
#include "index/hnsw/distances.h"
#include "index/hnsw/graph_walk_inl.h"
#include "index/hnsw/hnsw_index.h"

namespace proximadb::index {

using hnsw::NearerThenLower;
using hnsw::Neighbor;

namespace {

// The answer on full precision: each of `found` re-scored on the floats,
// then put in NearerThenLower order.
void Rescore(const hnsw::FloatDist& fdist, std::vector<Neighbor>* found,
             SearchCounters* counters) {
  for (Neighbor& n : *found) n.dist = fdist(n.id);
  counters->distances_computed += found->size();
  std::sort(found->begin(), found->end(), NearerThenLower);
}

// How far ahead of the row being scored a codes-only scan prefetches.
constexpr size_t kScanAheadBytes = 16384;

}  // namespace

void HnswIndex::ScanSearch(const SearchParams& p, const RowFilter& accept,
                           std::vector<Candidate>* out,
                           SearchCounters* counters) const {
  TopK top(p.k);
  const uint32_t rows = std::min(capacity_, view_.rows);
  uint64_t scanned = 0;
  for (uint32_t row = 0; row < rows; ++row) {
    if (LevelOf(row) < 0) continue;  // not inserted (yet)
    ++scanned;
    float d = InternalDistance(metric_, p.query, p.query_norm,
                               view_.data + size_t(row) * dim_,
                               view_.norms ? view_.norms[row] : 0.0f, dim_);
    if (top.full() && !(d < top.threshold())) continue;
    if (accept && !accept(row)) continue;
    top.Push({row, d});
  }
  if (counters) {
    counters->distances_computed += scanned;
    counters->points_scanned += scanned;
  }
  auto best = top.Take();
  out->insert(out->end(), best.begin(), best.end());
}

// Code distances only rank: the best `keep` of the beam are re-scored on
// the float vectors and the answer is decided on full precision.
template <typename Dist>
std::vector<Neighbor> HnswIndex::SearchCodes(
    const Dist& cdist, const hnsw::FloatDist& fdist, uint32_t entry, int top,
    uint32_t ef, size_t keep, const RowFilter* filter,
    hnsw::SearchScratch* scratch, SearchCounters* counters) const {
  float d = cdist(entry);
  uint32_t cur = Greedy(cdist, entry, &d, top, 1, counters);
  SearchLevel(cdist, cur, d, ef, 0, filter, scratch, counters);
  std::vector<Neighbor> found(scratch->results.begin(), scratch->results.end());
  std::sort(
      found.begin(), found.end(),
      [](const Neighbor& a, const Neighbor& b) { return a.dist < b.dist; });
  found.resize(std::min(found.size(), keep));
  Rescore(fdist, &found, counters);
  return found;
}

template <typename Dist>
std::vector<Neighbor> HnswIndex::ScanCodes(const Dist& cdist,
                                           const hnsw::FloatDist& fdist,
                                           size_t keep, const RowFilter* filter,
                                           SearchCounters* counters) const {
  const uint32_t rows = std::min(capacity_, view_.rows);
  // Never more than there are rows: keep comes from the file's rerank
  // factor times k, which a damaged (or fuzzed) file can make huge, and the
  // heap reserves it up front (fuzz.hnsw_load ran out of memory).
  TopK top(static_cast<uint32_t>(std::min<size_t>(keep, rows)));
  // The codes are read in order, but the hardware prefetcher restarts at
  // every 4 KiB page: the row kScanAheadBytes ahead is asked for while
  // this one is scored (Fashion-MNIST int8 codes: 116 -> ~400 QPS; 4-64
  // KiB all alike within this VM's noise).
  const uint32_t ahead = static_cast<uint32_t>(
      std::max<size_t>(1, kScanAheadBytes / cdist.RowBytes()));
  uint64_t scanned = 0;
  for (uint32_t row = 0; row < rows; ++row) {
    if (row + ahead < rows) cdist.Prefetch(row + ahead);
    if (LevelOf(row) < 0) continue;  // not inserted (yet)
    ++scanned;
    const float d = cdist(row);
    if (top.full() && !(d < top.threshold())) continue;
    if (filter != nullptr && !(*filter)(row)) continue;
    top.Push({row, d});
  }
  std::vector<Neighbor> found;
  for (const Candidate& c : top.Take()) found.push_back({c.distance, c.row});
  counters->points_scanned += scanned;
  counters->distances_computed += scanned;
  Rescore(fdist, &found, counters);
  return found;
}

void HnswIndex::Search(const SearchParams& p, const RowFilter& accept,
                       std::vector<Candidate>* out,
                       SearchCounters* counters) const {
  if (p.k == 0) return;
  const uint64_t e = entry_.load(std::memory_order_acquire);
  if (p.exact || (e == 0 && !codes_only())) {
    ScanSearch(p, accept, out, counters);
    return;
  }
  const int top = int(e >> 32) - 1;
  const uint32_t entry = uint32_t(e);
  const uint32_t ef =
      std::max(p.ef_search ? p.ef_search : params_.ef_search, p.k);
  const RowFilter* filter = accept ? &accept : nullptr;
  const simd::KernelTable* k = &simd::ActiveKernels();
  SearchCounters local;
  auto scratch = pool_.Get();
  scratch->NewEpoch();
  std::vector<Neighbor> found;

  hnsw::FloatDist fdist{view_.data, view_.norms,  dim_, metric_,
                        p.query,    p.query_norm, k};
  // The code-space search: a graph walk, or with codes only a scan that
  // keeps at least the beam's width.
  auto on_codes = [&](const auto& cdist, size_t keep) {
    return codes_only() ? ScanCodes(cdist, fdist, std::max<size_t>(keep, ef),
                                    filter, &local)
                        : SearchCodes(cdist, fdist, entry, top, ef, keep,
                                      filter, scratch.get(), &local);
  };
  if (codes_ != nullptr) {
    std::vector<uint8_t> qcode(dim_);
    sq_.Encode(p.query, qcode.data());
    hnsw::CodeDist cdist{
        codes_,
        terms_,
        view_.norms,
        dim_,
        metric_,
        qcode.data(),
        metric_ == Metric::kEuclidean ? 0.0 : sq_.QueryTerm(p.query),
        p.query_norm,
        &sq_,
        k};
    found = on_codes(
        cdist, std::max<size_t>(p.k, size_t(params_.rerank_factor) * p.k));
  } else if (bits_ != nullptr) {
    const quant::BinaryQuery bquery = bq_.Prepare(p.query, metric_);
    hnsw::BitDist bdist{bits_,       centroid_of_, terms_,
                        view_.norms, bq_.words(),  metric_,
                        &bquery,     p.query_norm, k};
    found = on_codes(bdist, ef);
  } else if (pq_codes_ != nullptr) {
    quant::PqQuery pquery;
    pq_.Prepare(p.query, metric_, &pquery);
    hnsw::PqDist pdist{pq_codes_,       centroid_of_, terms_,  view_.norms,
                       pq_.subspaces(), metric_,      &pquery, p.query_norm};
    found = on_codes(pdist, ef);
  } else {
    float d = fdist(entry);
    uint32_t cur = Greedy(fdist, entry, &d, top, 1, &local);
    SearchLevel(fdist, cur, d, ef, 0, filter, scratch.get(), &local);
    found.assign(scratch->results.begin(), scratch->results.end());
    std::sort(found.begin(), found.end(), NearerThenLower);
  }
  pool_.Put(std::move(scratch));

  if (found.size() < p.k && filter != nullptr && !codes_only()) {
    // The reachable graph holds fewer than k accepted rows: only a scan can
    // prove there are no more (a codes-only scan saw every accepted row).
    if (counters) {
      counters->distances_computed += local.distances_computed;
      counters->nodes_visited += local.nodes_visited;
    }
    ScanSearch(p, accept, out, counters);
    return;
  }
  const size_t n = std::min<size_t>(found.size(), p.k);
  for (size_t i = 0; i < n; ++i) out->push_back({found[i].id, found[i].dist});
  if (counters) {
    counters->distances_computed += local.distances_computed;
    counters->nodes_visited += local.nodes_visited;
    counters->points_scanned += local.points_scanned;
  }
}

}  // namespace proximadb::index
