// One validation, one message (issue 11): the same bad request over REST and
// gRPC to the real server answers corresponding codes AND the same message
// text, for every input limit of util/limits.h the transports share. (The
// codes alone, for every operation, are parity_errors_test.cc; metadata
// depth and vector norms are input_limits_parity_test.cc.)
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/parity_fixture.h"
#include "util/limits.h"

namespace proximadb::testing::parity {
namespace {

class ErrorMessagesParityTest : public ParityTest {
 protected:
  // The REST answer and the gRPC answer to the same mistake agree, and the
  // message is `want`.
  void ExpectSame(const std::string& what, const HttpReply& rest,
                  const GrpcReply& grpc, unsigned http,
                  const std::string& want) {
    SCOPED_TRACE(what);
    EXPECT_EQ(rest.status, http) << rest.body.substr(0, 300);
    EXPECT_EQ(grpc.status.error_code(), GrpcCodeForHttp(http))
        << grpc.status.error_message();
    EXPECT_EQ(rest.json().value("message", ""), want);
    EXPECT_EQ(grpc.status.error_message(), want);
    EXPECT_EQ(rest.error(), grpc.error);
  }

  GrpcReply Search(const pb::SearchRequest& r) {
    pb::SearchResponse out;
    return Call(&pb::ProximaDB::Stub::Search, r, &out);
  }
  static pb::SearchRequest Query(const std::string& coll,
                                 std::vector<float> v) {
    pb::SearchRequest r;
    r.set_collection(coll);
    for (float f : v) r.add_vector(f);
    return r;
  }
  GrpcReply Create(const pb::CreateCollectionRequest& r) {
    pb::CollectionInfo out;
    return Call(&pb::ProximaDB::Stub::CreateCollection, r, &out);
  }
  static pb::CreateCollectionRequest NewCollection(const std::string& name,
                                                   uint32_t dimension) {
    pb::CreateCollectionRequest r;
    r.set_name(name);
    r.set_dimension(dimension);
    return r;
  }
};

TEST_F(ErrorMessagesParityTest, SearchLimits) {
  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}}).status, 201u);
  const std::string c = kApi + "/c/search";
  const json v = {1.0, 0.0, 0.0};

  pb::SearchRequest q = Query("c", {1, 0, 0});
  q.set_k(0);
  ExpectSame("k = 0", Rest("POST", c, {{"vector", v}, {"k", 0}}), Search(q),
             400, "field 'k' must be in 1..10000, got 0");
  q.set_k(kMaxK + 1);
  ExpectSame("k too large", Rest("POST", c, {{"vector", v}, {"k", kMaxK + 1}}),
             Search(q), 400, "field 'k' must be in 1..10000, got 10001");

  q = Query("c", {1, 0, 0});
  q.set_ef_search(kMaxEf + 1);
  ExpectSame("ef_search too large",
             Rest("POST", c, {{"vector", v}, {"ef_search", kMaxEf + 1}}),
             Search(q), 400, "field 'ef_search' must be in 1..4096, got 4097");
  q.set_ef_search(0);
  ExpectSame("ef_search = 0",
             Rest("POST", c, {{"vector", v}, {"ef_search", 0}}), Search(q), 400,
             "field 'ef_search' must be in 1..4096, got 0");

  ExpectSame("bad dimension", Rest("POST", c, {{"vector", {1.0, 0.0}}}),
             Search(Query("c", {1, 0})), 400,
             "vector has 2 values but collection 'c' has dimension 3");

  q = Query("c", {1, 0, 0});
  const json bad_filter = {{"price", {{"$gt", json::array()}}}};
  grpc_api::JsonToStruct(bad_filter, q.mutable_filter());
  HttpReply r = Rest("POST", c, {{"vector", v}, {"filter", bad_filter}});
  GrpcReply g = Search(q);
  ExpectSame("bad filter", r, g, 400, g.status.error_message());
  EXPECT_NE(g.status.error_message().find("price"), std::string::npos)
      << g.status.error_message();

  ExpectSame("unknown collection",
             Rest("POST", kApi + "/nope/search", {{"vector", v}}),
             Search(Query("nope", {1, 0, 0})), 404,
             "collection 'nope' not found");

  // Batch search: too many queries, and one bad query named by its index.
  pb::BatchSearchRequest batch;
  batch.set_collection("c");
  json queries = json::array();
  for (size_t i = 0; i <= kMaxBatchQueries; ++i) {
    *batch.add_queries() = Query("", {1, 0, 0});
    queries.push_back({{"vector", v}});
  }
  pb::BatchSearchResponse batch_out;
  ExpectSame("batch too large",
             Rest("POST", c + "/batch", {{"queries", queries}}),
             Call(&pb::ProximaDB::Stub::BatchSearch, batch, &batch_out), 400,
             "field 'queries' must hold 1..1024 queries, got 1025");
  batch.clear_queries();
  *batch.add_queries() = Query("", {1, 0, 0});
  *batch.add_queries() = Query("", {1, 0, 0});
  batch.mutable_queries(1)->set_k(0);
  ExpectSame("bad query in a batch",
             Rest("POST", c + "/batch",
                  {{"queries", {{{"vector", v}}, {{"vector", v}, {"k", 0}}}}}),
             Call(&pb::ProximaDB::Stub::BatchSearch, batch, &batch_out), 400,
             "queries[1]: field 'k' must be in 1..10000, got 0");
}

