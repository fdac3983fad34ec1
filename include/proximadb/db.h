// The embeddable engine: a DB is a directory holding a catalog and one folder
// per collection. Every acknowledged write is durable (WAL + fdatasync) before
// the call returns.
//
// Thread-safety: DB and Collection are safe for concurrent use from any number
// of threads. A Collection handle stays valid after DropCollection (calls then
// fail with kNotFound) and after the DB is closed (calls fail with
// kUnavailable) — but the DB must outlive the calls in flight.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proximadb/env.h"
#include "proximadb/snapshot.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb {

namespace object {
class ObjectStore;  // src/storage/object/object_store.h
}

// Time source; tests inject a manual clock to drive age-based flushes.
class Clock {
 public:
  virtual ~Clock() = default;
  virtual uint64_t NowMicros() = 0;  // wall-clock microseconds since epoch
  static Clock* Real();              // process-wide, never deleted
};

// A directory new segments may be placed in ([storage] data_directories).
struct DataDirectory {
  std::string path;
  uint32_t weight = 1;  // 1..1000: a share of new segments, see DBOptions
  bool operator==(const DataDirectory&) const = default;
};

// [tiering]: the object store under the cold tier, and the policy defaults.
// The cold tier is available when s3_bucket is set (S3 at s3_endpoint) or,
// for tests and single-machine use, when local_object_directory is set (an
// object store in a local directory).
struct TieringOptions {
  std::string s3_endpoint;  // "http://127.0.0.1:7480"
  std::string s3_region = "us-east-1";
  std::string s3_bucket;
  std::string s3_prefix;      // put in front of every key
  std::string s3_access_key;  // never logged
  std::string s3_secret_key;  // never logged
  std::string local_object_directory;
  uint32_t upload_concurrency = 4;  // parts of one upload in flight
  TieringDefaults defaults;
  bool operator==(const TieringOptions&) const = default;
};

