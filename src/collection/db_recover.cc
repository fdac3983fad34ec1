// DB start-up: the whole data directory is checked first (catalog rows and
// checksums, every collection's manifest, segments and WAL) while nothing on
// disk changes; only if all of it holds up are the decided changes made:
// quarantining what nobody accounts for, finishing interrupted drops,
// cutting torn WAL tails (a copy kept), writing manifests.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "collection/data_dir.h"
#include "collection/db_impl.h"
#include "storage/catalog/manifest.h"
#include "storage/wal/wal_format.h"

namespace proximadb {

namespace datadir {

std::string NoCatalogMessage(const std::string& data_dir, size_t entries,
                             const std::string& catalog_state) {
  const std::string cat = data_dir + "/" + std::string(kCatalogFile);
  return "data directory " + data_dir + " holds collection data (" +
         std::to_string(entries) + " entries in " + data_dir +
         "/collections) but its catalog " + cat + " is " + catalog_state +
         ". Refusing to start; nothing was changed. Either (a) rebuild the "
         "catalog from the collections' own manifests, offline: "
         "proximadb-server --data-dir " +
         data_dir +
         " --rebuild-catalog, then start as usual; or (b) start with an "
         "empty database: stop, move " +
         data_dir + "/collections and " + cat +
         "* out of the data directory (or use a new --data-dir), and start. "
         "See README, \"Recovery\".";
}

Result<bool> HoldsData(Env* env, const std::string& dir) {
  if (!env->IsDirectory(dir)) return true;
  PDB_ASSIGN_OR_RETURN(auto names, env->GetChildren(dir));
  for (const std::string& name : names) {
    const std::string path = dir + "/" + name;
    if (name == "wal" && env->IsDirectory(path)) {
      PDB_ASSIGN_OR_RETURN(auto wals, env->GetChildren(path));
      for (const std::string& w : wals) {
        auto size = env->GetFileSize(path + "/" + w);
        if (!wal::ParseWalFileName(w) || !size.ok() ||
            *size > wal::kFileHeaderSize) {
          return true;
        }
      }
    } else if (name == "segments" && env->IsDirectory(path)) {
      PDB_ASSIGN_OR_RETURN(auto segs, env->GetChildren(path));
      if (!segs.empty()) return true;
    } else {
      return true;
    }
  }
  return false;
}

}  // namespace datadir

namespace {

// Runs fn(0..n-1), each index once, on up to one thread per core (at most
// 8: recovery is as much I/O as CPU).
template <typename Fn>
void RecoverInParallel(size_t n, Fn&& fn) {
  const size_t threads = std::min<size_t>(
      {n, std::max(1u, std::thread::hardware_concurrency()), size_t{8}});
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < n;) fn(i);
  };
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (std::thread& t : pool) t.join();
}

Result<std::vector<std::string>> ChildrenIfAny(Env* env,
                                               const std::string& dir) {
  if (!env->IsDirectory(dir)) return std::vector<std::string>();
  return env->GetChildren(dir);
}

}  // namespace

Result<std::vector<DBImpl::Unlisted>> DBImpl::CheckUnlisted(
    const std::vector<std::string>& entries,
    const std::vector<CollectionRecord>& records) {
  Env* env = options_.env;
  std::set<std::string> known;
  for (const auto& rec : records) known.insert(rec.dir_name);
  std::vector<Unlisted> out;
  for (const std::string& name : entries) {
    if (known.count(name)) continue;
    const std::string path = collections_dir_ + "/" + name;
    if (!env->IsDirectory(path)) {
      out.push_back({path, false,
                     "a file in collections/, which holds only "
                     "collection directories"});
      continue;
    }
    if (env->FileExists(path + "/" + std::string(kDroppedMarker))) {
      out.push_back({path, true, ""});  // the drop committed: finish it
      continue;
    }
    const std::string manifest =
        path + "/" + std::string(catalog::kManifestFileName);
    if (env->FileExists(RestoreMarkPath(name))) {
      // A restore moved it here but its commit did not happen or was taken
      // back (db_snapshot.cc): nothing lists it, whatever it holds.
      out.push_back({path, false,
                     "collection directory of a snapshot restore that did "
                     "not commit"});
      continue;
    }
    if (env->FileExists(manifest)) {
      // Written only after the collection's creation committed: the
      // catalog has lost that collection.
      PDB_ASSIGN_OR_RETURN(std::string data, env->ReadFileToString(manifest));
      auto m = catalog::DecodeManifest(data, manifest);
      const std::string what =
          m.ok() ? "collection '" + m->config.name + "' (fence " +
                       std::to_string(m->fenced_seq) + ", " +
                       std::to_string(m->segments.size()) + " segments)"
                 : "a collection manifest (" + m.status().message() + ")";
      return Status::FailedPrecondition(
          "directory " + path + " holds " + what +
          ", which the catalog does not list: the catalog has lost committed "
          "changes. Nothing was changed. Rebuild the catalog from the "
          "collections' manifests: proximadb-server --data-dir " +
          dir_ + " --rebuild-catalog (README, \"Recovery\").");
    }
    out.push_back({path, false,
                   "collection directory the catalog does not list, without "
                   "a manifest (a collection creation that did not commit)"});
  }
  return out;
}

