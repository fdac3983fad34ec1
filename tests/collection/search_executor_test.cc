// The search executors on small hand-made sources (a memtable, a segment in
// an in-memory Env): every strategy returns the true filtered top k where it
// promises to, the facts come from the source, and a plan the source cannot
// carry out is an error rather than an empty answer.
#include "collection/search_executor.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>

#include "collection/test_util.h"
#include "index/distance.h"
#include "storage/segment/segment_writer.h"

namespace proximadb {
namespace {

using testing::RandomVector;

constexpr uint32_t kExecDim = 8;
constexpr uint32_t kRows = 300;

class SearchExecutorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::mt19937 rng(11);
    for (uint32_t i = 0; i < kRows; ++i) {
      char id[8];
      std::snprintf(id, sizeof(id), "p%03u", i);  // sorted as written
      ids_.push_back(id);
      vectors_.push_back(RandomVector(rng, kExecDim));
      meta_.push_back("{\"g\":\"" + std::string(i % 10 == 0 ? "a" : "b") +
                      "\"}");
    }
    ASSERT_TRUE(env_->CreateDirIfMissing("/seg").ok());
    Status s = segment::WriteSegment(
        env_.get(), "/seg/s.pdb", {1, kExecDim, Metric::kEuclidean}, kRows,
        [&](size_t i) {
          return segment::SegmentRow{ids_[i], vectors_[i].data(), meta_[i], 1};
        },
        [](size_t) { return false; });
    ASSERT_TRUE(s.ok()) << s.ToString();
    auto seg = segment::Segment::Open(env_.get(), "/seg/s.pdb");
    ASSERT_TRUE(seg.ok()) << seg.status().ToString();
    live_ = std::make_unique<LiveSegment>(std::move(seg).value());
    live_->Kill(20);  // a dead row matching {"g": "a"}
    live_->set_payload(SegmentPayloadIndex::Build(
        *live_->seg, {{"g", PayloadIndexType::kKeyword}}));
    for (uint32_t i = 0; i < kRows; ++i) {
      mem_.Append(ids_[i], vectors_[i].data(), meta_[i], "", 0, 1, 0);
    }
    mem_.Kill(20);
    query_vec_ = RandomVector(rng, kExecDim);
  }

  SearchQuery Query(const filter::Filter& f, uint32_t k) {
    SearchQuery q;
    q.filter = &f;
    q.metric = Metric::kEuclidean;
    q.dim = kExecDim;
    q.params.query = query_vec_.data();
    q.params.query_norm = index::Norm(query_vec_.data(), kExecDim);
    q.params.k = k;
    return q;
  }

  // The k nearest live rows whose group is `g` (empty: any), by brute force.
  std::vector<uint32_t> Truth(const std::string& g, uint32_t k) {
    std::vector<std::pair<float, uint32_t>> all;
    for (uint32_t i = 0; i < kRows; ++i) {
      if (i == 20) continue;
      if (!g.empty() && meta_[i].find("\"" + g + "\"") == std::string::npos) {
        continue;
      }
      all.push_back(
          {index::InternalDistance(Metric::kEuclidean, query_vec_.data(), 0,
                                   vectors_[i].data(), 0, kExecDim),
           i});
    }
    std::sort(all.begin(), all.end());
    std::vector<uint32_t> rows;
    for (size_t i = 0; i < all.size() && i < k; ++i) {
      rows.push_back(all[i].second);
    }
    return rows;
  }

  static std::vector<uint32_t> Rows(const SourceOutcome& o) {
    std::vector<uint32_t> rows;
    for (const auto& c : o.hits) rows.push_back(c.row);
    return rows;
  }

  std::unique_ptr<Env> env_ = NewMemEnv();
  std::vector<std::string> ids_, meta_;
  std::vector<std::vector<float>> vectors_;
  std::vector<float> query_vec_;
  std::unique_ptr<LiveSegment> live_;
  Memtable mem_{kExecDim, Metric::kEuclidean};
};

