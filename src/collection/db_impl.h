// DBImpl: the catalog, the open collections, and the background threads that
// flush (by policy, highest flush_priority first) and compact.
#pragma once

#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "collection/collection_impl.h"
#include "proximadb/db.h"
#include "storage/catalog/alias_manifest.h"
#include "storage/catalog/catalog.h"
#include "storage/snapshot/snapshot_repo.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

class DBImpl final : public DB {
 public:
  // `locks`: the directories' locks when the caller already took them
  // (StorageLayout::LockRoots); empty: OpenImpl takes them first.
  static Result<std::unique_ptr<DBImpl>> OpenImpl(
      const DBOptions& options, const std::string& dir,
      std::vector<std::unique_ptr<FileLock>> locks = {});
  ~DBImpl() override;

  Result<std::shared_ptr<Collection>> CreateCollection(
      const CollectionConfig& config) override;
  Result<std::shared_ptr<Collection>> GetCollection(
      const std::string& name) override;
  std::vector<CollectionInfo> ListCollections() override;
  Status DropCollection(const std::string& name) override;
  Status UpdateAliases(const std::vector<AliasAction>& actions) override;
  std::vector<AliasInfo> ListAliases() override;
  Status FlushAll() override;
  UnavailableCounts CountUnavailable() override EXCLUDES(mu_);
  void WaitForRecovery() override EXCLUDES(mu_);
  Result<std::vector<QuarantineEntry>> ListQuarantine() override;
  Result<uint64_t> ClearQuarantine(const std::string& id) override;
  // Snapshots (db_snapshot.cc).
  Result<SnapshotInfo> CreateSnapshot(const std::string& collection,
                                      SnapshotTarget target) override
      EXCLUDES(snapshot_mu_, mu_);
  Result<std::vector<SnapshotInfo>> ListSnapshots(
      const std::string& collection) override EXCLUDES(snapshot_mu_, mu_);
  Result<SnapshotInfo> GetSnapshot(const std::string& collection,
                                   const std::string& id) override
      EXCLUDES(snapshot_mu_, mu_);
  Status DeleteSnapshot(const std::string& collection,
                        const std::string& id) override
      EXCLUDES(snapshot_mu_, mu_);
  Result<RestoreResult> RestoreSnapshot(const std::string& collection,
                                        const std::string& id,
                                        const RestoreOptions& options) override
      EXCLUDES(snapshot_mu_, mu_);
  Result<SnapshotInfo> CreateDatabaseSnapshot(SnapshotTarget target) override
      EXCLUDES(snapshot_mu_, mu_);
  Result<RestoreResult> RestorePointInTime(
      const std::string& collection, const PointInTimeOptions& options) override
      EXCLUDES(snapshot_mu_, mu_, archive_mu_);
  // Restores every collection and alias of database snapshot `id` into
  // this DB, which must hold no collection (DB::RestoreDatabaseSnapshot).
  Result<std::vector<RestoreResult>> RestoreDatabase(const std::string& id)
      EXCLUDES(snapshot_mu_, mu_);

  // Cluster mode's shard snapshots (docs/CLUSTER.md, "Snapshots and
  // stream retention") live in the [tiering] object store under a prefix
  // of the cluster's, one repository per node: CreateSnapshot,
  // RestoreSnapshot and DeleteSnapshot on such a repository.
  // OpenObjectRepository returns null when no object store is configured.
  Result<std::unique_ptr<snapshot::Repository>> OpenObjectRepository(
      const std::string& prefix);
  Result<SnapshotInfo> CreateSnapshotIn(snapshot::Repository* repo,
                                        const std::string& collection)
      EXCLUDES(snapshot_mu_, mu_);
  // The snapshot must hold exactly one collection (a collection snapshot).
  Result<RestoreResult> RestoreSnapshotFrom(snapshot::Repository* repo,
                                            const std::string& id,
                                            const RestoreOptions& options)
      EXCLUDES(snapshot_mu_, mu_);
  Status DeleteSnapshotIn(snapshot::Repository* repo, const std::string& id)
      EXCLUDES(snapshot_mu_);

