// The alias manifest: a checksummed copy of the catalog's aliases, kept as
// `aliases.manifest` at the top of the data directory (docs/FORMATS.md,
// "Alias manifest"), so that `--rebuild-catalog`, which rebuilds the catalog
// from the files in the data directory, brings the aliases back too.
//
// One file for all aliases rather than a list in each collection's manifest:
// a switch moves an alias from one collection to another in one catalog
// commit, and one file replaced by one rename records it whole, where two
// manifests written one after the other could both claim the alias after a
// crash between them. Each entry names its collection by name and by
// directory (`dir_name`), so a rebuild never attaches an alias to a later
// collection of the same name.
//
// Rewritten (temp file, fsync, rename, directory fsync) after every catalog
// commit that changes the aliases (an alias request, the drop of a
// collection that had aliases); start-up rewrites it when it differs from
// the catalog. So it describes the latest committed aliases or, after a
// crash, the ones before.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "proximadb/status.h"

namespace proximadb::catalog {

inline constexpr std::string_view kAliasManifestFileName = "aliases.manifest";
inline constexpr std::string_view kAliasManifestMagic = "PDBALI01";
inline constexpr uint32_t kAliasManifestVersion = 1;

struct AliasEntry {
  std::string alias;
  std::string collection;  // the collection's name
  std::string dir_name;    // and its directory: "<name>-<8 hex>"
  bool operator==(const AliasEntry&) const = default;
};

// The file's bytes: magic, version u32, body length u64, the entries as JSON
// ({"aliases": [{"alias", "collection", "dir_name"}, ...]} in the given
// order), masked CRC32C u32 of everything before it.
std::string EncodeAliasManifest(const std::vector<AliasEntry>& aliases);

// The inverse; any damage (size, magic, version, checksum, JSON shape) is
// kCorruption("alias manifest <path>: <what>").
Result<std::vector<AliasEntry>> DecodeAliasManifest(std::string_view data,
                                                    const std::string& path);

}  // namespace proximadb::catalog
