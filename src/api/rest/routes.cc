// The REST route table: each route decodes its path and body, calls one
// VectorService JSON operation (which calls the typed one the gRPC transport
// calls too) and encodes the answer. api/openapi.yaml documents exactly these
// routes; tests/server/openapi_test.cc keeps the two in step.
#include <string>

#include "api/rest/change_feed.h"
#include "api/rest/router.h"
#include "service/json_codec.h"
#include "service/json_points_fast.h"

namespace proximadb::rest {

using nlohmann::json;
using service::Operation;
using service::VectorService;

namespace {

// Parses a required JSON body, then runs `op` on it.
template <typename Op>
RestResponse WithBody(std::string_view body, unsigned ok_status, Op op) {
  Result<json> parsed = service::ParseJsonBody(body);
  if (!parsed.ok()) return ErrorResponse(parsed.status());
  return FromResult(op(parsed.value()), ok_status);
}

// Like WithBody, but no body at all is allowed and reads as JSON null (count
// and scroll have useful defaults for every field).
template <typename Op>
RestResponse WithOptionalBody(std::string_view body, Op op) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return FromResult(op(json()));
  }
  return WithBody(body, 200, op);
}

RestResponse Health(VectorService& svc, const RouteParams&, std::string_view) {
  return JsonResponse(200, svc.Health());
}

// The server only starts listening after recovery, so it is always live and
// ready once it can answer.
RestResponse HealthLive(VectorService& svc, const RouteParams&,
                        std::string_view) {
  json h = svc.Health();
  h["status"] = "alive";
  return JsonResponse(200, h);
}

RestResponse HealthReady(VectorService& svc, const RouteParams&,
                         std::string_view) {
  json h = svc.Health();
  h["status"] = "ready";
  return JsonResponse(200, h);
}

RestResponse ListCollections(VectorService& svc, const RouteParams&,
                             std::string_view) {
  return JsonResponse(200, svc.ListCollectionsJson());
}

RestResponse CreateCollection(VectorService& svc, const RouteParams&,
                              std::string_view body) {
  return WithBody(body, 201,
                  [&](const json& b) { return svc.CreateCollectionJson(b); });
}

RestResponse GetCollection(VectorService& svc, const RouteParams& p,
                           std::string_view) {
  return FromResult(svc.GetCollectionJson(p.name));
}

RestResponse UpdateCollection(VectorService& svc, const RouteParams& p,
                              std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.UpdateCollectionJson(p.name, b);
  });
}

RestResponse DeleteCollection(VectorService& svc, const RouteParams& p,
                              std::string_view) {
  return FromResult(svc.DeleteCollectionJson(p.name));
}

RestResponse Upsert(VectorService& svc, const RouteParams& p,
                    std::string_view body) {
  return WithBody(body, 201,
                  [&](const json& b) { return svc.UpsertJson(p.name, b); });
}

RestResponse BatchUpsert(VectorService& svc, const RouteParams& p,
                         std::string_view body) {
  // simdjson fast path; errors as BatchUpsertJson (json_points_fast.h).
  return FromResult(service::BatchUpsertFromBody(svc, p.name, body));
}

RestResponse DeleteVectors(VectorService& svc, const RouteParams& p,
                           std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.DeleteVectorsJson(p.name, b);
  });
}

RestResponse GetPoint(VectorService& svc, const RouteParams& p,
                      std::string_view) {
  return FromResult(svc.GetPointJson(p.name, p.id));
}

RestResponse DeletePoint(VectorService& svc, const RouteParams& p,
                         std::string_view) {
  return FromResult(svc.DeletePointJson(p.name, p.id));
}

RestResponse UpdateMetadata(VectorService& svc, const RouteParams& p,
                            std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.UpdateMetadataJson(p.name, p.id, b);
  });
}

RestResponse GetPoints(VectorService& svc, const RouteParams& p,
                       std::string_view body) {
  return WithBody(body, 200,
                  [&](const json& b) { return svc.GetPointsJson(p.name, b); });
}

