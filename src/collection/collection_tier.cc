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

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"

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
    i.bytes = s->seg->file_bytes();
    i.directory = deps_.layout->Root(s->placement.volume);
    i.min_seq = s->seg->min_seq();
    i.max_seq = s->seg->max_seq();
    i.graph_loaded = s->graph() != nullptr;
    i.newest_write_unix_ms = s->newest_write_unix_ms;
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
  std::string volume;
  switch (tier) {
    case Tier::kHot: {
      PDB_ASSIGN_OR_RETURN(volume,
                           deps_.layout->ChooseVolume(seg->seg->file_bytes()));
      break;
    }
    case Tier::kWarm: {
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
      if (free < seg->seg->file_bytes() + StorageLayout::kMinFreeBytes) {
        return Status::ResourceExhausted(
            "warm directory " + dir + " is full (" +
            std::to_string(free >> 20) + " MiB free)");
      }
      break;
    }
    case Tier::kCold:
      return Status::FailedPrecondition(
          "the cold tier (the object store) is not available in this build "
          "yet; segments can move between hot and warm");
  }
  Status s = MoveLocallyLocked(seg, tier, volume);
  if (s.ok()) tier_moves_.fetch_add(1, std::memory_order_relaxed);
  return s;
}

Result<uint64_t> CollectionImpl::TierByAge() {
  const EffectiveTieringPolicy policy = Tiering();
  if (policy.cold_after_hours > 0 && !warned_no_cold_.exchange(true)) {
    spdlog::warn(
        "collection {}: cold_after_hours is set, but the cold tier is not "
        "available in this build yet; segments stay hot or warm",
        config_.name);
  }
  if (policy.warm_after_hours <= 0 || policy.warm_directory.empty()) return 0;
  const uint64_t now_ms = deps_.clock->NowMicros() / 1000;
  const double warm_ms = policy.warm_after_hours * 3600e3;
  std::vector<uint64_t> due;
  {
    ReaderLock life(&lifecycle_mu_);
    PDB_RETURN_IF_ERROR(CheckOpen());
    ReaderLock lock(&state_mu_);
    for (const auto& s : segments_) {
      const uint64_t t = s->newest_write_unix_ms;
      if (s->placement.tier == Tier::kHot && t != 0 && now_ms > t &&
          static_cast<double>(now_ms - t) >= warm_ms) {
        due.push_back(s->seg->segment_id());
      }
    }
  }
  uint64_t moved = 0;
  for (uint64_t id : due) {
    Status s = MoveSegment(id, Tier::kWarm);
    if (s.IsNotFound()) continue;  // compacted meanwhile
    PDB_RETURN_IF_ERROR(s);
    ++moved;
  }
  return moved;
}

Status CollectionImpl::CopySegmentFiles(const LiveSegment& seg,
                                        const std::string& to_dir) {
  Env* env = deps_.env;
  for (const std::string& from :
       {seg.seg->path(), seg.graph_path(), seg.payload_path()}) {
    if (from != seg.seg->path() && !env->FileExists(from)) continue;
    const std::string to = to_dir + from.substr(from.rfind('/'));
    PDB_ASSIGN_OR_RETURN(auto in, env->NewRandomAccessFile(from));
    PDB_ASSIGN_OR_RETURN(auto out, env->NewWritableFile(to));
    std::string buf(1 << 20, '\0');
    for (uint64_t off = 0; off < in->Size();) {
      std::string_view got;
      PDB_RETURN_IF_ERROR(in->Read(off, buf.size(), buf.data(), &got));
      if (got.empty()) {
        return Status::IOError("short read of " + from);
      }
      PDB_RETURN_IF_ERROR(out->Append(got));
      off += got.size();
    }
    PDB_RETURN_IF_ERROR(out->Sync());
    PDB_RETURN_IF_ERROR(out->Close());
  }
  return env->SyncDir(to_dir);
}

Status CollectionImpl::MoveLocallyLocked(
    const std::shared_ptr<LiveSegment>& seg, Tier tier,
    const std::string& volume) {
  Env* env = deps_.env;
  const uint64_t id = seg->seg->segment_id();
  const std::string to_dir = deps_.layout->SegmentDir(volume, dir_name_);
  const std::string to = to_dir + "/" + SegmentFileName(id);
  if (to == seg->seg->path()) {
    return Status::InvalidArgument("segment " + std::to_string(id) +
                                   " is already in " + to_dir);
  }
  auto remove_copy = [&] {
    for (const char* ext : {".pdb", ".hnsw", ".pidx"}) {
      const std::string p = to.substr(0, to.size() - 4) + ext;
      if (env->FileExists(p)) (void)env->RemoveFile(p);
    }
  };
  // 1. Copy, durably, and check the copy as start-up would.
  Status s = CreateDirsDurably(env, deps_.layout->Root(volume), to_dir);
  if (s.ok()) s = CopySegmentFiles(*seg, to_dir);
  Result<std::shared_ptr<segment::Segment>> copy =
      s.ok() ? segment::Segment::Open(env, to, /*verify_checksums=*/true)
             : Result<std::shared_ptr<segment::Segment>>(s);
  if (!copy.ok()) {
    remove_copy();
    return Status(copy.status().code(), "moving segment " + std::to_string(id) +
                                            " to " + to_dir + ": " +
                                            copy.status().message() +
                                            "; the segment stays where it was");
  }
  catalog::Placement where;
  where.tier = tier;
  where.volume = volume;
  auto moved = std::make_shared<LiveSegment>(std::move(copy).value(), where);
  moved->set_payload(seg->payload());
  moved->newest_write_unix_ms = seg->newest_write_unix_ms;
  const bool graph_ok = LoadGraph(moved);

  // 2. Commit the new placement, then swap under the exclusive lock so no
  // kill lands between copying the deletion state and the swap.
  {
    WriterLock lock(&state_mu_);
    SegmentChange change;
    change.placements.emplace_back(id, where);
    s = deps_.catalog->ApplySegmentChange(config_.name, change);
    if (!s.ok()) {
      // The commit may still take effect after a crash; then the copy is
      // the segment and start-up removes the original (and otherwise the
      // copy): both stay until the outcome is known.
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
  if (!graph_ok) ScheduleGraphBuild(moved);
  s = WriteManifest();
  if (!s.ok()) {
    spdlog::error("collection {}: writing its manifest: {}", config_.name,
                  s.ToString());
  }
  // 3. The original's files go (readers still holding it keep their
  // mapping); one left behind is removed at the next start.
  seg->Retire();
  const std::string from_dir =
      seg->seg->path().substr(0, seg->seg->path().rfind('/'));
  for (const std::string& path :
       {seg->seg->path(), seg->graph_path(), seg->payload_path()}) {
    if (!env->FileExists(path)) continue;
    Status r = env->RemoveFile(path);
    if (!r.ok()) {
      spdlog::warn("collection {}: removing {} after its move: {}",
                   config_.name, path, r.ToString());
    }
  }
  (void)env->SyncDir(from_dir);
  spdlog::info("collection {}: segment {} moved to the {} tier ({})",
               config_.name, id, TierName(tier), to_dir);
  return Status::OK();
}

}  // namespace proximadb