TEST_F(ErrorMessagesParityTest, PointLimits) {
  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}}).status, 201u);
  const std::string c = kApi + "/c";
  const std::string long_id(kMaxIdBytes + 1, 'x');

  pb::UpsertRequest up;
  up.set_collection("c");
  *up.mutable_point() = MakePoint(long_id, {1, 2, 3}, json::object());
  pb::UpsertResponse up_out;
  ExpectSame("id too long",
             Rest("POST", c + "/vectors",
                  PointJson(long_id, {1, 2, 3}, json::object())),
             Call(&pb::ProximaDB::Stub::Upsert, up, &up_out), 400,
             "point id must be 1..256 bytes, got 257");

  pb::GetRequest get;
  get.set_collection("c");
  get.set_id(long_id);
  pb::Point got;
  ExpectSame("id too long (get)", Rest("GET", c + "/vectors/" + long_id),
             Call(&pb::ProximaDB::Stub::Get, get, &got), 400,
             "point id must be 1..256 bytes, got 257");

  // A batch names the bad point the same way on both transports.
  pb::BatchUpsertRequest batch;
  batch.set_collection("c");
  *batch.add_points() = MakePoint("a", {1, 2, 3}, json::object());
  *batch.add_points() = MakePoint("b", {1, 2}, json::object());
  pb::BatchUpsertResponse batch_out;
  ExpectSame("bad dimension in a batch",
             Rest("PUT", c + "/vectors",
                  {{"vectors",
                    {PointJson("a", {1, 2, 3}, json::object()),
                     PointJson("b", {1, 2}, json::object())}}}),
             Call(&pb::ProximaDB::Stub::BatchUpsert, batch, &batch_out), 400,
             "vectors[1]: vector has 2 values but collection 'c' has "
             "dimension 3");
  batch.clear_points();
  *batch.add_points() = MakePoint("a", {1, 2, 3}, json::object());
  *batch.add_points() = MakePoint(long_id, {1, 2, 3}, json::object());
  ExpectSame("id too long in a batch",
             Rest("POST", c + "/vectors/batch",
                  {{"vectors",
                    {PointJson("a", {1, 2, 3}, json::object()),
                     PointJson(long_id, {1, 2, 3}, json::object())}}}),
             Call(&pb::ProximaDB::Stub::BatchUpsert, batch, &batch_out), 400,
             "vectors[1]: point id must be 1..256 bytes, got 257");
  batch.clear_points();
  ExpectSame("empty batch",
             Rest("PUT", c + "/vectors", {{"vectors", json::array()}}),
             Call(&pb::ProximaDB::Stub::BatchUpsert, batch, &batch_out), 400,
             "field 'vectors' must not be empty");

  pb::ScrollRequest scroll;
  scroll.set_collection("c");
  scroll.set_limit(kMaxScrollLimit + 1);
  pb::ScrollResponse page;
  ExpectSame("scroll limit too large",
             Rest("POST", c + "/scroll", {{"limit", kMaxScrollLimit + 1}}),
             Call(&pb::ProximaDB::Stub::Scroll, scroll, &page), 400,
             "field 'limit' must be in 1..10000, got 10001");
  scroll.set_limit(0);
  ExpectSame("scroll limit = 0", Rest("POST", c + "/scroll", {{"limit", 0}}),
             Call(&pb::ProximaDB::Stub::Scroll, scroll, &page), 400,
             "field 'limit' must be in 1..10000, got 0");
  EXPECT_EQ(Rest("POST", c + "/count").json()["count"], 0);
}

