// Stub of a cold segment: the segment file a collection keeps locally once
// the segment's cold pack (cold_pack.h) is in the object store. It is a
// segment file (segment_format.h) with every section of the full file, byte
// for byte, except the vectors (the bulk): its kVectors section is empty, and
// a kColdRef section names the object holding the full file. Ids, versions,
// metadata, norms and the deleted-at-write bitmap stay local, so lookups,
// filters, counts, deletes and scrolls without vectors need no download.
// Layout: docs/FORMATS.md, "Segment file" ("Stub of a cold segment").
//
// kColdRef section bytes (little-endian):
//   version u32 (= kColdRefVersion)
//   key length u32 (1..kColdRefMaxKeySize), key bytes
//   object size u64, object crc32c u32 (unmasked)
//   segment size u64, segment crc32c u32 (unmasked)
// and nothing after them.
//
// Thread-safety: the functions are pure (WriteColdStub: safe to call
// concurrently for different stub paths).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "proximadb/env.h"
#include "proximadb/status.h"

namespace proximadb::segment {

inline constexpr uint32_t kColdRefVersion = 1;
inline constexpr size_t kColdRefMaxKeySize = 1024;

struct ColdRef {
  std::string key;              // the object's key in the store (1..1024 B)
  uint64_t object_size = 0;     // the cold pack's size in bytes
  uint32_t object_crc32c = 0;   // CRC32C of the pack (unmasked)
  uint64_t segment_size = 0;    // the full segment file's size
  uint32_t segment_crc32c = 0;  // CRC32C of the whole full segment file
  bool operator==(const ColdRef&) const = default;
};

// The kColdRef section's bytes. `ref.key` must be 1..kColdRefMaxKeySize
// bytes (MakeColdStub checks it).
std::string EncodeColdRef(const ColdRef& ref);
// kCorruption("cold ref: <what>") on any inconsistency (version, key length,
// a missing or extra byte).
Status DecodeColdRef(std::string_view in, ColdRef* ref);

// The stub of a full segment file: the same header fields (id, dimension,
// metric, count, min/max seq); every section copied byte for byte, in table
// order, except kVectors, which becomes empty; a kColdRef section appended.
// Sections are laid out afresh (64-byte aligned, zero padding); a copied
// section keeps its CRC.
//
// The input's header CRC, every section CRC and every padding byte are
// verified first (kCorruption naming what failed: a damaged segment never
// becomes a stub). kInvalidArgument: not a segment file (magic, version), a
// stub, a bad key, or a ref whose segment size or CRC is not this file's.
Result<std::string> MakeColdStub(std::string_view segment_file,
                                 const ColdRef& ref);

// Writes the stub of the segment file at `segment_path` to `stub_path`
// (which must differ from it): `stub_path + ".tmp"` written, fsynced, renamed
// over `stub_path`, the directory fsynced, all through `env`. On error
// nothing is left at `stub_path` or `stub_path + ".tmp"` (best effort: the
// removal may fail too, e.g. on a dead disk). The segment file is untouched.
Status WriteColdStub(Env* env, const std::string& segment_path,
                     const ColdRef& ref, const std::string& stub_path);

}  // namespace proximadb::segment
