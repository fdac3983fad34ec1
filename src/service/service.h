// VectorService: the one implementation of every API operation (listed in
// service/operations.h), shared by the REST and gRPC transports. Transports
// only decode, call one method, and encode; validation lives here and in
// json_codec.
//
// Each operation comes in two forms: a typed one (engine value types; the
// gRPC transport calls it after decoding protobuf) and a JSON one (request
// body in, response body out) for the REST transport. Every JSON form decodes
// its body and then calls the typed form, so both transports share one code
// path for validation and behaviour.
//
// Thread-safety: safe for concurrent use; the DB is. Calls block on disk I/O
// (every acknowledged write is fsynced), so call them from worker threads.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/db.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "proximadb/version.h"
#include "service/query.h"
#include "service/recall_estimator.h"
#include "util/limits.h"

namespace proximadb::service {

// The server version reported by /health (the top-level VERSION file).
inline constexpr const char* kVersion = PROXIMADB_VERSION;

// Most queries one batch search may carry (util/limits.h).
using ::proximadb::kMaxBatchQueries;

struct HealthInfo {
  std::string status;  // "healthy"
  std::string version;
  // Collections still recovering (background recovery after a start) and
  // fenced (damaged; docs/OPERATIONS.md).
  uint64_t collections_recovering = 0;
  uint64_t collections_fenced = 0;
};

class VectorService {
 public:
  // `defaults` and `tiering` must be the FlushDefaults and TieringDefaults
  // the DB was opened with: responses report each collection's resolved
  // flush and tiering policies.
  VectorService(std::unique_ptr<DB> db, FlushDefaults defaults,
                TieringDefaults tiering = {});
  VectorService(const VectorService&) = delete;
  VectorService& operator=(const VectorService&) = delete;
  ~VectorService();

  // Turns the live recall estimate on (service/recall_estimator.h): a
  // share of the searches Search answers is re-run exactly in the
  // background, and collection infos (list, get, stats; /metrics) carry
  // the estimate. Call once, before serving.
  void EnableRecallEstimate(const RecallOptions& options);
  // [storage] memory_limit_mb, for /metrics (the DB enforces it).
  void set_memory_limit_bytes(uint64_t b) { memory_limit_bytes_ = b; }
  uint64_t memory_limit_bytes() const { return memory_limit_bytes_; }
  // Tests: waits until the estimator ran or dropped every sample offered.
  void WaitForRecallSamples();