struct DBOptions {
  Env* env = nullptr;      // nullptr: Env::Default()
  Clock* clock = nullptr;  // nullptr: Clock::Real()
  FlushDefaults flush_defaults;
  // A memtable larger than this is flushed whatever the policy says
  // ([storage] memtable_size_mb). Default 128.
  uint64_t memtable_size_mb = 128;
  // [storage] wal_retention_hours / wal_retention_mb: WAL files kept after
  // a flush for the change feed; either 0 = none. Defaults 24 and 256.
  double wal_retention_hours = 24;
  uint64_t wal_retention_mb = 256;
  // Background threads: the flush scheduler and the compactor. Tests turn
  // them off to drive flushes by hand. Default true.
  bool background_threads = true;
  // [storage] index_build_threads: threads building one segment's graph
  // (builds run one at a time, after the flush or compaction that made the
  // segment). 0 (the default) = one per core.
  uint32_t index_build_threads = 0;
  // [storage] viper_graph_min_points / viper_graph_min_age_s: the adaptive
  // rule of viper collections (docs/ARCHITECTURE.md, "Adaptive graphs"):
  // the compactor gives a segment of at least this many rows, whose newest
  // write is at least this old, an HNSW graph in place of its IVF index.
  // min_points 0 = never. Defaults 1,000,000 rows and 3600 s.
  uint64_t viper_graph_min_points = 1000000;
  uint32_t viper_graph_min_age_s = 3600;
  // [storage] viper_graph_calibrate: the rule keeps the graph it built only
  // if, on a sample of the segment's own rows as queries, the graph at the
  // layout's ef_search answers faster than the IVF index at its nprobe
  // with a recall no more than 0.01 lower; otherwise the segment keeps its
  // IVF index (and the rule does not try it again until a restart). false:
  // size and age alone decide. Default true.
  bool viper_graph_calibrate = true;
  // [storage] background_io_mb_per_s, in bytes per second: what flushes,
  // compactions, index and payload index builds and tier moves of all
  // collections together may write (docs/API.md, "Background I/O"). 0 (the
  // default) = no limit.
  uint64_t background_io_bytes_per_s = 0;
  // [storage] max_unflushed_wal_mb, in bytes: a collection whose WAL after
  // its last flush holds this much refuses writes (kUnavailable) until its
  // flush catches up, and from half of it on is flushed whatever its policy
  // says; so a restart replays at most this much per collection
  // (docs/OPERATIONS.md, "Recovery time"). 0 = no cap. Default 1 GiB.
  uint64_t max_unflushed_wal_bytes = uint64_t{1024} << 20;
  // What start-up does with a collection whose own files fail their checks
  // (a damaged or missing segment or WAL file, a catalog row behind its
  // directory) or that fails to start ([storage] on_damaged_collection):
  // kRefuse: Open fails and nothing on disk is changed (the catalog and the
  // directories of the other collections included). kFence: Open succeeds
  // without it; the collection is listed with state "fenced" and the
  // reason, every request naming it fails with kFailedPrecondition, nothing
  // in its directories is changed, and a drop moves them into the
  // quarantine (docs/OPERATIONS.md, "Damaged and recovering collections").
  // Damage to the catalog itself always refuses. Default kRefuse.
  enum class OnDamagedCollection { kRefuse, kFence };
  OnDamagedCollection on_damaged_collection = OnDamagedCollection::kRefuse;
  // Open returns once the catalog and the directory as a whole are checked;
  // each collection then recovers in the background (several at a time)
  // and serves as soon as it has. Until then it is listed with state
  // "recovering" and a request naming it fails with kUnavailable. Needs
  // kFence (a damage found after Open can only fence). Default false.
  bool recover_in_background = false;
  // [storage] memory_limit_mb, in bytes: what the collections may hold in
  // process memory together (memtables, graphs built in memory, payload
  // indexes, unpacked sections; MemoryUsage). From half of it on the
  // memtables are flushed whatever their policies say; a write that would
  // pass it is refused (kUnavailable, naming the budget). 0 (the default)
  // = counted, not limited (docs/OPERATIONS.md, "Memory budget").
  uint64_t memory_limit_bytes = 0;
  // How often the flush scheduler evaluates policies. Default 1000 ms.
  uint32_t flush_check_interval_ms = 1000;
  // [storage] compaction_enabled. Default true.
  bool compaction_enabled = true;
  // Compaction merges when a collection has at least this many segments.
  // Default 4.
  uint32_t compaction_min_segments = 4;
  // Segments whose dead fraction exceeds this are rewritten. Default 0.3.
  double compaction_dead_ratio = 0.3;
  // [storage] data_directories: where new segments are written, each to
  // the directory with the most free space times weight that has room for
  // it. Empty (the default): the main data directory only (which is used
  // only when listed, once the list is set). The catalog records each
  // segment's directory, so segments stay readable wherever they were
  // written while their directory is present.
  std::vector<DataDirectory> data_directories;
  // [storage] wal_directory: where the WAL of collections created from now
  // on lives (e.g. a faster disk); empty = the main data directory. The
  // catalog records it per collection, so changing the setting never
  // leaves an existing WAL unread: existing collections keep theirs where
  // it is (start-up logs it).
  std::string wal_directory;
  TieringOptions tiering;
  // Tests: the cold tier's object store, instead of the one `tiering`
  // configures (not owned; must outlive the DB). nullptr: from `tiering`.
  object::ObjectStore* object_store = nullptr;
  // [snapshots] (proximadb/snapshot.h).
  SnapshotOptions snapshots;
};

// What DB::RebuildCatalog did.
struct RebuildReport {
  struct RebuiltCollection {
    std::string name;
    std::string dir_name;
    uint64_t segments = 0;
    uint64_t segment_points = 0;  // live points in segments
    uint64_t fenced_seq = 0;
    // WAL records after the fence, replayed at the next start.
    uint64_t wal_records = 0;
  };
  std::vector<RebuiltCollection> collections;
  // Aliases restored from aliases.manifest, ordered by alias.
  std::vector<AliasInfo> aliases;
  // "<alias>: <why>" for each alias of aliases.manifest not restored (its
  // collection is not among the rebuilt ones).
  std::vector<std::string> skipped_aliases;
  // "<path>: <why>" for everything moved into the quarantine.
  std::vector<std::string> quarantined;
};

// Reads a collection's change feed from a position (Collection::Changes).
// Not thread-safe: one reader per consumer. Holds no lock between calls,
// and never slows writers: changes are read from the retained WAL files.
class ChangeReader {
 public:
  ChangeReader() = default;
  ChangeReader(const ChangeReader&) = delete;
  ChangeReader& operator=(const ChangeReader&) = delete;
  virtual ~ChangeReader() = default;

