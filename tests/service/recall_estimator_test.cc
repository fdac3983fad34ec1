// The live recall estimate (service/recall_estimator.h): its arithmetic,
// which searches it samples, and, over a real engine, that a search made
// worse on purpose (ef_search 1 on a thin graph) shows in the estimate,
// collection stats and /metrics while a good one does not.
#include "service/recall_estimator.h"

#include <chrono>
#include <cstdio>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "service/json_codec.h"
#include "service/metrics.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

SearchHit Hit(std::string id, float score) {
  SearchHit h;
  h.id = std::move(id);
  h.score = score;
  return h;
}

TEST(RecallArithmeticTest, RecallOfCountsTheExactHitsFoundAndTies) {
  std::vector<SearchHit> exact = {Hit("a", 0.9f), Hit("b", 0.8f),
                                  Hit("c", 0.7f), Hit("d", 0.6f)};
  EXPECT_EQ(RecallOf(exact, exact), 1.0);
  EXPECT_EQ(RecallOf({Hit("a", 0.9f), Hit("x", 0.75f), Hit("c", 0.7f),
                      Hit("y", 0.5f)},
                     exact),
            0.5);
  // "z" ties the exact 4th score: as good a 4th place as "d".
  EXPECT_EQ(
      RecallOf({Hit("a", 0.9f), Hit("b", 0.8f), Hit("c", 0.7f), Hit("z", 0.6f)},
               exact),
      1.0);
  // Fewer hits than the exact k (a graph that found too little).
  EXPECT_EQ(RecallOf({Hit("b", 0.8f)}, exact), 0.25);
  // A duplicate id counts once.
  EXPECT_EQ(RecallOf({Hit("a", 0.9f), Hit("a", 0.9f)}, exact), 0.25);
  EXPECT_FALSE(RecallOf({Hit("a", 1)}, {}).has_value());
}

TEST(RecallArithmeticTest, TheWilsonIntervalIsHonestForSmallSamples) {
  RecallEstimate none = EstimateFrom({});
  EXPECT_EQ(none.samples, 0u);
  EXPECT_EQ(none.ci_lower, 0.0);
  EXPECT_EQ(none.ci_upper, 1.0);

  // Ten perfect samples do not prove recall 1: n / (n + z^2).
  RecallEstimate ten = EstimateFrom(std::vector<double>(10, 1.0));
  EXPECT_EQ(ten.recall, 1.0);
  EXPECT_NEAR(ten.ci_lower, 10 / (10 + 1.959963984540054 * 1.959963984540054),
              1e-9);
  EXPECT_NEAR(ten.ci_upper, 1.0, 1e-12);
  // More samples, a narrower interval around the mean.
  std::vector<double> many;
  for (int i = 0; i < 1000; ++i) many.push_back(i % 10 == 0 ? 0.5 : 1.0);
  RecallEstimate e = EstimateFrom(many);
  EXPECT_NEAR(e.recall, 0.95, 1e-12);
  EXPECT_LT(e.ci_lower, 0.95);
  EXPECT_GT(e.ci_upper, 0.95);
  EXPECT_LT(e.ci_upper - e.ci_lower, 0.03);
}

TEST(RecallArithmeticTest, OnlyPlainSearchesAreSampled) {
  SearchRequest r;
  r.vector = {1, 2};
  EXPECT_TRUE(RecallEstimator::Samples(r));
  SearchRequest exact = r;
  exact.exact = true;
  SearchRequest grouped = r;
  grouped.group_by = "tag";
  SearchRequest paged = r;
  paged.offset = 10;
  SearchRequest threshold = r;
  threshold.score_threshold = 0.5f;
  SearchRequest named = r;
  named.using_vector = "title";
  SearchRequest by_id;
  by_id.point_id = "p1";
  for (const SearchRequest& q :
       {exact, grouped, paged, threshold, named, by_id}) {
    EXPECT_FALSE(RecallEstimator::Samples(q));
  }
}

