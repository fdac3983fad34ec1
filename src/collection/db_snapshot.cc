// DB snapshots (include/proximadb/snapshot.h): create, list, inspect, delete
// and restore, over a snapshot::Repository per target (docs/ARCHITECTURE.md,
// "Snapshots").
//
// Restore: every file is downloaded into <data>/restore-staging/<dir>/ and
// verified (size + CRC32C against the manifest, each segment opened with its
// checksums, the WAL checked for continuity from the fence), then the
// directory is renamed into collections/ and the catalog commit makes the
// collection exist. A failure before the commit removes the staging
// directory; a crash before the rename leaves only staging (removed at the
// next start); a crash between the rename and the commit leaves a directory
// the catalog does not list, which start-up quarantines. So a restore is
// visible whole or not at all.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <ctime>
#include <random>

#include <spdlog/spdlog.h>

#include "collection/data_dir.h"
#include "collection/db_impl.h"
#include "proximadb/version.h"
#include "storage/catalog/manifest.h"
#include "storage/object/local_object_store.h"
#include "storage/segment/segment.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"

namespace proximadb {

const char* SnapshotTargetName(SnapshotTarget t) {
  return t == SnapshotTarget::kS3 ? "s3" : "local";
}

namespace {

constexpr std::string_view kRestoreStagingDir = "restore-staging";
constexpr std::string_view kSnapshotsDir = "snapshots";
// The prefix of snapshots in the [tiering] object store.
constexpr std::string_view kObjectStorePrefix = "snapshots/";

std::string RandomHex8() {
  static Mutex mu;
  static std::mt19937_64 rng(std::random_device{}());
  MutexLock lock(&mu);
  char buf[17];
  std::snprintf(buf, sizeof(buf), "%016" PRIx64, static_cast<uint64_t>(rng()));
  return std::string(buf, 8);
}

std::string NewSnapshotId(uint64_t now_ms) {
  const std::time_t secs = static_cast<std::time_t>(now_ms / 1000);
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "snap-%Y%m%dT%H%M%S", &tm);
  char ms[8];
  std::snprintf(ms, sizeof(ms), ".%03uZ-",
                static_cast<unsigned>(now_ms % 1000));
  return std::string(buf) + ms + RandomHex8();
}

SnapshotInfo InfoOf(const snapshot::Manifest& m, const std::string& target,
                    bool with_files) {
  SnapshotInfo i;
  i.id = m.id;
  i.target = target;
  i.kind = m.kind;
  i.created_at_unix_ms = m.created_at_unix_ms;
  i.size_bytes = m.size_bytes;
  i.uploaded_bytes = m.uploaded_bytes;
  i.format_version = snapshot::kManifestVersion;
  i.server_version = m.server_version;
  for (const snapshot::CollectionEntry& c : m.collections) {
    SnapshotCollectionInfo ci;
    ci.name = c.name;
    ci.sequence = c.sequence;
    ci.points = c.points;
    if (with_files) {
      for (const snapshot::FileEntry& f : c.files) {
        ci.files.push_back({f.name, f.role, f.size, f.crc32c});
      }
    }
    i.collections.push_back(std::move(ci));
  }
  if (m.kind == "collection" && !m.collections.empty()) {
    i.sequence = m.collections[0].sequence;
  }
  return i;
}

}  // namespace

std::string DBImpl::RestoreStagingDir() const {
  return dir_ + "/" + std::string(kRestoreStagingDir);
}

std::string DBImpl::RestoreMarkPath(const std::string& dir_name) const {
  return RestoreStagingDir() + "/" + dir_name + ".restoring";
}

Status DBImpl::RemoveRestoreStaging() {
  const std::string staging = RestoreStagingDir();
  if (!options_.env->IsDirectory(staging)) return Status::OK();
  spdlog::warn(
      "removing {}: a restore that did not finish (nothing of it was "
      "committed)",
      staging);
  PDB_RETURN_IF_ERROR(options_.env->RemoveDirRecursively(staging));
  return options_.env->SyncDir(dir_);
}

