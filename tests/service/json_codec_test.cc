#include "service/json_codec.h"

#include <limits>
#include <string>

#include <gtest/gtest.h>
#include "json_literal.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

using proximadb::json_literal::J;

TEST(ParseJsonBodyTest, MalformedNamesPosition) {
  auto r = ParseJsonBody(R"({"name": "x",})");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("byte 14"), std::string::npos)
      << r.status().message();
  EXPECT_FALSE(ParseJsonBody("").ok());
  EXPECT_TRUE(ParseJsonBody(R"({"a": 1})").ok());
}

// nlohmann stops at a NUL byte as if the input ended there, so a body with
// anything after a NUL was accepted and the rest silently ignored (found by
// tests/fuzz/filter_fuzz). A raw NUL is never valid JSON.
TEST(ParseJsonBodyTest, RefusesNulBytes) {
  using namespace std::string_literals;
  for (const std::string& body :
       {R"({"a": 1})"s + '\0', R"({"a": 1})"s + '\0' + R"({"b": 2})",
        R"({"vectors": [)"s + '\0' + "garbage", "\0"s,
        R"({"a": "x)"s + '\0' + R"(y"})"}) {
    auto r = ParseJsonBody(body);
    ASSERT_FALSE(r.ok()) << body.size();
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    // Positions count from 1, as in nlohmann's own messages.
    EXPECT_NE(r.status().message().find(
                  "byte " + std::to_string(body.find('\0') + 1) + ":"),
              std::string::npos)
        << r.status().message();
  }
  // Escaped, a NUL is a character like any other.
  auto ok = ParseJsonBody(R"({"a": "x\u0000y"})");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  EXPECT_EQ((*ok)["a"].get<std::string>(), std::string("x\0y", 3));
}

TEST(ParseCreateCollectionTest, SeedExample) {
  auto r = ParseCreateCollection(J(R"({
    "name": "embeddings", "dimension": 768, "distance_metric": "cosine",
    "max_wal_age_hours": 0.5, "max_wal_size_mb": 32})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->name, "embeddings");
  EXPECT_EQ(r->dimension, 768u);
  EXPECT_EQ(r->metric, Metric::kCosine);
  EXPECT_EQ(r->index.algorithm, "hnsw");
  EXPECT_DOUBLE_EQ(*r->flush.max_wal_age_hours, 0.5);
  EXPECT_DOUBLE_EQ(*r->flush.max_wal_size_mb, 32.0);
  EXPECT_FALSE(r->flush.max_vector_count.has_value());
  EXPECT_EQ(r->wal_format, WalFormat::kNative);
}

TEST(ParseCreateCollectionTest, AllOptions) {
  auto r = ParseCreateCollection(J(R"({
    "name": "high_frequency", "dimension": 512,
    "distance_metric": "dot_product", "indexing_algorithm": "flat",
    "m": 32, "ef_construction": 100, "ef_search": 50,
    "max_vector_count": 1000, "flush_priority": 80,
    "background_flush": false, "wal_format": "avro"})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->metric, Metric::kDotProduct);
  EXPECT_EQ(r->index.algorithm, "flat");
  EXPECT_EQ(r->index.m, 32u);
  EXPECT_EQ(r->index.ef_construction, 100u);
  EXPECT_EQ(r->index.ef_search, 50u);
  EXPECT_EQ(*r->flush.max_vector_count, 1000u);
  EXPECT_EQ(*r->flush.flush_priority, 80);
  EXPECT_FALSE(*r->flush.enable_background_flush);
  EXPECT_EQ(r->wal_format, WalFormat::kAvro);
}

TEST(ParseCreateCollectionTest, NestedObjectsAndTopLevelWins) {
  auto r = ParseCreateCollection(J(R"({
    "name": "c", "dimension": 4,
    "index": {"m": 8, "ef_search": 20},
    "flush_policy": {"flush_priority": 10, "enable_background_flush": false},
    "ef_search": 30})"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->index.m, 8u);
  EXPECT_EQ(r->index.ef_search, 30u);
  EXPECT_EQ(*r->flush.flush_priority, 10);
  EXPECT_FALSE(*r->flush.enable_background_flush);
}

struct BadCase {
  const char* body;
  const char* expect_in_message;
};

class BadCreateTest : public testing::TestWithParam<BadCase> {};

