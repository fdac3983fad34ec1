// Recovering a collection from its catalog record, in two steps: Recover
// checks everything and rebuilds the in-memory state without changing a
// byte on disk; Start then makes the changes Recover decided (quarantine,
// torn-tail cut, manifest) and opens the WAL for writing. DBImpl runs Start
// only once every collection recovered (docs/ARCHITECTURE.md, "Recovery").
#include <algorithm>
#include <cinttypes>
#include <set>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"
#include "storage/catalog/manifest.h"
#include "storage/wal/wal_format.h"

namespace proximadb {

namespace {

bool EndsWith(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() &&
         s.substr(s.size() - suffix.size()) == suffix;
}

// Why a file in segments/ that no listed segment accounts for is there.
std::string SegmentStrayReason(const std::string& name) {
  if (EndsWith(name, ".tmp")) {
    return "temporary file of a write that did not complete (a flush, "
           "compaction, graph or payload index save cut short by a crash)";
  }
  if (EndsWith(name, ".pdb")) {
    return "segment file the catalog does not list (the output of a flush or "
           "compaction that did not commit)";
  }
  if (EndsWith(name, ".hnsw") || EndsWith(name, ".pidx")) {
    return "graph or payload index of a segment the catalog does not list";
  }
  return "unknown file in the segments directory";
}

std::string RebuildHint() {
  return " Nothing was changed. If the catalog lost commits (a damaged "
         "catalog.db-wal, a restored backup), rebuild it from the "
         "collections' manifests: proximadb-server --data-dir <dir> "
         "--rebuild-catalog (README, \"Recovery\").";
}

}  // namespace

Result<std::shared_ptr<CollectionImpl>> CollectionImpl::Recover(
    const CollectionDeps& deps, const CollectionRecord& record,
    const std::string& dir) {
  std::shared_ptr<CollectionImpl> c(new CollectionImpl(deps, record, dir));
  c->plan_ = std::make_unique<RecoveryPlan>();
  c->plan_->record = record;
  if (!record.wal_root.empty() && !deps.env->IsDirectory(record.wal_root)) {
    return Status::Unavailable(
        "WAL directory " + record.wal_root +
        " is missing (not mounted?): it "
        "holds the WAL of collection '" +
        record.config.name +
        "'. Mount it (or put the directory back) and start again; nothing "
        "was changed");
  }
  if (!deps.env->IsDirectory(dir)) {
    return Status::Corruption("directory " + dir +
                              " is missing: the catalog lists the collection "
                              "but its files are gone." +
                              RebuildHint());
  }
  PDB_RETURN_IF_ERROR(c->CheckManifest(record));
  PDB_RETURN_IF_ERROR(c->OpenSegments(record));
  PDB_RETURN_IF_ERROR(c->FindStrays(record));

  // Replay what was acknowledged after the last flush; every sequence after
  // the fence must be there. A torn tail is only noted here.
  wal::WalReplayOptions o;
  o.format = record.config.wal_format;
  o.after_seq = record.fenced_seq;
  o.require_continuity = true;
  o.cut_torn_tail = false;
  wal::WalReplayInfo info;
  size_t segment_count;
  {
    WriterLock lock(&c->state_mu_);
    Status s = wal::ReplayWal(
        deps.env, c->wal_dir_, o,
        [&](const wal::WalBatch& b) {
          c->state_mu_.AssertHeld();  // called back from within ReplayWal
          c->plan_->last_wal_time =
              std::max(c->plan_->last_wal_time, b.time_unix_micros);
          return c->ApplyLocked(b).status();
        },
        &info);
    if (!s.ok()) return Status(s.code(), s.message() + "." + RebuildHint());
    segment_count = c->segments_.size();
    // The replayed memtable's expiries were queued as they were applied.
    c->NoteSegmentExpiriesLocked();
  }
  c->plan_->torn_tail = info.torn;
  c->plan_->replayed_records = info.records;
  c->plan_->next_wal_seq = std::max(record.fenced_seq, info.last_seq) + 1;
  spdlog::info(
      "collection {}: checked {} segments, {} WAL records replayed after "
      "sequence {}, last sequence {}",
      record.config.name, segment_count, info.records, record.fenced_seq,
      c->plan_->next_wal_seq - 1);
  return c;
}

Status CollectionImpl::CheckManifest(const CollectionRecord& record) {
  RecoveryPlan& p = *plan_;
  const std::string path = dir_ + "/" + std::string(catalog::kManifestFileName);
  if (!deps_.env->FileExists(path)) {
    // A data directory from before manifests, or a crash right after the
    // collection's creation committed.
    p.write_manifest = true;
    p.manifest_why = "missing";
    return Status::OK();
  }
  PDB_ASSIGN_OR_RETURN(std::string data, deps_.env->ReadFileToString(path));
  Result<CollectionRecord> m = catalog::DecodeManifest(data, path);
  if (!m.ok()) {
    // The catalog's row is verified and is the truth: keep the damaged
    // copy aside and write a fresh one.
    p.quarantine_manifest = true;
    p.write_manifest = true;
    p.manifest_why = m.status().message();
    return Status::OK();
  }
  const std::string state =
      "(catalog: generation " + std::to_string(record.generation) + ", fence " +
      std::to_string(record.fenced_seq) + "; manifest: generation " +
      std::to_string(m->generation) + ", fence " +
      std::to_string(m->fenced_seq) + ")";
  if (m->config.name != record.config.name || m->dir_name != record.dir_name) {
    return Status::Corruption("manifest " + path + " describes collection '" +
                              m->config.name + "' in directory " + m->dir_name +
                              ", not this one.");
  }
  // Every flush and compaction commit advances the generation, and the
  // manifest is only written after the catalog committed: a manifest ahead
  // of the catalog means the catalog lost that commit.
  if (m->generation > record.generation || m->fenced_seq > record.fenced_seq) {
    return Status::FailedPrecondition(
        "the catalog is behind the collection's manifest " + state +
        ": the catalog has lost committed flushes or compactions, whose "
        "segment files and WAL files it does not know." +
        RebuildHint());
  }
  std::string why;
  if (m->generation == record.generation) {
    CollectionRecord segs_only = *m;
    segs_only.config = record.config;
    segs_only.payload_indexes = record.payload_indexes;
    segs_only.created_at_unix_ms = record.created_at_unix_ms;
    if (!catalog::SameRecord(segs_only, record, &why)) {
      return Status::Corruption("the catalog and the manifest " + path +
                                " record different segments at the same "
                                "generation " +
                                state + " (" + why + ")." + RebuildHint());
    }
  }
  if (!catalog::SameRecord(*m, record, &why)) {
    p.write_manifest = true;
    p.manifest_why = "behind the catalog (" + why + ")";
  }
  return Status::OK();
}

Status CollectionImpl::OpenSegments(const CollectionRecord& record) {
  std::vector<SegmentRecord> segs = record.segments;
  // Oldest first: a compaction output covers older sequences than any
  // segment flushed after it, whatever its id.
  std::sort(segs.begin(), segs.end(), [](const auto& a, const auto& b) {
    return a.max_seq != b.max_seq ? a.max_seq < b.max_seq
                                  : a.segment_id < b.segment_id;
  });
  for (const auto& rec : segs) {
    const std::string& volume = rec.placement.volume;
    const bool cold = rec.placement.tier == Tier::kCold;
    const std::string path =
        SegmentFilesIn(deps_.layout->SegmentDir(volume, dir_name_),
                       rec.file_name, rec.placement.tier)
            .main;
    auto bad = [&](const std::string& what) {
      return Status::Corruption("segment file " + path + " (segment " +
                                std::to_string(rec.segment_id) + "): " + what +
                                "." + RebuildHint());
    };
    if (SegmentFileName(rec.segment_id) != rec.file_name) {
      return bad("the catalog names it " + rec.file_name);
    }
    if (!volume.empty() && !deps_.env->IsDirectory(volume)) {
      // Not corruption: a disk that is not mounted. Nothing is changed.
      return Status::Unavailable("data directory " + volume +
                                 " is missing (not mounted?): it holds "
                                 "segment " +
                                 std::to_string(rec.segment_id) +
                                 " of collection '" + record.config.name +
                                 "'. Mount it (or put the directory back) and "
                                 "start again; nothing was changed");
    }
    if (!deps_.env->FileExists(path)) {
      return bad("listed in the catalog but missing");
    }
    PDB_ASSIGN_OR_RETURN(auto seg, segment::Segment::Open(deps_.env, path));
    if (const segment::ColdRef* ref = seg->cold_ref();
        cold != (ref != nullptr)) {
      return bad(cold
                     ? "the catalog places it in the cold tier, but the "
                       "file is not the stub of a cold segment"
                     : "the file is the stub of a cold segment, but the "
                       "catalog places it in the " +
                           std::string(TierName(rec.placement.tier)) + " tier");
    } else if (ref && (ref->object_size != rec.placement.object_size ||
                       ref->object_crc32c != rec.placement.object_crc32c)) {
      return bad("its stub names an object of " +
                 std::to_string(ref->object_size) + " bytes (CRC32C " +
                 std::to_string(ref->object_crc32c) + "), the catalog one of " +
                 std::to_string(rec.placement.object_size) + " bytes (CRC32C " +
                 std::to_string(rec.placement.object_crc32c) + ")");
    }
    if (seg->segment_id() != rec.segment_id) {
      return bad("its header says segment " +
                 std::to_string(seg->segment_id()));
    }
    if (seg->size() != rec.point_count) {
      return bad("holds " + std::to_string(seg->size()) +
                 " points, the catalog says " +
                 std::to_string(rec.point_count));
    }
    if (seg->dimension() != record.config.dimension ||
        seg->metric() != record.config.metric) {
      return bad("has dimension " + std::to_string(seg->dimension()) + " and " +
                 std::string(MetricName(seg->metric())) +
                 ", the collection has " +
                 std::to_string(record.config.dimension) + " and " +
                 std::string(MetricName(record.config.metric)));
    }
    if (seg->size() > 0 &&
        (seg->min_seq() < rec.min_seq || seg->max_seq() > rec.max_seq)) {
      return bad("its rows span sequences " + std::to_string(seg->min_seq()) +
                 ".." + std::to_string(seg->max_seq()) +
                 ", outside the catalog's " + std::to_string(rec.min_seq) +
                 ".." + std::to_string(rec.max_seq));
    }
    auto live = std::make_shared<LiveSegment>(std::move(seg), rec.placement);
    live->newest_write_unix_ms = rec.newest_write_unix_ms;
    live->deleted.OrBytes(rec.deleted_bitmap);
    if (!LoadPayload(live)) plan_->build_payload.push_back(live);
    // A cold segment's graph is loaded with its vectors (collection_cold.cc).
    if (!cold && !LoadGraph(live)) plan_->build_graph.push_back(live);
    // Not shared with another thread yet; the lock is for the analysis.
    WriterLock lock(&state_mu_);
    segments_.push_back(std::move(live));
  }
  return Status::OK();
}

Status CollectionImpl::FindStrays(const CollectionRecord& record) {
  Env* env = deps_.env;
  auto& out = plan_->quarantine;
  PDB_ASSIGN_OR_RETURN(auto top, env->GetChildren(dir_));
  for (const std::string& name : top) {
    const std::string path = dir_ + "/" + name;
    if (name == kWalDirName || name == kSegmentsDirName) {
      if (!env->IsDirectory(path)) {
        return Status::Corruption(path + " is not a directory");
      }
      continue;
    }
    if (name == catalog::kManifestFileName) continue;
    if (name == kColdCacheDirName) {
      // The cold tier's cache (collection_cold.cc): it accounts for its own
      // files when it opens.
      if (!env->IsDirectory(path)) {
        return Status::Corruption(path + " is not a directory");
      }
      continue;
    }
    if (name == kDroppedMarker) {
      // The catalog lists the collection, so its drop did not commit (it
      // failed, or a crash came before the commit): the collection stays
      // and the marker, which is ours, goes. (Only a catalog that also lost
      // that very commit could mean otherwise; then a dropped collection
      // comes back, and nothing is lost.)
      plan_->failed_drop_marker = path;
      continue;
    }
    out.emplace_back(path, EndsWith(name, ".tmp")
                               ? "temporary file of an interrupted manifest "
                                 "write"
                               : "unknown file in the collection directory");
  }
  std::set<std::string> known, obsolete, known_names;
  for (const auto& s : record.segments) {
    for (const std::string& name : AllSegmentFileNames(s.file_name)) {
      known_names.insert(name);
    }
    for (const std::string& path :
         SegmentFilesIn(deps_.layout->SegmentDir(s.placement.volume, dir_name_),
                        s.file_name, s.placement.tier)
             .all()) {
      known.insert(path);
    }
  }
  for (const auto& s : record.obsolete_segments) {
    for (const std::string& path :
         SegmentFilesIn(deps_.layout->SegmentDir(s.placement.volume, dir_name_),
                        s.file_name, s.placement.tier)
             .all()) {
      obsolete.insert(path);
    }
  }
  for (const std::string& volume : SegmentVolumes(record)) {
    const std::string seg_dir = deps_.layout->SegmentDir(volume, dir_name_);
    if (!volume.empty()) {
      // The collection's directory on another data directory holds only
      // segments/ (and wal/ when it is the WAL directory too).
      const std::string cdir = deps_.layout->CollectionDir(volume, dir_name_);
      if (env->IsDirectory(cdir)) {
        PDB_ASSIGN_OR_RETURN(auto names, env->GetChildren(cdir));
        for (const std::string& name : names) {
          const std::string path = cdir + "/" + name;
          if (path == seg_dir || path == wal_dir_) continue;
          out.emplace_back(path,
                           "unknown entry in the collection's "
                           "directory on data directory " +
                               volume);
        }
      }
    }
    if (!env->IsDirectory(seg_dir)) continue;
    PDB_ASSIGN_OR_RETURN(auto names, env->GetChildren(seg_dir));
    for (const std::string& name : names) {
      const std::string path = seg_dir + "/" + name;
      if (known.count(path)) continue;
      if (known_names.count(name)) {
        // A file of a listed segment, in a directory the catalog does not
        // place it in: the copy or the original of an interrupted tier
        // move (collection_tier.cc); the catalog's placement is the
        // segment.
        plan_->move_leftovers.push_back(path);
        continue;
      }
      if (obsolete.count(path)) {
        // A committed compaction replaced it; a crash came before the
        // deletion that commit decided.
        plan_->obsolete_files.push_back(path);
      } else {
        out.emplace_back(path, SegmentStrayReason(name));
      }
    }
  }
  if (env->IsDirectory(wal_dir_)) {
    PDB_ASSIGN_OR_RETURN(auto names, env->GetChildren(wal_dir_));
    for (const std::string& name : names) {
      const std::string path = wal_dir_ + "/" + name;
      if (!wal::ParseWalFileName(name) || env->IsDirectory(path)) {
        out.emplace_back(path, "not a WAL file (wal-<20 digits>.log)");
      }
    }
  }
  return Status::OK();
}

Status CollectionImpl::Start(Catalog* catalog) {
  deps_.catalog = catalog;
  RecoveryPlan& p = *plan_;
  Env* env = deps_.env;
  const std::string& name = p.record.config.name;
  for (const auto& [path, why] : p.quarantine) {
    PDB_RETURN_IF_ERROR(
        deps_.quarantine->Move(path, "collection '" + name + "': " + why));
  }
  if (!p.failed_drop_marker.empty()) {
    spdlog::warn(
        "collection {}: a drop of it did not commit (it failed, or the "
        "server stopped first); the collection is kept, drop it again if "
        "wanted",
        name);
    PDB_RETURN_IF_ERROR(env->RemoveFile(p.failed_drop_marker));
    PDB_RETURN_IF_ERROR(env->SyncDir(dir_));
  }
  if (p.torn_tail) {
    // Nothing is destroyed: the bytes cut off go to the quarantine first.
    const wal::TornTail& t = *p.torn_tail;
    PDB_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(t.path));
    std::string buf(t.file_size - t.offset, '\0');
    std::string_view got;
    PDB_RETURN_IF_ERROR(file->Read(t.offset, buf.size(), buf.data(), &got));
    PDB_RETURN_IF_ERROR(deps_.quarantine->SaveCopy(
        t.path, t.offset, got,
        "collection '" + name + "': torn tail of the last WAL file (" + t.why +
            "), a write that was never acknowledged; cut off"));
    PDB_RETURN_IF_ERROR(wal::CutTornTail(env, t));
  }
  const std::string manifest =
      dir_ + "/" + std::string(catalog::kManifestFileName);
  if (p.quarantine_manifest) {
    PDB_RETURN_IF_ERROR(deps_.quarantine->Move(
        manifest, "collection '" + name + "': damaged manifest (" +
                      p.manifest_why + "); rewritten from the catalog"));
  }
  if (p.write_manifest) {
    PDB_RETURN_IF_ERROR(
        env->WriteFileAtomically(manifest, catalog::EncodeManifest(p.record)));
    spdlog::info("collection {}: manifest written (it was {})", name,
                 p.manifest_why);
  }
  if (!p.record.obsolete_segments.empty()) {
    // After the manifest: one still listing these segments needs them.
    for (const std::string& path : p.obsolete_files) {
      spdlog::info("collection {}: deleting {}, replaced by a compaction", name,
                   path);
      PDB_RETURN_IF_ERROR(env->RemoveFile(path));
    }
    std::set<std::string> dirs;
    for (const std::string& path : p.obsolete_files) {
      dirs.insert(path.substr(0, path.rfind('/')));
    }
    for (const std::string& d : dirs) PDB_RETURN_IF_ERROR(env->SyncDir(d));
    std::vector<uint64_t> ids;
    for (const auto& o : p.record.obsolete_segments)
      ids.push_back(o.segment_id);
    PDB_RETURN_IF_ERROR(catalog->ForgetObsoleteSegments(name, ids));
  }
  for (const std::string& path : p.move_leftovers) {
    spdlog::info("collection {}: deleting {}, left by an interrupted tier move",
                 name, path);
    PDB_RETURN_IF_ERROR(env->RemoveFile(path));
    PDB_RETURN_IF_ERROR(env->SyncDir(path.substr(0, path.rfind('/'))));
  }
  for (const std::string& path : p.stale_payload_files) {
    // Derived data of payload indexes that were dropped (committed).
    (void)env->RemoveFile(path);
  }
  PDB_RETURN_IF_ERROR(
      CreateDirsDurably(env, deps_.layout->Root(p.record.wal_root), wal_dir_));
  PDB_RETURN_IF_ERROR(CreateDirsDurably(
      env, deps_.layout->data_dir(), deps_.layout->SegmentDir("", dir_name_)));
  wal::WalWriterOptions wal_options;
  Clock* clock = deps_.clock;
  wal_options.now_micros = [clock] { return clock->NowMicros(); };
  wal_options.last_time_micros = p.last_wal_time;
  wal_options.retention.max_age_micros =
      static_cast<uint64_t>(deps_.options->wal_retention_hours * 3600.0 * 1e6);
  wal_options.retention.max_bytes = deps_.options->wal_retention_mb << 20;
  // Nothing goes before the archiver knows what the archive has.
  wal_options.hold_for_archive = archives_wal();
  PDB_ASSIGN_OR_RETURN(
      wal_, wal::WalWriter::Open(env, wal_dir_, p.record.config.wal_format,
                                 p.next_wal_seq, std::move(wal_options)));
  {
    MutexLock flush(&flush_mu_);
    trim_fence_ = p.record.fenced_seq;  // the manifest is current (above)
  }
  recovery_ = RecoveryInfo{0, p.replayed_records,
                           wal_->BytesAfter(p.record.fenced_seq)};
  PDB_RETURN_IF_ERROR(OpenColdCache());
  bool resume = false;
  for (const auto& seg : p.build_payload) SchedulePayloadBuild(seg);
  for (const auto& seg : p.build_graph) ScheduleGraphBuild(seg);
  {
    ReaderLock lock(&state_mu_);
    for (const auto& seg : segments_) ScheduleNamedGraphBuild(seg);
    ReportMemtableMemoryLocked();  // what the replay put there
  }
  ReportSegmentMemory();
  plan_.reset();
  {
    // A migration a restart interrupted resumes (a cancelled one finishes
    // rolling back): the worker rebuilds what does not match the layout.
    MutexLock lock(&config_mu_);
    if (migration_ &&
        (migration_->state == "running" || migration_->state == "cancelled")) {
      resume = true;
    }
  }
  if (resume) StartConverging();
  return Status::OK();
}

void CollectionImpl::NoteRecovery(double seconds) {
  if (recovery_) recovery_->seconds = seconds;
}

Result<std::shared_ptr<CollectionImpl>> CollectionImpl::Open(
    const CollectionDeps& deps, const CollectionRecord& record,
    const std::string& dir) {
  Catalog* catalog = deps.catalog;
  PDB_ASSIGN_OR_RETURN(auto c, Recover(deps, record, dir));
  PDB_RETURN_IF_ERROR(c->Start(catalog));
  c->recovery_.reset();  // created or restored, not recovered at a start
  return c;
}

Status CollectionImpl::WriteManifest() {
  MutexLock lock(&manifest_mu_);
  PDB_ASSIGN_OR_RETURN(CollectionRecord rec,
                       deps_.catalog->Load(config().name));
  return deps_.env->WriteFileAtomically(
      dir_ + "/" + std::string(catalog::kManifestFileName),
      catalog::EncodeManifest(rec));
}

}  // namespace proximadb
