// The JSON forms of the VectorService operations (the REST transport's entry
// points): decode the body with json_codec, call the typed operation, encode.
// No operation logic lives here, so REST and gRPC cannot drift apart.
#include <utility>

#include "service/json_codec.h"
#include "service/service.h"

namespace proximadb::service {

using nlohmann::json;

json VectorService::Health() {
  HealthInfo h = GetHealth();
  return json{{"status", h.status},
              {"version", h.version},
              {"collections_recovering", h.collections_recovering},
              {"collections_fenced", h.collections_fenced}};
}

Result<json> VectorService::CreateCollectionJson(const json& body) {
  PDB_ASSIGN_OR_RETURN(CollectionConfig config, ParseCreateCollection(body));
  PDB_ASSIGN_OR_RETURN(CollectionInfo info, CreateCollection(config));
  return CollectionToJson(info, defaults_, tiering_);
}

json VectorService::ListCollectionsJson() {
  json list = json::array();
  for (const CollectionInfo& info : ListCollections()) {
    list.push_back(CollectionToJson(info, defaults_, tiering_));
  }
  size_t n = list.size();
  return json{{"collections", std::move(list)}, {"total_count", n}};
}

Result<json> VectorService::GetCollectionJson(const std::string& name) {
  PDB_ASSIGN_OR_RETURN(CollectionInfo info, GetCollection(name));
  return CollectionToJson(info, defaults_, tiering_);
}

Result<json> VectorService::UpdateCollectionJson(const std::string& name,
                                                 const json& body) {
  PDB_ASSIGN_OR_RETURN(CollectionPatch patch, ParseCollectionPatch(body));
  PDB_ASSIGN_OR_RETURN(CollectionInfo info,
                       UpdateCollection(name, patch.flush, patch.tiering));
  return CollectionToJson(info, defaults_, tiering_);
}

Result<json> VectorService::DeleteCollectionJson(const std::string& name) {
  PDB_RETURN_IF_ERROR(DeleteCollection(name));
  return json{{"name", name}, {"status", "deleted"}};
}

Result<json> VectorService::UpsertJson(const std::string& collection,
                                       const json& body) {
  // The dimension is needed to parse (and to name the mismatch exactly as
  // the typed path does).
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(
      Point p, ParsePoint(body, c->config().dimension, c->config().name));
  std::vector<Point> points;
  points.push_back(std::move(p));
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       Upsert(c->config().name, std::move(points)));
  if (ids.size() != 1) return Status::Internal("engine returned no id");
  return json{{"id", ids[0]}, {"status", "ok"}};
}

Result<json> VectorService::BatchUpsertJson(const std::string& collection,
                                            const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(
      std::vector<Point> points,
      ParseBatch(body, c->config().dimension, c->config().name));
  return BatchUpsertJson(c->config().name, std::move(points));
}

Result<json> VectorService::BatchUpsertJson(const std::string& collection,
                                            std::vector<Point> points) {
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       BatchUpsert(collection, std::move(points)));
  size_t n = ids.size();
  return json{{"inserted_ids", std::move(ids)}, {"total_count", n}};
}

Result<json> VectorService::GetPointJson(const std::string& collection,
                                         const std::string& id) {
  PDB_ASSIGN_OR_RETURN(StoredPoint p, GetPoint(collection, id));
  return StoredPointToJson(p);
}

Result<json> VectorService::DeletePointJson(const std::string& collection,
                                            const std::string& id) {
  PDB_RETURN_IF_ERROR(DeletePoint(collection, id));
  return json{{"id", id}, {"status", "deleted"}};
}

Result<json> VectorService::DeleteVectorsJson(const std::string& collection,
                                              const json& body) {
  PDB_ASSIGN_OR_RETURN(PointSelector sel, ParseDeleteVectors(body));
  Result<uint64_t> n = sel.by_filter ? DeleteByFilter(collection, sel.filter)
                                     : DeleteByIds(collection, sel.ids);
  if (!n.ok()) return n.status();
  return json{{"deleted_count", *n}};
}

