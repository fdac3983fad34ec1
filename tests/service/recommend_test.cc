// Recommendations (recommend.h): both strategies against a brute-force
// answer over memtable and segments, the examples left out, widening for
// best_score when negatives reject the nearest candidates, and the limits.

#include <algorithm>
#include <cmath>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/json_codec.h"
#include "service/service.h"
#include "util/limits.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

using nlohmann::json;
using V = std::vector<std::string>;

// 3,000 points of a fixed seed in [0, 100)^2 (euclidean); "p0".."p1499"
// flushed into a segment, the rest in the memtable; metadata {"odd": i%2}.
class RecommendTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(
        svc_->CreateCollectionJson(json{{"name", "c"},
                                        {"dimension", 2},
                                        {"distance_metric", "euclidean"}})
            .ok());
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(0, 100);
    json batch = json::array();
    for (int i = 0; i < 3000; ++i) {
      pts_.push_back({u(rng), u(rng)});
      batch.push_back({{"id", "p" + std::to_string(i)},
                       {"vector", {pts_.back()[0], pts_.back()[1]}},
                       {"metadata", {{"odd", i % 2}}}});
      if (batch.size() == 500) {
        ASSERT_TRUE(svc_->BatchUpsertJson("c", json{{"vectors", batch}}).ok());
        batch = json::array();
        if (i == 1499) {
          ASSERT_TRUE(svc_->Flush("c").ok());
        }
      }
    }
  }
  static float Dist(const std::vector<float>& a, const std::vector<float>& b) {
    return std::sqrt((a[0] - b[0]) * (a[0] - b[0]) +
                     (a[1] - b[1]) * (a[1] - b[1]));
  }
  // The k nearest points to `q` by `score` (smaller first), skipping
  // `skip` and those `keep` refuses.
  template <typename ScoreFn, typename KeepFn>
  V Brute(size_t k, const V& skip, const ScoreFn& score, const KeepFn& keep) {
    std::vector<std::pair<float, std::string>> all;
    for (size_t i = 0; i < pts_.size(); ++i) {
      const std::string id = "p" + std::to_string(i);
      if (std::find(skip.begin(), skip.end(), id) != skip.end()) continue;
      if (!keep(i)) continue;
      all.push_back({score(pts_[i]), id});
    }
    std::sort(all.begin(), all.end());
    V out;
    for (size_t i = 0; i < k && i < all.size(); ++i)
      out.push_back(all[i].second);
    return out;
  }
  V Ids(const json& body) {
    auto r = svc_->RecommendJson("c", body);
    EXPECT_TRUE(r.ok()) << body.dump() << ": " << r.status().ToString();
    V ids;
    if (!r.ok()) return ids;
    for (const auto& m : (*r)["matches"]) ids.push_back(m["id"]);
    return ids;
  }
  StatusCode Code(const json& body) {
    return svc_->RecommendJson("c", body).status().code();
  }
  std::vector<std::vector<float>> pts_;
};

TEST_F(RecommendTest, AverageSearchesTheShiftedMean) {
  // Like p10 and (20, 20), unlike p20: the query 2 * mean(pos) - p20.
  const std::vector<float> p10 = pts_[10], p20 = pts_[20];
  std::vector<float> q = {2 * (p10[0] + 20) / 2 - p20[0],
                          2 * (p10[1] + 20) / 2 - p20[1]};
  const V want = Brute(
      10, {"p10", "p20"}, [&](const auto& x) { return Dist(x, q); },
      [](size_t) { return true; });
  EXPECT_EQ(Ids({{"positive", {json("p10"), json{20.0, 20.0}}},
                 {"negative", {"p20"}},
                 {"k", 10},
                 {"exact", true}}),
            want);
  // Without negatives: the mean itself; with a filter and an offset.
  std::vector<float> m = {(p10[0] + 20) / 2, (p10[1] + 20) / 2};
  const V odd = Brute(
      8, {"p10"}, [&](const auto& x) { return Dist(x, m); },
      [](size_t i) { return i % 2 == 1; });
  EXPECT_EQ(Ids({{"positive", {json("p10"), json{20.0, 20.0}}},
                 {"filter", {{"odd", 1}}},
                 {"k", 5},
                 {"offset", 3},
                 {"exact", true}}),
            V(odd.begin() + 3, odd.end()));
}

