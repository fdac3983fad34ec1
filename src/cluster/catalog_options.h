// [catalog] and the etcd endpoints of [cluster]: where the catalog lives
// (catalog_store.h, docs/CLUSTER.md "Catalog backends").
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "cluster/catalog_store.h"
#include "proximadb/status.h"

namespace proximadb::cluster {

struct CatalogOptions {
  // "sqlite" (the engine's own catalog, no CatalogStore), "postgresql" or
  // "etcd".
  std::string backend = "sqlite";
  // The store's namespace; "" = the node id ([server] node_id).
  std::string namespace_;
  // libpq connection string ("postgresql://user:pw@host:5432/db" or
  // "host=... dbname=..."); a secret: never logged or printed.
  std::string postgresql_url;
  // Connect and statement timeout of the store.
  int64_t timeout_ms = 10000;
  bool operator==(const CatalogOptions&) const = default;
};

// "" when `backend` is one of the names above, else what is wrong.
std::string CatalogBackendCheck(std::string_view backend);

// The store `options` name; kInvalidArgument for "sqlite" (which has none)
// or a backend missing its settings. `node_id` is the default namespace;
// `etcd_endpoints` are [cluster] etcd_endpoints.
Result<std::unique_ptr<CatalogStore>> OpenCatalogStore(
    const CatalogOptions& options, const std::string& node_id,
    const std::vector<std::string>& etcd_endpoints);

}  // namespace proximadb::cluster