Result<json> VectorService::GetPointsJson(const std::string& collection,
                                          const json& body) {
  PDB_ASSIGN_OR_RETURN(GetPointsRequest req, ParseGetPoints(body));
  PDB_ASSIGN_OR_RETURN(std::vector<StoredPoint> points,
                       GetPoints(collection, req.ids));
  return PointsToJson(points, req);
}

Result<json> VectorService::PatchMetadataJson(const std::string& collection,
                                              const json& body) {
  PDB_ASSIGN_OR_RETURN(MetadataPatchRequest req, ParseMetadataPatch(body));
  Result<PatchResult> r =
      req.points.by_filter
          ? PatchMetadataByFilter(collection, req.points.filter, req.patch)
          : PatchMetadata(collection, req.points.ids, req.patch);
  if (!r.ok()) return r.status();
  return PatchResultToJson(*r);
}

Result<json> VectorService::UpdateMetadataJson(const std::string& collection,
                                               const std::string& id,
                                               const json& body) {
  PDB_ASSIGN_OR_RETURN(json metadata, ParseMetadataUpdate(body));
  PDB_RETURN_IF_ERROR(UpdateMetadata(collection, id, std::move(metadata)));
  return json{{"id", id}, {"status", "updated"}};
}

Result<json> VectorService::CountJson(const std::string& collection,
                                      const json& body) {
  PDB_ASSIGN_OR_RETURN(json filter, ParseCountFilter(body));
  PDB_ASSIGN_OR_RETURN(uint64_t n, Count(collection, filter));
  return json{{"count", n}};
}

Result<json> VectorService::ScrollJson(const std::string& collection,
                                       const json& body) {
  PDB_ASSIGN_OR_RETURN(ScrollRequest req, ParseScroll(body));
  PDB_ASSIGN_OR_RETURN(ScrollPage page, Scroll(collection, req));
  return ScrollPageToJson(page, req.include_vector, req.order_by.has_value());
}

Result<json> VectorService::FacetJson(const std::string& collection,
                                      const json& body) {
  PDB_ASSIGN_OR_RETURN(FacetRequest req, ParseFacet(body));
  PDB_ASSIGN_OR_RETURN(FacetResult r, Facet(collection, req));
  return FacetResultToJson(r);
}

Result<json> VectorService::SearchJson(const std::string& collection,
                                       const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(
      SearchRequest req,
      ParseSearch(body, c->config().dimension, c->config().name));
  PDB_ASSIGN_OR_RETURN(SearchResult result, Search(c->config().name, req));
  return SearchResultToJson(result, req);
}

Result<json> VectorService::BatchSearchJson(const std::string& collection,
                                            const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(
      std::vector<SearchRequest> queries,
      ParseBatchSearch(body, c->config().dimension, c->config().name));
  PDB_ASSIGN_OR_RETURN(std::vector<SearchResult> results,
                       BatchSearch(c->config().name, queries));
  json out = json::array();
  for (size_t i = 0; i < results.size(); ++i) {
    out.push_back(SearchResultToJson(results[i], queries[i]));
  }
  return json{{"results", std::move(out)}};
}

Result<json> VectorService::QueryJson(const std::string& collection,
                                      const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(QueryRequest req, ParseQuery(body, c->config().dimension,
                                                    c->config().name));
  PDB_ASSIGN_OR_RETURN(SearchResult result, Query(c->config().name, req));
  SearchRequest shape;  // what the answer carries
  shape.include_vector = req.include_vector;
  shape.include_metadata = req.include_metadata;
  return SearchResultToJson(result, shape);
}

Result<json> VectorService::RecommendJson(const std::string& collection,
                                          const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(
      RecommendRequest req,
      ParseRecommend(body, c->config().dimension, c->config().name));
  PDB_ASSIGN_OR_RETURN(SearchResult result, Recommend(c->config().name, req));
  return SearchResultToJson(result, req.query);
}

Result<json> VectorService::FlushJson(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::string name, Resolve(collection));
  PDB_RETURN_IF_ERROR(Flush(name));
  return json{{"name", name}, {"status", "flushed"}};
}

Result<json> VectorService::CompactJson(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::string name, Resolve(collection));
  PDB_RETURN_IF_ERROR(Compact(name));
  return json{{"name", name}, {"status", "compacted"}};
}

