// The query conveniences of the service (search_options.h): search by the
// id of a point, offset, score_threshold; reading many ids at once
// (GetPoints); partial metadata updates by ids and by filter
// (PatchMetadata), across memtable and segments and after a restart.

#include <algorithm>
#include <memory>
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

class SearchOptionsTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(
        svc_->CreateCollectionJson(json{{"name", "c"},
                                        {"dimension", 2},
                                        {"distance_metric", "euclidean"}})
            .ok());
    // p0..p9 at (i, 0); the even ones flushed into a segment, the odd ones
    // in the memtable, so every result mixes both.
    Put(0, 10, 2);
    ASSERT_TRUE(svc_->Flush("c").ok());
    Put(1, 10, 2);
  }
  void Put(int from, int to, int step) {
    json batch = {{"vectors", json::array()}};
    for (int i = from; i < to; i += step) {
      batch["vectors"].push_back(
          {{"id", "p" + std::to_string(i)},
           {"vector", {static_cast<double>(i), 0.0}},
           {"metadata", {{"even", i % 2 == 0}, {"i", i}, {"tag", "t"}}}});
    }
    ASSERT_TRUE(svc_->BatchUpsertJson("c", batch).ok());
  }
  std::vector<std::string> Ids(const json& body) {
    auto r = svc_->SearchJson("c", body);
    EXPECT_TRUE(r.ok()) << body.dump() << ": " << r.status().ToString();
    std::vector<std::string> ids;
    if (!r.ok()) return ids;
    for (const auto& m : (*r)["matches"]) ids.push_back(m["id"]);
    return ids;
  }
  StatusCode Code(const json& body) {
    return svc_->SearchJson("c", body).status().code();
  }
  // Reopens the service on the same data directory (a restart).
  void Reopen() {
    svc_.reset();
    const DBOptions options = Options();
    auto db = DB::Open(options, tmp_.path() + "/db");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    svc_ = std::make_unique<VectorService>(std::move(db).value(),
                                           options.flush_defaults);
  }
  using V = std::vector<std::string>;
};