  // One pass of the flush scheduler: flushes every collection whose policy
  // says so, highest priority first. Returns the names flushed, in order.
  std::vector<std::string> RunFlushCycle();
  // One pass of the compactor; returns the names compacted.
  std::vector<std::string> RunCompactionCycle();
  // One pass of the tiering policies (run after each compaction pass);
  // returns the names of the collections that moved a segment.
  std::vector<std::string> RunTieringCycle();
  // One pass of the WAL archiver (db_archive.cc): archives what each
  // collection whose policy says wal_archive has sealed; returns the names
  // of those that archived a file.
  std::vector<std::string> RunArchiveCycle() EXCLUDES(archive_mu_);
  // Waits for the graph builds scheduled so far.
  void WaitForBackgroundBuilds() { builds_->Drain(); }
  const MemoryBudget& memory() const { return *memory_; }

 private:
  // A collection the catalog lists that does not serve: recovering in the
  // background, or fenced (DBOptions::on_damaged_collection).
  struct Unavailable {
    CollectionRecord record;
    CollectionState state = CollectionState::kRecovering;
    std::string reason;         // kFenced: what start-up found
    uint64_t since_micros = 0;  // when it began recovering, or was fenced
  };
  // The error of a request naming `name` (kUnavailable while recovering,
  // kFailedPrecondition when fenced); OK when it is not unavailable.
  Status UnavailableStatusLocked(const std::string& name) REQUIRES(mu_);
  // `name` is a collection, serving or not, or an alias.
  bool NameTakenLocked(const std::string& name) REQUIRES(mu_);
  // The collection's directory name ("" when not listed).
  std::string DirNameLocked(const std::string& name) REQUIRES(mu_);
  void FenceLocked(const CollectionRecord& rec, std::string why) REQUIRES(mu_);
  // Starts the thread that recovers to_recover_ (none: nothing to do).
  void StartBackgroundRecovery();
  // Background recovery of one collection (recover_in_background): check,
  // replay, start; then it serves, or is fenced.
  void RecoverInBackground(const CollectionRecord& rec) EXCLUDES(mu_);
  // Drops a fenced collection: the catalog commit, then its directories
  // into the quarantine.
  Status DropFenced(const std::string& name) EXCLUDES(mu_);

  DBImpl(const DBOptions& options, std::string dir);
  // Checks the whole data directory (catalog, every collection), changing
  // nothing; only then makes the changes the checks decided (db_recover.cc).
  Status Recover();
  // Checks the cold tier's configuration (options_.tiering).
  Status CheckObjectStore();
  // A collection's object store (null when none is configured):
  // options_.object_store, or a new instance from options_.tiering, so
  // that each collection's counters are its own.
  Result<std::shared_ptr<object::ObjectStore>> NewObjectStore() const;
  // What to do with an entry of collections/ the catalog does not list.
  struct Unlisted {
    std::string path;
    bool dropped = false;  // carries the drop marker: delete it
    std::string why;       // else: quarantine it, for this reason
  };
  Result<std::vector<Unlisted>> CheckUnlisted(
      const std::vector<std::string>& entries,
      const std::vector<CollectionRecord>& records);
  // The same for collections/ of the other data directories and the WAL
  // directory: an entry whose main directory carries the drop marker is
  // deleted (a drop removes the main directory last, so the marker
  // outlives them); any other unlisted entry is quarantined.
  Result<std::vector<Unlisted>> CheckUnlistedElsewhere(
      const std::vector<CollectionRecord>& records);
  // Every directory other than the main data directory that may hold a
  // collections/ entry: configured ones and those the records name.
  std::vector<std::string> SecondaryRoots(
      const std::vector<CollectionRecord>& records) const;
  // A background thread's body: `pass` every `interval_ms` until stop_.
  // `now` (guarded by bg_mu_): set (and bg_cv_ signalled) to run the next
  // pass at once.
  void EveryInterval(uint32_t interval_ms, const std::function<void()>& pass,
                     bool* now = nullptr) EXCLUDES(bg_mu_);
  CollectionImpl::ArchiveSettings ArchiveSettingsOf() const;
  // The repository of the WAL archive ([snapshots] default_target), opened
  // once.
  Result<snapshot::Repository*> ArchiveRepository() REQUIRES(archive_mu_);
  // Logs an archive error once, and again only when its message changes
  // (`name` "": the repository's).
  void ReportArchiveErrorLocked(const std::string& name, const Status& s)
      REQUIRES(archive_mu_);
  std::vector<std::shared_ptr<CollectionImpl>> Snapshot();
  // Removes what uncommitted_dirs_ lists (after a commit).
  void RemoveUncommittedDirsLocked() REQUIRES(mu_);
  // aliases.manifest from aliases_ (after a commit that changed them;
  // db_alias.cc).
  Status WriteAliasManifestLocked() REQUIRES(mu_);
  // What aliases.manifest holds: each alias with its collection's
  // directory (serving or not).
  std::vector<catalog::AliasEntry> AliasEntriesLocked() REQUIRES(mu_);
  // Start-up, change step: rewrites aliases.manifest when it is missing
  // (and there are aliases), damaged (set aside first) or differs.
  Status SyncAliasManifestLocked() REQUIRES(mu_);
  Result<CollectionDeps> Deps();
  // A new collection's directory with its subdirectories and first WAL
  // file, all durable, before the catalog commit that creates it.
  Status PrepareCollectionDir(const std::string& cdir,
                              const std::string& wal_root,
                              const std::string& dir_name, WalFormat fmt);
  // Removes a collection's directories: those on other directories first,
  // the main one (holding the drop marker) last.
  Status RemoveCollectionDirs(const std::string& dir_name,
                              const std::vector<std::string>& roots);

