#include "collection/db_impl.h"

#include <algorithm>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

#include "storage/catalog/alias_manifest.h"
#include "storage/object/local_object_store.h"
#include "storage/object/s3_object_store.h"

namespace proximadb {

namespace {

std::string RandomSuffix() {
  static Mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  MutexLock lock(&mu);
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016llx",
                static_cast<unsigned long long>(rng()));
  return std::string(buf, 8);
}

}  // namespace

Result<std::unique_ptr<DB>> DB::Open(const DBOptions& options,
                                     const std::string& dir) {
  PDB_ASSIGN_OR_RETURN(auto db, DBImpl::OpenImpl(options, dir));
  return std::unique_ptr<DB>(std::move(db));
}

DBImpl::DBImpl(const DBOptions& options, std::string dir)
    : options_(options),
      dir_(std::move(dir)),
      collections_dir_(dir_ + "/collections"),
      layout_(options.env ? options.env : Env::Default(), dir_,
              options.data_directories, options.wal_directory) {
  if (!options_.env) options_.env = Env::Default();
  if (!options_.clock) options_.clock = Clock::Real();
  builds_ = std::make_unique<BackgroundQueue>(options_.background_threads);
  if (options_.background_io_bytes_per_s > 0) {
    io_budget_ = std::make_shared<IoBudget>(options_.background_io_bytes_per_s);
  }
  memory_ = std::make_shared<MemoryBudget>(options_.memory_limit_bytes);
  // Under memory pressure the flusher runs at once, not at its next pass.
  memory_->set_on_pressure([this] {
    MutexLock lock(&bg_mu_);
    if (!flush_now_) {
      flush_now_ = true;
      bg_cv_.SignalAll();
    }
  });
}

Result<std::shared_ptr<object::ObjectStore>> DBImpl::NewObjectStore() const {
  const TieringOptions& t = options_.tiering;
  if (options_.object_store) {
    // Not owned: an empty deleter.
    return std::shared_ptr<object::ObjectStore>(options_.object_store,
                                                [](object::ObjectStore*) {});
  }
  if (!t.s3_bucket.empty()) {
    object::S3Options o;
    o.endpoint = t.s3_endpoint;
    o.region = t.s3_region;
    o.bucket = t.s3_bucket;
    o.prefix = t.s3_prefix;
    o.access_key = t.s3_access_key;
    o.secret_key = t.s3_secret_key;
    o.upload_concurrency = static_cast<int>(t.upload_concurrency);
    auto store = object::S3ObjectStore::Open(std::move(o), options_.env);
    if (!store.ok()) {
      return Status(store.status().code(),
                    "[tiering] object store: " + store.status().message());
    }
    return std::shared_ptr<object::ObjectStore>(std::move(store).value());
  }
  if (!t.local_object_directory.empty()) {
    PDB_ASSIGN_OR_RETURN(
        auto store,
        object::LocalObjectStore::Open(options_.env, t.local_object_directory));
    return std::shared_ptr<object::ObjectStore>(std::move(store));
  }
  return std::shared_ptr<object::ObjectStore>();
}

Status DBImpl::CheckObjectStore() {
  PDB_ASSIGN_OR_RETURN(auto store, NewObjectStore());
  if (store) spdlog::info("cold tier: object store {}", store->Describe());
  return Status::OK();
}

Result<CollectionDeps> DBImpl::Deps() {
  PDB_ASSIGN_OR_RETURN(auto objects, NewObjectStore());
  return CollectionDeps{options_.env, options_.clock,     catalog_.get(),
                        &options_,    builds_.get(),      quarantine_.get(),
                        &layout_,     std::move(objects), io_budget_,
                        memory_};
}