Result<std::unique_ptr<snapshot::Repository>> DBImpl::OpenRepository(
    SnapshotTarget target) {
  if (target == SnapshotTarget::kDefault) {
    target = options_.snapshots.default_target;
  }
  if (target == SnapshotTarget::kLocal) {
    std::string root = options_.snapshots.local_directory;
    if (root.empty()) root = dir_ + "/" + std::string(kSnapshotsDir);
    std::shared_ptr<object::ObjectStore> store =
        std::make_shared<object::LocalObjectStore>(options_.env, root);
    return std::make_unique<snapshot::Repository>(
        options_.env, std::move(store), "", "local");
  }
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<object::ObjectStore> store,
                       NewObjectStore());
  if (!store) {
    return Status::FailedPrecondition(
        "snapshot target 's3' needs an object store: set [tiering] s3_bucket "
        "(with s3_endpoint, s3_access_key, s3_secret_key) or [tiering] "
        "local_object_directory");
  }
  return std::make_unique<snapshot::Repository>(
      options_.env, std::move(store), std::string(kObjectStorePrefix), "s3");
}

Result<std::vector<std::unique_ptr<snapshot::Repository>>>
DBImpl::Repositories() {
  std::vector<std::unique_ptr<snapshot::Repository>> out;
  PDB_ASSIGN_OR_RETURN(auto local, OpenRepository(SnapshotTarget::kLocal));
  out.push_back(std::move(local));
  PDB_ASSIGN_OR_RETURN(auto store, NewObjectStore());
  if (store) {
    PDB_ASSIGN_OR_RETURN(auto s3, OpenRepository(SnapshotTarget::kS3));
    out.push_back(std::move(s3));
  }
  return out;
}

std::string DBImpl::SnapshotCollectionName(const std::string& name) {
  MutexLock lock(&mu_);
  if (collections_.count(name)) return name;
  if (auto a = aliases_.find(name); a != aliases_.end()) return a->second;
  return name;
}

Status DBImpl::BeginSnapshot(snapshot::Repository* repo, snapshot::Manifest* m,
                             const std::string& kind) {
  // Objects of a snapshot that never committed (a crash, a failed upload).
  auto collected = repo->CollectIncomplete();
  if (!collected.ok()) {
    spdlog::warn("snapshots in {}: collecting incomplete ones: {}",
                 repo->Describe(), collected.status().ToString());
  }
  // Strictly increasing, so ids (which start with it) order snapshots.
  m->created_at_unix_ms =
      std::max(options_.clock->NowMicros() / 1000, last_snapshot_ms_ + 1);
  last_snapshot_ms_ = m->created_at_unix_ms;
  m->id = NewSnapshotId(m->created_at_unix_ms);
  m->kind = kind;
  m->server_version = PROXIMADB_VERSION;
  return repo->MarkPending(m->id);
}

Status DBImpl::SnapshotInto(const std::shared_ptr<CollectionImpl>& c,
                            snapshot::Repository* repo, snapshot::Manifest* m) {
  snapshot::CollectionEntry entry;
  entry.name = c->config().name;
  entry.dir_name = c->dir_name();
  CollectionImpl::SnapshotSink sink;
  auto add = [&](Result<snapshot::FileEntry> f, uint64_t uploaded) -> Status {
    PDB_RETURN_IF_ERROR(f.status());
    m->size_bytes += f->size;
    m->uploaded_bytes += uploaded;
    entry.files.push_back(std::move(f).value());
    return Status::OK();
  };
  sink.put_bytes = [&](const std::string& n, std::string_view role,
                       std::string_view bytes) {
    uint64_t up = 0;
    auto f = repo->PutBytes(entry.dir_name, n, role, bytes, &up);
    return add(std::move(f), up);
  };
  sink.put_file = [&](const std::string& n, std::string_view role,
                      const std::string& path) {
    uint64_t up = 0;
    auto f = repo->PutFile(entry.dir_name, n, role, path, &up);
    return add(std::move(f), up);
  };
  auto at = c->WriteSnapshot(sink);
  if (!at.ok()) {
    // The pending mark stays: the next create collects what was uploaded.
    return Status(at.status().code(), "snapshot of collection '" + entry.name +
                                          "' into " + repo->Describe() +
                                          " failed: " + at.status().message());
  }
  entry.sequence = at->sequence;
  entry.fence = at->fence;
  entry.points = at->points;
  entry.sequence_time_micros = at->sequence_time_micros;
  m->collections.push_back(std::move(entry));
  return Status::OK();
}