  // Snapshots (db_snapshot.cc). The repository of a target; kInvalidArgument
  // / kFailedPrecondition naming the config keys when it is not configured.
  Result<std::unique_ptr<snapshot::Repository>> OpenRepository(
      SnapshotTarget target);
  // Every configured repository (local first).
  Result<std::vector<std::unique_ptr<snapshot::Repository>>> Repositories();
  // The collection a snapshot request names: an alias resolves to its
  // collection, any other name is taken as it is (a dropped collection's
  // snapshots stay reachable by its name).
  std::string SnapshotCollectionName(const std::string& name) EXCLUDES(mu_);
  // A snapshot of `collection` with id `id`, in whichever repository has
  // it; kNotFound otherwise.
  struct FoundSnapshot {
    std::unique_ptr<snapshot::Repository> repo;
    snapshot::Manifest manifest;
    size_t entry = 0;  // the collection's entry in manifest.collections
  };
  Result<FoundSnapshot> FindSnapshot(const std::string& collection,
                                     const std::string& id)
      REQUIRES(snapshot_mu_);
  // <data>/restore-staging: restores download and verify here; removed at
  // start-up (only restores write there).
  std::string RestoreStagingDir() const;
  // restore-staging/<dir_name>.restoring: written before a restore moves
  // <dir_name> into collections/, removed with staging once it committed.
  // Start-up quarantines an unlisted directory that has one (instead of
  // refusing to start over a manifest the catalog lacks).
  std::string RestoreMarkPath(const std::string& dir_name) const;
  // Restores manifest.collections[index] as options.target_collection:
  // download and verify into staging, rename, commit (RestoreSnapshot and
  // the database restore).
  // `extend` (point-in-time restores) adds WAL files after the snapshot's
  // into the staged WAL directory and returns the sequence the restored
  // collection ends at.
  using ExtendWal = std::function<Result<uint64_t>(
      const std::string& wal_dir, WalFormat fmt, RestoreResult* result)>;
  Result<RestoreResult> RestoreEntry(snapshot::Repository* repo,
                                     const snapshot::Manifest& manifest,
                                     size_t index,
                                     const RestoreOptions& options,
                                     const ExtendWal& extend = nullptr)
      REQUIRES(snapshot_mu_) EXCLUDES(mu_);
  // A collection snapshot of `c` in `repo`, committed.
  Result<SnapshotInfo> SnapshotCollectionLocked(
      const std::shared_ptr<CollectionImpl>& c, snapshot::Repository* repo)
      REQUIRES(snapshot_mu_);
  // Writes one collection's files into `m` (CreateSnapshot and the
  // database snapshot).
  Status SnapshotInto(const std::shared_ptr<CollectionImpl>& c,
                      snapshot::Repository* repo, snapshot::Manifest* m)
      REQUIRES(snapshot_mu_);
  // Starts a snapshot in `repo`: collects what earlier ones left
  // uncommitted, gives the manifest its id and time (strictly increasing)
  // and marks it pending.
  Status BeginSnapshot(snapshot::Repository* repo, snapshot::Manifest* m,
                       const std::string& kind) REQUIRES(snapshot_mu_);
  Status RemoveRestoreStaging();
  // Makes a verified collection directory (already in collections/) a
  // collection: the catalog commit, then Open (undone if it fails).
  // *keep_dir: the directory may be referenced (a commit whose outcome is
  // unknown): the caller must not delete it. `sequence`: where the
  // restored collection's WAL ends (its archive starts after it).
  Status AdoptRestoredLocked(const CollectionRecord& rec,
                             const std::string& cdir, uint64_t sequence,
                             bool* keep_dir) REQUIRES(mu_);
  // The data directories' LOCK files (StorageLayout::LockRoots). The first
  // member, so the last destroyed: held until everything else is closed.
  std::vector<std::unique_ptr<FileLock>> dir_locks_;
  // Serialises snapshot create, delete and restore (taken before mu_ and
  // any collection lock).
  Mutex snapshot_mu_;
  uint64_t last_snapshot_ms_ GUARDED_BY(snapshot_mu_) = 0;

