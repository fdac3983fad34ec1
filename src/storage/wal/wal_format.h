// On-disk layout of WAL files (see also docs/FORMATS.md). All integers are
// little-endian; CRCs are masked crc32c (util/crc32c.h).
//
// File "wal-<first seq, 20 digits zero-padded>.log":
//   file header (16 bytes): magic "PDBWAL01" | version u32 = 1 | WalFormat u32
//   then records, back to back:
//     length u32 | seq u64 | type u8 | header_crc u32   (17-byte header;
//         header_crc covers the 13 bytes before it)
//     payload (length bytes): type 1, the RecordCodec-encoded WalBatch;
//         type 2, the batch's time (u64, unix microseconds) then that
//     payload_crc u32 (covers the payload)
//
// The header has its own CRC so a reader can trust `length` before reading
// the payload, and so can tell a torn tail (header incomplete, or record
// running past EOF) from corruption in the middle of the log.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace proximadb::wal {

inline constexpr char kFileMagic[8] = {'P', 'D', 'B', 'W', 'A', 'L', '0', '1'};
inline constexpr uint32_t kFileVersion = 1;
inline constexpr size_t kFileHeaderSize = 16;

inline constexpr size_t kRecordHeaderSize = 17;  // length, seq, type, crc
inline constexpr size_t kRecordHeaderCrcOffset = 13;
inline constexpr size_t kRecordTrailerSize = 4;  // payload crc
// A payload larger than this is refused by the writer and treated as a bad
// header by the reader.
inline constexpr uint32_t kMaxPayloadSize = 1u << 30;

enum class RecordType : uint8_t {
  kBatch = 1,       // written before records carried a time; still read
  kTimedBatch = 2,  // payload: time u64, then the codec's payload
};
// Bytes of the time in front of a kTimedBatch payload.
inline constexpr size_t kRecordTimeSize = 8;

// The 16-byte file header for a file of `format`.
std::string FileHeader(uint32_t format);

// Appends one framed record of `type` whose payload is prefix + body.
void AppendRecord(std::string* dst, uint64_t seq, std::string_view prefix,
                  std::string_view body, RecordType type = RecordType::kBatch);

// Frames a record in place, so the payload body is never copied: `*buf`
// holds `slack` bytes of room followed by the encoded body. Writes `prefix`
// right before the body and the record header before that, appends the
// payload CRC, and returns the framed record, a suffix of *buf whose bytes
// equal what AppendRecord(seq, prefix, body) appends. Requires
// slack >= kRecordHeaderSize + prefix.size().
std::string_view FrameRecordInPlace(std::string* buf, size_t slack,
                                    uint64_t seq, std::string_view prefix,
                                    RecordType type = RecordType::kBatch);

// "wal-00000000000000000042.log"
std::string WalFileName(uint64_t first_seq);
// Parses a WalFileName; nullopt for any other name.
std::optional<uint64_t> ParseWalFileName(std::string_view name);

}  // namespace proximadb::wal
