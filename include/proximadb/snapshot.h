// Snapshots and restore (docs/API.md, "Snapshots"; docs/OPERATIONS.md,
// "Backup and restore"). A snapshot of a collection is consistent at one
// WAL sequence number and is taken without blocking writes or searches; it
// lives in a repository: a local directory ([snapshots] local_directory) or
// the object store configured in [tiering], under "snapshots/".
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace proximadb {

enum class SnapshotTarget {
  kDefault,  // [snapshots] default_target
  kLocal,    // "local"
  kS3,       // "s3": the [tiering] object store (S3 or local_object_directory)
};
const char* SnapshotTargetName(SnapshotTarget t);  // "local" | "s3"

// [snapshots].
struct SnapshotOptions {
  // default_target: where a snapshot goes when the request names none.
  // Default kLocal.
  SnapshotTarget default_target = SnapshotTarget::kLocal;
  // local_directory: the local repository. Default "" = <data>/snapshots.
  std::string local_directory;
  // The WAL archive (point-in-time restore) of the collections whose
  // tiering policy says wal_archive (default: [snapshots] wal_archive, kept
  // in TieringDefaults). It lives in the default_target repository.
  // wal_archive_interval_seconds: a WAL file holding records is sealed and
  // archived at the latest this long after the previous seal (the most a
  // lost disk can take from the archive). Default 60.
  uint32_t wal_archive_interval_seconds = 60;
  // Archived files go, oldest first, when older than retention_hours (by
  // their newest record) or beyond retention_mb per collection; 0 = no
  // limit of that kind. Defaults 168 (7 days) and 10240.
  double wal_archive_retention_hours = 168;
  uint64_t wal_archive_retention_mb = 10240;
  bool operator==(const SnapshotOptions&) const = default;
};

struct SnapshotFileInfo {
  std::string name;  // in the collection directory: "segments/seg-....pdb"
  std::string role;  // "manifest" | "segment" | "graph" | "payload" | "wal"
  uint64_t size = 0;
  uint32_t crc32c = 0;
};

struct SnapshotCollectionInfo {
  std::string name;
  uint64_t sequence = 0;  // consistent at this WAL sequence
  uint64_t points = 0;    // live points at `sequence`
  std::vector<SnapshotFileInfo> files;
};

struct SnapshotInfo {
  std::string id;         // "snap-20261130T091500.123Z-0123abcd"
  std::string target;     // "local" | "s3"
  std::string kind;       // "collection" | "database"
  uint64_t sequence = 0;  // a collection snapshot's sequence (database: 0)
  uint64_t created_at_unix_ms = 0;
  uint64_t size_bytes = 0;      // all its files
  uint64_t uploaded_bytes = 0;  // what creating it uploaded (the rest re-used)
  uint32_t format_version = 0;
  std::string server_version;
  std::vector<SnapshotCollectionInfo> collections;  // files: inspect only
};

struct RestoreOptions {
  // The collection to create; required.
  std::string target_collection;
  // Replace an existing collection of that name (dropped only once the
  // restored copy is verified and in place). Without it: kAlreadyExists.
  bool overwrite = false;
};

struct RestoreResult {
  std::string collection;  // the restored collection
  std::string snapshot_id;
  uint64_t sequence = 0;
  uint64_t points = 0;
  uint64_t files = 0;
  uint64_t bytes = 0;  // downloaded and verified
  // Point-in-time restores: the snapshot's own sequence, the archived WAL
  // records replayed on top of it (sequence = snapshot_sequence +
  // wal_records), and the time of record `sequence` (0: unknown).
  uint64_t snapshot_sequence = 0;
  uint64_t wal_records = 0;
  uint64_t sequence_time_micros = 0;
};

// A point-in-time restore (DB::RestorePointInTime): the newest snapshot at
// or before the point, plus the archived WAL replayed up to it.
struct PointInTimeOptions {
  std::string target_collection;  // required
  bool overwrite = false;         // as RestoreOptions::overwrite
  // Exactly one: every write with a sequence <= `sequence`, or every write
  // whose time is <= `as_of_micros` (unix microseconds).
  std::optional<uint64_t> sequence;
  std::optional<uint64_t> as_of_micros;
};

}  // namespace proximadb
