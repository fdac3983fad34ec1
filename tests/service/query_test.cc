// Hybrid queries (service/query.h) through the JSON service: RRF and DBSF on
// a collection small enough to fuse by hand (the expected scores were
// worked out from the documented formulas, not from the code), rescoring,
// filters on prefetches, and the refusals.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/service.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

// Four points (euclidean, 2-d):
//   p1 [0,0] "red fox"   p2 [1,0] "red"   p3 [5,5] "fox fox fox"
//   p4 [0,1] "blue"
// Dense [0,0], limit 3: p1 (0), p2 (1), p4 (1: tie, by id).
// Text "fox": p3 (BM25 0.944643), p1 (0.654875); N 4, avgdl 7/4, idf ln 2.
class QueryTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(
        svc_->CreateCollectionJson(json{{"name", "q"},
                                        {"dimension", 2},
                                        {"distance_metric", "euclidean"}})
            .ok());
    json pts =
        json::array({{{"id", "p1"},
                      {"vector", {0, 0}},
                      {"metadata", {{"body", "red fox"}, {"n", 1}}}},
                     {{"id", "p2"},
                      {"vector", {1, 0}},
                      {"metadata", {{"body", "red"}, {"n", 2}}}},
                     {{"id", "p3"},
                      {"vector", {5, 5}},
                      {"metadata", {{"body", "fox fox fox"}, {"n", 3}}}}});
    ASSERT_TRUE(svc_->BatchUpsertJson("q", json{{"vectors", pts}}).ok());
    ASSERT_TRUE(svc_->Flush("q").ok());  // p4 stays in the memtable
    ASSERT_TRUE(
        svc_->BatchUpsertJson(
                "q", json{{"vectors",
                           {{{"id", "p4"},
                             {"vector", {0, 1}},
                             {"metadata", {{"body", "blue"}, {"n", 4}}}}}}})
            .ok());
  }

  json Query(json body) {
    auto r = svc_->QueryJson("q", body);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : json();
  }
  std::string Error(json body) {
    auto r = svc_->QueryJson("q", body);
    return r.ok() ? std::string("ok") : r.status().message();
  }
  static std::vector<std::string> Ids(const json& r) {
    std::vector<std::string> out;
    for (const auto& m : r["matches"]) out.push_back(m["id"]);
    return out;
  }
  static json Hybrid(const std::string& fusion) {
    return json{{"prefetch",
                 {{{"vector", {0, 0}}, {"limit", 3}},
                  {{"text", "fox"}, {"using", "body"}, {"limit", 3}}}},
                {"fusion", fusion},
                {"limit", 3}};
  }
};

TEST_F(QueryTest, ReciprocalRankFusion) {
  const json r = Query(Hybrid("rrf"));
  // p1: 1/61 + 1/62; p3: 1/61; p2: 1/62 (p4: 1/63, cut by the limit).
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"p1", "p3", "p2"}));
  EXPECT_NEAR(r["matches"][0]["score"].get<double>(), 0.0325225, 1e-6);
  EXPECT_NEAR(r["matches"][1]["score"].get<double>(), 0.0163934, 1e-6);
  EXPECT_NEAR(r["matches"][2]["score"].get<double>(), 0.0161290, 1e-6);
  EXPECT_EQ(r["matches"][0]["metadata"]["body"], "red fox");
  json k10 = Hybrid("rrf");
  k10["rrf_k"] = 10;
  k10["limit"] = 4;
  const json r10 = Query(k10);
  EXPECT_EQ(Ids(r10), (std::vector<std::string>{"p1", "p3", "p2", "p4"}));
  EXPECT_NEAR(r10["matches"][0]["score"].get<double>(), 1.0 / 11 + 1.0 / 12,
              1e-6);
  EXPECT_NEAR(r10["matches"][3]["score"].get<double>(), 1.0 / 13, 1e-6);
}

