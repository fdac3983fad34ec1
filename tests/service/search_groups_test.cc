// Grouped search (search_groups.h): the best groups of hits sharing a
// metadata value, exact even when a group's hits rank past 12,000 hits of
// another group and when groups are found only past them (more than the
// widest search, kMaxK, could see), over memtable and segments, both
// search paths, batch search, and the request's limits.

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

// Points on the x axis of a 2-d euclidean collection, searched from the
// origin, so a point's distance is its x:
//   nofield  0.1  no "doc" (in no group)
//   arr      0.3  doc ["x", "y"] (in both)
//   n0       0.5  doc "near"; n1, n2 at 100, 101 (past every "big" point)
//   big_i    1 + i / 12000 for 12,000 points: doc "big"
//   g{j}_{m} 50 + 2j + m / 10 for j < 5, m < 3: doc "g{j}"
//   i7_{m}   70 + m: doc 7 (an integer)
// The first half of "big" and everything else but n1, n2 is flushed into a
// segment; the rest stays in the memtable.
class SearchGroupsTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(
        svc_->CreateCollectionJson(json{{"name", "c"},
                                        {"dimension", 2},
                                        {"distance_metric", "euclidean"}})
            .ok());
    Add("nofield", 0.1, json::object());
    Add("arr", 0.3, {{"doc", {"x", "y"}}});
    Add("n0", 0.5, {{"doc", "near"}});
    for (int j = 0; j < 5; ++j) {
      for (int m = 0; m < 3; ++m) {
        Add("g" + std::to_string(j) + "_" + std::to_string(m),
            50 + 2 * j + m / 10.0, {{"doc", "g" + std::to_string(j)}});
      }
    }
    for (int m = 0; m < 3; ++m)
      Add("i7_" + std::to_string(m), 70 + m, {{"doc", 7}});
    for (int i = 0; i < 12000; ++i) {
      Add("big_" + std::to_string(i), 1 + i / 12000.0, {{"doc", "big"}});
      if (i == 6000) Send(/*flush=*/true);
    }
    Add("n1", 100, {{"doc", "near"}});
    Add("n2", 101, {{"doc", "near"}});
    Send(false);
  }
  void Add(const std::string& id, double x, json metadata) {
    metadata["x"] = x;
    batch_.push_back(
        {{"id", id}, {"vector", {x, 0.0}}, {"metadata", std::move(metadata)}});
    if (batch_.size() == 1000) Send(false);
  }
  void Send(bool flush) {
    if (!batch_.empty()) {
      ASSERT_TRUE(svc_->BatchUpsertJson("c", json{{"vectors", batch_}}).ok());
      batch_ = json::array();
    }
    if (flush) {
      ASSERT_TRUE(svc_->Flush("c").ok());
    }
  }
  // "group: hit,hit | group: hit" for a grouped search's answer.
  std::string Groups(json body) {
    body["vector"] = {0.0, 0.0};
    auto r = svc_->SearchJson("c", body);
    EXPECT_TRUE(r.ok()) << body.dump() << ": " << r.status().ToString();
    if (!r.ok()) return "";
    return Render(*r);
  }
  static std::string Render(const json& answer) {
    std::string out;
    EXPECT_FALSE(answer.contains("matches"));
    EXPECT_EQ(answer["total_count"], answer["groups"].size());
    for (const auto& g : answer["groups"]) {
      if (!out.empty()) out += " | ";
      out +=
          (g["id"].is_string() ? g["id"].get<std::string>() : g["id"].dump()) +
          ":";
      for (const auto& h : g["hits"]) out += " " + h["id"].get<std::string>();
    }
    return out;
  }
  StatusCode Code(json body) {
    body["vector"] = {0.0, 0.0};
    return svc_->SearchJson("c", body).status().code();
  }
  json batch_ = json::array();
};

const char* kAllGroups =
    "x: arr | y: arr | near: n0 n1 n2 | big: big_0 big_1 big_2 | "
    "g0: g0_0 g0_1 g0_2 | g1: g1_0 g1_1 g1_2 | g2: g2_0 g2_1 g2_2 | "
    "g3: g3_0 g3_1 g3_2 | g4: g4_0 g4_1 g4_2 | 7: i7_0 i7_1 i7_2";