TEST_F(SearchOptionsTest, SearchByIdLeavesThePointOut) {
  // p4 is in the segment, p5 in the memtable.
  EXPECT_EQ(Ids({{"id", "p4"}, {"k", 2}, {"exact", true}}), (V{"p3", "p5"}));
  EXPECT_EQ(Ids({{"id", "p5"}, {"k", 2}, {"exact", true}}), (V{"p4", "p6"}));
  EXPECT_EQ(Ids({{"id", "p5"}, {"k", 3}, {"filter", {{"even", true}}}}),
            (V{"p4", "p6", "p2"}));
  // The graph path too (not exact).
  EXPECT_EQ(Ids({{"id", "p0"}, {"k", 1}}), (V{"p1"}));
  EXPECT_EQ(Code({{"id", "nope"}}), StatusCode::kNotFound);
  EXPECT_EQ(Code({{"id", "p1"}, {"vector", {1.0, 0.0}}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"id", ""}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"id", 7}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"k", 3}}), StatusCode::kInvalidArgument);  // neither
  EXPECT_EQ(Code({{"id", "p1"}, {"k", kMaxK}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Ids({{"id", "p1"}, {"k", kMaxK - 1}}).size(), 9u);
}

TEST_F(SearchOptionsTest, OffsetPagesThroughTheRanking) {
  const json q = {{"vector", {0.0, 0.0}}, {"exact", true}};
  json all = q;
  all["k"] = 9;
  const V whole = Ids(all);
  ASSERT_EQ(whole.size(), 9u);
  V paged;
  for (int offset = 0; offset < 12; offset += 3) {
    json page = q;
    page["k"] = 3;
    page["offset"] = offset;
    V got = Ids(page);
    paged.insert(paged.end(), got.begin(), got.end());
  }
  V want = whole;
  want.push_back("p9");  // the tenth point, on the last page
  EXPECT_EQ(paged, want);
  json past = q;
  past["offset"] = 50;
  EXPECT_TRUE(Ids(past).empty());
  past["offset"] = -1;
  EXPECT_EQ(Code(past), StatusCode::kInvalidArgument);
  past["offset"] = kMaxK;
  EXPECT_EQ(Code(past), StatusCode::kInvalidArgument);
  past["offset"] = kMaxK - 10;  // k 10 + offset: exactly the limit
  EXPECT_TRUE(Ids(past).empty());
}

TEST_F(SearchOptionsTest, ScoreThresholdKeepsGoodEnoughHits) {
  // Euclidean: the score is the distance; at most 2.5 from (0, 0).
  EXPECT_EQ(Ids({{"vector", {0.0, 0.0}}, {"k", 10}, {"score_threshold", 2.5}}),
            (V{"p0", "p1", "p2"}));
  EXPECT_EQ(Ids({{"vector", {0.0, 0.0}}, {"k", 10}, {"score_threshold", 2.0}}),
            (V{"p0", "p1", "p2"}));  // inclusive
  EXPECT_TRUE(Ids({{"vector", {0.0, 5.0}}, {"k", 10}, {"score_threshold", 1.0}})
                  .empty());
  // With an offset, the threshold first, then the offset.
  EXPECT_EQ(Ids({{"vector", {0.0, 0.0}},
                 {"k", 10},
                 {"score_threshold", 2.5},
                 {"offset", 1}}),
            (V{"p1", "p2"}));
  EXPECT_EQ(Code({{"vector", {0.0, 0.0}}, {"score_threshold", "x"}}),
            StatusCode::kInvalidArgument);
  SearchRequest typed;
  typed.vector = {0, 0};
  typed.score_threshold = std::numeric_limits<float>::infinity();
  EXPECT_EQ(svc_->Search("c", typed).status().code(),
            StatusCode::kInvalidArgument);

  // Cosine: the score is the similarity; at least the threshold.
  ASSERT_TRUE(svc_->CreateCollectionJson(json{{"name", "cos"},
                                              {"dimension", 2},
                                              {"distance_metric", "cosine"}})
                  .ok());
  json batch = {{"vectors",
                 {{{"id", "x"}, {"vector", {1.0, 0.0}}},
                  {{"id", "xy"}, {"vector", {1.0, 1.0}}},
                  {{"id", "y"}, {"vector", {0.0, 1.0}}}}}};
  ASSERT_TRUE(svc_->BatchUpsertJson("cos", batch).ok());
  auto r = svc_->SearchJson(
      "cos", {{"vector", {1.0, 0.0}}, {"k", 3}, {"score_threshold", 0.5}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)["matches"].size(), 2u);  // 1.0 and 0.707, not 0.0
  EXPECT_EQ((*r)["matches"][0]["id"], "x");
  EXPECT_EQ((*r)["matches"][1]["id"], "xy");
  EXPECT_EQ((*r)["total_count"], 2);
}

TEST_F(SearchOptionsTest, BatchSearchAppliesThemPerQuery) {
  auto r = svc_->BatchSearchJson(
      "c", json{{"queries",
                 {{{"id", "p4"}, {"k", 2}, {"exact", true}},
                  {{"vector", {0.0, 0.0}}, {"k", 2}, {"offset", 2}},
                  {{"vector", {0.0, 0.0}}, {"k", 5}, {"score_threshold", 1.0}},
                  {{"vector", {0.0, 0.0}}, {"k", 1}}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  auto ids = [&](int i) {
    V out;
    for (const auto& m : (*r)["results"][i]["matches"]) out.push_back(m["id"]);
    return out;
  };
  EXPECT_EQ(ids(0), (V{"p3", "p5"}));
  EXPECT_EQ(ids(1), (V{"p2", "p3"}));
  EXPECT_EQ(ids(2), (V{"p0", "p1"}));
  EXPECT_EQ(ids(3), (V{"p0"}));
  auto missing = svc_->BatchSearchJson(
      "c", json{{"queries", {{{"vector", {0.0, 0.0}}}, {{"id", "nope"}}}}});
  EXPECT_EQ(missing.status().code(), StatusCode::kNotFound);
  EXPECT_NE(missing.status().message().find("queries[1]"), std::string::npos);
}

TEST_F(SearchOptionsTest, GetPointsReadsManyIds) {
  auto r = svc_->GetPointsJson(
      "c", json{{"ids", {"p5", "nope", "p2", "p5"}}, {"include_vector", true}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, json::parse(R"({"points": [
    {"id": "p5", "vector": [5.0, 0.0],
     "metadata": {"even": false, "i": 5, "tag": "t"}},
    {"id": "p2", "vector": [2.0, 0.0],
     "metadata": {"even": true, "i": 2, "tag": "t"}}]})"));
  r = svc_->GetPointsJson("c", json{{"ids", {"p1"}},
                                    {"include_vector", false},
                                    {"include_metadata", false}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, json::parse(R"({"points": [{"id": "p1"}]})"));
  r = svc_->GetPointsJson("c", json{{"ids", {"nope"}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(*r, json::parse(R"({"points": []})"));
  for (json bad :
       {json::object(), json{{"ids", json::array()}}, json{{"ids", {""}}},
        json{{"ids", "p1"}}, json{{"ids", {"p1"}}, {"other", 1}}}) {
    EXPECT_EQ(svc_->GetPointsJson("c", bad).status().code(),
              StatusCode::kInvalidArgument)
        << bad.dump();
  }
  EXPECT_EQ(
      svc_->GetPoints("c", std::vector<std::string>(kMaxIdsPerCall + 1, "p1"))
          .status()
          .code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(svc_->GetPointsJson("nope", json{{"ids", {"p1"}}}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(SearchOptionsTest, PatchMetadataByIdsKeepsTheOtherKeysAndVectors) {
  // p4 in the segment, p5 in the memtable.
  auto r = svc_->PatchMetadataJson(
      "c", json{{"ids", {"p4", "p5", "nope", "p4"}},
                {"set", {{"tag", "new"}, {"extra", {{"a", 1}}}}},
                {"unset", {"even", "absent"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, json::parse(R"({"updated_count": 2, "not_found": ["nope"]})"));
  auto check = [&] {
    for (int i : {4, 5}) {
      auto p = svc_->GetPoint("c", "p" + std::to_string(i));
      ASSERT_TRUE(p.ok()) << p.status().ToString();
      EXPECT_EQ(p->metadata,
                json({{"i", i}, {"tag", "new"}, {"extra", {{"a", 1}}}}));
      EXPECT_EQ(p->vector, (std::vector<float>{float(i), 0.0f}));
    }
    // The others are untouched, and filters see the new values.
    EXPECT_EQ(svc_->GetPoint("c", "p3")->metadata,
              json({{"even", false}, {"i", 3}, {"tag", "t"}}));
    EXPECT_EQ(*svc_->Count("c", json{{"tag", "new"}}), 2u);
    EXPECT_EQ(*svc_->Count("c", json{{"extra.a", 1}}), 2u);
    EXPECT_EQ(*svc_->Count("c", json()), 10u);
  };
  check();
  Reopen();  // replayed from the WAL
  check();
  ASSERT_TRUE(svc_->Flush("c").ok());
  Reopen();  // from the segments
  check();

  // Refused before anything is written.
  for (json bad :
       {json{{"ids", {"p1"}}}, json{{"ids", {"p1"}}, {"set", json::object()}},
        json{{"ids", {"p1"}}, {"set", {{"a", 1}}}, {"unset", {"a"}}},
        json{{"ids", {"p1"}}, {"set", 1}}, json{{"ids", {"p1"}}, {"unset", 1}},
        json{{"ids", {"p1"}}, {"unset", {1}}},
        json{{"ids", {"p1"}}, {"unset", {""}}}, json{{"set", {{"a", 1}}}},
        json{{"ids", {"p1"}}, {"filter", {{"i", 1}}}, {"set", {{"a", 1}}}},
        json{{"ids", json::array()}, {"set", {{"a", 1}}}},
        json{{"ids", {""}}, {"set", {{"a", 1}}}},
        json{{"filter", json::object()}, {"set", {{"a", 1}}}}}) {
    EXPECT_EQ(svc_->PatchMetadataJson("c", bad).status().code(),
              StatusCode::kInvalidArgument)
        << bad.dump();
  }
  // A result nested too deep names the point; nothing of the batch is
  // written.
  json deep = 1;
  for (size_t i = 0; i < kMaxJsonDepth; ++i) deep = json::array({deep});
  auto too_deep = svc_->PatchMetadataJson(
      "c", json{{"ids", {"p1"}}, {"set", {{"d", deep}}}});
  EXPECT_EQ(too_deep.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(too_deep.status().message().find("nested deeper"),
            std::string::npos)
      << too_deep.status().ToString();
  EXPECT_EQ(svc_->GetPoint("c", "p1")->metadata,
            json({{"even", false}, {"i", 1}, {"tag", "t"}}));
}

TEST_F(SearchOptionsTest, PatchMetadataByFilterSpansPages) {
  json batch = {{"vectors", json::array()}};
  for (int i = 0; i < 2500; ++i) {
    batch["vectors"].push_back({{"id", "q" + std::to_string(i)},
                                {"vector", {1.0, 1.0}},
                                {"metadata", {{"bulk", true}, {"n", i}}}});
  }
  ASSERT_TRUE(svc_->BatchUpsertJson("c", batch).ok());
  // The filter names the key the update changes: every matching point is
  // updated once all the same (pages follow the id order).
  auto r = svc_->PatchMetadataJson("c", json{{"filter", {{"bulk", true}}},
                                             {"set", {{"bulk", false}}},
                                             {"unset", {"n"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, json::parse(R"({"updated_count": 2500, "not_found": []})"));
  EXPECT_EQ(*svc_->Count("c", json{{"bulk", false}}), 2500u);
  EXPECT_EQ(*svc_->Count("c", json{{"n", {{"$exists", true}}}}), 0u);
  EXPECT_EQ(svc_->GetPoint("c", "q7")->vector, (std::vector<float>{1, 1}));
  EXPECT_EQ(*svc_->Count("c", json()), 2510u);
  r = svc_->PatchMetadataJson(
      "c", json{{"filter", {{"bulk", true}}}, {"set", {{"x", 1}}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["updated_count"], 0);
}

}  // namespace
}  // namespace proximadb::service
