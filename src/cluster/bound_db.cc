#include "cluster/bound_db.h"

#include <algorithm>
#include <map>
#include <set>
#include <utility>

#include <spdlog/spdlog.h>

#include "storage/catalog/config_codec.h"
#include "storage/catalog/framed_json.h"

namespace proximadb::cluster {

namespace {

constexpr std::string_view kBindingMagic("PDBBIND1", 8);
constexpr uint32_t kBindingVersion = 1;

// `to`'s shape replaced by `from`'s.
// What the data decides: dimension, metric, WAL format, the layout (a live
// migration changes it in the engine) and the migration record.
void TakeShape(const CollectionConfig& from, CollectionConfig* to) {
  to->dimension = from.dimension;
  to->metric = from.metric;
  to->set_layout(from.layout());
  to->migration = from.migration;
  to->wal_format = from.wal_format;
}

bool SameShape(const CollectionConfig& a, const CollectionConfig& b) {
  CollectionConfig x = b;
  TakeShape(a, &x);
  return catalog::CollectionConfigToJson(x) ==
         catalog::CollectionConfigToJson(b);
}

// The payload-index changes that turn `have` into `want`.
Status SyncPayloadIndexes(Collection& c,
                          const std::vector<PayloadIndexDef>& have,
                          const std::vector<PayloadIndexDef>& want) {
  std::map<std::string, PayloadIndexType> h, w;
  for (const auto& d : have) h[d.field] = d.type;
  for (const auto& d : want) w[d.field] = d.type;
  for (const auto& [field, type] : h) {
    auto it = w.find(field);
    if (it == w.end() || it->second != type) {
      PDB_RETURN_IF_ERROR(c.DropPayloadIndex(field));
    }
  }
  for (const auto& [field, type] : w) {
    auto it = h.find(field);
    if (it == h.end() || it->second != type) {
      PDB_RETURN_IF_ERROR(c.CreatePayloadIndex({field, type}));
    }
  }
  return Status::OK();
}

// The collection forwarded, its policy changes written to the store first.
class BoundCollection final : public Collection {
 public:
  BoundCollection(BoundDB* db, std::shared_ptr<Collection> c)
      : db_(db), c_(std::move(c)) {}

  CollectionConfig config() const override { return c_->config(); }
  Result<std::vector<std::string>> Upsert(std::vector<Point> points) override {
    return c_->Upsert(std::move(points));
  }
  Result<StoredPoint> Get(const std::string& id) override {
    return c_->Get(id);
  }
  Result<uint64_t> Delete(const std::vector<std::string>& ids) override {
    return c_->Delete(ids);
  }
  Status UpdateMetadata(const std::string& id,
                        nlohmann::json metadata) override {
    return c_->UpdateMetadata(id, std::move(metadata));
  }
  Result<PatchResult> PatchMetadata(const std::vector<std::string>& ids,
                                    const MetadataPatch& patch) override {
    return c_->PatchMetadata(ids, patch);
  }
  Result<uint64_t> Count(const nlohmann::json& filter) override {
    return c_->Count(filter);
  }
  Result<ScrollPage> Scroll(const ScrollRequest& request) override {
    return c_->Scroll(request);
  }
  Result<FacetResult> Facet(const FacetRequest& request) override {
    return c_->Facet(request);
  }
  Result<SearchResult> TextSearch(const TextSearchRequest& request) override {
    return c_->TextSearch(request);
  }
  Result<TextCorpusStats> TextStats(const TextSearchRequest& request) override {
    return c_->TextStats(request);
  }
  Result<SearchResult> SparseSearch(
      const SparseSearchRequest& request) override {
    return c_->SparseSearch(request);
  }
  Result<SearchResult> Search(const SearchRequest& request) override {
    return c_->Search(request);
  }
  Result<std::vector<SearchResult>> SearchBatch(
      const std::vector<SearchRequest>& requests) override {
    return c_->SearchBatch(requests);
  }
  Status Flush() override { return c_->Flush(); }
  Status Compact() override { return c_->Compact(); }
  CollectionInfo Info() override { return c_->Info(); }
  Status SetFlushPolicy(const FlushPolicy& policy) override {
    return db_->UpdateDef(
        name(), [&](CollectionDef* d) { d->config.flush = policy; },
        [&] { return c_->SetFlushPolicy(policy); });
  }
  Status CreatePayloadIndex(const PayloadIndexDef& def) override {
    return db_->UpdateDef(
        name(),
        [&](CollectionDef* d) {
          for (const auto& have : d->payload_indexes) {
            if (have.field == def.field) return;  // the engine decides
          }
          d->payload_indexes.push_back(def);
          std::sort(
              d->payload_indexes.begin(), d->payload_indexes.end(),
              [](const auto& a, const auto& b) { return a.field < b.field; });
        },
        [&] { return c_->CreatePayloadIndex(def); });
  }
  Status DropPayloadIndex(const std::string& field) override {
    return db_->UpdateDef(
        name(),
        [&](CollectionDef* d) {
          std::erase_if(d->payload_indexes,
                        [&](const auto& x) { return x.field == field; });
        },
        [&] { return c_->DropPayloadIndex(field); });
  }
  Result<std::vector<SegmentInfo>> ListSegments() override {
    return c_->ListSegments();
  }
  Status MoveSegment(uint64_t segment_id, Tier tier) override {
    return c_->MoveSegment(segment_id, tier);
  }
  Status SetTieringPolicy(const TieringPolicy& policy) override {
    return db_->UpdateDef(
        name(), [&](CollectionDef* d) { d->config.tiering = policy; },
        [&] { return c_->SetTieringPolicy(policy); });
  }
  Result<std::unique_ptr<ChangeReader>> Changes(uint64_t from_seq) override {
    return c_->Changes(from_seq);
  }
  std::pair<uint64_t, uint64_t> ChangeRange() override {
    return c_->ChangeRange();
  }
  Result<MigrationStatus> Migrate(const LayoutSettings& to) override {
    return db_->ChangeShape(name(), [&] { return c_->Migrate(to); });
  }
  Result<MigrationStatus> GetMigration() override { return c_->GetMigration(); }
  Result<MigrationStatus> CancelMigration() override {
    return db_->ChangeShape(name(), [&] { return c_->CancelMigration(); });
  }