TEST_P(BadCreateTest, Refused) {
  auto r = ParseCreateCollection(J(GetParam().body));
  ASSERT_FALSE(r.ok()) << GetParam().body;
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find(GetParam().expect_in_message),
            std::string::npos)
      << r.status().message();
}

INSTANTIATE_TEST_SUITE_P(
    Table, BadCreateTest,
    testing::Values(
        BadCase{R"([1, 2])", "must be a JSON object"},
        BadCase{R"({"dimension": 3})", "'name'"},
        BadCase{R"({"name": "a"})", "'dimension'"},
        BadCase{R"({"name": 5, "dimension": 3})", "'name' must be a string"},
        BadCase{R"({"name": "a", "dimension": "3"})", "an integer"},
        BadCase{R"({"name": "a", "dimension": 3.5})", "an integer"},
        BadCase{R"({"name": "a", "dimension": 0})", "1..65536"},
        BadCase{R"({"name": "a", "dimension": -1})", "1..65536"},
        BadCase{R"({"name": "a", "dimension": 65537})", "1..65536"},
        BadCase{R"({"name": "a b", "dimension": 3})", "collection name"},
        BadCase{R"({"name": "", "dimension": 3})", "collection name"},
        BadCase{
            R"({"name": "a", "dimension": 3, "distance_metric": "hamming"})",
            "distance_metric"},
        BadCase{R"({"name": "a", "dimension": 3, "distance_metric": 1})",
                "distance_metric"},
        BadCase{R"({"name": "a", "dimension": 3, "indexing_algorithm": "lsh"})",
                "indexing_algorithm"},
        BadCase{R"({"name": "a", "dimension": 3, "indexing_algorithm": "ivf"})",
                "needs storage_strategy 'viper' or 'custom'"},
        BadCase{R"({"name": "a", "dimension": 3, "storage_strategy": "viper",
                    "memtable": "btree"})",
                "uses memtable 'hash'"},
        BadCase{R"({"name": "a", "dimension": 3, "storage_strategy": "viper",
                    "filterable_columns": {"tag": "string"}})",
                "filterable_columns"},
        BadCase{R"({"name": "a", "dimension": 3, "storage_strategy": "viper",
                    "filterable_columns": [{"name": "tag"}]})",
                "missing required field 'filterable_columns[0].type'"},
        BadCase{R"({"name": "a", "dimension": 3, "storage_strategy": "viper",
                    "filterable_columns": [{"name": "t", "type": "string",
                                            "sorted": true}]})",
                "unknown field 'filterable_columns[0].sorted'"},
        BadCase{R"({"name": "a", "dimension": 3, "storage_strategy": "viper",
                    "filterable_columns": [{"name": "t", "type": "string",
                                            "indexed": "yes"}]})",
                "filterable_columns[0].indexed"},
        BadCase{R"({"name": "a", "dimension": 3, "filterable_columns":
                    [{"name": "t", "type": "string"}]})",
                "need index kind 'ivf'"},
        BadCase{R"({"name": "a", "dimension": 3, "m": 1})", "'m'"},
        BadCase{R"({"name": "a", "dimension": 3, "ef_search": 0})",
                "ef_search"},
        BadCase{R"({"name": "a", "dimension": 3, "max_wal_age_hours": 0})",
                "max_wal_age_hours"},
        BadCase{R"({"name": "a", "dimension": 3, "max_wal_size_mb": "big"})",
                "max_wal_size_mb"},
        BadCase{R"({"name": "a", "dimension": 3, "max_vector_count": 0})",
                "max_vector_count"},
        BadCase{R"({"name": "a", "dimension": 3, "flush_priority": 101})",
                "flush_priority"},
        BadCase{
            R"({"name": "a", "dimension": 3, "enable_background_flush": 1})",
            "a boolean"},
        BadCase{R"({"name": "a", "dimension": 3, "wal_format": "json"})",
                "wal_format"},
        BadCase{R"({"name": "a", "dimension": 3, "index": 5})", "'index'"}));

TEST(ParseVectorTest, DimensionMismatchMessage) {
  auto r = ParseVector(J("[0.1, 0.2, 0.3]"), 768, "embeddings");
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kDimensionMismatch);
  EXPECT_EQ(r.status().message(),
            "vector has 3 values but collection 'embeddings' has dimension "
            "768");
}

TEST(ParseVectorTest, Values) {
  auto r = ParseVector(J("[1, -2.5, 0]"), 3, "c");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r.value(), (std::vector<float>{1.0f, -2.5f, 0.0f}));
}