Result<std::unique_ptr<DBImpl>> DBImpl::OpenImpl(
    const DBOptions& options, const std::string& dir,
    std::vector<std::unique_ptr<FileLock>> locks) {
  std::unique_ptr<DBImpl> db(new DBImpl(options, dir));
  // Before anything reads the directory: a second server must not replay
  // (or repair) what a running one is writing.
  if (locks.empty()) {
    PDB_ASSIGN_OR_RETURN(locks, db->layout_.LockRoots());
  }
  db->dir_locks_ = std::move(locks);
  PDB_RETURN_IF_ERROR(db->CheckObjectStore());
  PDB_RETURN_IF_ERROR(db->Recover());
  PDB_RETURN_IF_ERROR(db->RemoveRestoreStaging());  // db_snapshot.cc
  db->StartBackgroundRecovery();                    // db_recover.cc
  if (db->options_.background_threads) {
    DBImpl* d = db.get();
    const uint32_t every = d->options_.flush_check_interval_ms;
    db->flush_thread_ = std::thread([d, every] {
      d->EveryInterval(
          every, [d] { d->RunFlushCycle(); }, &d->flush_now_);
    });
    // Compaction is never urgent: it looks less often than the flusher.
    db->compact_thread_ = std::thread([d, every] {
      d->EveryInterval(every * 5, [d] {
        d->RunCompactionCycle();
        d->RunTieringCycle();
      });
    });
    db->archive_thread_ = std::thread(
        [d, every] { d->EveryInterval(every, [d] { d->RunArchiveCycle(); }); });
  }
  return db;
}

DBImpl::~DBImpl() {
  memory_->set_on_pressure(nullptr);  // handles may outlive this DB
  // Collections still recovering stay as they are on disk: the next start
  // recovers them (the one being replayed finishes first).
  stop_recovery_ = true;
  if (recovery_thread_.joinable()) recovery_thread_.join();
  {
    MutexLock lock(&bg_mu_);
    stop_ = true;
  }
  bg_cv_.SignalAll();
  if (flush_thread_.joinable()) flush_thread_.join();
  if (compact_thread_.joinable()) compact_thread_.join();
  if (archive_thread_.joinable()) archive_thread_.join();
  {
    // Migration workers first: they wait for queued builds. A running
    // build stops at its next poll.
    MutexLock lock(&mu_);
    for (auto& [name, c] : collections_) c->StopBackgroundWork();
  }
  builds_.reset();  // drops queued builds, waits for the running one
  MutexLock lock(&mu_);
  collections_.clear();
}

Result<std::shared_ptr<Collection>> DBImpl::CreateCollection(
    const CollectionConfig& config) {
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  if (config.shard_count > 1 || config.replication_factor > 1) {
    return Status::InvalidArgument(
        "shard_count and replication_factor above 1 need cluster mode "
        "([cluster] enabled = true, docs/CLUSTER.md); this server runs "
        "single-node");
  }
  PDB_ASSIGN_OR_RETURN(CollectionDeps deps, Deps());
  MutexLock lock(&mu_);
  if (collections_.count(config.name)) {
    return Status::AlreadyExists("collection '" + config.name +
                                 "' already exists");
  }
  if (auto u = unavailable_.find(config.name); u != unavailable_.end()) {
    return Status::AlreadyExists(
        "collection '" + config.name + "' already exists (" +
        std::string(CollectionStateName(u->second.state)) + ")");
  }
  if (auto a = aliases_.find(config.name); a != aliases_.end()) {
    return Status::AlreadyExists(
        "'" + config.name + "' is an alias (of collection '" + a->second +
        "'); aliases and collections share one namespace");
  }
  CollectionRecord rec;
  rec.config = config;
  rec.dir_name = config.name + "-" + RandomSuffix();
  rec.created_at_unix_ms = options_.clock->NowMicros() / 1000;
  rec.fenced_seq = 0;
  rec.next_segment_id = 1;
  rec.wal_root = layout_.new_wal_root();
  // Committed with the collection (one catalog transaction).
  rec.payload_indexes = ColumnPayloadIndexes(config.filterable_columns);
  const std::string cdir = collections_dir_ + "/" + rec.dir_name;
  const std::string wal_cdir =
      layout_.CollectionDir(rec.wal_root, rec.dir_name);
  // The directory with its first WAL file first, then the catalog row that
  // makes the collection exist, then its manifest (Open). Nothing of the
  // collection is served unless all three succeed.
  Status s =
      PrepareCollectionDir(cdir, rec.wal_root, rec.dir_name, config.wal_format);
  if (!s.ok()) {
    // Not committed: the directories are this call's own, and nothing else.
    for (const std::string& d : {wal_cdir, cdir}) {
      if (!options_.env->IsDirectory(d)) continue;
      (void)options_.env->RemoveDirRecursively(d);
      (void)options_.env->SyncDir(d.substr(0, d.rfind('/')));
    }
    return s;
  }
  s = catalog_->CreateCollection(rec);
  if (!s.ok()) {
    // A failed commit may still have reached the catalog's log, and a crash
    // now would make it count: keep the directory until a later commit
    // proves it unreferenced (or start-up finds it unlisted).
    if (wal_cdir != cdir) uncommitted_dirs_.push_back(wal_cdir);
    uncommitted_dirs_.push_back(cdir);
    spdlog::warn(
        "create collection {}: catalog commit failed ({}); keeping "
        "{} until the outcome is known",
        config.name, s.ToString(), cdir);
    return s;
  }
  deps.catalog = catalog_.get();
  auto c = CollectionImpl::Open(deps, rec, cdir);
  if (!c.ok()) {
    // Committed but not servable: take the commit back, so that the error
    // the caller sees is the whole truth.
    Status undo = catalog_->DropCollection(config.name);
    if (undo.ok()) {
      (void)RemoveCollectionDirs(rec.dir_name, layout_.secondary_roots());
    } else {
      spdlog::error(
          "create collection {}: committed but could not be opened "
          "({}), and the commit could not be taken back ({}); it "
          "is recovered at the next start",
          config.name, c.status().ToString(), undo.ToString());
    }
    return c.status();
  }
  RemoveUncommittedDirsLocked();
  collections_[config.name] = c.value();
  spdlog::info("created collection {} (dimension {}, {})", config.name,
               config.dimension, MetricName(config.metric));
  return std::shared_ptr<Collection>(std::move(c).value());
}

