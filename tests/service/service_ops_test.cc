// The operations added for REST/gRPC parity, through the typed and the JSON
// forms: flush-policy patch, bulk delete by ids and by filter, metadata
// update, count, scroll, batch search, flush/compact/stats.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "service/json_codec.h"
#include "service/service.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

class ServiceOpsTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(
        svc_->CreateCollectionJson(json{{"name", "c"},
                                        {"dimension", 2},
                                        {"distance_metric", "euclidean"}})
            .ok());
    json batch = {{"vectors", json::array()}};
    for (int i = 0; i < 10; ++i) {
      batch["vectors"].push_back(
          {{"id", "p" + std::to_string(i)},
           {"vector", {static_cast<double>(i), 0.0}},
           {"metadata", {{"even", i % 2 == 0}, {"i", i}}}});
    }
    ASSERT_TRUE(svc_->BatchUpsertJson("c", batch).ok());
  }
  StatusCode Code(const Result<json>& r) { return r.status().code(); }
};

TEST_F(ServiceOpsTest, UpdateCollectionPatchesOnlyGivenFields) {
  auto r = svc_->UpdateCollectionJson("c", json{{"max_wal_size_mb", 16}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["flush_policy"]["max_wal_size_mb"], 16.0);
  r = svc_->UpdateCollectionJson(
      "c", json{{"flush_policy", {{"flush_priority", 90}}}});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["flush_policy"]["flush_priority"], 90);
  EXPECT_EQ((*r)["flush_policy"]["max_wal_size_mb"], 16.0);  // kept
  EXPECT_EQ(svc_->GetCollection("c")->config.flush.flush_priority, 90);

  EXPECT_EQ(Code(svc_->UpdateCollectionJson("c", json::object())),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(svc_->UpdateCollectionJson("c", json{{"flush_priority", 0}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(svc_->UpdateCollectionJson("nope", json{{"m", 1}})),
            StatusCode::kInvalidArgument);  // no flush key given
  EXPECT_EQ(
      Code(svc_->UpdateCollectionJson("nope", json{{"flush_priority", 1}})),
      StatusCode::kNotFound);
}

TEST_F(ServiceOpsTest, DeleteByIdsAndByFilter) {
  auto r = svc_->DeleteVectorsJson("c", json{{"ids", {"p0", "p1", "zz"}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["deleted_count"], 2);
  r = svc_->DeleteVectorsJson("c", json{{"filter", {{"even", true}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["deleted_count"], 4);  // p2 p4 p6 p8
  EXPECT_EQ(*svc_->Count("c", json()), 4u);

  for (json bad :
       {json::object(), json{{"ids", {"a"}}, {"filter", json::object()}},
        json{{"ids", "a"}}, json{{"ids", {1}}}, json{{"ids", json::array()}},
        json{{"filter", json::object()}}, json{{"filter", "x"}}}) {
    EXPECT_EQ(Code(svc_->DeleteVectorsJson("c", bad)),
              StatusCode::kInvalidArgument)
        << bad.dump();
  }
  EXPECT_EQ(*svc_->Count("c", json()), 4u);
}

TEST_F(ServiceOpsTest, DeleteByFilterSpansPages) {
  json batch = {{"vectors", json::array()}};
  for (int i = 0; i < 2500; ++i) {
    batch["vectors"].push_back({{"id", "q" + std::to_string(i)},
                                {"vector", {1.0, 1.0}},
                                {"metadata", {{"bulk", true}}}});
  }
  ASSERT_TRUE(svc_->BatchUpsertJson("c", batch).ok());
  auto n = svc_->DeleteByFilter("c", json{{"bulk", true}});
  ASSERT_TRUE(n.ok()) << n.status().ToString();
  EXPECT_EQ(*n, 2500u);
  EXPECT_EQ(*svc_->Count("c", json()), 10u);
}

TEST_F(ServiceOpsTest, UpdateMetadata) {
  auto r = svc_->UpdateMetadataJson("c", "p3", json{{"metadata", {{"x", 1}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(*r, json({{"id", "p3"}, {"status", "updated"}}));
  EXPECT_EQ(svc_->GetPoint("c", "p3")->metadata, json({{"x", 1}}));
  EXPECT_EQ(Code(svc_->UpdateMetadataJson("c", "nope",
                                          json{{"metadata", {{"x", 1}}}})),
            StatusCode::kNotFound);
  EXPECT_EQ(Code(svc_->UpdateMetadataJson("c", "p3", json{{"metadata", 1}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(svc_->UpdateMetadataJson("c", "p3", json::object())),
            StatusCode::kInvalidArgument);
}

TEST_F(ServiceOpsTest, CountAndScroll) {
  EXPECT_EQ((*svc_->CountJson("c", json()))["count"], 10);
  EXPECT_EQ(
      (*svc_->CountJson("c", json{{"filter", {{"even", false}}}}))["count"], 5);
  EXPECT_EQ(Code(svc_->CountJson("c", json{{"filter", 3}})),
            StatusCode::kInvalidArgument);

  std::vector<std::string> ids;
  json body = {{"limit", 4}, {"filter", {{"even", true}}}};
  for (int page = 0; page < 5; ++page) {
    auto r = svc_->ScrollJson("c", body);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    for (const json& p : (*r)["points"]) {
      ids.push_back(p["id"]);
      EXPECT_FALSE(p.contains("vector"));
    }
    if ((*r)["next_after_id"].is_null()) break;
    body["after_id"] = (*r)["next_after_id"];
  }
  EXPECT_EQ(ids, (std::vector<std::string>{"p0", "p2", "p4", "p6", "p8"}));
  auto first = svc_->ScrollJson("c", json());
  ASSERT_TRUE(first.ok());
  EXPECT_EQ((*first)["points"].size(), 10u);
  auto with_vec =
      svc_->ScrollJson("c", json{{"limit", 1}, {"include_vector", true}});
  EXPECT_EQ((*with_vec)["points"][0]["vector"], json({0.0, 0.0}));
  EXPECT_EQ(Code(svc_->ScrollJson("c", json{{"limit", 0}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(svc_->ScrollJson("c", json{{"limit", 10001}})),
            StatusCode::kInvalidArgument);
  ScrollRequest typed;
  typed.limit = 0;
  EXPECT_EQ(svc_->Scroll("c", typed).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ServiceOpsTest, BatchSearch) {
  auto r = svc_->BatchSearchJson("c", json{{"queries",
                                            {{{"vector", {0.0, 0.0}}, {"k", 2}},
                                             {{"vector", {9.0, 0.0}},
                                              {"k", 1},
                                              {"filter", {{"even", true}}}}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ((*r)["results"].size(), 2u);
  EXPECT_EQ((*r)["results"][0]["matches"][0]["id"], "p0");
  EXPECT_EQ((*r)["results"][0]["total_count"], 2);
  EXPECT_EQ((*r)["results"][1]["matches"][0]["id"], "p8");

  auto bad = svc_->BatchSearchJson(
      "c", json{{"queries", {{{"vector", {0.0, 0.0}}}, {{"vector", {1.0}}}}}});
  EXPECT_EQ(bad.status().code(), StatusCode::kDimensionMismatch);
  EXPECT_NE(bad.status().message().find("queries[1]"), std::string::npos);
  EXPECT_EQ(Code(svc_->BatchSearchJson("c", json{{"queries", json::array()}})),
            StatusCode::kInvalidArgument);
  // The typed form validates every query too (what gRPC calls).
  std::vector<SearchRequest> qs(2);
  qs[0].vector = {0, 0};
  qs[1].vector = {0, 0};
  qs[1].k = 0;
  auto typed = svc_->BatchSearch("c", qs);
  EXPECT_EQ(typed.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(typed.status().message().find("queries[1]"), std::string::npos);
  EXPECT_EQ(svc_->BatchSearch("c", std::vector<SearchRequest>(
                                       kMaxBatchQueries + 1, qs[0]))
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ServiceOpsTest, FlushCompactStats) {
  auto s = svc_->CollectionStatsJson("c");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ((*s)["point_count"], 10);
  EXPECT_EQ((*s)["memtable_points"], 10);
  EXPECT_GT((*s)["wal_bytes"].get<uint64_t>(), 0u);
  ASSERT_TRUE(svc_->FlushJson("c").ok());
  s = svc_->CollectionStatsJson("c");
  EXPECT_EQ((*s)["segment_count"], 1);
  EXPECT_EQ((*s)["memtable_points"], 0);
  auto compacted = svc_->CompactJson("c");
  ASSERT_TRUE(compacted.ok()) << compacted.status().ToString();
  EXPECT_EQ((*compacted)["status"], "compacted");
  EXPECT_EQ((*svc_->CollectionStatsJson("c"))["point_count"], 10);
  EXPECT_EQ(Code(svc_->FlushJson("nope")), StatusCode::kNotFound);
  EXPECT_EQ(Code(svc_->CompactJson("nope")), StatusCode::kNotFound);
  EXPECT_EQ(Code(svc_->CollectionStatsJson("nope")), StatusCode::kNotFound);
}

TEST_F(ServiceOpsTest, TypedSearchChecksRanges) {
  SearchRequest q;
  q.vector = {0, 0};
  q.ef_search = 5000;
  EXPECT_EQ(svc_->Search("c", q).status().code(), StatusCode::kInvalidArgument);
  q.ef_search.reset();
  q.k = 10001;
  EXPECT_EQ(svc_->Search("c", q).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(svc_->Upsert("c", {}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(svc_->DeleteByIds("c", {std::string(300, 'x')}).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace proximadb::service