TEST_F(RecommendTest, BestScoreIsExactPastRejectedCandidates) {
  // Positives p1, p2; a negative right beside each positive rejects most
  // of the points nearest to it, so the first searches must widen.
  const std::vector<float> a = pts_[1], b = pts_[2];
  const std::vector<float> na = {a[0] + 0.5f, a[1]}, nb = {b[0], b[1] + 0.5f};
  auto best_pos = [&](const std::vector<float>& x) {
    return std::min(Dist(x, a), Dist(x, b));
  };
  auto keep = [&](size_t i) {
    return best_pos(pts_[i]) < std::min(Dist(pts_[i], na), Dist(pts_[i], nb));
  };
  const V want = Brute(40, {"p1", "p2"}, best_pos, keep);
  ASSERT_EQ(want.size(), 40u);
  json body = {{"positive", {"p1", "p2"}},
               {"negative", {{na[0], na[1]}, {nb[0], nb[1]}}},
               {"strategy", "best_score"},
               {"k", 40},
               {"exact", true}};
  EXPECT_EQ(Ids(body), want);
  // The graph path finds the same on these points.
  body.erase("exact");
  EXPECT_EQ(Ids(body), want);
  // Scores are distances to the nearest positive; a threshold cuts them.
  auto r = svc_->RecommendJson("c", body);
  ASSERT_TRUE(r.ok());
  const float fifth = (*r)["matches"][4]["score"].get<float>();
  body["score_threshold"] = fifth;
  EXPECT_EQ(Ids(body), V(want.begin(), want.begin() + 5));
  // No negatives: the union of the positives' neighbours, ranked.
  EXPECT_EQ(Ids({{"positive", {"p1", "p2"}},
                 {"strategy", "best_score"},
                 {"k", 12},
                 {"exact", true}}),
            Brute(12, {"p1", "p2"}, best_pos, [](size_t) { return true; }));
}