TEST(RecallArithmeticTest, AFullQueueDropsAndCountsAndOffRunsNothing) {
  std::atomic<int> runs{0};
  std::atomic<bool> release{false};
  RecallOptions o;
  o.sample_rate = 1;
  o.cpu_share = 1;
  o.queue_limit = 2;
  RecallEstimator est(o, [&](const std::string&, const SearchRequest&) {
    ++runs;
    while (!release.load())
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    SearchResult r;
    r.hits = {Hit("a", 1)};
    return Result<SearchResult>(std::move(r));
  });
  SearchRequest q;
  q.vector = {1};
  SearchResult got;
  got.hits = {Hit("a", 1)};
  est.Offer("c", q, got);  // taken by the worker, which then blocks
  while (runs.load() == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  for (int i = 0; i < 5; ++i) est.Offer("c", q, got);  // 2 queue, 3 dropped
  release = true;
  est.WaitIdle();
  auto e = est.Get("c");
  ASSERT_TRUE(e.has_value());
  EXPECT_EQ(e->samples_total, 3u);
  EXPECT_EQ(e->dropped_total, 3u);
  EXPECT_EQ(e->recall, 1.0);
  est.Forget("c");
  EXPECT_FALSE(est.Get("c").has_value());

  RecallOptions off;
  off.sample_rate = 0;
  RecallEstimator none(off, [&](const std::string&, const SearchRequest&) {
    ADD_FAILURE() << "an estimator that is off ran a search";
    return Result<SearchResult>(SearchResult{});
  });
  none.Offer("c", q, got);
  none.WaitIdle();
  EXPECT_FALSE(none.Get("c").has_value());
}

// Over the engine: two collections of the same 4,000 points with a thin
// graph (m 8, ef_construction 40) each in one segment; one searched with a
// wide beam, the other with ef_search 1.
class RecallEstimateTest : public test_util::ServiceFixture {
 protected:
  static constexpr uint32_t kDim = 32;
  void Fill(const std::string& name) {
    CollectionConfig cfg;
    cfg.name = name;
    cfg.dimension = kDim;
    cfg.metric = Metric::kEuclidean;
    cfg.index.m = 8;
    cfg.index.ef_construction = 40;
    ASSERT_TRUE(svc_->CreateCollection(cfg).ok());
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<Point> points;
    for (int i = 0; i < 4000; ++i) {
      Point p;
      p.id = "p" + std::to_string(i);
      for (uint32_t d = 0; d < kDim; ++d) p.vector.push_back(u(rng));
      points.push_back(std::move(p));
    }
    ASSERT_TRUE(svc_->BatchUpsert(name, std::move(points)).ok());
    ASSERT_TRUE(svc_->Flush(name).ok());
    // The graph is built after the flush, in the background.
    for (int i = 0; i < 3000; ++i) {
      auto segs = svc_->ListSegments(name);
      ASSERT_TRUE(segs.ok());
      bool built = !segs->empty();
      for (const SegmentInfo& s : *segs) built = built && s.graph_loaded;
      if (built) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL() << name << ": the graph was not built in 30 s";
  }
};

TEST_F(RecallEstimateTest, ATinyEfSearchShowsInStatsAndMetrics) {
  RecallOptions o;
  o.sample_rate = 1;
  o.cpu_share = 1;
  o.queue_limit = 1000;  // every sample runs
  svc_->EnableRecallEstimate(o);
  Fill("good");
  Fill("bad");
  if (HasFatalFailure()) return;
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(-1, 1);
  constexpr int kQueries = 120;
  for (int i = 0; i < kQueries; ++i) {
    SearchRequest q;
    for (uint32_t d = 0; d < kDim; ++d) q.vector.push_back(u(rng));
    q.k = 10;
    q.ef_search = 400;
    ASSERT_TRUE(svc_->Search("good", q).ok());
    q.ef_search = 1;
    ASSERT_TRUE(svc_->Search("bad", q).ok());
    // Not sampled: an exact search says nothing about the index.
    q.exact = true;
    ASSERT_TRUE(svc_->Search("bad", q).ok());
  }
  svc_->WaitForRecallSamples();

  auto good = svc_->CollectionStats("good");
  auto bad = svc_->CollectionStats("bad");
  ASSERT_TRUE(good.ok() && bad.ok());
  ASSERT_TRUE(good->recall.has_value());
  ASSERT_TRUE(bad->recall.has_value());
  EXPECT_EQ(good->recall->samples, uint64_t(kQueries));
  EXPECT_EQ(bad->recall->samples, uint64_t(kQueries));
  EXPECT_EQ(bad->recall->dropped_total, 0u);
  EXPECT_GE(good->recall->recall, 0.95);
  EXPECT_LE(bad->recall->recall, 0.8);
  std::printf(
      "recall estimate: good %.3f [%.3f, %.3f], bad %.3f [%.3f, %.3f]\n",
      good->recall->recall, good->recall->ci_lower, good->recall->ci_upper,
      bad->recall->recall, bad->recall->ci_lower, bad->recall->ci_upper);
  // The intervals say the two differ.
  EXPECT_LT(bad->recall->ci_upper, good->recall->ci_lower);

  nlohmann::json stats = CollectionStatsToJson(*bad);
  ASSERT_TRUE(stats.contains("recall_estimate")) << stats.dump();
  EXPECT_EQ(stats["recall_estimate"]["samples"], kQueries);
  EXPECT_DOUBLE_EQ(stats["recall_estimate"]["recall"].get<double>(),
                   bad->recall->recall);

  Metrics metrics;
  std::string text = metrics.Render(svc_->ListCollections(), {});
  EXPECT_NE(
      text.find("proximadb_collection_recall_estimate{collection=\"bad\"}"),
      std::string::npos)
      << text;
  EXPECT_NE(
      text.find("proximadb_collection_recall_samples{collection=\"good\"} " +
                std::to_string(kQueries)),
      std::string::npos);

  // Dropping the collection drops its estimate; a new one starts afresh.
  ASSERT_TRUE(svc_->DeleteCollection("bad").ok());
  Fill("bad");
  if (HasFatalFailure()) return;
  auto fresh = svc_->CollectionStats("bad");
  ASSERT_TRUE(fresh.ok());
  EXPECT_FALSE(fresh->recall.has_value());
}

TEST_F(RecallEstimateTest, OffByDefaultInTheServiceAndAbsentFromStats) {
  Fill("c");
  if (HasFatalFailure()) return;
  SearchRequest q;
  q.vector.assign(kDim, 0.5f);
  ASSERT_TRUE(svc_->Search("c", q).ok());
  svc_->WaitForRecallSamples();
  auto info = svc_->CollectionStats("c");
  ASSERT_TRUE(info.ok());
  EXPECT_FALSE(info->recall.has_value());
  EXPECT_FALSE(CollectionStatsToJson(*info).contains("recall_estimate"));
}

}  // namespace
}  // namespace proximadb::service
