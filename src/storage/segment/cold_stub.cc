#include "storage/segment/cold_stub.h"

#include <algorithm>
#include <vector>

#include "storage/segment/segment_format.h"
#include "storage/segment/segment_header.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::segment {
namespace {

// version, key length, object size, object crc, segment size, segment crc.
constexpr size_t kColdRefFixedBytes = 4 + 4 + 8 + 4 + 8 + 4;

Status RefCorruption(const std::string& what) {
  return Status::Corruption("cold ref: " + what);
}

Status StubCorruption(const std::string& what) {
  return Status::Corruption("cold stub: segment " + what);
}

Status StubInvalid(const std::string& what) {
  return Status::InvalidArgument("cold stub: " + what);
}

std::string SectionName(size_t i, uint32_t type) {
  return "section " + std::to_string(i) + " (type " + std::to_string(type) +
         ")";
}

// The table of `f` after checking its header CRC, every section's bounds and
// CRC, and that sections and zero padding cover the file exactly.
Result<std::vector<SectionEntry>> VerifiedTable(std::string_view f) {
  if (f.size() < kMagic.size() ||
      f.substr(kOffMagic, kMagic.size()) != kMagic) {
    return StubInvalid("not a segment file (bad magic)");
  }
  if (f.size() < HeaderLength(0)) return StubCorruption("file too short");
  const uint32_t version = DecodeFixed32(f.data() + kOffVersion);
  if (!KnownFormatVersion(version)) {
    return StubInvalid("unsupported segment format version " +
                       std::to_string(version));
  }
  const uint32_t count = DecodeFixed32(f.data() + kOffSectionCount);
  if (count > kMaxSections) return StubCorruption("implausible section count");
  const uint64_t header_len = HeaderLength(count);
  if (DecodeFixed32(f.data() + kOffHeaderLength) != header_len ||
      header_len > f.size()) {
    return StubCorruption("bad header length");
  }
  const size_t crc_at = header_len - kHeaderCrcSize;
  if (crc32c::Unmask(DecodeFixed32(f.data() + crc_at)) !=
      crc32c::Value(f.data(), crc_at)) {
    return StubCorruption("header checksum mismatch");
  }
  std::vector<SectionEntry> table;
  for (uint32_t i = 0; i < count; ++i) {
    const char* p = f.data() + kFixedHeaderSize + i * kSectionEntrySize;
    SectionEntry e{DecodeFixed32(p), DecodeFixed64(p + 8),
                   DecodeFixed64(p + 16),
                   crc32c::Unmask(DecodeFixed32(p + 24))};
    if (e.offset < header_len || e.offset > f.size() ||
        e.length > f.size() - e.offset) {
      return StubCorruption(SectionName(i, e.type) + " lies outside the file");
    }
    if (crc32c::Value(f.data() + e.offset, e.length) != e.crc) {
      return StubCorruption(SectionName(i, e.type) + " checksum mismatch");
    }
    table.push_back(e);
  }
  // Padding is not under any CRC: check it is zero, so that no damaged byte
  // anywhere in the file goes unnoticed.
  std::vector<SectionEntry> sorted = table;
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return a.offset != b.offset ? a.offset < b.offset : a.length < b.length;
  });
  uint64_t pos = header_len;
  for (const SectionEntry& e : sorted) {
    if (e.offset < pos) return StubCorruption("sections overlap");
    if (std::any_of(f.begin() + pos, f.begin() + e.offset,
                    [](char c) { return c != 0; })) {
      return StubCorruption("non-zero padding");
    }
    pos = e.offset + e.length;
  }
  if (pos != f.size()) return StubCorruption("trailing bytes");
  return table;
}

Status CheckRefFits(const ColdRef& ref, std::string_view f) {
  if (ref.key.empty() || ref.key.size() > kColdRefMaxKeySize) {
    return StubInvalid("object key must be 1.." +
                       std::to_string(kColdRefMaxKeySize) + " bytes, not " +
                       std::to_string(ref.key.size()));
  }
  if (ref.segment_size != f.size() ||
      ref.segment_crc32c != crc32c::Value(f.data(), f.size())) {
    return StubInvalid(
        "the ref's segment size or crc32c is not this segment file's");
  }
  return Status::OK();
}

}  // namespace

std::string EncodeColdRef(const ColdRef& ref) {
  std::string out;
  out.reserve(kColdRefFixedBytes + ref.key.size());
  PutFixed32(&out, kColdRefVersion);
  PutFixed32(&out, static_cast<uint32_t>(ref.key.size()));
  out.append(ref.key);
  PutFixed64(&out, ref.object_size);
  PutFixed32(&out, ref.object_crc32c);
  PutFixed64(&out, ref.segment_size);
  PutFixed32(&out, ref.segment_crc32c);
  return out;
}

