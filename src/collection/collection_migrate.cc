// Live migration of a collection's layout (docs/API.md, "Live migration";
// docs/ARCHITECTURE.md, "Storage strategies and memtable kinds").
//
// The layout (index kind and parameters, quantization, storage strategy,
// memtable kind) is one value in the collection's configuration. Migrate
// commits the target layout together with a MigrationRecord (catalog, then
// memory, then the manifest) and starts a worker, Converge, that rebuilds
// the index of each segment not matching the layout, oldest first, one at a
// time, while reads and writes go on:
//
//  * a segment switches when its new index file has replaced the old one
//    (HnswIndex/IvfIndex::Save: write, fsync, rename, fsync the directory)
//    and is swapped in memory: searches before the swap use the old index,
//    after it the new one; a segment's rows never move, so no point is ever
//    served twice or missed;
//  * new segments (flush, compaction) are built in the new layout, and the
//    memtable takes the new kind at its next rotation;
//  * a kill -9 at any moment leaves every index file whole (old or new:
//    the loader reads the kind from the file); the restart reads the
//    committed layout and the record "running", and the worker resumes with
//    the segments that do not match yet;
//  * a cancel commits the layout migrated from (record "cancelled"); the
//    worker rebuilds the segments already migrated back to it.
#include <spdlog/spdlog.h>

#include <algorithm>
#include <chrono>
#include <thread>

#include "collection/collection_impl.h"

namespace proximadb {

namespace {

constexpr auto kWaitForQueuedBuild = std::chrono::milliseconds(50);
constexpr auto kRetryAfterFailure = std::chrono::seconds(1);
constexpr int kAttemptsPerSegment = 3;

}  // namespace

Status CollectionImpl::CommitMigration(const LayoutSettings& layout,
                                       const MigrationRecord& record) {
  MutexLock serial(&config_change_mu_);
  CollectionConfig next = config();
  next.set_layout(layout);
  next.migration = record;
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(next));
  PDB_RETURN_IF_ERROR(deps_.catalog->UpdateConfig(next.name, next));
  {
    MutexLock lock(&config_mu_);
    migration_ = record;
  }
  layout_->Set(layout);
  // Committed; a manifest left behind is brought up to date at the next
  // start.
  Status s = WriteManifest();
  if (!s.ok()) {
    spdlog::error("collection {}: writing its manifest: {}", config_.name,
                  s.ToString());
  }
  return Status::OK();
}

bool CollectionImpl::CompressionMatches(const LiveSegment& seg,
                                        const LayoutSettings& layout) {
  if (seg.placement.tier != Tier::kHot) return true;
  return seg.seg->compressed() == (layout.compression == "zstd");
}

MigrationStatus CollectionImpl::ProgressLocked(const MigrationRecord& record) {
  MigrationStatus out;
  out.record = record;
  const std::shared_ptr<const LayoutSettings> layout = Layout();
  {
    ReaderLock lock(&state_mu_);
    for (const auto& s : segments_) {
      if (s->cold()) continue;  // not migrated (Migrate refuses them)
      const uint64_t rows = s->seg->size();
      ++out.segments_total;
      out.points_total += rows;
      if (LayoutMatches(*s, *layout)) {
        ++out.segments_done;
        out.points_done += rows;
      }
    }
  }
  if (converging_ && out.points_done < out.points_total) {
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                      converge_started_)
            .count();
    const uint64_t gained = out.points_done > converge_points_at_start_
                                ? out.points_done - converge_points_at_start_
                                : 0;
    if (gained > 0 && elapsed > 0) {
      out.eta_seconds =
          static_cast<double>(out.points_total - out.points_done) * elapsed /
          static_cast<double>(gained);
    }
  } else if (out.points_done == out.points_total) {
    out.eta_seconds = 0;
  }
  return out;
}

Result<MigrationStatus> CollectionImpl::Migrate(const LayoutSettings& to) {
  PDB_ASSIGN_OR_RETURN(MigrationStatus started, StartMigration(to));
  // The target's indexed columns get their payload indexes (built in the
  // background over every segment, like a create's).
  for (const PayloadIndexDef& def :
       ColumnPayloadIndexes(to.filterable_columns)) {
    Status s = CreatePayloadIndex(def);
    if (!s.ok()) {
      spdlog::warn("collection {}: payload index on column '{}': {}",
                   config_.name, def.field, s.ToString());
    }
  }
  return started;
}