Result<SnapshotInfo> DBImpl::CreateSnapshot(const std::string& name,
                                            SnapshotTarget target) {
  MutexLock snap(&snapshot_mu_);
  std::shared_ptr<CollectionImpl> c;
  {
    MutexLock lock(&mu_);
    auto it = collections_.find(name);
    if (it == collections_.end()) {
      if (auto a = aliases_.find(name); a != aliases_.end()) {
        it = collections_.find(a->second);
        PDB_RETURN_IF_ERROR(UnavailableStatusLocked(a->second));
      }
    }
    if (it == collections_.end()) {
      PDB_RETURN_IF_ERROR(UnavailableStatusLocked(name));
      return Status::NotFound("collection '" + name + "' not found");
    }
    c = it->second;
  }
  PDB_ASSIGN_OR_RETURN(auto repo, OpenRepository(target));
  return SnapshotCollectionLocked(c, repo.get());
}

Result<SnapshotInfo> DBImpl::SnapshotCollectionLocked(
    const std::shared_ptr<CollectionImpl>& c, snapshot::Repository* repo) {
  snapshot::Manifest m;
  PDB_RETURN_IF_ERROR(BeginSnapshot(repo, &m, "collection"));
  PDB_RETURN_IF_ERROR(SnapshotInto(c, repo, &m));
  PDB_RETURN_IF_ERROR(repo->Commit(m));
  spdlog::info(
      "snapshot {} of collection {} in {}: sequence {}, {} bytes, {} "
      "uploaded",
      m.id, m.collections[0].name, repo->Describe(), m.collections[0].sequence,
      m.size_bytes, m.uploaded_bytes);
  return InfoOf(m, repo->target(), /*with_files=*/false);
}

Result<std::unique_ptr<snapshot::Repository>> DBImpl::OpenObjectRepository(
    const std::string& prefix) {
  PDB_ASSIGN_OR_RETURN(std::shared_ptr<object::ObjectStore> store,
                       NewObjectStore());
  if (!store) return std::unique_ptr<snapshot::Repository>();
  return std::make_unique<snapshot::Repository>(options_.env, std::move(store),
                                                prefix, "s3");
}

Result<SnapshotInfo> DBImpl::CreateSnapshotIn(snapshot::Repository* repo,
                                              const std::string& collection) {
  MutexLock snap(&snapshot_mu_);
  std::shared_ptr<CollectionImpl> c;
  {
    MutexLock lock(&mu_);
    auto it = collections_.find(collection);
    if (it == collections_.end()) {
      return Status::NotFound("collection '" + collection + "' not found");
    }
    c = it->second;
  }
  return SnapshotCollectionLocked(c, repo);
}

Result<RestoreResult> DBImpl::RestoreSnapshotFrom(
    snapshot::Repository* repo, const std::string& id,
    const RestoreOptions& options) {
  if (options.target_collection.empty()) {
    return Status::InvalidArgument(
        "restore needs target_collection: the collection to create");
  }
  PDB_RETURN_IF_ERROR(snapshot::ValidateSnapshotId(id));
  MutexLock snap(&snapshot_mu_);
  PDB_ASSIGN_OR_RETURN(snapshot::Manifest m, repo->Read(id));
  if (m.collections.size() != 1) {
    return Status::InvalidArgument(
        "snapshot '" + id + "' in " + repo->Describe() + " holds " +
        std::to_string(m.collections.size()) + " collections, not one");
  }
  return RestoreEntry(repo, m, 0, options);
}

