#include "storage/object/object_cache_format.h"

#include <cstdio>

#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::object::cache_format {

std::string FileName(uint64_t seq, std::string_view suffix) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%020llu",
                static_cast<unsigned long long>(seq));
  return std::string(buf) + std::string(suffix);
}

FileKind ParseFileName(std::string_view name, uint64_t* seq) {
  if (name.size() <= kSeqDigits) return FileKind::kStray;
  uint64_t v = 0;
  for (size_t i = 0; i < kSeqDigits; ++i) {
    const char c = name[i];
    if (c < '0' || c > '9') return FileKind::kStray;
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    if (v > (UINT64_MAX - digit) / 10) return FileKind::kStray;
    v = v * 10 + digit;
  }
  const std::string_view suffix = name.substr(kSeqDigits);
  FileKind kind;
  if (suffix == ".obj") {
    kind = FileKind::kObject;
  } else if (suffix == ".meta") {
    kind = FileKind::kMeta;
  } else if (suffix == ".fill" || suffix == ".dec" || suffix == ".dec.tmp") {
    kind = FileKind::kFill;
  } else {
    return FileKind::kStray;
  }
  *seq = v;
  return kind;
}

std::string EncodeMeta(const EntryMeta& meta) {
  std::string out;
  out.reserve(kMetaFixedBytes + meta.key.size() + kMetaTrailerBytes);
  out.append(kMetaMagic);
  PutFixed32(&out, kMetaVersion);
  PutFixed64(&out, meta.size);
  PutFixed32(&out, meta.crc32c);
  PutFixed64(&out, meta.content_size);
  PutFixed32(&out, meta.content_crc32c);
  PutFixed32(&out, static_cast<uint32_t>(meta.key.size()));
  out.append(meta.key);
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

Status DecodeMeta(std::string_view bytes, EntryMeta* meta) {
  if (bytes.size() < kMetaV1FixedBytes + kMetaTrailerBytes) {
    return Status::Corruption("cache meta: " + std::to_string(bytes.size()) +
                              " bytes, shorter than a record");
  }
  if (bytes.substr(0, kMetaMagic.size()) != kMetaMagic) {
    return Status::Corruption("cache meta: bad magic");
  }
  const char* p = bytes.data();
  const uint32_t version = DecodeFixed32(p + 8);
  if (version != kMetaVersion1 && version != kMetaVersion) {
    return Status::Corruption("cache meta: unknown version " +
                              std::to_string(version));
  }
  const bool v1 = version == kMetaVersion1;
  const size_t fixed = v1 ? kMetaV1FixedBytes : kMetaFixedBytes;
  if (bytes.size() < fixed + kMetaTrailerBytes) {
    return Status::Corruption("cache meta: " + std::to_string(bytes.size()) +
                              " bytes, shorter than a version " +
                              std::to_string(version) + " record");
  }
  const uint32_t key_len = DecodeFixed32(p + fixed - 4);
  if (key_len == 0 || key_len > kMaxKeyBytes) {
    return Status::Corruption("cache meta: key length " +
                              std::to_string(key_len));
  }
  const size_t body = fixed + key_len;
  if (bytes.size() != body + kMetaTrailerBytes) {
    return Status::Corruption("cache meta: " + std::to_string(bytes.size()) +
                              " bytes, the record says " +
                              std::to_string(body + kMetaTrailerBytes));
  }
  const uint32_t stored = crc32c::Unmask(DecodeFixed32(p + body));
  if (stored != crc32c::Value(p, body)) {
    return Status::Corruption("cache meta: checksum mismatch");
  }
  meta->size = DecodeFixed64(p + 12);
  meta->crc32c = DecodeFixed32(p + 20);
  meta->content_size = v1 ? meta->size : DecodeFixed64(p + 24);
  meta->content_crc32c = v1 ? meta->crc32c : DecodeFixed32(p + 32);
  meta->key.assign(p + fixed, key_len);
  return Status::OK();
}

}  // namespace proximadb::object::cache_format