  DBOptions options_;
  // Shared by every collection's background writes; null = no limit.
  std::shared_ptr<IoBudget> io_budget_;
  // What the collections hold in memory; declared before them, so it
  // outlives them.
  // Shared with the collections (a handle may outlive the DB).
  std::shared_ptr<MemoryBudget> memory_;
  const std::string dir_;
  const std::string collections_dir_;
  StorageLayout layout_;
  std::unique_ptr<Catalog> catalog_;
  std::unique_ptr<Quarantine> quarantine_;
  std::unique_ptr<BackgroundQueue> builds_;

  Mutex mu_;  // guards collections_ and orders create/drop
  std::map<std::string, std::shared_ptr<CollectionImpl>> collections_
      GUARDED_BY(mu_);
  // alias -> collection name; mirrors the catalog's aliases table (changed
  // only after its commit, under mu_, so a lookup sees a switch whole).
  std::map<std::string, std::string> aliases_ GUARDED_BY(mu_);
  std::map<std::string, Unavailable> unavailable_ GUARDED_BY(mu_);
  // recover_in_background: what Recover left to the recovery thread.
  std::vector<CollectionRecord> to_recover_;
  std::thread recovery_thread_;
  std::atomic<bool> stop_recovery_{false};
  bool recovery_over_ GUARDED_BY(mu_) = true;
  CondVar recovery_cv_;
  // Directories of collections whose catalog commit failed.
  std::vector<std::string> uncommitted_dirs_ GUARDED_BY(mu_);

  Mutex bg_mu_;
  CondVar bg_cv_;
  bool stop_ GUARDED_BY(bg_mu_) = false;
  bool flush_now_ GUARDED_BY(bg_mu_) = false;  // the memory budget's call
  std::thread flush_thread_;
  std::thread compact_thread_;
  std::thread archive_thread_;

  // The WAL archiver's (one pass at a time; taken before snapshot_mu_).
  Mutex archive_mu_;
  std::unique_ptr<snapshot::Repository> archive_repo_ GUARDED_BY(archive_mu_);
  // The last error logged per collection (logged again only when it
  // changes, not every pass).
  std::map<std::string, std::string> archive_errors_ GUARDED_BY(archive_mu_);
};

}  // namespace proximadb