Status DBImpl::DeleteSnapshotIn(snapshot::Repository* repo,
                                const std::string& id) {
  MutexLock snap(&snapshot_mu_);
  PDB_RETURN_IF_ERROR(repo->Delete(id));
  spdlog::info("deleted snapshot {} from {}", id, repo->Describe());
  return Status::OK();
}

Result<SnapshotInfo> DBImpl::CreateDatabaseSnapshot(SnapshotTarget target) {
  MutexLock snap(&snapshot_mu_);
  {
    // A database snapshot holds every collection: not while one of them
    // cannot be read.
    MutexLock lock(&mu_);
    for (const auto& [name, u] : unavailable_) {
      Status s = UnavailableStatusLocked(name);
      return Status(s.code(), "database snapshot: " + s.message());
    }
  }
  PDB_ASSIGN_OR_RETURN(auto repo, OpenRepository(target));
  snapshot::Manifest m;
  PDB_RETURN_IF_ERROR(BeginSnapshot(repo.get(), &m, "database"));
  // Each collection at its own sequence (collections share no WAL); a
  // collection dropped meanwhile is left out, one created meanwhile may be
  // in or not.
  for (const std::shared_ptr<CollectionImpl>& c : Snapshot()) {
    Status s = SnapshotInto(c, repo.get(), &m);
    if (s.IsNotFound()) continue;  // dropped meanwhile
    PDB_RETURN_IF_ERROR(s);
  }
  {
    MutexLock lock(&mu_);
    for (const auto& [alias, coll] : aliases_) {
      bool in = std::any_of(m.collections.begin(), m.collections.end(),
                            [&](const auto& e) { return e.name == coll; });
      if (in) m.aliases.emplace_back(alias, coll);
    }
  }
  PDB_RETURN_IF_ERROR(repo->Commit(m));
  spdlog::info(
      "database snapshot {} in {}: {} collections, {} aliases, {} bytes, {} "
      "uploaded",
      m.id, repo->Describe(), m.collections.size(), m.aliases.size(),
      m.size_bytes, m.uploaded_bytes);
  return InfoOf(m, repo->target(), /*with_files=*/false);
}

Result<std::vector<RestoreResult>> DBImpl::RestoreDatabase(
    const std::string& id) {
  MutexLock snap(&snapshot_mu_);
  {
    MutexLock lock(&mu_);
    if (!collections_.empty() || !unavailable_.empty()) {
      return Status::FailedPrecondition(
          "a database restore needs an empty data directory; " + dir_ +
          " holds " +
          std::to_string(collections_.size() + unavailable_.size()) +
          " collections");
    }
  }
  PDB_RETURN_IF_ERROR(snapshot::ValidateSnapshotId(id));
  PDB_ASSIGN_OR_RETURN(auto repos, Repositories());
  std::unique_ptr<snapshot::Repository> repo;
  snapshot::Manifest m;
  std::string searched;
  for (auto& r : repos) {
    auto got = r->Read(id);
    if (got.ok()) {
      repo = std::move(r);
      m = std::move(got).value();
      break;
    }
    if (!got.status().IsNotFound()) return got.status();
    searched += (searched.empty() ? "" : ", ") + r->Describe();
  }
  if (!repo) {
    return Status::NotFound(
        "no snapshot '" + id + "' in " + searched +
        " (set [snapshots] local_directory or the [tiering] object store to "
        "where the snapshots are)");
  }
  std::vector<RestoreResult> out;
  for (size_t i = 0; i < m.collections.size(); ++i) {
    RestoreOptions o;
    o.target_collection = m.collections[i].name;
    PDB_ASSIGN_OR_RETURN(RestoreResult r, RestoreEntry(repo.get(), m, i, o));
    out.push_back(std::move(r));
  }
  if (!m.aliases.empty()) {
    std::vector<AliasAction> actions;
    for (const auto& [alias, coll] : m.aliases) {
      AliasAction a;
      a.kind = AliasAction::Kind::kCreate;
      a.alias = alias;
      a.collection = coll;
      actions.push_back(std::move(a));
    }
    PDB_RETURN_IF_ERROR(UpdateAliases(actions));
  }
  return out;
}

