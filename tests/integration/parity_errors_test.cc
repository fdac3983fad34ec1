// The error half of REST/gRPC parity: the same refused request over both
// transports maps to corresponding codes (400<->INVALID_ARGUMENT,
// 404<->NOT_FOUND, 409<->ALREADY_EXISTS or FAILED_PRECONDITION,
// 413<->RESOURCE_EXHAUSTED) and the
// same error name; every operation that can refuse input has a case.
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "integration/parity_fixture.h"

namespace proximadb::testing::parity {
namespace {

// The same refused request over both transports: the HTTP status and the gRPC
// code correspond, and the REST "error" equals the x-proximadb-error trailer.
TEST_F(ParityTest, ErrorsMapTheSameWay) {
  ASSERT_EQ(Rest("POST", kApi, {{"name", "c"}, {"dimension", 3}}).status, 201u);
  struct ErrorCase {
    Operation op;
    std::string method, target;
    json body;
    std::function<GrpcReply()> grpc;
    unsigned http;
    std::string error;  // the REST error code
  };
  const std::string c = kApi + "/c";
  const json big_pad(std::string(1536 << 10, 'p'));  // > 1 MB
  std::vector<ErrorCase> cases;
  auto add = [&](Operation op, std::string method, std::string target,
                 json body, std::function<GrpcReply()> g, unsigned http,
                 std::string error) {
    cases.push_back({op, std::move(method), std::move(target), std::move(body),
                     std::move(g), http, std::move(error)});
  };

  add(
      Operation::kCreateCollection, "POST", kApi,
      {{"name", "c"}, {"dimension", 3}},
      [&] {
        pb::CreateCollectionRequest r;
        r.set_name("c");
        r.set_dimension(3);
        pb::CollectionInfo out;
        return Call(&pb::ProximaDB::Stub::CreateCollection, r, &out);
      },
      409, "already_exists");
  add(
      Operation::kCreateCollection, "POST", kApi,
      {{"name", "bad name!"}, {"dimension", 3}},
      [&] {
        pb::CreateCollectionRequest r;
        r.set_name("bad name!");
        r.set_dimension(3);
        pb::CollectionInfo out;
        return Call(&pb::ProximaDB::Stub::CreateCollection, r, &out);
      },
      400, "invalid_argument");
  // More than one shard or replica needs cluster mode: the single-node
  // engine refuses it (its message, the same on both: error_messages_
  // parity_test.cc).
  add(
      Operation::kCreateCollection, "POST", kApi,
      {{"name", "sharded"}, {"dimension", 3}, {"shard_count", 2}},
      [&] {
        pb::CreateCollectionRequest r;
        r.set_name("sharded");
        r.set_dimension(3);
        r.set_shard_count(2);
        pb::CollectionInfo out;
        return Call(&pb::ProximaDB::Stub::CreateCollection, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kCreateCollection, "POST", kApi,
      {{"name", "replicated"}, {"dimension", 3}, {"replication_factor", 3}},
      [&] {
        pb::CreateCollectionRequest r;
        r.set_name("replicated");
        r.set_dimension(3);
        r.set_replication_factor(3);
        pb::CollectionInfo out;
        return Call(&pb::ProximaDB::Stub::CreateCollection, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kGetCollection, "GET", kApi + "/nope", nullptr,
      [&] {
        pb::GetCollectionRequest r;
        r.set_name("nope");
        pb::CollectionInfo out;
        return Call(&pb::ProximaDB::Stub::GetCollection, r, &out);
      },
      404, "not_found");
  add(
      Operation::kUpdateCollection, "PATCH", c, {{"flush_priority", 500}},
      [&] {
        pb::UpdateCollectionRequest r;
        r.set_name("c");
        r.mutable_flush_policy()->set_flush_priority(500);
        pb::CollectionInfo out;
        return Call(&pb::ProximaDB::Stub::UpdateCollection, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kUpdateCollection, "PATCH", kApi + "/nope",
      {{"flush_priority", 5}},
      [&] {
        pb::UpdateCollectionRequest r;
        r.set_name("nope");
        r.mutable_flush_policy()->set_flush_priority(5);
        pb::CollectionInfo out;
        return Call(&pb::ProximaDB::Stub::UpdateCollection, r, &out);
      },
      404, "not_found");
  add(
      Operation::kDeleteCollection, "DELETE", kApi + "/nope", nullptr,
      [&] {
        pb::DeleteCollectionRequest r;
        r.set_name("nope");
        pb::DeleteCollectionResponse out;
        return Call(&pb::ProximaDB::Stub::DeleteCollection, r, &out);
      },
      404, "not_found");
  add(
      Operation::kUpsert, "POST", c + "/vectors",
      {{"id", "x"}, {"vector", {1.0, 2.0}}},
      [&] {
        pb::UpsertRequest r;
        r.set_collection("c");
        *r.mutable_point() = MakePoint("x", {1.0f, 2.0f}, json::object());
        pb::UpsertResponse out;
        return Call(&pb::ProximaDB::Stub::Upsert, r, &out);
      },
      400, "dimension_mismatch");
  add(
      Operation::kUpsert, "POST", kApi + "/nope/vectors",
      {{"id", "x"}, {"vector", {1.0, 2.0, 3.0}}},
      [&] {
        pb::UpsertRequest r;
        r.set_collection("nope");
        *r.mutable_point() = MakePoint("x", {1.0f, 2.0f, 3.0f}, json::object());
        pb::UpsertResponse out;
        return Call(&pb::ProximaDB::Stub::Upsert, r, &out);
      },
      404, "not_found");
  add(
      Operation::kBatchUpsert, "PUT", c + "/vectors",
      {{"vectors",
        {{{"id", "x"}, {"vector", {1.0, 2.0, 3.0}}},
         {{"id", "y"}, {"vector", {1.0, 2.0}}}}}},
      [&] {
        pb::BatchUpsertRequest r;
        r.set_collection("c");
        *r.add_points() = MakePoint("x", {1.0f, 2.0f, 3.0f}, json::object());
        *r.add_points() = MakePoint("y", {1.0f, 2.0f}, json::object());
        pb::BatchUpsertResponse out;
        return Call(&pb::ProximaDB::Stub::BatchUpsert, r, &out);
      },
      400, "dimension_mismatch");
  // Over [api] max_request_size_mb: refused before the service on both
  // (by Beast and by gRPC core, which sends no x-proximadb-error).
  add(
      Operation::kBatchUpsert, "PUT", c + "/vectors",
      {{"vectors",
        {{{"id", "x"},
          {"vector", {1.0, 2.0, 3.0}},
          {"metadata", {{"pad", big_pad}}}}}}},
      [&] {
        pb::BatchUpsertRequest r;
        r.set_collection("c");
        *r.add_points() =
            MakePoint("x", {1.0f, 2.0f, 3.0f}, {{"pad", big_pad}});
        pb::BatchUpsertResponse out;
        return Call(&pb::ProximaDB::Stub::BatchUpsert, r, &out);
      },
      413, "payload_too_large");
  add(
      Operation::kGet, "GET", c + "/vectors/missing", nullptr,
      [&] {
        pb::GetRequest r;
        r.set_collection("c");
        r.set_id("missing");
        pb::Point out;
        return Call(&pb::ProximaDB::Stub::Get, r, &out);
      },
      404, "not_found");
  add(
      Operation::kDeleteByIds, "DELETE", c + "/vectors",
      {{"ids", json::array()}},
      [&] {
        pb::DeleteByIdsRequest r;
        r.set_collection("c");
        pb::DeleteResponse out;
        return Call(&pb::ProximaDB::Stub::DeleteByIds, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kDeleteByIds, "DELETE", kApi + "/nope/vectors",
      {{"ids", {"a"}}},
      [&] {
        pb::DeleteByIdsRequest r;
        r.set_collection("nope");
        r.add_ids("a");
        pb::DeleteResponse out;
        return Call(&pb::ProximaDB::Stub::DeleteByIds, r, &out);
      },
      404, "not_found");
  add(
      Operation::kDeleteByFilter, "DELETE", c + "/vectors",
      {{"filter", json::object()}},
      [&] {
        pb::DeleteByFilterRequest r;
        r.set_collection("c");
        r.mutable_filter();
        pb::DeleteResponse out;
        return Call(&pb::ProximaDB::Stub::DeleteByFilter, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kDeleteByFilter, "DELETE", kApi + "/nope/vectors",
      {{"filter", {{"a", 1}}}},
      [&] {
        pb::DeleteByFilterRequest r;
        r.set_collection("nope");
        grpc_api::JsonToStruct({{"a", 1}}, r.mutable_filter());
        pb::DeleteResponse out;
        return Call(&pb::ProximaDB::Stub::DeleteByFilter, r, &out);
      },
      404, "not_found");
  add(
      Operation::kUpdateMetadata, "PATCH", c + "/vectors/missing",
      {{"metadata", {{"a", 1}}}},
      [&] {
        pb::UpdateMetadataRequest r;
        r.set_collection("c");
        r.set_id("missing");
        grpc_api::JsonToStruct({{"a", 1}}, r.mutable_metadata());
        pb::UpdateMetadataResponse out;
        return Call(&pb::ProximaDB::Stub::UpdateMetadata, r, &out);
      },
      404, "not_found");
  add(
      Operation::kGetPoints, "POST", c + "/vectors/get",
      {{"ids", json::array()}},
      [&] {
        pb::GetPointsRequest r;
        r.set_collection("c");
        pb::GetPointsResponse out;
        return Call(&pb::ProximaDB::Stub::GetPoints, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kRecommend, "POST", c + "/recommend",
      {{"positive", {"missing"}}},
      [&] {
        pb::RecommendRequest r;
        r.set_collection("c");
        r.add_positive()->set_id("missing");
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Recommend, r, &out);
      },
      404, "not_found");
  add(
      Operation::kQuery, "POST", c + "/query",
      {{"prefetch", {{{"text", "fox"}}}}},
      [&] {
        pb::QueryRequest r;
        r.set_collection("c");
        r.add_prefetch()->set_text("fox");
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Query, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kQuery, "POST", c + "/query",
      {{"prefetch", {{{"vector", {1, 0, 0}}}}}, {"fusion", "max"}},
      [&] {
        pb::QueryRequest r;
        r.set_collection("c");
        pb::QueryPrefetch* p = r.add_prefetch();
        for (float f : {1.0f, 0.0f, 0.0f}) p->add_vector(f);
        r.set_fusion("max");
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Query, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kPatchMetadata, "POST", c + "/vectors/metadata",
      {{"ids", {"a"}}, {"set", {{"k", 1}}}, {"unset", {"k"}}},
      [&] {
        pb::PatchMetadataRequest r;
        r.set_collection("c");
        r.add_ids("a");
        grpc_api::JsonToStruct({{"k", 1}}, r.mutable_set());
        r.add_unset("k");
        pb::PatchMetadataResponse out;
        return Call(&pb::ProximaDB::Stub::PatchMetadata, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kPatchMetadata, "POST", kApi + "/nope/vectors/metadata",
      {{"filter", {{"a", 1}}}, {"set", {{"k", 1}}}},
      [&] {
        pb::PatchMetadataRequest r;
        r.set_collection("nope");
        grpc_api::JsonToStruct({{"a", 1}}, r.mutable_filter());
        grpc_api::JsonToStruct({{"k", 1}}, r.mutable_set());
        pb::PatchMetadataResponse out;
        return Call(&pb::ProximaDB::Stub::PatchMetadata, r, &out);
      },
      404, "not_found");
  add(
      Operation::kSearch, "POST", c + "/search", {{"id", "missing"}},
      [&] {
        pb::SearchRequest r;
        r.set_collection("c");
        r.set_id("missing");
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Search, r, &out);
      },
      404, "not_found");
  add(
      Operation::kSearch, "POST", c + "/search",
      {{"vector", {1.0, 0.0, 0.0}}, {"k", 10}, {"offset", 9991}},
      [&] {
        pb::SearchRequest r;
        r.set_collection("c");
        for (float f : {1.0f, 0.0f, 0.0f}) r.add_vector(f);
        r.set_k(10);
        r.set_offset(9991);
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Search, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kCount, "POST", kApi + "/nope/count", json::object(),
      [&] {
        pb::CountRequest r;
        r.set_collection("nope");
        pb::CountResponse out;
        return Call(&pb::ProximaDB::Stub::Count, r, &out);
      },
      404, "not_found");
  add(
      Operation::kFacet, "POST", c + "/facet", {{"key", "a..b"}},
      [&] {
        pb::FacetRequest r;
        r.set_collection("c");
        r.set_key("a..b");
        pb::FacetResponse out;
        return Call(&pb::ProximaDB::Stub::Facet, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kFacet, "POST", c + "/facet", {{"key", "k"}, {"limit", 0}},
      [&] {
        pb::FacetRequest r;
        r.set_collection("c");
        r.set_key("k");
        r.set_limit(0);
        pb::FacetResponse out;
        return Call(&pb::ProximaDB::Stub::Facet, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kScroll, "POST", c + "/scroll",
      {{"order_by", {{"key", "n"}, {"direction", "up"}}}},
      [&] {
        pb::ScrollRequest r;
        r.set_collection("c");
        r.mutable_order_by()->set_key("n");
        r.mutable_order_by()->set_direction("up");
        pb::ScrollResponse out;
        return Call(&pb::ProximaDB::Stub::Scroll, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kScroll, "POST", c + "/scroll", {{"after_value", 3}},
      [&] {
        pb::ScrollRequest r;
        r.set_collection("c");
        r.set_after_value(3);
        pb::ScrollResponse out;
        return Call(&pb::ProximaDB::Stub::Scroll, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kScroll, "POST", c + "/scroll", {{"limit", 0}},
      [&] {
        pb::ScrollRequest r;
        r.set_collection("c");
        r.set_limit(0);
        pb::ScrollResponse out;
        return Call(&pb::ProximaDB::Stub::Scroll, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kSearch, "POST", c + "/search",
      {{"vector", {1.0, 0.0, 0.0}}, {"k", 0}},
      [&] {
        pb::SearchRequest r;
        r.set_collection("c");
        for (float f : {1.0f, 0.0f, 0.0f}) r.add_vector(f);
        r.set_k(0);
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Search, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kScroll, "POST", c + "/scroll", {{"consistency", "linear"}},
      [&] {
        pb::ScrollRequest r;
        r.set_collection("c");
        r.set_consistency("linear");
        pb::ScrollResponse out;
        return Call(&pb::ProximaDB::Stub::Scroll, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kSearch, "POST", c + "/search",
      {{"vector", {1.0, 0.0, 0.0}}, {"consistency", "always"}},
      [&] {
        pb::SearchRequest r;
        r.set_collection("c");
        for (float f : {1.0f, 0.0f, 0.0f}) r.add_vector(f);
        r.set_consistency("always");
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Search, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kBatchSearch, "POST", c + "/search/batch",
      {{"queries",
        {{{"vector", {1.0, 0.0, 0.0}}},
         {{"vector", {1.0, 0.0, 0.0}}, {"consistency", ""}}}}},
      [&] {
        pb::BatchSearchRequest r;
        r.set_collection("c");
        for (int i = 0; i < 2; ++i) {
          pb::SearchRequest* q = r.add_queries();
          for (float f : {1.0f, 0.0f, 0.0f}) q->add_vector(f);
        }
        r.mutable_queries(1)->set_consistency("");
        pb::BatchSearchResponse out;
        return Call(&pb::ProximaDB::Stub::BatchSearch, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kSearch, "POST", c + "/search", {{"vector", {1.0, 0.0}}},
      [&] {
        pb::SearchRequest r;
        r.set_collection("c");
        for (float f : {1.0f, 0.0f}) r.add_vector(f);
        pb::SearchResponse out;
        return Call(&pb::ProximaDB::Stub::Search, r, &out);
      },
      400, "dimension_mismatch");
  add(
      Operation::kBatchSearch, "POST", c + "/search/batch",
      {{"queries", json::array()}},
      [&] {
        pb::BatchSearchRequest r;
        r.set_collection("c");
        pb::BatchSearchResponse out;
        return Call(&pb::ProximaDB::Stub::BatchSearch, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kFlush, "POST", kApi + "/nope/flush", nullptr,
      [&] {
        pb::FlushRequest r;
        r.set_collection("nope");
        pb::FlushResponse out;
        return Call(&pb::ProximaDB::Stub::Flush, r, &out);
      },
      404, "not_found");
  add(
      Operation::kCompact, "POST", kApi + "/nope/compact", nullptr,
      [&] {
        pb::CompactRequest r;
        r.set_collection("nope");
        pb::CompactResponse out;
        return Call(&pb::ProximaDB::Stub::Compact, r, &out);
      },
      404, "not_found");
  add(
      Operation::kCollectionStats, "GET", kApi + "/nope/stats", nullptr,
      [&] {
        pb::CollectionStatsRequest r;
        r.set_collection("nope");
        pb::CollectionStatsResponse out;
        return Call(&pb::ProximaDB::Stub::CollectionStats, r, &out);
      },
      404, "not_found");

  auto create_index = [&](std::string coll, std::string field,
                          std::string type) {
    return [&, coll, field, type] {
      pb::CreatePayloadIndexRequest r;
      r.set_collection(coll);
      r.set_field(field);
      r.set_type(type);
      pb::PayloadIndexesResponse out;
      return Call(&pb::ProximaDB::Stub::CreatePayloadIndex, r, &out);
    };
  };
  add(Operation::kCreatePayloadIndex, "POST", c + "/index/payload",
      {{"field", "tag"}, {"type", "fulltext"}},
      create_index("c", "tag", "fulltext"), 400, "invalid_argument");
  add(Operation::kCreatePayloadIndex, "POST", c + "/index/payload",
      {{"field", "a..b"}, {"type", "keyword"}},
      create_index("c", "a..b", "keyword"), 400, "invalid_argument");
  add(Operation::kCreatePayloadIndex, "POST", kApi + "/nope/index/payload",
      {{"field", "tag"}, {"type", "keyword"}},
      create_index("nope", "tag", "keyword"), 404, "not_found");
  // "tag" exists as keyword (created below, before the loop): another type
  // is a conflict, the same type is not (checked after the loop).
  add(Operation::kCreatePayloadIndex, "POST", c + "/index/payload",
      {{"field", "tag"}, {"type", "bool"}}, create_index("c", "tag", "bool"),
      409, "already_exists");
  add(
      Operation::kListPayloadIndexes, "GET", kApi + "/nope/index/payload",
      nullptr,
      [&] {
        pb::ListPayloadIndexesRequest r;
        r.set_collection("nope");
        pb::PayloadIndexesResponse out;
        return Call(&pb::ProximaDB::Stub::ListPayloadIndexes, r, &out);
      },
      404, "not_found");
  add(
      Operation::kDeletePayloadIndex, "DELETE", c + "/index/payload/missing",
      nullptr,
      [&] {
        pb::DeletePayloadIndexRequest r;
        r.set_collection("c");
        r.set_field("missing");
        pb::PayloadIndexesResponse out;
        return Call(&pb::ProximaDB::Stub::DeletePayloadIndex, r, &out);
      },
      404, "not_found");
  add(
      Operation::kClearQuarantine, "DELETE",
      "/api/v1/admin/quarantine/no-such-entry", nullptr,
      [&] {
        pb::ClearQuarantineRequest r;
        r.set_id("no-such-entry");
        pb::ClearQuarantineResponse out;
        return Call(&pb::ProximaDB::Stub::ClearQuarantine, r, &out);
      },
      404, "not_found");
  add(
      Operation::kListSegments, "GET", kApi + "/nope/segments", nullptr,
      [&] {
        pb::ListSegmentsRequest r;
        r.set_collection("nope");
        pb::ListSegmentsResponse out;
        return Call(&pb::ProximaDB::Stub::ListSegments, r, &out);
      },
      404, "not_found");
  auto move = [&](std::string collection, uint64_t id, std::string tier) {
    return [&, collection, id, tier] {
      pb::MoveSegmentRequest r;
      r.set_collection(collection);
      r.set_segment_id(id);
      r.set_tier(tier);
      pb::SegmentInfo out;
      return Call(&pb::ProximaDB::Stub::MoveSegment, r, &out);
    };
  };
  add(Operation::kMoveSegment, "POST", c + "/segments/0/tier",
      {{"tier", "warm"}}, move("c", 0, "warm"), 400, "invalid_argument");
  add(Operation::kMoveSegment, "POST", c + "/segments/7/tier",
      {{"tier", "tepid"}}, move("c", 7, "tepid"), 400, "invalid_argument");
  add(Operation::kMoveSegment, "POST", c + "/segments/7/tier",
      {{"tier", "warm"}}, move("c", 7, "warm"), 404, "not_found");
  add(Operation::kMoveSegment, "POST", kApi + "/nope/segments/7/tier",
      {{"tier", "warm"}}, move("nope", 7, "warm"), 404, "not_found");
  auto migrate = [&](std::string collection, std::string kind,
                     std::string strategy) {
    return [&, collection, kind, strategy] {
      pb::MigrateRequest r;
      r.set_collection(collection);
      r.mutable_to()->set_indexing_algorithm(kind);
      r.mutable_to()->set_storage_strategy(strategy);
      pb::Migration out;
      return Call(&pb::ProximaDB::Stub::Migrate, r, &out);
    };
  };
  // ivf needs storage_strategy custom; a memtable kind that does not exist.
  add(Operation::kMigrate, "POST", c + "/migrate",
      {{"index", {{"kind", "ivf"}}}}, migrate("c", "ivf", ""), 400,
      "invalid_argument");
  add(Operation::kMigrate, "POST", kApi + "/nope/migrate",
      {{"storage_strategy", "custom"}}, migrate("nope", "", "custom"), 404,
      "not_found");
  add(
      Operation::kGetMigration, "GET", c + "/migration", nullptr,
      [&] {
        pb::GetMigrationRequest r;
        r.set_collection("c");
        pb::Migration out;
        return Call(&pb::ProximaDB::Stub::GetMigration, r, &out);
      },
      404, "not_found");
  add(
      Operation::kCancelMigration, "DELETE", c + "/migration", nullptr,
      [&] {
        pb::CancelMigrationRequest r;
        r.set_collection("c");
        pb::Migration out;
        return Call(&pb::ProximaDB::Stub::CancelMigration, r, &out);
      },
      409, "failed_precondition");
  auto aliases = [&](std::vector<std::pair<std::string, std::string>> acts) {
    // (alias, collection): create; (alias, ""): delete.
    return [&, acts] {
      pb::UpdateAliasesRequest r;
      for (const auto& [a, coll] : acts) {
        pb::AliasAction* x = r.add_actions();
        if (coll.empty()) {
          x->mutable_delete_alias()->set_alias(a);
        } else {
          x->mutable_create_alias()->set_alias(a);
          x->mutable_create_alias()->set_collection(coll);
        }
      }
      pb::AliasesResponse out;
      return Call(&pb::ProximaDB::Stub::UpdateAliases, r, &out);
    };
  };
  const json create_c_as_c = {
      {"actions", {{{"create", {{"alias", "c"}, {"collection", "c"}}}}}}};
  add(Operation::kUpdateAliases, "POST", "/api/v1/aliases",
      {{"actions", json::array()}}, aliases({}), 400, "invalid_argument");
  add(Operation::kUpdateAliases, "POST", "/api/v1/aliases",
      {{"actions", {{{"create", {{"alias", "a b"}, {"collection", "c"}}}}}}},
      aliases({{"a b", "c"}}), 400, "invalid_argument");
  add(Operation::kUpdateAliases, "POST", "/api/v1/aliases", create_c_as_c,
      aliases({{"c", "c"}}), 409, "already_exists");
  add(Operation::kUpdateAliases, "POST", "/api/v1/aliases",
      {{"actions", {{{"create", {{"alias", "a"}, {"collection", "nope"}}}}}}},
      aliases({{"a", "nope"}}), 404, "not_found");
  add(Operation::kUpdateAliases, "POST", "/api/v1/aliases",
      {{"actions", {{{"delete", {{"alias", "nope"}}}}}}},
      aliases({{"nope", ""}}), 404, "not_found");
  auto changes = [&](std::string coll, std::optional<uint64_t> from) {
    return [&, coll, from] {
      pb::ChangesRequest r;
      r.set_collection(coll);
      if (from) r.set_from_seq(*from);
      r.set_follow(false);
      std::vector<pb::ChangeEvent> out;
      return ReadChanges(r, &out);
    };
  };
  add(Operation::kChanges, "GET", kApi + "/nope/changes", nullptr,
      changes("nope", std::nullopt), 404, "not_found");
  add(Operation::kChanges, "GET", c + "/changes?from_seq=0", nullptr,
      changes("c", 0), 400, "invalid_argument");
  // Snapshots.
  const std::string no_snap = "snap-20260101T000000.000Z-00000000";
  add(
      Operation::kCreateSnapshot, "POST", c + "/snapshots",
      {{"target", "tape"}},
      [&] {
        pb::CreateSnapshotRequest r;
        r.set_collection("c");
        r.set_target("tape");
        pb::SnapshotResponse out;
        return Call(&pb::ProximaDB::Stub::CreateSnapshot, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kCreateSnapshot, "POST", kApi + "/nope/snapshots", json(),
      [&] {
        pb::CreateSnapshotRequest r;
        r.set_collection("nope");
        pb::SnapshotResponse out;
        return Call(&pb::ProximaDB::Stub::CreateSnapshot, r, &out);
      },
      404, "not_found");
  add(
      Operation::kCreateDatabaseSnapshot, "POST", "/api/v1/snapshots",
      {{"target", "s3"}},
      [&] {
        pb::CreateDatabaseSnapshotRequest r;
        r.set_target("s3");
        pb::SnapshotResponse out;
        return Call(&pb::ProximaDB::Stub::CreateDatabaseSnapshot, r, &out);
      },
      409, "failed_precondition");
  const std::string long_name(200, 'n');
  add(
      Operation::kListSnapshots, "GET", kApi + "/" + long_name + "/snapshots",
      json(),
      [&] {
        pb::ListSnapshotsRequest r;
        r.set_collection(long_name);
        pb::ListSnapshotsResponse out;
        return Call(&pb::ProximaDB::Stub::ListSnapshots, r, &out);
      },
      400, "invalid_argument");
  add(
      Operation::kGetSnapshot, "GET", c + "/snapshots/" + no_snap, json(),
      [&] {
        pb::GetSnapshotRequest r;
        r.set_collection("c");
        r.set_id(no_snap);
        pb::SnapshotResponse out;
        return Call(&pb::ProximaDB::Stub::GetSnapshot, r, &out);
      },
      404, "not_found");
  add(
      Operation::kDeleteSnapshot, "DELETE", c + "/snapshots/" + no_snap, json(),
      [&] {
        pb::DeleteSnapshotRequest r;
        r.set_collection("c");
        r.set_id(no_snap);
        pb::DeleteSnapshotResponse out;
        return Call(&pb::ProximaDB::Stub::DeleteSnapshot, r, &out);
      },
      404, "not_found");
  auto restore = [&](std::string id, std::string target) {
    return [&, id, target] {
      pb::RestoreSnapshotRequest r;
      r.set_collection("c");
      r.set_id(id);
      r.set_target_collection(target);
      pb::RestoreSnapshotResponse out;
      return Call(&pb::ProximaDB::Stub::RestoreSnapshot, r, &out);
    };
  };
  add(Operation::kRestoreSnapshot, "POST",
      c + "/snapshots/" + no_snap + "/restore", {{"target_collection", "x"}},
      restore(no_snap, "x"), 404, "not_found");
  add(Operation::kRestoreSnapshot, "POST",
      c + "/snapshots/" + no_snap + "/restore", {{"target_collection", ""}},
      restore(no_snap, ""), 400, "invalid_argument");
  auto pitr = [&](std::string target, std::optional<uint64_t> seq,
                  std::string as_of) {
    return [&, target, seq, as_of] {
      pb::RestorePointInTimeRequest r;
      r.set_collection("c");
      r.set_target_collection(target);
      if (seq) r.set_sequence(*seq);
      if (!as_of.empty()) r.set_as_of(as_of);
      pb::RestoreSnapshotResponse out;
      return Call(&pb::ProximaDB::Stub::RestorePointInTime, r, &out);
    };
  };
  // No snapshot of c: out of range, naming what to do.
  add(Operation::kRestorePointInTime, "POST", c + "/restore",
      {{"target_collection", "x"}, {"sequence", 1}}, pitr("x", 1, ""), 410,
      "out_of_range");
  add(Operation::kRestorePointInTime, "POST", c + "/restore",
      {{"target_collection", "x"}}, pitr("x", std::nullopt, ""), 400,
      "invalid_argument");
  add(Operation::kRestorePointInTime, "POST", c + "/restore",
      {{"target_collection", "x"}, {"as_of", "yesterday"}},
      pitr("x", std::nullopt, "yesterday"), 400, "invalid_argument");
  // Drain a node: a malformed node id is refused at the edge; a good one
  // needs cluster mode (this server runs single-node), to start or cancel.
  auto drain = [&](std::string node_id, bool cancel) {
    return [&, node_id, cancel] {
      pb::DrainNodeRequest r;
      r.set_node_id(node_id);
      r.set_cancel(cancel);
      pb::DrainNodeReply out;
      return Call(&pb::ProximaDB::Stub::DrainNode, r, &out);
    };
  };
  const std::string nodes = "/api/v1/cluster/nodes/";
  add(Operation::kDrainNode, "POST", nodes + "node-2/drain", nullptr,
      drain("node-2", false), 409, "failed_precondition");
  add(Operation::kDrainNode, "DELETE", nodes + "node-2/drain", nullptr,
      drain("node-2", true), 409, "failed_precondition");
  add(Operation::kDrainNode, "POST", nodes + "node.2/drain", nullptr,
      drain("node.2", false), 400, "invalid_argument");
  add(Operation::kDrainNode, "DELETE", nodes + "node%202/drain", nullptr,
      drain("node 2", true), 400, "invalid_argument");
  add(Operation::kDrainNode, "POST", nodes + long_name + "/drain", nullptr,
      drain(long_name, false), 400, "invalid_argument");
  ASSERT_EQ(Rest("POST", c + "/index/payload",
                 {{"field", "tag"}, {"type", "keyword"}})
                .status,
            200u);

  std::set<Operation> covered;
  for (const ErrorCase& e : cases) {
    std::string what = std::string(service::OperationName(e.op)) + " " +
                       e.method + " " + e.target;
    HttpReply r = Rest(e.method, e.target, e.body);
    GrpcReply g = e.grpc();
    EXPECT_EQ(r.status, e.http) << what << " -> " << r.body.substr(0, 300);
    EXPECT_EQ(r.error(), e.error) << what;
    // 409 is failed_precondition as well as already_exists.
    EXPECT_EQ(g.status.error_code(), e.error == "failed_precondition"
                                         ? grpc::StatusCode::FAILED_PRECONDITION
                                         : GrpcCodeForHttp(e.http))
        << what << " -> " << g.status.error_message();
    if (e.http == 413) {
      // Refused by gRPC core before our service: no trailer to compare.
      EXPECT_EQ(r.error(), "payload_too_large");
    } else {
      EXPECT_EQ(g.error, e.error) << what;
      // The message is the service's, whichever transport carried it.
      EXPECT_FALSE(g.status.error_message().empty()) << what;
    }
    covered.insert(e.op);
  }
  // Nothing the refused requests carried was written.
  EXPECT_EQ(Rest("POST", c + "/count").json()["count"], 0);
  HttpReply again = Rest("POST", c + "/index/payload",
                         {{"field", "tag"}, {"type", "keyword"}});
  EXPECT_EQ(again.status, 200u);  // same type again: idempotent
  EXPECT_EQ(again.json()["payload_indexes"].size(), 1u) << again.body;

  // Every operation that can be refused has a case; Health,
  // ListCollections, ListQuarantine, ListAliases and GetCluster take no
  // input that could be wrong.
  for (const service::OperationInfo& info : service::kOperations) {
    if (info.op == Operation::kHealth ||
        info.op == Operation::kListCollections ||
        info.op == Operation::kListQuarantine ||
        info.op == Operation::kListAliases ||
        info.op == Operation::kGetCluster) {
      continue;
    }
    EXPECT_TRUE(covered.count(info.op))
        << "operation " << info.name << " has no error parity case";
  }
}

}  // namespace
}  // namespace proximadb::testing::parity
