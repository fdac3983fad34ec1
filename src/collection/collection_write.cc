// The write path: validate, WAL (group commit), then apply in WAL order.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <string_view>
#include <unordered_set>

#include "collection/collection_impl.h"
#include "collection/point_check.h"
#include "index/distance.h"
#include "util/json_depth.h"
#include "util/limits.h"

namespace proximadb {

namespace {
// The id-lock stripes a batch's ops touch.
IdLocks::Mask StripesOf(const wal::WalBatch& batch) {
  IdLocks::Mask mask;
  for (const auto& op : batch.ops) mask.set(IdLocks::StripeOf(op.id));
  return mask;
}
}  // namespace

Status CollectionImpl::ValidateVector(const std::vector<float>& v,
                                      const char* what) const {
  return CheckPointVector(config_.name, config_.dimension, config_.metric, v,
                          what);
}

CollectionImpl::Location CollectionImpl::LocateLocked(
    std::string_view id) const {
  Location loc;
  if (auto row = mem_->Find(id)) {
    return {Location::kMemtable, mem_.get(), nullptr, *row, !mem_->dead(*row)};
  }
  if (frozen_) {
    if (auto row = frozen_->Find(id)) {
      return {Location::kFrozen, frozen_.get(), nullptr, *row,
              !frozen_->dead(*row)};
    }
  }
  for (auto it = segments_.rbegin(); it != segments_.rend(); ++it) {
    if (auto row = (*it)->seg->Find(id)) {
      uint32_t r = static_cast<uint32_t>(*row);
      return {Location::kSegment, nullptr, it->get(), r, !(*it)->dead(r)};
    }
  }
  return loc;
}

bool CollectionImpl::KillLocked(std::string_view id) {
  Location loc = LocateLocked(id);
  if (!loc.live) return false;
  if (loc.kind == Location::kSegment) return loc.seg->Kill(loc.row);
  return loc.mem->Kill(loc.row);
}

Result<uint64_t> CollectionImpl::ApplyLocked(const wal::WalBatch& batch) {
  using Type = wal::WalOp::Type;
  // When the batch was logged (a record from before WAL times: now), so
  // that a replayed memtable ages from its writes, not from the restart.
  const uint64_t now = batch.time_unix_micros != 0 ? batch.time_unix_micros
                                                   : deps_.clock->NowMicros();
  const uint32_t dim = config_.dimension;
  uint64_t deleted = 0;
  for (const auto& op : batch.ops) {
    switch (op.type) {
      case Type::kUpsert:
      case Type::kUpdateMetadata:  // logged as the whole resulting point
        if (op.vector.size() != dim) {
          return Status::Corruption("WAL record " + std::to_string(batch.seq) +
                                    " holds a vector of the wrong dimension");
        }
        KillLocked(op.id);
        mem_->Append(op.id, op.vector.data(), op.metadata_json, op.sparse,
                     op.expires_at, batch.seq, now);
        if (op.expires_at != 0) NoteExpiry(op.expires_at, op.id);
        break;
      case Type::kDelete:
        if (KillLocked(op.id)) ++deleted;
        break;
      case Type::kUpdateMetadataNoVector: {
        // Only in WAL files of older builds, only met at replay. Its vector
        // is wherever the point's previous copy was; if a later flush or
        // compaction already dropped that copy the update cannot be
        // replayed exactly, and saying so beats losing the point silently.
        Location loc = LocateLocked(op.id);
        if (!loc.live) {
          return Status::Corruption(
              "WAL record " + std::to_string(batch.seq) +
              ": a metadata update of point '" + op.id +
              "' in the older record format (without the vector) cannot be "
              "replayed: the point's previous copy is no longer live");
        }
        if (loc.kind == Location::kSegment && loc.seg->cold()) {
          // Older builds had no cold tier, and replay runs before any
          // move: only a damaged setup gets here.
          return Status::Corruption(
              "WAL record " + std::to_string(batch.seq) +
              ": a metadata update of point '" + op.id +
              "' in the older record format (without the vector) cannot be "
              "replayed: the point's previous copy is in a cold segment");
        }
        const float* v = VectorLocked(loc, {});
        std::vector<float> copy(v, v + dim);  // Append may reallocate mem_
        std::string sparse(SparseLocked(loc));
        const uint64_t expires_at = ExpiresAtLocked(loc);
        KillLocked(op.id);
        mem_->Append(op.id, copy.data(), op.metadata_json, std::move(sparse),
                     expires_at, batch.seq, now);
        break;
      }
      default:
        return Status::Corruption("WAL record " + std::to_string(batch.seq) +
                                  " holds an unknown op type");
    }
  }
  return deleted;
}

Result<std::vector<std::string>> CollectionImpl::Upsert(
    std::vector<Point> points) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  std::vector<std::string> ids;
  ids.reserve(points.size());
  if (points.empty()) return ids;
  wal::WalBatch batch;
  batch.ops.reserve(points.size());
  // Validate everything before writing anything: a batch is all or nothing.
  const PointRules rules = RulesOf(config_);
  const uint64_t now = deps_.clock->NowMicros();
  for (size_t i = 0; i < points.size(); ++i) {
    PDB_ASSIGN_OR_RETURN(wal::WalOp op,
                         PointToUpsertOp(rules, now, i, &points[i]));
    ids.push_back(op.id);
    batch.ops.push_back(std::move(op));
  }
  IdLocks::SharedGuard order(&id_locks_, StripesOf(batch));
  PDB_RETURN_IF_ERROR(LogAndApply(&batch).status());
  return ids;
}

