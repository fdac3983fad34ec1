// The cluster fields of the API at the service edge: shard_count and
// replication_factor of a create body (parsed, range-checked, refused by
// the single-node engine above 1, reported as effective values), the read
// consistency of searches and scrolls, the cluster status
// (GetCluster / ClusterInfoToJson) and the drain of a node (DrainNode:
// node ids, its answer, single-node mode's refusal).
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "json_literal.h"
#include "service/json_codec.h"
#include "service/service.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

using proximadb::json_literal::J;

TEST(ClusterCodecTest, CreateTakesShardCountAndReplicationFactor) {
  auto r = ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
      "shard_count": 4, "replication_factor": 3})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->shard_count, 4u);
  EXPECT_EQ(r->replication_factor, 3u);
  // Absent, null and 0 all mean the node's default.
  for (const char* text : {R"({"name": "c", "dimension": 3})",
                           R"({"name": "c", "dimension": 3, "shard_count": null,
            "replication_factor": null})",
                           R"({"name": "c", "dimension": 3, "shard_count": 0,
            "replication_factor": 0})"}) {
    auto d = ParseCreateCollection(J(text));
    ASSERT_TRUE(d.ok()) << text << ": " << d.status().ToString();
    EXPECT_EQ(d->shard_count, 0u) << text;
    EXPECT_EQ(d->replication_factor, 0u) << text;
  }
}

TEST(ClusterCodecTest, CreateRefusesBadShardFields) {
  struct Case {
    const char* body;
    const char* message;
  };
  for (const Case& c : {
           Case{R"({"name": "c", "dimension": 3, "shard_count": "2"})",
                "field 'shard_count' must be an integer, got string"},
           Case{R"({"name": "c", "dimension": 3, "shard_count": 2.5})",
                "field 'shard_count' must be an integer, got number"},
           Case{R"({"name": "c", "dimension": 3, "shard_count": -1})",
                "field 'shard_count' must be in 1..256, got -1"},
           Case{R"({"name": "c", "dimension": 3, "shard_count": 257})",
                "field 'shard_count' must be in 1..256, got 257"},
           Case{R"({"name": "c", "dimension": 3,
                   "shard_count": 18446744073709551615})",
                "field 'shard_count' must be in 1..256, got "
                "18446744073709551615"},
           Case{R"({"name": "c", "dimension": 3, "replication_factor": true})",
                "field 'replication_factor' must be an integer, got boolean"},
           Case{R"({"name": "c", "dimension": 3, "replication_factor": 6})",
                "field 'replication_factor' must be in 1..5, got 6"},
           // Top-level keys only.
           Case{R"({"name": "c", "dimension": 3, "index": {"shard_count": 1}})",
                "unknown field 'index.shard_count'"},
       }) {
    auto r = ParseCreateCollection(J(c.body));
    ASSERT_FALSE(r.ok()) << c.body;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << c.body;
    EXPECT_EQ(r.status().message(), c.message) << c.body;
  }
  // The engine's own check says the same for what gRPC sends.
  CollectionConfig config;
  config.name = "c";
  config.dimension = 3;
  config.shard_count = 257;
  EXPECT_EQ(ValidateCollectionConfig(config).message(),
            "field 'shard_count' must be in 1..256, got 257");
}

TEST(ClusterCodecTest, CollectionReportsEffectiveValues) {
  CollectionInfo info;
  info.config.name = "c";
  info.config.dimension = 3;
  json j = CollectionToJson(info, FlushDefaults{});
  EXPECT_EQ(j["shard_count"], 1);  // 0 in the engine: single-node default
  EXPECT_EQ(j["replication_factor"], 1);
  info.config.shard_count = 8;
  info.config.replication_factor = 3;
  j = CollectionToJson(info, FlushDefaults{});
  EXPECT_EQ(j["shard_count"], 8);
  EXPECT_EQ(j["replication_factor"], 3);
  // An answer can still be sent back to create an identical collection.
  auto again = ParseCreateCollection(j);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_EQ(again->shard_count, 8u);
  EXPECT_EQ(again->replication_factor, 3u);
  EXPECT_EQ(EffectiveClusterValue(0), 1u);
  EXPECT_EQ(EffectiveClusterValue(5), 5u);
}