 private:
  std::string name() const { return c_->config().name; }
  BoundDB* const db_;
  const std::shared_ptr<Collection> c_;
};

}  // namespace

CollectionDef DefOf(Collection& c) {
  CollectionDef d;
  d.config = c.config();
  d.payload_indexes = c.Info().payload_indexes;
  return d;
}

BoundDB::BoundDB(std::unique_ptr<DB> engine,
                 std::unique_ptr<CatalogStore> store)
    : engine_(std::move(engine)), store_(std::move(store)) {}

BoundDB::~BoundDB() = default;

Result<std::unique_ptr<DB>> BoundDB::Open(std::unique_ptr<DB> engine,
                                          std::unique_ptr<CatalogStore> store,
                                          const std::string& data_dir,
                                          Env* env) {
  PDB_ASSIGN_OR_RETURN(CatalogIdentity id, store->Claim());
  std::unique_ptr<BoundDB> db(new BoundDB(std::move(engine), std::move(store)));
  MutexLock lock(&db->ddl_mu_);
  PDB_RETURN_IF_ERROR(db->Bind(id, data_dir, env));
  PDB_RETURN_IF_ERROR(db->Reconcile());
  spdlog::info("catalog: {} ({}), catalog id {}", db->store_->backend(),
               db->store_->describe(), id.catalog_id);
  return std::unique_ptr<DB>(std::move(db));
}

Status BoundDB::Bind(const CatalogIdentity& id, const std::string& data_dir,
                     Env* env) {
  const std::string path = data_dir + "/" + kCatalogBindingFile;
  const std::string where =
      store_->backend() + " catalog " + store_->describe();
  if (env->FileExists(path)) {
    PDB_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
    PDB_ASSIGN_OR_RETURN(
        nlohmann::json j,
        catalog::DecodeFramedJson(bytes, kBindingMagic, kBindingVersion,
                                  "catalog binding", path));
    if (!j.contains("catalog_id") || !j["catalog_id"].is_string()) {
      return Status::Corruption("catalog binding " + path + ": no catalog_id");
    }
    if (j["catalog_id"].get<std::string>() != id.catalog_id) {
      return Status::FailedPrecondition(
          "the data directory " + data_dir + " is bound to catalog " +
          j["catalog_id"].get<std::string>() + " (" +
          j.value("describe", std::string("?")) + "), but " + where +
          " is catalog " + id.catalog_id +
          ": point [catalog] at the catalog this data belongs to");
    }
    return Status::OK();
  }
  // A first binding.
  PDB_ASSIGN_OR_RETURN(std::vector<CollectionDef> defs,
                       store_->ListCollections());
  PDB_ASSIGN_OR_RETURN(std::vector<AliasInfo> aliases, store_->ListAliases());
  const std::vector<CollectionInfo> mine = engine_->ListCollections();
  if (!defs.empty() || !aliases.empty()) {
    if (!mine.empty()) {
      return Status::FailedPrecondition(
          where + " lists " + std::to_string(defs.size()) +
          " collection(s) and the data directory " + data_dir + " holds " +
          std::to_string(mine.size()) +
          ", but the directory was never bound to it: refusing to merge "
          "them (use an empty [catalog] namespace to import this "
          "directory's collections)");
    }
    return Status::FailedPrecondition(
        where + " lists " + std::to_string(defs.size()) +
        " collection(s) whose data is not in the data directory " + data_dir +
        " (a new or different directory?): start with the directory that "
        "holds them, or use another [catalog] namespace");
  }
  // Import what the engine has (nothing for a new directory).
  for (const CollectionInfo& info : mine) {
    PDB_ASSIGN_OR_RETURN(auto c, engine_->GetCollection(info.config.name));
    PDB_RETURN_IF_ERROR(store_->CreateCollection(DefOf(*c)));
  }
  std::vector<AliasAction> actions;
  for (const AliasInfo& a : engine_->ListAliases()) {
    actions.push_back({AliasAction::Kind::kCreate, a.alias, a.collection});
  }
  if (!actions.empty()) PDB_RETURN_IF_ERROR(store_->UpdateAliases(actions));
  if (!mine.empty()) {
    spdlog::info("catalog: imported {} collection(s) and {} alias(es) into {}",
                 mine.size(), actions.size(), where);
  }
  nlohmann::json j = {{"catalog_id", id.catalog_id},
                      {"backend", store_->backend()},
                      {"describe", store_->describe()}};
  return env->WriteFileAtomically(
      path, catalog::EncodeFramedJson(kBindingMagic, kBindingVersion, j));
}

Status BoundDB::Reconcile() {
  PDB_ASSIGN_OR_RETURN(std::vector<CollectionDef> defs,
                       store_->ListCollections());
  std::set<std::string> in_store;
  for (const CollectionDef& def : defs) {
    const std::string& name = def.config.name;
    in_store.insert(name);
    auto c = engine_->GetCollection(name);
    if (!c.ok() && c.status().code() != StatusCode::kNotFound) {
      return c.status();
    }
    // GetCollection resolves aliases: only the collection itself counts.
    const bool have = c.ok() && (*c)->config().name == name;
    if (def.state == CollectionDef::State::kDropping) {
      if (have) {
        spdlog::warn("catalog: finishing the drop of collection '{}'", name);
        PDB_RETURN_IF_ERROR(engine_->DropCollection(name));
      }
      PDB_RETURN_IF_ERROR(store_->FinishDrop(name));
      continue;
    }
    if (!have) {
      spdlog::warn(
          "catalog: collection '{}' is in the catalog but not in the data "
          "directory (a create that did not finish): created, empty",
          name);
      PDB_ASSIGN_OR_RETURN(auto created, engine_->CreateCollection(def.config));
      PDB_RETURN_IF_ERROR(
          SyncPayloadIndexes(*created, {}, def.payload_indexes));
      continue;
    }
    Collection& col = **c;
    CollectionDef engine_def = DefOf(col);
    if (!SameShape(engine_def.config, def.config)) {
      spdlog::warn(
          "catalog: collection '{}' has another dimension, metric, layout, "
          "migration or WAL format in the catalog than its data: the data's "
          "is written to the catalog",
          name);
      CollectionDef fixed = def;
      TakeShape(engine_def.config, &fixed.config);
      PDB_RETURN_IF_ERROR(store_->UpdateCollection(fixed));
    }
    // The policies: only what differs is set.
    CollectionConfig want = def.config;
    TakeShape(engine_def.config, &want);
    if (catalog::CollectionConfigToJson(want) !=
        catalog::CollectionConfigToJson(engine_def.config)) {
      PDB_RETURN_IF_ERROR(col.SetFlushPolicy(want.flush));
      PDB_RETURN_IF_ERROR(col.SetTieringPolicy(want.tiering));
    }
    PDB_RETURN_IF_ERROR(SyncPayloadIndexes(col, engine_def.payload_indexes,
                                           def.payload_indexes));
  }
  for (const CollectionInfo& info : engine_->ListCollections()) {
    if (in_store.count(info.config.name) != 0) continue;
    spdlog::warn(
        "catalog: collection '{}' is in the data directory but not in the "
        "catalog (a restore that did not finish): added to the catalog",
        info.config.name);
    PDB_RETURN_IF_ERROR(RecordFromEngine(info.config.name, false));
  }
  return ReconcileAliases();
}

Status BoundDB::ReconcileAliases() {
  PDB_ASSIGN_OR_RETURN(std::vector<AliasInfo> want, store_->ListAliases());
  const std::vector<AliasInfo> have = engine_->ListAliases();
  if (want == have) return Status::OK();
  std::vector<AliasAction> actions;
  for (const AliasInfo& a : have) {
    actions.push_back({AliasAction::Kind::kDelete, a.alias, ""});
  }
  for (const AliasInfo& a : want) {
    actions.push_back({AliasAction::Kind::kCreate, a.alias, a.collection});
  }
  return engine_->UpdateAliases(actions);
}

Status BoundDB::RecordFromEngine(const std::string& name, bool exists) {
  PDB_ASSIGN_OR_RETURN(auto c, engine_->GetCollection(name));
  const CollectionDef def = DefOf(*c);
  return exists ? store_->UpdateCollection(def) : store_->CreateCollection(def);
}

std::shared_ptr<Collection> BoundDB::Wrap(std::shared_ptr<Collection> c) {
  return std::make_shared<BoundCollection>(this, std::move(c));
}

Result<std::shared_ptr<Collection>> BoundDB::CreateCollection(
    const CollectionConfig& config) {
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  MutexLock lock(&ddl_mu_);
  CollectionDef def;
  def.config = config;
  // The engine creates these with the collection.
  def.payload_indexes = ColumnPayloadIndexes(config.filterable_columns);
  PDB_RETURN_IF_ERROR(store_->CreateCollection(def));
  auto c = engine_->CreateCollection(config);
  if (!c.ok()) {
    // Undo the store's half; a failure here is finished at the next start
    // (the collection is then created there, empty).
    Status undo = store_->BeginDrop(config.name);
    if (undo.ok()) undo = store_->FinishDrop(config.name);
    if (!undo.ok()) {
      spdlog::error("catalog: could not undo the create of '{}': {}",
                    config.name, undo.ToString());
    }
    return c.status();
  }
  // The engine may have filled in defaults (index parameters): the store
  // keeps what the engine has, so the next start finds them equal.
  const CollectionDef made = DefOf(**c);
  if (EncodeCollectionDef(made) != EncodeCollectionDef(def)) {
    Status s = store_->UpdateCollection(made);
    if (!s.ok()) {
      spdlog::warn(
          "catalog: '{}' created; its definition in the catalog is "
          "completed at the next start: {}",
          config.name, s.ToString());
    }
  }
  return Wrap(std::move(*c));
}

Result<std::shared_ptr<Collection>> BoundDB::GetCollection(
    const std::string& name) {
  PDB_ASSIGN_OR_RETURN(auto c, engine_->GetCollection(name));
  return Wrap(std::move(c));
}

std::vector<CollectionInfo> BoundDB::ListCollections() {
  return engine_->ListCollections();
}

Status BoundDB::DropCollection(const std::string& name) {
  MutexLock lock(&ddl_mu_);
  // The engine's refusals first (an alias, an unknown name), so the store
  // is not changed for a drop the engine would refuse.
  PDB_ASSIGN_OR_RETURN(auto c, engine_->GetCollection(name));
  if (c->config().name != name) {
    return engine_->DropCollection(name);  // its kFailedPrecondition
  }
  Status s = store_->BeginDrop(name);
  if (s.code() == StatusCode::kNotFound) {
    // Dropping already: an earlier drop whose engine half failed.
    PDB_ASSIGN_OR_RETURN(auto defs, store_->ListCollections());
    bool dropping = false;
    for (const auto& d : defs) {
      dropping |=
          d.config.name == name && d.state == CollectionDef::State::kDropping;
    }
    if (!dropping) return s;
  } else if (!s.ok()) {
    return s;
  }
  PDB_RETURN_IF_ERROR(engine_->DropCollection(name));
  return store_->FinishDrop(name);
}

Status BoundDB::UpdateAliases(const std::vector<AliasAction>& actions) {
  MutexLock lock(&ddl_mu_);
  PDB_RETURN_IF_ERROR(store_->UpdateAliases(actions));
  Status s = engine_->UpdateAliases(actions);
  if (!s.ok()) {
    // The store has them: bring the engine to the store's aliases.
    Status sync = ReconcileAliases();
    if (!sync.ok()) {
      spdlog::error(
          "catalog: aliases differ from the catalog until the next "
          "start: {}",
          sync.ToString());
      return s;
    }
  }
  return Status::OK();
}

std::vector<AliasInfo> BoundDB::ListAliases() { return engine_->ListAliases(); }

Status BoundDB::FlushAll() { return engine_->FlushAll(); }

Result<std::vector<QuarantineEntry>> BoundDB::ListQuarantine() {
  return engine_->ListQuarantine();
}

Result<uint64_t> BoundDB::ClearQuarantine(const std::string& id) {
  return engine_->ClearQuarantine(id);
}

Result<SnapshotInfo> BoundDB::CreateSnapshot(const std::string& collection,
                                             SnapshotTarget target) {
  return engine_->CreateSnapshot(collection, target);
}

Result<std::vector<SnapshotInfo>> BoundDB::ListSnapshots(
    const std::string& collection) {
  return engine_->ListSnapshots(collection);
}

Result<SnapshotInfo> BoundDB::GetSnapshot(const std::string& collection,
                                          const std::string& id) {
  return engine_->GetSnapshot(collection, id);
}

Status BoundDB::DeleteSnapshot(const std::string& collection,
                               const std::string& id) {
  return engine_->DeleteSnapshot(collection, id);
}

Result<RestoreResult> BoundDB::AfterRestore(Result<RestoreResult> r,
                                            const std::string& target,
                                            bool existed) {
  if (!r.ok()) return r;
  Status s = RecordFromEngine(target, existed);
  if (s.ok()) return r;
  if (existed) {
    // The data is the restored one; the store's definition catches up at
    // the next start (Reconcile takes the data's shape).
    spdlog::error(
        "catalog: restored '{}' but could not update its catalog "
        "entry: {}",
        target, s.ToString());
    return r;
  }
  Status undo = engine_->DropCollection(target);
  if (!undo.ok()) {
    spdlog::error("catalog: could not undo the restore of '{}': {}", target,
                  undo.ToString());
  }
  return s;
}

Result<RestoreResult> BoundDB::RestoreSnapshot(const std::string& collection,
                                               const std::string& id,
                                               const RestoreOptions& options) {
  MutexLock lock(&ddl_mu_);
  const bool existed = engine_->GetCollection(options.target_collection).ok();
  return AfterRestore(engine_->RestoreSnapshot(collection, id, options),
                      options.target_collection, existed);
}

Result<RestoreResult> BoundDB::RestorePointInTime(
    const std::string& collection, const PointInTimeOptions& options) {
  MutexLock lock(&ddl_mu_);
  const bool existed = engine_->GetCollection(options.target_collection).ok();
  return AfterRestore(engine_->RestorePointInTime(collection, options),
                      options.target_collection, existed);
}

Result<SnapshotInfo> BoundDB::CreateDatabaseSnapshot(SnapshotTarget target) {
  return engine_->CreateDatabaseSnapshot(target);
}

Status BoundDB::UpdateDef(const std::string& name,
                          const std::function<void(CollectionDef*)>& change,
                          const std::function<Status()>& apply) {
  MutexLock lock(&ddl_mu_);
  PDB_ASSIGN_OR_RETURN(auto c, engine_->GetCollection(name));
  CollectionDef def = DefOf(*c);
  change(&def);
  PDB_RETURN_IF_ERROR(store_->UpdateCollection(def));
  Status s = apply();
  if (!s.ok()) {
    // The engine refused (e.g. an index of another type): the store goes
    // back to what the engine has.
    Status back = store_->UpdateCollection(DefOf(*c));
    if (!back.ok()) {
      spdlog::error(
          "catalog: '{}' differs from the catalog until the next "
          "start: {}",
          name, back.ToString());
    }
  }
  return s;
}

Result<MigrationStatus> BoundDB::ChangeShape(
    const std::string& name,
    const std::function<Result<MigrationStatus>()>& apply) {
  MutexLock lock(&ddl_mu_);
  Result<MigrationStatus> r = apply();
  if (!r.ok()) return r;
  Status s = RecordFromEngine(name, /*exists=*/true);
  if (!s.ok()) {
    spdlog::error(
        "catalog: the layout of '{}' changed but the catalog could not be "
        "updated ({}); the next start writes it there",
        name, s.ToString());
  }
  return r;
}

}  // namespace proximadb::cluster
