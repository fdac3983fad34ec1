// Background I/O in collection stats (JSON) and /metrics.
#include <gtest/gtest.h>

#include <random>

#include "service/json_codec.h"
#include "service/metrics.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

class BackgroundIoStatsTest : public test_util::ServiceFixture {
 protected:
  DBOptions Options() const override {
    DBOptions o = ServiceFixture::Options();
    o.background_io_bytes_per_s = 64 << 20;  // 64 MiB/s
    return o;
  }
};

TEST_F(BackgroundIoStatsTest, StatsAndMetricsShowTheBudgetAndTheBytes) {
  CollectionConfig cfg;
  cfg.name = "c";
  cfg.dimension = 16;
  cfg.metric = Metric::kEuclidean;
  cfg.index.algorithm = "flat";
  ASSERT_TRUE(svc_->CreateCollection(cfg).ok());
  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<Point> points;
  for (int i = 0; i < 500; ++i) {
    Point p;
    p.id = "p" + std::to_string(i);
    for (int d = 0; d < 16; ++d) p.vector.push_back(u(rng));
    points.push_back(std::move(p));
  }
  ASSERT_TRUE(svc_->BatchUpsert("c", std::move(points)).ok());
  ASSERT_TRUE(svc_->Flush("c").ok());

  auto info = svc_->CollectionStats("c");
  ASSERT_TRUE(info.ok());
  nlohmann::json j = CollectionStatsToJson(*info);
  ASSERT_TRUE(j.contains("background_io")) << j.dump();
  const nlohmann::json& io = j["background_io"];
  EXPECT_EQ(io["budget_mb_per_s"], 64.0);
  EXPECT_GT(io["bytes_written"]["flush"].get<uint64_t>(), 500u * 64);
  EXPECT_EQ(io["bytes_written"]["compaction"], 0);
  EXPECT_TRUE(io["tasks"].is_array());
  EXPECT_TRUE(io["tasks"].empty());
  EXPECT_TRUE(io["throttled_seconds"].is_number());

  // A running task as JSON: unknown size and ETA are null.
  BackgroundIo running;
  running.tasks.push_back({"index_build", 1, 10, 0, 0.5, -1});
  running.tasks.push_back({"compaction", 3, 10, 40, 0.5, 1.5});
  nlohmann::json t = BackgroundIoToJson(running)["tasks"];
  EXPECT_TRUE(t[0]["bytes_total"].is_null());
  EXPECT_TRUE(t[0]["eta_seconds"].is_null());
  EXPECT_EQ(t[1]["bytes_total"], 40);
  EXPECT_EQ(t[1]["eta_seconds"], 1.5);
  EXPECT_EQ(t[1]["segments"], 3);

  Metrics metrics;
  std::string text = metrics.Render(svc_->ListCollections(), {});
  EXPECT_NE(text.find("proximadb_background_io_budget_bytes_per_second " +
                      std::to_string(64 << 20)),
            std::string::npos)
      << text;
  const std::string flush_bytes =
      "proximadb_collection_background_bytes_written_total{collection=\"c\","
      "kind=\"flush\"} " +
      std::to_string(io["bytes_written"]["flush"].get<uint64_t>());
  EXPECT_NE(text.find(flush_bytes), std::string::npos) << text;
  EXPECT_NE(text.find("proximadb_collection_background_tasks{collection=\"c\","
                      "kind=\"compaction\"} 0"),
            std::string::npos);
  EXPECT_NE(text.find("proximadb_collection_background_throttled_seconds_total"
                      "{collection=\"c\"}"),
            std::string::npos);
}

}  // namespace
}  // namespace proximadb::service