RestResponse PatchMetadata(VectorService& svc, const RouteParams& p,
                           std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.PatchMetadataJson(p.name, b);
  });
}

RestResponse Count(VectorService& svc, const RouteParams& p,
                   std::string_view body) {
  return WithOptionalBody(
      body, [&](const json& b) { return svc.CountJson(p.name, b); });
}

RestResponse Scroll(VectorService& svc, const RouteParams& p,
                    std::string_view body) {
  return WithOptionalBody(
      body, [&](const json& b) { return svc.ScrollJson(p.name, b); });
}

RestResponse Facet(VectorService& svc, const RouteParams& p,
                   std::string_view body) {
  return WithBody(body, 200,
                  [&](const json& b) { return svc.FacetJson(p.name, b); });
}

RestResponse Search(VectorService& svc, const RouteParams& p,
                    std::string_view body) {
  return WithBody(body, 200,
                  [&](const json& b) { return svc.SearchJson(p.name, b); });
}

RestResponse BatchSearch(VectorService& svc, const RouteParams& p,
                         std::string_view body) {
  return WithBody(
      body, 200, [&](const json& b) { return svc.BatchSearchJson(p.name, b); });
}

RestResponse Recommend(VectorService& svc, const RouteParams& p,
                       std::string_view body) {
  return WithBody(body, 200,
                  [&](const json& b) { return svc.RecommendJson(p.name, b); });
}

RestResponse Query(VectorService& svc, const RouteParams& p,
                   std::string_view body) {
  return WithBody(body, 200,
                  [&](const json& b) { return svc.QueryJson(p.name, b); });
}

// Flush and compact take no body; one sent anyway is ignored.
RestResponse Flush(VectorService& svc, const RouteParams& p, std::string_view) {
  return FromResult(svc.FlushJson(p.name));
}

RestResponse Compact(VectorService& svc, const RouteParams& p,
                     std::string_view) {
  return FromResult(svc.CompactJson(p.name));
}

RestResponse Stats(VectorService& svc, const RouteParams& p, std::string_view) {
  return FromResult(svc.CollectionStatsJson(p.name));
}

RestResponse CreatePayloadIndex(VectorService& svc, const RouteParams& p,
                                std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.CreatePayloadIndexJson(p.name, b);
  });
}

RestResponse ListPayloadIndexes(VectorService& svc, const RouteParams& p,
                                std::string_view) {
  return FromResult(svc.ListPayloadIndexesJson(p.name));
}

// {id} is the field path here (the router's second placeholder).
RestResponse DeletePayloadIndex(VectorService& svc, const RouteParams& p,
                                std::string_view) {
  return FromResult(svc.DeletePayloadIndexJson(p.name, p.id));
}

RestResponse ListSegments(VectorService& svc, const RouteParams& p,
                          std::string_view) {
  return FromResult(svc.ListSegmentsJson(p.name));
}

// {id} is the segment id here (a positive integer, checked by the service).
RestResponse MoveSegment(VectorService& svc, const RouteParams& p,
                         std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.MoveSegmentJson(p.name, p.id, b);
  });
}

RestResponse Migrate(VectorService& svc, const RouteParams& p,
                     std::string_view body) {
  return WithBody(body, 202,
                  [&](const json& b) { return svc.MigrateJson(p.name, b); });
}

RestResponse GetMigration(VectorService& svc, const RouteParams& p,
                          std::string_view) {
  return FromResult(svc.GetMigrationJson(p.name));
}

RestResponse CancelMigration(VectorService& svc, const RouteParams& p,
                             std::string_view) {
  return FromResult(svc.CancelMigrationJson(p.name));
}

RestResponse ListQuarantine(VectorService& svc, const RouteParams&,
                            std::string_view) {
  return FromResult(svc.ListQuarantineJson());
}

RestResponse ClearQuarantine(VectorService& svc, const RouteParams&,
                             std::string_view) {
  return FromResult(svc.ClearQuarantineJson(""));
}

