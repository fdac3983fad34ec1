// Flush (memtable -> immutable segment, fenced in the catalog) and compaction
// (merge segments, drop dead points), plus the policy checks that trigger
// them.
#include <malloc.h>

#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"
#include "collection/compaction_policy.h"
#include "storage/segment/segment_writer.h"

namespace proximadb {

namespace {
constexpr double kMiB = 1024.0 * 1024.0;

// About the size of the segment file a flush of `rows` rows writes.
uint64_t FlushBytes(const Memtable& m, size_t rows) {
  return m.bytes() + rows * 32 + 4096;
}
constexpr double kMicrosPerHour = 3600.0 * 1e6;
}  // namespace

Result<std::shared_ptr<LiveSegment>> CollectionImpl::WriteLiveSegment(
    uint64_t seg_id, size_t count, uint64_t bytes,
    const std::function<segment::SegmentRow(size_t)>& row_at) {
  PDB_ASSIGN_OR_RETURN(std::string volume, deps_.layout->ChooseVolume(bytes));
  PDB_RETURN_IF_ERROR(
      CreateDirsDurably(deps_.env, deps_.layout->Root(volume),
                        deps_.layout->SegmentDir(volume, dir_name_)));
  const std::string path = SegmentPath(volume, seg_id);
  segment::SegmentWriteOptions opts;
  opts.segment_id = seg_id;
  opts.dimension = config_.dimension;
  opts.metric = config_.metric;
  // The layout's compression when the segment is written; a migration to
  // another one rewrites the hot segments (RewriteSegment).
  opts.compress = Layout()->compression == "zstd";
  PDB_RETURN_IF_ERROR(segment::WriteSegment(
      io_env_.get(), path, opts, count, row_at, [](size_t) { return false; }));
  auto opened = segment::Segment::Open(deps_.env, path);
  if (!opened.ok()) {
    (void)deps_.env->RemoveFile(path);
    return opened.status();
  }
  catalog::Placement where;
  where.volume = std::move(volume);
  return std::make_shared<LiveSegment>(std::move(opened).value(),
                                       std::move(where));
}

SegmentRecord CollectionImpl::RecordOf(const LiveSegment& live,
                                       uint64_t min_seq, uint64_t max_seq) {
  SegmentRecord rec;
  rec.segment_id = live.seg->segment_id();
  rec.file_name = SegmentFileName(live.seg->segment_id());
  rec.point_count = live.seg->size();
  rec.min_seq = min_seq;
  rec.max_seq = max_seq;
  rec.deleted_bitmap = live.deleted.ToBytes();
  rec.placement = live.placement;
  rec.newest_write_unix_ms = live.newest_write_unix_ms;
  return rec;
}

void CollectionImpl::KeepUncommittedLocked(const std::string& path,
                                           const Status& why) {
  // The commit failed, but its record may have reached the catalog's log
  // before the failure, and after a crash it would count. Until a later
  // commit proves otherwise the file may be referenced: keep it.
  uncommitted_files_.push_back(path);
  spdlog::warn(
      "collection {}: catalog commit failed ({}); keeping {} until "
      "the outcome is known",
      config_.name, why.ToString(), path);
}

void CollectionImpl::RemoveUncommittedLocked() {
  // A commit just succeeded: no earlier failed one can still take effect,
  // and no committed state lists these files.
  for (auto it = uncommitted_files_.begin(); it != uncommitted_files_.end();) {
    Status s = deps_.env->RemoveFile(*it);
    if (s.ok() || s.IsNotFound()) {
      it = uncommitted_files_.erase(it);
    } else {
      ++it;
    }
  }
}

Status CollectionImpl::Flush() {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  MutexLock flush(&flush_mu_);
  return FlushLocked();
}

Result<bool> CollectionImpl::FreezeMemtableLocked() {
  // Swap in an empty memtable at an exact WAL sequence, so the frozen rows
  // are exactly the writes <= fence. A frozen memtable left by a failed
  // flush is retried first.
  bool have_frozen;
  {
    ReaderLock lock(&state_mu_);
    have_frozen = frozen_ != nullptr;
    if (!have_frozen && wal_->last_seq() == fenced_seq_) return false;
  }
  if (!have_frozen) {
    PDB_RETURN_IF_ERROR(wal_->Rotate([&](uint64_t last_seq) {
      WriterLock lock(&state_mu_);
      frozen_ = std::move(mem_);
      frozen_fence_ = last_seq;
      // ValidateCollectionConfig admitted only the kinds there are.
      mem_ = std::make_shared<Memtable>(config_.dimension, config_.metric,
                                        MemtableKindFromName(Layout()->memtable)
                                            .value_or(MemtableKind::kBTree));
    }));
  }
  return true;
}

void CollectionImpl::TrimWalAfterFlushLocked(uint64_t fence) {
  // The manifest records the commit; only then is the WAL up to the fence
  // redundant (a manifest one commit behind still needs it).
  Status s = WriteManifest();
  if (!s.ok()) {
    spdlog::error(
        "collection {}: writing its manifest after the flush: {}; the WAL "
        "files up to sequence {} are kept until a later flush writes it",
        config_.name, s.ToString(), fence);
  } else {
    trim_fence_ = fence;
    last_trim_micros_ = deps_.clock->NowMicros();
    s = wal_->RemoveObsoleteFiles(fence);
    if (!s.ok()) {
      spdlog::warn("collection {}: removing old WAL files: {}", config_.name,
                   s.ToString());
    }
  }
}

void CollectionImpl::TrimWalIfDue() {
  ReaderLock life(&lifecycle_mu_);
  if (!CheckOpen().ok()) return;
  MutexLock flush(&flush_mu_);
  const uint64_t now = deps_.clock->NowMicros();
  if (trim_fence_ == 0 || now < last_trim_micros_ + 60 * 1000000ull) return;
  last_trim_micros_ = now;
  Status s = wal_->RemoveObsoleteFiles(trim_fence_);
  if (!s.ok()) {
    spdlog::warn("collection {}: removing old WAL files: {}", config_.name,
                 s.ToString());
  }
}

Status CollectionImpl::FlushLocked() {
  const auto started = std::chrono::steady_clock::now();
  // 1. Freeze (FreezeMemtableLocked).
  PDB_ASSIGN_OR_RETURN(const bool frozen_rows, FreezeMemtableLocked());
  if (!frozen_rows) return Status::OK();
  BackgroundIoEnv::Task task(io_env_.get(), BackgroundKind::kFlush, 1, 0);

  // 2. Write the segment from the frozen rows live now, in id order. Rows
  // killed from here on are caught at commit time below.
  std::shared_ptr<Memtable> frozen;
  uint64_t fence, seg_id, prev_fence;
  {
    WriterLock lock(&state_mu_);
    frozen = frozen_;
    fence = frozen_fence_;
    prev_fence = fenced_seq_;
    seg_id = next_segment_id_++;
  }
  std::vector<uint32_t> rows;
  rows.reserve(frozen->live());
  frozen->ScanLiveFrom("", [&](uint32_t row) {
    rows.push_back(row);
    return true;
  });
  std::shared_ptr<LiveSegment> live;
  if (!rows.empty()) {
    const uint64_t bytes = FlushBytes(*frozen, rows.size());
    task.set_bytes_total(bytes);
    PDB_ASSIGN_OR_RETURN(
        live, WriteLiveSegment(seg_id, rows.size(), bytes, [&](size_t i) {
          uint32_t r = rows[i];
          return segment::SegmentRow{
              frozen->id(r),      frozen->vector(r), frozen->metadata(r),
              frozen->version(r), frozen->sparse(r), frozen->expires_at(r)};
        }));
  }
  // Payload indexes are built before the segment is published, so a
  // filtered search never sees the new segment without them.
  if (live) BuildPayloadNow(live);

  // 3. Commit segment + deletion bitmaps + WAL fence in one catalog
  // transaction, then swap in memory. Done under the exclusive lock so no
  // kill lands between computing the bitmaps and the swap.
  {
    WriterLock lock(&state_mu_);
    SegmentChange change;
    if (live) {
      for (size_t i = 0; i < rows.size(); ++i) {
        if (frozen->dead(rows[i])) live->deleted.Set(i);
      }
      live->newest_write_unix_ms = deps_.clock->NowMicros() / 1000;
      change.added.push_back(RecordOf(*live, prev_fence + 1, fence));
    }
    for (const auto& s : segments_) {
      if (s->dirty.load()) {
        change.bitmaps.emplace_back(s->seg->segment_id(), s->deleted.ToBytes());
      }
    }
    change.fenced_seq = fence;
    change.next_segment_id = next_segment_id_;
    Status s = deps_.catalog->ApplySegmentChange(config_.name, change);
    if (!s.ok()) {
      if (live) KeepUncommittedLocked(live->seg->path(), s);
      return s;
    }
    RemoveUncommittedLocked();
    for (const auto& seg : segments_) seg->dirty.store(false);
    if (live) segments_.push_back(live);
    frozen_.reset();
    fenced_seq_ = fence;
    ReportMemtableMemoryLocked();
  }
  ReportSegmentMemory();
  if (deps_.memory != nullptr && deps_.memory->limit() > 0) {
    // The freed memtable's memory goes back to the system, not only to
    // the allocator's free lists (what the budget promises is the
    // process's memory, not the allocator's view of it).
    malloc_trim(0);
  }
  flushes_.Add(live ? live->seg->file_bytes() : 0, started);

  if (live) SavePayload(live);
  if (live) ScheduleGraphBuild(live);
  if (live) ScheduleNamedGraphBuild(live);

  // 4. Manifest, then the WAL files the commit made redundant.
  TrimWalAfterFlushLocked(fence);
  spdlog::info("collection {}: flushed {} points into segment {} (fence {})",
               config_.name, rows.size(), seg_id, fence);
  return Status::OK();
}

Status CollectionImpl::Compact() {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  MutexLock compact(&compact_mu_);
  return CompactLocked(/*everything=*/true).status();
}

Result<bool> CollectionImpl::CompactIfWanted() {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  MutexLock compact(&compact_mu_);
  return CompactLocked(/*everything=*/false);
}

bool CollectionImpl::CompactionWanted() {
  ReaderLock lock(&state_mu_);
  auto [b, e] = PickCompactionLocked(/*everything=*/false);
  return e > b;
}

std::pair<size_t, size_t> CollectionImpl::PickCompactionLocked(
    bool everything) const {
  // Only hot segments are rewritten, and a merge never spans a warm or cold
  // one (its output would be hot): candidates are the hot segments after
  // the newest segment of another tier.
  size_t first = segments_.size();
  while (first > 0 && segments_[first - 1]->placement.tier == Tier::kHot) {
    --first;
  }
  const size_t n = segments_.size() - first;
  if (everything) {
    bool any_dead = std::any_of(segments_.begin() + first, segments_.end(),
                                [](auto& s) { return s->deleted.Count() > 0; });
    return n >= 2 || (n == 1 && any_dead)
               ? std::pair<size_t, size_t>{first, first + n}
               : std::pair<size_t, size_t>{0, 0};
  }
  const DBOptions& o = *deps_.options;
  std::vector<SegmentSize> sizes;
  sizes.reserve(n);
  for (size_t i = first; i < segments_.size(); ++i) {
    sizes.push_back({segments_[i]->seg->size(), segments_[i]->live()});
  }
  // Under a memory budget no merge makes a segment whose graph build would
  // take more than a quarter of it.
  uint64_t max_live = 0;
  if (deps_.memory != nullptr && deps_.memory->limit() > 0) {
    const uint64_t per_row =
        std::max<uint64_t>(EstimateBuildBytes(1, config_.dimension,
                                              config_.metric, Layout()->index),
                           1);
    max_live = std::max<uint64_t>(deps_.memory->limit() / 4 / per_row, 1);
  }
  CompactionPick pick = PickCompaction(sizes, o.compaction_min_segments,
                                       o.compaction_dead_ratio, max_live);
  if (pick.end <= pick.begin) return {0, 0};
  return {first + pick.begin, first + pick.end};
}

void CollectionImpl::ReplaceSegmentsLocked(
    const std::vector<std::shared_ptr<LiveSegment>>& inputs,
    const std::shared_ptr<LiveSegment>& out) {
  // The output takes the inputs' place; segments flushed meanwhile were
  // appended after them.
  std::vector<std::shared_ptr<LiveSegment>> next;
  for (const auto& seg : segments_) {
    if (seg == inputs.front() && out) next.push_back(out);
    if (std::find(inputs.begin(), inputs.end(), seg) == inputs.end()) {
      next.push_back(seg);
    }
  }
  segments_ = std::move(next);
}

void CollectionImpl::RemoveCompactedInputsLocked(
    const std::vector<std::shared_ptr<LiveSegment>>& inputs) {
  std::vector<uint64_t> gone;  // inputs whose files are all deleted
  for (const auto& in : inputs) {
    in->Retire();  // no graph or payload index is saved for it any more
    bool all = true;
    for (const std::string& path :
         {in->seg->path(), in->graph_path(), in->payload_path()}) {
      if (!deps_.env->FileExists(path)) continue;
      Status s = deps_.env->RemoveFile(path);
      if (!s.ok()) {
        all = false;
        spdlog::warn("collection {}: removing {}: {}", config_.name, path,
                     s.ToString());
      }
    }
    if (all) gone.push_back(in->seg->segment_id());
  }
  // Once the deletions are durable, the catalog forgets them; whatever is
  // left is deleted (and forgotten) by the next start.
  Status forget;
  std::set<std::string> dirs;
  for (const auto& in : inputs) {
    const std::string& p = in->seg->path();
    dirs.insert(p.substr(0, p.rfind('/')));
  }
  for (const std::string& d : dirs) {
    if (forget.ok()) forget = deps_.env->SyncDir(d);
  }
  if (forget.ok()) {
    forget = deps_.catalog->ForgetObsoleteSegments(config_.name, gone);
  }
  if (!forget.ok()) {
    spdlog::warn("collection {}: after removing compacted segments: {}",
                 config_.name, forget.ToString());
  }
}

Result<bool> CollectionImpl::CompactLocked(bool everything) {
  // 1. Snapshot the inputs (a run of segments contiguous in age) and their
  // deletion state as of now; later kills are carried over at commit.
  std::vector<std::shared_ptr<LiveSegment>> inputs;
  uint64_t seg_id;
  {
    WriterLock lock(&state_mu_);
    auto [b, e] = PickCompactionLocked(everything);
    if (e <= b) return false;
    inputs.assign(segments_.begin() + b, segments_.begin() + e);
    seg_id = next_segment_id_++;
  }
  PDB_RETURN_IF_ERROR(MergeSegmentsLocked(inputs, seg_id));
  return true;
}

Status CollectionImpl::RewriteSegment(const std::shared_ptr<LiveSegment>& seg) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  MutexLock compact(&compact_mu_);
  uint64_t seg_id;
  {
    WriterLock lock(&state_mu_);
    if (std::find(segments_.begin(), segments_.end(), seg) == segments_.end() ||
        seg->placement.tier != Tier::kHot) {
      return Status::OK();  // compacted, dropped or moved meanwhile
    }
    seg_id = next_segment_id_++;
  }
  return MergeSegmentsLocked({seg}, seg_id);
}