TEST(ParseVectorTest, RefusesBadValues) {
  for (const char* text :
       {"[]", "[1, \"2\", 3]", "[1, null, 3]", "[1e300, 0, 0]", "[[1], 2, 3]",
        "\"1,2,3\"", "{\"a\": 1}", "[true, 0, 0]", "[\"NaN\", 0, 0]"}) {
    auto r = ParseVector(J(text), 3, "c");
    ASSERT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  }
}

TEST(ParseVectorTest, RefusesNonFinite) {
  for (double bad : {std::numeric_limits<double>::infinity(),
                     -std::numeric_limits<double>::infinity(),
                     std::numeric_limits<double>::quiet_NaN()}) {
    auto r = ParseVector(json::array({1.0, bad, 0.0}), 3, "c");
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  }
  // 1e999 overflows while parsing the body already.
  auto body = ParseJsonBody(R"({"vector": [1e999, 0, 0]})");
  ASSERT_FALSE(body.ok());
  EXPECT_EQ(body.status().code(), StatusCode::kInvalidArgument);
}

TEST(ParsePointTest, SeedInsert) {
  auto r = ParsePoint(J(R"({"id": "user_123", "vector": [0.1, 0.2, 0.3],
                            "metadata": {"user": "alice"}})"),
                      3, "embeddings");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->id, "user_123");
  EXPECT_EQ(r->metadata, J(R"({"user": "alice"})"));
}

TEST(ParsePointTest, OptionalIdAndMetadata) {
  auto r = ParsePoint(J(R"({"vector": [1, 2]})"), 2, "c");
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->id, "");
  EXPECT_TRUE(r->metadata.is_object());
  EXPECT_TRUE(
      ParsePoint(J(R"({"vector": [1, 2], "metadata": null})"), 2, "c").ok());
}

TEST(ParsePointTest, Refused) {
  const std::string long_id(257, 'x');
  for (std::string text :
       {std::string(R"({"id": "", "vector": [1, 2]})"),
        std::string(R"({"id": 7, "vector": [1, 2]})"),
        std::string(R"({"id": ")") + long_id + R"(", "vector": [1, 2]})",
        std::string(R"({"id": "a"})"),
        std::string(R"({"id": "a", "vector": [1, 2], "metadata": [1]})"),
        std::string(R"({"id": "a", "vector": [1, 2], "metadata": "x"})"),
        std::string(R"([1, 2])")}) {
    auto r = ParsePoint(J(text.c_str()), 2, "c");
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  }
  EXPECT_TRUE(ValidatePointId(std::string(256, 'x')).ok());
}

TEST(ParseBatchTest, ParsesAndNamesBadIndex) {
  auto ok = ParseBatch(J(R"({"vectors": [
      {"id": "doc_1", "vector": [0.1, 0.2, 0.3], "metadata": {"type": "document"}},
      {"id": "doc_2", "vector": [0.4, 0.5, 0.6], "metadata": {"type": "image"}}]})"),
                       3, "c");
  ASSERT_TRUE(ok.ok()) << ok.status().ToString();
  ASSERT_EQ(ok->size(), 2u);
  EXPECT_EQ((*ok)[1].id, "doc_2");

  auto bad = ParseBatch(J(R"({"vectors": [{"vector": [1, 2, 3]},
                                           {"vector": [1, 2]}]})"),
                        3, "c");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kDimensionMismatch);
  EXPECT_EQ(bad.status().message().rfind("vectors[1]: ", 0), 0u)
      << bad.status().message();

  EXPECT_FALSE(ParseBatch(J(R"({"vectors": []})"), 3, "c").ok());
  EXPECT_FALSE(ParseBatch(J(R"({"vectors": {}})"), 3, "c").ok());
  EXPECT_FALSE(ParseBatch(J(R"({})"), 3, "c").ok());
}

TEST(ParseSearchTest, SeedSearchAndDefaults) {
  auto r = ParseSearch(
      J(R"({"vector": [0.1, 0.2, 0.3], "k": 10, "filter": {"user": "alice"}})"),
      3, "embeddings");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->k, 10u);
  EXPECT_EQ(r->filter, J(R"({"user": "alice"})"));
  EXPECT_FALSE(r->include_vector);
  EXPECT_TRUE(r->include_metadata);
  EXPECT_FALSE(r->exact);

  auto d = ParseSearch(J(R"({"query_vector": [1, 2, 3]})"), 3, "c");
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->k, kDefaultK);
  EXPECT_TRUE(d->filter.is_null());
}

