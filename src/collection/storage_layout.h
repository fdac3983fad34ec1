// Where a database's files are (docs/ARCHITECTURE.md, "Tiers and
// placement"; docs/FORMATS.md, "Data directories"):
//
//   <data>/                     the main data directory: catalog, quarantine,
//                               collections/<dir>/ (manifest, drop marker,
//                               and, by default, wal/ and segments/)
//   <volume>/collections/<dir>/segments/   segments placed on another data
//                               directory ([storage] data_directories)
//   <wal_root>/collections/<dir>/wal/      the WAL when [storage]
//                               wal_directory is set
//
// A volume or WAL root is recorded in the catalog as the directory's path as
// configured (normalised), "" standing for the main data directory.
//
// Thread-safe: immutable after construction.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "proximadb/db.h"
#include "proximadb/env.h"
#include "proximadb/status.h"
#include "storage/catalog/catalog.h"

namespace proximadb {

class StorageLayout {
 public:
  // Free space a data directory keeps after a new segment: one below it
  // counts as full.
  static constexpr uint64_t kMinFreeBytes = 16ull << 20;

  StorageLayout(Env* env, std::string data_dir,
                std::vector<DataDirectory> volumes, std::string wal_directory);

  const std::string& data_dir() const { return data_dir_; }
  // "" -> the main data directory, else the path itself.
  std::string Root(const std::string& volume) const;
  // <root>/collections/<dir_name>
  std::string CollectionDir(const std::string& volume,
                            const std::string& dir_name) const;
  std::string SegmentDir(const std::string& volume,
                         const std::string& dir_name) const;
  std::string WalDir(const std::string& wal_root,
                     const std::string& dir_name) const;
  // The WAL root of a collection created now.
  const std::string& new_wal_root() const { return wal_root_; }
  // The configured data directories as recorded ("" for the main one).
  std::vector<std::string> volumes() const;
  // Every root other than the main data directory that may hold
  // collections/ entries: the other data directories and the WAL root.
  std::vector<std::string> secondary_roots() const;

  // One process per database: locks LOCK (data_dir.h) in the main data
  // directory (created when missing) and in every secondary root present,
  // until the returned locks are destroyed. kFailedPrecondition naming the
  // holder when another process, or another DB of this one, has one.
  Result<std::vector<std::unique_ptr<FileLock>>> LockRoots() const;

  // The data directory for a new segment of about `bytes`: among those
  // present with room for it (kMinFreeBytes left after it), the one with
  // the most free space times weight. kResourceExhausted naming each
  // directory and why it was not taken when none can.
  Result<std::string> ChooseVolume(uint64_t bytes) const;

  // Normalised form of a configured path ("" for the main directory).
  std::string Normalize(const std::string& path) const;

 private:
  Env* const env_;
  const std::string data_dir_;
  std::vector<DataDirectory> volumes_;  // paths normalised
  std::string wal_root_;                // normalised
};

// Distinct directories in the order first added: the roots a collection's
// (or every collection's) files may be under, from the configuration and
// from what catalog records name.
class RootList {
 public:
  explicit RootList(std::vector<std::string> initial = {});
  void Add(const std::string& root);
  // Every directory `rec` names: its WAL root (when `wal_root`) and the
  // volume of each of its segments and obsolete segments.
  void AddRecord(const catalog::CollectionRecord& rec, bool wal_root);
  // Without "" (the main data directory).
  void DropMain();
  const std::vector<std::string>& roots() const { return roots_; }

 private:
  std::vector<std::string> roots_;
};

// A segment's local files, by the catalog's file name ("seg-<id>.pdb") and
// tier: the segment file (a cold segment's is its stub, "seg-<id>.stub":
// docs/FORMATS.md, "Stub of a cold segment"), then its graph and payload
// index sidecars ("seg-<id>.hnsw", "seg-<id>.pidx"), which may be absent.
struct SegmentFiles {
  std::string main, graph, payload;
  std::vector<std::string> all() const { return {main, graph, payload}; }
};
SegmentFiles SegmentFilesOf(const std::string& file_name, Tier tier);
// The same names under `dir` ("<dir>/seg-...").
SegmentFiles SegmentFilesIn(const std::string& dir,
                            const std::string& file_name, Tier tier);
// Every name a file of segment `file_name` can have in any tier (for
// telling a leftover of an interrupted move from a stray).
std::vector<std::string> AllSegmentFileNames(const std::string& file_name);

// Creates `dir` and its missing parents up to (not including) `root`,
// fsyncing each parent whose entries changed, so the new directories
// survive a crash.
Status CreateDirsDurably(Env* env, const std::string& root,
                         const std::string& dir);

}  // namespace proximadb
