// The object cache's file names and its .meta record (docs/FORMATS.md,
// "Object cache"). Separate from object_cache.h so tests can write damaged
// records and Open can be fuzzed without a store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proximadb/status.h"

namespace proximadb::object::cache_format {

// "PDBOCM01": ProximaDB object cache meta, layout 1.
inline constexpr std::string_view kMetaMagic = "PDBOCM01";
inline constexpr uint32_t kMetaVersion = 1;
// magic 8, version 4, object size 8, object crc32c 4, key length 4.
inline constexpr size_t kMetaFixedBytes = 28;
// The record's own masked CRC32C, after the key.
inline constexpr size_t kMetaTrailerBytes = 4;
// Longer keys are refused when decoding (S3 keys are at most 1024 bytes).
inline constexpr uint32_t kMaxKeyBytes = 4096;
// Sequence numbers are written with this many decimal digits.
inline constexpr size_t kSeqDigits = 20;

enum class FileKind {
  kObject,  // <seq>.obj
  kMeta,    // <seq>.meta
  kFill,    // <seq>.fill: a download in progress (or interrupted)
  kStray,   // anything else: not the cache's
};

// "<seq, 20 digits><suffix>", suffix ".obj", ".meta" or ".fill".
std::string FileName(uint64_t seq, std::string_view suffix);
// The kind of a directory entry's name, and its sequence number.
FileKind ParseFileName(std::string_view name, uint64_t* seq);

struct EntryMeta {
  std::string key;
  uint64_t size = 0;
  uint32_t crc32c = 0;  // of the object's bytes, unmasked
};

std::string EncodeMeta(const EntryMeta& meta);
// kCorruption saying what is wrong: bad magic or version, a length that is
// not the record's, a key too long, a checksum mismatch.
Status DecodeMeta(std::string_view bytes, EntryMeta* meta);

}  // namespace proximadb::object::cache_format