TEST(ParseSearchTest, AliasesAndOptions) {
  auto r = ParseSearch(J(R"({"query_vector": [1, 2], "top_k": 3,
      "include_vector": true, "include_metadata": false, "ef_search": 99,
      "exact": true})"),
                       2, "c");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->k, 3u);
  EXPECT_TRUE(r->include_vector);
  EXPECT_FALSE(r->include_metadata);
  EXPECT_EQ(*r->ef_search, 99u);
  EXPECT_TRUE(r->exact);
}

TEST(ParseSearchTest, Refused) {
  for (const char* text :
       {R"({"k": 3})", R"({"vector": [1, 2], "k": 0})",
        R"({"vector": [1, 2], "k": 10001})", R"({"vector": [1, 2], "k": "5"})",
        R"({"vector": [1, 2], "filter": "user=alice"})",
        R"({"vector": [1, 2], "filter": [1]})",
        R"({"vector": [1, 2], "include_vector": "yes"})",
        R"({"vector": [1, 2], "ef_search": 0})"}) {
    auto r = ParseSearch(J(text), 2, "c");
    EXPECT_FALSE(r.ok()) << text;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument) << text;
  }
  auto dim = ParseSearch(J(R"({"vector": [1, 2, 3]})"), 2, "c");
  EXPECT_EQ(dim.status().code(), StatusCode::kDimensionMismatch);
}

TEST(EncodeTest, CollectionShape) {
  CollectionInfo info;
  info.config.name = "embeddings";
  info.config.dimension = 768;
  info.config.flush.max_wal_age_hours = 0.5;
  info.point_count = 7;
  FlushDefaults defaults;
  json j = CollectionToJson(info, defaults);
  EXPECT_EQ(j["name"], "embeddings");
  EXPECT_EQ(j["dimension"], 768);
  EXPECT_EQ(j["distance_metric"], "cosine");
  EXPECT_EQ(j["indexing_algorithm"], "hnsw");
  EXPECT_EQ(j["index"]["m"], 16);
  EXPECT_EQ(j["flush_policy"]["max_wal_age_hours"], 0.5);
  EXPECT_EQ(j["flush_policy"]["max_wal_size_mb"], 128.0);
  EXPECT_EQ(j["flush_policy"]["max_vector_count"], 1000000);
  EXPECT_EQ(j["flush_policy"]["enable_background_flush"], true);
  EXPECT_EQ(j["wal_format"], "native");
  EXPECT_EQ(j["point_count"], 7);
  EXPECT_TRUE(j.contains("segment_count"));
  EXPECT_TRUE(j.contains("created_at"));
  // What we return can be sent back to create an identical collection.
  auto again = ParseCreateCollection(j);
  ASSERT_TRUE(again.ok()) << again.status().ToString();
  EXPECT_DOUBLE_EQ(*again->flush.max_wal_age_hours, 0.5);
}

TEST(EncodeTest, SearchShape) {
  SearchResult result;
  result.hits.push_back({"a", 0.9f, J(R"({"user": "alice"})"), {1, 2}});
  result.hits.push_back({"b", 0.5f, json(), {3, 4}});
  SearchRequest req;
  json j = SearchResultToJson(result, req);
  EXPECT_EQ(j["total_count"], 2);
  EXPECT_EQ(j["matches"][0]["id"], "a");
  EXPECT_EQ(j["matches"][0]["metadata"]["user"], "alice");
  EXPECT_TRUE(j["matches"][1]["metadata"].is_object());
  EXPECT_FALSE(j["matches"][0].contains("vector"));
  req.include_vector = true;
  req.include_metadata = false;
  j = SearchResultToJson(result, req);
  EXPECT_EQ(j["matches"][1]["vector"], json({3.0, 4.0}));
  EXPECT_FALSE(j["matches"][0].contains("metadata"));
}

TEST(EncodeTest, Error) {
  json j = ErrorToJson(Status::NotFound("collection 'x' does not exist"));
  EXPECT_EQ(j["error"], "not_found");
  EXPECT_EQ(j["message"], "collection 'x' does not exist");
}

}  // namespace
}  // namespace proximadb::service
