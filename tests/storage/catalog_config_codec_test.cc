#include <gtest/gtest.h>

#include "storage/catalog/config_codec.h"

namespace proximadb::catalog {
namespace {

using nlohmann::json;

CollectionConfig Full() {
  CollectionConfig c;
  c.name = "docs_v2-x";
  c.dimension = 768;
  c.metric = Metric::kDotProduct;
  c.index = {"flat", 32, 400, 128};
  c.flush.max_wal_age_hours = 1.5;
  c.flush.max_wal_size_mb = 64.25;
  c.flush.max_vector_count = uint64_t{1} << 40;
  c.flush.flush_priority = -3;
  c.flush.enable_background_flush = false;
  c.wal_format = WalFormat::kAvro;
  return c;
}

void ExpectSame(const CollectionConfig& a, const CollectionConfig& b) {
  EXPECT_EQ(a.name, b.name);
  EXPECT_EQ(a.dimension, b.dimension);
  EXPECT_EQ(a.metric, b.metric);
  EXPECT_EQ(a.index.algorithm, b.index.algorithm);
  EXPECT_EQ(a.index.m, b.index.m);
  EXPECT_EQ(a.index.ef_construction, b.index.ef_construction);
  EXPECT_EQ(a.index.ef_search, b.index.ef_search);
  EXPECT_EQ(a.flush.max_wal_age_hours, b.flush.max_wal_age_hours);
  EXPECT_EQ(a.flush.max_wal_size_mb, b.flush.max_wal_size_mb);
  EXPECT_EQ(a.flush.max_vector_count, b.flush.max_vector_count);
  EXPECT_EQ(a.flush.flush_priority, b.flush.flush_priority);
  EXPECT_EQ(a.flush.enable_background_flush, b.flush.enable_background_flush);
  EXPECT_EQ(a.wal_format, b.wal_format);
}

TEST(ConfigCodecTest, RoundTripsEveryField) {
  const CollectionConfig c = Full();
  // Through text too, as the catalog stores it.
  json j = json::parse(CollectionConfigToJson(c).dump());
  auto back = CollectionConfigFromJson(j);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ExpectSame(c, *back);
}

TEST(ConfigCodecTest, UnsetFlushFieldsStayUnset) {
  CollectionConfig c;
  c.name = "a";
  c.dimension = 3;
  json j = CollectionConfigToJson(c);
  EXPECT_TRUE(j["flush"].empty());
  EXPECT_EQ(j["metric"], "cosine");
  EXPECT_EQ(j["wal_format"], "native");
  auto back = CollectionConfigFromJson(j);
  ASSERT_TRUE(back.ok());
  ExpectSame(c, *back);
}

TEST(ConfigCodecTest, MissingOptionalPartsTakeDefaults) {
  auto c = CollectionConfigFromJson(json{{"name", "n"},
                                         {"dimension", 4},
                                         {"metric", "euclidean"},
                                         {"future_key", {1, 2}}});
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->metric, Metric::kEuclidean);
  EXPECT_EQ(c->index.algorithm, "hnsw");
  EXPECT_EQ(c->index.m, 16u);
  EXPECT_EQ(c->wal_format, WalFormat::kNative);
  EXPECT_FALSE(c->flush.max_wal_age_hours.has_value());
}

TEST(ConfigCodecTest, RefusesBadInputWithoutThrowing) {
  const json base = CollectionConfigToJson(Full());
  std::vector<json> bad = {
      json(), json::array(), json("x"), json(7), json::object(),
  };
  for (const char* key : {"name", "dimension", "metric"}) {
    json j = base;
    j.erase(key);
    bad.push_back(j);
  }
  auto with = [&](json::json_pointer p, json v) {
    json j = base;
    j[p] = std::move(v);
    bad.push_back(j);
  };
  with(json::json_pointer("/name"), 5);
  with(json::json_pointer("/dimension"), -1);
  with(json::json_pointer("/dimension"), 2.5);
  with(json::json_pointer("/dimension"), uint64_t{1} << 33);
  with(json::json_pointer("/dimension"), "768");
  with(json::json_pointer("/metric"), "manhattan");
  with(json::json_pointer("/wal_format"), "xml");
  with(json::json_pointer("/index"), "hnsw");
  with(json::json_pointer("/index/m"), -16);
  with(json::json_pointer("/flush"), json::array());
  with(json::json_pointer("/flush/max_wal_age_hours"), "1h");
  with(json::json_pointer("/flush/max_vector_count"), -5);
  with(json::json_pointer("/flush/flush_priority"), 1.5);
  with(json::json_pointer("/flush/flush_priority"), int64_t{1} << 40);
  with(json::json_pointer("/flush/enable_background_flush"), 1);
  for (const json& j : bad) {
    auto c = CollectionConfigFromJson(j);
    EXPECT_FALSE(c.ok()) << j.dump();
    if (!c.ok()) {
      EXPECT_EQ(c.status().code(), StatusCode::kInvalidArgument) << j.dump();
    }
  }
}

// The last migration rides in the configuration (so a restart resumes it);
// absent, the stored bytes are those of before migrations existed.
TEST(ConfigCodecTest, MigrationRecordRoundTrips) {
  CollectionConfig c = Full();
  EXPECT_FALSE(CollectionConfigToJson(c).contains("migration"));
  MigrationRecord m;
  m.id = "mig-17";
  m.state = "running";
  m.started_unix_ms = 17;
  m.from = c.layout();
  m.to.storage_strategy = "custom";
  m.to.memtable = "hash";
  m.to.index.algorithm = "ivf";
  m.to.index.nlist = 12;
  m.to.compression = "zstd";
  c.migration = m;
  auto back = CollectionConfigFromJson(CollectionConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->migration.has_value());
  EXPECT_EQ(*back->migration, m);
  json bad = CollectionConfigToJson(c);
  bad["migration"]["state"] = "paused";
  EXPECT_FALSE(CollectionConfigFromJson(bad).ok());
  bad = CollectionConfigToJson(c);
  bad["migration"].erase("to");
  EXPECT_FALSE(CollectionConfigFromJson(bad).ok());
}

// compression: stored only when not "none", so the bytes of collections
// from before it are unchanged, and absent reads back as "none".
TEST(ConfigCodecTest, CompressionRoundTrips) {
  CollectionConfig c = Full();
  c.compression = "none";
  EXPECT_FALSE(CollectionConfigToJson(c).contains("compression"));
  auto plain = CollectionConfigFromJson(CollectionConfigToJson(c));
  ASSERT_TRUE(plain.ok());
  EXPECT_EQ(plain->compression, "none");
  c.storage_strategy = "custom";
  c.compression = "zstd";
  EXPECT_EQ(CollectionConfigToJson(c)["compression"], "zstd");
  auto back = CollectionConfigFromJson(CollectionConfigToJson(c));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->compression, "zstd");
  json bad = CollectionConfigToJson(c);
  bad["compression"] = 3;
  EXPECT_FALSE(CollectionConfigFromJson(bad).ok());
}

}  // namespace
}  // namespace proximadb::catalog
