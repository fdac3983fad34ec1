// A collection = WAL + memtable (+ a frozen memtable while it is flushed) +
// immutable segments, each searched through its own VectorIndex.
//
// Invariant that makes deletes cheap: at most one live version of an id
// exists across all sources. Every write first kills the current live
// version, found by looking in the memtable, the frozen memtable, then the
// segments newest to oldest, stopping at the first source that knows the id
// (an older source's copy was killed when the newer one was written).
//
// Locking: `state_mu_` guards the memtable contents and the list of sources
// (exclusive to apply a write batch or swap sources, shared to read the
// memtable). Immutable sources are read without it: their deletion state is
// atomic. `lifecycle_mu_` is held shared by every public call so that a
// drop waits for calls in flight. `flush_mu_` and `compact_mu_` serialise
// flushes and compactions of this collection.
#pragma once

#include <atomic>
#include <chrono>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "collection/background_queue.h"
#include "collection/id_locks.h"
#include "collection/live_segment.h"
#include "collection/memtable.h"
#include "collection/quarantine.h"
#include "filter/filter.h"
#include "proximadb/db.h"
#include "storage/catalog/catalog.h"
#include "storage/segment/segment_writer.h"
#include "storage/wal/wal_batch.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"

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
  std::vector<PayloadIndexDef> Get() const {
    std::lock_guard lock(mu_);
    return defs_;
  }
  void Set(std::vector<PayloadIndexDef> defs) {
    std::lock_guard lock(mu_);
    defs_ = std::move(defs);
  }

 private:
  mutable std::mutex mu_;
  std::vector<PayloadIndexDef> defs_;  // ordered by field
};

struct CollectionDeps {
  Env* env;
  Clock* clock;
  Catalog* catalog;  // null during Recover (the catalog is not open yet)
  const DBOptions* options;
  BackgroundQueue* builds;  // graph builds after flush, compaction, recovery
  Quarantine* quarantine;
};

// A collection directory: wal/, segments/, its manifest, and (while it is
// being dropped) the drop marker.
inline constexpr std::string_view kWalDirName = "wal";
inline constexpr std::string_view kSegmentsDirName = "segments";
// Written before the catalog commit of a drop: a directory the catalog does
// not list that carries it was dropped, and only then may it be deleted.
inline constexpr std::string_view kDroppedMarker = "DROPPED";

// Why a flush is due, for the scheduler and its logs.
struct FlushCheck {
  bool due = false;
  int priority = 50;
  std::string reason;  // "size" | "age" | "count" | "memtable"
};

class CollectionImpl final : public Collection {
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
  // Recover + Start (a collection just created).
  static Result<std::shared_ptr<CollectionImpl>> Open(
      const CollectionDeps& deps, const CollectionRecord& record,
      const std::string& dir);
  ~CollectionImpl() override;

  CollectionConfig config() const override;
  Result<std::vector<std::string>> Upsert(std::vector<Point> points) override;
  Result<StoredPoint> Get(const std::string& id) override;
  Result<uint64_t> Delete(const std::vector<std::string>& ids) override;
  Status UpdateMetadata(const std::string& id,
                        nlohmann::json metadata) override;
  Result<uint64_t> Count(const nlohmann::json& filter) override;
  Result<ScrollPage> Scroll(const ScrollRequest& request) override;
  Result<SearchResult> Search(const SearchRequest& request) override;
  Status Flush() override;
  Status Compact() override;
  CollectionInfo Info() override;
  Status SetFlushPolicy(const FlushPolicy& policy) override;
  Status CreatePayloadIndex(const PayloadIndexDef& def) override;
  Status DropPayloadIndex(const std::string& field) override;

  // For the DB's background threads.
  FlushCheck CheckFlush();
  bool CompactionWanted();
  // Compacts if the size-tiered policy picks something; true if it did.
  Result<bool> CompactIfWanted();
  // Makes every later call fail with kNotFound; waits for calls in flight.
  void MarkDropped();
  const std::string& dir() const { return dir_; }

  // Rewrites the manifest from the catalog's committed record (serialised:
  // the last writer writes the newest state).
  Status WriteManifest();

 private:
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

  Status CheckOpen() const;
  Status ValidateVector(const std::vector<float>& v, const char* what) const;
  Location LocateLocked(std::string_view id) const;
  // Kills the live version of id, if any; true if there was one.
  bool KillLocked(std::string_view id);
  // Applies one durable WAL batch to the in-memory state, in WAL order, live
  // and at replay alike. Returns how many kDelete ops found a live point; an
  // op that cannot be applied exactly is an error, never skipped.
  Result<uint64_t> ApplyLocked(const wal::WalBatch& batch);
  StoredPoint Materialize(const Location& loc, bool with_vector,
                          bool with_metadata) const;

