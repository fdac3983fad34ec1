// A collection = WAL + memtable (+ a frozen memtable while it is flushed) +
// immutable segments, each searched through its own VectorIndex.
//
// Invariant that makes deletes cheap: at most one live version of an id
// exists across all sources. Every write first kills the current live
// version, found by looking in the memtable, the frozen memtable, then the
// segments newest to oldest, stopping at the first source that knows the id
// (an older source's copy was killed when the newer one was written).
//
// Locking (checked by clang's -Wthread-safety: every guarded member says its
// lock, every `...Locked` function says with REQUIRES which lock its caller
// holds; docs/ARCHITECTURE.md, "Locking"). Acquisition order, outermost
// first:
//
//   migrate_mu_ (Migrate, CancelMigration, the migration worker's commits;
//     collection_migrate.cc)
//   > lifecycle_mu_ (shared by every public call, exclusive by MarkDropped)
//     > flush_mu_ | compact_mu_ | payload_ddl_mu_   (one of them at a time;
//       only WriteSnapshot nests them: compact_mu_ > flush_mu_)
//     > id_locks_ stripes (writes only)
//     > the WAL writer's queue (wal::WalWriter::Write)
//     > state_mu_ (exclusive to apply a batch or swap sources, shared to read)
//   config_change_mu_ (ChangeConfig) > manifest_mu_ > the catalog's mutex,
//   config_mu_ (WriteManifest); compact_mu_ also serialises tier moves
//   leaves, never held while taking another: config_mu_, PayloadDefs::mu_,
//   LiveSegment's files_mu_.
//
// `state_mu_` guards the memtables and the list of sources. Immutable
// sources are read without it: their deletion state is atomic.
// `lifecycle_mu_` makes a drop wait for calls in flight. `flush_mu_` and
// `compact_mu_` serialise flushes and compactions of this collection.
// The configuration is split: `config_` (name, dimension, metric, index, WAL
// format) is fixed at creation and read without a lock; the flush policy,
// the only setting that changes (SetFlushPolicy), is `flush_` under
// `config_mu_`.
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <map>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "collection/background_io.h"
#include "collection/background_queue.h"
#include "collection/id_locks.h"
#include "collection/live_segment.h"
#include "collection/memtable.h"
#include "collection/quarantine.h"
#include "collection/storage_layout.h"
#include "filter/filter.h"
#include "proximadb/db.h"
#include "storage/catalog/catalog.h"
#include "storage/object/object_cache.h"
#include "storage/object/object_store.h"
#include "storage/segment/segment_writer.h"
#include "storage/snapshot/snapshot_repo.h"
#include "storage/wal/wal_batch.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"
#include "util/memory_budget.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

namespace proximadb {

using catalog::Catalog;
using catalog::CollectionRecord;
using catalog::SegmentChange;
using catalog::SegmentRecord;

// The collection's payload index definitions, shared with the background
// builds so that a build always indexes the definitions current when it
// runs (not when it was scheduled).
class PayloadDefs {
 public:
  explicit PayloadDefs(std::vector<PayloadIndexDef> defs)
      : defs_(std::move(defs)) {}
  std::vector<PayloadIndexDef> Get() const EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    return defs_;
  }
  void Set(std::vector<PayloadIndexDef> defs) EXCLUDES(mu_) {
    MutexLock lock(&mu_);
    defs_ = std::move(defs);
  }

 private:
  mutable Mutex mu_;
  std::vector<PayloadIndexDef> defs_ GUARDED_BY(mu_);  // ordered by field
};

// The collection's layout, swapped whole by a migration and read without a
// lock (by searches, and by background builds when they run).
class LayoutCell {
 public:
  explicit LayoutCell(LayoutSettings l)
      : v_(std::make_shared<const LayoutSettings>(std::move(l))) {}
  std::shared_ptr<const LayoutSettings> Get() const {
    return std::atomic_load(&v_);
  }
  void Set(LayoutSettings l) {
    std::atomic_store(&v_,
                      std::make_shared<const LayoutSettings>(std::move(l)));
  }
  // A layout other than `was` (a value Get returned) is set now: a build
  // for `was` is no longer wanted. Cheap while nothing changed (polled per
  // row by builds).
  bool ChangedFrom(const std::shared_ptr<const LayoutSettings>& was) const {
    const std::shared_ptr<const LayoutSettings> now = Get();
    return now != was && *now != *was;
  }

 private:
  std::shared_ptr<const LayoutSettings> v_;
};

struct CollectionDeps {
  Env* env;
  Clock* clock;
  Catalog* catalog;  // null during Recover (the catalog is not open yet)
  const DBOptions* options;
  BackgroundQueue* builds;  // graph builds after flush, compaction, recovery
  Quarantine* quarantine;
  const StorageLayout* layout;
  // The cold tier's object store, this collection's own instance (its
  // counters are the collection's); null when none is configured (moves to
  // cold are refused, reads of cold segments are kUnavailable).
  std::shared_ptr<object::ObjectStore> objects;
  // The server's budget for background writes (DBOptions::
  // background_io_bytes_per_s); null = none.
  std::shared_ptr<IoBudget> io_budget = nullptr;
  // What the collections hold in memory ([storage] memory_limit_mb); null
  // = not counted.
  std::shared_ptr<MemoryBudget> memory = nullptr;
};

// A collection directory: wal/, segments/, its manifest, and (while it is
// being dropped) the drop marker.
inline constexpr std::string_view kWalDirName = "wal";
inline constexpr std::string_view kSegmentsDirName = "segments";
// Written before the catalog commit of a drop: a directory the catalog does
// not list that carries it was dropped, and only then may it be deleted.
inline constexpr std::string_view kDroppedMarker = "DROPPED";
// The collection's cache of cold segments (object::ObjectCache), in its
// main directory.
inline constexpr std::string_view kColdCacheDirName = "cache";

