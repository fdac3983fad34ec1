// Segments and tiers at the service edge: the tiering policy in create /
// PATCH / GET, ListSegments and MoveSegment (typed and JSON forms: the
// validation of ids and tiers, the JSON shapes, the engine's refusals), the
// per-tier totals and counters in stats, and the tier metrics.

#include <filesystem>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "service/json_codec.h"
#include "service/metrics.h"
#include "service/service.h"
#include "util/service_fixture.h"
#include "util/temp_dir.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

class TierServiceTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_FALSE(warm_.path().empty());
    auto r = svc_->CreateCollectionJson(
        json{{"name", "c"},
             {"dimension", 2},
             {"distance_metric", "euclidean"},
             {"tiering", {{"warm_directory", warm_.path()}}}});
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    json batch = {{"vectors", json::array()}};
    for (int i = 0; i < 10; ++i) {
      batch["vectors"].push_back({{"id", "p" + std::to_string(i)},
                                  {"vector", {static_cast<double>(i), 0.0}},
                                  {"metadata", {{"i", i}}}});
    }
    ASSERT_TRUE(svc_->BatchUpsertJson("c", batch).ok());
    ASSERT_TRUE(svc_->Flush("c").ok());
    auto segments = svc_->ListSegments("c");
    ASSERT_TRUE(segments.ok()) << segments.status().ToString();
    ASSERT_EQ(segments->size(), 1u);
    id_ = (*segments)[0].id;
  }
  static StatusCode Code(const Result<json>& r) { return r.status().code(); }
  static std::string Message(const Result<json>& r) {
    return r.status().message();
  }
  std::string Id() const { return std::to_string(id_); }

  test_util::TempDir warm_;
  uint64_t id_ = 0;
};

TEST_F(TierServiceTest, CreateReturnsTheResolvedPolicyAndTiers) {
  auto r = svc_->GetCollectionJson("c");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ((*r)["tiering"], (json{{"warm_after_hours", 0.0},
                                   {"cold_after_hours", 0.0},
                                   {"warm_directory", warm_.path()},
                                   {"cache_mb", 1024},
                                   {"wal_archive", false}}));
  EXPECT_EQ((*r)["tiers"]["hot"]["segments"], 1);
  EXPECT_EQ((*r)["tiers"]["hot"]["points"], 10);
  EXPECT_GT((*r)["tiers"]["hot"]["bytes"].get<uint64_t>(), 0u);
  EXPECT_EQ((*r)["tiers"]["warm"],
            (json{{"segments", 0}, {"bytes", 0}, {"points", 0}}));
  EXPECT_EQ((*r)["tiers"]["cold"]["segments"], 0);
  // A returned collection can be sent back to create a copy (the read-only
  // "tiers" is ignored; "tiering" is taken).
  json copy = *r;
  copy["name"] = "copy";
  auto created = svc_->CreateCollectionJson(copy);
  ASSERT_TRUE(created.ok()) << created.status().ToString();
  EXPECT_EQ((*created)["tiering"], (*r)["tiering"]);
}