// {id} is the quarantine entry's id here.
RestResponse ClearQuarantineEntry(VectorService& svc, const RouteParams& p,
                                  std::string_view) {
  return FromResult(svc.ClearQuarantineJson(p.id));
}

RestResponse ListAliases(VectorService& svc, const RouteParams&,
                         std::string_view) {
  return JsonResponse(200, svc.ListAliasesJson());
}

// The cluster status (docs/API.md, "Cluster status").
RestResponse GetCluster(VectorService& svc, const RouteParams&,
                        std::string_view) {
  return FromResult(svc.GetClusterJson());
}

// Drain a node (docs/API.md, "Drain a node"); {id} is the node's id. POST
// starts the drain, DELETE cancels it; neither takes a body (one sent
// anyway is ignored).
RestResponse DrainNode(VectorService& svc, const RouteParams& p,
                       std::string_view) {
  return FromResult(svc.DrainNodeJson(p.id, /*drain=*/true));
}

RestResponse CancelDrain(VectorService& svc, const RouteParams& p,
                         std::string_view) {
  return FromResult(svc.DrainNodeJson(p.id, /*drain=*/false));
}

RestResponse UpdateAliases(VectorService& svc, const RouteParams&,
                           std::string_view body) {
  return WithBody(body, 200,
                  [&](const json& b) { return svc.UpdateAliasesJson(b); });
}

// Snapshots (docs/API.md, "Snapshots"); {id} is the snapshot's.
RestResponse CreateSnapshot(VectorService& svc, const RouteParams& p,
                            std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return FromResult(svc.CreateSnapshotJson(p.name, json()), 201);
  }
  return WithBody(body, 201, [&](const json& b) {
    return svc.CreateSnapshotJson(p.name, b);
  });
}

RestResponse CreateDatabaseSnapshot(VectorService& svc, const RouteParams&,
                                    std::string_view body) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) {
    return FromResult(svc.CreateDatabaseSnapshotJson(json()), 201);
  }
  return WithBody(body, 201, [&](const json& b) {
    return svc.CreateDatabaseSnapshotJson(b);
  });
}

RestResponse ListSnapshots(VectorService& svc, const RouteParams& p,
                           std::string_view) {
  return FromResult(svc.ListSnapshotsJson(p.name));
}

RestResponse GetSnapshot(VectorService& svc, const RouteParams& p,
                         std::string_view) {
  return FromResult(svc.GetSnapshotJson(p.name, p.id));
}

RestResponse DeleteSnapshot(VectorService& svc, const RouteParams& p,
                            std::string_view) {
  return FromResult(svc.DeleteSnapshotJson(p.name, p.id));
}

RestResponse RestoreSnapshot(VectorService& svc, const RouteParams& p,
                             std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.RestoreSnapshotJson(p.name, p.id, b);
  });
}

RestResponse RestorePointInTime(VectorService& svc, const RouteParams& p,
                                std::string_view body) {
  return WithBody(body, 200, [&](const json& b) {
    return svc.RestorePointInTimeJson(p.name, b);
  });
}

// The route table, one resource per function (each in documentation
// order) so that no function is the whole API.
// The health probes (never gated).
void HealthRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(),
            {
                {"GET", "/health", {Operation::kHealth}, Health},
                {"GET", "/health/live", {Operation::kHealth}, HealthLive},
                {"GET", "/health/ready", {Operation::kHealth}, HealthReady},
            });
}

// Collections.
void CollectionRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(), {
                          {"POST",
                           "/api/v1/collections",
                           {Operation::kCreateCollection},
                           CreateCollection},
                          {"GET",
                           "/api/v1/collections",
                           {Operation::kListCollections},
                           ListCollections},
                          {"GET",
                           "/api/v1/collections/{name}",
                           {Operation::kGetCollection},
                           GetCollection},
                          {"PATCH",
                           "/api/v1/collections/{name}",
                           {Operation::kUpdateCollection},
                           UpdateCollection},
                          {"DELETE",
                           "/api/v1/collections/{name}",
                           {Operation::kDeleteCollection},
                           DeleteCollection},
                      });
}

