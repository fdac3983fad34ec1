// The input limits of util/limits.h over both transports of the real
// server: metadata nested at the limit is stored over REST and read back by
// the C++ gRPC client through every answer that carries metadata (one level
// more is refused on both transports with the same message), and vectors
// whose squared norm would overflow float are refused, as points and as
// queries, while vectors at the bound score finitely.
#include <cmath>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/parity_fixture.h"
#include "util/limits.h"

namespace proximadb::testing::parity {
namespace {

json Nested(size_t depth) {
  json m = {{"leaf", 1}};
  for (size_t i = 1; i < depth; ++i) m = {{"a", std::move(m)}};
  return m;
}

TEST_F(ParityTest, MetadataAtTheLimitReadsBackOverGrpc) {
  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 2}}).status, 201u);
  const std::string c = kApi + "/c";
  const json deepest = Nested(kMaxJsonDepth);
  ASSERT_EQ(
      Rest("POST", c + "/vectors", PointJson("p", {1, 2}, deepest)).status,
      201u);

  // protobuf's default recursion limit (100) applies to every answer the
  // C++ client decodes; the deepest nesting is in BatchSearch (3 * 32 + 2).
  pb::GetRequest get;
  get.set_collection("c");
  get.set_id("p");
  pb::Point point;
  ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Get, get, &point).ok());
  EXPECT_EQ(StructJson(point.metadata()), deepest);

  pb::SearchRequest search;
  search.set_collection("c");
  search.add_vector(1);
  search.add_vector(2);
  pb::SearchResponse found;
  ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, search, &found).ok());
  ASSERT_EQ(found.matches_size(), 1);
  EXPECT_EQ(StructJson(found.matches(0).metadata()), deepest);

  pb::BatchSearchRequest batch;
  batch.set_collection("c");
  *batch.add_queries() = search;
  pb::BatchSearchResponse batch_found;
  ASSERT_TRUE(
      Call(&pb::ProximaDB::Stub::BatchSearch, batch, &batch_found).ok());
  EXPECT_EQ(StructJson(batch_found.results(0).matches(0).metadata()), deepest);

  pb::ScrollRequest scroll;
  scroll.set_collection("c");
  pb::ScrollResponse page;
  ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Scroll, scroll, &page).ok());
  EXPECT_EQ(StructJson(page.points(0).metadata()), deepest);

  // One level more: refused on both transports, with the same message.
  const json over = Nested(kMaxJsonDepth + 1);
  const std::string upsert_msg =
      "vectors[0].metadata is nested deeper than 32 levels";
  HttpReply r = Rest("POST", c + "/vectors", PointJson("q", {1, 2}, over));
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["message"], upsert_msg);
  r = Rest("POST", c + "/vectors/batch",
           {{"vectors", {PointJson("q", {1, 2}, over)}}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["message"], upsert_msg);
  r = Rest("PATCH", c + "/vectors/p", {{"metadata", over}});
  EXPECT_EQ(r.status, 400u);
  EXPECT_EQ(r.json()["message"], "metadata is nested deeper than 32 levels");

  pb::UpsertRequest up;
  up.set_collection("c");
  *up.mutable_point() = MakePoint("q", {1, 2}, over);
  pb::UpsertResponse up_out;
  GrpcReply g = Call(&pb::ProximaDB::Stub::Upsert, up, &up_out);
  EXPECT_EQ(g.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.status.error_message(), upsert_msg);
  pb::BatchUpsertRequest bup;
  bup.set_collection("c");
  *bup.add_points() = MakePoint("q", {1, 2}, over);
  pb::BatchUpsertResponse bup_out;
  g = Call(&pb::ProximaDB::Stub::BatchUpsert, bup, &bup_out);
  EXPECT_EQ(g.status.error_message(), upsert_msg);
  pb::UpdateMetadataRequest patch;
  patch.set_collection("c");
  patch.set_id("p");
  grpc_api::JsonToStruct(over, patch.mutable_metadata());
  pb::UpdateMetadataResponse patch_out;
  g = Call(&pb::ProximaDB::Stub::UpdateMetadata, patch, &patch_out);
  EXPECT_EQ(g.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
  EXPECT_EQ(g.status.error_message(),
            "metadata is nested deeper than 32 levels");
  EXPECT_EQ(Rest("POST", c + "/count").json()["count"], 1);
}

TEST_F(ParityTest, HugeVectorsAreRefusedAndScoresStayFinite) {
  for (const char* metric : {"cosine", "euclidean", "dot_product"}) {
    SCOPED_TRACE(metric);
    const std::string name = std::string("v_") + metric;
    const std::string c = kApi + "/" + name;
    ASSERT_EQ(Rest("POST", kApi,
                   {{"name", name},
                    {"dimension", 4},
                    {"distance_metric", metric},
                    {"indexing_algorithm", "flat"}})
                  .status,
              201u);
    // The vector: every value finite, the squared norm not.
    const std::vector<float> huge(4, 3.4e38f);
    const std::string point_msg =
        "vectors[0] is too large: the sum of its squared values must be at "
        "most 4.254e+37 (FLT_MAX/8) so that every score stays finite";
    HttpReply r = Rest("POST", c + "/vectors", PointJson("h", huge, json()));
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(r.json()["message"], point_msg);
    pb::UpsertRequest up;
    up.set_collection(name);
    *up.mutable_point() = MakePoint("h", huge, json::object());
    pb::UpsertResponse up_out;
    GrpcReply g = Call(&pb::ProximaDB::Stub::Upsert, up, &up_out);
    EXPECT_EQ(g.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(g.status.error_message(), point_msg);

    const std::string query_msg =
        "query vector is too large: the sum of its squared values must be at "
        "most 4.254e+37 (FLT_MAX/8) so that every score stays finite";
    r = Rest("POST", c + "/search", {{"vector", huge}});
    EXPECT_EQ(r.status, 400u);
    EXPECT_EQ(r.json()["message"], query_msg);
    pb::SearchRequest q;
    q.set_collection(name);
    for (float x : huge) q.add_vector(x);
    pb::SearchResponse q_out;
    g = Call(&pb::ProximaDB::Stub::Search, q, &q_out);
    EXPECT_EQ(g.status.error_code(), grpc::StatusCode::INVALID_ARGUMENT);
    EXPECT_EQ(g.status.error_message(), query_msg);
    r = Rest("POST", c + "/search/batch", {{"queries", {{{"vector", huge}}}}});
    EXPECT_EQ(r.json()["message"], "queries[0]: " + query_msg);

    // At the bound: accepted, and every score a number on both transports.
    const float b = 3.2e18f;  // 4 * b^2 = 4.1e37, just under the bound
    ASSERT_EQ(Rest("POST", c + "/vectors/batch",
                   {{"vectors",
                     {PointJson("pos", {b, b, b, b}, json::object()),
                      PointJson("neg", {-b, -b, -b, -b}, json::object()),
                      PointJson("one", {1, 2, 3, 4}, json::object())}}})
                  .status,
              200u);
    for (const std::vector<float>& v :
         {std::vector<float>{b, b, b, b}, std::vector<float>{-b, b, -b, b}}) {
      r = Rest("POST", c + "/search", {{"vector", v}, {"k", 10}});
      ASSERT_EQ(r.status, 200u) << r.body;
      ASSERT_EQ(r.json()["matches"].size(), 3u);
      const json found = r.json();
      for (const json& m : found["matches"]) {
        EXPECT_TRUE(m["score"].is_number()) << r.body;
      }
      pb::SearchRequest sq;
      sq.set_collection(name);
      sq.set_k(10);
      for (float x : v) sq.add_vector(x);
      pb::SearchResponse s_out;
      ASSERT_TRUE(Call(&pb::ProximaDB::Stub::Search, sq, &s_out).ok());
      for (const pb::SearchMatch& m : s_out.matches()) {
        EXPECT_TRUE(std::isfinite(m.score())) << m.id();
      }
    }
  }
}

}  // namespace
}  // namespace proximadb::testing::parity