  // --- typed operations ---
  HealthInfo GetHealth();
  // DB::WaitForRecovery.
  void WaitForRecovery();
  Result<CollectionInfo> CreateCollection(const CollectionConfig& config);
  std::vector<CollectionInfo> ListCollections();
  Result<CollectionInfo> GetCollection(const std::string& name);
  // Changes the flush policy: the fields set in `changes` replace the
  // current ones, the others stay. At least one field must be set.
  Result<CollectionInfo> UpdateCollection(const std::string& name,
                                          const FlushPolicy& changes);
  // The same for the flush and the tiering policy together: the fields set
  // in either replace the current ones; at least one field must be set.
  Result<CollectionInfo> UpdateCollection(const std::string& name,
                                          const FlushPolicy& flush,
                                          const TieringPolicy& tiering);
  Status DeleteCollection(const std::string& name);
  // Upserts validated points (ids in input order). BatchUpsert is the same
  // call whose errors name the point ("vectors[3]: ..."), as the batch
  // request's body does on both transports.
  Result<std::vector<std::string>> Upsert(const std::string& collection,
                                          std::vector<Point> points);
  Result<std::vector<std::string>> BatchUpsert(const std::string& collection,
                                               std::vector<Point> points);
  Result<StoredPoint> GetPoint(const std::string& collection,
                               const std::string& id);
  // kNotFound when the point did not exist (REST DELETE .../vectors/{id}).
  Status DeletePoint(const std::string& collection, const std::string& id);
  // Deletes the ids (atomic as one batch); returns how many existed.
  Result<uint64_t> DeleteByIds(const std::string& collection,
                               const std::vector<std::string>& ids);
  // Deletes every point matching a non-empty filter, page by page (not
  // atomic: a crash part-way leaves the rest); returns how many it deleted.
  Result<uint64_t> DeleteByFilter(const std::string& collection,
                                  const nlohmann::json& filter);
  // Replaces the metadata (an object) of an existing point.
  Status UpdateMetadata(const std::string& collection, const std::string& id,
                        nlohmann::json metadata);
  // Live points matching `filter` (null or {}: all).
  Result<uint64_t> Count(const std::string& collection,
                         const nlohmann::json& filter);
  Result<ScrollPage> Scroll(const std::string& collection,
                            const ScrollRequest& request);
  // Counts of a metadata field's values (limit 1..kMaxFacetLimit).
  Result<FacetResult> Facet(const std::string& collection,
                            const FacetRequest& request);
  // With the conveniences of SearchRequest (search_options.h).
  Result<SearchResult> Search(const std::string& collection,
                              const SearchRequest& request);
  // The points of `ids` (1..kMaxIdsPerCall) that exist, in request order,
  // each once.
  Result<std::vector<StoredPoint>> GetPoints(
      const std::string& collection, const std::vector<std::string>& ids);
  // A partial metadata update of the points of `ids` (Collection::
  // PatchMetadata: atomic as one batch), or of every point matching a
  // non-empty filter, page by page (not atomic, like DeleteByFilter; its
  // not_found is empty).
  Result<PatchResult> PatchMetadata(const std::string& collection,
                                    const std::vector<std::string>& ids,
                                    const MetadataPatch& patch);
  Result<PatchResult> PatchMetadataByFilter(const std::string& collection,
                                            const nlohmann::json& filter,
                                            const MetadataPatch& patch);
  // Points like r.positive and unlike r.negative (recommend.h); the query's
  // fields are checked as a search's.
  Result<SearchResult> Recommend(const std::string& collection,
                                 const RecommendRequest& r);
  // Hybrid retrieval (service/query.h): each vector prefetch and the
  // rescore vector checked as a search's query.
  Result<SearchResult> Query(const std::string& collection,
                             const QueryRequest& r);
  // 1..kMaxBatchQueries queries; every query is validated before any runs.
  Result<std::vector<SearchResult>> BatchSearch(
      const std::string& collection, const std::vector<SearchRequest>& queries);
  Status Flush(const std::string& collection);
  Status Compact(const std::string& collection);
  // Info() of the collection: points, segments, WAL bytes and age.
  Result<CollectionInfo> CollectionStats(const std::string& collection);
  // Payload indexes (docs/API.md): each returns the collection's indexes
  // after the call, ordered by field. Creating an existing index with the
  // same type is a no-op; with another type kAlreadyExists (409).
  Result<std::vector<PayloadIndexDef>> CreatePayloadIndex(
      const std::string& collection, const PayloadIndexDef& def);
  Result<std::vector<PayloadIndexDef>> ListPayloadIndexes(
      const std::string& collection);
  Result<std::vector<PayloadIndexDef>> DeletePayloadIndex(
      const std::string& collection, const std::string& field);
  // Flushes every collection (graceful shutdown).
  Status FlushAll();
  // The data directory's quarantine (docs/API.md, "Admin"): what start-up
  // could not account for, oldest first.
  Result<std::vector<QuarantineEntry>> ListQuarantine();
  // Deletes entry `id`, or every entry when `id` is empty; returns how many.
  Result<uint64_t> ClearQuarantine(const std::string& id);
  // The collection's segments, oldest first (docs/API.md, "Segments and
  // tiers").
  Result<std::vector<SegmentInfo>> ListSegments(const std::string& collection);
  // Moves segment `id` (> 0) to `tier` ("hot" | "warm" | "cold") and returns
  // its entry once the move is committed. kInvalidArgument for a bad id or
  // tier, kNotFound for no such segment, kFailedPrecondition when the tier
  // is not available, kUnavailable when its storage cannot be reached.
  Result<SegmentInfo> MoveSegment(const std::string& collection, uint64_t id,
                                  const std::string& tier);
  // Live migration of the layout (docs/API.md, "Live migration"):
  // Collection::Migrate / GetMigration / CancelMigration.
  Result<MigrationStatus> Migrate(const std::string& collection,
                                  const LayoutSettings& to);
  Result<MigrationStatus> GetMigration(const std::string& collection);
  Result<MigrationStatus> CancelMigration(const std::string& collection);
  // The collection's own name for `name` (itself, or the collection an
  // alias names), for answers that name the collection: the operation is
  // then called with it, so the request stays on that collection.
  Result<std::string> Resolve(const std::string& name);
  // Aliases (docs/API.md, "Aliases"): 1..kMaxAliasActions actions, every
  // name checked first, then applied atomically (DB::UpdateAliases).
  // Answers every alias after the request, ordered by alias.
  Result<std::vector<AliasInfo>> UpdateAliases(
      const std::vector<AliasAction>& actions);
  std::vector<AliasInfo> ListAliases();
  // The change feed (docs/API.md, "Change feed"): a reader of every
  // acknowledged write of the collection from `from_seq` on (unset: the
  // oldest retained). kOutOfRange (410 / OUT_OF_RANGE) when `from_seq` is
  // older than what the WAL retention kept, naming the oldest available.
  Result<std::unique_ptr<ChangeReader>> OpenChanges(
      const std::string& collection, std::optional<uint64_t> from_seq);
  // Snapshots (docs/API.md, "Snapshots"; service_snapshot.cc). `target`:
  // "" (the [snapshots] default), "local" or "s3" (else kInvalidArgument).
  // `collection` may be an alias.
  Result<SnapshotInfo> CreateSnapshot(const std::string& collection,
                                      const std::string& target);
  Result<std::vector<SnapshotInfo>> ListSnapshots(
      const std::string& collection);
  Result<SnapshotInfo> GetSnapshot(const std::string& collection,
                                   const std::string& id);
  Status DeleteSnapshot(const std::string& collection, const std::string& id);
  Result<RestoreResult> RestoreSnapshot(const std::string& collection,
                                        const std::string& id,
                                        const RestoreOptions& options);
  // Point-in-time restore (DB::RestorePointInTime).
  Result<RestoreResult> RestorePointInTime(const std::string& collection,
                                           const PointInTimeOptions& options);
  // Every collection and alias under one id (DB::CreateDatabaseSnapshot).
  Result<SnapshotInfo> CreateDatabaseSnapshot(const std::string& target);
  // The cluster as this node sees it (DB::GetClusterInfo; docs/API.md,
  // "Cluster status"): {enabled: false} and nothing else in single-node
  // mode.
  Result<ClusterInfo> GetCluster();
  // Starts (`drain` true) or cancels the drain of cluster node `node_id`
  // (DB::SetNodeDraining; docs/API.md, "Drain a node"): the rebalancer
  // moves its replicas to the other nodes. kInvalidArgument for an id
  // outside the node-id rules (ValidateNodeId), kFailedPrecondition in
  // single-node mode, kNotFound for a node the cluster does not know.
  Status DrainNode(const std::string& node_id, bool drain);

