// The search planner on synthetic facts: every strategy, the thresholds at
// their boundaries, and the beam width of graph walks, without building a
// collection.
#include "collection/search_planner.h"

#include <gtest/gtest.h>

namespace proximadb {
namespace {

// A segment of `rows` rows with a graph, searched for the top 10 with the
// collection's default beam of 64 and no filter.
SourceFacts Segment(uint64_t rows) {
  SourceFacts f;
  f.rows = rows;
  f.estimated_matches = rows;
  f.graph = true;
  f.k = 10;
  f.default_ef = 64;
  return f;
}

// The same with a filter the payload indexes bound at `matches` rows.
SourceFacts Bounded(uint64_t rows, uint64_t matches) {
  SourceFacts f = Segment(rows);
  f.filtered = true;
  f.indexes_bound_matches = true;
  f.estimated_matches = matches;
  return f;
}

TEST(SearchPlannerTest, StrategyNamesAreTheExplainNames) {
  EXPECT_STREQ(StrategyName(SearchStrategy::kExactScan), "exact_scan");
  EXPECT_STREQ(StrategyName(SearchStrategy::kIndexScan), "index_scan");
  EXPECT_STREQ(StrategyName(SearchStrategy::kHnsw), "hnsw");
  EXPECT_STREQ(StrategyName(SearchStrategy::kHnswFiltered), "hnsw_filtered");
  EXPECT_STREQ(StrategyName(SearchStrategy::kQuantizedScan), "quantized_scan");
}

TEST(SearchPlannerTest, CodesOnlyIndexesAreScannedWithAnUnwidenedBeam) {
  SourceFacts f = Segment(50000);
  f.codes = true;
  SearchPlan p = PlanSearch(f);
  EXPECT_EQ(p.strategy, SearchStrategy::kQuantizedScan);
  EXPECT_EQ(p.ef, 64u);
  f.ef_search = 5;  // below k
  EXPECT_EQ(PlanSearch(f).ef, 10u);
  // A selective filter the indexes cannot list: still every code, the
  // re-scored rows not widened (the scan sees every accepted row).
  f = Bounded(50000, 5000);
  f.codes = true;
  p = PlanSearch(f);
  EXPECT_EQ(p.strategy, SearchStrategy::kQuantizedScan);
  EXPECT_EQ(p.ef, 64u);
  // Few candidates: scoring exactly them wins, as for graphs.
  f = Bounded(50000, 100);
  f.codes = true;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kIndexScan);
  // Exact queries scan the floats.
  f = Segment(50000);
  f.codes = true;
  f.exact = true;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kExactScan);
}

TEST(SearchPlannerTest, MemtablesAreAlwaysScanned) {
  SourceFacts f = Bounded(100, 1);  // even with a graph and a tiny bound
  f.memtable = true;
  SearchPlan p = PlanSearch(f);
  EXPECT_EQ(p.strategy, SearchStrategy::kExactScan);
  EXPECT_EQ(p.ef, 0u);
  f.filtered = false;
  f.indexes_bound_matches = false;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kExactScan);
}

TEST(SearchPlannerTest, NoFilterWalksTheGraphWithTheDefaultBeam) {
  SearchPlan p = PlanSearch(Segment(50000));
  EXPECT_EQ(p.strategy, SearchStrategy::kHnsw);
  EXPECT_EQ(p.ef, 64u);
  EXPECT_STRNE(p.reason, "");
}

TEST(SearchPlannerTest, BeamIsTheQuerysEfAndAtLeastK) {
  SourceFacts f = Segment(50000);
  f.ef_search = 200;
  EXPECT_EQ(PlanSearch(f).ef, 200u);
  f.ef_search = 5;  // below k
  EXPECT_EQ(PlanSearch(f).ef, 10u);
  f.ef_search = 0;
  f.k = 100;  // above the default
  EXPECT_EQ(PlanSearch(f).ef, 100u);
}

TEST(SearchPlannerTest, NoGraphOrExactQueryScans) {
  SourceFacts f = Segment(50000);
  f.graph = false;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kExactScan);
  EXPECT_EQ(PlanSearch(f).ef, 0u);
  f.graph = true;
  f.exact = true;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kExactScan);
  f.filtered = true;  // a filter the indexes cannot bound changes nothing
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kExactScan);
}

TEST(SearchPlannerTest, IndexScanUpToMaxRows) {
  // 0.05 * 50000 = 2500 < kIndexScanMaxRows: the row bound decides.
  EXPECT_EQ(PlanSearch(Bounded(50000, kIndexScanMaxRows)).strategy,
            SearchStrategy::kIndexScan);
  EXPECT_EQ(PlanSearch(Bounded(50000, kIndexScanMaxRows + 1)).strategy,
            SearchStrategy::kHnswFiltered);
  SourceFacts no_graph = Bounded(50000, kIndexScanMaxRows + 1);
  no_graph.graph = false;
  EXPECT_EQ(PlanSearch(no_graph).strategy, SearchStrategy::kExactScan);
  EXPECT_EQ(PlanSearch(Bounded(50000, 0)).strategy, SearchStrategy::kIndexScan);
}