  // Appends up to `max_changes` changes to *out, in sequence order; when
  // none is there yet, waits up to `wait_ms` for one (0: do not wait).
  // Only acknowledged (durable) writes are delivered. kOutOfRange when the
  // position is no longer retained (the message names the oldest sequence
  // still available); kNotFound once the collection was dropped.
  virtual Status Next(size_t max_changes, uint64_t wait_ms,
                      std::vector<Change>* out) = 0;
  // The sequence number of the next write not yet delivered in full.
  virtual uint64_t next_seq() const = 0;
};

class Collection {
 public:
  Collection() = default;
  Collection(const Collection&) = delete;
  Collection& operator=(const Collection&) = delete;
  virtual ~Collection() = default;

  // A copy: the flush policy can change while the collection serves.
  virtual CollectionConfig config() const = 0;

  // Inserts or replaces points by id, atomically as one batch: after a crash
  // either all of them are present or none. Empty ids get a UUID v4. Returns
  // the ids in input order. Validates every point before writing anything.
  virtual Result<std::vector<std::string>> Upsert(
      std::vector<Point> points) = 0;
  virtual Result<StoredPoint> Get(const std::string& id) = 0;
  // Deletes the given ids (atomic as one batch); returns how many existed.
  virtual Result<uint64_t> Delete(const std::vector<std::string>& ids) = 0;
  // Replaces the metadata of an existing point (kNotFound otherwise).
  virtual Status UpdateMetadata(const std::string& id,
                                nlohmann::json metadata) = 0;
  // Applies `patch` to the metadata of each existing point of `ids` (ids
  // that name no point are listed in the result, nothing else happens for
  // them), atomically as one batch. Each point is logged whole, as after
  // UpdateMetadata. `patch` and `ids` as CheckMetadataPatch accepts them.
  virtual Result<PatchResult> PatchMetadata(const std::vector<std::string>& ids,
                                            const MetadataPatch& patch) = 0;
  // Live points, optionally only those matching `filter`.
  virtual Result<uint64_t> Count(const nlohmann::json& filter = {}) = 0;
  virtual Result<ScrollPage> Scroll(const ScrollRequest& request) = 0;
  // Exact counts of a metadata field's values over the points matching the
  // filter (FacetRequest).
  virtual Result<FacetResult> Facet(const FacetRequest& request) = 0;
  // The points whose text field best matches the request's words, by BM25
  // (TextSearchRequest): hits best first, score higher is better; points
  // holding none of the words are not listed.
  virtual Result<SearchResult> TextSearch(const TextSearchRequest& request) = 0;
  // The statistics TextSearch weighs the request's words with (its field
  // and query; the rest is ignored).
  virtual Result<TextCorpusStats> TextStats(
      const TextSearchRequest& request) = 0;
  // Exact search by one of the collection's sparse vectors
  // (SparseSearchRequest): hits best first by dot product; points without
  // a shared dimension are not listed.
  virtual Result<SearchResult> SparseSearch(
      const SparseSearchRequest& request) = 0;
  virtual Result<SearchResult> Search(const SearchRequest& request) = 0;
  // Several searches in one call, the results in request order; each is
  // exactly what Search would answer. An error names the query
  // ("queries[i]: ..."). The default runs them one by one; the engine's
  // collections scan each unindexed source (memtables, segments without a
  // graph, exact queries) once for the whole batch (collection_read.cc).
  virtual Result<std::vector<SearchResult>> SearchBatch(
      const std::vector<SearchRequest>& requests);

  // Writes the memtable to an immutable segment now.
  virtual Status Flush() = 0;
  // Merges segments and drops dead points now.
  virtual Status Compact() = 0;
  virtual CollectionInfo Info() = 0;
  // Replaces the per-collection flush policy (persisted in the catalog).
  virtual Status SetFlushPolicy(const FlushPolicy& policy) = 0;

  // Payload indexes (listed in Info). Creating one is persisted in the
  // catalog at once; segments written from then on carry it, and existing
  // segments are indexed on the background queue (searches stay correct
  // meanwhile, they just read metadata). Creating the same field with the
  // same type again is a no-op; with another type it is kAlreadyExists.
  virtual Status CreatePayloadIndex(const PayloadIndexDef& def) = 0;
  // kNotFound when the field has no index.
  virtual Status DropPayloadIndex(const std::string& field) = 0;

