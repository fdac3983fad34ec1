// CollectionImpl::ArchiveWal: the WAL archive behind point-in-time restore
// (docs/OPERATIONS.md, "Point-in-time restore"; docs/FORMATS.md, "WAL
// archive").
//
// Sealed WAL files never change, so archiving is a copy: each sealed file
// not yet archived is scanned (every record checked, its newest record's
// time read) and put into the repository under a name that says its
// sequences and that time. Files are archived in sequence order, and the
// WAL keeps every file holding a record after the archived range on disk
// (WalWriter::SetArchiveFloor) whatever the flush fence and the local
// retention say, so the archive has no hole the collection could have
// filled. A file holding records is sealed at most `seal_interval` after
// the previous seal, which bounds what the archive can lack.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"

namespace proximadb {

void CollectionImpl::SetArchiveStart(uint64_t seq) {
  MutexLock lock(&archive_mu_);
  archive_start_ = seq;
}

Result<uint64_t> CollectionImpl::ArchiveWal(snapshot::Repository* repo,
                                            const ArchiveSettings& settings,
                                            bool seal_now) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  MutexLock lock(&archive_mu_);
  if (!Tiering().wal_archive) {
    wal_->SetArchiveFloor(wal::kNoArchiveFloor);
    archive_listed_ = false;
    archived_.clear();
    return uint64_t{0};
  }
  if (repo == nullptr) {
    return Status::FailedPrecondition("collection '" + config_.name +
                                      "': no repository for the WAL archive");
  }
  const uint64_t now = deps_.clock->NowMicros();
  if (!archive_listed_) {
    wal_->SetArchiveFloor(0);  // hold every file until the archive is known
    PDB_ASSIGN_OR_RETURN(archived_, repo->ListWal(dir_name_));
    archive_listed_ = true;
  }
  uint64_t through = std::max(archived_.empty() ? 0 : archived_.back().last_seq,
                              archive_start_);
  wal_->SetArchiveFloor(through);

  if (wal_->current_file_has_records() &&
      (seal_now || now >= last_seal_micros_ + settings.seal_interval_micros)) {
    PDB_RETURN_IF_ERROR(wal_->Rotate([](uint64_t) {}));
    last_seal_micros_ = now;
  }

  uint64_t files = 0;
  uint64_t bytes = 0;
  for (const wal::SealedWalFile& f : wal_->SealedFiles()) {
    if (f.last_seq <= through) continue;
    if (through != 0 && f.first_seq != through + 1) {
      // Only when archiving was off for a while: the files between are
      // gone, and a point-in-time restore across the gap says so.
      spdlog::warn(
          "collection {}: WAL archive jumps from sequence {} to {} (archiving "
          "was off meanwhile)",
          config_.name, through, f.first_seq);
    }
    // The records' own times (a file from before a restart is known by its
    // modification time only), and every record checked before it goes.
    PDB_ASSIGN_OR_RETURN(
        wal::WalFilePrefix scan,
        wal::ScanWalFile(deps_.env, f.path, config_.wal_format, f.first_seq,
                         [](uint64_t, uint64_t) { return true; }));
    if (!scan.whole || scan.last_seq != f.last_seq) {
      return Status::Corruption("wal file " + f.path + " ends at sequence " +
                                std::to_string(scan.last_seq) + ", not " +
                                std::to_string(f.last_seq));
    }
    uint64_t uploaded = 0;
    PDB_ASSIGN_OR_RETURN(
        snapshot::ArchivedWal w,
        repo->ArchiveWal(dir_name_, f.first_seq, f.last_seq,
                         scan.last_time_micros, f.path, &uploaded));
    archived_.push_back(std::move(w));
    through = f.last_seq;
    wal_->SetArchiveFloor(through);
    ++files;
    bytes += uploaded;
  }
  if (files > 0) {
    spdlog::info(
        "collection {}: archived {} WAL files ({} bytes) through "
        "sequence {} in {}",
        config_.name, files, bytes, through, repo->Describe());
  }

  // Retention, oldest first.
  uint64_t total = 0;
  for (const snapshot::ArchivedWal& w : archived_) total += w.size;
  size_t drop = 0;
  while (drop < archived_.size()) {
    const snapshot::ArchivedWal& w = archived_[drop];
    const bool too_old = settings.max_age_micros > 0 &&
                         w.last_time_micros + settings.max_age_micros < now;
    const bool too_big = settings.max_bytes > 0 && total > settings.max_bytes;
    if (!too_old && !too_big) break;
    Status s = repo->DeleteWal(w);
    if (!s.ok()) {
      spdlog::warn("collection {}: removing archived WAL {}: {}", config_.name,
                   w.key, s.ToString());
      break;
    }
    total -= w.size;
    ++drop;
  }
  archived_.erase(archived_.begin(), archived_.begin() + drop);
  return files;
}

}  // namespace proximadb