Result<std::vector<RestoreResult>> DB::RestoreDatabaseSnapshot(
    const DBOptions& options, const std::string& dir, const std::string& id) {
  Env* env = options.env ? options.env : Env::Default();
  const StorageLayout layout(env, dir, options.data_directories,
                             options.wal_directory);
  PDB_ASSIGN_OR_RETURN(auto locks, layout.LockRoots());
  for (std::string_view f : {datadir::kCatalogFile, datadir::kCollectionsDir}) {
    const std::string path = dir + "/" + std::string(f);
    if (!env->FileExists(path)) continue;
    if (f == datadir::kCollectionsDir) {
      PDB_ASSIGN_OR_RETURN(auto entries, env->GetChildren(path));
      if (entries.empty()) continue;
    }
    return Status::FailedPrecondition(
        "--restore-snapshot restores into an empty data directory only, and " +
        dir + " holds " + path +
        "; restore into a new directory (or restore single collections "
        "through the API)");
  }
  DBOptions o = options;
  o.background_threads = false;
  PDB_ASSIGN_OR_RETURN(auto db, DBImpl::OpenImpl(o, dir, std::move(locks)));
  return db->RestoreDatabase(id);
}

Result<std::vector<SnapshotInfo>> DBImpl::ListSnapshots(
    const std::string& name) {
  const std::string coll = SnapshotCollectionName(name);
  MutexLock snap(&snapshot_mu_);
  PDB_ASSIGN_OR_RETURN(auto repos, Repositories());
  std::vector<SnapshotInfo> out;
  for (const auto& repo : repos) {
    PDB_ASSIGN_OR_RETURN(std::vector<snapshot::Manifest> all, repo->List());
    for (const snapshot::Manifest& m : all) {
      bool has = std::any_of(m.collections.begin(), m.collections.end(),
                             [&](const auto& e) { return e.name == coll; });
      if (has) out.push_back(InfoOf(m, repo->target(), false));
    }
  }
  std::stable_sort(
      out.begin(), out.end(),
      [](const SnapshotInfo& a, const SnapshotInfo& b) { return a.id < b.id; });
  return out;
}

Result<DBImpl::FoundSnapshot> DBImpl::FindSnapshot(const std::string& coll,
                                                   const std::string& id) {
  PDB_RETURN_IF_ERROR(snapshot::ValidateSnapshotId(id));
  PDB_ASSIGN_OR_RETURN(auto repos, Repositories());
  for (auto& repo : repos) {
    auto m = repo->Read(id);
    if (!m.ok()) {
      if (m.status().IsNotFound()) continue;
      return m.status();
    }
    for (size_t i = 0; i < m->collections.size(); ++i) {
      if (m->collections[i].name == coll) {
        return FoundSnapshot{std::move(repo), std::move(m).value(), i};
      }
    }
    return Status::NotFound("snapshot '" + id + "' is not a snapshot of '" +
                            coll + "'");
  }
  return Status::NotFound("no snapshot '" + id + "' of '" + coll + "'");
}

Result<SnapshotInfo> DBImpl::GetSnapshot(const std::string& name,
                                         const std::string& id) {
  const std::string coll = SnapshotCollectionName(name);
  MutexLock snap(&snapshot_mu_);
  PDB_ASSIGN_OR_RETURN(FoundSnapshot f, FindSnapshot(coll, id));
  return InfoOf(f.manifest, f.repo->target(), /*with_files=*/true);
}

Status DBImpl::DeleteSnapshot(const std::string& name, const std::string& id) {
  const std::string coll = SnapshotCollectionName(name);
  MutexLock snap(&snapshot_mu_);
  PDB_ASSIGN_OR_RETURN(FoundSnapshot f, FindSnapshot(coll, id));
  PDB_RETURN_IF_ERROR(f.repo->Delete(id));
  spdlog::info("deleted snapshot {} of collection {} from {}", id, coll,
               f.repo->Describe());
  return Status::OK();
}