Status CollectionImpl::MergeSegmentsLocked(
    const std::vector<std::shared_ptr<LiveSegment>>& inputs, uint64_t seg_id) {
  const auto started = std::chrono::steady_clock::now();
  struct Src {
    uint32_t input;
    uint32_t row;
  };
  std::vector<Src> rows;
  uint64_t max_seq = 0, min_seq = UINT64_MAX;
  for (uint32_t i = 0; i < inputs.size(); ++i) {
    const auto& in = *inputs[i];
    max_seq = std::max(max_seq, in.seg->max_seq());
    min_seq = std::min(min_seq, in.seg->min_seq());
    for (uint32_t r = 0; r < in.seg->size(); ++r) {
      if (!in.dead(r)) rows.push_back({i, r});
    }
  }
  auto id_of = [&](const Src& s) { return inputs[s.input]->seg->id(s.row); };
  std::sort(rows.begin(), rows.end(),
            [&](const Src& a, const Src& b) { return id_of(a) < id_of(b); });

  // 2. Write the merged segment (no file when nothing is live).
  std::shared_ptr<LiveSegment> out;
  uint64_t input_bytes = 0, input_rows = 0;
  for (const auto& in : inputs) {
    input_bytes += in->seg->file_bytes();
    input_rows += in->seg->size();
  }
  // Its progress: the live share of the inputs' bytes is about what it
  // writes.
  BackgroundIoEnv::Task task(
      io_env_.get(), BackgroundKind::kCompaction, inputs.size(),
      input_rows == 0
          ? 0
          : static_cast<uint64_t>(double(input_bytes) * double(rows.size()) /
                                  double(input_rows)));
  if (!rows.empty()) {
    PDB_ASSIGN_OR_RETURN(
        out, WriteLiveSegment(seg_id, rows.size(), input_bytes, [&](size_t i) {
          const auto& s = *inputs[rows[i].input]->seg;
          uint32_t r = rows[i].row;
          return segment::SegmentRow{
              s.id(r),      s.vector(r), s.metadata_json(r),
              s.version(r), s.sparse(r), s.expires_at(r)};
        }));
  }
  if (out) BuildPayloadNow(out);

  // 3. Carry over kills that happened while we wrote, commit, swap.
  {
    WriterLock lock(&state_mu_);
    SegmentChange change;
    if (out) {
      for (size_t i = 0; i < rows.size(); ++i) {
        if (inputs[rows[i].input]->dead(rows[i].row)) out->deleted.Set(i);
      }
      for (const auto& in : inputs) {
        out->newest_write_unix_ms =
            std::max(out->newest_write_unix_ms, in->newest_write_unix_ms);
      }
      change.added.push_back(RecordOf(*out, min_seq, max_seq));
    }
    for (const auto& in : inputs)
      change.removed.push_back(in->seg->segment_id());
    change.next_segment_id = next_segment_id_;
    Status s = deps_.catalog->ApplySegmentChange(config_.name, change);
    if (!s.ok()) {
      if (out) KeepUncommittedLocked(out->seg->path(), s);
      return s;
    }
    RemoveUncommittedLocked();
    ReplaceSegmentsLocked(inputs, out);
  }
  compactions_.Add(out ? out->seg->file_bytes() : 0, started);

  if (out) SavePayload(out);
  if (out) ScheduleGraphBuild(out);
  if (out) ScheduleNamedGraphBuild(out);

  // 4. Searches still holding the inputs keep their mappings alive; the
  // files themselves (and their graphs) can go once the manifest records
  // the commit (one a commit behind still lists them).
  Status m = WriteManifest();
  if (!m.ok()) {
    spdlog::error(
        "collection {}: writing its manifest after the compaction: {}; the "
        "input segment files are kept (quarantined at the next start)",
        config_.name, m.ToString());
    return Status::OK();
  }
  RemoveCompactedInputsLocked(inputs);
  spdlog::info("collection {}: compacted {} segments into {} ({} live points)",
               config_.name, inputs.size(),
               out ? std::to_string(seg_id) : "none", rows.size());
  return Status::OK();
}

