// Protobuf <-> engine value types for the gRPC transport. Decoders only map
// shapes and apply the documented defaults; every range and validity check
// is left to the VectorService, so that gRPC and REST refuse the same inputs
// with the same codes.
//
// Struct <-> JSON: Struct numbers are doubles. A number with no fractional
// part and |x| <= 2^53 decodes to a JSON integer (so {"n": 7} sent over gRPC
// is stored as 7, exactly as REST stores it); non-finite numbers are refused.
// JSON integers beyond 2^53 lose precision when encoded into a Struct.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "proximadb/v1/proximadb.pb.h"
#include "service/service.h"

namespace proximadb::grpc_api {

namespace pb = ::proximadb::v1;

// A Struct nested deeper than kMaxRequestDepth (util/limits.h) is
// kInvalidArgument, found before anything recurses.
Result<nlohmann::json> StructToJson(const google::protobuf::Struct& s);
// `j` must be an object (anything else encodes as an empty Struct).
void JsonToStruct(const nlohmann::json& j, google::protobuf::Struct* out);

// --- requests ---
// Empty strings take the REST defaults: cosine, hnsw, native. Unset
// shard_count / replication_factor (0) are the node's default, as in REST.
Result<CollectionConfig> DecodeCreateCollection(
    const pb::CreateCollectionRequest& r);
FlushPolicy DecodeFlushPolicy(const pb::FlushPolicy& p);
TieringPolicy DecodeTieringPolicy(const pb::TieringPolicy& p);
// An empty expires_at is 0 (the collection's default TTL, or never);
// anything else must be RFC 3339 (kInvalidArgument naming "expires_at";
// BatchUpsert prefixes "vectors[i]: " as REST does).
Result<Point> DecodePoint(const pb::Point& p);
// Point.expires_at / ChangeEvent.expires_at: "" for 0 (never), else
// Rfc3339Micros.
std::string EncodeExpiresAt(uint64_t expires_at_micros);
// Sparse vectors as sent (checked by the engine: CheckSparseVectors).
SparseVector DecodeSparse(const pb::SparseVector& v);
void EncodeSparseVectors(
    const SparseVectors& v,
    google::protobuf::Map<std::string, pb::SparseVector>* out);
// Named vectors as sent (checked by the engine: CheckNamedVectors); rows 0
// is one vector, otherwise a matrix.
NamedVector DecodeNamed(const pb::NamedVector& v);
void EncodeNamedVectors(
    const NamedVectors& v,
    google::protobuf::Map<std::string, pb::NamedVector>* out);
// The filter of a request: null when the Struct is absent.
Result<nlohmann::json> DecodeFilter(bool has_filter,
                                    const google::protobuf::Struct& s);
// An unset consistency is eventual; a set one must be a name
// service::ParseReadConsistency takes ("" included: REST refuses it too).
Result<SearchRequest> DecodeSearch(const pb::SearchRequest& r);
// The examples are checked by the service (VectorService::Recommend).
Result<RecommendRequest> DecodeRecommend(const pb::RecommendRequest& r);
// The vectors are checked by the service (VectorService::Query).
Result<service::QueryRequest> DecodeQuery(const pb::QueryRequest& r);
Result<ScrollRequest> DecodeScroll(const pb::ScrollRequest& r);
Result<FacetRequest> DecodeFacet(const pb::FacetRequest& r);
// Each action must set create_alias or delete_alias ("actions[2]: ...");
// names and the count are checked by VectorService::UpdateAliases.
Result<std::vector<AliasAction>> DecodeAliasActions(
    const pb::UpdateAliasesRequest& r);

// --- responses ---
void EncodeCollection(const CollectionInfo& info, const FlushDefaults& d,
                      pb::CollectionInfo* out);
// With the tiering policy resolved against `t`.
void EncodeCollection(const CollectionInfo& info, const FlushDefaults& d,
                      const TieringDefaults& t, pb::CollectionInfo* out);
void EncodeSegment(const SegmentInfo& s, pb::SegmentInfo* out);
// A MigrateRequest's target: unset fields take their create defaults.
LayoutSettings DecodeLayout(const pb::Layout& l);
void EncodeMigration(const MigrationStatus& m, pb::Migration* out);
void EncodeStoredPoint(const StoredPoint& p, bool include_vector,
                       pb::Point* out);
void EncodeSearchResult(const SearchResult& r, const SearchRequest& req,
                        pb::SearchResponse* out);
void EncodeScrollPage(const ScrollPage& page, bool include_vector,
                      pb::ScrollResponse* out);
void EncodeFacet(const FacetResult& r, pb::FacetResponse* out);
void EncodeStats(const CollectionInfo& info, pb::CollectionStatsResponse* out);
void EncodeAliases(const std::vector<AliasInfo>& aliases,
                   pb::AliasesResponse* out);
// Files only `with_files` (GetSnapshot).
void EncodeSnapshot(const SnapshotInfo& s, bool with_files, pb::Snapshot* out);
void EncodeRestoreResult(const RestoreResult& r,
                         pb::RestoreSnapshotResponse* out);
void EncodePayloadIndexes(const std::string& collection,
                          const std::vector<PayloadIndexDef>& defs,
                          pb::PayloadIndexesResponse* out);
// Every field, as service::ClusterInfoToJson.
void EncodeClusterInfo(const ClusterInfo& info, pb::ClusterInfo* out);

}  // namespace proximadb::grpc_api
