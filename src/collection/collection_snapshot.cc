// CollectionImpl::WriteSnapshot: the collection's files at one WAL sequence,
// handed to a sink (db_snapshot.cc puts them into a snapshot repository).
//
// Consistency without blocking writes: S is the WAL's last sequence inside
// wal_->Rotate, where no write is in flight and the applied state is exactly
// S. Under state_mu_ (shared) the list of segments is taken (files are
// immutable; compact_mu_, held throughout, keeps them on disk) with each
// deletion bitmap as of S (it changes with later writes) and the fence F.
// Writes after F are in the WAL files from wal-<F+1>.log on, which Rotate
// sealed at S; they are read while flush_mu_ keeps a flush from removing
// them. A restore replays (F, S] over the bitmaps as of S, which is
// idempotent, as recovery is.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"
#include "storage/catalog/manifest.h"
#include "storage/snapshot/snapshot_manifest.h"
#include "storage/wal/wal_format.h"

namespace proximadb {

Result<CollectionImpl::SnapshotPoint> CollectionImpl::WriteSnapshot(
    const SnapshotSink& sink) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  MutexLock compact(&compact_mu_);

  SnapshotPoint at;
  std::vector<std::shared_ptr<LiveSegment>> segs;
  std::vector<std::string> bitmaps;
  std::vector<std::pair<std::string, std::string>> wal_files;  // name, bytes
  CollectionRecord rec;
  {
    MutexLock flush(&flush_mu_);
    PDB_RETURN_IF_ERROR(wal_->Rotate([&](uint64_t last_seq) {
      ReaderLock lock(&state_mu_);
      at.sequence = last_seq;
      at.sequence_time_micros = wal_->last_time_micros();
      at.fence = fenced_seq_;
      segs = segments_;
      uint64_t points = mem_->live() + (frozen_ ? frozen_->live() : 0);
      for (const auto& s : segs) {
        bitmaps.push_back(s->deleted.ToBytes());
        points += s->live();
      }
      at.points = points;
    }));
    // The committed record: with flush_mu_ and compact_mu_ held, its
    // segments are the ones just taken.
    PDB_ASSIGN_OR_RETURN(rec, deps_.catalog->Load(config_.name));
    if (rec.fenced_seq != at.fence || rec.segments.size() != segs.size()) {
      return Status::Internal("snapshot of collection '" + config_.name +
                              "': the catalog record does not match the "
                              "segments in memory");
    }
    PDB_ASSIGN_OR_RETURN(std::vector<std::string> names,
                         deps_.env->GetChildren(wal_dir_));
    std::sort(names.begin(), names.end());
    for (const std::string& n : names) {
      std::optional<uint64_t> first = wal::ParseWalFileName(n);
      if (!first || *first <= at.fence || *first > at.sequence) continue;
      PDB_ASSIGN_OR_RETURN(std::string bytes,
                           deps_.env->ReadFileToString(wal_dir_ + "/" + n));
      wal_files.emplace_back(n, std::move(bytes));
    }
  }

  // The record as a restore uses it: bitmaps as of S, every segment a
  // plain file in the main data directory (a cold one is copied from its
  // full file), nothing obsolete.
  for (size_t i = 0; i < segs.size(); ++i) {
    SegmentRecord& r = rec.segments[i];
    if (r.segment_id != segs[i]->seg->segment_id()) {
      return Status::Internal("snapshot of collection '" + config_.name +
                              "': segment order differs from the catalog's");
    }
    r.deleted_bitmap = bitmaps[i];
    r.placement = catalog::Placement{};
    r.file_name = SegmentFileName(r.segment_id);
  }
  rec.obsolete_segments.clear();
  rec.wal_root.clear();
  PDB_RETURN_IF_ERROR(sink.put_bytes(std::string(catalog::kManifestFileName),
                                     snapshot::kRoleManifest,
                                     catalog::EncodeManifest(rec)));

  const std::string seg_dir = std::string(kSegmentsDirName) + "/";
  for (const auto& s : segs) {
    const std::string file = SegmentFileName(s->seg->segment_id());
    std::string stem = file.substr(0, file.rfind('.'));
    if (s->cold()) {
      PDB_ASSIGN_OR_RETURN(std::shared_ptr<const ColdVectors> v,
                           ColdVectorsOf(*s));
      PDB_RETURN_IF_ERROR(sink.put_file(seg_dir + file, snapshot::kRoleSegment,
                                        v->full->path()));
    } else {
      PDB_RETURN_IF_ERROR(sink.put_file(seg_dir + file, snapshot::kRoleSegment,
                                        s->seg->path()));
    }
    // Saved sidecars (rebuilt after a restore when absent). They are
    // written to a temporary file and renamed, so a copy is never of a
    // half-written one.
    const std::pair<std::string, std::string_view> sidecars[] = {
        {s->graph_path(), snapshot::kRoleGraph},
        {s->payload_path(), snapshot::kRolePayload}};
    for (const auto& [path, role] : sidecars) {
      if (!deps_.env->FileExists(path)) continue;
      const std::string ext = path.substr(path.rfind('.'));
      PDB_RETURN_IF_ERROR(sink.put_file(seg_dir + stem + ext, role, path));
    }
  }
  const std::string wal_dir = std::string(kWalDirName) + "/";
  for (const auto& [name, bytes] : wal_files) {
    PDB_RETURN_IF_ERROR(
        sink.put_bytes(wal_dir + name, snapshot::kRoleWal, bytes));
  }
  spdlog::info(
      "collection {}: snapshot at sequence {} (fence {}, {} segments, {} WAL "
      "files)",
      config_.name, at.sequence, at.fence, segs.size(), wal_files.size());
  return at;
}

}  // namespace proximadb