Result<MigrationStatus> CollectionImpl::StartMigration(
    const LayoutSettings& to) {
  MutexLock m(&migrate_mu_);
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  std::optional<MigrationRecord> current = CurrentMigration();
  if (current && current->state == "running") {
    return Status::FailedPrecondition(
        "collection '" + config_.name + "' is already migrating (" +
        current->id +
        "); wait for it or cancel it first (DELETE "
        "/api/v1/collections/" +
        config_.name + "/migration)");
  }
  {
    // The target must be a configuration a create would accept.
    CollectionConfig probe = config();
    probe.set_layout(to);
    PDB_RETURN_IF_ERROR(ValidateCollectionConfig(probe));
  }
  for (const PayloadIndexDef& want :
       ColumnPayloadIndexes(to.filterable_columns)) {
    for (const PayloadIndexDef& have : payload_defs_->Get()) {
      if (have.field == want.field && have.type != want.type) {
        return Status::FailedPrecondition(
            "filterable column '" + want.field + "' is indexed as " +
            std::string(PayloadIndexTypeName(want.type)) +
            ", but the collection has a " +
            std::string(PayloadIndexTypeName(have.type)) +
            " payload index on it: drop that index first, or declare the "
            "column with \"indexed\": false");
      }
    }
  }
  {
    ReaderLock lock(&state_mu_);
    for (const auto& s : segments_) {
      if (s->cold()) {
        return Status::FailedPrecondition(
            "segment " + std::to_string(s->seg->segment_id()) +
            " of collection '" + config_.name +
            "' is in the cold tier: move it to warm (POST "
            "/api/v1/collections/" +
            config_.name + "/segments/" + std::to_string(s->seg->segment_id()) +
            "/tier) before migrating; a cold segment's index is not rebuilt");
      }
    }
  }
  MigrationRecord r;
  r.started_unix_ms = deps_.clock->NowMicros() / 1000;
  r.id = "mig-" + std::to_string(r.started_unix_ms);
  // Two migrations started within one millisecond still get two ids.
  for (int n = 2; current && current->id == r.id; ++n) {
    r.id = "mig-" + std::to_string(r.started_unix_ms) + "-" + std::to_string(n);
  }
  r.from = *Layout();
  r.to = to;
  r.state = r.from == r.to ? "done" : "running";
  if (r.state == "done") r.finished_unix_ms = r.started_unix_ms;
  PDB_RETURN_IF_ERROR(CommitMigration(to, r));
  spdlog::info("collection {}: migration {} started", config_.name, r.id);
  if (r.state == "running") StartConvergingLocked();
  return ProgressLocked(r);
}

Result<MigrationStatus> CollectionImpl::GetMigration() {
  MutexLock m(&migrate_mu_);
  std::optional<MigrationRecord> current = CurrentMigration();
  if (!current) {
    return Status::NotFound("collection '" + config_.name +
                            "' has not been migrated");
  }
  return ProgressLocked(*current);
}

Result<MigrationStatus> CollectionImpl::CancelMigration() {
  MutexLock m(&migrate_mu_);
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  std::optional<MigrationRecord> current = CurrentMigration();
  if (!current || current->state != "running") {
    return Status::FailedPrecondition(
        "collection '" + config_.name + "' has no migration running" +
        (current ? " (the last, " + current->id + ", is " + current->state + ")"
                 : std::string()));
  }
  MigrationRecord r = *current;
  r.state = "cancelled";
  r.finished_unix_ms = deps_.clock->NowMicros() / 1000;
  PDB_RETURN_IF_ERROR(CommitMigration(r.from, r));
  spdlog::info("collection {}: migration {} cancelled; rolling back",
               config_.name, r.id);
  StartConvergingLocked();  // rebuilds the segments migrated so far back
  return ProgressLocked(r);
}

std::optional<MigrationRecord> CollectionImpl::CurrentMigration() const {
  MutexLock lock(&config_mu_);
  return migration_;
}

Status CollectionImpl::EndMigrationLocked(const LayoutSettings& layout,
                                          const std::string& state,
                                          const std::string& error) {
  std::optional<MigrationRecord> current = CurrentMigration();
  if (!current || current->state != "running") return Status::OK();
  MigrationRecord r = *current;
  r.state = state;
  r.error = error;
  r.finished_unix_ms = deps_.clock->NowMicros() / 1000;
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  PDB_RETURN_IF_ERROR(CommitMigration(layout, r));
  spdlog::info("collection {}: migration {} {}", config_.name, r.id, state);
  return Status::OK();
}

void CollectionImpl::StartConverging() {
  MutexLock m(&migrate_mu_);
  StartConvergingLocked();
}

void CollectionImpl::StartConvergingLocked() {
  if (converging_) return;  // the running worker reads the new layout
  if (converge_thread_.joinable()) converge_thread_.join();  // it finished
  stop_converging_.store(false);
  // The ETA's base: what already matches (counted before converging_ is
  // set, so no ETA is computed here).
  converge_points_at_start_ = ProgressLocked(MigrationRecord{}).points_done;
  converging_ = true;
  converge_started_ = std::chrono::steady_clock::now();
  converge_thread_ = std::thread([this] { Converge(); });
}

void CollectionImpl::StopConverging() {
  std::thread t;
  {
    MutexLock m(&migrate_mu_);
    stop_converging_.store(true);
    t = std::move(converge_thread_);
  }
  if (t.joinable()) t.join();
  MutexLock m(&migrate_mu_);
  converging_ = false;
}

void CollectionImpl::StopBackgroundWork() {
  closing_->store(true, std::memory_order_release);
  StopConverging();
}

