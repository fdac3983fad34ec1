// BoundDB: the engine (DB) bound to an external catalog (CatalogStore):
// [catalog] backend = "postgresql" | "etcd" (docs/CLUSTER.md, "Catalog
// backends"). It is a DB: the service and the transports see no
// difference.
//
// The store is the authority for which collections exist, their policies
// (flush, tiering), their payload indexes and the aliases; the engine keeps
// the data and follows. Every change that names something is written to the
// store first and then to the engine, one change at a time (ddl_mu_); a
// crash between the two is finished at the next Open:
//   * a collection the store has and the engine lacks (a create that did
//     not reach the engine; it was never acknowledged) is created, empty;
//   * a collection the store marks dropping is dropped, then forgotten;
//   * a collection the engine has and the store lacks (a restore whose
//     store write did not happen) is added to the store: data is never
//     dropped for want of a catalog entry;
//   * the store's policies, payload indexes and aliases are applied to the
//     engine; the engine's shape (dimension, metric, WAL format, the
//     layout: index, storage strategy, memtable, filterable columns, and
//     the last live migration) comes from the data and is written to the
//     store when they differ.
//
// The data directory remembers the catalog it is bound to
// (<data>/catalog-binding, FORMATS.md): Open refuses a store whose
// catalog_id differs, and a first binding where both sides hold
// collections. A first binding of a data directory to an empty namespace
// imports the engine's collections and aliases (moving from SQLite to an
// external catalog).
//
// Changes made in the store by hand while the server runs are seen at the
// next start; one server holds a namespace at a time (CatalogStore::Claim).
#pragma once

#include <memory>
#include <string>

#include "cluster/catalog_store.h"
#include "proximadb/db.h"
#include "proximadb/env.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb::cluster {

// The binding file's name in the data directory.
inline constexpr const char* kCatalogBindingFile = "catalog-binding";

class BoundDB final : public DB {
 public:
  // Claims the store's namespace, checks the binding, reconciles engine and
  // store (above), then serves. `data_dir` is the engine's directory (for
  // the binding file), `env` its Env.
  static Result<std::unique_ptr<DB>> Open(std::unique_ptr<DB> engine,
                                          std::unique_ptr<CatalogStore> store,
                                          const std::string& data_dir,
                                          Env* env);
  ~BoundDB() override;

  Result<std::shared_ptr<Collection>> CreateCollection(
      const CollectionConfig& config) override EXCLUDES(ddl_mu_);
  Result<std::shared_ptr<Collection>> GetCollection(
      const std::string& name) override;
  std::vector<CollectionInfo> ListCollections() override;
  Status DropCollection(const std::string& name) override EXCLUDES(ddl_mu_);
  Status UpdateAliases(const std::vector<AliasAction>& actions) override
      EXCLUDES(ddl_mu_);
  std::vector<AliasInfo> ListAliases() override;
  Status FlushAll() override;
  Result<std::vector<QuarantineEntry>> ListQuarantine() override;
  Result<uint64_t> ClearQuarantine(const std::string& id) override;
  Result<SnapshotInfo> CreateSnapshot(const std::string& collection,
                                      SnapshotTarget target) override;
  Result<std::vector<SnapshotInfo>> ListSnapshots(
      const std::string& collection) override;
  Result<SnapshotInfo> GetSnapshot(const std::string& collection,
                                   const std::string& id) override;
  Status DeleteSnapshot(const std::string& collection,
                        const std::string& id) override;
  Result<RestoreResult> RestoreSnapshot(const std::string& collection,
                                        const std::string& id,
                                        const RestoreOptions& options) override
      EXCLUDES(ddl_mu_);
  Result<RestoreResult> RestorePointInTime(
      const std::string& collection, const PointInTimeOptions& options) override
      EXCLUDES(ddl_mu_);
  Result<SnapshotInfo> CreateDatabaseSnapshot(SnapshotTarget target) override;

  // The collection's policy changes (BoundCollection): the store first.
  Status UpdateDef(const std::string& name,
                   const std::function<void(CollectionDef*)>& change,
                   const std::function<Status()>& apply) EXCLUDES(ddl_mu_);
  // A change of the collection's shape, which the engine decides (a live
  // migration or its cancel: the layout, the migration record and the
  // payload indexes of indexed columns): `apply` first, then the engine's
  // definition is written to the store. A store that refuses then is
  // logged, and the next start writes the engine's shape to it
  // (Reconcile).
  Result<MigrationStatus> ChangeShape(
      const std::string& name,
      const std::function<Result<MigrationStatus>()>& apply) EXCLUDES(ddl_mu_);

 private:
  BoundDB(std::unique_ptr<DB> engine, std::unique_ptr<CatalogStore> store);
  // Open's steps.
  Status Bind(const CatalogIdentity& id, const std::string& data_dir, Env* env)
      REQUIRES(ddl_mu_);
  Status Reconcile() REQUIRES(ddl_mu_);
  Status ReconcileAliases() REQUIRES(ddl_mu_);
  // Adds what the engine has under `name` to the store (a restore's second
  // half), or refreshes the store's definition when `exists`.
  Status RecordFromEngine(const std::string& name, bool exists)
      REQUIRES(ddl_mu_);
  // A restore that created or replaced `target`: record it in the store,
  // or undo it when it was new and the store refuses.
  Result<RestoreResult> AfterRestore(Result<RestoreResult> r,
                                     const std::string& target, bool existed)
      REQUIRES(ddl_mu_);
  std::shared_ptr<Collection> Wrap(std::shared_ptr<Collection> c);

  std::unique_ptr<DB> engine_;
  std::unique_ptr<CatalogStore> store_;
  // Serialises every change to names, policies and aliases, so that the
  // store and the engine change in the same order.
  Mutex ddl_mu_;
};

// The definition the engine has for `c` (config and payload indexes).
CollectionDef DefOf(Collection& c);

}  // namespace proximadb::cluster
