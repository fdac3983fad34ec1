// The cluster fields of the gRPC codec: shard_count / replication_factor of
// CreateCollectionRequest and CollectionInfo, the consistency of searches
// and scrolls (a string, as REST's, decoded by the same function), and
// ClusterInfo, field for field as service::ClusterInfoToJson.
#include <string>

#include <gtest/gtest.h>

#include "api/grpc/proto_codec.h"
#include "service/json_codec.h"

namespace proximadb::grpc_api {
namespace {

using nlohmann::json;

TEST(ClusterCodecTest, CreateCollectionShardFields) {
  pb::CreateCollectionRequest r;
  r.set_name("c");
  r.set_dimension(3);
  Result<CollectionConfig> c = DecodeCreateCollection(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->shard_count, 0u);  // unset: the node's default
  EXPECT_EQ(c->replication_factor, 0u);
  r.set_shard_count(4);
  r.set_replication_factor(3);
  c = DecodeCreateCollection(r);
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->shard_count, 4u);
  EXPECT_EQ(c->replication_factor, 3u);
}

TEST(ClusterCodecTest, CollectionInfoReportsEffectiveValues) {
  CollectionInfo info;
  info.config.name = "c";
  info.config.dimension = 3;
  pb::CollectionInfo out;
  EncodeCollection(info, FlushDefaults{}, &out);
  EXPECT_EQ(out.shard_count(), 1u);
  EXPECT_EQ(out.replication_factor(), 1u);
  info.config.shard_count = 16;
  info.config.replication_factor = 3;
  out.Clear();
  EncodeCollection(info, FlushDefaults{}, TieringDefaults{}, &out);
  EXPECT_EQ(out.shard_count(), 16u);
  EXPECT_EQ(out.replication_factor(), 3u);
}

TEST(ClusterCodecTest, SearchAndScrollConsistency) {
  pb::SearchRequest s;
  s.add_vector(1.0f);
  Result<SearchRequest> q = DecodeSearch(s);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->consistency, ReadConsistency::kEventual);
  s.set_consistency("strong");
  q = DecodeSearch(s);
  ASSERT_TRUE(q.ok());
  EXPECT_EQ(q->consistency, ReadConsistency::kStrong);
  s.set_consistency("eventual");
  EXPECT_EQ(DecodeSearch(s)->consistency, ReadConsistency::kEventual);
  // Set but not a name: refused as REST refuses it, "" included.
  for (const char* bad : {"", "linearizable", "STRONG"}) {
    s.set_consistency(bad);
    q = DecodeSearch(s);
    ASSERT_FALSE(q.ok()) << bad;
    EXPECT_EQ(q.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(q.status().message(),
              service::ParseReadConsistency(bad).status().message());
  }

  pb::ScrollRequest sr;
  EXPECT_EQ(DecodeScroll(sr)->consistency, ReadConsistency::kEventual);
  sr.set_consistency("strong");
  EXPECT_EQ(DecodeScroll(sr)->consistency, ReadConsistency::kStrong);
  sr.set_consistency("often");
  EXPECT_EQ(DecodeScroll(sr).status().message(),
            "unknown consistency 'often' (expected eventual or strong)");
}

TEST(ClusterCodecTest, ClusterInfoFieldForField) {
  pb::ClusterInfo empty;
  EncodeClusterInfo(ClusterInfo{}, &empty);
  EXPECT_FALSE(empty.enabled());
  EXPECT_EQ(empty.node_id(), "");
  EXPECT_EQ(empty.nodes_size(), 0);
  EXPECT_EQ(empty.shards_size(), 0);

  ClusterInfo info;
  info.enabled = true;
  info.node_id = "n2";
  info.nodes.push_back(
      {"n1", "h1:8080", "h1:5678", true, false, 4, "http://h1:8080"});
  info.nodes.push_back(
      {"n2", "h2:8080", "h2:5678", false, true, 1, "https://h2:8080"});
  ClusterShardInfo shard;
  shard.collection = "docs";
  shard.shard = 3;
  shard.stream = "pdb-docs-3";
  shard.primary = "n1";
  shard.fencing_token = 9;
  shard.last_seq = 100;
  shard.lag = 3;
  shard.first_seq = 61;
  shard.snapshot_id = "snap-20261201T080000.000Z-0123abcd";
  shard.snapshot_node = "n2";
  shard.snapshot_seq = 70;
  shard.snapshot_unix_ms = 1764576000000;
  shard.replicas.push_back({"n1", true, true, 100, 0, "following"});
  shard.replicas.push_back({"n2", false, true, 97, 3, "following"});
  info.shards.push_back(shard);
  pb::ClusterInfo out;
  EncodeClusterInfo(info, &out);

  // Every field the JSON form has, with the same value.
  const json j = service::ClusterInfoToJson(info);
  EXPECT_EQ(j["enabled"], out.enabled());
  EXPECT_EQ(j["node_id"], out.node_id());
  ASSERT_EQ(j["nodes"].size(), static_cast<size_t>(out.nodes_size()));
  for (int i = 0; i < out.nodes_size(); ++i) {
    const json& n = j["nodes"][i];
    EXPECT_EQ(n.size(), 8u);
    EXPECT_EQ(n["id"], out.nodes(i).node_id());
    EXPECT_EQ(n["node_id"], out.nodes(i).node_id());
    EXPECT_EQ(n["rest_url"], out.nodes(i).rest_url());
    EXPECT_EQ(n["rest_address"], out.nodes(i).rest_address());
    EXPECT_EQ(n["grpc_address"], out.nodes(i).grpc_address());
    EXPECT_EQ(n["alive"], out.nodes(i).alive());
    EXPECT_EQ(n["draining"], out.nodes(i).draining());
    EXPECT_EQ(n["replicas"], out.nodes(i).replicas());
  }
  EXPECT_FALSE(out.nodes(0).draining());
  EXPECT_EQ(out.nodes(0).replicas(), 4u);
  EXPECT_TRUE(out.nodes(1).draining());
  EXPECT_EQ(out.nodes(1).replicas(), 1u);
  ASSERT_EQ(out.shards_size(), 1);
  const pb::ClusterShardInfo& g = out.shards(0);
  const json& s = j["shards"][0];
  EXPECT_EQ(s.size(), 13u);
  EXPECT_EQ(s["lag"], g.lag());
  EXPECT_EQ(s["first_seq"], g.first_seq());
  EXPECT_EQ(g.first_seq(), 61u);
  EXPECT_EQ(s["snapshot_id"], g.snapshot_id());
  EXPECT_EQ(s["snapshot_node"], g.snapshot_node());
  EXPECT_EQ(s["snapshot_seq"], g.snapshot_seq());
  EXPECT_EQ(g.snapshot_seq(), 70u);
  EXPECT_EQ(s["snapshot_unix_ms"], g.snapshot_unix_ms());
  EXPECT_EQ(g.snapshot_unix_ms(), 1764576000000u);
  EXPECT_EQ(g.lag(), 3u);
  EXPECT_EQ(s["collection"], g.collection());
  EXPECT_EQ(s["shard"], g.shard());
  EXPECT_EQ(s["stream"], g.stream());
  EXPECT_EQ(s["primary"], g.primary());
  EXPECT_EQ(s["fencing_token"], g.fencing_token());
  EXPECT_EQ(s["last_seq"], g.last_seq());
  ASSERT_EQ(g.replicas_size(), 2);
  for (int i = 0; i < g.replicas_size(); ++i) {
    const json& r = s["replicas"][i];
    EXPECT_EQ(r.size(), 6u);
    EXPECT_EQ(r["node_id"], g.replicas(i).node_id());
    EXPECT_EQ(r["primary"], g.replicas(i).primary());
    EXPECT_EQ(r["reported"], g.replicas(i).reported());
    EXPECT_EQ(r["applied_seq"], g.replicas(i).applied_seq());
    EXPECT_EQ(r["lag"], g.replicas(i).lag());
    EXPECT_EQ(r["state"], g.replicas(i).state());
  }
  EXPECT_EQ(g.replicas(1).lag(), 3u);
}

}  // namespace
}  // namespace proximadb::grpc_api