  // The flush defaults responses resolve policies against.
  const FlushDefaults& flush_defaults() const { return defaults_; }
  // The tiering defaults, likewise.
  const TieringDefaults& tiering_defaults() const { return tiering_; }

  // --- JSON operations (bodies as documented in json_codec.h) ---
  nlohmann::json Health();
  Result<nlohmann::json> CreateCollectionJson(const nlohmann::json& body);
  nlohmann::json ListCollectionsJson();
  Result<nlohmann::json> GetCollectionJson(const std::string& name);
  Result<nlohmann::json> DeleteCollectionJson(const std::string& name);
  Result<nlohmann::json> UpsertJson(const std::string& collection,
                                    const nlohmann::json& body);
  Result<nlohmann::json> BatchUpsertJson(const std::string& collection,
                                         const nlohmann::json& body);
  // The batch upsert of points a transport already decoded (the REST fast
  // path, json_points_fast.h): BatchUpsert, encoded as BatchUpsertJson.
  Result<nlohmann::json> BatchUpsertJson(const std::string& collection,
                                         std::vector<Point> points);
  Result<nlohmann::json> GetPointJson(const std::string& collection,
                                      const std::string& id);
  Result<nlohmann::json> DeletePointJson(const std::string& collection,
                                         const std::string& id);
  Result<nlohmann::json> SearchJson(const std::string& collection,
                                    const nlohmann::json& body);
  Result<nlohmann::json> UpdateCollectionJson(const std::string& name,
                                              const nlohmann::json& body);
  // {"ids": [...]} -> DeleteByIds, {"filter": {...}} -> DeleteByFilter.
  Result<nlohmann::json> DeleteVectorsJson(const std::string& collection,
                                           const nlohmann::json& body);
  // ParseGetPoints -> PointsToJson.
  Result<nlohmann::json> GetPointsJson(const std::string& collection,
                                       const nlohmann::json& body);
  // ParseMetadataPatch -> PatchResultToJson.
  Result<nlohmann::json> PatchMetadataJson(const std::string& collection,
                                           const nlohmann::json& body);
  Result<nlohmann::json> UpdateMetadataJson(const std::string& collection,
                                            const std::string& id,
                                            const nlohmann::json& body);
  // `body` may be null (no body): count everything.
  Result<nlohmann::json> CountJson(const std::string& collection,
                                   const nlohmann::json& body);
  Result<nlohmann::json> ScrollJson(const std::string& collection,
                                    const nlohmann::json& body);
  // ParseFacet -> FacetResultToJson.
  Result<nlohmann::json> FacetJson(const std::string& collection,
                                   const nlohmann::json& body);
  Result<nlohmann::json> BatchSearchJson(const std::string& collection,
                                         const nlohmann::json& body);
  // ParseRecommend -> SearchResultToJson.
  // ParseQuery -> SearchResultToJson.
  Result<nlohmann::json> QueryJson(const std::string& collection,
                                   const nlohmann::json& body);
  Result<nlohmann::json> RecommendJson(const std::string& collection,
                                       const nlohmann::json& body);
  Result<nlohmann::json> FlushJson(const std::string& collection);
  Result<nlohmann::json> CompactJson(const std::string& collection);
  Result<nlohmann::json> CollectionStatsJson(const std::string& collection);
  // {"field": "...", "type": "keyword|integer|float|bool|datetime|geo"}.
  Result<nlohmann::json> CreatePayloadIndexJson(const std::string& collection,
                                                const nlohmann::json& body);
  Result<nlohmann::json> ListPayloadIndexesJson(const std::string& collection);
  Result<nlohmann::json> DeletePayloadIndexJson(const std::string& collection,
                                                const std::string& field);
  // {"entries": [...], "total_count": n}.
  Result<nlohmann::json> ListQuarantineJson();
  // {"deleted_count": n}; `id` empty = all.
  Result<nlohmann::json> ClearQuarantineJson(const std::string& id);
  // {"segments": [<segment>, ...]} (SegmentToJson).
  Result<nlohmann::json> ListSegmentsJson(const std::string& collection);
  // `id` as in the URL (a positive decimal integer); body {"tier": "..."}.
  // Answers the moved segment's entry.
  Result<nlohmann::json> MoveSegmentJson(const std::string& collection,
                                         const std::string& id,
                                         const nlohmann::json& body);
  // Body as ParseMigrate; answers {"migration": <migration>}
  // (MigrationToJson).
  Result<nlohmann::json> MigrateJson(const std::string& collection,
                                     const nlohmann::json& body);
  // <migration> (MigrationToJson).
  Result<nlohmann::json> GetMigrationJson(const std::string& collection);
  Result<nlohmann::json> CancelMigrationJson(const std::string& collection);
  // Body as ParseAliasActions; answers {"aliases": [...]} (AliasesToJson)
  // after the request.
  Result<nlohmann::json> UpdateAliasesJson(const nlohmann::json& body);
  nlohmann::json ListAliasesJson();
  // Snapshots: body {"target"} (optional) -> {"snapshot": {...}};
  // {"snapshots": [...]}; {"snapshot": {... "files"}}; {"id", "status"};
  // restore body {"target_collection", "overwrite"?} -> {"restored": {...}}.
  Result<nlohmann::json> CreateSnapshotJson(const std::string& collection,
                                            const nlohmann::json& body);
  Result<nlohmann::json> ListSnapshotsJson(const std::string& collection);
  Result<nlohmann::json> GetSnapshotJson(const std::string& collection,
                                         const std::string& id);
  Result<nlohmann::json> DeleteSnapshotJson(const std::string& collection,
                                            const std::string& id);
  Result<nlohmann::json> RestoreSnapshotJson(const std::string& collection,
                                             const std::string& id,
                                             const nlohmann::json& body);
  Result<nlohmann::json> CreateDatabaseSnapshotJson(const nlohmann::json& body);
  // Body {"target_collection", "as_of" | "sequence", "overwrite"?} ->
  // {"restored": {...}}.
  Result<nlohmann::json> RestorePointInTimeJson(const std::string& collection,
                                                const nlohmann::json& body);
  // {"enabled", "node_id", "nodes": [...], "shards": [...]}
  // (ClusterInfoToJson).
  Result<nlohmann::json> GetClusterJson();
  // DrainNode, answering {"node_id", "draining"} (DrainNodeToJson).
  Result<nlohmann::json> DrainNodeJson(const std::string& node_id, bool drain);