// The part of a collection's configuration fixed when it is created: no
// call changes it (UpdateCollection / SetFlushPolicy sets only the flush
// policy), so it is read without a lock. The on-disk and public form stays
// CollectionConfig (types.h).
struct FixedCollectionConfig {
  explicit FixedCollectionConfig(const CollectionConfig& c)
      : name(c.name),
        dimension(c.dimension),
        metric(c.metric),
        wal_format(c.wal_format),
        sparse_vectors(c.sparse_vectors),
        default_ttl_seconds(c.default_ttl_seconds),
        vectors(c.vectors) {}
  // With the mutable parts (flush and tiering policies, the layout and the
  // last migration), the whole public configuration.
  CollectionConfig With(const FlushPolicy& flush, const TieringPolicy& tiering,
                        const LayoutSettings& layout,
                        const std::optional<MigrationRecord>& migration) const {
    CollectionConfig c;
    c.name = name;
    c.dimension = dimension;
    c.metric = metric;
    c.set_layout(layout);
    c.flush = flush;
    c.wal_format = wal_format;
    c.tiering = tiering;
    c.sparse_vectors = sparse_vectors;
    c.default_ttl_seconds = default_ttl_seconds;
    c.vectors = vectors;
    c.migration = migration;
    return c;
  }

  const std::string name;
  const uint32_t dimension;
  const Metric metric;
  const WalFormat wal_format;
  const std::vector<std::string> sparse_vectors;
  const uint64_t default_ttl_seconds;
  const std::vector<NamedVectorConfig> vectors;
};

// Why a flush is due, for the scheduler and its logs.
struct FlushCheck {
  bool due = false;
  int priority = 50;
  std::string reason;  // "size" | "age" | "count" | "memtable"
};

// About what a build of `config` over `rows` rows of `dim` holds until it is
// served (counted by the memory budget from the build's start): per row
// its links (2m at level 0, a few more above), its code (int8: a byte a
// dimension; pq and binary less; a float graph over euclidean rows is
// built on temporary int8 codes, HnswIndex::Build) and bookkeeping.
uint64_t EstimateBuildBytes(uint64_t rows, uint32_t dim, Metric metric,
                            const IndexConfig& config);

// Builds the segment's index for `layout` (an IVF index with the statistics
// of its filterable columns) and saves it as its sidecar
// (collection_graph.cc); *saved says whether the save worked.
Result<std::shared_ptr<const index::VectorIndex>> BuildSegmentIndex(
    BackgroundIoEnv* env, LiveSegment& s, Metric metric,
    const LayoutSettings& layout, uint32_t threads,
    const index::BuildStop& stop, Status* saved);

// When a background build of `seg`'s index stops: the collection closes or
// is dropped (`closing`, CollectionImpl::StopBackgroundWork), the segment is
// retired (compacted away, moved), or, given a `layout` cell, a migration
// set a layout other than `built_for` there. `seg` must outlive the build.
index::BuildStop SegmentBuildStop(
    std::shared_ptr<const std::atomic<bool>> closing, const LiveSegment* seg,
    std::shared_ptr<const LayoutCell> layout = nullptr,
    std::shared_ptr<const LayoutSettings> built_for = nullptr);