TEST(ClusterCodecTest, ReadConsistencyByName) {
  EXPECT_EQ(ParseReadConsistency("eventual").value(),
            ReadConsistency::kEventual);
  EXPECT_EQ(ParseReadConsistency("strong").value(), ReadConsistency::kStrong);
  for (const char* bad : {"", "Strong", "linearizable", "eventual "}) {
    auto r = ParseReadConsistency(bad);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(r.status().message(), "unknown consistency '" + std::string(bad) +
                                        "' (expected eventual or strong)");
  }
}

TEST(ClusterCodecTest, SearchScrollAndBatchTakeConsistency) {
  auto d = ParseSearch(J(R"({"vector": [1, 2]})"), 2, "c");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->consistency, ReadConsistency::kEventual);  // the default
  auto s =
      ParseSearch(J(R"({"vector": [1, 2], "consistency": "strong"})"), 2, "c");
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(s->consistency, ReadConsistency::kStrong);
  auto n = ParseSearch(J(R"({"vector": [1, 2], "consistency": null})"), 2, "c");
  ASSERT_TRUE(n.ok());
  EXPECT_EQ(n->consistency, ReadConsistency::kEventual);

  auto page = ParseScroll(J(R"({"consistency": "strong"})"));
  ASSERT_TRUE(page.ok()) << page.status().ToString();
  EXPECT_EQ(page->consistency, ReadConsistency::kStrong);
  EXPECT_EQ(ParseScroll(json())->consistency, ReadConsistency::kEventual);

  auto batch = ParseBatchSearch(J(R"({"queries": [
      {"vector": [1, 2], "consistency": "strong"}, {"vector": [1, 2]},
      {"vector": [1, 2], "consistency": "eventual"}]})"),
                                2, "c");
  ASSERT_TRUE(batch.ok()) << batch.status().ToString();
  EXPECT_EQ((*batch)[0].consistency, ReadConsistency::kStrong);
  EXPECT_EQ((*batch)[1].consistency, ReadConsistency::kEventual);
  EXPECT_EQ((*batch)[2].consistency, ReadConsistency::kEventual);

  const std::string unknown =
      "unknown consistency 'linear' (expected eventual or strong)";
  EXPECT_EQ(
      ParseSearch(J(R"({"vector": [1, 2], "consistency": "linear"})"), 2, "c")
          .status()
          .message(),
      unknown);
  EXPECT_EQ(ParseScroll(J(R"({"consistency": "linear"})")).status().message(),
            unknown);
  EXPECT_EQ(ParseBatchSearch(J(R"({"queries": [{"vector": [1, 2]},
                {"vector": [1, 2], "consistency": "linear"}]})"),
                             2, "c")
                .status()
                .message(),
            "queries[1]: " + unknown);
  EXPECT_EQ(
      ParseSearch(J(R"({"vector": [1, 2], "consistency": 1})"), 2, "c")
          .status()
          .message(),
      "field 'consistency' must be a string (eventual or strong), got number");
  EXPECT_EQ(ParseScroll(J(R"({"consistency": ["strong"]})")).status().message(),
            "field 'consistency' must be a string (eventual or strong), got "
            "array");
}