  // Tiers (docs/ARCHITECTURE.md, "Tiers and placement").
  // Every segment, oldest first.
  virtual Result<std::vector<SegmentInfo>> ListSegments() = 0;
  // Moves one segment to `tier` and returns once the move is committed:
  // kNotFound (no such segment), kFailedPrecondition (the tier is not
  // configured: no warm directory / no object store), kUnavailable (the
  // object store cannot be reached; the segment stays where it was).
  // Moving to the tier it is in is a no-op.
  virtual Status MoveSegment(uint64_t segment_id, Tier tier) = 0;
  virtual Status SetTieringPolicy(const TieringPolicy& policy) = 0;

  // Live migration of the storage layout (collection_migrate.cc; docs/API.md,
  // "Live migration"): commits `to` as the collection's layout and rebuilds
  // each segment's index into it in the background while reads and writes
  // go on; a segment switches when its new index is saved. kFailedPrecondition
  // while another migration runs (or with cold segments); a layout equal to
  // the current one is a migration done at once.
  virtual Result<MigrationStatus> Migrate(const LayoutSettings& to) {
    (void)to;
    return Status::FailedPrecondition(
        "live migration is not available yet in cluster mode");
  }
  // The last migration and its progress; kNotFound when there was none.
  virtual Result<MigrationStatus> GetMigration() {
    return Status::FailedPrecondition(
        "live migration is not available yet in cluster mode");
  }
  // Cancels a running migration: the layout goes back to the one migrated
  // from (segments already rebuilt are rebuilt back in the background).
  // kFailedPrecondition when none is running.
  virtual Result<MigrationStatus> CancelMigration() {
    return Status::FailedPrecondition(
        "live migration is not available yet in cluster mode");
  }

  // The change feed (collection_changes.cc): every acknowledged write from
  // sequence `from_seq` on (0: the oldest still retained). kOutOfRange
  // when `from_seq` is older than the oldest retained write. The WAL is
  // kept after flushes per [storage] wal_retention_hours / _mb.
  virtual Result<std::unique_ptr<ChangeReader>> Changes(uint64_t from_seq) = 0;
  // The oldest sequence the change feed can still deliver and the newest
  // acknowledged one.
  virtual std::pair<uint64_t, uint64_t> ChangeRange() = 0;
};

class DB {
 public:
  DB() = default;
  DB(const DB&) = delete;
  DB& operator=(const DB&) = delete;
  // Stops background work; unflushed data stays in the WALs.
  virtual ~DB() = default;

  // Opens (creating if missing) the database in `dir` and recovers every
  // collection: catalog state + WAL replay from the fenced sequence. Every
  // check runs before anything on disk changes; a refused open leaves the
  // directory as it was (docs/ARCHITECTURE.md, "Recovery").
  static Result<std::unique_ptr<DB>> Open(const DBOptions& options,
                                          const std::string& dir);

  // kAlreadyExists when a collection or an alias has that name.
  virtual Result<std::shared_ptr<Collection>> CreateCollection(
      const CollectionConfig& config) = 0;
  // `name` is a collection's name or an alias of it (resolved here, the one
  // place every caller goes through): the handle is the collection's, so
  // its config() and Info() name the collection.
  virtual Result<std::shared_ptr<Collection>> GetCollection(
      const std::string& name) = 0;
  virtual std::vector<CollectionInfo> ListCollections() = 0;
  // Removes the collection, its aliases (in the same catalog commit) and
  // its files. kFailedPrecondition when `name` is an alias: a collection is
  // dropped by its own name.
  virtual Status DropCollection(const std::string& name) = 0;

  // Aliases (docs/API.md, "Aliases"). Applies the actions in order,
  // atomically: every name is checked first, then all of them are applied
  // in one catalog commit, or none (see catalog::Catalog::UpdateAliases for
  // the refusals). A request that deletes an alias and creates it again
  // switches it: every GetCollection sees either the old collection or the
  // new one, never neither.
  virtual Status UpdateAliases(const std::vector<AliasAction>& actions) = 0;
  // Every alias, ordered by alias.
  virtual std::vector<AliasInfo> ListAliases() = 0;
  // Flushes every collection (used on graceful shutdown).
  virtual Status FlushAll() = 0;
  // How many listed collections are recovering and fenced now
  // (DBOptions::on_damaged_collection, recover_in_background).
  struct UnavailableCounts {
    uint64_t recovering = 0;
    uint64_t fenced = 0;
  };
  virtual UnavailableCounts CountUnavailable() { return {}; }
  // Blocks until background recovery is over: every collection recovered
  // or fenced (at once when there was none to do).
  virtual void WaitForRecovery() {}

