// Request bodies nested beyond kMaxRequestDepth are refused before any DOM
// is built (nlohmann's copy and dump recurse: a body nested 60,000 deep used
// to overflow the stack), on the nlohmann path and on the simdjson batch
// path alike; metadata within the request limit but over kMaxJsonDepth gets
// the message naming its field.

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "proximadb/db.h"
#include "service/json_codec.h"
#include "service/json_points_fast.h"
#include "util/limits.h"
#include "util/service_fixture.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

std::string NestedObject(size_t depth) {
  std::string s;
  for (size_t i = 1; i < depth; ++i) s += "{\"a\":";
  s += "{\"leaf\":1}";
  for (size_t i = 1; i < depth; ++i) s += "}";
  return s;
}

class JsonDepthLimitsTest : public test_util::ServiceFixture {
 protected:
  void SetUp() override {
    ServiceFixture::SetUp();
    if (HasFatalFailure()) return;
    ASSERT_TRUE(
        svc_->CreateCollectionJson(json{{"name", "c"}, {"dimension", 2}}).ok());
  }
};

TEST_F(JsonDepthLimitsTest, ParseJsonBodyRefusesBeforeParsing) {
  ASSERT_TRUE(ParseJsonBody(NestedObject(kMaxRequestDepth)).ok());
  for (size_t depth : {kMaxRequestDepth + 1, size_t{60000}, size_t{1000000}}) {
    Result<json> r = ParseJsonBody(NestedObject(depth));
    ASSERT_EQ(r.status().code(), StatusCode::kInvalidArgument) << depth;
    EXPECT_EQ(r.status().message(), RequestTooDeepMessage());
  }
  // Depth inside strings is not depth.
  EXPECT_TRUE(
      ParseJsonBody("{\"s\": \"" + std::string(100000, '[') + "\"}").ok());
}

TEST_F(JsonDepthLimitsTest, BatchBodiesOnBothPaths) {
  // The fast path declines; the answer is the DOM path's refusal, even for
  // depth hidden in a field nobody reads.
  const std::string deep_unknown =
      R"({"vectors": [{"vector": [1, 2]}], "x": )" + NestedObject(60000) + "}";
  EXPECT_FALSE(ParseBatchPointsFast(deep_unknown).has_value());
  Result<json> r = BatchUpsertFromBody(*svc_, "c", deep_unknown);
  EXPECT_EQ(r.status().message(), RequestTooDeepMessage());

  const std::string deep_meta =
      R"({"vectors": [{"vector": [1, 2], "metadata": )" + NestedObject(200000) +
      "}]}";
  r = BatchUpsertFromBody(*svc_, "c", deep_meta);
  EXPECT_EQ(r.status().message(), RequestTooDeepMessage());

  // The deepest metadata allowed fits the request limit inside a batch, and
  // one level more still reaches the check that names the field.
  const auto batch = [](size_t depth) {
    return R"({"vectors": [{"id": "p", "vector": [1, 2], "metadata": )" +
           NestedObject(depth) + "}]}";
  };
  ASSERT_TRUE(ParseBatchPointsFast(batch(kMaxJsonDepth)).has_value());
  EXPECT_TRUE(BatchUpsertFromBody(*svc_, "c", batch(kMaxJsonDepth)).ok());
  r = BatchUpsertFromBody(*svc_, "c", batch(kMaxJsonDepth + 1));
  EXPECT_EQ(r.status().message(),
            "vectors[0].metadata is nested deeper than 32 levels");
  EXPECT_EQ(svc_->CountJson("c", json()).value()["count"], 1);
}

// docs/FILTERS.md: 16 nested $and/$or and the 32 nested $not the filter
// language allows fit the request limit, in a batch search too.
TEST_F(JsonDepthLimitsTest, DocumentedFilterNestingFits) {
  std::string ands = R"({"a":1})", nots = R"({"a":1})";
  for (int i = 0; i < 16; ++i) ands = R"({"$and":[)" + ands + "]}";
  for (int i = 0; i < 32; ++i) nots = R"({"$not":)" + nots + "}";
  for (const std::string& f : {ands, nots}) {
    const std::string body =
        R"({"queries":[{"vector":[1,2],"filter":)" + f + "}]}";
    Result<json> parsed = ParseJsonBody(body);
    ASSERT_TRUE(parsed.ok()) << parsed.status().ToString();
    Result<json> r = svc_->BatchSearchJson("c", *parsed);
    EXPECT_TRUE(r.ok()) << r.status().ToString();
  }
}

TEST_F(JsonDepthLimitsTest, FiltersNestedDeepAreRefused) {
  // The issue's shapes: $not in search, $and in count, $or in delete.
  std::string nots, ands, ors;
  for (int i = 0; i < 60000; ++i) {
    nots += "{\"$not\":";
    ands += "{\"$and\":[";
    ors += "{\"$or\":[";
  }
  nots += "{\"a\":1}";
  ands += "{\"a\":1}";
  ors += "{\"a\":1}";
  for (int i = 0; i < 60000; ++i) {
    nots += "}";
    ands += "]}";
    ors += "]}";
  }
  for (const std::string& body :
       {"{\"vector\": [1, 2], \"filter\": " + nots + "}",
        "{\"filter\": " + ands + "}", "{\"filter\": " + ors + "}"}) {
    EXPECT_EQ(ParseJsonBody(body).status().message(), RequestTooDeepMessage());
  }
}

}  // namespace
}  // namespace proximadb::service
