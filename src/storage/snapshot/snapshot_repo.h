// A snapshot repository: the snapshots kept in one object store under one
// prefix (a local directory through LocalObjectStore, or the [tiering]
// object store under "snapshots/"). Layout (docs/FORMATS.md, "Snapshot
// repository"):
//
//   <prefix>manifests/<id>.snapshot   the manifest, written last (commit)
//   <prefix>pending/<id>              written first, removed after the
//                                     manifest: a snapshot that never
//                                     committed (its objects are collected)
//   <prefix>objects/<dir_name>/<file>.<size>.<crc32c hex>
//                                     file contents, shared by every
//                                     snapshot whose file had that content
//   <prefix>wal/<dir_name>/<first>-<last>-<time>.<size>.<crc32c hex>.wal
//                                     the WAL archive: one sealed WAL file
//                                     (sequences first..last, its newest
//                                     record written at <time>, unix us;
//                                     numbers 20 digits), for
//                                     point-in-time restore
//
// Object keys name the content (file name + size + CRC32C; segment files
// are immutable), so a snapshot re-uses what an earlier one uploaded, and
// deleting a snapshot deletes only objects no other manifest names.
//
// Not thread-safe for writes: the DB serialises create, delete and restore
// (DBImpl::snapshot_mu_). One server per repository.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "proximadb/env.h"
#include "storage/object/object_store.h"
#include "storage/snapshot/snapshot_manifest.h"

namespace proximadb::snapshot {

// A WAL file in the archive.
struct ArchivedWal {
  uint64_t first_seq = 0;
  uint64_t last_seq = 0;
  uint64_t last_time_micros = 0;  // of record last_seq
  uint64_t size = 0;
  uint32_t crc32c = 0;
  std::string key;  // relative to the repository
};

class Repository {
 public:
  // `target` names the repository in answers ("local" | "s3").
  Repository(Env* env, std::shared_ptr<object::ObjectStore> store,
             std::string prefix, std::string target);
  Repository(const Repository&) = delete;
  Repository& operator=(const Repository&) = delete;

  const std::string& target() const { return target_; }
  std::string Describe() const;

  // Stores `data` as file `name` of collection directory `scope`: uploads it
  // unless an object with the same content is there (checked by Head: size
  // and CRC32C). `*uploaded` = bytes sent (0 when re-used).
  Result<FileEntry> PutBytes(const std::string& scope, const std::string& name,
                             std::string_view role, std::string_view data,
                             uint64_t* uploaded);
  // The same from a local file, streamed (a segment is not held in memory).
  Result<FileEntry> PutFile(const std::string& scope, const std::string& name,
                            std::string_view role, const std::string& path,
                            uint64_t* uploaded);

  Status MarkPending(const std::string& id);
  // Writes the manifest (the commit point), then drops the pending mark.
  Status Commit(const Manifest& m);

  // Every committed snapshot, oldest first. A damaged manifest is an error
  // naming it (never skipped silently).
  Result<std::vector<Manifest>> List();
  // kNotFound when there is no committed snapshot `id`.
  Result<Manifest> Read(const std::string& id);
  // Deletes the manifest (the snapshot is gone from then on), then every
  // object of it no other manifest names.
  Status Delete(const std::string& id);
  // Deletes the objects of snapshots that never committed (pending marks
  // without a manifest) that no manifest names, and the marks. Returns how
  // many snapshots it cleaned up.
  Result<uint64_t> CollectIncomplete();

  // Downloads `f` into `path` (created; fsynced) and verifies its size and
  // CRC32C against the manifest's: kCorruption naming the file otherwise.
  Status Fetch(const FileEntry& f, const std::string& path);

  // The WAL archive of collection directory `scope`. ArchiveWal stores the
  // sealed WAL file at `path` (holding first..last, its newest record at
  // last_time) unless it is there already; `*uploaded` = bytes sent.
  Result<ArchivedWal> ArchiveWal(const std::string& scope, uint64_t first,
                                 uint64_t last, uint64_t last_time,
                                 const std::string& path, uint64_t* uploaded);
  // The archived files of `scope`, by first sequence. Keys that are not
  // archive names are left alone (and logged).
  Result<std::vector<ArchivedWal>> ListWal(const std::string& scope);
  Status DeleteWal(const ArchivedWal& w);
  // Downloads `w` into `path` and verifies size and CRC32C (kCorruption).
  Status FetchWal(const ArchivedWal& w, const std::string& path);

 private:
  std::string ManifestKey(const std::string& id) const;
  std::string ObjectKey(const std::string& scope, const std::string& name,
                        uint64_t size, uint32_t crc) const;
  // Whether the object `key` holds exactly size/crc.
  bool Holds(const std::string& key, uint64_t size, uint32_t crc);
  // Uploads the local file `path` (of `size` bytes, CRC32C `crc`) as `key`
  // unless the object is there with that content, then checks what the
  // store recorded; returns the bytes sent (0 when re-used). `what` names
  // the caller in errors.
  Result<uint64_t> UploadUnlessHeld(const std::string& key,
                                    const std::string& path, uint64_t size,
                                    uint32_t crc, std::string_view what);
  Status DeleteUnreferenced(const std::vector<std::string>& keys);
  std::string WalScope(const std::string& scope) const;
  // Downloads object `key` (relative) into `path`, checking size and CRC32C;
  // `what` names it in errors, `recorded` where size and CRC come from.
  Status FetchVerified(const std::string& key, uint64_t size, uint32_t crc,
                       const std::string& what, const std::string& recorded,
                       const std::string& path);

  Env* const env_;
  const std::shared_ptr<object::ObjectStore> store_;
  const std::string prefix_;
  const std::string target_;
};

// CRC32C and size of a local file, read in chunks.
Result<std::pair<uint64_t, uint32_t>> FileChecksum(Env* env,
                                                   const std::string& path);

}  // namespace proximadb::snapshot
