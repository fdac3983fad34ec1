// A collection's lifetime around recovery (collection_recover.cc): its
// construction from the catalog record, drop, and configuration changes.
#include <algorithm>
#include <cinttypes>
#include <cstdio>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"

namespace proximadb {

CollectionImpl::CollectionImpl(const CollectionDeps& deps,
                               const CollectionRecord& record, std::string dir)
    : deps_(deps),
      dir_(std::move(dir)),
      dir_name_(record.dir_name),
      wal_root_(record.wal_root),
      wal_dir_(deps.layout->WalDir(record.wal_root, record.dir_name)),
      config_(record.config),
      layout_(std::make_shared<LayoutCell>(record.config.layout())),
      migration_(record.config.migration),
      flush_(record.config.flush),
      tiering_(record.config.tiering),
      created_at_unix_ms_(record.created_at_unix_ms),
      payload_defs_(std::make_shared<PayloadDefs>(record.payload_indexes)),
      mem_(std::make_shared<Memtable>(
          record.config.dimension, record.config.metric,
          MemtableKindFromName(record.config.memtable)
              .value_or(MemtableKind::kBTree))),
      fenced_seq_(record.fenced_seq),
      next_segment_id_(std::max<uint64_t>(record.next_segment_id, 1)) {}

CollectionImpl::~CollectionImpl() {
  StopBackgroundWork();
  // Resident cold vectors pin cache entries; release them first.
  DropResidentCold();
  if (wal_) {
    Status s = wal_->Close();
    if (!s.ok()) spdlog::warn("closing WAL of {}: {}", dir_, s.ToString());
  }
}

std::string CollectionImpl::SegmentFileName(uint64_t segment_id) {
  char name[64];
  std::snprintf(name, sizeof(name), "seg-%020" PRIu64 ".pdb", segment_id);
  return name;
}

std::string CollectionImpl::SegmentPath(const std::string& volume,
                                        uint64_t segment_id) const {
  return deps_.layout->SegmentDir(volume, dir_name_) + "/" +
         SegmentFileName(segment_id);
}

std::vector<std::string> CollectionImpl::SegmentVolumes(
    const CollectionRecord& record) const {
  RootList out(deps_.layout->volumes());
  out.Add("");
  const std::string warm = Tiering().warm_directory;
  if (!warm.empty()) out.Add(deps_.layout->Normalize(warm));
  out.AddRecord(record, /*wal_root=*/false);
  return out.roots();
}

std::vector<std::string> CollectionImpl::Roots() const {
  RootList out(deps_.layout->secondary_roots());
  out.Add(wal_root_);
  ReaderLock lock(&state_mu_);
  for (const auto& s : segments_) out.Add(s->placement.volume);
  return out.roots();
}

void CollectionImpl::MarkDropped() {
  // The migration worker ends first (it takes lifecycle_mu_ to commit).
  StopBackgroundWork();
  WriterLock lock(&lifecycle_mu_);
  dropped_ = true;
  memory_.Clear();
  if (wal_) {
    Status s = wal_->Close();
    if (!s.ok()) spdlog::warn("closing WAL of {}: {}", dir_, s.ToString());
  }
}

Status CollectionImpl::CheckOpen() const {
  if (dropped_) {
    return Status::NotFound("collection '" + config_.name + "' was deleted");
  }
  return Status::OK();
}

CollectionConfig CollectionImpl::config() const {
  MutexLock lock(&config_mu_);
  return config_.With(flush_, tiering_, *Layout(), migration_);
}

Status CollectionImpl::SetFlushPolicy(const FlushPolicy& policy) {
  return ChangeConfig([&](CollectionConfig* c) { c->flush = policy; });
}

Status CollectionImpl::ChangeConfig(
    const std::function<void(CollectionConfig*)>& edit) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  // One change at a time: each rewrites the whole stored configuration.
  MutexLock serial(&config_change_mu_);
  CollectionConfig next = config();
  edit(&next);
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(next));
  PDB_RETURN_IF_ERROR(deps_.catalog->UpdateConfig(next.name, next));
  {
    MutexLock lock(&config_mu_);
    flush_ = next.flush;
    tiering_ = next.tiering;
  }
  // The change is committed; a manifest left behind is brought up to date
  // at the next start.
  Status s = WriteManifest();
  if (!s.ok()) {
    spdlog::error("collection {}: writing its manifest: {}", config_.name,
                  s.ToString());
  }
  if (cold_cache_) {
    // A new cache_mb takes effect now.
    TrimResidentCold();
    s = cold_cache_->SetCapacity(Tiering().cache_mb << 20);
    if (!s.ok()) {
      spdlog::warn("collection {}: resizing the cold cache: {}", config_.name,
                   s.ToString());
    }
  }
  return Status::OK();
}

}  // namespace proximadb
