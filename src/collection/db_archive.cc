// The WAL archiver and point-in-time restore (docs/OPERATIONS.md,
// "Point-in-time restore"; docs/ARCHITECTURE.md, "Snapshots").
//
// A point-in-time restore of collection C to point P (a sequence, or the
// last write at or before a time) is: the newest snapshot of C whose
// sequence S is at or before P, staged as a snapshot restore stages it, plus
// the archived WAL files holding S+1..P, fetched and verified into the
// staged WAL directory; the file holding P is cut right after P's record.
// Record times never go back within a collection's WAL (the writer clamps
// them), so "every write at or before time T" is a prefix of the log. The
// staged directory is then verified (continuity from the fence to P) and
// committed exactly like a snapshot restore: visible whole or not at all.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "collection/db_impl.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"
#include "util/time_format.h"

namespace proximadb {

CollectionImpl::ArchiveSettings DBImpl::ArchiveSettingsOf() const {
  const SnapshotOptions& o = options_.snapshots;
  CollectionImpl::ArchiveSettings s;
  s.seal_interval_micros =
      static_cast<uint64_t>(o.wal_archive_interval_seconds) * 1000000;
  s.max_age_micros =
      static_cast<uint64_t>(o.wal_archive_retention_hours * 3600.0 * 1e6);
  s.max_bytes = o.wal_archive_retention_mb << 20;
  return s;
}

Result<snapshot::Repository*> DBImpl::ArchiveRepository() {
  if (!archive_repo_) {
    PDB_ASSIGN_OR_RETURN(archive_repo_,
                         OpenRepository(SnapshotTarget::kDefault));
  }
  return archive_repo_.get();
}

void DBImpl::ReportArchiveErrorLocked(const std::string& name,
                                      const Status& s) {
  std::string& last = archive_errors_[name];
  if (last == s.ToString()) return;
  last = s.ToString();
  spdlog::error("WAL archive{}{}: {}", name.empty() ? "" : " of collection ",
                name, last);
}

std::vector<std::string> DBImpl::RunArchiveCycle() {
  std::vector<std::string> out;
  const std::vector<std::shared_ptr<CollectionImpl>> colls = Snapshot();
  MutexLock lock(&archive_mu_);
  snapshot::Repository* repo = nullptr;
  const bool any = std::any_of(colls.begin(), colls.end(),
                               [](const auto& c) { return c->archives_wal(); });
  if (any) {
    auto r = ArchiveRepository();
    if (!r.ok()) {
      ReportArchiveErrorLocked("", r.status());
      return out;
    }
    repo = *r;
  }
  const CollectionImpl::ArchiveSettings settings = ArchiveSettingsOf();
  for (const auto& c : colls) {
    const std::string& name = c->config().name;
    Result<uint64_t> r = c->ArchiveWal(repo, settings, false);
    if (r.ok()) {
      if (*r > 0) out.push_back(name);
      if (archive_errors_.erase(name) > 0) {
        spdlog::info("WAL archive of collection {}: working again", name);
      }
    } else if (!r.status().IsNotFound()) {  // NotFound: dropped meanwhile
      ReportArchiveErrorLocked(name, r.status());
    }
  }
  return out;
}

namespace {

std::string PointName(const PointInTimeOptions& o) {
  return o.sequence ? "sequence " + std::to_string(*o.sequence)
                    : Rfc3339Micros(*o.as_of_micros);
}

// The latest time a snapshot's state can hold a write of: its record's
// time, or (older manifests, or no write since a restart) its creation.
uint64_t StateTime(const snapshot::Manifest& m,
                   const snapshot::CollectionEntry& e) {
  if (e.sequence == 0) return 0;
  if (e.sequence_time_micros != 0) return e.sequence_time_micros;
  return m.created_at_unix_ms * 1000 + 999;
}

}  // namespace

Result<RestoreResult> DBImpl::RestorePointInTime(const std::string& name,
                                                 const PointInTimeOptions& o) {
  if (o.target_collection.empty()) {
    return Status::InvalidArgument(
        "restore needs target_collection: the collection to create");
  }
  if (o.sequence.has_value() == o.as_of_micros.has_value()) {
    return Status::InvalidArgument(
        "a point-in-time restore takes exactly one of as_of (an RFC 3339 "
        "time) and sequence");
  }
  const uint64_t now = options_.clock->NowMicros();
  if (o.as_of_micros && *o.as_of_micros > now) {
    return Status::InvalidArgument("as_of " + Rfc3339Micros(*o.as_of_micros) +
                                   " is in the future (the server's time is " +
                                   Rfc3339Micros(now) + ")");
  }
  const std::string coll = SnapshotCollectionName(name);
  std::shared_ptr<CollectionImpl> live;
  {
    MutexLock lock(&mu_);
    if (auto it = collections_.find(coll); it != collections_.end()) {
      live = it->second;
    }
  }
  // Every write acknowledged until now into the archive (a live collection
  // that archives), so any point up to now can be restored. The archiver
  // goes on meanwhile: it only adds files after these. `live_last` is read
  // first: the archive must reach it for an `as_of` restore of the live
  // history to be complete.
  const CollectionInfo live_info = live ? live->Info() : CollectionInfo{};
  const uint64_t live_last = live_info.last_sequence;
  if (live && live->archives_wal()) {
    MutexLock archiving(&archive_mu_);
    PDB_ASSIGN_OR_RETURN(snapshot::Repository * repo, ArchiveRepository());
    auto r = live->ArchiveWal(repo, ArchiveSettingsOf(), /*seal_now=*/true);
    if (!r.ok() && !r.status().IsNotFound()) {
      return Status(r.status().code(),
                    "point-in-time restore of '" + coll +
                        "': archiving its WAL first: " + r.status().message());
    }
  }

  MutexLock snap(&snapshot_mu_);
  // Every snapshot of the name, in any repository.
  PDB_ASSIGN_OR_RETURN(auto repos, Repositories());
  struct Pick {
    size_t repo = 0;
    snapshot::Manifest manifest;
    size_t entry = 0;
    const snapshot::CollectionEntry& e() const {
      return manifest.collections[entry];
    }
  };
  std::vector<Pick> all;
  for (size_t r = 0; r < repos.size(); ++r) {
    PDB_ASSIGN_OR_RETURN(std::vector<snapshot::Manifest> list,
                         repos[r]->List());
    for (snapshot::Manifest& m : list) {
      for (size_t i = 0; i < m.collections.size(); ++i) {
        if (m.collections[i].name == coll) all.push_back(Pick{r, m, i});
      }
    }
  }
  // Which history of the name. A collection dropped and created again (a
  // restore over it included) starts a new history, with its own directory,
  // WAL and sequences, so snapshots are only compared within one. A
  // sequence names a write of the live collection (of the newest history
  // when the name is dropped); a time names the history that had the name
  // then: the live collection's from its creation on, before that the one
  // whose snapshot is the newest before the time.
  const uint64_t live_created = live_info.created_at_unix_ms * 1000;
  std::string history;
  if (live && (o.sequence || *o.as_of_micros >= live_created)) {
    history = live->dir_name();
  } else {
    // Newest by creation (a sequence) or by the time of its write S.
    auto newness = [&](const Pick& p) {
      return std::pair(o.sequence ? p.manifest.created_at_unix_ms
                                  : StateTime(p.manifest, p.e()),
                       p.e().sequence);
    };
    const Pick* newest = nullptr;
    for (const Pick& p : all) {
      if (live && p.e().dir_name == live->dir_name()) continue;
      if (o.as_of_micros && StateTime(p.manifest, p.e()) > *o.as_of_micros) {
        continue;
      }
      if (!newest || newness(p) > newness(*newest)) newest = &p;
    }
    if (newest) history = newest->e().dir_name;
  }
  // The newest snapshot of that history at or before the point.
  const Pick* best = nullptr;
  const Pick* oldest = nullptr;
  for (const Pick& p : all) {
    if (p.e().dir_name != history) continue;
    if (!oldest || p.e().sequence < oldest->e().sequence) oldest = &p;
    const bool before = o.sequence
                            ? p.e().sequence <= *o.sequence
                            : StateTime(p.manifest, p.e()) <= *o.as_of_micros;
    if (before && (!best || p.e().sequence > best->e().sequence)) best = &p;
  }
  if (!best) {
    if (!oldest) {
      const std::string which =
          live && history == live->dir_name()
              ? "collection '" + coll + "' (created " +
                    Rfc3339Micros(live_created) + ") has no snapshot" +
                    (all.empty() ? ""
                                 : " of its own (the older ones are of "
                                   "a collection of that name it "
                                   "replaced)")
              : "collection '" + coll + "' has no snapshot" +
                    (o.as_of_micros && !all.empty()
                         ? " at or before " + PointName(o)
                         : "");
      return Status::OutOfRange(
          which +
          "; a point-in-time restore starts from one (POST "
          "/api/v1/collections/" +
          coll + "/snapshots) and replays the archived WAL after it");
    }
    const auto& e = oldest->e();
    return Status::OutOfRange(
        "no snapshot of collection '" + coll + "' is at or before " +
        PointName(o) + "; the oldest, " + oldest->manifest.id +
        ", is at sequence " + std::to_string(e.sequence) + " (" +
        Rfc3339Micros(StateTime(oldest->manifest, e)) + ")");
  }
  const snapshot::CollectionEntry& entry = best->e();

  // The archived WAL after it, in the default repository (one of `repos`).
  const std::string archive_target =
      SnapshotTargetName(options_.snapshots.default_target);
  snapshot::Repository* archive = nullptr;
  for (const auto& r : repos) {
    if (r->target() == archive_target) archive = r.get();
  }
  if (archive == nullptr) {
    return Status::FailedPrecondition("the WAL archive's repository (" +
                                      archive_target + ") is not configured");
  }
  PDB_ASSIGN_OR_RETURN(std::vector<snapshot::ArchivedWal> files,
                       archive->ListWal(entry.dir_name));
  Env* env = options_.env;
  const bool live_history = live && history == live->dir_name();
  ExtendWal extend = [&](const std::string& wal_dir, WalFormat fmt,
                         RestoreResult* result) -> Result<uint64_t> {
    uint64_t pos = entry.sequence;
    uint64_t pos_time = entry.sequence_time_micros;
    bool cut = false;  // the point is inside the archive
    for (const snapshot::ArchivedWal& w : files) {
      if (o.sequence && pos >= *o.sequence) break;
      if (w.last_seq <= pos) continue;
      if (w.first_seq != pos + 1) {
        return Status::OutOfRange(
            "the WAL archive of collection '" + coll + "' in " +
            archive->Describe() + " lacks sequences " +
            std::to_string(pos + 1) + ".." + std::to_string(w.first_seq - 1) +
            " (archiving was off, or its retention removed them): " +
            PointName(o) + " cannot be restored from snapshot " +
            best->manifest.id + " (sequence " + std::to_string(entry.sequence) +
            ")");
      }
      const std::string path = wal_dir + "/" + wal::WalFileName(w.first_seq);
      PDB_RETURN_IF_ERROR(archive->FetchWal(w, path));
      PDB_ASSIGN_OR_RETURN(
          wal::WalFilePrefix prefix,
          wal::ScanWalFile(env, path, fmt, w.first_seq,
                           [&](uint64_t seq, uint64_t time) {
                             return o.sequence ? seq <= *o.sequence
                                               : time <= *o.as_of_micros;
                           }));
      ++result->files;
      result->bytes += w.size;
      if (prefix.records > 0) {
        pos = prefix.last_seq;
        pos_time = prefix.last_time_micros;
        result->wal_records += prefix.records;
      }
      if (prefix.whole) {
        if (prefix.last_seq != w.last_seq) {
          return Status::Corruption("archived WAL file " + w.key +
                                    " ends at sequence " +
                                    std::to_string(prefix.last_seq));
        }
        continue;
      }
      // The point is inside this file: keep the records up to it.
      cut = true;
      if (prefix.records == 0) {
        PDB_RETURN_IF_ERROR(env->RemoveFile(path));
      } else {
        PDB_RETURN_IF_ERROR(wal::TruncateDurably(env, path, prefix.bytes));
      }
      break;
    }
    if (o.sequence && pos < *o.sequence) {
      return Status::OutOfRange("the WAL archive of collection '" + coll +
                                "' reaches sequence " + std::to_string(pos) +
                                ", not " + std::to_string(*o.sequence) +
                                (live ? " (the collection's last sequence is " +
                                            std::to_string(live_last) + ")"
                                      : ""));
    }
    if (o.as_of_micros && !cut && live_history && pos < live_last) {
      // Every archived write is at or before the time, and the collection
      // has later ones the archive lacks, which may be too: restoring what
      // the archive has would be a guess.
      return Status::OutOfRange(
          "the WAL archive of collection '" + coll + "' reaches sequence " +
          std::to_string(pos) +
          (pos_time ? " (" + Rfc3339Micros(pos_time) + ")" : std::string()) +
          " and the collection is at sequence " + std::to_string(live_last) +
          ": the writes after it are not archived (archiving is off for it, "
          "or the archive lags), so " +
          PointName(o) + " cannot be restored exactly; give a sequence up to " +
          std::to_string(pos) + ", or an earlier time");
    }
    result->sequence_time_micros = pos_time;
    return pos;
  };
  RestoreOptions ro;
  ro.target_collection = o.target_collection;
  ro.overwrite = o.overwrite;
  PDB_ASSIGN_OR_RETURN(RestoreResult r,
                       RestoreEntry(repos[best->repo].get(), best->manifest,
                                    best->entry, ro, extend));
  spdlog::info(
      "point-in-time restore of collection {} as of {} into {}: snapshot {} "
      "(sequence {}) + {} archived WAL records = sequence {}",
      coll, PointName(o), o.target_collection, r.snapshot_id,
      r.snapshot_sequence, r.wal_records, r.sequence);
  return r;
}

}  // namespace proximadb
