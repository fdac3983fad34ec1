// Cold pack: a segment file (segment_format.h) compressed for the object
// store (the cold tier), decoded back to the byte-identical segment file.
// Layout: docs/FORMATS.md, "Cold pack". All integers are little-endian.
//
//   offset 0   pack header (kColdPackFixedSize bytes)
//                magic "PDBCPK01"     8 bytes
//                format version       u32 (= kColdPackVersion)
//                chunk count          u32 (<= kColdPackMaxChunks)
//                decoded size         u64 (<= kColdPackMaxDecodedSize)
//                decoded crc32c       u32 (masked, of the whole segment file)
//                reserved             u32 (0)
//              chunk table: chunk count x kColdPackChunkEntrySize bytes
//                kind u32 (segment section type; 0 = header or padding)
//                codec u8 (ColdPackCodec), reserved 3 bytes (0)
//                raw length u64, packed length u64
//                raw crc32c u32 (masked), packed crc32c u32 (masked)
//              table crc          u32 (masked crc32c of every byte above)
//   ...        the chunks' packed bytes, concatenated in table order; the
//              pack ends exactly where the last chunk ends.
//
// The chunks cover the segment file in order, without gaps: the header (and
// the padding after it), then each section and the padding before the next.
// Decoding concatenates the decoded chunks, so it needs no knowledge of the
// segment layout; it checks every length, every CRC (packed before
// decompressing, raw after) and the whole-file CRC, and returns either the
// exact segment file or kCorruption("cold pack: <what>") — never a part.
//
// Memory: a corrupt pack cannot make the decoder allocate more than the
// declared decoded size, which is capped at kColdPackMaxDecodedSize and
// protected by the table CRC; each zstd frame's content size must equal the
// chunk's raw length before anything is decompressed.
//
// Thread-safety: the functions are pure; any number may run concurrently.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "proximadb/env.h"
#include "proximadb/status.h"

namespace proximadb::segment {

inline constexpr std::string_view kColdPackMagic = "PDBCPK01";
inline constexpr uint32_t kColdPackVersion = 1;
inline constexpr size_t kColdPackFixedSize = 32;
inline constexpr size_t kColdPackChunkEntrySize = 32;
inline constexpr size_t kColdPackTableCrcSize = 4;
// Header + padding, then per section the section and the padding before the
// next: at most 2 * kMaxSections + 2 chunks.
inline constexpr uint32_t kColdPackMaxChunks = 2 * 1024 + 2;
inline constexpr uint64_t kColdPackMaxDecodedSize = 64ull << 30;  // 64 GiB

// How one chunk's bytes are stored. Values are on disk: never renumber.
enum class ColdPackCodec : uint8_t {
  kStored = 0,  // as is (packed length = raw length)
  kZeros = 1,   // raw length zero bytes; nothing stored (packed length 0)
  kZstd = 2,    // one zstd frame, content size recorded
  // The first raw_length / 4 * 4 bytes transposed into 4 planes (byte 0 of
  // every 4-byte word, then byte 1, ...), then the raw_length % 4 tail bytes;
  // the result as one zstd frame. For float32 sections: exponent and high
  // mantissa bytes compress far better when grouped.
  kShuffle4Zstd = 3,
};
const char* ColdPackCodecName(ColdPackCodec codec);

struct ColdPackOptions {
  int zstd_level = 3;  // 1..19 (negative: zstd's fast levels)
  // Try kShuffle4Zstd on float sections (vectors, norms) next to plain zstd
  // and kStored; the smallest wins.
  bool shuffle_floats = true;
  // zstd worker threads per frame (0: compress on the calling thread).
  int zstd_workers = 0;
};

// One chunk as the table records it (ListColdPack), for stats and benches.
struct ColdPackChunk {
  uint32_t kind = 0;  // segment SectionType, 0 = header or padding
  ColdPackCodec codec = ColdPackCodec::kStored;
  uint64_t raw_bytes = 0;
  uint64_t packed_bytes = 0;
  // Time spent encoding (trying every candidate codec) or decoding (CRCs
  // included) this chunk; filled by the variants with a `chunks` output.
  uint64_t nanos = 0;
};

// Encodes a whole segment file. The segment's header CRC and every section
// CRC are verified first (kCorruption naming what failed: a damaged segment
// is never packed); a file that is not a segment (bad magic, version, table)
// is kInvalidArgument.
Result<std::string> EncodeColdPack(std::string_view segment_file,
                                   const ColdPackOptions& options = {});
// The same, also returning the chunk table with the time spent per chunk.
Result<std::string> EncodeColdPack(std::string_view segment_file,
                                   const ColdPackOptions& options,
                                   std::vector<ColdPackChunk>* chunks);
// The same, reading (mapping) the segment file at `path`.
Result<std::string> EncodeColdPackFile(Env* env, const std::string& path,
                                       const ColdPackOptions& options = {});

// Decodes a pack into the segment file's bytes, everything verified.
Result<std::string> DecodeColdPack(std::string_view pack);
// The same, also returning the chunk table with the time spent per chunk.
Result<std::string> DecodeColdPack(std::string_view pack,
                                   std::vector<ColdPackChunk>* chunks);
// Decodes chunk by chunk into `path + ".tmp"`, fsyncs it, checks the
// whole-file CRC, renames it over `path` and fsyncs the directory: `path` is
// only ever the complete, verified segment file (on error the temporary file
// is removed and `path` is untouched). Memory: one chunk at a time.
Status DecodeColdPackToFile(Env* env, std::string_view pack,
                            const std::string& path);

// The chunk table of a pack (its header and table CRC verified; the chunks'
// bytes are not read).
Result<std::vector<ColdPackChunk>> ListColdPack(std::string_view pack);

}  // namespace proximadb::segment