namespace {

// The files of a staged collection directory are what its record says:
// every segment opens with its checksums verified and matches its row, and
// the WAL holds every sequence after the fence.
Status VerifyStaged(Env* env, const CollectionRecord& rec,
                    const std::string& cdir, uint64_t sequence) {
  for (const SegmentRecord& s : rec.segments) {
    const std::string path =
        cdir + "/" + std::string(kSegmentsDirName) + "/" + s.file_name;
    PDB_ASSIGN_OR_RETURN(auto seg, segment::Segment::Open(env, path));
    if (seg->is_stub() || seg->segment_id() != s.segment_id ||
        seg->size() != s.point_count ||
        seg->dimension() != rec.config.dimension ||
        seg->metric() != rec.config.metric) {
      return Status::Corruption("snapshot segment " + s.file_name +
                                " does not match the snapshot's record");
    }
  }
  wal::WalReplayOptions o;
  o.format = rec.config.wal_format;
  o.after_seq = rec.fenced_seq;
  o.require_continuity = true;
  o.cut_torn_tail = false;
  wal::WalReplayInfo info;
  PDB_RETURN_IF_ERROR(wal::ReplayWal(
      env, cdir + "/" + std::string(kWalDirName), o,
      [](const wal::WalBatch&) { return Status::OK(); }, &info));
  if (info.torn || std::max(info.last_seq, rec.fenced_seq) != sequence) {
    return Status::Corruption(
        "the snapshot's WAL ends at sequence " +
        std::to_string(std::max(info.last_seq, rec.fenced_seq)) +
        ", not at the snapshot's sequence " + std::to_string(sequence));
  }
  return Status::OK();
}

}  // namespace

Result<RestoreResult> DBImpl::RestoreSnapshot(const std::string& name,
                                              const std::string& id,
                                              const RestoreOptions& options) {
  const std::string target = options.target_collection;
  if (target.empty()) {
    return Status::InvalidArgument(
        "restore needs target_collection: the collection to create");
  }
  const std::string coll = SnapshotCollectionName(name);
  MutexLock snap(&snapshot_mu_);
  PDB_ASSIGN_OR_RETURN(FoundSnapshot found, FindSnapshot(coll, id));
  return RestoreEntry(found.repo.get(), found.manifest, found.entry, options);
}

