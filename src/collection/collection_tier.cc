// Tiers: listing a collection's segments with their placement, the tiering
// policy, and moving a segment between tiers (docs/ARCHITECTURE.md, "Tiers
// and placement").
//
// A local move (hot <-> warm, or between data directories) is crash-safe by
// its order: the copy is written and fsynced beside the original, verified
// by opening it with every checksum, and only the catalog commit of the new
// placement makes it the segment; the original is deleted after the commit.
// A crash before the commit leaves the copy, after it the original: either
// is a file of a known segment in a directory the catalog does not place it
// in, which start-up deletes (FindStrays, "interrupted tier move").
#include <algorithm>
#include <set>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"
#include "util/file_copy.h"

namespace proximadb {

EffectiveTieringPolicy CollectionImpl::Tiering() const {
  MutexLock lock(&config_mu_);
  return Resolve(tiering_, deps_.options->tiering.defaults);
}

Status CollectionImpl::SetTieringPolicy(const TieringPolicy& policy) {
  return ChangeConfig([&](CollectionConfig* c) { c->tiering = policy; });
}

Result<std::vector<SegmentInfo>> CollectionImpl::ListSegments() {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  std::vector<SegmentInfo> out;
  ReaderLock lock(&state_mu_);
  for (const auto& s : segments_) {
    SegmentInfo i;
    i.id = s->seg->segment_id();
    i.tier = s->placement.tier;
    i.points = s->seg->size();
    i.live_points = s->live();
    i.bytes = s->bytes();
    i.directory = deps_.layout->Root(s->placement.volume);
    i.min_seq = s->seg->min_seq();
    i.max_seq = s->seg->max_seq();
    if (s->cold()) {
      // Loaded with the vectors; the saved graph is what it will load.
      std::shared_ptr<const ColdVectors> v = s->resident();
      i.graph_loaded =
          v ? v->graph != nullptr
            : UsesGraph() && deps_.env->FileExists(s->graph_path());
      i.cached = cold_cache_ && cold_cache_->Contains(s->seg->cold_ref()->key);
    } else {
      i.graph_loaded = s->graph() != nullptr;
    }
    i.newest_write_unix_ms = s->newest_write_unix_ms;
    i.compressed = s->seg->compressed();
    i.unpacked_bytes = s->seg->unpacked_bytes();
    out.push_back(std::move(i));
  }
  return out;
}

Status CollectionImpl::MoveSegment(uint64_t segment_id, Tier tier) {
  Status s = MoveSegmentImpl(segment_id, tier);
  // A refusal of the request itself (no such segment, a closed collection)
  // is not a failed move.
  if (!s.ok() && !s.IsNotFound() && s.code() != StatusCode::kInvalidArgument) {
    tier_move_failures_.fetch_add(1, std::memory_order_relaxed);
  }
  return s;
}

Status CollectionImpl::MoveSegmentImpl(uint64_t segment_id, Tier tier) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  // Serialised with compactions: the segment cannot be merged away while
  // it moves.
  MutexLock compact(&compact_mu_);
  std::shared_ptr<LiveSegment> seg;
  {
    ReaderLock lock(&state_mu_);
    for (const auto& s : segments_) {
      if (s->seg->segment_id() == segment_id) seg = s;
    }
  }
  if (!seg) {
    return Status::NotFound("collection '" + config_.name +
                            "' has no segment " + std::to_string(segment_id));
  }
  if (seg->placement.tier == tier) return Status::OK();
  if (tier == Tier::kCold) {
    Status s = MoveToColdLocked(seg);
    if (s.ok()) tier_moves_.fetch_add(1, std::memory_order_relaxed);
    return s;
  }
  const uint64_t need = FullBytes(*seg);
  std::string volume;
  if (tier == Tier::kHot) {
    PDB_ASSIGN_OR_RETURN(volume, deps_.layout->ChooseVolume(need));
  } else {
    const std::string dir = Tiering().warm_directory;
    if (dir.empty()) {
      return Status::FailedPrecondition(
          "collection '" + config_.name +
          "' has no warm directory: set tiering.warm_directory on the "
          "collection or [tiering] warm_directory on the server");
    }
    if (!deps_.env->IsDirectory(dir)) {
      return Status::Unavailable("warm directory " + dir +
                                 " is missing (not mounted?)");
    }
    volume = deps_.layout->Normalize(dir);
    PDB_ASSIGN_OR_RETURN(uint64_t free, deps_.env->GetFreeSpace(dir));
    if (free < need + StorageLayout::kMinFreeBytes) {
      return Status::ResourceExhausted("warm directory " + dir + " is full (" +
                                       std::to_string(free >> 20) +
                                       " MiB free)");
    }
  }
  Status s = seg->cold() ? MoveFromColdLocked(seg, tier, volume)
                         : MoveLocallyLocked(seg, tier, volume);
  if (s.ok()) tier_moves_.fetch_add(1, std::memory_order_relaxed);
  return s;
}

