// On-disk layout of an immutable segment file (see docs/FORMATS.md,
// "Segment file"). All integers are little-endian.
//
//   offset 0   header (kFixedHeaderSize bytes)
//                magic "PDBSEG01"   8 bytes
//                format version     u32 (= kFormatVersion)
//                header length      u32 (fixed part + table + trailing crc)
//                dimension          u32
//                metric             u32 (proximadb::Metric)
//                point count        u64
//                segment id         u64
//                min_seq            u64
//                max_seq            u64
//                section count      u32
//              section table: section count x kSectionEntrySize bytes
//                type u32, reserved u32 (0), offset u64, length u64,
//                crc32c u32 (masked, of the section bytes), pad u32 (0)
//              header crc         u32 (masked crc32c of every byte above)
//   ...        zero padding up to the next multiple of kSectionAlignment
//   sections, each starting at a multiple of kSectionAlignment, separated by
//   zero padding; the file ends exactly where the last section ends.
//
// The header comes first and carries the CRCs of every section, so the writer
// computes all section lengths and CRCs in a first pass over the rows and
// streams the sections in a second (see segment_writer.cc).
#pragma once

#include <bit>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace proximadb::segment {

// Vectors, norms and offsets are served zero-copy from the mapped file.
static_assert(std::endian::native == std::endian::little,
              "segment files are little-endian and read in place");

inline constexpr std::string_view kMagic = "PDBSEG01";
// Version 1: every section stored as is. Version 2: the same, except that
// the id and metadata bytes may be zstd-compressed (kIdBytesZstd,
// kMetaBytesZstd). A writer writes 2 only when a compressed section is in
// the file, so uncompressed segments keep their bytes; readers take both.
inline constexpr uint32_t kFormatVersion = 1;
inline constexpr uint32_t kFormatVersionCompressed = 2;
inline constexpr bool KnownFormatVersion(uint32_t v) {
  return v == kFormatVersion || v == kFormatVersionCompressed;
}
// The most a compressed section may unpack to (readers unpack in pieces,
// so a damaged size is noticed before it is allocated).
inline constexpr uint64_t kMaxUnpackedSectionBytes = 64ull << 30;

inline constexpr size_t kFixedHeaderSize = 8 + 4 * 4 + 8 * 4 + 4;  // 60
inline constexpr size_t kSectionEntrySize = 32;
inline constexpr size_t kHeaderCrcSize = 4;
// 64 bytes: a cache line, and enough for any SIMD load of the vector rows.
inline constexpr uint64_t kSectionAlignment = 64;
// Upper bound readers accept, so a corrupt count cannot make them allocate
// or loop without limit.
inline constexpr uint32_t kMaxSections = 1024;

// Byte offsets of the fixed header fields.
inline constexpr size_t kOffMagic = 0;
inline constexpr size_t kOffVersion = 8;
inline constexpr size_t kOffHeaderLength = 12;
inline constexpr size_t kOffDimension = 16;
inline constexpr size_t kOffMetric = 20;
inline constexpr size_t kOffPointCount = 24;
inline constexpr size_t kOffSegmentId = 32;
inline constexpr size_t kOffMinSeq = 40;
inline constexpr size_t kOffMaxSeq = 48;
inline constexpr size_t kOffSectionCount = 56;
static_assert(kOffSectionCount + 4 == kFixedHeaderSize);

// Section types. 0 is never valid. Readers skip types they do not know, so
// later format additions that old readers may ignore need no version bump.
enum SectionType : uint32_t {
  kVectors = 1,      // count * dim float32, row-major
  kNorms = 2,        // count float32: L2 norm of each row
  kVersions = 3,     // count u64: sequence number of the row's write
  kIdOffsets = 4,    // count + 1 u64 into kIdBytes; [0] = 0, last = length
  kIdBytes = 5,      // concatenated ids, sorted bytewise, unique
  kMetaOffsets = 6,  // count + 1 u64 into kMetaBytes
  kMetaBytes = 7,    // concatenated compact JSON objects ("{}" when empty)
  kDeleted = 8,      // ceil(count / 64) u64 words; bit i%64 of word i/64 set
                     // = row i was already dead when the segment was written
  kLastRequired = kDeleted,

  // Optional, all three or none, written only when some row has sparse
  // vectors (index/sparse.h):
  kSparseOffsets = 9,  // count + 1 u64 into kSparseBytes
  kSparseBytes = 10,   // concatenated row blobs ("" = no sparse vectors)
  kSparseIndex = 11,   // the inverted index of them (SparseIndexBuilder)
  // Optional, written only when some row expires (docs/API.md, "Expiry"):
  kExpiry = 12,  // count u64: when row i expires (unix microseconds; 0 never)
  // Optional, version 2 only: the bytes of kIdBytes / kMetaBytes as one zstd
  // frame (content size and checksum in the frame), after a u64 holding the
  // content's length. When present, the plain section is present and empty;
  // the offsets sections index the content as they would the plain bytes.
  kIdBytesZstd = 13,
  kMetaBytesZstd = 14,

  // Reserved for the HNSW graph built over this segment's rows.
  kHnswFirst = 16,
  kHnswLast = 31,
  // Reserved for payload (metadata) indexes.
  kPayloadIndexFirst = 32,
  kPayloadIndexLast = 47,

  // This file is the stub of a cold segment (cold_stub.h): its kVectors
  // section is empty and the vectors are in the cold pack this section names
  // (an encoded ColdRef). At most one per file.
  kColdRef = 48,
};

inline constexpr uint64_t AlignUp(uint64_t n) {
  return (n + kSectionAlignment - 1) / kSectionAlignment * kSectionAlignment;
}

inline constexpr size_t HeaderLength(uint32_t section_count) {
  return kFixedHeaderSize + section_count * kSectionEntrySize + kHeaderCrcSize;
}

inline constexpr uint64_t DeletedWords(uint64_t count) {
  return (count + 63) / 64;
}

}  // namespace proximadb::segment