namespace {
// A memtable smaller than this is not flushed for the memory budget (a
// segment per tiny memtable would cost more than it frees).
constexpr uint64_t kMinMemoryFlushBytes = 256 << 10;
}  // namespace

void CollectionImpl::ReportMemtableMemoryLocked() {
  memory_.SetMemtables(mem_->MemoryBytes() +
                       (frozen_ ? frozen_->MemoryBytes() : 0));
}

void CollectionImpl::ReportSegmentMemory() {
  MemoryUsage u;
  ReaderLock lock(&state_mu_);
  for (const auto& s : segments_) {
    if (auto g = s->graph()) u.graphs += g->HeapBytes();
    if (auto named = s->named_graphs()) {
      for (const auto& [name, g] : *named) u.graphs += g->bytes;
    }
    if (auto p = s->payload()) u.payload_indexes += p->MemoryBytes();
    u.unpacked_segments += s->seg->unpacked_bytes();
    if (auto r = s->resident(); r && r->graph)
      u.graphs += r->graph->HeapBytes();
  }
  memory_.SetSegments(u);
}

FlushCheck CollectionImpl::CheckFlush() {
  FlushCheck check;
  CollectionConfig cfg = config();
  EffectiveFlushPolicy p = Resolve(cfg.flush, deps_.options->flush_defaults);
  check.priority = p.flush_priority;
  // Called every pass of the flusher: the segments' memory is refreshed
  // here (graph and payload index builds finish in the background).
  ReportSegmentMemory();
  // The memory budget wants flushes: the memtables are what a flush gives
  // back (their rows go to mmapped segment files).
  if (deps_.memory != nullptr && deps_.memory->FlushWanted()) {
    ReaderLock lock(&state_mu_);
    if (frozen_ == nullptr && mem_->bytes() >= kMinMemoryFlushBytes) {
      check.due = true;
      check.reason = "memory";
      check.priority = 100;
      return check;
    }
  }
  // Half the WAL cap: due whatever the policy says, so that writes are
  // refused (CheckWalRoom) only when flushes cannot keep up.
  const uint64_t cap = deps_.options->max_unflushed_wal_bytes;
  if (cap > 0) {
    ReaderLock lock(&state_mu_);
    if (frozen_ == nullptr && mem_->rows() > 0 &&
        wal_->BytesAfter(fenced_seq_) >= cap / 2) {
      check.due = true;
      check.reason = "wal_cap";
      check.priority = 100;
      return check;
    }
  }
  if (!p.enable_background_flush) return check;
  ReaderLock lock(&state_mu_);
  if (frozen_) {  // a failed flush left rows behind: retry it
    check.due = true;
    check.reason = "retry";
    return check;
  }
  if (mem_->rows() == 0) return check;
  const uint64_t now = deps_.clock->NowMicros();
  const uint64_t oldest = mem_->oldest_write_micros();
  if (static_cast<double>(wal_->BytesAfter(fenced_seq_)) >=
      p.max_wal_size_mb * kMiB) {
    check.reason = "size";
  } else if (mem_->rows() >= p.max_vector_count) {
    check.reason = "count";
  } else if (oldest != 0 && now > oldest &&
             static_cast<double>(now - oldest) >=
                 p.max_wal_age_hours * kMicrosPerHour) {
    check.reason = "age";
  } else if (static_cast<double>(mem_->bytes()) >=
             static_cast<double>(deps_.options->memtable_size_mb) * kMiB) {
    check.reason = "memtable";
  }
  check.due = !check.reason.empty();
  return check;
}