std::vector<std::string> DBImpl::SecondaryRoots(
    const std::vector<CollectionRecord>& records) const {
  RootList out(layout_.secondary_roots());
  for (const auto& rec : records) out.AddRecord(rec, /*wal_root=*/true);
  out.DropMain();
  return out.roots();
}

Result<std::vector<DBImpl::Unlisted>> DBImpl::CheckUnlistedElsewhere(
    const std::vector<CollectionRecord>& records) {
  Env* env = options_.env;
  std::set<std::string> known;
  for (const auto& rec : records) known.insert(rec.dir_name);
  std::vector<Unlisted> out;
  for (const std::string& root : SecondaryRoots(records)) {
    const std::string cdir = root + "/collections";
    PDB_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                         ChildrenIfAny(env, cdir));
    for (const std::string& name : entries) {
      if (known.count(name)) continue;
      const std::string path = cdir + "/" + name;
      const std::string marker =
          collections_dir_ + "/" + name + "/" + std::string(kDroppedMarker);
      if (env->IsDirectory(path) && env->FileExists(marker)) {
        out.push_back({path, true, ""});  // the drop committed: finish it
        continue;
      }
      out.push_back({path, false,
                     "entry of " + cdir +
                         " that belongs to no collection the catalog lists "
                         "(a collection creation that did not commit, or a "
                         "file put there by hand)"});
    }
  }
  return out;
}