void DBImpl::RemoveUncommittedDirsLocked() {
  // A catalog commit just succeeded, so no earlier failed one can still
  // take effect: directories kept for those are unreferenced now.
  for (auto it = uncommitted_dirs_.begin(); it != uncommitted_dirs_.end();) {
    Status s = options_.env->RemoveDirRecursively(*it);
    if (s.ok()) {
      spdlog::info("removed {}, left by a failed catalog commit", *it);
      it = uncommitted_dirs_.erase(it);
    } else {
      ++it;
    }
  }
}

Status DBImpl::PrepareCollectionDir(const std::string& cdir,
                                    const std::string& wal_root,
                                    const std::string& dir_name,
                                    WalFormat fmt) {
  Env* env = options_.env;
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(cdir));
  PDB_RETURN_IF_ERROR(
      env->CreateDirIfMissing(cdir + "/" + std::string(kSegmentsDirName)));
  // wal-<1>.log, durably: a listed collection always has the WAL file that
  // holds the writes after its fence (0 here).
  const std::string wal_dir = layout_.WalDir(wal_root, dir_name);
  PDB_RETURN_IF_ERROR(CreateDirsDurably(env, layout_.Root(wal_root), wal_dir));
  PDB_ASSIGN_OR_RETURN(auto wal, wal::WalWriter::Open(env, wal_dir, fmt, 1));
  PDB_RETURN_IF_ERROR(wal->Close());
  PDB_RETURN_IF_ERROR(env->SyncDir(cdir));
  return env->SyncDir(collections_dir_);
}

Status DBImpl::RemoveCollectionDirs(const std::string& dir_name,
                                    const std::vector<std::string>& roots) {
  Env* env = options_.env;
  Status first;
  for (const std::string& root : roots) {
    const std::string d = layout_.CollectionDir(root, dir_name);
    if (root.empty() || !env->IsDirectory(d)) continue;
    Status s = env->RemoveDirRecursively(d);
    if (s.ok()) s = env->SyncDir(layout_.Root(root) + "/collections");
    if (!s.ok() && first.ok()) first = s;
  }
  // The main directory last: its drop marker says the others may go.
  if (!first.ok()) return first;
  const std::string main = collections_dir_ + "/" + dir_name;
  if (env->IsDirectory(main))
    PDB_RETURN_IF_ERROR(env->RemoveDirRecursively(main));
  return env->SyncDir(collections_dir_);
}

