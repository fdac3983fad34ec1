// Opening a collection: recovery from the catalog record and the WAL.
#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <set>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"
#include "storage/wal/wal_reader.h"

namespace proximadb {

CollectionImpl::CollectionImpl(const CollectionDeps& deps,
                               const CollectionRecord& record, std::string dir)
    : deps_(deps),
      dir_(std::move(dir)),
      wal_dir_(dir_ + "/wal"),
      seg_dir_(dir_ + "/segments"),
      config_(record.config),
      created_at_unix_ms_(record.created_at_unix_ms),
      payload_defs_(std::make_shared<PayloadDefs>(record.payload_indexes)),
      mem_(std::make_shared<Memtable>(record.config.dimension,
                                      record.config.metric)),
      fenced_seq_(record.fenced_seq),
      next_segment_id_(std::max<uint64_t>(record.next_segment_id, 1)) {}

CollectionImpl::~CollectionImpl() {
  if (wal_) {
    Status s = wal_->Close();
    if (!s.ok()) spdlog::warn("closing WAL of {}: {}", dir_, s.ToString());
  }
}

std::string CollectionImpl::SegmentPath(uint64_t segment_id) const {
  char name[64];
  std::snprintf(name, sizeof(name), "seg-%020" PRIu64 ".pdb", segment_id);
  return seg_dir_ + "/" + name;
}

Result<std::shared_ptr<CollectionImpl>> CollectionImpl::Open(
    const CollectionDeps& deps, const CollectionRecord& record,
    const std::string& dir) {
  std::shared_ptr<CollectionImpl> c(new CollectionImpl(deps, record, dir));
  Env* env = deps.env;
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(c->dir_));
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(c->wal_dir_));
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(c->seg_dir_));
  PDB_RETURN_IF_ERROR(env->SyncDir(c->dir_));  // wal/ and segments/ persist

  // Segment files the catalog does not list are leftovers of a flush or
  // compaction that crashed before its commit (or temp files): remove them,
  // they must never block startup.
  std::set<std::string> known;
  std::vector<SegmentRecord> segs = record.segments;
  for (const auto& s : segs) {
    known.insert(s.file_name);
    // The segment's graph sidecar (seg-<id>.hnsw) belongs with it.
    known.insert(s.file_name.substr(0, s.file_name.size() - 4) + ".hnsw");
    known.insert(s.file_name.substr(0, s.file_name.size() - 4) + ".pidx");
  }
  PDB_ASSIGN_OR_RETURN(auto children, env->GetChildren(c->seg_dir_));
  for (const auto& name : children) {
    if (known.count(name) == 0) {
      spdlog::info("collection {}: removing stray file {}", record.config.name,
                   name);
      PDB_RETURN_IF_ERROR(env->RemoveFile(c->seg_dir_ + "/" + name));
    }
  }

  // Oldest first: a compaction output covers older sequences than any
  // segment flushed after it, whatever its id.
  std::sort(segs.begin(), segs.end(), [](const auto& a, const auto& b) {
    return a.max_seq != b.max_seq ? a.max_seq < b.max_seq
                                  : a.segment_id < b.segment_id;
  });
  for (const auto& rec : segs) {
    PDB_ASSIGN_OR_RETURN(auto seg, segment::Segment::Open(
                                       env, c->seg_dir_ + "/" + rec.file_name));
    if (seg->dimension() != record.config.dimension) {
      return Status::Corruption("segment " + seg->path() + " has dimension " +
                                std::to_string(seg->dimension()) +
                                ", collection has " +
                                std::to_string(record.config.dimension));
    }
    auto live = std::make_shared<LiveSegment>(std::move(seg));
    live->deleted.OrBytes(rec.deleted_bitmap);
    c->LoadOrScheduleGraph(live);
    c->segments_.push_back(std::move(live));
  }

  // Replay what was acknowledged after the last flush.
  wal::WalReplayInfo info;
  {
    std::unique_lock lock(c->state_mu_);
    PDB_RETURN_IF_ERROR(wal::ReplayWal(
        env, c->wal_dir_, record.config.wal_format, record.fenced_seq,
        [&](const wal::WalBatch& b) { return c->ApplyLocked(b).status(); },
        &info));
  }
  if (info.truncated_tail) {
    spdlog::warn("collection {}: {}", record.config.name,
                 info.truncation_message);
  }
  uint64_t last = std::max(record.fenced_seq, info.last_seq);
  PDB_ASSIGN_OR_RETURN(
      c->wal_, wal::WalWriter::Open(env, c->wal_dir_, record.config.wal_format,
                                    last + 1));
  c->recovered_at_micros_ = deps.clock->NowMicros();
  spdlog::info(
      "collection {}: recovered {} segments, {} WAL records replayed after "
      "sequence {}, last sequence {}",
      record.config.name, c->segments_.size(), info.records, record.fenced_seq,
      last);
  return c;
}

void CollectionImpl::MarkDropped() {
  std::unique_lock lock(lifecycle_mu_);
  dropped_ = true;
  if (wal_) {
    Status s = wal_->Close();
    if (!s.ok()) spdlog::warn("closing WAL of {}: {}", dir_, s.ToString());
  }
}

Status CollectionImpl::CheckOpen() const {
  if (dropped_) {
    return Status::NotFound("collection '" + config().name + "' was deleted");
  }
  return Status::OK();
}

CollectionConfig CollectionImpl::config() const {
  std::lock_guard lock(config_mu_);
  return config_;
}

Status CollectionImpl::SetFlushPolicy(const FlushPolicy& policy) {
  std::shared_lock life(lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  CollectionConfig next = config();
  next.flush = policy;
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(next));
  PDB_RETURN_IF_ERROR(deps_.catalog->UpdateConfig(next.name, next));
  std::lock_guard lock(config_mu_);
  config_ = std::move(next);
  return Status::OK();
}

}  // namespace proximadb