Result<uint64_t> CollectionImpl::TierByAge() {
  const EffectiveTieringPolicy policy = Tiering();
  const bool cold_on = policy.cold_after_hours > 0;
  if (cold_on && !deps_.objects && !warned_no_cold_.exchange(true)) {
    spdlog::warn(
        "collection {}: cold_after_hours is set, but no object store is "
        "configured ([tiering] s3_bucket or local_object_directory); "
        "segments stay hot or warm",
        config_.name);
  }
  const bool warm_on =
      policy.warm_after_hours > 0 && !policy.warm_directory.empty();
  if (!warm_on && !(cold_on && deps_.objects)) return 0;
  const uint64_t now_ms = deps_.clock->NowMicros() / 1000;
  auto older_than = [&](const LiveSegment& s, double hours) {
    const uint64_t t = s.newest_write_unix_ms;
    return t != 0 && now_ms > t &&
           static_cast<double>(now_ms - t) >= hours * 3600e3;
  };
  std::vector<std::pair<uint64_t, Tier>> due;
  {
    ReaderLock life(&lifecycle_mu_);
    PDB_RETURN_IF_ERROR(CheckOpen());
    ReaderLock lock(&state_mu_);
    for (const auto& s : segments_) {
      const Tier at = s->placement.tier;
      if (at == Tier::kCold) continue;
      if (cold_on && deps_.objects && now_ms >= cold_retry_at_ms_.load() &&
          older_than(*s, policy.cold_after_hours)) {
        due.emplace_back(s->seg->segment_id(), Tier::kCold);
      } else if (warm_on && at == Tier::kHot &&
                 older_than(*s, policy.warm_after_hours)) {
        due.emplace_back(s->seg->segment_id(), Tier::kWarm);
      }
    }
  }
  uint64_t moved = 0;
  for (const auto& [id, tier] : due) {
    Status s = MoveSegment(id, tier);
    if (s.IsNotFound()) continue;  // compacted meanwhile
    if (tier == Tier::kCold && s.code() == StatusCode::kFailedPrecondition &&
        deps_.objects) {
      continue;  // its graph is not saved yet: a later pass moves it
    }
    if (tier == Tier::kCold) {
      if (!s.ok()) {
        // The store is down or refuses: wait before packing and uploading
        // again (1, 2, 4 ... 60 minutes), one error logged per attempt.
        const uint32_t k = std::min<uint32_t>(cold_failures_in_row_++, 6);
        cold_retry_at_ms_.store(now_ms + (60'000ull << k));
        return Status(s.code(), s.message() +
                                    " (moves to cold are tried again in " +
                                    std::to_string(1u << k) + " min)");
      }
      cold_failures_in_row_.store(0);
    }
    PDB_RETURN_IF_ERROR(s);
    ++moved;
  }
  return moved;
}

Status CollectionImpl::CopyFilesDurably(const std::vector<std::string>& from,
                                        const std::string& to_dir) {
  // A move writes a whole segment: at the background budget's pace.
  BackgroundIoEnv* env = io_env_.get();
  uint64_t bytes = 0;
  for (const std::string& path : from) {
    Result<uint64_t> n = env->GetFileSize(path);
    if (n.ok()) bytes += *n;
  }
  BackgroundIoEnv::Task task(env, BackgroundKind::kTierMove, 1, bytes);
  for (const std::string& path : from) {
    PDB_RETURN_IF_ERROR(
        CopyFileDurably(env, path, to_dir + path.substr(path.rfind('/'))));
  }
  return env->SyncDir(to_dir);
}

void CollectionImpl::RemoveFilesAfterMove(
    const std::vector<std::string>& paths) {
  Env* env = deps_.env;
  std::set<std::string> dirs;
  for (const std::string& path : paths) {
    if (!env->FileExists(path)) continue;
    Status r = env->RemoveFile(path);
    if (!r.ok()) {
      // Start-up removes it (a file of a known segment outside its
      // placement).
      spdlog::warn("collection {}: removing {} after a tier move: {}",
                   config_.name, path, r.ToString());
    }
    dirs.insert(path.substr(0, path.rfind('/')));
  }
  for (const std::string& d : dirs) (void)env->SyncDir(d);
}

std::shared_ptr<LiveSegment> CollectionImpl::MovedCopy(
    const LiveSegment& seg, std::shared_ptr<segment::Segment> file,
    const catalog::Placement& where) {
  auto moved = std::make_shared<LiveSegment>(std::move(file), where);
  moved->set_payload(seg.payload());
  // The same rows: the named graphs serve the copy as they are (a build
  // still running for `seg` is redone for it: ScheduleNamedGraphBuild).
  moved->set_named_graphs(seg.named_graphs());
  moved->newest_write_unix_ms = seg.newest_write_unix_ms;
  return moved;
}

Status CollectionImpl::SwapMovedLocked(
    const std::shared_ptr<LiveSegment>& seg,
    const std::shared_ptr<LiveSegment>& moved) {
  const uint64_t id = seg->seg->segment_id();
  {
    // Commit, then swap under the exclusive lock, so no kill lands between
    // copying the deletion state and the swap.
    WriterLock lock(&state_mu_);
    SegmentChange change;
    change.placements.emplace_back(id, moved->placement);
    Status s = deps_.catalog->ApplySegmentChange(config_.name, change);
    if (!s.ok()) {
      // The commit may still take effect after a crash; then the new files
      // are the segment and start-up removes the old ones (and otherwise
      // the new ones): both stay until the outcome is known.
      spdlog::warn(
          "collection {}: commit of the move of segment {} failed ({}); "
          "keeping both copies until the next start",
          config_.name, id, s.ToString());
      return s;
    }
    for (size_t row = 0; row < seg->seg->size(); ++row) {
      if (seg->dead(row)) moved->deleted.Set(row);
    }
    moved->dirty.store(seg->dirty.load());
    std::replace(segments_.begin(), segments_.end(), seg, moved);
  }
  Status m = WriteManifest();
  if (!m.ok()) {
    spdlog::error("collection {}: writing its manifest: {}", config_.name,
                  m.ToString());
  }
  // No sidecar is written for the old one from now on (a build in flight
  // finishes first); readers holding it keep their mapping.
  seg->Retire();
  return Status::OK();
}

Status CollectionImpl::MoveLocallyLocked(
    const std::shared_ptr<LiveSegment>& seg, Tier tier,
    const std::string& volume) {
  Env* env = deps_.env;
  const uint64_t id = seg->seg->segment_id();
  const std::string to_dir = deps_.layout->SegmentDir(volume, dir_name_);
  const SegmentFiles to = SegmentFilesIn(to_dir, SegmentFileName(id), tier);
  if (to.main == seg->seg->path()) {
    return Status::InvalidArgument("segment " + std::to_string(id) +
                                   " is already in " + to_dir);
  }
  // 1. Copy, durably, and check the copy as start-up would.
  std::vector<std::string> from = {seg->seg->path()};
  for (const std::string& p : {seg->graph_path(), seg->payload_path()}) {
    if (env->FileExists(p)) from.push_back(p);
  }
  Status s = CreateDirsDurably(env, deps_.layout->Root(volume), to_dir);
  if (s.ok()) s = CopyFilesDurably(from, to_dir);
  Result<std::shared_ptr<segment::Segment>> copy =
      s.ok() ? segment::Segment::Open(env, to.main, /*verify_checksums=*/true)
             : Result<std::shared_ptr<segment::Segment>>(s);
  if (!copy.ok()) {
    RemoveFilesAfterMove(to.all());
    return Status(copy.status().code(), "moving segment " + std::to_string(id) +
                                            " to " + to_dir + ": " +
                                            copy.status().message() +
                                            "; the segment stays where it was");
  }
  catalog::Placement where;
  where.tier = tier;
  where.volume = volume;
  auto moved = MovedCopy(*seg, std::move(copy).value(), where);
  const bool graph_ok = LoadGraph(moved);

  // 2. Commit the new placement and swap.
  PDB_RETURN_IF_ERROR(SwapMovedLocked(seg, moved));
  if (!graph_ok) ScheduleGraphBuild(moved);
  ScheduleNamedGraphBuild(moved);
  // 3. The original's files go; one left behind is removed at the next
  // start.
  RemoveFilesAfterMove(
      {seg->seg->path(), seg->graph_path(), seg->payload_path()});
  spdlog::info("collection {}: segment {} moved to the {} tier ({})",
               config_.name, id, TierName(tier), to_dir);
  return Status::OK();
}

}  // namespace proximadb