TEST(SearchPlannerTest, IndexScanUpToMaxFraction) {
  // 0.05 * 200000 = 10000 > kIndexScanMaxRows: the share decides.
  ASSERT_EQ(kIndexScanMaxFraction, 0.05);
  EXPECT_EQ(PlanSearch(Bounded(200000, 10000)).strategy,
            SearchStrategy::kIndexScan);
  EXPECT_EQ(PlanSearch(Bounded(200000, 10001)).strategy,
            SearchStrategy::kHnswFiltered);
}

TEST(SearchPlannerTest, IvfWithColumnsBeatsAnIndexScanOfMoreRowsThanItScores) {
  // An IVF segment of 60000 rows whose probe scores about 3000 accepted
  // rows; the payload indexes list 4000 candidates (an index scan by the
  // usual thresholds).
  SourceFacts f = Bounded(60000, 4000);
  f.ivf = true;
  f.ivf_scored_rows = 3000;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kIndexScan)
      << "the row columns do not answer the filter";
  f.columns_answer_filter = true;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kIvf);
  f.estimated_matches = 3000;  // no more than the probe would score
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kIndexScan);
  f.estimated_matches = 4000;
  f.exact = true;  // an exact query gets the index scan's exact answer
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kIndexScan);
}

TEST(SearchPlannerTest, IndexScanNeedsIndexesThatBoundTheFilter) {
  SourceFacts f = Bounded(50000, 100);
  f.indexes_bound_matches = false;  // e.g. an unindexed leaf under $or
  f.estimated_matches = f.rows;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kHnswFiltered);
  // A small segment whose estimate (all rows) is under the row bound still
  // cannot be index-scanned without a list of rows.
  SourceFacts small = Bounded(1000, 1000);
  small.indexes_bound_matches = false;
  small.graph = false;
  EXPECT_EQ(PlanSearch(small).strategy, SearchStrategy::kExactScan);
  // Without a filter there is nothing to bound.
  SourceFacts unfiltered = Bounded(50000, 100);
  unfiltered.filtered = false;
  EXPECT_EQ(PlanSearch(unfiltered).strategy, SearchStrategy::kHnsw);
}

TEST(SearchPlannerTest, IndexScanEvenForExactQueries) {
  // Scoring the listed candidates is exact, so an exact query takes it too.
  SourceFacts f = Bounded(50000, 100);
  f.exact = true;
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kIndexScan);
}

TEST(SearchPlannerTest, FilteredBeamWidensBySelectivity) {
  // 60000 of 1000000 rows: selectivity 0.06, k / sel = 166.67.
  SourceFacts f = Bounded(1000000, 60000);
  SearchPlan p = PlanSearch(f);
  EXPECT_EQ(p.strategy, SearchStrategy::kHnswFiltered);
  EXPECT_EQ(p.ef, 166u);
  // Never narrower than the unfiltered beam: 10 / 0.5 = 20 < 64.
  EXPECT_EQ(PlanSearch(Bounded(1000000, 500000)).ef, 64u);
  // Capped at kMaxFilteredEf: 200 / 0.06 = 3333.
  f.k = 200;
  EXPECT_EQ(PlanSearch(f).ef, kMaxFilteredEf);
  // ... unless the query's own beam is wider still.
  f.ef_search = 3000;
  EXPECT_EQ(PlanSearch(f).ef, 3000u);
}

TEST(SearchPlannerTest, UnboundedFilterKeepsTheBaseBeam) {
  // No bound: estimated matches = rows, selectivity 1.
  SourceFacts f = Segment(50000);
  f.filtered = true;
  SearchPlan p = PlanSearch(f);
  EXPECT_EQ(p.strategy, SearchStrategy::kHnswFiltered);
  EXPECT_EQ(p.ef, 64u);
}

TEST(SearchPlannerTest, EmptySourcesDoNotDivideByZero) {
  SourceFacts f = Bounded(0, 0);
  EXPECT_EQ(PlanSearch(f).strategy, SearchStrategy::kIndexScan);
  f.indexes_bound_matches = false;
  SearchPlan p = PlanSearch(f);
  EXPECT_EQ(p.strategy, SearchStrategy::kHnswFiltered);
  EXPECT_EQ(p.ef, 64u);  // max(0, 1) / max(0, 1) = 1
}

}  // namespace
}  // namespace proximadb