Status DBImpl::Recover() {
  Env* env = options_.env;
  quarantine_ = std::make_unique<Quarantine>(env, options_.clock, dir_);
  const std::string cat_path = dir_ + "/" + std::string(datadir::kCatalogFile);
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> entries,
                       ChildrenIfAny(env, collections_dir_));

  // 1. Check. The catalog is read from a private in-memory copy, so that
  // neither a migration nor SQLite's checkpoint-on-close changes the file
  // before the rest of the directory has been checked.
  std::vector<CollectionRecord> records;
  std::vector<AliasInfo> aliases;
  {
    auto snap = Catalog::OpenSnapshot(cat_path);
    if (!snap.ok()) {
      if (!snap.status().IsNotFound() && entries.empty()) {
        return Status(snap.status().code(),
                      "catalog " + cat_path + " is unreadable (" +
                          snap.status().message() +
                          "). Refusing to start; nothing was changed. No "
                          "collection data depends on it: move it out of "
                          "the data directory to start with an empty "
                          "database.");
      }
      if (!snap.status().IsNotFound()) {
        return Status(snap.status().code(),
                      datadir::NoCatalogMessage(
                          dir_, entries.size(),
                          "unreadable (" + snap.status().message() + ")"));
      }
      if (!entries.empty()) {
        return Status::FailedPrecondition(
            datadir::NoCatalogMessage(dir_, entries.size(), "missing"));
      }
    } else {
      if ((*snap)->original_schema_version() == 0 && !entries.empty()) {
        return Status::FailedPrecondition(datadir::NoCatalogMessage(
            dir_, entries.size(), "empty (it holds no tables)"));
      }
      Result<std::vector<CollectionRecord>> loaded = (*snap)->LoadAll();
      if (!loaded.ok()) {
        return Status(loaded.status().code(),
                      loaded.status().message() +
                          ". Refusing to start; nothing was changed. "
                          "If the catalog is damaged, rebuild it from the "
                          "collections' manifests: proximadb-server "
                          "--data-dir " +
                          dir_ + " --rebuild-catalog (README, \"Recovery\").");
      }
      records = std::move(loaded).value();
      Result<std::vector<AliasInfo>> a = (*snap)->LoadAliases();
      if (!a.ok()) {
        return Status(a.status().code(),
                      a.status().message() +
                          ". Refusing to start; nothing was changed. "
                          "If the catalog is damaged, rebuild it from the "
                          "collections' manifests and aliases.manifest: "
                          "proximadb-server --data-dir " +
                          dir_ + " --rebuild-catalog (README, \"Recovery\").");
      }
      aliases = std::move(a).value();
    }
  }
  // Each collection is checked and its WAL replayed on its own, several at
  // a time (or, recover_in_background, after Open returned); with kRefuse
  // the first failure in catalog order is the answer, with kFence the
  // collection is fenced and the others go on.
  const bool fence =
      options_.on_damaged_collection == DBOptions::OnDamagedCollection::kFence;
  if (options_.recover_in_background && !fence) {
    return Status::InvalidArgument(
        "recover_in_background needs on_damaged_collection = fence (a "
        "damage found after start-up can only fence the collection)");
  }
  std::vector<Result<std::shared_ptr<CollectionImpl>>> results(
      records.size(), Status::Internal("not recovered"));
  std::vector<double> seconds(records.size(), 0);
  if (!options_.recover_in_background) {
    RecoverInParallel(records.size(), [&](size_t i) {
      const CollectionRecord& rec = records[i];
      const auto started = std::chrono::steady_clock::now();
      Result<CollectionDeps> deps = Deps();
      results[i] = deps.ok()
                       ? CollectionImpl::Recover(
                             *deps, rec, collections_dir_ + "/" + rec.dir_name)
                       : Result<std::shared_ptr<CollectionImpl>>(deps.status());
      seconds[i] = std::chrono::duration<double>(
                       std::chrono::steady_clock::now() - started)
                       .count();
    });
    for (size_t i = 0; i < records.size(); ++i) {
      const Status& st = results[i].status();
      if (!st.ok() && !fence) {
        return Status(st.code(), "recovering collection '" +
                                     records[i].config.name +
                                     "': " + st.message());
      }
    }
  }
  // Elsewhere first: their drops must finish before the main directory,
  // whose marker proves them, goes.
  PDB_ASSIGN_OR_RETURN(std::vector<Unlisted> unlisted,
                       CheckUnlistedElsewhere(records));
  PDB_ASSIGN_OR_RETURN(std::vector<Unlisted> main_unlisted,
                       CheckUnlisted(entries, records));
  unlisted.insert(unlisted.end(), main_unlisted.begin(), main_unlisted.end());

  // 2. Change. Everything checked out; from here on a failure leaves the
  // changes made so far (each of them complete and durable).
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(dir_));
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(collections_dir_));
  PDB_ASSIGN_OR_RETURN(catalog_, Catalog::Open(cat_path));
  for (const Unlisted& u : unlisted) {
    if (u.dropped) {
      spdlog::info("finishing the drop of {}", u.path);
      PDB_RETURN_IF_ERROR(env->RemoveDirRecursively(u.path));
      PDB_RETURN_IF_ERROR(env->SyncDir(u.path.substr(0, u.path.rfind('/'))));
    } else {
      PDB_RETURN_IF_ERROR(quarantine_->Move(u.path, u.why));
    }
  }
  for (size_t i = 0; i < records.size(); ++i) {
    const std::string& name = records[i].config.name;
    if (options_.recover_in_background) {
      MutexLock lock(&mu_);  // no other thread yet; for the analysis
      unavailable_[name] = Unavailable{records[i], CollectionState::kRecovering,
                                       "", options_.clock->NowMicros()};
      to_recover_.push_back(records[i]);
      continue;
    }
    if (!results[i].ok()) {  // kFence (kRefuse returned above)
      MutexLock lock(&mu_);
      FenceLocked(records[i], results[i].status().ToString());
      continue;
    }
    std::shared_ptr<CollectionImpl> c = std::move(results[i]).value();
    const auto started = std::chrono::steady_clock::now();
    Status s = c->Start(catalog_.get());
    if (!s.ok()) {
      if (!fence) {
        return Status(s.code(),
                      "starting collection '" + name + "': " + s.message());
      }
      MutexLock lock(&mu_);
      FenceLocked(records[i], "starting it failed: " + s.ToString());
      continue;
    }
    const double secs =
        seconds[i] + std::chrono::duration<double>(
                         std::chrono::steady_clock::now() - started)
                         .count();
    c->NoteRecovery(secs);
    spdlog::info("collection {}: recovered in {:.3f} s", name, secs);
    MutexLock lock(&mu_);  // no other thread yet; for the analysis
    collections_[name] = std::move(c);
  }
  {
    MutexLock lock(&mu_);  // no other thread yet; for the analysis
    for (AliasInfo& a : aliases) {
      aliases_[std::move(a.alias)] = std::move(a.collection);
    }
    PDB_RETURN_IF_ERROR(SyncAliasManifestLocked());
  }
  auto count = quarantine_->Count();
  if (count.ok() && *count > 0) {
    spdlog::warn(
        "the quarantine ({}/quarantine) holds {} entries: files start-up "
        "could not account for, kept for inspection; list them with GET "
        "/api/v1/admin/quarantine, delete them with DELETE "
        "/api/v1/admin/quarantine",
        dir_, *count);
  }
  return Status::OK();
}

