#include "storage/wal/wal_format.h"

#include <cassert>
#include <cstdio>
#include <cstring>

#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::wal {

std::string FileHeader(uint32_t format) {
  std::string h(kFileMagic, sizeof(kFileMagic));
  PutFixed32(&h, kFileVersion);
  PutFixed32(&h, format);
  return h;
}

namespace {

// Writes the 17-byte record header for a payload of `payload_size` at dst.
void EncodeRecordHeader(char* dst, uint64_t seq, size_t payload_size,
                        RecordType type) {
  EncodeFixed32(dst, static_cast<uint32_t>(payload_size));
  EncodeFixed64(dst + 4, seq);
  dst[12] = static_cast<char>(type);
  EncodeFixed32(dst + kRecordHeaderCrcOffset,
                crc32c::Mask(crc32c::Value(dst, kRecordHeaderCrcOffset)));
}

}  // namespace

void AppendRecord(std::string* dst, uint64_t seq, std::string_view prefix,
                  std::string_view body, RecordType type) {
  char header[kRecordHeaderSize];
  EncodeRecordHeader(header, seq, prefix.size() + body.size(), type);
  dst->append(header, sizeof(header));
  dst->append(prefix);
  dst->append(body);
  uint32_t crc = crc32c::Value(prefix.data(), prefix.size());
  crc = crc32c::Extend(crc, body.data(), body.size());
  PutFixed32(dst, crc32c::Mask(crc));
}

std::string_view FrameRecordInPlace(std::string* buf, size_t slack,
                                    uint64_t seq, std::string_view prefix,
                                    RecordType type) {
  assert(slack >= kRecordHeaderSize + prefix.size() && buf->size() >= slack);
  const size_t payload_start = slack - prefix.size();
  const size_t start = payload_start - kRecordHeaderSize;
  const size_t payload_size = buf->size() - payload_start;
  char* p = buf->data();
  if (!prefix.empty()) {
    std::memcpy(p + payload_start, prefix.data(), prefix.size());
  }
  EncodeRecordHeader(p + start, seq, payload_size, type);
  // One pass over the now contiguous payload.
  const uint32_t crc = crc32c::Value(p + payload_start, payload_size);
  PutFixed32(buf, crc32c::Mask(crc));
  return std::string_view(*buf).substr(start);
}

std::string WalFileName(uint64_t first_seq) {
  char buf[40];
  std::snprintf(buf, sizeof(buf), "wal-%020llu.log",
                static_cast<unsigned long long>(first_seq));
  return buf;
}

std::optional<uint64_t> ParseWalFileName(std::string_view name) {
  constexpr std::string_view kPrefix = "wal-", kSuffix = ".log";
  constexpr size_t kDigits = 20;
  if (name.size() != kPrefix.size() + kDigits + kSuffix.size() ||
      name.substr(0, kPrefix.size()) != kPrefix ||
      name.substr(kPrefix.size() + kDigits) != kSuffix) {
    return std::nullopt;
  }
  uint64_t v = 0;
  for (char c : name.substr(kPrefix.size(), kDigits)) {
    if (c < '0' || c > '9') return std::nullopt;
    uint64_t next = v * 10 + static_cast<uint64_t>(c - '0');
    if (next / 10 != v) return std::nullopt;  // overflow
    v = next;
  }
  return v;
}

}  // namespace proximadb::wal