 private:
  // The collection `name` names: its own name or an alias of it (resolved
  // by DB::GetCollection, the one place aliases resolve).
  Result<std::shared_ptr<Collection>> Open(const std::string& name);
  // Id length and dimension of every point (`name_index`: errors name the
  // point as vectors[i]).
  static Status CheckPoints(const CollectionConfig& cfg,
                            const std::vector<Point>& points, bool name_index);
  Result<std::vector<std::string>> Write(const std::string& collection,
                                         std::vector<Point> points,
                                         bool name_index);
  // Copies the fields set in `changes` into `*next`.
  static void ApplyFlushChanges(const FlushPolicy& changes, FlushPolicy* next);
  // Runs fn on the ids of every point matching `filter`, a page (1,000)
  // at a time in id order, read strong; the first error stops it.
  static Status ForEachPage(
      Collection& c, const nlohmann::json& filter,
      const std::function<Status(const std::vector<std::string>&)>& fn);
  // Dimension, k, ef_search and filter shape of one query.
  static Status CheckQuery(Collection& c, const SearchRequest& r);

  // The infos with the recall estimate added (when it is on).
  CollectionInfo WithRecall(CollectionInfo info) const;

  std::unique_ptr<DB> db_;
  uint64_t memory_limit_bytes_ = 0;
  const FlushDefaults defaults_;
  const TieringDefaults tiering_;
  // After db_: destroyed (its worker stopped) before the DB closes.
  std::unique_ptr<RecallEstimator> recall_;
};

}  // namespace proximadb::service