TEST_F(ErrorMessagesParityTest, CollectionLimits) {
  ExpectSame("dimension = 0",
             Rest("POST", kApi, {{"name", "c"}, {"dimension", 0}}),
             Create(NewCollection("c", 0)), 400,
             "field 'dimension' must be in 1..65536, got 0");
  ExpectSame("dimension too large",
             Rest("POST", kApi, {{"name", "c"}, {"dimension", 65537}}),
             Create(NewCollection("c", 65537)), 400,
             "field 'dimension' must be in 1..65536, got 65537");
  pb::CreateCollectionRequest r = NewCollection("c", 3);
  r.set_m(1);
  ExpectSame("m too small",
             Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}, {"m", 1}}),
             Create(r), 400, "field 'm' must be in 2..128, got 1");
  r = NewCollection("c", 3);
  r.set_ef_construction(5000);
  ExpectSame("ef_construction too large",
             Rest("POST", kApi,
                  {{"name", "c"}, {"dimension", 3}, {"ef_construction", 5000}}),
             Create(r), 400,
             "field 'ef_construction' must be in 1..4096, got 5000");
  const std::string long_name(kMaxCollectionNameBytes + 1, 'n');
  ExpectSame("name too long",
             Rest("POST", kApi, {{"name", long_name}, {"dimension", 3}}),
             Create(NewCollection(long_name, 3)), 400,
             "collection name must be 1..128 characters of [A-Za-z0-9_-], "
             "got '" +
                 long_name + "'");
  r = NewCollection("c", 3);
  r.mutable_flush_policy()->set_flush_priority(500);
  ExpectSame("flush_priority too large",
             Rest("POST", kApi,
                  {{"name", "c"}, {"dimension", 3}, {"flush_priority", 500}}),
             Create(r), 400,
             "field 'flush_priority' must be in 1..100, got 500");

  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}}).status, 201u);
  pb::UpdateCollectionRequest patch;
  patch.set_name("c");
  patch.mutable_flush_policy()->set_flush_priority(0);
  pb::CollectionInfo info;
  ExpectSame("patch flush_priority = 0",
             Rest("PATCH", kApi + "/c", {{"flush_priority", 0}}),
             Call(&pb::ProximaDB::Stub::UpdateCollection, patch, &info), 400,
             "field 'flush_priority' must be in 1..100, got 0");
}