TEST_F(SearchExecutorTest, FactsComeFromTheSource) {
  auto f = filter::Filter::Parse({{"g", "a"}}).value();
  SearchQuery q = Query(f, 5);
  q.params.ef_search = 7;
  SourceFacts mf =
      DescribeSource(SearchSource::OfMemtable(mem_, "memtable"), q, 64);
  EXPECT_TRUE(mf.memtable);
  EXPECT_EQ(mf.rows, kRows);
  EXPECT_TRUE(mf.filtered);
  EXPECT_FALSE(mf.indexes_bound_matches);
  EXPECT_EQ(mf.estimated_matches, kRows);
  SourceFacts sf = DescribeSource(SearchSource::OfSegment(*live_, true), q, 64);
  EXPECT_FALSE(sf.memtable);
  EXPECT_TRUE(sf.indexes_bound_matches);
  EXPECT_EQ(sf.estimated_matches, 30u);  // every tenth row, dead one included
  EXPECT_FALSE(sf.graph);
  EXPECT_EQ(sf.k, 5u);
  EXPECT_EQ(sf.ef_search, 7u);
  EXPECT_EQ(sf.default_ef, 64u);
  // Without a filter the payload indexes are not even read.
  auto none = filter::Filter::Parse(nlohmann::json()).value();
  SourceFacts nf = DescribeSource(SearchSource::OfSegment(*live_, false),
                                  Query(none, 5), 64);
  EXPECT_FALSE(nf.filtered);
  EXPECT_FALSE(nf.indexes_bound_matches);
  EXPECT_EQ(nf.estimated_matches, kRows);
}

TEST_F(SearchExecutorTest, ExactScanOfAMemtableAndASegment) {
  auto none = filter::Filter::Parse(nlohmann::json()).value();
  const SearchQuery q = Query(none, 10);
  const SearchPlan plan{SearchStrategy::kExactScan, 0, ""};
  for (const SearchSource& src : {SearchSource::OfMemtable(mem_, "memtable"),
                                  SearchSource::OfSegment(*live_, false)}) {
    index::SearchCounters counters;
    auto out = ExecutePlan(plan, q, src, &counters);
    ASSERT_TRUE(out.ok()) << out.status().ToString();
    EXPECT_EQ(Rows(*out), Truth("", 10)) << src.name();
    EXPECT_EQ(out->matches, 10u);
    EXPECT_EQ(counters.distances_computed, kRows);
  }
}

TEST_F(SearchExecutorTest, IndexScanScoresOnlyTheListedRows) {
  auto f = filter::Filter::Parse({{"g", "a"}}).value();
  const SearchQuery q = Query(f, 5);
  const SearchSource src = SearchSource::OfSegment(*live_, true);
  index::SearchCounters counters;
  auto out =
      ExecutePlan({SearchStrategy::kIndexScan, 0, ""}, q, src, &counters);
  ASSERT_TRUE(out.ok()) << out.status().ToString();
  EXPECT_EQ(Rows(*out), Truth("a", 5));
  EXPECT_EQ(out->candidates, 30u);
  EXPECT_EQ(out->matches, 29u);  // the dead candidate is not a match
  EXPECT_EQ(counters.distances_computed, 29u);
  EXPECT_EQ(counters.points_scanned, 30u);
  // The same answer as the exact scan with the filter.
  auto exact =
      ExecutePlan({SearchStrategy::kExactScan, 0, ""}, q, src, &counters);
  ASSERT_TRUE(exact.ok());
  EXPECT_EQ(Rows(*exact), Rows(*out));
}

TEST_F(SearchExecutorTest, PlansTheSourceCannotRunAreErrors) {
  auto f = filter::Filter::Parse({{"g", "a"}}).value();
  const SearchQuery q = Query(f, 5);
  index::SearchCounters counters;
  // No payload indexes on a memtable, no graph on this segment.
  auto scan =
      ExecutePlan({SearchStrategy::kIndexScan, 0, ""}, q,
                  SearchSource::OfMemtable(mem_, "memtable"), &counters);
  EXPECT_EQ(scan.status().code(), StatusCode::kInternal);
  for (auto s : {SearchStrategy::kHnsw, SearchStrategy::kHnswFiltered}) {
    auto walk = ExecutePlan({s, 64, ""}, q,
                            SearchSource::OfSegment(*live_, true), &counters);
    EXPECT_EQ(walk.status().code(), StatusCode::kInternal);
  }
}

TEST_F(SearchExecutorTest, PlannedSegmentSearchIsTheFilteredTruth) {
  // Planner and executor together, as CollectionImpl::Search runs them.
  for (const char* g : {"a", "b"}) {
    auto f = filter::Filter::Parse({{"g", g}}).value();
    const SearchQuery q = Query(f, 7);
    const SearchSource src = SearchSource::OfSegment(*live_, true);
    const SearchPlan plan = PlanSearch(DescribeSource(src, q, 64));
    EXPECT_EQ(plan.strategy, SearchStrategy::kIndexScan) << g;  // <= 4096
    index::SearchCounters counters;
    auto out = ExecutePlan(plan, q, src, &counters);
    ASSERT_TRUE(out.ok());
    EXPECT_EQ(Rows(*out), Truth(g, 7)) << g;
  }
}

}  // namespace
}  // namespace proximadb
