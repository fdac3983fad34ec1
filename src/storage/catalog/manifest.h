// The collection manifest: a checksummed copy of one collection's catalog
// record (config, name, directory, creation time, payload index definitions,
// WAL fence, next segment id, segments with their deletion bitmaps), kept as
// `collection.manifest` in the collection's own directory so that the
// directory describes itself (docs/FORMATS.md, "Collection manifest").
//
// It is rewritten (temp file, fsync, rename, directory fsync) after every
// catalog commit that changes the collection, from the committed record, and
// before anything that commit made obsolete (WAL files, compacted segments)
// is deleted. So it always describes a committed state: the latest one, or
// after a crash at worst the one before, whose files still exist. Start-up
// compares it with the catalog (a catalog behind its manifests has lost
// commits) and `--rebuild-catalog` rebuilds the catalog from it.
#pragma once

#include <string>
#include <string_view>

#include "proximadb/status.h"
#include "storage/catalog/catalog.h"

namespace proximadb::catalog {

inline constexpr std::string_view kManifestFileName = "collection.manifest";
inline constexpr std::string_view kManifestMagic = "PDBMAN01";
inline constexpr uint32_t kManifestVersion = 1;

// The file's bytes: magic, version u32, body length u64, the record as JSON,
// masked CRC32C u32 of everything before it.
std::string EncodeManifest(const CollectionRecord& rec);

// The inverse; any damage (size, magic, version, checksum, JSON shape) is
// kCorruption("manifest <path>: <what>"), `path` naming the file in messages.
Result<CollectionRecord> DecodeManifest(std::string_view data,
                                        const std::string& path);

// Whether two records describe the same state: generation, fence, next
// segment id,
// segments (ids, files, counts, seq ranges, bitmaps), config, payload index
// definitions, directory and creation time. On a difference `*why` names
// the first one.
bool SameRecord(const CollectionRecord& a, const CollectionRecord& b,
                std::string* why);

}  // namespace proximadb::catalog
