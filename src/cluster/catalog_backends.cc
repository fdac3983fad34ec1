#include "cluster/catalog_options.h"

#include <algorithm>
#include <chrono>

#include "cluster/etcd_catalog_store.h"
#include "cluster/postgres_catalog_store.h"

namespace proximadb::cluster {

std::string CatalogBackendCheck(std::string_view backend) {
  if (backend == "sqlite" || backend == "postgresql" || backend == "etcd") {
    return "";
  }
  return "must be \"sqlite\", \"postgresql\" or \"etcd\", got '" +
         std::string(backend) +
         "' (MongoDB and DynamoDB have no backend yet: docs/CLUSTER.md)";
}

Result<std::unique_ptr<CatalogStore>> OpenCatalogStore(
    const CatalogOptions& options, const std::string& node_id,
    const std::vector<std::string>& etcd_endpoints) {
  const std::string ns =
      options.namespace_.empty() ? node_id : options.namespace_;
  if (options.backend == "postgresql") {
    if (options.postgresql_url.empty()) {
      return Status::InvalidArgument(
          "[catalog] backend = \"postgresql\" needs [catalog] postgresql_url "
          "(or PROXIMADB_CATALOG__POSTGRESQL_URL)");
    }
    PostgresOptions o;
    o.url = options.postgresql_url;
    o.namespace_ = ns;
    const int timeout_ms = static_cast<int>(options.timeout_ms);
    o.connect_timeout_s = std::max(2, (timeout_ms + 999) / 1000);
    o.statement_timeout_ms = timeout_ms;
    o.request_timeout_ms = timeout_ms;
    return PostgresCatalogStore::Open(o);
  }
  if (options.backend == "etcd") {
    if (etcd_endpoints.empty()) {
      return Status::InvalidArgument(
          "[catalog] backend = \"etcd\" needs [cluster] etcd_endpoints");
    }
    EtcdCatalogOptions o;
    o.etcd.endpoints = etcd_endpoints;
    o.etcd.dial_timeout = std::chrono::milliseconds(options.timeout_ms);
    o.etcd.request_timeout = std::chrono::milliseconds(options.timeout_ms);
    o.ns = ns;
    PDB_ASSIGN_OR_RETURN(auto store, EtcdCatalogStore::Open(o));
    return std::unique_ptr<CatalogStore>(std::move(store));
  }
  return Status::InvalidArgument("[catalog] backend \"" + options.backend +
                                 "\" has no catalog store");
}

}  // namespace proximadb::cluster
