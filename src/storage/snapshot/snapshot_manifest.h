// The snapshot manifest: what one snapshot holds (docs/FORMATS.md,
// "Snapshot manifest"). One framed, checksummed JSON file
// (storage/catalog/framed_json.h, magic "PDBSNP01"), written LAST: it is the
// snapshot's commit point, so a snapshot without one is incomplete and never
// listed. Every file it names carries its size and CRC32C, checked again by a
// restore before anything is committed.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::snapshot {

inline constexpr std::string_view kManifestMagic = "PDBSNP01";
inline constexpr uint32_t kManifestVersion = 1;

// Roles of the files of a collection in a snapshot.
inline constexpr std::string_view kRoleManifest = "manifest";  // its record
inline constexpr std::string_view kRoleSegment = "segment";
inline constexpr std::string_view kRoleGraph = "graph";      // .hnsw sidecar
inline constexpr std::string_view kRolePayload = "payload";  // .pidx sidecar
inline constexpr std::string_view kRoleWal = "wal";

struct FileEntry {
  // Where the file goes in a restored collection directory, relative to it
  // ("collection.manifest", "segments/seg-....pdb", "wal/wal-....log").
  std::string name;
  std::string role;
  // The object holding its bytes, relative to the repository
  // ("objects/<dir>/<name>.<size>.<crc>": content-addressed, so snapshots
  // share the objects of files that did not change).
  std::string key;
  uint64_t size = 0;
  uint32_t crc32c = 0;
};

struct CollectionEntry {
  std::string name;       // the collection's name when the snapshot was taken
  std::string dir_name;   // its directory then (scopes its objects)
  uint64_t sequence = 0;  // the WAL sequence the snapshot is consistent at
  uint64_t fence = 0;     // segments hold every write <= fence
  uint64_t points = 0;    // live points at `sequence`
  // The time of record `sequence` (0: unknown, e.g. no write since a
  // restart; the snapshot's creation time bounds it then).
  uint64_t sequence_time_micros = 0;
  std::vector<FileEntry> files;
};

struct Manifest {
  std::string id;
  std::string kind;  // "collection" | "database"
  uint64_t created_at_unix_ms = 0;
  uint64_t size_bytes = 0;      // every file's size, shared ones included
  uint64_t uploaded_bytes = 0;  // what this snapshot had to upload
  std::string server_version;
  std::vector<CollectionEntry> collections;  // one for kind "collection"
  std::vector<std::pair<std::string, std::string>> aliases;  // alias, coll.
};

std::string EncodeManifest(const Manifest& m);
// kCorruption("snapshot manifest <path>: <why>") on any damage.
Result<Manifest> DecodeManifest(std::string_view data, const std::string& path);

// Snapshot ids: "snap-<yyyymmddThhmmss.mmm>Z-<8 hex>"; refuses anything else
// (ids become object keys).
Status ValidateSnapshotId(std::string_view id);

}  // namespace proximadb::snapshot
