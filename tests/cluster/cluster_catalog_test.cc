#include "cluster/cluster_catalog.h"

#include <gtest/gtest.h>

#include <map>

#include "cluster/rpc/shard_codec.h"

namespace proximadb::cluster {
namespace {

ShardedCollection Sample() {
  ShardedCollection c;
  c.def.config.name = "docs";
  c.def.config.dimension = 4;
  c.def.config.metric = Metric::kEuclidean;
  c.def.config.shard_count = 3;
  c.def.config.replication_factor = 2;
  c.def.config.flush.max_wal_size_mb = 8;
  c.def.payload_indexes.push_back({"tag", PayloadIndexType::kKeyword});
  c.uid = "0123456789abcdef";
  c.created_at_unix_ms = 1764460800000;
  c.placement = {{"n1", "n2"}, {"n2", "n3"}, {"n3", "n1"}};
  return c;
}

TEST(ShardedCollectionTest, RoundTrips) {
  const ShardedCollection c = Sample();
  auto back = DecodeShardedCollection(EncodeShardedCollection(c), "docs");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->uid, c.uid);
  EXPECT_EQ(back->created_at_unix_ms, c.created_at_unix_ms);
  EXPECT_EQ(back->placement, c.placement);
  EXPECT_EQ(back->def.config.shard_count, 3u);
  EXPECT_EQ(back->def.config.replication_factor, 2u);
  EXPECT_EQ(back->def.config.metric, Metric::kEuclidean);
  EXPECT_EQ(back->def.config.flush, c.def.config.flush);
  EXPECT_EQ(back->def.payload_indexes, c.def.payload_indexes);
}

TEST(ShardedCollectionTest, DamageIsCorruptionNamingTheEntry) {
  std::string bytes = EncodeShardedCollection(Sample());
  const size_t at = bytes.find("n2");
  ASSERT_NE(at, std::string::npos);
  bytes[at + 1] = '9';  // placement changed by hand
  auto back = DecodeShardedCollection(bytes, "docs");
  ASSERT_EQ(back.status().code(), StatusCode::kCorruption);
  EXPECT_NE(back.status().message().find("docs"), std::string::npos);
  EXPECT_EQ(DecodeShardedCollection("{}", "x").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DecodeShardedCollection("not json", "x").status().code(),
            StatusCode::kCorruption);
}

TEST(ShardOfTest, IsStableAndSpreadsIds) {
  // Fixed forever: points already stored are where this says.
  EXPECT_EQ(ShardOf("doc_1", 1), 0u);
  const uint32_t a = ShardOf("doc_1", 3);
  EXPECT_EQ(a, ShardOf("doc_1", 3));
  EXPECT_LT(a, 3u);
  std::map<uint32_t, int> counts;
  for (int i = 0; i < 3000; ++i) ++counts[ShardOf("p" + std::to_string(i), 3)];
  ASSERT_EQ(counts.size(), 3u);
  for (const auto& [k, n] : counts) EXPECT_GT(n, 800) << "shard " << k;
}

TEST(PlaceShardsTest, SpreadsReplicasOverTheNodes) {
  auto p = PlaceShards({"a", "b", "c"}, 4, 2);
  ASSERT_EQ(p.size(), 4u);
  EXPECT_EQ(p[0], (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(p[1], (std::vector<std::string>{"b", "c"}));
  EXPECT_EQ(p[2], (std::vector<std::string>{"c", "a"}));
  EXPECT_EQ(p[3], (std::vector<std::string>{"a", "b"}));
  // Never two replicas of one shard on one node.
  auto one = PlaceShards({"a"}, 2, 3);
  EXPECT_EQ(one[0], (std::vector<std::string>{"a"}));
}

TEST(ShardNamesTest, DeriveFromTheUid) {
  EXPECT_EQ(LocalShardName("0123456789abcdef", 2), "c0123456789abcdef_s2");
  EXPECT_EQ(ShardStream("prod", "0123456789abcdef", 2),
            "PDB_prod_0123456789abcdef_2");
  EXPECT_EQ(ShardSubject("prod", "0123456789abcdef", 2),
            "pdb.prod.0123456789abcdef.2");
  ClusterKeys keys("prod");
  EXPECT_EQ(keys.primary("u", 1), "/proximadb/cluster/prod/primary/u/1");
  EXPECT_EQ(keys.node("n1"), "/proximadb/cluster/prod/nodes/n1");
}

TEST(ShardCodecTest, SearchRoundTripsExactly) {
  SearchRequest r;
  r.vector = {0.1f, -2.5e-8f, 3.4028e38f, 1.0f / 3};
  r.k = 7;
  r.filter = {{"tag", "x"}};
  r.include_vector = true;
  r.ef_search = 99;
  r.explain = true;
  auto back = rpc_codec::DecodeSearchRequest(rpc_codec::EncodeSearchRequest(r));
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->vector, r.vector);  // bit for bit
  EXPECT_EQ(back->k, 7u);
  EXPECT_EQ(back->filter, r.filter);
  EXPECT_TRUE(back->include_vector);
  EXPECT_EQ(back->ef_search, std::optional<uint32_t>(99));
  EXPECT_TRUE(back->explain);

  SearchResult res;
  res.hits.push_back({"a", 0.25f, {{"m", 1}}, {1.5f, 2}});
  res.hits.push_back({"b", 1.0f / 7, nullptr, {}});
  res.stats.distances_computed = 12;
  auto hits = rpc_codec::DecodeSearchResult(rpc_codec::EncodeSearchResult(res));
  ASSERT_TRUE(hits.ok()) << hits.status().ToString();
  ASSERT_EQ(hits->hits.size(), 2u);
  EXPECT_EQ(hits->hits[0].vector, res.hits[0].vector);
  EXPECT_EQ(hits->hits[1].score, res.hits[1].score);
  EXPECT_EQ(hits->hits[0].metadata, res.hits[0].metadata);
  EXPECT_EQ(hits->stats.distances_computed, 12u);
}

TEST(ShardCodecTest, MalformedBodiesAreInvalidArgument) {
  EXPECT_EQ(rpc_codec::DecodeSearchRequest("[1]").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(rpc_codec::DecodeScrollPage("{\"points\": 3}").status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(rpc_codec::DecodePoint("{\"id\": 1}").status().code(),
            StatusCode::kInvalidArgument);
  // Invalid UTF-8 in metadata is replaced, never thrown.
  StoredPoint p{"x", {1}, {{"k", std::string("\xff")}}, 3};
  EXPECT_TRUE(rpc_codec::DecodePoint(rpc_codec::EncodePoint(p)).ok());
}

}  // namespace
}  // namespace proximadb::cluster