void DBImpl::FenceLocked(const CollectionRecord& rec, std::string why) {
  while (!why.empty() && (why.back() == '.' || why.back() == ' ')) {
    why.pop_back();
  }
  spdlog::error(
      "collection {} is fenced: {}. Nothing in its directory was changed; "
      "the other collections serve (docs/OPERATIONS.md, \"Damaged and "
      "recovering collections\")",
      rec.config.name, why);
  unavailable_[rec.config.name] = Unavailable{rec, CollectionState::kFenced,
                                              why, options_.clock->NowMicros()};
}

void DBImpl::StartBackgroundRecovery() {
  if (to_recover_.empty()) return;
  spdlog::info(
      "{} collections recover in the background; each serves as soon as it "
      "has",
      to_recover_.size());
  {
    MutexLock lock(&mu_);
    recovery_over_ = false;
  }
  recovery_thread_ = std::thread([this] {
    const auto started = std::chrono::steady_clock::now();
    RecoverInParallel(to_recover_.size(), [this](size_t i) {
      if (stop_recovery_.load()) return;  // closing: the next start
      RecoverInBackground(to_recover_[i]);
    });
    MutexLock lock(&mu_);
    recovery_over_ = true;
    recovery_cv_.SignalAll();
    uint64_t fenced = 0;
    for (const auto& [name, u] : unavailable_) {
      fenced += u.state == CollectionState::kFenced;
    }
    spdlog::info(
        "background recovery done in {:.3f} s: {} collections "
        "serve, {} fenced",
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      started)
            .count(),
        collections_.size(), fenced);
  });
}

DB::UnavailableCounts DBImpl::CountUnavailable() {
  MutexLock lock(&mu_);
  UnavailableCounts out;
  for (const auto& [name, u] : unavailable_) {
    (u.state == CollectionState::kFenced ? out.fenced : out.recovering) += 1;
  }
  return out;
}

void DBImpl::WaitForRecovery() {
  MutexLock lock(&mu_);
  while (!recovery_over_) recovery_cv_.Wait(&mu_);
}

void DBImpl::RecoverInBackground(const CollectionRecord& rec) {
  const std::string& name = rec.config.name;
  const auto started = std::chrono::steady_clock::now();
  Result<CollectionDeps> deps = Deps();
  Result<std::shared_ptr<CollectionImpl>> c =
      deps.ok() ? CollectionImpl::Recover(*deps, rec,
                                          collections_dir_ + "/" + rec.dir_name)
                : Result<std::shared_ptr<CollectionImpl>>(deps.status());
  std::string why;
  if (!c.ok()) {
    why = c.status().ToString();
  } else if (Status s = (*c)->Start(catalog_.get()); !s.ok()) {
    why = "starting it failed: " + s.ToString();
  }
  MutexLock lock(&mu_);
  if (!why.empty()) {
    FenceLocked(rec, why);
    return;
  }
  const double secs =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started)
          .count();
  (*c)->NoteRecovery(secs);
  collections_[name] = std::move(c).value();
  unavailable_.erase(name);
  spdlog::info("collection {}: recovered in {:.3f} s; it serves", name, secs);
}

