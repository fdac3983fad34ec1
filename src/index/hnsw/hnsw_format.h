// The HNSW graph file ("seg-<id>.hnsw" beside each segment). All integers
// little-endian. A file is served memory-mapped, so every section starts at
// a multiple of 64 bytes and holds raw arrays.
//
//   [0, 128)   header
//      0  char[8]  magic "PDBHNSW1"
//      8  u32      version (1)
//     12  u32      header size (128)
//     16  u32      metric (proximadb::Metric)
//     20  u32      dim
//     24  u32      rows n (graph capacity; the view must have >= n rows)
//     28  u32      m (upper-level list capacity; level 0 holds 2m). 0: codes
//                  only (no links, a quantization other than none, max
//                  level -1, every inserted row on level 0; a flat
//                  collection's codes, HnswParams::m)
//     32  u32      ef_construction
//     36  u32      ef_search (default)
//     40  u32      quantization (0 none, 1 int8, 2 binary, 3 pq)
//     44  u32      rerank_factor
//     48  u32      entry row
//     52  i32      max level (-1: empty graph)
//     56  u32      section count s (<= 16)
//     60  u32      rows inserted
//     64  u64      seed
//     72  f32      int8 step (0 without quantization)
//     76  u32      pq subspaces M, 1..dim (pq only; 0 otherwise)
//     80  zero padding
//    124  u32      masked crc32c of bytes [0, 124)
//   [128, 128 + 32 s)  section table, one entry per section:
//      u32 type, u32 zero, u64 offset, u64 length, u32 masked crc32c of the
//      section bytes, u32 zero
//   then u32 masked crc32c of the table, padding to 64 bytes, the sections.
//
// Sections (type: content):
//   1 levels:        n x i8, -1 for a row never inserted
//   2 level0:        n x (1 + 2m) x u32: count, then neighbour rows
//   3 upper offsets: n x u32, word offset of the row's first upper list in
//                    section 4 (rows with level >= 1; 0 otherwise)
//   4 upper lists:   per row with level L >= 1, L lists of (1 + m) x u32
//   5 sq mins:       dim x f32   (int8 only)
//   6 sq codes:      n x dim x u8 (int8 only)
//   7 sq row terms:  n x f32     (int8 only)
//   8 bq levels:     3 x dim x f32: thresholds, then lo, then hi (binary only)
//   9 bq codes:      n x ((dim + 63) / 64) x u64 (binary only)
//  10 bq row terms:  n x f32     (binary only)
//  11 bq centroids:  K x dim x f32, 1 <= K <= 256 (binary only)
//  12 bq assignment: n x u8, each row's centroid (binary only)
//  13 pq codebooks:  256 x dim x f32; subspace s's 256 centroids of width
//                    w_s, row-major, from float 256 * (s * dim / M) (pq only)
//  14 pq codes:      n x M x u8, a codeword number per subspace (pq only)
//  15 pq coarse:     K x dim x f32, 1 <= K <= 256 coarse centroids (pq only)
//  16 pq assignment: n x u8, each row's coarse centroid (pq only)
//  17 pq row terms:  n x f32 (pq only)
#pragma once

#include <cstdint>

namespace proximadb::index::hnsw_format {

inline constexpr char kMagic[8] = {'P', 'D', 'B', 'H', 'N', 'S', 'W', '1'};
inline constexpr uint32_t kVersion = 1;
inline constexpr uint32_t kHeaderSize = 128;
inline constexpr uint32_t kTableEntrySize = 32;
inline constexpr uint32_t kMaxSections = 16;
inline constexpr uint32_t kAlign = 64;

enum SectionType : uint32_t {
  kLevels = 1,
  kLevel0 = 2,
  kUpperOffsets = 3,
  kUpper = 4,
  kSqMins = 5,
  kSqCodes = 6,
  kSqTerms = 7,
  kBqLevels = 8,
  kBqCodes = 9,
  kBqTerms = 10,
  kBqCentroids = 11,
  kBqAssign = 12,
  kPqCodebooks = 13,
  kPqCodes = 14,
  kPqCoarse = 15,
  kPqAssign = 16,
  kPqTerms = 17,
};
inline constexpr uint32_t kMaxSectionType = kPqTerms;

}  // namespace proximadb::index::hnsw_format