class CollectionImpl final
    : public Collection,
      public std::enable_shared_from_this<CollectionImpl> {
 public:
  // Recovery in two steps, so that a data directory is checked whole
  // before anything in it changes (collection_recover.cc):
  //
  // Recover reads and checks, changing nothing on disk: the directory and
  // the manifest against the catalog record, every listed segment (present,
  // checksums, header matching its catalog row), the WAL (continuity from
  // the fence, every record checked) replayed into memory, and the files
  // nobody accounts for (to quarantine).
  static Result<std::shared_ptr<CollectionImpl>> Recover(
      const CollectionDeps& deps, const CollectionRecord& record,
      const std::string& dir);
  // Then Start makes the changes recovery decided: quarantines the
  // unexplained files, saves and cuts a torn WAL tail, writes the manifest
  // when it is missing or behind, opens the WAL writer and schedules the
  // graph and payload index builds.
  Status Start(Catalog* catalog);
  // What Recover replayed and what Start left unflushed (call between
  // Start and publishing the collection); `seconds` is the caller's.
  void NoteRecovery(double seconds);
  // Recover + Start (a collection just created).
  static Result<std::shared_ptr<CollectionImpl>> Open(
      const CollectionDeps& deps, const CollectionRecord& record,
      const std::string& dir);
  ~CollectionImpl() override;

  CollectionConfig config() const override EXCLUDES(config_mu_);
  Result<std::vector<std::string>> Upsert(std::vector<Point> points) override;
  Result<StoredPoint> Get(const std::string& id) override;
  // The read path (collection_read.cc) takes lifecycle_mu_ shared, then
  // state_mu_ shared.
  Result<uint64_t> Delete(const std::vector<std::string>& ids) override;
  Status UpdateMetadata(const std::string& id,
                        nlohmann::json metadata) override;
  Result<PatchResult> PatchMetadata(const std::vector<std::string>& ids,
                                    const MetadataPatch& patch) override;
  Result<uint64_t> Count(const nlohmann::json& filter) override;
  Result<ScrollPage> Scroll(const ScrollRequest& request) override;
  Result<FacetResult> Facet(const FacetRequest& request) override;
  Result<SearchResult> TextSearch(const TextSearchRequest& request) override;
  Result<TextCorpusStats> TextStats(const TextSearchRequest& request) override;
  Result<SearchResult> SparseSearch(
      const SparseSearchRequest& request) override;
  Result<SearchResult> Search(const SearchRequest& request) override;
  Result<std::vector<SearchResult>> SearchBatch(
      const std::vector<SearchRequest>& requests) override;
  Status Flush() override;
  Status Compact() override;
  CollectionInfo Info() override;
  Status SetFlushPolicy(const FlushPolicy& policy) override;
  Status CreatePayloadIndex(const PayloadIndexDef& def) override;
  Status DropPayloadIndex(const std::string& field) override;
  // Tiers (collection_tier.cc).
  Result<std::vector<SegmentInfo>> ListSegments() override;
  Status MoveSegment(uint64_t segment_id, Tier tier) override;
  Status SetTieringPolicy(const TieringPolicy& policy) override;
  Result<MigrationStatus> Migrate(const LayoutSettings& to) override
      EXCLUDES(migrate_mu_);
  Result<MigrationStatus> GetMigration() override EXCLUDES(migrate_mu_);
  Result<MigrationStatus> CancelMigration() override EXCLUDES(migrate_mu_);
  // Stops the migration worker (a running migration resumes at the next
  // start).
  void StopConverging() EXCLUDES(migrate_mu_);
  // Closing (the destructor, a drop, the database's shutdown): index builds
  // running for this collection stop at their next poll (index::BuildStop),
  // and so does the migration worker. Without it a shutdown waits for a
  // running build: minutes for a 1M-row graph on 2 cores.
  void StopBackgroundWork() EXCLUDES(migrate_mu_);
  // The change feed (collection_changes.cc).
  Result<std::unique_ptr<ChangeReader>> Changes(uint64_t from_seq) override;
  std::pair<uint64_t, uint64_t> ChangeRange() override;

  // For the DB's background threads.
  FlushCheck CheckFlush() EXCLUDES(state_mu_, config_mu_);
  // Reports the memory of the memtables (under state_mu_) and of the
  // segments' in-memory parts (graphs, payload indexes, unpacked
  // sections) to the memory budget.
  void ReportMemtableMemoryLocked() REQUIRES_SHARED(state_mu_);
  void ReportSegmentMemory() EXCLUDES(state_mu_);
  // Applies the WAL retention by age when a flush has not for a minute
  // (a collection that stopped taking writes still lets old files go).
  void TrimWalIfDue() EXCLUDES(flush_mu_, state_mu_);
  bool CompactionWanted();
  // Moves the segments the tiering policy says are due (by the age of
  // their newest write); returns how many moved. The first failure stops
  // the pass (the next one retries).
  Result<uint64_t> TierByAge();
  // Compacts if the size-tiered policy picks something; true if it did.
  Result<bool> CompactIfWanted();
  // The adaptive rule of viper collections (collection_graph.cc): queues
  // an HNSW graph build for every segment of at least [storage]
  // viper_graph_min_points rows whose newest write is at least
  // viper_graph_min_age_s old and whose index is still the layout's IVF;
  // returns how many it queued. Nothing while a migration runs.
  Result<uint64_t> GrowGraphsIfWanted() EXCLUDES(migrate_mu_);
  // Makes every later call fail with kNotFound; waits for calls in flight.
  void MarkDropped() EXCLUDES(lifecycle_mu_);
  const std::string& dir() const { return dir_; }
  const std::string& dir_name() const { return dir_name_; }
  // Every root (data directory, WAL directory; "" = the main one) that may
  // hold a directory of this collection.
  std::vector<std::string> Roots() const EXCLUDES(state_mu_);

  // Rewrites the manifest from the catalog's committed record (serialised:
  // the last writer writes the newest state).
  Status WriteManifest() EXCLUDES(manifest_mu_);

  // Snapshots (collection_snapshot.cc). WriteSnapshot hands every file of
  // the collection's state at one WAL sequence S to `sink`: the record
  // (collection.manifest: segments with their deletion bitmaps as of S, the
  // fence F), the segment files and their saved sidecars, and the WAL files
  // holding (F, S]. S is taken inside wal_->Rotate (no write in flight, the
  // applied state is exactly S). compact_mu_ is held throughout (no
  // compaction or tier move deletes a file being copied) and flush_mu_
  // while the WAL files are read (no flush removes them): writes and
  // searches go on. Order: compact_mu_ > flush_mu_ (only here).
  struct SnapshotSink {
    // `name` is relative to the collection directory.
    std::function<Status(const std::string& name, std::string_view role,
                         std::string_view bytes)>
        put_bytes;
    std::function<Status(const std::string& name, std::string_view role,
                         const std::string& path)>
        put_file;
  };
  struct SnapshotPoint {
    uint64_t sequence = 0;
    uint64_t fence = 0;
    uint64_t points = 0;                // live at `sequence`
    uint64_t sequence_time_micros = 0;  // of record `sequence` (0: unknown)
  };
  Result<SnapshotPoint> WriteSnapshot(const SnapshotSink& sink)
      EXCLUDES(compact_mu_, flush_mu_, state_mu_);

  // The WAL archive (collection_archive.cc; docs/OPERATIONS.md,
  // "Point-in-time restore"). When the tiering policy says wal_archive:
  // seals the current WAL file when it holds records and `seal_now` or the
  // interval since the last seal passed, copies every sealed file not yet
  // archived into `repo` (in order; the WAL keeps them on disk until then)
  // and applies the archive retention. Off: releases the WAL's hold. Returns
  // the files archived; `repo` may be null when the policy is off.
  struct ArchiveSettings {
    uint64_t seal_interval_micros = 60'000'000;
    uint64_t max_age_micros = 0;  // 0: no age limit
    uint64_t max_bytes = 0;       // 0: no size limit
  };
  Result<uint64_t> ArchiveWal(snapshot::Repository* repo,
                              const ArchiveSettings& settings, bool seal_now)
      EXCLUDES(archive_mu_);
  bool archives_wal() const { return Tiering().wal_archive; }
  // A restored collection's WAL up to `seq` came from a snapshot and an
  // archive already: its own archive starts after it.
  void SetArchiveStart(uint64_t seq) EXCLUDES(archive_mu_);

 private:
  friend class CollectionChangeReader;  // collection_changes.cc
  CollectionImpl(const CollectionDeps& deps, const CollectionRecord& record,
                 std::string dir);

  // Where the current copy of an id lives.
  struct Location {
    enum Kind { kNone, kMemtable, kFrozen, kSegment } kind = kNone;
    Memtable* mem = nullptr;
    LiveSegment* seg = nullptr;
    uint32_t row = 0;
    bool live = false;
  };

  Status CheckOpen() const REQUIRES_SHARED(lifecycle_mu_);
  Status ValidateVector(const std::vector<float>& v, const char* what) const;
  Location LocateLocked(std::string_view id) const REQUIRES_SHARED(state_mu_);
  // Kills the live version of id, if any; true if there was one.
  bool KillLocked(std::string_view id) REQUIRES(state_mu_);
  // Applies one durable WAL batch to the in-memory state, in WAL order, live
  // and at replay alike. Returns how many kDelete ops found a live point; an
  // op that cannot be applied exactly is an error, never skipped.
  Result<uint64_t> ApplyLocked(const wal::WalBatch& batch) REQUIRES(state_mu_);
  // Appends `batch` to the WAL and applies it (ApplyLocked) in WAL order;
  // the caller holds the id locks of its points.
  Result<uint64_t> LogAndApply(wal::WalBatch* batch) EXCLUDES(state_mu_);
  // kUnavailable when the WAL after the fence has reached [storage]
  // max_unflushed_wal_mb (DBOptions::max_unflushed_wal_bytes).
  Status CheckWalRoom() EXCLUDES(state_mu_);
  // Cold segments' vectors held by a read (Get, Scroll, UpdateMetadata)
  // that found points in them: fetched without state_mu_ (PinCold), then
  // the read runs again with them.
  struct ColdPins {
    std::vector<std::pair<std::shared_ptr<LiveSegment>,
                          std::shared_ptr<const ColdVectors>>>
        pins;
    const ColdVectors* Find(const LiveSegment* seg) const;
    // True (and `loc`'s segment added to *missing) if loc is in a cold
    // segment whose vectors are not pinned yet.
    bool Need(const Location& loc, std::vector<LiveSegment*>* missing) const;
  };
  Status PinCold(const std::vector<LiveSegment*>& missing, ColdPins* pins)
      EXCLUDES(state_mu_);
  // Loads the vectors of the cold segments among `segments` that are not
  // resident, several at a time (up to the cores, at most
  // kMaxColdLoadThreads) when there are two or more; empty otherwise.
  static constexpr size_t kMaxColdLoadThreads = 8;
  // Search and SearchBatch: the requests checked, then every source
  // searched once for all of them. `label` prefixes an error with the
  // failing query's index ("queries[i]: ").
  Result<std::vector<SearchResult>> SearchAll(
      std::span<const SearchRequest> requests, bool label);
  std::map<const LiveSegment*, Result<std::shared_ptr<const ColdVectors>>>
  LoadColdInParallel(const std::vector<std::shared_ptr<LiveSegment>>& segments)
      EXCLUDES(state_mu_);
  // Whether `seg` is still one of the collection's segments (not moved or
  // compacted away).
  bool Listed(const LiveSegment* seg) const EXCLUDES(state_mu_);
  // The vector at `loc` (a cold segment's from `pins`, which must hold it).
  const float* VectorLocked(const Location& loc, const ColdPins& pins) const
      REQUIRES_SHARED(state_mu_);
  // The point vectors blob at `loc` (sparse and named vectors;
  // index/sparse.h; a cold segment's
  // stub keeps them, so no pins are needed).
  std::string_view SparseLocked(const Location& loc) const
      REQUIRES_SHARED(state_mu_);
  // The caller holds state_mu_ (shared), which keeps loc's memtable rows in
  // place.
  StoredPoint MaterializeLocked(const Location& loc, bool with_vector,
                                bool with_metadata,
                                const ColdPins& pins = {}) const
      REQUIRES_SHARED(state_mu_);
  // One attempt at a scroll page: nullopt with *missing set when points in
  // cold segments need vectors that `pins` lacks.
  Result<std::optional<ScrollPage>> ScrollOnce(
      const ScrollRequest& req, const filter::Filter& filt,
      const ColdPins& pins, std::vector<LiveSegment*>* missing)
      EXCLUDES(state_mu_);
  // ScrollOnce for a request with order_by (collection_field_reads.cc).
  Result<std::optional<ScrollPage>> ScrollOrderedOnce(
      const ScrollRequest& req, const filter::Filter& filt,
      const ColdPins& pins, std::vector<LiveSegment*>* missing)
      EXCLUDES(state_mu_);
  // The best k rows of a text or sparse search: higher score first, then
  // smaller id (ids are valid under state_mu_).
  struct ScoredRow {
    double score;
    std::string_view id;
    Location loc;
  };
  class ScoredTopK {
   public:
    explicit ScoredTopK(size_t k) : k_(k) {}
    // Whether a row scored so would enter the best k now (callers skip
    // their filter for rows that would not).
    bool Wants(double score, std::string_view id) const {
      if (heap_.size() < k_) return true;
      return k_ > 0 && Better({score, id, {}}, heap_.front());
    }
    void Offer(const ScoredRow& row);
    // The best k, best first; the keeper is empty afterwards.
    std::vector<ScoredRow> Take();

   private:
    static bool Better(const ScoredRow& a, const ScoredRow& b) {
      return a.score > b.score || (a.score == b.score && a.id < b.id);
    }
    size_t k_;
    std::vector<ScoredRow> heap_;  // worst kept row at the front
  };
  // The hits of `found` (best first) with their scores, or false with
  // *missing set when cold vectors are needed.
  bool HitsLocked(const std::vector<ScoredRow>& found, bool include_vector,
                  bool include_metadata, const ColdPins& pins,
                  std::vector<LiveSegment*>* missing, SearchResult* out) const
      REQUIRES_SHARED(state_mu_);
  // Expiry (collection_expiry.cc). Queues `id`'s expiry at `at` (unix
  // microseconds, non-zero).
  void NoteExpiry(uint64_t at, std::string_view id) EXCLUDES(expiry_mu_);
  // Kills every live row whose expiry time has come; cheap (one atomic
  // load) when none has.
  void ReapExpired() EXCLUDES(state_mu_, expiry_mu_);
  // The same, for a caller that holds state_mu_ (shared or exclusive).
  void ReapExpiredLocked(uint64_t now) REQUIRES_SHARED(state_mu_)
      EXCLUDES(expiry_mu_);
  // Queues the expiry of every live segment row that has one (at open).
  void NoteSegmentExpiriesLocked() REQUIRES_SHARED(state_mu_);
  // When the row at `loc` expires (0: never).
  uint64_t ExpiresAtLocked(const Location& loc) const
      REQUIRES_SHARED(state_mu_);
  // One attempt at a text search (collection_text_search.cc): nullopt with
  // *missing set when cold vectors are needed. With `stats_only`, only the
  // corpus statistics are gathered, into it.
  Result<std::optional<SearchResult>> TextSearchOnce(
      const TextSearchRequest& req, const filter::Filter& filt,
      const ColdPins& pins, std::vector<LiveSegment*>* missing,
      TextCorpusStats* stats_only) EXCLUDES(state_mu_);
  // One attempt at a sparse search (collection_sparse_search.cc): nullopt
  // with *missing set when cold vectors are needed.
  Result<std::optional<SearchResult>> SparseSearchOnce(
      const SparseSearchRequest& req, const filter::Filter& filt,
      const ColdPins& pins, std::vector<LiveSegment*>* missing)
      EXCLUDES(state_mu_);
  // A search of a named vector (SearchRequest::using_vector;
  // collection_named_search.cc): memtables scanned, segments through the
  // name's graph when built (planned as the main vector's search is), every
  // candidate scored exactly (MaxSim for a multivector name).
  Result<SearchResult> NamedSearch(const SearchRequest& request)
      EXCLUDES(state_mu_);
  // One attempt at it: nullopt with *missing set when cold vectors are
  // needed.
  Result<std::optional<SearchResult>> NamedSearchOnce(
      const SearchRequest& req, const NamedVectorConfig& nv,
      const filter::Filter& filt, const ColdPins& pins,
      std::vector<LiveSegment*>* missing) EXCLUDES(state_mu_);
  // The page of the first `limit` of `found` (a limit+1th means more), or
  // nullopt with *missing set when cold vectors are needed.
  Result<std::optional<ScrollPage>> PageLocked(
      const ScrollRequest& req, const std::vector<Location>& found,
      const ColdPins& pins, std::vector<LiveSegment*>* missing) const
      REQUIRES_SHARED(state_mu_);

  Status FlushLocked() REQUIRES(flush_mu_) EXCLUDES(state_mu_);
  // FlushLocked's steps: freeze the memtable (false when there is nothing
  // to flush); after the commit, write the manifest and remove the WAL
  // files up to the fence.
  Result<bool> FreezeMemtableLocked() REQUIRES(flush_mu_) EXCLUDES(state_mu_);
  void TrimWalAfterFlushLocked(uint64_t fence) REQUIRES(flush_mu_)
      EXCLUDES(state_mu_);
  // [begin, end) of segments_ to merge: everything (manual compaction) or
  // what the background policy picks; empty when there is nothing to do.
  std::pair<size_t, size_t> PickCompactionLocked(bool everything) const
      REQUIRES_SHARED(state_mu_);
  // True if something was compacted.
  Result<bool> CompactLocked(bool everything) REQUIRES(compact_mu_)
      EXCLUDES(state_mu_);
  // CompactLocked after the pick: merges `inputs` (contiguous in age, still
  // in segments_) into segment `seg_id`, or into nothing when no row lives.
  Status MergeSegmentsLocked(
      const std::vector<std::shared_ptr<LiveSegment>>& inputs, uint64_t seg_id)
      REQUIRES(compact_mu_) EXCLUDES(state_mu_);
  // A migration's rewrite of one hot segment into the layout's compression
  // (a compaction of that segment alone); OK and nothing done when the
  // segment is gone or no longer hot.
  Status RewriteSegment(const std::shared_ptr<LiveSegment>& seg)
      EXCLUDES(state_mu_, compact_mu_);
  // CompactLocked's steps: swap the output in for the inputs; once
  // committed, delete the inputs' files.
  void ReplaceSegmentsLocked(
      const std::vector<std::shared_ptr<LiveSegment>>& inputs,
      const std::shared_ptr<LiveSegment>& out) REQUIRES(state_mu_);
  void RemoveCompactedInputsLocked(
      const std::vector<std::shared_ptr<LiveSegment>>& inputs)
      REQUIRES(compact_mu_) EXCLUDES(state_mu_);
  // seg-<id, 20 digits>.pdb, and its path on `volume`.
  static std::string SegmentFileName(uint64_t segment_id);
  std::string SegmentPath(const std::string& volume, uint64_t segment_id) const;
  // Every data directory this collection may have segment files on: the
  // configured ones, the main one, and those the record names.
  std::vector<std::string> SegmentVolumes(const CollectionRecord& record) const;
  // A segment file whose catalog commit failed is kept (the outcome is
  // unknown until a later commit) and removed after the next successful one.
  void KeepUncommittedLocked(const std::string& path, const Status& why)
      REQUIRES(state_mu_);
  void RemoveUncommittedLocked() REQUIRES(state_mu_);
  // Segments get a sidecar index (seg-<id>.hnsw): an HNSW graph, for a
  // flat collection with quantization the codes alone (HnswParams::m 0), or
  // for index kind ivf the IVF partitions (index/ivf/ivf_index.h).
  bool UsesGraph() const { return UsesGraph(Layout()->index); }
  static bool UsesGraph(const IndexConfig& index) {
    return index.algorithm == "hnsw" || index.algorithm == "ivf" ||
           index.quantization != "none";
  }
  // The layout (index, storage strategy, memtable kind) as of now: changed
  // only by a migration (collection_migrate.cc), read without a lock.
  std::shared_ptr<const LayoutSettings> Layout() const {
    return layout_->Get();
  }
  // True when the segment's index is what `layout` builds for it (no index
  // when it needs none), or, for a viper segment of at least
  // `graph_min_points` rows, the graph the adaptive rule builds for it
  // (AdaptiveGraphFits): the migration's test of a segment being done.
  static bool IndexMatches(const LiveSegment& seg, const LayoutSettings& layout,
                           uint64_t graph_min_points);
  bool IndexMatches(const LiveSegment& seg,
                    const LayoutSettings& layout) const {
    return IndexMatches(seg, layout, deps_.options->viper_graph_min_points);
  }
  // True when the segment's file stores its ids and metadata as `layout`'s
  // compression says, or the segment is not hot (a migration rewrites only
  // hot segments; warm and cold ones keep their bytes).
  static bool CompressionMatches(const LiveSegment& seg,
                                 const LayoutSettings& layout);
  // IndexMatches and CompressionMatches: the migration's test of a segment
  // being done.
  bool LayoutMatches(const LiveSegment& seg,
                     const LayoutSettings& layout) const {
    return CompressionMatches(seg, layout) && IndexMatches(seg, layout);
  }
  // The migration's worker: rebuilds, one segment at a time, every index
  // that does not match the layout, until all match; then a running
  // migration is done. Started by Migrate, CancelMigration and Start.
  void StartConverging() EXCLUDES(migrate_mu_);
  void StartConvergingLocked() REQUIRES(migrate_mu_);
  void Converge();
  // Migrate's commit, before the payload indexes of the target's indexed
  // columns are created.
  Result<MigrationStatus> StartMigration(const LayoutSettings& to)
      EXCLUDES(migrate_mu_);
  // The progress of the current layout over the segments now.
  MigrationStatus ProgressLocked(const MigrationRecord& record)
      REQUIRES(migrate_mu_);
  // Commits a change of the layout and/or the migration record (catalog,
  // memory, manifest), like ChangeConfig.
  std::optional<MigrationRecord> CurrentMigration() const EXCLUDES(config_mu_);
  // Commits the end ("done" | "failed", with `error`) of a running
  // migration with `layout`; nothing when none is running.
  Status EndMigrationLocked(const LayoutSettings& layout,
                            const std::string& state, const std::string& error)
      REQUIRES(migrate_mu_);
  Status CommitMigration(const LayoutSettings& layout,
                         const MigrationRecord& record) EXCLUDES(config_mu_);
  // Reads a segment's sidecar index, of whichever kind the file holds.
  Result<std::shared_ptr<const index::VectorIndex>> LoadIndexFile(
      const std::string& path, index::VectorView view) const;
  // Loads the segment's saved graph; false when it must be built (missing
  // or unreadable). Reads only.
  bool LoadGraph(const std::shared_ptr<LiveSegment>& seg);
  void ScheduleGraphBuild(const std::shared_ptr<LiveSegment>& seg);
  // The adaptive rule's build of one segment's graph (GrowGraphsIfWanted).
  void ScheduleAdaptiveGraph(const std::shared_ptr<LiveSegment>& seg);
  // Threads of one index build ([index] build_threads; 0: every core).
  uint32_t BuildThreads() const;
  // Threads of a build that replaces the index of a segment already served
  // (a migration's, the adaptive rule's): one fewer than BuildThreads, at
  // least 1, so that a core stays with the requests (docs/BENCHMARKS.md,
  // "Live migration": on 2 cores the search p99 during an HNSW rebuild is
  // ~20x the steady one with both cores building).
  uint32_t RebuildThreads() const { return std::max(1u, BuildThreads() - 1); }
  // Builds, in the background, the HNSW graph of every named vector indexed
  // "hnsw" that the segment does not have yet (collection_named_graph.cc).
  void ScheduleNamedGraphBuild(const std::shared_ptr<LiveSegment>& seg);
  // Payload indexes of a segment (collection_payload.cc): loaded from the
  // sidecar (reads only); false when they must be rebuilt in the
  // background (missing, damaged or built for other definitions).
  bool LoadPayload(const std::shared_ptr<LiveSegment>& seg);
  void SchedulePayloadBuild(const std::shared_ptr<LiveSegment>& seg);
  // MoveSegment's steps for a local move (hot <-> warm, collection_tier.cc):
  // copy the files to `volume`, verify the copy, commit, swap, delete the
  // old files.
  Status MoveSegmentImpl(uint64_t segment_id, Tier tier)
      EXCLUDES(state_mu_, compact_mu_);
  Status MoveLocallyLocked(const std::shared_ptr<LiveSegment>& seg, Tier tier,
                           const std::string& volume) REQUIRES(compact_mu_)
      EXCLUDES(state_mu_);
  // Copies files into `to_dir` durably (each file, then the directory).
  Status CopyFilesDurably(const std::vector<std::string>& from,
                          const std::string& to_dir);
  // Removes what a move left behind (failures logged: start-up removes
  // them).
  void RemoveFilesAfterMove(const std::vector<std::string>& paths);
  // The segment as a move makes it: `file` at `where`, with `seg`'s payload
  // indexes and age (its deletion state is copied by SwapMovedLocked).
  static std::shared_ptr<LiveSegment> MovedCopy(
      const LiveSegment& seg, std::shared_ptr<segment::Segment> file,
      const catalog::Placement& where);
  // Every move's commit: the catalog gets `moved`'s placement, then `moved`
  // replaces `seg` (deletion state copied), the manifest is rewritten and
  // `seg` retired. On a failed commit nothing is swapped.
  Status SwapMovedLocked(const std::shared_ptr<LiveSegment>& seg,
                         const std::shared_ptr<LiveSegment>& moved)
      REQUIRES(compact_mu_) EXCLUDES(state_mu_);
  // The cold tier (collection_cold.cc).
  static uint64_t FullBytes(const LiveSegment& s);  // the segment file's size
  std::string ColdObjectKey(uint64_t segment_id) const;
  // Opens the cache of cold segments (Start), when an object store is
  // configured; its strays go to the quarantine.
  Status OpenColdCache();
  Status MoveToColdLocked(const std::shared_ptr<LiveSegment>& seg)
      REQUIRES(compact_mu_) EXCLUDES(state_mu_);
  Status MoveFromColdLocked(const std::shared_ptr<LiveSegment>& seg, Tier tier,
                            const std::string& volume) REQUIRES(compact_mu_)
      EXCLUDES(state_mu_);
  // A cold segment's vectors: resident, or fetched through the cache.
  // kUnavailable naming the segment and the tier when the store cannot
  // deliver them (or none is configured). Never called under state_mu_: a
  // fetch may take seconds.
  Result<std::shared_ptr<const ColdVectors>> ColdVectorsOf(LiveSegment& s)
      EXCLUDES(state_mu_);
  // Keeps the most recently used cold segments' vectors resident while
  // they fit the cache budget; releases the others.
  void TrimResidentCold() EXCLUDES(state_mu_);
  void DropResidentCold() EXCLUDES(state_mu_);

 public:
  // After a drop: deletes the objects of its cold segments (every key
  // under its directory name, which no other collection shares).
  Status DeleteColdObjects();

 private:
  // Validates, commits (catalog, then memory, then the manifest) a change
  // of the mutable part of the configuration (flush and tiering policies).
  Status ChangeConfig(const std::function<void(CollectionConfig*)>& edit)
      EXCLUDES(config_mu_, config_change_mu_);
  // The tier policy with the server's defaults filled in.
  EffectiveTieringPolicy Tiering() const EXCLUDES(config_mu_);
  // Recover's steps (collection_recover.cc).
  Status CheckManifest(const CollectionRecord& record);
  Status OpenSegments(const CollectionRecord& record);
  Status FindStrays(const CollectionRecord& record);
  // Builds in the calling thread (flush, compaction: before the segment is
  // published) without saving.
  void BuildPayloadNow(const std::shared_ptr<LiveSegment>& seg);
  // Saves a segment's payload index file; failures are logged (derived
  // data, rebuilt at the next start).
  void SavePayload(const std::shared_ptr<LiveSegment>& seg);
  // Writes rows [0, count) as segment `seg_id` (sorted by id, all live) on
  // the data directory StorageLayout::ChooseVolume picks for about `bytes`,
  // and maps it; the file is removed again if it cannot be opened.
  Result<std::shared_ptr<LiveSegment>> WriteLiveSegment(
      uint64_t seg_id, size_t count, uint64_t bytes,
      const std::function<segment::SegmentRow(size_t)>& row_at);
  // The catalog record of a segment just written.
  static SegmentRecord RecordOf(const LiveSegment& live, uint64_t min_seq,
                                uint64_t max_seq);

  CollectionDeps deps_;         // catalog set by Start
  const std::string dir_;       // <data>/collections/<dir_name>
  const std::string dir_name_;  // as in the catalog
  const std::string wal_root_;
  std::string wal_dir_;

  const FixedCollectionConfig config_;  // no lock: never changes
  // Replaced whole by a migration (Layout()); shared with background builds,
  // which read it when they run.
  const std::shared_ptr<LayoutCell> layout_;
  mutable Mutex config_mu_;
  std::optional<MigrationRecord> migration_ GUARDED_BY(config_mu_);
  // Serialises Migrate / CancelMigration and the worker's completion; held
  // over their catalog commits (taken before config_change_mu_).
  Mutex migrate_mu_ ACQUIRED_BEFORE(config_change_mu_);
  // The worker thread (one at a time), its stop flag, and the rate of its
  // progress for the ETA.
  std::thread converge_thread_ GUARDED_BY(migrate_mu_);
  bool converging_ GUARDED_BY(migrate_mu_) = false;
  std::atomic<bool> stop_converging_{false};
  // Set once by StopBackgroundWork; shared with the background builds.
  const std::shared_ptr<std::atomic<bool>> closing_ =
      std::make_shared<std::atomic<bool>>(false);
  // What background writers write through (background_io.h): the I/O
  // budget and the per-task progress. Shared with the background builds.
  const std::shared_ptr<BackgroundIoEnv> io_env_ =
      std::make_shared<BackgroundIoEnv>(deps_.env, deps_.io_budget, closing_,
                                        deps_.memory);
  // What this collection reported to the memory budget (taken back when
  // it is dropped or closed).
  MemoryReporter memory_{deps_.memory};
  std::chrono::steady_clock::time_point converge_started_
      GUARDED_BY(migrate_mu_);
  uint64_t converge_points_at_start_ GUARDED_BY(migrate_mu_) = 0;
  FlushPolicy flush_ GUARDED_BY(config_mu_);      // SetFlushPolicy changes it
  TieringPolicy tiering_ GUARDED_BY(config_mu_);  // SetTieringPolicy
  // Serialises ChangeConfig (taken before config_mu_ and the catalog's).
  Mutex config_change_mu_;
  const uint64_t created_at_unix_ms_;

  mutable SharedMutex lifecycle_mu_;
  bool dropped_ GUARDED_BY(lifecycle_mu_) = false;

  std::unique_ptr<wal::WalWriter> wal_;
  // Orders a metadata update's read of the current point against every
  // other write of the same id (see id_locks.h). Taken after lifecycle_mu_,
  // before state_mu_.
  IdLocks id_locks_;

  const std::shared_ptr<PayloadDefs> payload_defs_;
  Mutex payload_ddl_mu_;  // serialises create/drop of payload indexes

  // The cold tier's cache (null without an object store). Declared before
  // the segments: destroyed after them (their resident vectors pin
  // entries; ColdVectors also hold it).
  std::shared_ptr<object::ObjectCache> cold_cache_;

  mutable SharedMutex state_mu_;
  std::shared_ptr<Memtable> mem_ GUARDED_BY(state_mu_);
  std::shared_ptr<Memtable> frozen_ GUARDED_BY(state_mu_);
  uint64_t frozen_fence_ GUARDED_BY(state_mu_) = 0;
  // Oldest first.
  std::vector<std::shared_ptr<LiveSegment>> segments_ GUARDED_BY(state_mu_);
  uint64_t fenced_seq_ GUARDED_BY(state_mu_) = 0;
  uint64_t next_segment_id_ GUARDED_BY(state_mu_) = 1;
  std::vector<std::string> uncommitted_files_ GUARDED_BY(state_mu_);

  // Expiry (collection_expiry.cc): one entry per write of a point with an
  // expiry time, soonest first. ReapExpired kills the due points' live rows
  // (their own expiry checked again, so an entry a later write or delete
  // outdated kills nothing); every read and write reaps first, so a point
  // is invisible from its expiry time on, and compaction then drops it.
  struct ExpiryEntry {
    uint64_t at;
    std::string id;
    bool operator>(const ExpiryEntry& o) const { return at > o.at; }
  };
  Mutex expiry_mu_ ACQUIRED_AFTER(state_mu_);
  std::vector<ExpiryEntry> expiry_heap_ GUARDED_BY(expiry_mu_);
  // The heap's soonest time (UINT64_MAX: empty): the lock-free fast path.
  std::atomic<uint64_t> next_expiry_{UINT64_MAX};
  std::atomic<uint64_t> expired_points_{0};  // reaped since open

  // Serialise flushes, compactions and manifest writes: they guard no
  // member, they order whole operations.
  Mutex flush_mu_ ACQUIRED_AFTER(lifecycle_mu_);
  // The fence of the newest manifest written: WAL files up to it may go.
  uint64_t trim_fence_ GUARDED_BY(flush_mu_) = 0;
  uint64_t last_trim_micros_ GUARDED_BY(flush_mu_) = 0;
  Mutex compact_mu_ ACQUIRED_AFTER(lifecycle_mu_);
  Mutex manifest_mu_;

  // The WAL archive's state: listed from the repository once, then kept
  // (one archiver per collection: ArchiveWal holds archive_mu_ throughout).
  Mutex archive_mu_ ACQUIRED_AFTER(lifecycle_mu_);
  bool archive_listed_ GUARDED_BY(archive_mu_) = false;
  std::vector<snapshot::ArchivedWal> archived_ GUARDED_BY(archive_mu_);
  uint64_t last_seal_micros_ GUARDED_BY(archive_mu_) = 0;
  uint64_t archive_start_ GUARDED_BY(archive_mu_) = 0;  // SetArchiveStart

  // What Recover decided and Start does (then cleared).
  struct RecoveryPlan {
    CollectionRecord record;  // as the catalog has it
    std::vector<std::pair<std::string, std::string>> quarantine;  // path, why
    std::optional<wal::TornTail> torn_tail;
    bool write_manifest = false;
    bool quarantine_manifest = false;  // damaged: keep it aside first
    std::string manifest_why;
    std::vector<std::shared_ptr<LiveSegment>> build_graph, build_payload;
    // Payload sidecars of segments whose collection has no index any more.
    std::vector<std::string> stale_payload_files;
    // Files of segments a committed compaction removed (and their graphs
    // and payload indexes): deleted by Start, then forgotten.
    std::vector<std::string> obsolete_files;
    // Files of listed segments outside their catalog placement: what an
    // interrupted tier move leaves (collection_tier.cc). Deleted by Start.
    std::vector<std::string> move_leftovers;
    // A drop marker of a drop whose commit never happened: removed by Start.
    std::string failed_drop_marker;
    uint64_t next_wal_seq = 1;
    // The newest time of a replayed WAL record (0: none, or all from
    // before WAL times): the writer's times continue from it.
    uint64_t last_wal_time = 0;
    uint64_t replayed_records = 0;
  };
  // Set by DBImpl::Recover before the collection is published, read only
  // after (Info).
  std::optional<RecoveryInfo> recovery_;
  std::unique_ptr<RecoveryPlan> plan_;

  // Totals reported by Info() for /metrics; relaxed, only ever added to.
  struct WorkCounter {
    std::atomic<uint64_t> count{0}, bytes{0}, nanos{0};
    void Add(uint64_t b, std::chrono::steady_clock::time_point start);
  };
  WorkCounter flushes_, compactions_;
  // The adaptive rule's calibrations (CollectionInfo::adaptive_graphs_*);
  // shared with its builds, which may outlive a compaction pass.
  struct AdaptiveCounts {
    std::atomic<uint64_t> kept{0}, declined{0};
  };
  std::shared_ptr<AdaptiveCounts> adaptive_ =
      std::make_shared<AdaptiveCounts>();
  std::atomic<uint64_t> tier_moves_{0}, tier_move_failures_{0};
  std::atomic<uint64_t> uploads_{0}, upload_bytes_{0}, downloads_{0},
      download_bytes_{0};
  // Uploads and downloads that failed; reads of cold vectors that failed.
  std::atomic<uint64_t> cold_transfer_failures_{0}, cold_read_failures_{0};
  std::atomic<uint64_t> cold_tick_{0};  // orders uses of cold segments
  // TierByAge's back-off after a failed move to cold (store down).
  std::atomic<uint64_t> cold_retry_at_ms_{0};
  std::atomic<uint32_t> cold_failures_in_row_{0};
  std::atomic<bool> warned_no_cold_{false};
};

}  // namespace proximadb