// Points: upsert, get, delete, metadata.
void PointRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(),
            {
                {"POST",
                 "/api/v1/collections/{name}/vectors",
                 {Operation::kUpsert},
                 Upsert},
                {"PUT",
                 "/api/v1/collections/{name}/vectors",
                 {Operation::kBatchUpsert},
                 BatchUpsert},
                {"POST",
                 "/api/v1/collections/{name}/vectors/batch",
                 {Operation::kBatchUpsert},
                 BatchUpsert},
                {"DELETE",
                 "/api/v1/collections/{name}/vectors",
                 {Operation::kDeleteByIds, Operation::kDeleteByFilter},
                 DeleteVectors},
                {"GET",
                 "/api/v1/collections/{name}/vectors/{id}",
                 {Operation::kGet},
                 GetPoint},
                {"DELETE",
                 "/api/v1/collections/{name}/vectors/{id}",
                 {Operation::kDeleteByIds},
                 DeletePoint},
                {"PATCH",
                 "/api/v1/collections/{name}/vectors/{id}",
                 {Operation::kUpdateMetadata},
                 UpdateMetadata},
                {"POST",
                 "/api/v1/collections/{name}/vectors/get",
                 {Operation::kGetPoints},
                 GetPoints},
                {"POST",
                 "/api/v1/collections/{name}/vectors/metadata",
                 {Operation::kPatchMetadata},
                 PatchMetadata},
            });
}

// Count, scroll and search.
void QueryRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(), {
                          {"POST",
                           "/api/v1/collections/{name}/count",
                           {Operation::kCount},
                           Count},
                          {"POST",
                           "/api/v1/collections/{name}/scroll",
                           {Operation::kScroll},
                           Scroll},
                          {"POST",
                           "/api/v1/collections/{name}/facet",
                           {Operation::kFacet},
                           Facet},
                          {"POST",
                           "/api/v1/collections/{name}/search",
                           {Operation::kSearch},
                           Search},
                          {"POST",
                           "/api/v1/collections/{name}/search/batch",
                           {Operation::kBatchSearch},
                           BatchSearch},
                          {"POST",
                           "/api/v1/collections/{name}/recommend",
                           {Operation::kRecommend},
                           Recommend},
                          {"POST",
                           "/api/v1/collections/{name}/query",
                           {Operation::kQuery},
                           Query},
                      });
}

// Flush, compact, stats and payload indexes.
void MaintenanceRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(), {
                          {"POST",
                           "/api/v1/collections/{name}/flush",
                           {Operation::kFlush},
                           Flush},
                          {"POST",
                           "/api/v1/collections/{name}/compact",
                           {Operation::kCompact},
                           Compact},
                          {"GET",
                           "/api/v1/collections/{name}/stats",
                           {Operation::kCollectionStats},
                           Stats},
                          {"POST",
                           "/api/v1/collections/{name}/index/payload",
                           {Operation::kCreatePayloadIndex},
                           CreatePayloadIndex},
                          {"GET",
                           "/api/v1/collections/{name}/index/payload",
                           {Operation::kListPayloadIndexes},
                           ListPayloadIndexes},
                          {"DELETE",
                           "/api/v1/collections/{name}/index/payload/{id}",
                           {Operation::kDeletePayloadIndex},
                           DeletePayloadIndex},
                      });
}

// Segments and tiers (docs/API.md, "Segments and tiers").
void SegmentRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(), {
                          {"GET",
                           "/api/v1/collections/{name}/segments",
                           {Operation::kListSegments},
                           ListSegments},
                          {"POST",
                           "/api/v1/collections/{name}/segments/{id}/tier",
                           {Operation::kMoveSegment},
                           MoveSegment},
                          // Live migration (docs/API.md, "Live migration").
                          {"POST",
                           "/api/v1/collections/{name}/migrate",
                           {Operation::kMigrate},
                           Migrate},
                          {"GET",
                           "/api/v1/collections/{name}/migration",
                           {Operation::kGetMigration},
                           GetMigration},
                          {"DELETE",
                           "/api/v1/collections/{name}/migration",
                           {Operation::kCancelMigration},
                           CancelMigration},
                      });
}