TEST_F(RecommendTest, ExamplesAndLimitsAreChecked) {
  EXPECT_EQ(Code({{"negative", {"p1"}}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"positive", json::array()}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"positive", {"nope"}}}), StatusCode::kNotFound);
  EXPECT_EQ(Code({{"positive", {{1.0, 2.0, 3.0}}}}),
            StatusCode::kDimensionMismatch);
  EXPECT_EQ(Code({{"positive", {1}}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"positive", {""}}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"positive", {"p1"}}, {"strategy", "median"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"positive", {"p1"}}, {"group_by", "odd"}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"positive", {"p1"}}, {"k", kMaxK}}),
            StatusCode::kInvalidArgument);  // + the example by id
  EXPECT_EQ(Code({{"positive", {"p1"}}, {"k", 0}}),
            StatusCode::kInvalidArgument);
  json many = json::array();
  for (size_t i = 0; i <= kMaxRecommendExamples; ++i) {
    many.push_back("p" + std::to_string(i));
  }
  EXPECT_EQ(Code({{"positive", many}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(
      svc_->RecommendJson("nope", json{{"positive", {"p1"}}}).status().code(),
      StatusCode::kNotFound);
}

TEST_F(RecommendTest, CosineExamplesThatCancelOutAreAnError) {
  ASSERT_TRUE(svc_->CreateCollectionJson(json{{"name", "cos"},
                                              {"dimension", 2},
                                              {"distance_metric", "cosine"}})
                  .ok());
  ASSERT_TRUE(svc_->BatchUpsertJson(
                      "cos", json{{"vectors",
                                   {{{"id", "a"}, {"vector", {1.0, 0.0}}},
                                    {{"id", "b"}, {"vector", {2.0, 0.0}}},
                                    {{"id", "c"}, {"vector", {0.0, 1.0}}}}}})
                  .ok());
  // a and b normalise to the same direction: 2a' - b' = a' (not zero).
  auto r = svc_->RecommendJson(
      "cos", json{{"positive", {"a"}}, {"negative", {"c"}}, {"k", 1}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["matches"][0]["id"], "b");
  // Opposite positives average to the zero vector: no cosine to rank by.
  EXPECT_EQ(
      svc_->RecommendJson("cos",
                          json{{"positive", {json{1.0, 0.0}, json{-1.0, 0.0}}}})
          .status()
          .code(),
      StatusCode::kInvalidArgument);
}

// "using": the examples and candidates are a named vector's. Collection
// "n" holds each point's main vector swapped ((y, x)) and the point itself
// under "img", so an answer by the main vector would differ; "tok" is a
// multivector, which recommend refuses.
TEST_F(RecommendTest, UsingANamedVector) {
  ASSERT_TRUE(
      svc_
          ->CreateCollectionJson(json{
              {"name", "n"},
              {"dimension", 2},
              {"distance_metric", "euclidean"},
              {"vectors",
               {{"img", {{"dimension", 2}, {"distance_metric", "euclidean"}}},
                {"tok",
                 {{"dimension", 2},
                  {"distance_metric", "euclidean"},
                  {"multivector", true}}}}}})
          .ok());
  json batch = json::array();
  for (size_t i = 0; i < 600; ++i) {
    const auto& x = pts_[i];
    json p = {{"id", "p" + std::to_string(i)},
              {"vector", {x[1], x[0]}},
              {"metadata", {{"odd", i % 2}}}};
    if (i != 7) p["vectors"] = {{"img", {x[0], x[1]}}};
    batch.push_back(std::move(p));
    if (i == 299) {
      ASSERT_TRUE(svc_->BatchUpsertJson("n", json{{"vectors", batch}}).ok());
      ASSERT_TRUE(svc_->Flush("n").ok());
      batch = json::array();
    }
  }
  ASSERT_TRUE(svc_->BatchUpsertJson("n", json{{"vectors", batch}}).ok());
  auto ids = [&](const json& body) {
    auto r = svc_->RecommendJson("n", body);
    EXPECT_TRUE(r.ok()) << body.dump() << ": " << r.status().ToString();
    V out;
    if (!r.ok()) return out;
    for (const auto& m : (*r)["matches"]) out.push_back(m["id"]);
    return out;
  };
  auto brute = [&](size_t k, const V& skip, const auto& score) {
    std::vector<std::pair<float, std::string>> all;
    for (size_t i = 0; i < 600; ++i) {
      const std::string id = "p" + std::to_string(i);
      if (i == 7 || std::find(skip.begin(), skip.end(), id) != skip.end()) {
        continue;
      }
      all.push_back({score(pts_[i]), id});
    }
    std::sort(all.begin(), all.end());
    V out;
    for (size_t i = 0; i < k; ++i) out.push_back(all[i].second);
    return out;
  };
  // Average: 2 * mean(p10, (20, 20)) - p20, all under "img".
  const std::vector<float> p10 = pts_[10], p20 = pts_[20];
  const std::vector<float> q = {(p10[0] + 20) - p20[0], (p10[1] + 20) - p20[1]};
  EXPECT_EQ(
      ids({{"positive", {json("p10"), json{20.0, 20.0}}},
           {"negative", {"p20"}},
           {"using", "img"},
           {"k", 10},
           {"exact", true}}),
      brute(10, {"p10", "p20"}, [&](const auto& x) { return Dist(x, q); }));
  // Best score: each candidate's distance to the nearer positive.
  const std::vector<float> a = pts_[1], b = pts_[2];
  json body = {{"positive", {"p1", "p2"}},
               {"strategy", "best_score"},
               {"using", "img"},
               {"k", 12},
               {"include_vector", true}};
  EXPECT_EQ(ids(body), brute(12, {"p1", "p2"}, [&](const auto& x) {
              return std::min(Dist(x, a), Dist(x, b));
            }));
  // The hits carry the named vectors with the vector.
  auto r = svc_->RecommendJson("n", body);
  ASSERT_TRUE(r.ok());
  const json& m0 = (*r)["matches"][0];
  const size_t i0 = std::stoul(m0["id"].get<std::string>().substr(1));
  EXPECT_EQ(m0["vectors"]["img"].get<std::vector<float>>(), pts_[i0]);
  EXPECT_EQ(m0["vector"].get<std::vector<float>>(),
            std::vector<float>({pts_[i0][1], pts_[i0][0]}));
  // Refusals.
  auto message = [&](const json& body) {
    return svc_->RecommendJson("n", body).status().message();
  };
  EXPECT_EQ(message({{"positive", {"p7"}}, {"using", "img"}}),
            "positive[0]: point 'p7' has no vector 'img'");
  EXPECT_EQ(message({{"positive", {"p1"}}, {"using", "nope"}}),
            "using: the collection has no vector named 'nope'");
  EXPECT_EQ(message({{"positive", {"p1"}}, {"using", "tok"}}),
            "using: a recommendation takes single vectors; 'tok' is a "
            "multivector");
  EXPECT_EQ(svc_->RecommendJson("n", json{{"positive", {json{1.0, 2.0, 3.0}}},
                                          {"using", "img"}})
                .status()
                .code(),
            StatusCode::kDimensionMismatch);
}

}  // namespace
}  // namespace proximadb::service
