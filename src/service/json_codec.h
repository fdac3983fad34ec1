// JSON <-> engine value types for the REST API (and any other JSON transport).
//
// Every parser here validates its whole input before returning, so a request
// that fails validation never reaches the engine and changes nothing. Parsers
// never throw: nlohmann exceptions are caught here and become
// Status::InvalidArgument.
//
// Unknown fields are refused (kInvalidArgument "unknown field 'x'", nested
// ones with their path: "unknown field 'index.x'", "queries[2]: unknown
// field 'x'"), so that a misspelt key cannot silently change nothing. Each
// parser accepts exactly the fields (and documented aliases) listed beside
// it.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/snapshot.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "service/query.h"
#include "util/limits.h"

namespace proximadb::service {

// The limits live in util/limits.h (the one table); these names stay
// usable as service::kMaxK etc.
using ::proximadb::kDefaultK;
using ::proximadb::kMaxBatchQueries;
using ::proximadb::kMaxK;
using ::proximadb::kMaxScrollLimit;

// Parses a request body. Malformed JSON is kInvalidArgument naming the byte
// position of the error. An empty body is an error too, and so is one nested
// deeper than kMaxRequestDepth (util/limits.h), refused before parsing.
Result<nlohmann::json> ParseJsonBody(std::string_view body);

// Create-collection body. Required: "name" (string), "dimension" (integer
// 1..kMaxDimension). Optional: "distance_metric" (cosine|euclidean|dot_product,
// default cosine), "indexing_algorithm" (hnsw|flat), "m", "ef_construction",
// "ef_search", the flush keys "max_wal_age_hours", "max_wal_size_mb",
// "max_vector_count", "flush_priority", "enable_background_flush" (alias
// "background_flush"), "wal_format" (native|avro), "tiering" (an object of
// the tiering keys, ParseTieringPolicy), "shard_count" (integer
// 0..kMaxShardCount) and "replication_factor" (integer
// 0..kMaxReplicationFactor), 0 meaning the node's default (cluster mode,
// docs/CLUSTER.md; the single-node engine refuses anything above 1). The
// index and flush keys may also be nested in "index": {...} /
// "flush_policy": {...} objects (the shape the API returns); a top-level key
// wins over the nested one. The read-only fields of a returned collection
// ("point_count", "segment_count", "created_at", "payload_indexes", "tiers")
// are accepted and ignored, so that an answer can be sent back to create an
// identical collection; any other key is refused.
Result<CollectionConfig> ParseCreateCollection(const nlohmann::json& body);

// A vector: a non-empty array of finite numbers that fit a float32, whose
// length equals `dimension` (else kDimensionMismatch naming `collection`).
// `field` names the JSON field in error messages.
Result<std::vector<float>> ParseVector(const nlohmann::json& value,
                                       uint32_t dimension,
                                       std::string_view collection,
                                       std::string_view field = "vector");

// A point id from a body or a URL: 1..256 bytes, any content.
Status ValidatePointId(std::string_view id);

// Single upsert body {"id"?, "vector", "metadata"?}. An absent id asks the
// engine for a UUID.
Result<Point> ParsePoint(const nlohmann::json& body, uint32_t dimension,
                         std::string_view collection);

// Batch body {"vectors": [{id?, vector, metadata?}, ...]} (non-empty). Errors
// name the offending index ("vectors[3]: ...").
Result<std::vector<Point>> ParseBatch(const nlohmann::json& body,
                                      uint32_t dimension,
                                      std::string_view collection);

// Search body: "vector" (alias "query_vector") or "id" (the id of an
// existing point whose vector to search with), "k" (alias "top_k",
// 1..kMaxK, default kDefaultK), "filter" (object or null), "include_vector",
// "include_metadata", "ef_search" (kMinEf..kMaxEf), "exact", "explain",
// "consistency" ("eventual" (default) | "strong", ParseReadConsistency),
// "offset" (0..kMaxK - 1), "score_threshold" (a number); see
// SearchRequest for their meaning and CheckSearchOptions for the limits.
Result<SearchRequest> ParseSearch(const nlohmann::json& body,
                                  uint32_t dimension,
                                  std::string_view collection);

// POST /collections/{name}/recommend body: "positive" and "negative"
// (arrays of point ids or vectors of `dimension`, at most
// kMaxRecommendExamples each here; the service checks the total),
// "strategy", and a search's k, filter, ef_search, exact, include_*,
// explain, consistency, offset and score_threshold.
Result<RecommendRequest> ParseRecommend(const nlohmann::json& body,
                                        uint32_t dimension,
                                        std::string_view collection);

// POST /collections/{name}/query body (service/query.h): "prefetch" (1..8
// objects, each exactly one of "vector" (of `dimension`), "text" (with
// "using": the metadata field) or "sparse_vector" (refused: this build has
// no sparse vectors), plus "using", "limit", "filter", "ef_search"),
// "fusion" ("rrf" or "dbsf"), "rrf_k", "limit", "rescore" ({"vector"}),
// "include_vector", "include_metadata", "consistency".
Result<service::QueryRequest> ParseQuery(const nlohmann::json& body,
                                         uint32_t dimension,
                                         std::string_view collection);

// PATCH /collections/{name} body: the flush keys of ParseCreateCollection,
// at the top level or nested in "flush_policy" (top level wins). At least one
// must be present; the others keep their current value.
Result<FlushPolicy> ParseFlushPolicyPatch(const nlohmann::json& body);

// A tiering policy object {"warm_after_hours"?, "cold_after_hours"? (numbers
// 0..876000; 0 = never), "warm_directory"? (absolute path or ""),
// "cache_mb"? (integer 0..1048576)}; `path` names it in errors
// ("tiering"). Unknown keys are refused ("unknown field 'tiering.x'").
Result<TieringPolicy> ParseTieringPolicy(const nlohmann::json& value,
                                         std::string_view path = "tiering");

// PATCH /collections/{name} body: the flush keys as ParseFlushPolicyPatch
// and/or "tiering": {...} (ParseTieringPolicy). At least one field must be
// present in all.
struct CollectionPatch {
  FlushPolicy flush;
  TieringPolicy tiering;
};
Result<CollectionPatch> ParseCollectionPatch(const nlohmann::json& body);

// POST /collections/{name}/segments/{id}/tier: the id from the URL, a
// positive decimal integer that fits 64 bits ("segment id must be a
// positive integer, got 'x'").
Result<uint64_t> ParseSegmentId(std::string_view text);
// Its body {"tier": "hot" | "warm" | "cold"}: the tier name (checked by
// VectorService::MoveSegment).
Result<std::string> ParseMoveSegment(const nlohmann::json& body);
// POST /collections/{name}/migrate: the target layout as a create body
// gives it ("storage_strategy", "memtable", the index keys at the top level
// or in "index"); keys left out take their create defaults. Other keys are
// refused. The engine checks the combination (ValidateCollectionConfig).
Result<LayoutSettings> ParseMigrate(const nlohmann::json& body);
// A migration as GET .../migration answers it: id, state, the progress
// counters, eta_seconds (null while unknown), from/to layouts, error.
nlohmann::json MigrationToJson(const MigrationStatus& m);

// The points a bulk operation names: exactly one of "ids": ["a", ...] or
// "filter": {...} (an object; the operation checks it is not empty).
struct PointSelector {
  bool by_filter = false;
  std::vector<std::string> ids;
  nlohmann::json filter;
};

// DELETE /collections/{name}/vectors body: {"ids"} or {"filter"}.
Result<PointSelector> ParseDeleteVectors(const nlohmann::json& body);

// POST /collections/{name}/vectors/get body: {"ids": [...]} (1..
// kMaxIdsPerCall strings), "include_vector"? (default true),
// "include_metadata"? (default true).
struct GetPointsRequest {
  std::vector<std::string> ids;
  bool include_vector = true;
  bool include_metadata = true;
};
Result<GetPointsRequest> ParseGetPoints(const nlohmann::json& body);
// Its answer: {"points": [<point>, ...]} (ids of no point left out).
nlohmann::json PointsToJson(const std::vector<StoredPoint>& points,
                            const GetPointsRequest& request);

// POST /collections/{name}/vectors/metadata body: exactly one of "ids" (an
// array of ids) or "filter" (a non-empty object), and "set" (an object)
// and/or "unset" (an array of keys); see MetadataPatch.
struct MetadataPatchRequest {
  PointSelector points;
  MetadataPatch patch;
};
Result<MetadataPatchRequest> ParseMetadataPatch(const nlohmann::json& body);
// Its answer: {"updated_count": n, "not_found": [ids]}.
nlohmann::json PatchResultToJson(const PatchResult& r);

// PATCH /collections/{name}/vectors/{id} body: {"metadata": {...}}.
Result<nlohmann::json> ParseMetadataUpdate(const nlohmann::json& body);

// Count body {"filter": {...}?}; a null body (none sent) counts everything.
Result<nlohmann::json> ParseCountFilter(const nlohmann::json& body);

// Scroll body {"after_id"?, "limit"? (1..10000, default 100), "filter"?,
// "include_vector"?, "consistency"? (as in a search body), "order_by"?,
// "after_value"?}; a null body reads the first page.
Result<ScrollRequest> ParseScroll(const nlohmann::json& body);
// order_by: {"key", "direction"?: "asc" (default) | "desc"}, or the key
// alone as a string.
Result<ScrollOrder> ParseScrollOrder(const nlohmann::json& v);
// Facet body {"key", "filter"?, "limit"? (1..kMaxFacetLimit, default 10),
// "consistency"?}.
Result<FacetRequest> ParseFacet(const nlohmann::json& body);

// Batch search body {"queries": [<search body>, ...]} with
// 1..kMaxBatchQueries entries; errors name the index ("queries[2]: ...").
Result<std::vector<SearchRequest>> ParseBatchSearch(
    const nlohmann::json& body, uint32_t dimension,
    std::string_view collection);

// The read consistency of a search or scroll, by name: "eventual" or
// "strong"; anything else is kInvalidArgument naming the field and the
// allowed values. Both transports decode it with this (gRPC's string field
// `consistency`), so a bad name reads the same on both.
Result<ReadConsistency> ParseReadConsistency(std::string_view name);
// A scroll's order_by direction: "asc" (false) or "desc" (true); both
// transports decode it with this.
Result<bool> ParseScrollDescending(std::string_view direction);

// A cluster node's id from a URL or a request (DrainNode): the rules of
// [cluster] node_id (src/server/config.cc), which are the collection-name
// rules: 1..kMaxCollectionNameBytes characters of [A-Za-z0-9_-]; anything
// else is kInvalidArgument. Both transports check it here, before the
// cluster is asked.
Status ValidateNodeId(const std::string& node_id);

// Payload index body {"field": "a.b", "type": "keyword|integer|float|bool"}.
Result<PayloadIndexDef> ParsePayloadIndexDef(const nlohmann::json& body);

// POST /api/v1/aliases body {"actions": [{"create": {"alias", "collection"}}
// | {"delete": {"alias"}}, ...]}: the actions in order. Shapes only (errors
// name the action: "actions[2].create: ..."); the count and the names are
// checked by VectorService::UpdateAliases (ValidateAliasActions).
Result<std::vector<AliasAction>> ParseAliasActions(const nlohmann::json& body);

// Snapshots (json_codec_snapshot.cc). Create body {"target": "local"|"s3"}
// (null/absent: ""); restore body {"target_collection", "overwrite"}.
Result<std::string> ParseSnapshotTarget(const nlohmann::json& body);
Result<RestoreOptions> ParseRestoreOptions(const nlohmann::json& body);
// {"id", "target", "kind", "sequence", "created_at", "size_bytes",
// "uploaded_bytes", "format_version", "server_version", "collections": [{
// "name", "sequence", "points"[, "files": [{"name", "role", "size",
// "crc32c"}]]}]}.
nlohmann::json SnapshotToJson(const SnapshotInfo& s, bool with_files);
nlohmann::json RestoreResultToJson(const RestoreResult& r);
// {"target_collection", "as_of" (RFC 3339) | "sequence", "overwrite"?}.
Result<PointInTimeOptions> ParsePointInTimeOptions(const nlohmann::json& body);

// Response encoders.
// What a collection's answer reports as its shard_count or
// replication_factor (both transports): the engine's value, or 1 where it
// keeps 0 ("the node's default", which is 1 in single-node mode).
inline uint32_t EffectiveClusterValue(uint32_t v) { return v == 0 ? 1 : v; }

// The collection with its resolved flush and tiering policies
// ("flush_policy", "tiering"), its per-tier totals ("tiers") and its
// effective "shard_count" and "replication_factor" (EffectiveClusterValue).
nlohmann::json CollectionToJson(const CollectionInfo& info,
                                const FlushDefaults& defaults,
                                const TieringDefaults& tiering = {});
// {"hot": {"segments", "bytes", "points"}, "warm": {...}, "cold": {...}}.
nlohmann::json TiersToJson(const CollectionInfo& info);
// {"moves", "move_failures", "uploads", "upload_bytes", "downloads",
//  "download_bytes", "retries", "failures", "cache_hits", "cache_misses",
//  "cache_evictions", "cache_bytes"}.
nlohmann::json TieringCountersToJson(const TieringCounters& c);
// {"id", "tier", "points", "live_points", "bytes", "directory", "min_seq",
//  "max_seq", "graph_loaded", "cached"}.
nlohmann::json SegmentToJson(const SegmentInfo& s);
nlohmann::json StoredPointToJson(const StoredPoint& point);
// {"points": [{id, metadata, vector?}], "next_after_id": "..." | null}, and
// "next_after_value": number | null when the scroll was ordered.
nlohmann::json ScrollPageToJson(const ScrollPage& page, bool include_vector,
                                bool ordered = false);
// {"values": [{"value", "count"}, ...]}.
nlohmann::json FacetResultToJson(const FacetResult& r);
// {"name", "point_count", "segment_count", "memtable_points", "wal_bytes",
//  "oldest_unflushed_age_seconds", "last_sequence", "tiers" (TiersToJson),
//  "tiering" (TieringCountersToJson)}.
nlohmann::json CollectionStatsToJson(const CollectionInfo& info);
// {"recall": <mean> | null when no samples, "samples", "ci95": [lo, hi],
//  "samples_total", "dropped_total"} (service/recall_estimator.h).
nlohmann::json RecallEstimateToJson(const RecallEstimate& r);
// The "background_io" object of collection stats (docs/API.md).
nlohmann::json BackgroundIoToJson(const BackgroundIo& b);
nlohmann::json SearchResultToJson(const SearchResult& result,
                                  const SearchRequest& request);
nlohmann::json ErrorToJson(const Status& status);
// {"aliases": [{"alias", "collection"}, ...]} in the given order.
nlohmann::json AliasesToJson(const std::vector<AliasInfo>& aliases);
// The cluster status (GET /api/v1/cluster): {"enabled", "node_id", "nodes":
// [{"node_id", "rest_address", "grpc_address", "alive", "draining",
// "replicas"}], "shards": [{"collection", "shard", "stream", "primary",
// "fencing_token", "last_seq", "replicas": [{"node_id", "primary",
// "reported", "applied_seq", "lag", "state"}]}]}; every key present, lists
// empty in single-node mode.
nlohmann::json ClusterInfoToJson(const ClusterInfo& info);
// The answer of DrainNode: {"node_id", "draining"} (true after a drain was
// started, false after it was cancelled).
nlohmann::json DrainNodeToJson(const std::string& node_id, bool draining);
// {"field", "type"}.
nlohmann::json PayloadIndexToJson(const PayloadIndexDef& def);
// {"name": collection, "payload_indexes": [{"field", "type"}, ...]}.
nlohmann::json PayloadIndexesToJson(const std::string& collection,
                                    const std::vector<PayloadIndexDef>& defs);
// {"id", "original_path", "reason", "time_unix_ms", "time", "bytes"}; "time"
// is the same instant as RFC 3339 UTC text.
nlohmann::json QuarantineEntryToJson(const QuarantineEntry& entry);
// One change of the change feed as one NDJSON line, appended to *out:
// {"seq", "index", "batch_ops", "time" (RFC 3339 UTC, microseconds), "op",
// "id", "vector" (upsert / update_metadata, when with_vectors and logged),
// "metadata" (upsert / update_metadata)} and a newline.
void AppendChangeLine(const Change& change, bool with_vectors,
                      std::string* out);
// One SourcePlan as the search response's "explain" entry.
nlohmann::json SourcePlanToJson(const SourcePlan& plan);

}  // namespace proximadb::service