TEST(ClusterCodecTest, ClusterInfoShape) {
  EXPECT_EQ(ClusterInfoToJson(ClusterInfo{}),
            J(R"({"enabled": false, "node_id": "", "nodes": [],
                  "shards": []})"));
  ClusterInfo info;
  info.enabled = true;
  info.node_id = "n1";
  info.nodes.push_back({"n1", "10.0.0.1:8080", "10.0.0.1:5678", true, false, 2,
                        "http://10.0.0.1:8080"});
  info.nodes.push_back({"n2", "10.0.0.2:8080", "10.0.0.2:5678", false, true, 0,
                        "http://10.0.0.2:8080"});
  ClusterShardInfo shard;
  shard.collection = "docs";
  shard.shard = 1;
  shard.stream = "pdb-docs-1";
  shard.primary = "n1";
  shard.fencing_token = 7;
  shard.last_seq = 42;
  shard.first_seq = 31;
  shard.snapshot_id = "snap-20261201T080000.000Z-0123abcd";
  shard.snapshot_node = "n2";
  shard.snapshot_seq = 35;
  shard.snapshot_unix_ms = 1764576000000;
  shard.replicas.push_back({"n1", true, true, 42, 0, "following"});
  shard.replicas.push_back({"n2", false, false, 0, 0, "unreachable"});
  info.shards.push_back(shard);
  EXPECT_EQ(ClusterInfoToJson(info), J(R"({
    "enabled": true, "node_id": "n1",
    "nodes": [
      {"id": "n1", "node_id": "n1", "rest_url": "http://10.0.0.1:8080",
       "rest_address": "10.0.0.1:8080",
       "grpc_address": "10.0.0.1:5678", "alive": true, "draining": false,
       "replicas": 2},
      {"id": "n2", "node_id": "n2", "rest_url": "http://10.0.0.2:8080",
       "rest_address": "10.0.0.2:8080",
       "grpc_address": "10.0.0.2:5678", "alive": false, "draining": true,
       "replicas": 0}],
    "shards": [
      {"collection": "docs", "shard": 1, "stream": "pdb-docs-1",
       "primary": "n1", "fencing_token": 7, "last_seq": 42, "lag": 0,
       "first_seq": 31, "snapshot_id": "snap-20261201T080000.000Z-0123abcd",
       "snapshot_node": "n2", "snapshot_seq": 35,
       "snapshot_unix_ms": 1764576000000,
       "replicas": [
         {"node_id": "n1", "primary": true, "reported": true,
          "applied_seq": 42, "lag": 0, "state": "following"},
         {"node_id": "n2", "primary": false, "reported": false,
          "applied_seq": 0, "lag": 0, "state": "unreachable"}]}]})"));
}

TEST(ClusterCodecTest, NodeIdFollowsTheConfigRules) {
  for (const std::string& ok :
       std::vector<std::string>{"n1", "node-1", "Node_2",
                                std::string(kMaxCollectionNameBytes, 'n')}) {
    EXPECT_TRUE(ValidateNodeId(ok).ok()) << ok;
  }
  for (const std::string& bad : std::vector<std::string>{
           "", "node.1", "a b", "n/1", std::string("n\0", 2),
           std::string(kMaxCollectionNameBytes + 1, 'n')}) {
    Status s = ValidateNodeId(bad);
    ASSERT_FALSE(s.ok()) << bad;
    EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(s.message(),
              "node_id must be 1..128 characters of [A-Za-z0-9_-], got '" +
                  bad + "'");
  }
}

TEST(ClusterCodecTest, DrainNodeAnswerShape) {
  EXPECT_EQ(DrainNodeToJson("n2", true),
            J(R"({"node_id": "n2", "draining": true})"));
  EXPECT_EQ(DrainNodeToJson("n2", false),
            J(R"({"node_id": "n2", "draining": false})"));
}

class ClusterServiceTest : public test_util::ServiceFixture {};