Result<uint64_t> CollectionImpl::Delete(const std::vector<std::string>& ids) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  if (ids.empty()) return uint64_t{0};
  wal::WalBatch batch;
  for (const auto& id : ids) {
    if (id.empty() || id.size() > kMaxIdBytes) {
      return Status::InvalidArgument("ids must be 1.." +
                                     std::to_string(kMaxIdBytes) + " bytes");
    }
    batch.ops.push_back({wal::WalOp::Type::kDelete, id, {}, {}, {}});
  }
  IdLocks::SharedGuard order(&id_locks_, StripesOf(batch));
  return LogAndApply(&batch);
}

Status CollectionImpl::UpdateMetadata(const std::string& id,
                                      nlohmann::json metadata) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  if (metadata.is_null()) {
    return Status::InvalidArgument("metadata must be a JSON object");
  }
  PDB_RETURN_IF_ERROR(CheckPointMetadata(metadata, "metadata"));
  // The record carries the whole resulting point, so that its replay does
  // not depend on the previous copy, which a later flush or compaction may
  // drop. No other write of this id runs from the read below to the apply.
  IdLocks::ExclusiveGuard order(&id_locks_, id);
  wal::WalOp op{wal::WalOp::Type::kUpdateMetadata, id, {}, {}, {}};
  // A point in a cold segment: its vector is fetched without the lock,
  // then looked up again.
  ColdPins pins;
  for (;;) {
    std::vector<LiveSegment*> missing;
    {
      ReaderLock lock(&state_mu_);
      Location loc = LocateLocked(id);
      if (!loc.live) {
        return Status::NotFound("point '" + id + "' not found");
      }
      if (!pins.Need(loc, &missing)) {
        const float* v = VectorLocked(loc, pins);
        op.vector.assign(v, v + config_.dimension);
        op.sparse.assign(SparseLocked(loc));
        op.expires_at = ExpiresAtLocked(loc);
        break;
      }
    }
    PDB_RETURN_IF_ERROR(PinCold(missing, &pins));
  }
  op.metadata_json = DumpPointMetadata(metadata);
  wal::WalBatch batch;
  batch.ops.push_back(std::move(op));
  return LogAndApply(&batch).status();
}

Status CollectionImpl::CheckWalRoom() {
  const uint64_t cap = deps_.options->max_unflushed_wal_bytes;
  if (cap == 0) return Status::OK();
  uint64_t fence;
  {
    ReaderLock lock(&state_mu_);
    fence = fenced_seq_;
  }
  const uint64_t unflushed = wal_->BytesAfter(fence);
  if (unflushed < cap) return Status::OK();
  return Status::Unavailable(
      "collection '" + config_.name + "' has " +
      std::to_string(unflushed >> 20) +
      " MiB of WAL not flushed yet, the most [storage] "
      "max_unflushed_wal_mb = " +
      std::to_string(cap >> 20) +
      " allows (it bounds what a restart replays); writes resume as its "
      "flush catches up: retry");
}

Result<uint64_t> CollectionImpl::LogAndApply(wal::WalBatch* batch) {
  // Refused before anything is logged: a write either fits or is not
  // acknowledged. One write may pass the cap by its own size.
  PDB_RETURN_IF_ERROR(CheckWalRoom());
  if (deps_.memory != nullptr) {
    // About what the memtable takes for it (Memtable::Append's estimate).
    uint64_t bytes = 0;
    for (const wal::WalOp& op : batch->ops) {
      bytes += op.id.size() + op.vector.size() * sizeof(float) +
               op.metadata_json.size() + op.sparse.size() + 48;
    }
    PDB_RETURN_IF_ERROR(deps_.memory->Admit(bytes, config_.name));
  }
  Result<uint64_t> applied = uint64_t{0};
  PDB_RETURN_IF_ERROR(wal_->Write(batch, [&](const wal::WalBatch& b) {
    WriterLock lock(&state_mu_);
    applied = ApplyLocked(b);
    ReportMemtableMemoryLocked();
  }));
  return applied;
}

Result<PatchResult> CollectionImpl::PatchMetadata(
    const std::vector<std::string>& ids, const MetadataPatch& patch) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  PDB_RETURN_IF_ERROR(CheckMetadataPatch(ids, patch));
  std::vector<std::string_view> unique;  // first occurrences, in order
  std::unordered_set<std::string_view> seen;
  IdLocks::Mask mask;
  for (const auto& id : ids) {
    if (seen.insert(id).second) {
      unique.push_back(id);
      mask.set(IdLocks::StripeOf(id));
    }
  }
  // As UpdateMetadata, for every point at once: each is logged whole, and
  // no other write of these ids runs from the reads below to the apply.
  IdLocks::ExclusiveGuard order(&id_locks_, mask);
  PatchResult result;
  wal::WalBatch batch;
  ColdPins pins;
  for (;;) {
    std::vector<LiveSegment*> missing;
    result = PatchResult{};
    batch.ops.clear();
    {
      ReaderLock lock(&state_mu_);
      for (std::string_view id : unique) {
        Location loc = LocateLocked(id);
        if (!loc.live) {
          result.not_found.emplace_back(id);
          continue;
        }
        if (pins.Need(loc, &missing) || !missing.empty()) continue;
        PDB_ASSIGN_OR_RETURN(
            wal::WalOp op,
            PatchedPointOp(std::string(id),
                           MaterializeLocked(loc, true, true, pins), patch));
        batch.ops.push_back(std::move(op));
      }
    }
    if (missing.empty()) break;
    PDB_RETURN_IF_ERROR(PinCold(missing, &pins));
  }
  if (batch.ops.empty()) return result;
  result.updated = batch.ops.size();
  PDB_RETURN_IF_ERROR(LogAndApply(&batch).status());
  return result;
}

}  // namespace proximadb