Result<RestoreResult> DBImpl::RestoreEntry(snapshot::Repository* repo,
                                           const snapshot::Manifest& manifest,
                                           size_t index,
                                           const RestoreOptions& options,
                                           const ExtendWal& extend) {
  const std::string& target = options.target_collection;
  const std::string& id = manifest.id;
  Env* env = options_.env;
  const snapshot::CollectionEntry& entry = manifest.collections[index];
  const std::string& coll = entry.name;
  auto target_taken = [&]() -> Status {
    MutexLock lock(&mu_);
    if (auto a = aliases_.find(target); a != aliases_.end()) {
      return Status::AlreadyExists(
          "'" + target + "' is an alias (of collection '" + a->second +
          "'); restore into a collection name");
    }
    if (auto u = unavailable_.find(target);
        u != unavailable_.end() &&
        u->second.state == CollectionState::kRecovering) {
      return UnavailableStatusLocked(target);
    }
    if ((collections_.count(target) || unavailable_.count(target)) &&
        !options.overwrite) {
      return Status::AlreadyExists(
          "collection '" + target +
          "' exists; restore into a new name, or pass overwrite to replace "
          "it");
    }
    return Status::OK();
  };
  PDB_RETURN_IF_ERROR(target_taken());

  // 1. The record, from the snapshot's collection.manifest.
  const snapshot::FileEntry* mfile = nullptr;
  for (const auto& f : entry.files) {
    if (f.role == snapshot::kRoleManifest) mfile = &f;
  }
  if (!mfile) {
    return Status::Corruption("snapshot " + id + " has no collection record");
  }
  const std::string staging = RestoreStagingDir();
  PDB_RETURN_IF_ERROR(RemoveRestoreStaging());
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(staging));
  PDB_RETURN_IF_ERROR(env->SyncDir(dir_));
  auto fail = [&](const Status& s) {
    Status r = env->RemoveDirRecursively(staging);
    if (!r.ok()) {
      spdlog::warn("restore: removing {}: {} (removed at the next start)",
                   staging, r.ToString());
    }
    return Status(s.code(),
                  "restore of snapshot " + id + " into '" + target +
                      "' refused, nothing was changed: " + s.message());
  };
  const std::string record_path = staging + "/record";
  if (Status s = repo->Fetch(*mfile, record_path); !s.ok()) {
    return fail(s);
  }
  auto bytes = env->ReadFileToString(record_path);
  if (!bytes.ok()) return fail(bytes.status());
  auto decoded = catalog::DecodeManifest(*bytes, record_path);
  if (!decoded.ok()) return fail(decoded.status());
  CollectionRecord rec = std::move(decoded).value();
  rec.config.name = target;
  if (Status s = ValidateCollectionConfig(rec.config); !s.ok()) return fail(s);
  rec.dir_name = target + "-" + RandomHex8();
  rec.created_at_unix_ms = options_.clock->NowMicros() / 1000;
  rec.wal_root.clear();
  rec.obsolete_segments.clear();

  // 2. Every file, downloaded and verified.
  const std::string cdir = staging + "/" + rec.dir_name;
  RestoreResult result;
  for (const std::string& d : {cdir, cdir + "/" + std::string(kSegmentsDirName),
                               cdir + "/" + std::string(kWalDirName)}) {
    if (Status s = env->CreateDirIfMissing(d); !s.ok()) return fail(s);
  }
  for (const snapshot::FileEntry& f : entry.files) {
    if (&f == mfile) continue;
    const bool known_dir =
        f.name.rfind(std::string(kSegmentsDirName) + "/", 0) == 0 ||
        f.name.rfind(std::string(kWalDirName) + "/", 0) == 0;
    if (!known_dir ||
        f.name.find('/', f.name.find('/') + 1) != std::string::npos) {
      return fail(Status::Corruption("snapshot file name " + f.name));
    }
    if (Status s = repo->Fetch(f, cdir + "/" + f.name); !s.ok()) {
      return fail(s);
    }
    ++result.files;
    result.bytes += f.size;
  }
  // Point-in-time: the archived WAL up to the point.
  uint64_t end_seq = entry.sequence;
  result.snapshot_sequence = entry.sequence;
  result.sequence_time_micros = entry.sequence_time_micros;
  if (extend) {
    auto end = extend(cdir + "/" + std::string(kWalDirName),
                      rec.config.wal_format, &result);
    if (!end.ok()) return fail(end.status());
    end_seq = *end;
  }
  // The WAL file the restored collection writes next (as a new
  // collection has its first one before its commit).
  {
    auto wal = wal::WalWriter::Open(env, cdir + "/" + std::string(kWalDirName),
                                    rec.config.wal_format, end_seq + 1);
    if (!wal.ok()) return fail(wal.status());
    if (Status s = (*wal)->Close(); !s.ok()) return fail(s);
  }
  if (Status s = VerifyStaged(env, rec, cdir, end_seq); !s.ok()) {
    return fail(s);
  }
  for (const std::string& d : {cdir + "/" + std::string(kSegmentsDirName),
                               cdir + "/" + std::string(kWalDirName), cdir}) {
    if (Status s = env->SyncDir(d); !s.ok()) return fail(s);
  }
  (void)env->RemoveFile(record_path);

  // 3. Into collections/ (still unlisted: a crash from here on leaves a
  // directory start-up quarantines), then the old collection goes (with
  // overwrite), then the commit.
  if (Status s = target_taken(); !s.ok()) return fail(s);
  const std::string final_dir = collections_dir_ + "/" + rec.dir_name;
  if (Status s = env->CreateDirIfMissing(collections_dir_); !s.ok()) {
    return fail(s);
  }
  // The mark first: from the rename until the commit is known, a crash
  // leaves a directory start-up must quarantine, not take for a
  // collection the catalog lost.
  if (Status s = env->WriteFileAtomically(RestoreMarkPath(rec.dir_name),
                                          "restore of snapshot " + id + "\n");
      !s.ok()) {
    return fail(s);
  }
  if (Status s = env->RenameFile(cdir, final_dir); !s.ok()) return fail(s);
  Status s = env->SyncDir(collections_dir_);
  if (s.ok()) s = env->SyncDir(staging);
  bool exists;
  {
    MutexLock lock(&mu_);
    exists = collections_.count(target) > 0 || unavailable_.count(target) > 0;
  }
  if (s.ok() && exists) {
    s = DropCollection(target);
    if (s.ok()) {
      spdlog::info("restore: collection {} dropped, to be replaced by {}",
                   target, id);
    }
  }
  bool keep_dir = false;
  if (s.ok()) {
    MutexLock lock(&mu_);
    s = AdoptRestoredLocked(rec, final_dir, end_seq, &keep_dir);
  }
  if (!s.ok()) {
    // Not committed (AdoptRestoredLocked took a failed open back): the
    // directory is ours and nothing lists it. Its mark goes only with it
    // (and stays when the commit's outcome is unknown), so that start-up
    // quarantines whatever is left.
    bool gone = !keep_dir;
    if (!keep_dir && env->IsDirectory(final_dir)) {
      gone = env->RemoveDirRecursively(final_dir).ok() &&
             env->SyncDir(collections_dir_).ok();
    }
    if (gone) (void)env->RemoveDirRecursively(staging);
    return Status(s.code(), "restore of snapshot " + id + " into '" + target +
                                "': " + s.message());
  }
  (void)env->RemoveDirRecursively(staging);  // with the mark: committed
  result.collection = target;
  result.snapshot_id = id;
  result.sequence = end_seq;
  result.points = entry.points;
  if (extend) {
    std::shared_ptr<CollectionImpl> restored;
    {
      MutexLock lock(&mu_);
      if (auto it = collections_.find(target); it != collections_.end()) {
        restored = it->second;
      }
    }
    if (restored) result.points = restored->Info().point_count;
  }
  spdlog::info(
      "restored snapshot {} (collection {}, sequence {}) as collection {} at "
      "sequence {}: {} files, {} bytes verified",
      id, coll, entry.sequence, target, end_seq, result.files, result.bytes);
  return result;
}

