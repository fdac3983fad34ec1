// VectorService: the one implementation of every API operation, shared by the
// REST transport (and the gRPC one later). Transports only decode, call one
// method, and encode; validation lives here and in json_codec.
//
// Each operation comes in two forms: a typed one (engine value types, what a
// gRPC transport will call after decoding protobuf) and a JSON one (request
// body in, response body out) for the REST transport.
//
// Thread-safety: safe for concurrent use; the DB is. Calls block on disk I/O
// (every acknowledged write is fsynced), so call them from worker threads.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/db.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::service {

// The server version reported by /health.
inline constexpr const char* kVersion = "0.1.0";

class VectorService {
 public:
  // `defaults` must be the FlushDefaults the DB was opened with: responses
  // report each collection's resolved flush policy.
  VectorService(std::unique_ptr<DB> db, FlushDefaults defaults);
  VectorService(const VectorService&) = delete;
  VectorService& operator=(const VectorService&) = delete;
  ~VectorService();

  // --- typed operations ---
  Result<CollectionInfo> CreateCollection(const CollectionConfig& config);
  std::vector<CollectionInfo> ListCollections();
  Result<CollectionInfo> GetCollection(const std::string& name);
  Status DeleteCollection(const std::string& name);
  // Upserts validated points (ids in input order).
  Result<std::vector<std::string>> Upsert(const std::string& collection,
                                          std::vector<Point> points);
  Result<StoredPoint> GetPoint(const std::string& collection,
                               const std::string& id);
  // kNotFound when the point did not exist.
  Status DeletePoint(const std::string& collection, const std::string& id);
  Result<SearchResult> Search(const std::string& collection,
                              const SearchRequest& request);
  // Flushes every collection (graceful shutdown).
  Status FlushAll();

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
  Result<nlohmann::json> GetPointJson(const std::string& collection,
                                      const std::string& id);
  Result<nlohmann::json> DeletePointJson(const std::string& collection,
                                         const std::string& id);
  Result<nlohmann::json> SearchJson(const std::string& collection,
                                    const nlohmann::json& body);

 private:
  Result<std::shared_ptr<Collection>> Open(const std::string& name);

  std::unique_ptr<DB> db_;
  const FlushDefaults defaults_;
};

}  // namespace proximadb::service
