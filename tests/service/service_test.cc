// VectorService over a real DB in a temporary directory: the JSON operations
// end to end without HTTP, and the typed operations' own validation.
#include "service/service.h"

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

class ServiceTest : public test_util::ServiceFixture {
 protected:
  DBOptions Options() const override {
    DBOptions options = ServiceFixture::Options();
    options.flush_defaults.max_wal_size_mb = 7;
    return options;
  }
};

TEST_F(ServiceTest, CollectionLifecycle) {
  auto created = svc_->CreateCollectionJson(
      json{{"name", "docs"}, {"dimension", 3}, {"max_wal_age_hours", 0.5}});
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["flush_policy"]["max_wal_age_hours"], 0.5);
  // Unset keys report the server default the service was given.
  EXPECT_EQ((*created)["flush_policy"]["max_wal_size_mb"], 7.0);

  auto dup =
      svc_->CreateCollectionJson(json{{"name", "docs"}, {"dimension", 3}});
  EXPECT_EQ(dup.status().code(), StatusCode::kAlreadyExists);

  json list = svc_->ListCollectionsJson();
  EXPECT_EQ(list["total_count"], 1);
  EXPECT_EQ(list["collections"][0]["name"], "docs");

  EXPECT_TRUE(svc_->GetCollectionJson("docs").ok());
  EXPECT_EQ(svc_->GetCollectionJson("nope").status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(svc_->DeleteCollectionJson("docs").ok());
  EXPECT_EQ(svc_->DeleteCollectionJson("docs").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(svc_->ListCollectionsJson()["total_count"], 0);
}

TEST_F(ServiceTest, PointsAndSearch) {
  ASSERT_TRUE(
      svc_->CreateCollectionJson(json{{"name", "c"}, {"dimension", 2}}).ok());
  auto one = svc_->UpsertJson(
      "c", json{{"id", "a"}, {"vector", {1, 0}}, {"metadata", {{"k", 1}}}});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ(*one, json({{"id", "a"}, {"status", "ok"}}));

  auto batch = svc_->BatchUpsertJson(
      "c", json{{"vectors",
                 {{{"id", "b"}, {"vector", {0, 1}}}, {{"vector", {1, 1}}}}}});
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ((*batch)["total_count"], 2);
  EXPECT_EQ((*batch)["inserted_ids"][0], "b");
  EXPECT_FALSE((*batch)["inserted_ids"][1].get<std::string>().empty());

  auto got = svc_->GetPointJson("c", "a");
  ASSERT_TRUE(got.ok());
  EXPECT_EQ((*got)["vector"], json({1.0, 0.0}));
  EXPECT_EQ((*got)["metadata"]["k"], 1);

  auto found = svc_->SearchJson("c", json{{"vector", {1, 0}}, {"k", 2}});
  ASSERT_TRUE(found.ok()) << found.status().ToString();
  EXPECT_EQ((*found)["total_count"], 2);
  EXPECT_EQ((*found)["matches"][0]["id"], "a");

  auto filtered =
      svc_->SearchJson("c", json{{"vector", {0, 1}}, {"filter", {{"k", 1}}}});
  ASSERT_TRUE(filtered.ok());
  EXPECT_EQ((*filtered)["total_count"], 1);
  EXPECT_EQ((*filtered)["matches"][0]["id"], "a");

  EXPECT_TRUE(svc_->DeletePointJson("c", "a").ok());
  EXPECT_EQ(svc_->DeletePointJson("c", "a").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(svc_->GetPointJson("c", "a").status().code(),
            StatusCode::kNotFound);
  EXPECT_EQ(svc_->UpsertJson("nope", json{{"vector", {1, 0}}}).status().code(),
            StatusCode::kNotFound);
}

TEST_F(ServiceTest, RefusedWritesChangeNothing) {
  ASSERT_TRUE(
      svc_->CreateCollectionJson(json{{"name", "c"}, {"dimension", 2}}).ok());
  auto bad = svc_->BatchUpsertJson(
      "c", json{{"vectors",
                 {{{"id", "x"}, {"vector", {1, 0}}},
                  {{"id", "y"}, {"vector", {1, 0, 0}}}}}});
  EXPECT_EQ(bad.status().code(), StatusCode::kDimensionMismatch);
  EXPECT_EQ(svc_->GetPointJson("c", "x").status().code(),
            StatusCode::kNotFound);

  // The typed entry point (used by gRPC) checks dimensions itself.
  std::vector<Point> points(1);
  points[0].id = "z";
  points[0].vector = {1, 2, 3};
  auto typed = svc_->Upsert("c", std::move(points));
  EXPECT_EQ(typed.status().code(), StatusCode::kDimensionMismatch);
  EXPECT_EQ(svc_->GetCollection("c")->point_count, 0u);
  EXPECT_EQ(svc_->GetPoint("c", std::string(300, 'x')).status().code(),
            StatusCode::kInvalidArgument);
}

TEST_F(ServiceTest, Health) {
  json h = svc_->Health();
  EXPECT_EQ(h["status"], "healthy");
  EXPECT_EQ(h["version"], kVersion);
}

}  // namespace
}  // namespace proximadb::service