  // The cluster as this node sees it (GET /api/v1/cluster). The engine of
  // one node answers {enabled: false}; the cluster's DB (src/cluster/
  // cluster_db.h) answers with its nodes, shards and replicas.
  virtual Result<ClusterInfo> GetClusterInfo() { return ClusterInfo{}; }
  // Starts (draining = true) or cancels the drain of a cluster node
  // (ClusterNode::SetDraining). Single-node mode: kFailedPrecondition.
  virtual Status SetNodeDraining(const std::string& node_id, bool draining) {
    (void)node_id;
    (void)draining;
    return Status::FailedPrecondition(
        "draining a node needs cluster mode ([cluster] enabled = true)");
  }

  // The quarantine, oldest first.
  virtual Result<std::vector<QuarantineEntry>> ListQuarantine() = 0;
  // Deletes the entry `id` (kNotFound when there is none), or every entry
  // when `id` is empty; returns how many were deleted.
  virtual Result<uint64_t> ClearQuarantine(const std::string& id) = 0;

  // Snapshots (proximadb/snapshot.h; db_snapshot.cc). `collection` may be
  // an alias. Create: consistent at one WAL sequence, writes and searches
  // keep running; kInvalidArgument/kFailedPrecondition for a target that is
  // not configured.
  virtual Result<SnapshotInfo> CreateSnapshot(const std::string& collection,
                                              SnapshotTarget target) = 0;
  // The snapshots of `collection` (by the name it had when they were taken;
  // a dropped collection's too) in every configured repository, oldest
  // first, without their file lists.
  virtual Result<std::vector<SnapshotInfo>> ListSnapshots(
      const std::string& collection) = 0;
  // One snapshot with its files; kNotFound when `collection` has none `id`.
  virtual Result<SnapshotInfo> GetSnapshot(const std::string& collection,
                                           const std::string& id) = 0;
  // Deletes the snapshot and the objects no other snapshot shares.
  virtual Status DeleteSnapshot(const std::string& collection,
                                const std::string& id) = 0;
  // Restores into options.target_collection: every file is downloaded and
  // verified first; the collection appears only at the final catalog
  // commit (a failure or crash before leaves nothing visible).
  virtual Result<RestoreResult> RestoreSnapshot(
      const std::string& collection, const std::string& id,
      const RestoreOptions& options) = 0;
  // A database snapshot: every collection (each consistent at its own WAL
  // sequence, taken one after the other) and every alias, under one id.
  // Each collection in it is also restorable alone by RestoreSnapshot.
  // Point-in-time restore into options.target_collection: the newest
  // snapshot of `collection` at or before the point plus its archived WAL
  // up to the point (docs/OPERATIONS.md, "Point-in-time restore"). A live
  // collection's WAL is sealed and archived first, so any acknowledged
  // write up to now can be the point. kOutOfRange names what is available
  // when no snapshot precedes the point or the archive does not reach it.
  virtual Result<RestoreResult> RestorePointInTime(
      const std::string& collection, const PointInTimeOptions& options) = 0;
  virtual Result<SnapshotInfo> CreateDatabaseSnapshot(
      SnapshotTarget target) = 0;

  // Offline disaster recovery (proximadb-server --restore-snapshot): opens
  // the EMPTY data directory `dir` (no catalog, no collection; anything
  // else is kFailedPrecondition), finds snapshot `id` in the repositories
  // `options` configures ([snapshots] local_directory, [tiering] object
  // store) and restores every collection of it under its name, then its
  // aliases. A collection snapshot restores its one collection.
  static Result<std::vector<RestoreResult>> RestoreDatabaseSnapshot(
      const DBOptions& options, const std::string& dir, const std::string& id);

  // Offline (no DB may have `dir` open): rebuilds <dir>/catalog.db from the
  // collections' manifests (collection.manifest in each collection
  // directory) and the aliases from <dir>/aliases.manifest, after checking each
  // collection's segments and WAL. Refuses (kFailedPrecondition) when a valid
  // catalog that agrees with every manifest exists, unless `force`. The old
  // catalog files are moved into the quarantine, never deleted. See README,
  // "Recovery".
  static Result<RebuildReport> RebuildCatalog(const DBOptions& options,
                                              const std::string& dir,
                                              bool force);
};

}  // namespace proximadb
