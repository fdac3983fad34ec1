#include "storage/wal/wal_format.h"

#include <cstdio>

#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::wal {

std::string FileHeader(uint32_t format) {
  std::string h(kFileMagic, sizeof(kFileMagic));
  PutFixed32(&h, kFileVersion);
  PutFixed32(&h, format);
  return h;
}

void AppendRecord(std::string* dst, uint64_t seq, std::string_view prefix,
                  std::string_view body) {
  const size_t start = dst->size();
  PutFixed32(dst, static_cast<uint32_t>(prefix.size() + body.size()));
  PutFixed64(dst, seq);
  dst->push_back(static_cast<char>(RecordType::kBatch));
  PutFixed32(dst, crc32c::Mask(crc32c::Value(dst->data() + start,
                                             kRecordHeaderCrcOffset)));
  dst->append(prefix);
  dst->append(body);
  uint32_t crc = crc32c::Value(prefix.data(), prefix.size());
  crc = crc32c::Extend(crc, body.data(), body.size());
  PutFixed32(dst, crc32c::Mask(crc));
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