void CollectionImpl::Converge() {
  int failures = 0;
  while (!stop_converging_.load()) {
    const std::shared_ptr<const LayoutSettings> layout = Layout();
    std::shared_ptr<LiveSegment> next;
    bool waiting = false;
    {
      ReaderLock lock(&state_mu_);
      for (const auto& s : segments_) {  // oldest first
        if (s->cold() || LayoutMatches(*s, *layout)) continue;
        if (s->build_queued.load(std::memory_order_acquire)) {
          waiting = true;  // its own build is coming
          continue;
        }
        next = s;
        break;
      }
    }
    if (!next && waiting) {
      std::this_thread::sleep_for(kWaitForQueuedBuild);
      continue;
    }
    if (!next) {
      {
        // Every segment matches: a running migration is done.
        MutexLock m(&migrate_mu_);
        if (*Layout() != *layout) continue;  // changed meanwhile: go on
        Status s = EndMigrationLocked(*layout, "done", "");
        if (s.ok()) {
          converging_ = false;
          return;
        }
        spdlog::warn("collection {}: recording its migration done: {}",
                     config_.name, s.ToString());
      }
      // Retried, without the lock, until the catalog takes it or the
      // collection closes.
      std::this_thread::sleep_for(kRetryAfterFailure);
      continue;
    }
    const auto started = std::chrono::steady_clock::now();
    if (!CompressionMatches(*next, *layout)) {
      // Rewritten in the layout's compression: a compaction of the segment
      // alone, whose output then gets the layout's index like any
      // compaction's (the loop waits for that build).
      Status s = RewriteSegment(next);
      if (s.ok()) {
        failures = 0;
        spdlog::info("collection {}: segment {} rewritten with compression {}",
                     config_.name, next->seg->segment_id(),
                     layout->compression);
        continue;
      }
      spdlog::warn("collection {}: rewriting segment {}: {}", config_.name,
                   next->seg->segment_id(), s.ToString());
      if (s.IsNotFound() || ++failures < kAttemptsPerSegment) {
        std::this_thread::sleep_for(kRetryAfterFailure);
        continue;
      }
      MutexLock m(&migrate_mu_);
      Status e = EndMigrationLocked(
          *layout, "failed",
          "segment " + std::to_string(next->seg->segment_id()) + ": " +
              s.ToString());
      if (!e.ok()) {
        spdlog::error("collection {}: recording its migration failed: {}",
                      config_.name, e.ToString());
      }
      converging_ = false;
      return;
    }
    if (!UsesGraph(layout->index)) {
      // The layout has no index: searches scan the segment (from now on),
      // and its index file goes.
      next->set_graph(nullptr);
      Status s = next->WriteSidecar([&] {
        const std::string path = next->graph_path();
        return deps_.env->FileExists(path) ? deps_.env->RemoveFile(path)
                                           : Status::OK();
      });
      if (!s.ok()) {
        spdlog::warn("collection {}: removing {}: {}", config_.name,
                     next->graph_path(), s.ToString());
      }
      continue;
    }
    Status saved;
    const uint32_t threads = RebuildThreads();
    // Also stopped when the layout changes (a cancel): the rollback need
    // not wait for a build of the layout given up.
    const index::BuildStop segment_stop =
        SegmentBuildStop(closing_, next.get(), layout_, layout);
    const index::BuildStop stop = [&] {
      return stop_converging_.load() || segment_stop();
    };
    auto g = BuildSegmentIndex(io_env_.get(), *next, config_.metric, *layout,
                               threads, stop, &saved);
    if (!g.ok() && stop()) {
      spdlog::info("collection {}: migration's build of segment {} stopped",
                   config_.name, next->seg->segment_id());
      continue;  // the loop reads the stop flag and the layout again
    }
    if (g.ok() && saved.ok()) {
      next->set_graph(std::move(g).value());
      failures = 0;
      spdlog::info(
          "collection {}: segment {} migrated to index {} ({} vectors, "
          "{:.2f} s)",
          config_.name, next->seg->segment_id(), layout->index.algorithm,
          next->seg->size(),
          std::chrono::duration<double>(std::chrono::steady_clock::now() -
                                        started)
              .count());
      continue;
    }
    const Status why = g.ok() ? saved : g.status();
    spdlog::warn("collection {}: migrating segment {}: {}", config_.name,
                 next->seg->segment_id(), why.ToString());
    if (++failures < kAttemptsPerSegment) {
      std::this_thread::sleep_for(kRetryAfterFailure);
      continue;
    }
    // Given up: the migration fails; the segments keep serving with the
    // index they have (of either layout), and a new migration may start.
    MutexLock m(&migrate_mu_);
    Status s = EndMigrationLocked(*layout, "failed",
                                  "segment " +
                                      std::to_string(next->seg->segment_id()) +
                                      ": " + why.ToString());
    if (!s.ok()) {
      spdlog::error("collection {}: recording its migration failed: {}",
                    config_.name, s.ToString());
    }
    converging_ = false;
    return;
  }
}

}  // namespace proximadb
