// The object cache's file names and its .meta record (docs/FORMATS.md,
// "Object cache"). Separate from object_cache.h so tests can write damaged
// records and Open can be fuzzed without a store.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "proximadb/status.h"

namespace proximadb::object::cache_format {

// "PDBOCM01": ProximaDB object cache meta (the magic predates the version
// field's second value and stays).
inline constexpr std::string_view kMetaMagic = "PDBOCM01";
// Version 1: the entry's file is the object. Version 2 (written now) also
// records the content (the .obj file), which a transform may make differ
// from the object.
inline constexpr uint32_t kMetaVersion1 = 1;
inline constexpr uint32_t kMetaVersion = 2;
// v1: magic 8, version 4, object size 8, object crc32c 4, key length 4.
inline constexpr size_t kMetaV1FixedBytes = 28;
// v2: magic 8, version 4, object size 8, object crc32c 4, content size 8,
// content crc32c 4, key length 4.
inline constexpr size_t kMetaFixedBytes = 40;
// The record's own masked CRC32C, after the key.
inline constexpr size_t kMetaTrailerBytes = 4;
// Longer keys are refused when decoding (S3 keys are at most 1024 bytes).
inline constexpr uint32_t kMaxKeyBytes = 4096;
// Sequence numbers are written with this many decimal digits.
inline constexpr size_t kSeqDigits = 20;

enum class FileKind {
  kObject,  // <seq>.obj
  kMeta,    // <seq>.meta
  // A fill in progress (or interrupted): <seq>.fill (the download),
  // <seq>.dec and <seq>.dec.tmp (the transform's output).
  kFill,
  kStray,  // anything else: not the cache's
};

// "<seq, 20 digits><suffix>", suffix ".obj", ".meta", ".fill", ".dec" or
// ".dec.tmp".
std::string FileName(uint64_t seq, std::string_view suffix);
// The kind of a directory entry's name, and its sequence number.
FileKind ParseFileName(std::string_view name, uint64_t* seq);

struct EntryMeta {
  std::string key;
  // The object as the caller's catalog knows it (what Fetch is called with).
  uint64_t size = 0;
  uint32_t crc32c = 0;  // unmasked
  // The entry's file (.obj): the object, or what the transform made of it.
  uint64_t content_size = 0;
  uint32_t content_crc32c = 0;  // unmasked
};

// A version 2 record.
std::string EncodeMeta(const EntryMeta& meta);
// Decodes version 2, and version 1 (content = object). kCorruption saying
// what is wrong: bad magic or version, a length that is not the record's, a
// key too long, a checksum mismatch.
Status DecodeMeta(std::string_view bytes, EntryMeta* meta);

}  // namespace proximadb::object::cache_format