// The change feed (docs/API.md, "Change feed"): a streamed NDJSON body.
void ChangeRoutes(std::vector<RouteSpec>* t) {
  t->push_back({"GET",
                "/api/v1/collections/{name}/changes",
                {Operation::kChanges},
                Changes});
}

// Aliases (docs/API.md, "Aliases").
void AliasRoutes(std::vector<RouteSpec>* t) {
  t->insert(
      t->end(),
      {
          {"POST",
           "/api/v1/aliases",
           {Operation::kUpdateAliases},
           UpdateAliases},
          {"GET", "/api/v1/aliases", {Operation::kListAliases}, ListAliases},
      });
}

// Snapshots (docs/API.md, "Snapshots").
void SnapshotRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(), {
                          {"POST",
                           "/api/v1/collections/{name}/snapshots",
                           {Operation::kCreateSnapshot},
                           CreateSnapshot},
                          {"GET",
                           "/api/v1/collections/{name}/snapshots",
                           {Operation::kListSnapshots},
                           ListSnapshots},
                          {"GET",
                           "/api/v1/collections/{name}/snapshots/{id}",
                           {Operation::kGetSnapshot},
                           GetSnapshot},
                          {"DELETE",
                           "/api/v1/collections/{name}/snapshots/{id}",
                           {Operation::kDeleteSnapshot},
                           DeleteSnapshot},
                          {"POST",
                           "/api/v1/collections/{name}/snapshots/{id}/restore",
                           {Operation::kRestoreSnapshot},
                           RestoreSnapshot},
                          {"POST",
                           "/api/v1/collections/{name}/restore",
                           {Operation::kRestorePointInTime},
                           RestorePointInTime},
                          {"POST",
                           "/api/v1/snapshots",
                           {Operation::kCreateDatabaseSnapshot},
                           CreateDatabaseSnapshot},
                      });
}

// The cluster status and the drain of a node (docs/API.md, "Cluster
// status", "Drain a node").
void ClusterRoutes(std::vector<RouteSpec>* t) {
  t->insert(
      t->end(),
      {
          {"GET", "/api/v1/cluster", {Operation::kGetCluster}, GetCluster},
          {"POST",
           "/api/v1/cluster/nodes/{id}/drain",
           {Operation::kDrainNode},
           DrainNode},
          {"DELETE",
           "/api/v1/cluster/nodes/{id}/drain",
           {Operation::kDrainNode},
           CancelDrain},
      });
}

// The quarantine (docs/API.md, "Admin").
void AdminRoutes(std::vector<RouteSpec>* t) {
  t->insert(t->end(), {
                          {"GET",
                           "/api/v1/admin/quarantine",
                           {Operation::kListQuarantine},
                           ListQuarantine},
                          {"DELETE",
                           "/api/v1/admin/quarantine",
                           {Operation::kClearQuarantine},
                           ClearQuarantine},
                          {"DELETE",
                           "/api/v1/admin/quarantine/{id}",
                           {Operation::kClearQuarantine},
                           ClearQuarantineEntry},
                      });
}

}  // namespace

const std::vector<RouteSpec>& Routes() {
  static const std::vector<RouteSpec> routes = [] {
    std::vector<RouteSpec> t;
    HealthRoutes(&t);
    CollectionRoutes(&t);
    PointRoutes(&t);
    QueryRoutes(&t);
    MaintenanceRoutes(&t);
    SegmentRoutes(&t);
    ChangeRoutes(&t);
    AliasRoutes(&t);
    SnapshotRoutes(&t);
    ClusterRoutes(&t);
    AdminRoutes(&t);
    return t;
  }();
  return routes;
}

}  // namespace proximadb::rest
