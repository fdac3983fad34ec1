// Every REST JSON body refuses keys it does not know (issue 11): a misspelt
// key must answer 400 naming the field rather than silently change nothing.
// Documented aliases ("query_vector", "top_k", "background_flush") and the
// nested "index" / "flush_policy" objects stay accepted.
#include <string>

#include <gtest/gtest.h>

#include "json_literal.h"
#include "service/json_codec.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

using proximadb::json_literal::J;

template <typename T>
void ExpectUnknown(const Result<T>& r, const std::string& message) {
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), message);
}

TEST(UnknownFieldsTest, CreateCollection) {
  ExpectUnknown(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
                                            "max_wal_age_hour": 1})")),
                "unknown field 'max_wal_age_hour'");
  ExpectUnknown(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
                                            "storage_layout": "viper"})")),
                "unknown field 'storage_layout'");
  ExpectUnknown(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
                                            "index": {"mm": 8}})")),
                "unknown field 'index.mm'");
  // Flush keys belong in flush_policy, index keys in index, not crosswise.
  ExpectUnknown(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
                                     "index": {"flush_priority": 8}})")),
                "unknown field 'index.flush_priority'");
  ExpectUnknown(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
                                     "flush_policy": {"m": 8}})")),
                "unknown field 'flush_policy.m'");
  // A null value is still a typo.
  ExpectUnknown(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
                                            "dimensoin": null})")),
                "unknown field 'dimensoin'");
  // A collection as the API returns it can be sent back (its read-only
  // fields are ignored).
  EXPECT_TRUE(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
      "point_count": 7, "segment_count": 1, "created_at": 5,
      "payload_indexes": []})"))
                  .ok());
  // ... but not a list of payload indexes, which create does not build.
  Result<CollectionConfig> with_indexes =
      ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
          "payload_indexes": [{"field": "a", "type": "keyword"}]})"));
  ASSERT_FALSE(with_indexes.ok());
  EXPECT_EQ(with_indexes.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(with_indexes.status().message().find("payload_indexes"),
            std::string::npos);
  // The README's example and every documented key.
  EXPECT_TRUE(ParseCreateCollection(J(R"({"name": "embeddings",
      "dimension": 768, "distance_metric": "cosine",
      "max_wal_age_hours": 0.5, "max_wal_size_mb": 32})"))
                  .ok());
  EXPECT_TRUE(ParseCreateCollection(J(R"({"name": "c", "dimension": 3,
      "indexing_algorithm": "hnsw", "m": 8, "ef_construction": 40,
      "ef_search": 20, "quantization": "int8", "wal_format": "native",
      "max_vector_count": 10, "flush_priority": 5,
      "enable_background_flush": true, "background_flush": true,
      "index": {"indexing_algorithm": "flat", "m": 4, "ef_construction": 9,
                "ef_search": 9, "quantization": "none"},
      "flush_policy": {"max_wal_age_hours": 1, "max_wal_size_mb": 2,
                       "max_vector_count": 3, "flush_priority": 4,
                       "enable_background_flush": false,
                       "background_flush": false}})"))
                  .ok());
}

TEST(UnknownFieldsTest, UpdateCollection) {
  ExpectUnknown(ParseFlushPolicyPatch(J(R"({"flush_priorty": 3})")),
                "unknown field 'flush_priorty'");
  ExpectUnknown(ParseFlushPolicyPatch(J(R"({"m": 3, "flush_priority": 3})")),
                "unknown field 'm'");
  ExpectUnknown(
      ParseFlushPolicyPatch(J(R"({"flush_policy": {"max_wal_age": 3}})")),
      "unknown field 'flush_policy.max_wal_age'");
  EXPECT_TRUE(ParseFlushPolicyPatch(J(R"({"flush_priority": 3,
      "flush_policy": {"max_wal_size_mb": 2}})"))
                  .ok());
}

TEST(UnknownFieldsTest, Points) {
  ExpectUnknown(ParsePoint(J(R"({"vector": [1, 2], "payload": {}})"), 2, "c"),
                "unknown field 'payload'");
  ExpectUnknown(ParseBatch(J(R"({"vectors": [{"vector": [1, 2]},
                                             {"vector": [1, 2], "x": 1}]})"),
                           2, "c"),
                "vectors[1]: unknown field 'x'");
  ExpectUnknown(
      ParseBatch(J(R"({"vectors": [{"vector": [1, 2]}], "upsert": true})"), 2,
                 "c"),
      "unknown field 'upsert'");
  EXPECT_TRUE(ParsePoint(J(R"({"id": "a", "vector": [1, 2],
                               "metadata": {"any": {"key": 1}}})"),
                         2, "c")
                  .ok());
}

TEST(UnknownFieldsTest, Search) {
  ExpectUnknown(
      ParseSearch(J(R"({"vector": [1, 2], "with_payload": true})"), 2, "c"),
      "unknown field 'with_payload'");
  ExpectUnknown(ParseBatchSearch(J(R"({"queries": [{"vector": [1, 2]},
      {"vector": [1, 2]}, {"vector": [1, 2], "x": 1}]})"),
                                 2, "c"),
                "queries[2]: unknown field 'x'");
  ExpectUnknown(ParseBatchSearch(J(R"({"queries": [{"vector": [1, 2]}],
                                       "k": 3})"),
                                 2, "c"),
                "unknown field 'k'");
  // Aliases and every documented key.
  EXPECT_TRUE(ParseSearch(J(R"({"query_vector": [1, 2], "top_k": 3,
      "filter": {"a": 1}, "include_vector": true, "include_metadata": false,
      "ef_search": 20, "exact": false, "explain": true, "offset": 2,
      "score_threshold": 0.5, "consistency": "strong"})"),
                          2, "c")
                  .ok());
  EXPECT_TRUE(ParseSearch(J(R"({"id": "p1", "k": 3})"), 2, "c").ok());
}

TEST(UnknownFieldsTest, OtherBodies) {
  ExpectUnknown(ParseDeleteVectors(J(R"({"ids": ["a"], "force": true})")),
                "unknown field 'force'");
  ExpectUnknown(ParseMetadataUpdate(J(R"({"metadata": {}, "merge": true})")),
                "unknown field 'merge'");
  ExpectUnknown(ParseCountFilter(J(R"({"filters": {"a": 1}})")),
                "unknown field 'filters'");
  ExpectUnknown(ParseScroll(J(R"({"limit": 5, "offset": 10})")),
                "unknown field 'offset'");
  ExpectUnknown(
      ParsePayloadIndexDef(J(R"({"field": "a", "type": "keyword", "x": 1})")),
      "unknown field 'x'");
  EXPECT_TRUE(ParseScroll(J(R"({"after_id": "a", "limit": 5,
      "filter": {"a": 1}, "include_vector": true})"))
                  .ok());
  EXPECT_TRUE(ParseCountFilter(J(R"({"filter": {"a": 1}})")).ok());
  EXPECT_TRUE(ParseDeleteVectors(J(R"({"filter": {"a": 1}})")).ok());
}

}  // namespace
}  // namespace proximadb::service