Status DBImpl::UnavailableStatusLocked(const std::string& name) {
  auto it = unavailable_.find(name);
  if (it == unavailable_.end()) return Status::OK();
  const Unavailable& u = it->second;
  if (u.state == CollectionState::kRecovering) {
    const double secs =
        static_cast<double>(options_.clock->NowMicros() - u.since_micros) / 1e6;
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.1f", secs);
    return Status::Unavailable(
        "collection '" + name +
        "' is recovering (checking its files and replaying its write-ahead "
        "log since the server started, " +
        buf + " s ago); it serves as soon as that is done: retry");
  }
  return Status::FailedPrecondition(
      "collection '" + name +
      "' is fenced: start-up found it damaged and changed nothing of it (" +
      u.reason +
      "). The other collections serve. Restore a snapshot into it with "
      "overwrite, or drop it (its files go to the quarantine), or stop the "
      "server and repair it (docs/OPERATIONS.md, \"Damaged and recovering "
      "collections\")");
}

bool DBImpl::NameTakenLocked(const std::string& name) {
  return collections_.count(name) || unavailable_.count(name) ||
         aliases_.count(name);
}

std::string DBImpl::DirNameLocked(const std::string& name) {
  if (auto c = collections_.find(name); c != collections_.end()) {
    return c->second->dir_name();
  }
  if (auto u = unavailable_.find(name); u != unavailable_.end()) {
    return u->second.record.dir_name;
  }
  return "";
}

Status DBImpl::DropFenced(const std::string& name) {
  Env* env = options_.env;
  CollectionRecord rec;
  {
    MutexLock lock(&mu_);
    auto it = unavailable_.find(name);
    if (it == unavailable_.end() ||
        it->second.state != CollectionState::kFenced) {
      return Status::NotFound("collection '" + name + "' is not fenced");
    }
    rec = it->second.record;
    const std::string why = it->second.reason;
    const std::string main = collections_dir_ + "/" + rec.dir_name;
    // As any drop: the marker first, so that a crash after the commit
    // finishes the drop at the next start (deleting, not quarantining).
    if (env->IsDirectory(main)) {
      PDB_RETURN_IF_ERROR(env->WriteFileAtomically(
          main + "/" + std::string(kDroppedMarker),
          "dropped while fenced at unix ms " +
              std::to_string(options_.clock->NowMicros() / 1000) + "\n"));
    }
    Status s = catalog_->DropCollection(name);
    if (!s.ok()) {
      spdlog::warn("fenced collection {}: the drop failed ({}); it stays", name,
                   s.ToString());
      return s;
    }
    RemoveUncommittedDirsLocked();
    unavailable_.erase(it);
    bool had_aliases = false;
    for (auto a = aliases_.begin(); a != aliases_.end();) {
      if (a->second == name) {
        a = aliases_.erase(a);
        had_aliases = true;
      } else {
        ++a;
      }
    }
    if (had_aliases) (void)WriteAliasManifestLocked();
    // Its directories into the quarantine, the main one last (its marker
    // says the others may go).
    RootList roots(layout_.secondary_roots());
    roots.AddRecord(rec, /*wal_root=*/true);
    roots.DropMain();
    std::vector<std::string> dirs;
    for (const std::string& root : roots.roots()) {
      const std::string d = layout_.CollectionDir(root, rec.dir_name);
      if (!root.empty() && env->IsDirectory(d)) dirs.push_back(d);
    }
    if (env->IsDirectory(main)) dirs.push_back(main);
    for (const std::string& d : dirs) {
      Status q =
          quarantine_->Move(d, "directory of collection '" + name +
                                   "', dropped while fenced (" + why + ")");
      if (!q.ok()) {
        // The catalog no longer lists it and the marker is there: the next
        // start finishes the drop.
        spdlog::warn("fenced collection {} dropped; {} stays: {}", name, d,
                     q.ToString());
      }
    }
  }
  spdlog::info("dropped fenced collection {}", name);
  return Status::OK();
}

Result<std::vector<QuarantineEntry>> DBImpl::ListQuarantine() {
  return quarantine_->List();
}

Result<uint64_t> DBImpl::ClearQuarantine(const std::string& id) {
  if (id.empty()) return quarantine_->RemoveAll();
  PDB_RETURN_IF_ERROR(quarantine_->Remove(id));
  return uint64_t{1};
}

}  // namespace proximadb