// The cluster fields (docs/API.md, "Cluster status"): shard_count and
// replication_factor out of range or above what a single node takes, a
// read consistency that is not a name, and a node id to drain that breaks
// the node-id rules, read the same on both transports.
TEST_F(ErrorMessagesParityTest, ClusterFields) {
  pb::CreateCollectionRequest r = NewCollection("c", 3);
  r.set_shard_count(300);
  ExpectSame("shard_count too large",
             Rest("POST", kApi,
                  {{"name", "c"}, {"dimension", 3}, {"shard_count", 300}}),
             Create(r), 400, "field 'shard_count' must be in 1..256, got 300");
  r = NewCollection("c", 3);
  r.set_replication_factor(6);
  ExpectSame("replication_factor too large",
             Rest("POST", kApi,
                  {{"name", "c"}, {"dimension", 3}, {"replication_factor", 6}}),
             Create(r), 400,
             "field 'replication_factor' must be in 1..5, got 6");
  const std::string single_node =
      "shard_count and replication_factor above 1 need cluster mode "
      "([cluster] enabled = true, docs/CLUSTER.md); this server runs "
      "single-node";
  r = NewCollection("c", 3);
  r.set_shard_count(2);
  ExpectSame(
      "shard_count 2 on one node",
      Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}, {"shard_count", 2}}),
      Create(r), 400, single_node);
  r = NewCollection("c", 3);
  r.set_replication_factor(2);
  ExpectSame("replication_factor 2 on one node",
             Rest("POST", kApi,
                  {{"name", "c"}, {"dimension", 3}, {"replication_factor", 2}}),
             Create(r), 400, single_node);
  EXPECT_EQ(Rest("GET", kApi + "/c").status, 404u);  // nothing was created

  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}}).status, 201u);
  const json v = {1.0, 0.0, 0.0};
  const std::string bad =
      "unknown consistency 'linearizable' (expected eventual or strong)";
  pb::SearchRequest q = Query("c", {1, 0, 0});
  q.set_consistency("linearizable");
  ExpectSame("search consistency",
             Rest("POST", kApi + "/c/search",
                  {{"vector", v}, {"consistency", "linearizable"}}),
             Search(q), 400, bad);
  pb::BatchSearchRequest batch;
  batch.set_collection("c");
  *batch.add_queries() = Query("", {1, 0, 0});
  *batch.add_queries() = Query("", {1, 0, 0});
  batch.mutable_queries(1)->set_consistency("linearizable");
  pb::BatchSearchResponse batch_out;
  ExpectSame("batch search consistency",
             Rest("POST", kApi + "/c/search/batch",
                  {{"queries",
                    {{{"vector", v}},
                     {{"vector", v}, {"consistency", "linearizable"}}}}}),
             Call(&pb::ProximaDB::Stub::BatchSearch, batch, &batch_out), 400,
             "queries[1]: " + bad);
  pb::ScrollRequest scroll;
  scroll.set_collection("c");
  scroll.set_consistency("linearizable");
  pb::ScrollResponse scroll_out;
  ExpectSame(
      "scroll consistency",
      Rest("POST", kApi + "/c/scroll", {{"consistency", "linearizable"}}),
      Call(&pb::ProximaDB::Stub::Scroll, scroll, &scroll_out), 400, bad);
  // An empty name is not the default: it is refused on both.
  scroll.set_consistency("");
  ExpectSame("scroll consistency \"\"",
             Rest("POST", kApi + "/c/scroll", {{"consistency", ""}}),
             Call(&pb::ProximaDB::Stub::Scroll, scroll, &scroll_out), 400,
             "unknown consistency '' (expected eventual or strong)");
  // A node id to drain follows the [cluster] node_id rules on both (the
  // REST id is percent-decoded first).
  pb::DrainNodeRequest drain;
  drain.set_node_id("node 2");
  pb::DrainNodeReply drain_out;
  ExpectSame("drain node id",
             Rest("POST", "/api/v1/cluster/nodes/node%202/drain"),
             Call(&pb::ProximaDB::Stub::DrainNode, drain, &drain_out), 400,
             "node_id must be 1..128 characters of [A-Za-z0-9_-], got "
             "'node 2'");
}