  Status FlushLocked();  // requires flush_mu_
  // FlushLocked's steps (require flush_mu_): freeze the memtable (false when
  // there is nothing to flush); after the commit, write the manifest and
  // remove the WAL files up to the fence.
  Result<bool> FreezeMemtableLocked();
  void TrimWalAfterFlushLocked(uint64_t fence);
  // [begin, end) of segments_ to merge: everything (manual compaction) or
  // what the background policy picks; empty when there is nothing to do.
  std::pair<size_t, size_t> PickCompactionLocked(bool everything) const;
  // Requires compact_mu_. True if something was compacted.
  Result<bool> CompactLocked(bool everything);
  // CompactLocked's steps: swap the output in for the inputs (requires
  // state_mu_); once committed, delete the inputs' files (requires
  // compact_mu_).
  void ReplaceSegmentsLocked(
      const std::vector<std::shared_ptr<LiveSegment>>& inputs,
      const std::shared_ptr<LiveSegment>& out);
  void RemoveCompactedInputsLocked(
      const std::vector<std::shared_ptr<LiveSegment>>& inputs);
  std::string SegmentPath(uint64_t segment_id) const;
  // Require state_mu_. A segment file whose catalog commit failed is kept
  // (the outcome is unknown until a later commit) and removed after the
  // next successful one.
  void KeepUncommittedLocked(const std::string& path, const Status& why);
  void RemoveUncommittedLocked();
  bool UsesGraph() const { return config_.index.algorithm == "hnsw"; }
  // Loads the segment's saved graph; false when it must be built (missing
  // or unreadable). Reads only.
  bool LoadGraph(const std::shared_ptr<LiveSegment>& seg);
  void ScheduleGraphBuild(const std::shared_ptr<LiveSegment>& seg);
  // Payload indexes of a segment (collection_payload.cc): loaded from the
  // sidecar (reads only); false when they must be rebuilt in the
  // background (missing, damaged or built for other definitions).
  bool LoadPayload(const std::shared_ptr<LiveSegment>& seg);
  void SchedulePayloadBuild(const std::shared_ptr<LiveSegment>& seg);
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
  // Writes rows [0, count) as segment `seg_id` (sorted by id, all live) and
  // maps it; the file is removed again if it cannot be opened.
  Result<std::shared_ptr<LiveSegment>> WriteLiveSegment(
      uint64_t seg_id, size_t count,
      const std::function<segment::SegmentRow(size_t)>& row_at);

  CollectionDeps deps_;  // catalog set by Start
  const std::string dir_;
  std::string wal_dir_;
  std::string seg_dir_;

  mutable std::mutex config_mu_;
  CollectionConfig config_;  // GUARDED_BY(config_mu_)
  const uint64_t created_at_unix_ms_;

  mutable std::shared_mutex lifecycle_mu_;
  bool dropped_ = false;  // GUARDED_BY(lifecycle_mu_)

  std::unique_ptr<wal::WalWriter> wal_;
  // Orders a metadata update's read of the current point against every
  // other write of the same id (see id_locks.h). Taken after lifecycle_mu_,
  // before state_mu_.
  IdLocks id_locks_;

  const std::shared_ptr<PayloadDefs> payload_defs_;
  std::mutex payload_ddl_mu_;  // serialises create/drop of payload indexes

  mutable std::shared_mutex state_mu_;
  std::shared_ptr<Memtable> mem_;                       // GUARDED_BY(state_mu_)
  std::shared_ptr<Memtable> frozen_;                    // GUARDED_BY(state_mu_)
  uint64_t frozen_fence_ = 0;                           // GUARDED_BY(state_mu_)
  std::vector<std::shared_ptr<LiveSegment>> segments_;  // oldest first
  uint64_t fenced_seq_ = 0;                             // GUARDED_BY(state_mu_)
  uint64_t next_segment_id_ = 1;                        // GUARDED_BY(state_mu_)
  std::vector<std::string> uncommitted_files_;          // GUARDED_BY(state_mu_)
  uint64_t recovered_at_micros_ = 0;

  std::mutex flush_mu_;
  std::mutex compact_mu_;
  std::mutex manifest_mu_;  // serialises WriteManifest

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
    // A drop marker of a drop whose commit never happened: removed by Start.
    std::string failed_drop_marker;
    uint64_t next_wal_seq = 1;
  };
  std::unique_ptr<RecoveryPlan> plan_;

  // Totals reported by Info() for /metrics; relaxed, only ever added to.
  struct WorkCounter {
    std::atomic<uint64_t> count{0}, bytes{0}, nanos{0};
    void Add(uint64_t b, std::chrono::steady_clock::time_point start);
  };
  WorkCounter flushes_, compactions_;
};

}  // namespace proximadb
