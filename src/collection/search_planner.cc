#include "collection/search_planner.h"

#include <algorithm>

namespace proximadb {

const char* StrategyName(SearchStrategy s) {
  switch (s) {
    case SearchStrategy::kExactScan:
      return "exact_scan";
    case SearchStrategy::kIndexScan:
      return "index_scan";
    case SearchStrategy::kHnsw:
      return "hnsw";
    case SearchStrategy::kHnswFiltered:
      return "hnsw_filtered";
    case SearchStrategy::kQuantizedScan:
      return "quantized_scan";
    case SearchStrategy::kIvf:
      return "ivf";
  }
  return "unknown";
}

namespace {

// Few enough candidates that scoring exactly them beats any graph walk (and
// always gives the true top k).
bool FewCandidates(const SourceFacts& f) {
  return f.filtered && f.indexes_bound_matches &&
         (f.estimated_matches <= kIndexScanMaxRows ||
          f.estimated_matches <= kIndexScanMaxFraction * f.rows);
}

// The query's ef, else the collection's, at least k.
uint32_t BaseEf(const SourceFacts& f) {
  return std::max<uint32_t>(f.ef_search ? f.ef_search : f.default_ef, f.k);
}

// The beam of a graph walk: BaseEf. A filtered walk widens it by the
// estimated selectivity (from an upper bound on matches, so it errs narrow):
// the graph keeps only accepted rows in its beam, so k / selectivity is
// plenty (measured: ef 64 already gives recall 1.0 at 10 % on
// Fashion-MNIST; 2k / selectivity only halved the QPS).
uint32_t GraphEf(const SourceFacts& f) {
  const uint32_t base = BaseEf(f);
  if (!f.filtered) return base;
  const double sel =
      std::max<double>(f.estimated_matches, 1) / std::max<double>(f.rows, 1);
  const double want = f.k / sel;
  return static_cast<uint32_t>(
      std::clamp<double>(want, base, std::max<uint32_t>(base, kMaxFilteredEf)));
}

}  // namespace

SearchPlan PlanSearch(const SourceFacts& f) {
  if (f.memtable) {
    return {SearchStrategy::kExactScan, 0, "memtables are small and unindexed"};
  }
  // An IVF probe that tests the filter on typed columns scores about
  // ivf_scored_rows accepted rows, on codes, partition by partition; an
  // index scan scores every listed row on floats, one random read each. The
  // scan wins only when it lists fewer rows than the probe would score.
  const bool probe_beats_scan = f.ivf && f.columns_answer_filter && !f.exact &&
                                f.estimated_matches > f.ivf_scored_rows;
  if (FewCandidates(f) && !probe_beats_scan) {
    return {SearchStrategy::kIndexScan, 0,
            "the payload indexes list few candidate rows"};
  }
  if (probe_beats_scan && FewCandidates(f)) {
    return {SearchStrategy::kIvf, 0,
            "the row columns answer the filter: the probe scores fewer rows "
            "than the payload indexes list"};
  }
  if (f.graph && f.ivf && !f.exact) {
    // A filter needs no wider probe up front: the index probes further
    // partitions while fewer than k rows were accepted.
    return {SearchStrategy::kIvf, 0,
            "probe the IVF partitions nearest the query"};
  }
  if (f.graph && f.codes && !f.exact) {
    // It sees every accepted row: the beam (re-scored rows) needs no
    // widening by the filter.
    return {SearchStrategy::kQuantizedScan, BaseEf(f),
            "a scan of every row's quantized code, the best re-scored"};
  }
  if (f.graph && !f.exact) {
    if (f.filtered) {
      return {SearchStrategy::kHnswFiltered, GraphEf(f),
              "graph walk, beam widened by the filter's selectivity"};
    }
    return {SearchStrategy::kHnsw, GraphEf(f), "graph walk"};
  }
  return {SearchStrategy::kExactScan, 0,
          f.exact ? "the query asked for exact results"
                  : "no graph is built for the segment"};
}

}  // namespace proximadb