TEST_F(SearchGroupsTest, ExactAcrossSegmentsAndPastTheBestHits) {
  // "near" needs its own search (n1, n2 rank past 12,000 "big" hits); the
  // g groups and 7 are found only with the groups before them excluded.
  EXPECT_EQ(
      Groups(
          {{"k", 10}, {"group_by", "doc"}, {"group_size", 3}, {"exact", true}}),
      kAllGroups);
  // The graph path gives the same answer on these well separated points.
  EXPECT_EQ(Groups({{"k", 10}, {"group_by", "doc"}, {"group_size", 3}}),
            kAllGroups);
  // group_size defaults to 1; k counts groups.
  EXPECT_EQ(Groups({{"k", 4}, {"group_by", "doc"}, {"exact", true}}),
            "x: arr | y: arr | near: n0 | big: big_0");
}

TEST_F(SearchGroupsTest, OffsetThresholdFilterAndSearchById) {
  EXPECT_EQ(Groups({{"k", 2},
                    {"offset", 2},
                    {"group_by", "doc"},
                    {"group_size", 2},
                    {"exact", true}}),
            "near: n0 n1 | big: big_0 big_1");
  // A threshold cuts hits (n1, n2 are past 60) and whole groups.
  EXPECT_EQ(Groups({{"k", 10},
                    {"group_by", "doc"},
                    {"group_size", 3},
                    {"score_threshold", 52.05},
                    {"exact", true}}),
            "x: arr | y: arr | near: n0 | big: big_0 big_1 big_2 | "
            "g0: g0_0 g0_1 g0_2 | g1: g1_0");
  // The request's filter applies to every search of the group.
  EXPECT_EQ(Groups({{"k", 3},
                    {"group_by", "doc"},
                    {"group_size", 2},
                    {"filter", {{"x", {{"$gte", 60}}}}},
                    {"exact", true}}),
            "7: i7_0 i7_1 | near: n1 n2");
  // By id: the point itself is in no group.
  auto r = svc_->SearchJson("c", json{{"id", "n0"},
                                      {"k", 2},
                                      {"group_by", "doc"},
                                      {"group_size", 2},
                                      {"exact", true}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(Render(*r), "x: arr | y: arr");
}

TEST_F(SearchGroupsTest, MetadataOnlyWhenAskedAndBatchSearch) {
  auto r = svc_->SearchJson("c", json{{"vector", {0.0, 0.0}},
                                      {"k", 1},
                                      {"group_by", "doc"},
                                      {"include_metadata", false}});
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE((*r)["groups"][0]["hits"][0].contains("metadata"));
  EXPECT_EQ((*r)["groups"][0]["id"], "x");

  auto b = svc_->BatchSearchJson(
      "c", json{{"queries",
                 {{{"vector", {0.0, 0.0}}, {"k", 2}},
                  {{"vector", {0.0, 0.0}},
                   {"k", 2},
                   {"group_by", "doc"},
                   {"group_size", 2},
                   {"offset", 2}},
                  {{"vector", {0.0, 0.0}}, {"k", 1}, {"offset", 1}}}}});
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  const json& results = (*b)["results"];
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0]["matches"][0]["id"], "nofield");
  EXPECT_EQ(results[0]["matches"][1]["id"], "arr");
  EXPECT_EQ(Render(results[1]), "near: n0 n1 | big: big_0 big_1");
  EXPECT_EQ(results[2]["matches"][0]["id"], "arr");
}

TEST_F(SearchGroupsTest, LimitsAreCheckedFirst) {
  EXPECT_EQ(Code({{"group_size", 2}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", ""}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", "$doc"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", "a..b"}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", 3}}), StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", "doc"}, {"group_size", 0}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", "doc"}, {"group_size", kMaxGroupSize + 1}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", "doc"}, {"group_size", 100}, {"k", 101}}),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code({{"group_by", "doc"}, {"group_size", 100}, {"k", 100}}),
            StatusCode::kOk);
  // Nothing groups on a field no point has.
  EXPECT_EQ(Groups({{"group_by", "nope"}}), "");
}

}  // namespace
}  // namespace proximadb::service