Result<std::shared_ptr<Collection>> DBImpl::GetCollection(
    const std::string& name) {
  MutexLock lock(&mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    // The one place aliases resolve: every API operation that takes a
    // collection name comes here (VectorService::Open).
    auto a = aliases_.find(name);
    if (a != aliases_.end()) {
      it = collections_.find(a->second);
      PDB_RETURN_IF_ERROR(UnavailableStatusLocked(a->second));
    }
  }
  if (it == collections_.end()) {
    PDB_RETURN_IF_ERROR(UnavailableStatusLocked(name));
    return Status::NotFound("collection '" + name + "' not found");
  }
  return std::shared_ptr<Collection>(it->second);
}

std::vector<CollectionInfo> DBImpl::ListCollections() {
  std::vector<CollectionInfo> out;
  for (const auto& c : Snapshot()) out.push_back(c->Info());
  {
    MutexLock lock(&mu_);
    for (const auto& [name, u] : unavailable_) {
      CollectionInfo info;
      info.config = u.record.config;
      info.created_at_unix_ms = u.record.created_at_unix_ms;
      info.state = u.state;
      info.state_message = UnavailableStatusLocked(name).message();
      out.push_back(std::move(info));
    }
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.config.name < b.config.name;
  });
  return out;
}

Status DBImpl::DropCollection(const std::string& name) {
  std::shared_ptr<CollectionImpl> c;
  {
    MutexLock lock(&mu_);
    auto it = collections_.find(name);
    if (it == collections_.end()) {
      if (auto a = aliases_.find(name); a != aliases_.end()) {
        return Status::FailedPrecondition(
            "'" + name + "' is an alias (of collection '" + a->second +
            "'): drop the collection by its own name, or delete the alias");
      }
      if (auto u = unavailable_.find(name); u != unavailable_.end()) {
        if (u->second.state == CollectionState::kRecovering) {
          return UnavailableStatusLocked(name);
        }
        lock.Unlock();
        return DropFenced(name);
      }
      return Status::NotFound("collection '" + name + "' not found");
    }
    // The marker makes the directory deletable if a crash comes between
    // the commit and the deletion; without the commit it is taken back.
    const std::string marker =
        it->second->dir() + "/" + std::string(kDroppedMarker);
    Status s = options_.env->WriteFileAtomically(
        marker, "dropped at unix ms " +
                    std::to_string(options_.clock->NowMicros() / 1000) + "\n");
    if (!s.ok()) {
      // No commit was attempted: take the marker back (best effort; a
      // marker beside a listed collection is removed at the next start).
      if (options_.env->FileExists(marker)) {
        (void)options_.env->RemoveFile(marker);
        (void)options_.env->SyncDir(it->second->dir());
      }
      return s;
    }
    s = catalog_->DropCollection(name);
    if (!s.ok()) {
      // The commit failed but may still take effect after a crash; the
      // marker stays so that the next start can tell either way: listed,
      // the collection is kept (and the marker removed); unlisted, the
      // directory is deleted.
      spdlog::warn("collection {}: the drop failed ({}); the collection stays",
                   name, s.ToString());
      return s;
    }
    RemoveUncommittedDirsLocked();
    c = it->second;
    collections_.erase(it);
    // The commit dropped the collection's aliases too (ON DELETE CASCADE).
    bool had_aliases = false;
    for (auto a = aliases_.begin(); a != aliases_.end();) {
      if (a->second == name) {
        spdlog::info("alias {} deleted with collection {}", a->first, name);
        a = aliases_.erase(a);
        had_aliases = true;
      } else {
        ++a;
      }
    }
    if (had_aliases) {
      // Written while the directory still exists: a crash before it leaves
      // the manifest naming a dropped directory, which a rebuild skips.
      s = WriteAliasManifestLocked();
      if (!s.ok()) {
        spdlog::error(
            "collection {} dropped; {} could not be rewritten ({}): it is "
            "rewritten at the next start",
            name, catalog::kAliasManifestFileName, s.ToString());
      }
    }
  }
  c->MarkDropped();  // waits for calls in flight
  Status s = RemoveCollectionDirs(c->dir_name(), c->Roots());
  if (!s.ok()) {
    // The catalog no longer lists it: the next start removes the directory.
    spdlog::warn("collection {} dropped but its files remain: {}", name,
                 s.ToString());
  }
  s = c->DeleteColdObjects();
  if (!s.ok()) {
    spdlog::warn(
        "collection {} dropped but objects of its cold segments "
        "remain: {}",
        name, s.ToString());
  }
  spdlog::info("dropped collection {}", name);
  return Status::OK();
}