Status DecodeColdRef(std::string_view in, ColdRef* ref) {
  if (in.size() < kColdRefFixedBytes) return RefCorruption("truncated");
  const uint32_t version = DecodeFixed32(in.data());
  if (version != kColdRefVersion) {
    return RefCorruption("unsupported version " + std::to_string(version));
  }
  const uint32_t key_len = DecodeFixed32(in.data() + 4);
  if (key_len == 0 || key_len > kColdRefMaxKeySize) {
    return RefCorruption("bad key length " + std::to_string(key_len));
  }
  if (in.size() != kColdRefFixedBytes + key_len) {
    return RefCorruption(std::to_string(in.size()) + " bytes, expected " +
                         std::to_string(kColdRefFixedBytes + key_len));
  }
  const char* p = in.data() + 8;
  ref->key.assign(p, key_len);
  p += key_len;
  ref->object_size = DecodeFixed64(p);
  ref->object_crc32c = DecodeFixed32(p + 8);
  ref->segment_size = DecodeFixed64(p + 12);
  ref->segment_crc32c = DecodeFixed32(p + 20);
  return Status::OK();
}

Result<std::string> MakeColdStub(std::string_view f, const ColdRef& ref) {
  PDB_ASSIGN_OR_RETURN(std::vector<SectionEntry> table, VerifiedTable(f));
  const SegmentHeaderFields fields{DecodeFixed32(f.data() + kOffDimension),
                                   DecodeFixed32(f.data() + kOffMetric),
                                   DecodeFixed64(f.data() + kOffPointCount),
                                   DecodeFixed64(f.data() + kOffSegmentId),
                                   DecodeFixed64(f.data() + kOffMinSeq),
                                   DecodeFixed64(f.data() + kOffMaxSeq)};
  auto of_type = [&](uint32_t type) {
    return std::count_if(table.begin(), table.end(),
                         [&](const SectionEntry& e) { return e.type == type; });
  };
  if (of_type(kColdRef) > 0) return StubInvalid("the input is already a stub");
  if (table.size() >= kMaxSections) {
    return StubInvalid("no room for a cold ref section (" +
                       std::to_string(table.size()) + " sections)");
  }
  if (of_type(kVectors) != 1) {
    return StubCorruption("has " + std::to_string(of_type(kVectors)) +
                          " vectors sections, expected 1");
  }
  // What the stub drops must be exactly the rows' vectors.
  const uint64_t vector_bytes =
      std::find_if(table.begin(), table.end(), [](const SectionEntry& e) {
        return e.type == kVectors;
      })->length;
  const uint64_t row_bytes = 4 * uint64_t{fields.dimension};
  if (row_bytes == 0 || vector_bytes % row_bytes != 0 ||
      vector_bytes / row_bytes != fields.count) {
    return StubCorruption("vectors section is not count x dimension floats");
  }
  PDB_RETURN_IF_ERROR(CheckRefFits(ref, f));

  const std::string ref_bytes = EncodeColdRef(ref);
  std::vector<std::string_view> bytes;  // of each stub section, table order
  std::vector<SectionEntry> out;
  uint64_t pos = HeaderLength(table.size() + 1);
  auto place = [&](SectionEntry e, std::string_view b) {
    e.offset = AlignUp(pos);
    e.length = b.size();
    pos = e.offset + e.length;
    out.push_back(e);
    bytes.push_back(b);
  };
  for (const SectionEntry& e : table) {
    if (e.type == kVectors) {
      place({kVectors, 0, 0, crc32c::Value("", 0)}, {});
    } else {
      place(e, f.substr(e.offset, e.length));  // its CRC still holds
    }
  }
  place({kColdRef, 0, 0, crc32c::Value(ref_bytes.data(), ref_bytes.size())},
        ref_bytes);

  std::string stub = EncodeSegmentHeader(fields, out);
  stub.reserve(pos);
  for (size_t i = 0; i < out.size(); ++i) {
    stub.resize(out[i].offset, '\0');
    stub.append(bytes[i]);
  }
  return stub;
}

Status WriteColdStub(Env* env, const std::string& segment_path,
                     const ColdRef& ref, const std::string& stub_path) {
  if (stub_path == segment_path) {
    return StubInvalid("stub path " + stub_path + " is the segment's own path");
  }
  std::string stub;
  {
    PDB_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file,
                         env->MapFile(segment_path));
    Result<std::string> made =
        MakeColdStub(std::string_view(file->data(), file->size()), ref);
    if (!made.ok()) {
      return Status(made.status().code(),
                    made.status().message() + " (" + segment_path + ")");
    }
    stub = std::move(*made);
  }
  Status s = env->WriteFileAtomically(stub_path, stub);
  if (!s.ok()) {
    // WriteFileAtomically leaves the temporary file when the rename fails
    // and the stub when the directory sync does.
    for (const std::string& p : {stub_path + ".tmp", stub_path}) {
      if (env->FileExists(p)) (void)env->RemoveFile(p);
    }
  }
  return s;
}

}  // namespace proximadb::segment