Status DBImpl::AdoptRestoredLocked(const CollectionRecord& rec,
                                   const std::string& cdir, uint64_t sequence,
                                   bool* keep_dir) {
  if (NameTakenLocked(rec.config.name)) {
    return Status::AlreadyExists("collection '" + rec.config.name +
                                 "' was created meanwhile");
  }
  PDB_ASSIGN_OR_RETURN(CollectionDeps deps, Deps());
  Status s = catalog_->CreateCollection(rec);
  if (!s.ok()) {
    // May still count after a crash: keep the directory until a later
    // commit proves it unreferenced (as CreateCollection does).
    uncommitted_dirs_.push_back(cdir);
    *keep_dir = true;
    return Status(s.code(), s.message() + " (directory " + cdir + " kept)");
  }
  deps.catalog = catalog_.get();
  auto c = CollectionImpl::Open(deps, rec, cdir);
  if (!c.ok()) {
    Status undo = catalog_->DropCollection(rec.config.name);
    if (!undo.ok()) {
      *keep_dir = true;
      spdlog::error(
          "restore into {}: committed but could not be opened ({}), and "
          "the commit could not be taken back ({}); it is recovered at the "
          "next start",
          rec.config.name, c.status().ToString(), undo.ToString());
    }
    return c.status();
  }
  RemoveUncommittedDirsLocked();
  // Its WAL up to `sequence` is the snapshot's (and the archive's): not
  // archived again; set before the archiver can see the collection.
  (*c)->SetArchiveStart(sequence);
  collections_[rec.config.name] = c.value();
  return Status::OK();
}

}  // namespace proximadb
