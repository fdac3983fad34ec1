#include "collection/db_impl.h"

#include <algorithm>
#include <random>
#include <set>

#include <spdlog/spdlog.h>

namespace proximadb {

namespace {

std::string RandomSuffix() {
  static std::mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  std::lock_guard lock(mu);
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
      collections_dir_(dir_ + "/collections") {
  if (!options_.env) options_.env = Env::Default();
  if (!options_.clock) options_.clock = Clock::Real();
  builds_ = std::make_unique<BackgroundQueue>(options_.background_threads);
}

CollectionDeps DBImpl::Deps() {
  return CollectionDeps{options_.env, options_.clock, catalog_.get(), &options_,
                        builds_.get()};
}

Result<std::unique_ptr<DBImpl>> DBImpl::OpenImpl(const DBOptions& options,
                                                 const std::string& dir) {
  std::unique_ptr<DBImpl> db(new DBImpl(options, dir));
  PDB_RETURN_IF_ERROR(db->Recover());
  if (db->options_.background_threads) {
    db->flush_thread_ = std::thread([d = db.get()] { d->FlushLoop(); });
    db->compact_thread_ = std::thread([d = db.get()] { d->CompactLoop(); });
  }
  return db;
}

Status DBImpl::Recover() {
  Env* env = options_.env;
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(dir_));
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(collections_dir_));
  PDB_ASSIGN_OR_RETURN(catalog_, Catalog::Open(dir_ + "/catalog.db"));
  PDB_ASSIGN_OR_RETURN(auto records, catalog_->LoadAll());
  std::set<std::string> known;
  for (const auto& rec : records) {
    known.insert(rec.dir_name);
    auto c = CollectionImpl::Open(Deps(), rec,
                                  collections_dir_ + "/" + rec.dir_name);
    if (!c.ok()) {
      return Status(c.status().code(), "recovering collection '" +
                                           rec.config.name +
                                           "': " + c.status().message());
    }
    collections_[rec.config.name] = std::move(c).value();
  }
  // A directory the catalog does not know is what a crash left between
  // creating it and committing the collection, or after dropping it.
  PDB_ASSIGN_OR_RETURN(auto children, env->GetChildren(collections_dir_));
  for (const auto& name : children) {
    if (known.count(name) == 0) {
      spdlog::info("removing stray collection directory {}", name);
      PDB_RETURN_IF_ERROR(
          env->RemoveDirRecursively(collections_dir_ + "/" + name));
    }
  }
  return Status::OK();
}

DBImpl::~DBImpl() {
  {
    std::lock_guard lock(bg_mu_);
    stop_ = true;
  }
  bg_cv_.notify_all();
  if (flush_thread_.joinable()) flush_thread_.join();
  if (compact_thread_.joinable()) compact_thread_.join();
  builds_.reset();  // drops queued builds, waits for the running one
  std::lock_guard lock(mu_);
  collections_.clear();
}

Result<std::shared_ptr<Collection>> DBImpl::CreateCollection(
    const CollectionConfig& config) {
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(config));
  std::lock_guard lock(mu_);
  if (collections_.count(config.name)) {
    return Status::AlreadyExists("collection '" + config.name +
                                 "' already exists");
  }
  CollectionRecord rec;
  rec.config = config;
  rec.dir_name = config.name + "-" + RandomSuffix();
  rec.created_at_unix_ms = options_.clock->NowMicros() / 1000;
  rec.fenced_seq = 0;
  rec.next_segment_id = 1;
  const std::string cdir = collections_dir_ + "/" + rec.dir_name;
  // Every file of the new collection exists before the catalog row that
  // makes the collection exist is committed: the commit is the last step
  // that can fail, and an error then means no collection (see RELIABILITY.md
  // for a commit whose outcome is unknown).
  Env* env = options_.env;
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(cdir));
  auto c = CollectionImpl::Open(Deps(), rec, cdir);
  Status s = c.ok() ? env->SyncDir(collections_dir_) : c.status();
  if (!s.ok()) {
    if (c.ok()) (*c)->MarkDropped();  // closes its WAL
    // Nothing was committed: these files are ours to remove.
    Status rm = env->RemoveDirRecursively(cdir);
    if (!rm.ok()) {
      spdlog::warn("create collection {} failed; its directory {} remains: {}",
                   config.name, cdir, rm.ToString());
    }
    return s;
  }
  s = catalog_->CreateCollection(rec);
  if (!s.ok()) {
    (*c)->MarkDropped();
    // A failed commit may still have reached the catalog's log, and a crash
    // now would make it count: keep the directory until a later commit
    // proves it unreferenced (or start-up finds it unlisted).
    uncommitted_dirs_.push_back(cdir);
    spdlog::warn("create collection {}: catalog commit failed ({}); keeping "
                 "{} until the outcome is known",
                 config.name, s.ToString(), cdir);
    return s;
  }
  RemoveUncommittedDirs();
  collections_[config.name] = c.value();
  spdlog::info("created collection {} (dimension {}, {})", config.name,
               config.dimension, MetricName(config.metric));
  return std::shared_ptr<Collection>(std::move(c).value());
}

void DBImpl::RemoveUncommittedDirs() {
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

Result<std::shared_ptr<Collection>> DBImpl::GetCollection(
    const std::string& name) {
  std::lock_guard lock(mu_);
  auto it = collections_.find(name);
  if (it == collections_.end()) {
    return Status::NotFound("collection '" + name + "' not found");
  }
  return std::shared_ptr<Collection>(it->second);
}

std::vector<CollectionInfo> DBImpl::ListCollections() {
  std::vector<CollectionInfo> out;
  for (const auto& c : Snapshot()) out.push_back(c->Info());
  return out;
}

Status DBImpl::DropCollection(const std::string& name) {
  std::shared_ptr<CollectionImpl> c;
  {
    std::lock_guard lock(mu_);
    auto it = collections_.find(name);
    if (it == collections_.end()) {
      return Status::NotFound("collection '" + name + "' not found");
    }
    PDB_RETURN_IF_ERROR(catalog_->DropCollection(name));
    RemoveUncommittedDirs();
    c = it->second;
    collections_.erase(it);
  }
  c->MarkDropped();  // waits for calls in flight
  Status s = options_.env->RemoveDirRecursively(c->dir());
  if (s.ok()) s = options_.env->SyncDir(collections_dir_);
  if (!s.ok()) {
    // The catalog no longer lists it: the next start removes the directory.
    spdlog::warn("collection {} dropped but its files remain: {}", name,
                 s.ToString());
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
  std::lock_guard lock(mu_);
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
  }
  return done;
}

void DBImpl::FlushLoop() {
  std::unique_lock lock(bg_mu_);
  while (!stop_) {
    bg_cv_.wait_for(lock,
                    std::chrono::milliseconds(options_.flush_check_interval_ms),
                    [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    RunFlushCycle();
    lock.lock();
  }
}

void DBImpl::CompactLoop() {
  std::unique_lock lock(bg_mu_);
  while (!stop_) {
    // Compaction is never urgent: look less often than the flusher.
    bg_cv_.wait_for(
        lock, std::chrono::milliseconds(options_.flush_check_interval_ms * 5),
        [&] { return stop_; });
    if (stop_) break;
    lock.unlock();
    RunCompactionCycle();
    lock.lock();
  }
}

}  // namespace proximadb
