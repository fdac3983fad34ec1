#include "service/service.h"

#include <utility>

#include "service/json_codec.h"

namespace proximadb::service {

using nlohmann::json;

VectorService::VectorService(std::unique_ptr<DB> db, FlushDefaults defaults)
    : db_(std::move(db)), defaults_(defaults) {}

VectorService::~VectorService() = default;

Result<std::shared_ptr<Collection>> VectorService::Open(
    const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("collection name is empty");
  return db_->GetCollection(name);
}

Result<CollectionInfo> VectorService::CreateCollection(
    const CollectionConfig& config) {
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c,
                       db_->CreateCollection(config));
  return c->Info();
}

std::vector<CollectionInfo> VectorService::ListCollections() {
  return db_->ListCollections();
}

Result<CollectionInfo> VectorService::GetCollection(const std::string& name) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(name));
  return c->Info();
}

Status VectorService::DeleteCollection(const std::string& name) {
  if (name.empty()) return Status::InvalidArgument("collection name is empty");
  return db_->DropCollection(name);
}

Result<std::vector<std::string>> VectorService::Upsert(
    const std::string& collection, std::vector<Point> points) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  const CollectionConfig& cfg = c->config();
  // Re-check here so typed callers (gRPC) get the same guarantees as JSON
  // ones: nothing is written unless every point is valid.
  for (const Point& p : points) {
    if (!p.id.empty()) PDB_RETURN_IF_ERROR(ValidatePointId(p.id));
    if (p.vector.size() != cfg.dimension) {
      return Status::DimensionMismatch(
          "vector has " + std::to_string(p.vector.size()) +
          " values but collection '" + cfg.name + "' has dimension " +
          std::to_string(cfg.dimension));
    }
  }
  return c->Upsert(std::move(points));
}

Result<StoredPoint> VectorService::GetPoint(const std::string& collection,
                                            const std::string& id) {
  PDB_RETURN_IF_ERROR(ValidatePointId(id));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  return c->Get(id);
}

Status VectorService::DeletePoint(const std::string& collection,
                                  const std::string& id) {
  PDB_RETURN_IF_ERROR(ValidatePointId(id));
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(uint64_t n, c->Delete({id}));
  if (n == 0) {
    return Status::NotFound("point '" + id + "' not found in collection '" +
                            collection + "'");
  }
  return Status::OK();
}

Result<SearchResult> VectorService::Search(const std::string& collection,
                                           const SearchRequest& request) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  if (request.vector.size() != c->config().dimension) {
    return Status::DimensionMismatch(
        "vector has " + std::to_string(request.vector.size()) +
        " values but collection '" + collection + "' has dimension " +
        std::to_string(c->config().dimension));
  }
  return c->Search(request);
}

Status VectorService::FlushAll() { return db_->FlushAll(); }

json VectorService::Health() {
  return json{{"status", "healthy"}, {"version", kVersion}};
}

Result<json> VectorService::CreateCollectionJson(const json& body) {
  PDB_ASSIGN_OR_RETURN(CollectionConfig config, ParseCreateCollection(body));
  PDB_ASSIGN_OR_RETURN(CollectionInfo info, CreateCollection(config));
  return CollectionToJson(info, defaults_);
}

json VectorService::ListCollectionsJson() {
  json list = json::array();
  for (const CollectionInfo& info : ListCollections()) {
    list.push_back(CollectionToJson(info, defaults_));
  }
  size_t n = list.size();
  return json{{"collections", std::move(list)}, {"total_count", n}};
}

Result<json> VectorService::GetCollectionJson(const std::string& name) {
  PDB_ASSIGN_OR_RETURN(CollectionInfo info, GetCollection(name));
  return CollectionToJson(info, defaults_);
}

Result<json> VectorService::DeleteCollectionJson(const std::string& name) {
  PDB_RETURN_IF_ERROR(DeleteCollection(name));
  return json{{"name", name}, {"status", "deleted"}};
}

Result<json> VectorService::UpsertJson(const std::string& collection,
                                       const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(Point p,
                       ParsePoint(body, c->config().dimension, collection));
  std::vector<Point> points;
  points.push_back(std::move(p));
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       c->Upsert(std::move(points)));
  if (ids.size() != 1) return Status::Internal("engine returned no id");
  return json{{"id", ids[0]}, {"status", "ok"}};
}

Result<json> VectorService::BatchUpsertJson(const std::string& collection,
                                            const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(std::vector<Point> points,
                       ParseBatch(body, c->config().dimension, collection));
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       c->Upsert(std::move(points)));
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

Result<json> VectorService::SearchJson(const std::string& collection,
                                       const json& body) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<Collection> c, Open(collection));
  PDB_ASSIGN_OR_RETURN(SearchRequest req,
                       ParseSearch(body, c->config().dimension, collection));
  PDB_ASSIGN_OR_RETURN(SearchResult result, c->Search(req));
  return SearchResultToJson(result, req);
}

}  // namespace proximadb::service