Result<json> VectorService::CreatePayloadIndexJson(
    const std::string& collection, const json& body) {
  PDB_ASSIGN_OR_RETURN(PayloadIndexDef def, ParsePayloadIndexDef(body));
  PDB_ASSIGN_OR_RETURN(std::string name, Resolve(collection));
  PDB_ASSIGN_OR_RETURN(auto defs, CreatePayloadIndex(name, def));
  return PayloadIndexesToJson(name, defs);
}

Result<json> VectorService::ListPayloadIndexesJson(
    const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::string name, Resolve(collection));
  PDB_ASSIGN_OR_RETURN(auto defs, ListPayloadIndexes(name));
  return PayloadIndexesToJson(name, defs);
}

Result<json> VectorService::DeletePayloadIndexJson(
    const std::string& collection, const std::string& field) {
  PDB_ASSIGN_OR_RETURN(std::string name, Resolve(collection));
  PDB_ASSIGN_OR_RETURN(auto defs, DeletePayloadIndex(name, field));
  return PayloadIndexesToJson(name, defs);
}

Result<json> VectorService::ListQuarantineJson() {
  PDB_ASSIGN_OR_RETURN(std::vector<QuarantineEntry> entries, ListQuarantine());
  json list = json::array();
  for (const QuarantineEntry& e : entries) {
    list.push_back(QuarantineEntryToJson(e));
  }
  size_t n = list.size();
  return json{{"entries", std::move(list)}, {"total_count", n}};
}

Result<json> VectorService::ClearQuarantineJson(const std::string& id) {
  PDB_ASSIGN_OR_RETURN(uint64_t n, ClearQuarantine(id));
  return json{{"deleted_count", n}};
}

Result<json> VectorService::ListSegmentsJson(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                       ListSegments(collection));
  json list = json::array();
  for (const SegmentInfo& s : segments) list.push_back(SegmentToJson(s));
  return json{{"segments", std::move(list)}};
}

Result<json> VectorService::MoveSegmentJson(const std::string& collection,
                                            const std::string& id,
                                            const json& body) {
  PDB_ASSIGN_OR_RETURN(uint64_t segment_id, ParseSegmentId(id));
  PDB_ASSIGN_OR_RETURN(std::string tier, ParseMoveSegment(body));
  PDB_ASSIGN_OR_RETURN(SegmentInfo s,
                       MoveSegment(collection, segment_id, tier));
  return SegmentToJson(s);
}

Result<json> VectorService::MigrateJson(const std::string& collection,
                                        const json& body) {
  PDB_ASSIGN_OR_RETURN(LayoutSettings to, ParseMigrate(body));
  PDB_ASSIGN_OR_RETURN(MigrationStatus m, Migrate(collection, to));
  return json{{"migration", MigrationToJson(m)}};
}

Result<json> VectorService::GetMigrationJson(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(MigrationStatus m, GetMigration(collection));
  return MigrationToJson(m);
}

Result<json> VectorService::CancelMigrationJson(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(MigrationStatus m, CancelMigration(collection));
  return MigrationToJson(m);
}

Result<json> VectorService::CollectionStatsJson(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(CollectionInfo info, CollectionStats(collection));
  return CollectionStatsToJson(info);
}

Result<json> VectorService::UpdateAliasesJson(const json& body) {
  PDB_ASSIGN_OR_RETURN(std::vector<AliasAction> actions,
                       ParseAliasActions(body));
  PDB_ASSIGN_OR_RETURN(std::vector<AliasInfo> after, UpdateAliases(actions));
  return AliasesToJson(after);
}

json VectorService::ListAliasesJson() { return AliasesToJson(ListAliases()); }

Result<json> VectorService::GetClusterJson() {
  PDB_ASSIGN_OR_RETURN(ClusterInfo info, GetCluster());
  return ClusterInfoToJson(info);
}

Result<json> VectorService::DrainNodeJson(const std::string& node_id,
                                          bool drain) {
  PDB_RETURN_IF_ERROR(DrainNode(node_id, drain));
  return DrainNodeToJson(node_id, drain);
}

}  // namespace proximadb::service