// Unknown fields are refused on both transports (400 / INVALID_ARGUMENT).
// REST names the key; protobuf carries no names for fields a message does
// not have, so gRPC names the field number (the one place the texts differ).
TEST_F(ErrorMessagesParityTest, UnknownFieldsAreRefused) {
  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}}).status, 201u);
  HttpReply r = Rest("POST", kApi + "/c/search",
                     {{"vector", {1.0, 0.0, 0.0}}, {"with_payload", true}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["message"], "unknown field 'with_payload'");
  r = Rest("POST", kApi,
           {{"name", "d"}, {"dimension", 3}, {"max_wal_age_hour", 1}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["message"], "unknown field 'max_wal_age_hour'");
  EXPECT_EQ(Rest("GET", kApi + "/d").status, 404u);  // nothing was created

  // A SearchRequest with an extra field 99 (what a newer client's
  // with_payload would look like to this server): protobuf keeps the
  // unknown field when parsing and sends it on.
  pb::SearchRequest q;
  ASSERT_TRUE(q.ParseFromString(Query("c", {1, 0, 0}).SerializeAsString() +
                                std::string("\x9a\x06\x01x", 4)));
  GrpcReply g = Search(q);
  EXPECT_EQ(g.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.status.error_message(),
            "unknown field number 99 in proximadb.v1.SearchRequest");
  EXPECT_EQ(g.error, r.error());
}

// Segments and tiers: the id, the tier and the tiering policy are checked
// once, at the service edge, with one message on both transports.
TEST_F(ErrorMessagesParityTest, SegmentsAndTiering) {
  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}}).status, 201u);
  auto move = [&](uint64_t id, const std::string& tier) {
    pb::MoveSegmentRequest r;
    r.set_collection("c");
    r.set_segment_id(id);
    r.set_tier(tier);
    pb::SegmentInfo out;
    return Call(&pb::ProximaDB::Stub::MoveSegment, r, &out);
  };
  ExpectSame("segment id 0",
             Rest("POST", kApi + "/c/segments/0/tier", {{"tier", "warm"}}),
             move(0, "warm"), 400,
             "segment id must be a positive integer, got '0'");
  ExpectSame("bad tier",
             Rest("POST", kApi + "/c/segments/3/tier", {{"tier", "tepid"}}),
             move(3, "tepid"), 400,
             "field 'tier' must be hot, warm or cold, got 'tepid'");
  ExpectSame("no such segment",
             Rest("POST", kApi + "/c/segments/3/tier", {{"tier", "warm"}}),
             move(3, "warm"), 404, "collection 'c' has no segment 3");

  auto patch = [&](const pb::TieringPolicy& t) {
    pb::UpdateCollectionRequest r;
    r.set_name("c");
    *r.mutable_tiering() = t;
    pb::CollectionInfo out;
    return Call(&pb::ProximaDB::Stub::UpdateCollection, r, &out);
  };
  pb::TieringPolicy t;
  t.set_warm_directory("relative");
  ExpectSame("relative warm directory",
             Rest("PATCH", kApi + "/c",
                  {{"tiering", {{"warm_directory", "relative"}}}}),
             patch(t), 400,
             "field 'warm_directory' must be an absolute path, got 'relative'");
  t.Clear();
  t.set_cache_mb(2000000);
  ExpectSame("cache_mb too large",
             Rest("PATCH", kApi + "/c", {{"tiering", {{"cache_mb", 2000000}}}}),
             patch(t), 400,
             "field 'cache_mb' must be in 0..1048576, got 2000000");
  pb::CreateCollectionRequest create = NewCollection("d", 3);
  create.mutable_tiering()->set_cold_after_hours(900000);
  ExpectSame("cold_after_hours too large",
             Rest("POST", kApi,
                  {{"name", "d"},
                   {"dimension", 3},
                   {"tiering", {{"cold_after_hours", 900000}}}}),
             Create(create), 400,
             "field 'cold_after_hours' must be in 0..876000, got 900000");
}

}  // namespace
}  // namespace proximadb::testing::parity