CollectionInfo CollectionImpl::Info() {
  CollectionInfo info;
  info.config = config();
  info.created_at_unix_ms = created_at_unix_ms_;
  {
    MutexLock m(&migrate_mu_);
    std::optional<MigrationRecord> current;
    {
      MutexLock lock(&config_mu_);
      current = migration_;
    }
    if (current) info.migration = ProgressLocked(*current);
  }
  ReapExpired();
  ReaderLock lock(&state_mu_);
  info.memtable_points = mem_->live() + (frozen_ ? frozen_->live() : 0);
  info.point_count = info.memtable_points;
  for (const auto& s : segments_) {
    const uint64_t live = s->live();
    info.point_count += live;
    TierTotals& t = info.tiers[static_cast<size_t>(s->placement.tier)];
    ++t.segments;
    t.bytes += s->bytes();
    t.points += live;
  }
  info.segment_count = segments_.size();
  info.payload_indexes = payload_defs_->Get();
  info.memory = memory_.reported();
  if (wal_) {
    info.wal_bytes = wal_->live_bytes();
    info.last_sequence = wal_->last_seq();
  }
  uint64_t oldest = mem_->oldest_write_micros();
  if (frozen_ && frozen_->oldest_write_micros() != 0) {
    oldest = frozen_->oldest_write_micros();
  }
  uint64_t now = deps_.clock->NowMicros();
  if (oldest != 0 && now > oldest) {
    info.oldest_unflushed_age_seconds = (now - oldest) / 1e6;
  }
  constexpr auto kRelaxed = std::memory_order_relaxed;
  info.flush_count = flushes_.count.load(kRelaxed);
  info.flush_bytes = flushes_.bytes.load(kRelaxed);
  info.flush_seconds = flushes_.nanos.load(kRelaxed) / 1e9;
  info.compaction_count = compactions_.count.load(kRelaxed);
  info.adaptive_graphs_kept = adaptive_->kept.load(kRelaxed);
  info.adaptive_graphs_declined = adaptive_->declined.load(kRelaxed);
  info.compaction_bytes = compactions_.bytes.load(kRelaxed);
  info.compaction_seconds = compactions_.nanos.load(kRelaxed) / 1e9;
  info.background_io = io_env_->Snapshot();
  info.recovery = recovery_;
  info.tiering.moves = tier_moves_.load(kRelaxed);
  info.tiering.move_failures = tier_move_failures_.load(kRelaxed);
  info.tiering.uploads = uploads_.load(kRelaxed);
  info.tiering.upload_bytes = upload_bytes_.load(kRelaxed);
  info.tiering.retries = deps_.objects ? deps_.objects->retries() : 0;
  info.tiering.failures = cold_transfer_failures_.load(kRelaxed) +
                          cold_read_failures_.load(kRelaxed);
  uint64_t downloads = downloads_.load(kRelaxed);
  uint64_t download_bytes = download_bytes_.load(kRelaxed);
  if (cold_cache_) {
    const object::ObjectCache::Stats c = cold_cache_->stats();
    info.tiering.cache_hits = c.hits;
    info.tiering.cache_misses = c.misses;
    info.tiering.cache_evictions = c.evictions;
    info.tiering.cache_bytes = c.bytes_cached;
    downloads += c.downloads;
    download_bytes += c.download_bytes;
  }
  info.tiering.downloads = downloads;
  info.tiering.download_bytes = download_bytes;
  return info;
}

void CollectionImpl::WorkCounter::Add(
    uint64_t b, std::chrono::steady_clock::time_point start) {
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(
                std::chrono::steady_clock::now() - start)
                .count();
  count.fetch_add(1, std::memory_order_relaxed);
  bytes.fetch_add(b, std::memory_order_relaxed);
  nanos.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
}

}  // namespace proximadb