// Single-node mode: a drain (or its cancel) of any well-formed id is
// failed_precondition, typed and JSON alike; a malformed id is refused
// first, as invalid_argument.
TEST_F(ClusterServiceTest, SingleNodeRefusesDrain) {
  for (bool drain : {true, false}) {
    Status typed = svc_->DrainNode("node-2", drain);
    EXPECT_EQ(typed.code(), StatusCode::kFailedPrecondition) << drain;
    EXPECT_NE(typed.message().find("needs cluster mode"), std::string::npos)
        << typed.message();
    auto j = svc_->DrainNodeJson("node-2", drain);
    ASSERT_FALSE(j.ok());
    EXPECT_EQ(j.status().code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(j.status().message(), typed.message());

    for (const std::string bad : {"", "node 2", "node.2"}) {
      Status s = svc_->DrainNode(bad, drain);
      EXPECT_EQ(s.code(), StatusCode::kInvalidArgument) << "'" << bad << "'";
      EXPECT_EQ(svc_->DrainNodeJson(bad, drain).status().message(),
                s.message());
    }
  }
  // Nothing changed: still not a cluster.
  EXPECT_EQ(*svc_->GetClusterJson(), J(R"({"enabled": false, "node_id": "",
                                           "nodes": [], "shards": []})"));
}

TEST_F(ClusterServiceTest, SingleNodeClusterStatus) {
  auto typed = svc_->GetCluster();
  ASSERT_TRUE(typed.ok()) << typed.status().ToString();
  EXPECT_FALSE(typed->enabled);
  EXPECT_TRUE(typed->node_id.empty());
  EXPECT_TRUE(typed->nodes.empty());
  EXPECT_TRUE(typed->shards.empty());
  auto j = svc_->GetClusterJson();
  ASSERT_TRUE(j.ok()) << j.status().ToString();
  EXPECT_EQ(*j, J(R"({"enabled": false, "node_id": "", "nodes": [],
                      "shards": []})"));
}

TEST_F(ClusterServiceTest, SingleNodeRefusesMoreThanOneShardOrReplica) {
  for (const char* key : {"shard_count", "replication_factor"}) {
    auto r = svc_->CreateCollectionJson(
        json{{"name", "c"}, {"dimension", 3}, {key, 2}});
    ASSERT_FALSE(r.ok()) << key;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    // The engine's message, unchanged.
    EXPECT_NE(r.status().message().find("need cluster mode"), std::string::npos)
        << r.status().message();
  }
  EXPECT_EQ(svc_->ListCollectionsJson()["total_count"], 0);
  // The typed form (gRPC's) refuses it the same way.
  CollectionConfig config;
  config.name = "c";
  config.dimension = 3;
  config.shard_count = 2;
  auto typed = svc_->CreateCollection(config);
  ASSERT_FALSE(typed.ok());
  EXPECT_EQ(typed.status().message(),
            svc_->CreateCollectionJson(
                    json{{"name", "c"}, {"dimension", 3}, {"shard_count", 2}})
                .status()
                .message());

  // 1 is accepted and reported; so is 0 (reported as 1).
  auto one = svc_->CreateCollectionJson(json{{"name", "one"},
                                             {"dimension", 3},
                                             {"shard_count", 1},
                                             {"replication_factor", 1}});
  ASSERT_TRUE(one.ok()) << one.status().ToString();
  EXPECT_EQ((*one)["shard_count"], 1);
  EXPECT_EQ((*one)["replication_factor"], 1);
  auto dflt =
      svc_->CreateCollectionJson(json{{"name", "dflt"}, {"dimension", 3}});
  ASSERT_TRUE(dflt.ok()) << dflt.status().ToString();
  EXPECT_EQ((*dflt)["shard_count"], 1);
  EXPECT_EQ((*dflt)["replication_factor"], 1);
  EXPECT_EQ((*svc_->GetCollectionJson("dflt"))["shard_count"], 1);
}

TEST_F(ClusterServiceTest, StrongAndEventualReadTheSameOnOneNode) {
  ASSERT_TRUE(
      svc_->CreateCollectionJson(json{{"name", "c"}, {"dimension", 2}}).ok());
  ASSERT_TRUE(
      svc_->BatchUpsertJson("c", json{{"vectors",
                                       {{{"id", "a"}, {"vector", {1, 0}}},
                                        {{"id", "b"}, {"vector", {0, 1}}},
                                        {{"id", "c"}, {"vector", {1, 1}}}}}})
          .ok());
  std::vector<json> searches, scrolls;
  for (const char* consistency : {"eventual", "strong"}) {
    auto s = svc_->SearchJson(
        "c", json{{"vector", {1, 0}}, {"k", 3}, {"consistency", consistency}});
    ASSERT_TRUE(s.ok()) << s.status().ToString();
    searches.push_back(*s);
    auto p = svc_->ScrollJson("c", json{{"consistency", consistency}});
    ASSERT_TRUE(p.ok()) << p.status().ToString();
    scrolls.push_back(*p);
  }
  EXPECT_EQ(searches[0], searches[1]);
  EXPECT_EQ(searches[0]["total_count"], 3);
  EXPECT_EQ(scrolls[0], scrolls[1]);
  EXPECT_EQ(scrolls[0]["points"].size(), 3u);
}

}  // namespace
}  // namespace proximadb::service