TEST_F(QueryTest, DistributionBasedScoreFusion) {
  json body = Hybrid("dbsf");
  body["limit"] = 4;
  const json r = Query(body);
  // Dense scores negated (0, -1, -1) and text scores (0.9446, 0.6549)
  // mapped from mean -+ 3 sd to [0, 1]: p1 0.7357 + 0.3333, p3 0.6667,
  // p2 = p4 0.3821 (tie, by id).
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"p1", "p3", "p2", "p4"}));
  EXPECT_NEAR(r["matches"][0]["score"].get<double>(), 1.0690356, 1e-5);
  EXPECT_NEAR(r["matches"][1]["score"].get<double>(), 2.0 / 3, 1e-5);
  EXPECT_NEAR(r["matches"][2]["score"].get<double>(), 0.3821489, 1e-5);
  EXPECT_NEAR(r["matches"][3]["score"].get<double>(), 0.3821489, 1e-5);
}

TEST_F(QueryTest, RescoreFiltersAndOneList) {
  json body = Hybrid("rrf");
  body["prefetch"][0]["limit"] = 4;
  body["rescore"] = {{"vector", {5, 5}}};
  body["include_vector"] = true;
  const json r = Query(body);
  // The fused candidates ranked by distance to [5,5]: p3 0, then p2 and p4
  // (sqrt 41, a tie by id); p1 (sqrt 50) is cut by the limit.
  EXPECT_EQ(Ids(r), (std::vector<std::string>{"p3", "p2", "p4"}));
  EXPECT_NEAR(r["matches"][0]["score"].get<double>(), 0, 1e-6);
  EXPECT_NEAR(r["matches"][1]["score"].get<double>(), std::sqrt(41.0), 1e-4);
  EXPECT_EQ(r["matches"][0]["vector"], json::array({5, 5}));

  // Each prefetch has its own filter; one list alone is its own ranking.
  json one = {{"prefetch",
               {{{"text", "red fox"},
                 {"using", "body"},
                 {"filter", {{"n", {{"$gte", 2}}}}}}}},
              {"include_metadata", false}};
  const json r1 = Query(one);
  EXPECT_EQ(Ids(r1), (std::vector<std::string>{"p3", "p2"}));
  EXPECT_FALSE(r1["matches"][0].contains("metadata"));
  // Text matching nothing and a vector prefetch: the dense list alone.
  json none = {{"prefetch",
                {{{"text", "purple"}, {"using", "body"}},
                 {{"vector", {5, 5}}, {"limit", 1}}}}};
  EXPECT_EQ(Ids(Query(none)), (std::vector<std::string>{"p3"}));
}

TEST_F(QueryTest, Refusals) {
  auto has = [](const std::string& msg, const std::string& part) {
    return msg.find(part) != std::string::npos;
  };
  EXPECT_TRUE(has(Error(json{{"prefetch", json::array()}}), "1..8"));
  EXPECT_TRUE(has(Error(json::object()), "'prefetch' is required"));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"text", "fox"}}}}}), "needs \"using\""));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"vector", {1, 2}}, {"using", "x"}}}}}),
          "no vector named 'x'"));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"vector", {1, 2, 3}}}}}}), "dimension"));
  const json sparse = {{"indices", {1}}, {"values", {0.5}}};
  EXPECT_TRUE(has(Error(json{{"prefetch", {{{"sparse_vector", sparse}}}}}),
                  "a sparse_vector prefetch needs \"using\""));
  EXPECT_TRUE(has(
      Error(json{{"prefetch", {{{"sparse_vector", sparse}, {"using", "kw"}}}}}),
      "the collection has no sparse vector 'kw'"));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"vector", {1, 2}}, {"text", "a"}}}}}),
          "exactly one of"));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"vector", {1, 2}}}}}, {"fusion", "max"}}),
          "unknown fusion 'max'"));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"vector", {1, 2}}}}}, {"rrf_k", 0}}),
          "rrf_k"));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"text", "--"}, {"using", "body"}}}}}),
          "prefetch[0]: text needs at least one word"));
  EXPECT_TRUE(has(Error(json{{"prefetch", {{{"vector", {1, 2}}}}},
                             {"rescore", {{"vector", {1}}}}}),
                  "dimension"));
  EXPECT_TRUE(
      has(Error(json{{"prefetch", {{{"vector", {1, 2}}, {"bogus", 1}}}}}),
          "unknown field 'prefetch[0].bogus'"));
}

}  // namespace
}  // namespace proximadb::service
