// The search planner: how one source of a collection search (a memtable or
// a segment) is searched, decided from facts about the source and the query
// alone. It is a pure function (no I/O, no locks, no clock), so every
// decision is unit-tested on synthetic facts
// (tests/collection/search_planner_test.cc); the executors that carry a plan
// out are in search_executor.h.
//
// Adding a strategy (e.g. tiered or hybrid search): a SearchStrategy value
// with its explain name in StrategyName, the facts it needs in SourceFacts,
// a case in PlanSearch, and an executor in search_executor.cc's
// ExecutePlan. docs/ARCHITECTURE.md ("Search: planner, executors, merge")
// walks through it.
#pragma once

#include <cstdint>

namespace proximadb {

enum class SearchStrategy {
  // Score every row of the source (FlatIndex): exact, cost O(rows).
  kExactScan,
  // Score only the rows the payload indexes list for the filter: exact, cost
  // O(candidates).
  kIndexScan,
  // Walk the HNSW graph with the collection's beam width.
  kHnsw,
  // Walk the HNSW graph with a filter, the beam widened by the selectivity.
  kHnswFiltered,
  // Scan the quantized codes of every row (a flat collection with
  // quantization), re-score the best max(ef, k) on the floats.
  kQuantizedScan,
  // Probe the IVF partitions nearest the query (index kind "ivf"): score
  // their rows (int8 codes, the best re-scored on floats), widening to
  // further partitions while fewer than k rows were accepted.
  kIvf,
};

// The name explain output reports ("exact_scan", "index_scan", "hnsw",
// "hnsw_filtered", "quantized_scan", "ivf").
const char* StrategyName(SearchStrategy s);

// The planner's thresholds (docs/FILTERS.md, "How a filtered search is
// planned"; measured in docs/BENCHMARKS.md, "Filtered search"). A segment
// whose indexes list at most this many candidate rows (or this share of its
// rows) is searched by scanning exactly those rows: the scan costs one
// distance and one filter check per candidate (0.13 us each at 600
// candidates of 784 dimensions, 0.5 us at 6000 once the vectors no longer
// fit in cache), while a graph walk with a selective filter expands many
// rows it must reject; on a 60k Fashion-MNIST segment the two cross near
// 8 % selectivity (at 10 % the graph was 1.3x faster, at 1 % the scan 160x).
inline constexpr uint64_t kIndexScanMaxRows = 4096;
inline constexpr double kIndexScanMaxFraction = 0.05;
// Filtered graph searches widen the beam to about k / selectivity, so that
// the beam still holds enough accepted rows; capped to bound the latency.
inline constexpr uint32_t kMaxFilteredEf = 2048;

// What the planner knows about one source and the query.
struct SourceFacts {
  // A memtable (live or frozen): small and unindexed.
  bool memtable = false;
  // Rows in the source, live and dead.
  uint64_t rows = 0;
  // The query has a non-empty filter.
  bool filtered = false;
  // The source's payload indexes bound the filter's matches: then they can
  // also list the candidate rows (filter::CandidateRows).
  bool indexes_bound_matches = false;
  // Upper bound on the rows matching the filter, from the payload indexes
  // (at most `rows`); `rows` when they do not bound it or there is no
  // filter.
  uint64_t estimated_matches = 0;
  // An HNSW graph is built (or loaded) for the source.
  bool graph = false;
  // ... and it is codes only (VectorIndex::scans_codes): no graph to walk,
  // a scan of every row's quantized code.
  bool codes = false;
  // ... and it is an IVF index (VectorIndex::probes_partitions).
  bool ivf = false;
  // IVF: the index's row columns answer every condition of the filter
  // (filter::ColumnMatcher::complete), so a probe tests each row cheaply
  // and scores at most about `ivf_scored_rows` accepted rows
  // (IvfIndex::AcceptedRowsToScore at the query's nprobe).
  bool columns_answer_filter = false;
  uint64_t ivf_scored_rows = 0;
  // The query asked for exact results (no graph walk).
  bool exact = false;
  uint32_t k = 0;
  // The query's beam width, 0 for the collection's default_ef.
  uint32_t ef_search = 0;
  uint32_t default_ef = 0;
};

struct SearchPlan {
  SearchStrategy strategy = SearchStrategy::kExactScan;
  // The beam width for the graph strategies; 0 for the scans.
  uint32_t ef = 0;
  // Why this strategy (for tests and debugging; not part of explain).
  const char* reason = "";
};

SearchPlan PlanSearch(const SourceFacts& facts);

}  // namespace proximadb