TEST_F(TierServiceTest, CreateRefusesBadTieringFields) {
  auto create = [&](json tiering) {
    return svc_->CreateCollectionJson(
        json{{"name", "x"}, {"dimension", 2}, {"tiering", tiering}});
  };
  EXPECT_EQ(Message(create(json{{"warm_dir", "/a"}})),
            "unknown field 'tiering.warm_dir'");
  EXPECT_EQ(Message(create(json{{"warm_directory", "rel"}})),
            "field 'warm_directory' must be an absolute path, got 'rel'");
  EXPECT_EQ(Message(create(json{{"warm_after_hours", "1"}})),
            "field 'tiering.warm_after_hours' must be a number, got string");
  EXPECT_EQ(Code(create(json{{"cold_after_hours", -1}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(create(json{{"cold_after_hours", 876001}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(create(json{{"cache_mb", 1048577}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(create(json{{"cache_mb", 1.5}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(create(json(7))),
            "field 'tiering' must be a JSON object, got number");
  EXPECT_EQ(svc_->GetCollection("x").status().code(), StatusCode::kNotFound);
}

TEST_F(TierServiceTest, PatchChangesOnlyTheGivenTieringFields) {
  auto r = svc_->UpdateCollectionJson(
      "c", json{{"tiering", {{"warm_after_hours", 12}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["tiering"]["warm_after_hours"], 12.0);
  EXPECT_EQ((*r)["tiering"]["warm_directory"], warm_.path());  // kept
  // With a flush field: both change.
  r = svc_->UpdateCollectionJson(
      "c", json{{"max_vector_count", 77}, {"tiering", {{"cache_mb", 5}}}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["flush_policy"]["max_vector_count"], 77);
  EXPECT_EQ((*r)["tiering"]["cache_mb"], 5);
  EXPECT_EQ((*r)["tiering"]["warm_after_hours"], 12.0);
  CollectionConfig cfg = svc_->GetCollection("c")->config;
  EXPECT_EQ(cfg.tiering.cache_mb, 5u);
  EXPECT_EQ(cfg.flush.max_vector_count, 77u);

  // Refusals change nothing.
  EXPECT_EQ(Code(svc_->UpdateCollectionJson("c", json::object())),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(
      Code(svc_->UpdateCollectionJson("c", json{{"tiering", json::object()}})),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(Message(svc_->UpdateCollectionJson(
                "c", json{{"tiering", {{"hot_after_hours", 1}}}})),
            "unknown field 'tiering.hot_after_hours'");
  EXPECT_EQ(
      Code(svc_->UpdateCollectionJson(
          "c", json{{"flush_priority", 0}, {"tiering", {{"cache_mb", 9}}}})),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(Code(svc_->UpdateCollectionJson(
                "c", json{{"tiering", {{"warm_directory", "not/absolute"}}}})),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(svc_->GetCollection("c")->config.tiering.cache_mb, 5u);
  EXPECT_EQ(Code(svc_->UpdateCollectionJson(
                "nope", json{{"tiering", {{"cache_mb", 9}}}})),
            StatusCode::kNotFound);
}

TEST_F(TierServiceTest, TypedUpdateWithTieringOnly) {
  TieringPolicy t;
  t.cold_after_hours = 48;
  auto info = svc_->UpdateCollection("c", FlushPolicy{}, t);
  ASSERT_TRUE(info.ok()) << info.status().ToString();
  EXPECT_EQ(info->config.tiering.cold_after_hours, 48.0);
  EXPECT_EQ(info->config.tiering.warm_directory, warm_.path());
  EXPECT_EQ(svc_->UpdateCollection("c", FlushPolicy{}, TieringPolicy{})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST_F(TierServiceTest, ListSegmentsJsonShape) {
  auto r = svc_->ListSegmentsJson("c");
  ASSERT_TRUE(r.ok());
  ASSERT_EQ((*r)["segments"].size(), 1u);
  const json& s = (*r)["segments"][0];
  EXPECT_TRUE(s["id"].is_number_unsigned());
  EXPECT_EQ(s["id"], id_);
  EXPECT_EQ(s["tier"], "hot");
  EXPECT_EQ(s["points"], 10);
  EXPECT_EQ(s["live_points"], 10);
  EXPECT_GT(s["bytes"].get<uint64_t>(), 0u);
  EXPECT_TRUE(s["directory"].is_string());
  EXPECT_TRUE(s["min_seq"].is_number_unsigned());
  EXPECT_LE(s["min_seq"].get<uint64_t>(), s["max_seq"].get<uint64_t>());
  EXPECT_TRUE(s["graph_loaded"].is_boolean());
  EXPECT_EQ(s["cached"], false);
  EXPECT_GT(s["newest_write_unix_ms"].get<uint64_t>(), 0u);
  EXPECT_EQ(s["compressed"], false);  // a standard collection's segment
  EXPECT_EQ(s["unpacked_bytes"], 0);
  EXPECT_EQ(s.size(), 13u);
  EXPECT_EQ(Code(svc_->ListSegmentsJson("nope")), StatusCode::kNotFound);
}

TEST_F(TierServiceTest, MoveToWarmAndBack) {
  auto r = svc_->MoveSegmentJson("c", Id(), json{{"tier", "warm"}});
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ((*r)["id"], id_);
  EXPECT_EQ((*r)["tier"], "warm");
  EXPECT_EQ(std::filesystem::path((*r)["directory"].get<std::string>())
                .lexically_normal(),
            std::filesystem::path(warm_.path()).lexically_normal());
  EXPECT_EQ((*svc_->ListSegmentsJson("c"))["segments"][0], *r);
  EXPECT_EQ(*svc_->Count("c", json()), 10u);
  EXPECT_EQ(svc_->GetPoint("c", "p4")->metadata, (json{{"i", 4}}));
  auto stats = svc_->CollectionStatsJson("c");
  ASSERT_TRUE(stats.ok());
  EXPECT_EQ((*stats)["tiers"]["warm"]["segments"], 1);
  EXPECT_EQ((*stats)["tiers"]["hot"]["segments"], 0);
  EXPECT_EQ((*stats)["tiering"]["moves"], 1);
  EXPECT_EQ((*stats)["tiering"]["move_failures"], 0);
  EXPECT_EQ((*stats)["tiering"].size(), 12u);

  // Moving to the tier it is in is a no-op that answers the entry.
  auto again = svc_->MoveSegment("c", id_, "warm");
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(again->tier, Tier::kWarm);

  auto back = svc_->MoveSegment("c", id_, "hot");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->tier, Tier::kHot);
  EXPECT_EQ(*svc_->Count("c", json()), 10u);
}

TEST_F(TierServiceTest, MoveRefusals) {
  // The id from the URL.
  for (const char* bad :
       {"0", "-1", "abc", "", "1.5", "99999999999999999999", " 1"}) {
    auto r = svc_->MoveSegmentJson("c", bad, json{{"tier", "warm"}});
    EXPECT_EQ(Code(r), StatusCode::kInvalidArgument) << bad;
    EXPECT_EQ(Message(r), "segment id must be a positive integer, got '" +
                              std::string(bad) + "'");
  }
  // The body.
  EXPECT_EQ(Message(svc_->MoveSegmentJson("c", Id(), json{{"tier", "tepid"}})),
            "field 'tier' must be hot, warm or cold, got 'tepid'");
  EXPECT_EQ(Message(svc_->MoveSegmentJson("c", Id(), json::object())),
            "missing required field 'tier' (hot, warm or cold)");
  EXPECT_EQ(Message(svc_->MoveSegmentJson("c", Id(), json{{"tier", 1}})),
            "field 'tier' must be a string, got number");
  EXPECT_EQ(Message(svc_->MoveSegmentJson(
                "c", Id(), json{{"tier", "warm"}, {"now", true}})),
            "unknown field 'now'");
  // The typed form says the same.
  EXPECT_EQ(svc_->MoveSegment("c", 0, "warm").status().message(),
            "segment id must be a positive integer, got '0'");
  EXPECT_EQ(svc_->MoveSegment("c", id_, "").status().message(),
            "field 'tier' must be hot, warm or cold, got ''");
  // The engine's answers.
  auto unknown = svc_->MoveSegmentJson("c", std::to_string(id_ + 1000),
                                       json{{"tier", "warm"}});
  EXPECT_EQ(Code(unknown), StatusCode::kNotFound);
  EXPECT_NE(Message(unknown).find("has no segment"), std::string::npos);
  EXPECT_EQ(Code(svc_->MoveSegmentJson("nope", Id(), json{{"tier", "warm"}})),
            StatusCode::kNotFound);
  auto cold = svc_->MoveSegmentJson("c", Id(), json{{"tier", "cold"}});
  EXPECT_EQ(Code(cold), StatusCode::kFailedPrecondition);
  EXPECT_NE(Message(cold).find("cold tier"), std::string::npos);
  // Nothing moved.
  EXPECT_EQ((*svc_->ListSegments("c"))[0].tier, Tier::kHot);
}

TEST_F(TierServiceTest, NoWarmDirectoryIsAFailedPrecondition) {
  ASSERT_TRUE(
      svc_->CreateCollectionJson(json{{"name", "plain"}, {"dimension", 2}})
          .ok());
  ASSERT_TRUE(svc_->Upsert("plain", {Point{"a", {1, 2}, json::object()}}).ok());
  ASSERT_TRUE(svc_->Flush("plain").ok());
  auto segments = svc_->ListSegments("plain");
  ASSERT_TRUE(segments.ok());
  ASSERT_EQ(segments->size(), 1u);
  auto r = svc_->MoveSegment("plain", (*segments)[0].id, "warm");
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(r.status().message().find("warm directory"), std::string::npos);
}

TEST_F(TierServiceTest, MissingWarmDirectoryIsUnavailable) {
  const std::string gone = warm_.path() + "/not-mounted";
  ASSERT_TRUE(svc_->UpdateCollectionJson(
                      "c", json{{"tiering", {{"warm_directory", gone}}}})
                  .ok());
  auto r = svc_->MoveSegmentJson("c", Id(), json{{"tier", "warm"}});
  EXPECT_EQ(Code(r), StatusCode::kUnavailable);
  EXPECT_NE(Message(r).find(gone), std::string::npos) << Message(r);
  // The segment stayed where it was.
  EXPECT_EQ((*svc_->ListSegments("c"))[0].tier, Tier::kHot);
  EXPECT_EQ(*svc_->Count("c", json()), 10u);
}

TEST_F(TierServiceTest, MetricsPerCollectionAndTier) {
  ASSERT_TRUE(svc_->MoveSegment("c", id_, "warm").ok());
  Metrics m;
  const std::string t = m.Render(svc_->ListCollections(), ProcessSample{});
  for (const char* line : {
           "# TYPE proximadb_segments gauge",
           "proximadb_segments{collection=\"c\",tier=\"hot\"} 0",
           "proximadb_segments{collection=\"c\",tier=\"warm\"} 1",
           "proximadb_segments{collection=\"c\",tier=\"cold\"} 0",
           "# TYPE proximadb_segment_bytes gauge",
           "proximadb_segment_bytes{collection=\"c\",tier=\"cold\"} 0",
           "# TYPE proximadb_tier_moves_total counter",
           "proximadb_tier_moves_total{collection=\"c\"} 1",
           "proximadb_tier_move_failures_total{collection=\"c\"} 0",
           "proximadb_object_uploads_total{collection=\"c\"} 0",
           "proximadb_object_upload_bytes_total{collection=\"c\"} 0",
           "proximadb_object_downloads_total{collection=\"c\"} 0",
           "proximadb_object_download_bytes_total{collection=\"c\"} 0",
           "proximadb_object_retries_total{collection=\"c\"} 0",
           "proximadb_object_failures_total{collection=\"c\"} 0",
           "proximadb_cache_hits_total{collection=\"c\"} 0",
           "proximadb_cache_misses_total{collection=\"c\"} 0",
           "proximadb_cache_evictions_total{collection=\"c\"} 0",
           "# TYPE proximadb_cache_bytes gauge",
           "proximadb_cache_bytes{collection=\"c\"} 0",
       }) {
    EXPECT_NE(t.find(std::string(line) + "\n"), std::string::npos) << line;
  }
  auto bytes = (*svc_->ListSegments("c"))[0].bytes;
  EXPECT_NE(t.find("proximadb_segment_bytes{collection=\"c\",tier=\"warm\"} " +
                   std::to_string(bytes) + "\n"),
            std::string::npos);
}

}  // namespace
}  // namespace proximadb::service