Status DBImpl::FlushAll() {
  Status first;
  for (const auto& c : Snapshot()) {
    Status s = c->Flush();
    if (!s.ok() && first.ok()) first = s;
  }
  return first;
}

std::vector<std::shared_ptr<CollectionImpl>> DBImpl::Snapshot() {
  MutexLock lock(&mu_);
  std::vector<std::shared_ptr<CollectionImpl>> out;
  for (const auto& [name, c] : collections_) out.push_back(c);
  return out;
}

std::vector<std::string> DBImpl::RunFlushCycle() {
  struct Due {
    std::shared_ptr<CollectionImpl> c;
    FlushCheck check;
  };
  std::vector<Due> due;
  for (auto& c : Snapshot()) {
    c->TrimWalIfDue();
    FlushCheck check = c->CheckFlush();
    if (check.due) due.push_back({c, check});
  }
  std::stable_sort(due.begin(), due.end(), [](const Due& a, const Due& b) {
    return a.check.priority > b.check.priority;
  });
  std::vector<std::string> flushed;
  for (auto& d : due) {
    std::string name = d.c->config().name;
    Status s = d.c->Flush();
    if (s.ok()) {
      flushed.push_back(name);
    } else if (!s.IsNotFound()) {
      spdlog::error("flush of {} ({} trigger) failed: {}", name, d.check.reason,
                    s.ToString());
    }
  }
  return flushed;
}

std::vector<std::string> DBImpl::RunCompactionCycle() {
  std::vector<std::string> done;
  if (!options_.compaction_enabled) return done;
  for (auto& c : Snapshot()) {
    std::string name = c->config().name;
    auto r = c->CompactIfWanted();
    if (r.ok() && *r) {
      done.push_back(name);
    } else if (!r.ok() && !r.status().IsNotFound()) {
      spdlog::error("compaction of {} failed: {}", name, r.status().ToString());
    }
    // viper's adaptive rule: graphs over large old segments.
    auto grown = c->GrowGraphsIfWanted();
    if (!grown.ok() && !grown.status().IsNotFound()) {
      spdlog::error("adaptive graphs of {}: {}", name,
                    grown.status().ToString());
    }
  }
  return done;
}

std::vector<std::string> DBImpl::RunTieringCycle() {
  std::vector<std::string> moved;
  for (auto& c : Snapshot()) {
    std::string name = c->config().name;
    Result<uint64_t> r = c->TierByAge();
    if (r.ok() && *r > 0) {
      moved.push_back(name);
    } else if (!r.ok() && !r.status().IsNotFound()) {
      spdlog::error("tiering of {} failed: {}", name, r.status().ToString());
    }
  }
  return moved;
}

void DBImpl::EveryInterval(uint32_t interval_ms,
                           const std::function<void()>& pass, bool* now) {
  MutexLock lock(&bg_mu_);
  while (!stop_) {
    const auto deadline = std::chrono::steady_clock::now() +
                          std::chrono::milliseconds(interval_ms);
    while (!stop_ && !(now != nullptr && *now) &&
           bg_cv_.WaitUntil(&bg_mu_, deadline)) {
    }
    if (stop_) break;
    if (now != nullptr) *now = false;
    lock.Unlock();
    pass();
    lock.Lock();
  }
}

}  // namespace proximadb
