#include "storage/segment/segment.h"

#include <algorithm>
#include <cstdint>
#include <cstring>

#include "storage/segment/cold_stub.h"
#include "storage/segment/segment_format.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/limits.h"
#include "util/zstd_block.h"

namespace proximadb::segment {

// Validates a mapped file and fills a Segment. Every check runs on untrusted
// bytes, so every size is compared before it is multiplied or added to a
// pointer, and every failure is kCorruption.
class SegmentParser {
 public:
  SegmentParser(Segment* seg, bool verify)
      : seg_(seg),
        verify_(verify),
        data_(seg->file_->data()),
        size_(seg->file_->size()) {}

  Status Parse() {
    PDB_RETURN_IF_ERROR(ParseHeader());
    PDB_RETURN_IF_ERROR(ParseTable());
    PDB_RETURN_IF_ERROR(BindColdRef());
    PDB_RETURN_IF_ERROR(CheckCount());
    PDB_RETURN_IF_ERROR(CheckCoverage());
    PDB_RETURN_IF_ERROR(BindRequired());
    PDB_RETURN_IF_ERROR(BindCompressed(segment::kIdBytesZstd, "id",
                                       &seg_->id_bytes_, &id_bytes_len_,
                                       &seg_->ids_unpacked_));
    PDB_RETURN_IF_ERROR(BindCompressed(segment::kMetaBytesZstd, "metadata",
                                       &seg_->meta_bytes_, &meta_bytes_len_,
                                       &seg_->meta_unpacked_));
    PDB_RETURN_IF_ERROR(CheckOffsets(seg_->id_offsets_, id_bytes_len_, "id"));
    PDB_RETURN_IF_ERROR(
        CheckOffsets(seg_->meta_offsets_, meta_bytes_len_, "metadata"));
    PDB_RETURN_IF_ERROR(CheckIdsSorted());
    PDB_RETURN_IF_ERROR(CheckVersions());
    PDB_RETURN_IF_ERROR(CheckDeletedPadding());
    PDB_RETURN_IF_ERROR(BindSparse());
    return BindExpiry();
  }

 private:
  struct Entry {
    uint32_t type;
    uint64_t offset;
    uint64_t length;
    uint32_t crc;  // unmasked
  };

  Status Corrupt(const std::string& what) const {
    return Status::Corruption("segment " + seg_->path_ + ": " + what);
  }

  Status ParseHeader() {
    if (size_ < segment::HeaderLength(0)) {
      return Corrupt("file too short (" + std::to_string(size_) + " bytes)");
    }
    if (std::string_view(data_, segment::kMagic.size()) != segment::kMagic) {
      return Corrupt("bad magic");
    }
    version_ = DecodeFixed32(data_ + segment::kOffVersion);
    if (!segment::KnownFormatVersion(version_)) {
      return Corrupt("unsupported format version " + std::to_string(version_));
    }
    section_count_ = DecodeFixed32(data_ + segment::kOffSectionCount);
    if (section_count_ > segment::kMaxSections) {
      return Corrupt("implausible section count " +
                     std::to_string(section_count_));
    }
    header_len_ = segment::HeaderLength(section_count_);
    if (DecodeFixed32(data_ + segment::kOffHeaderLength) != header_len_) {
      return Corrupt("header length does not match the section count");
    }
    if (header_len_ > size_) return Corrupt("header runs past end of file");
    const size_t crc_at = header_len_ - segment::kHeaderCrcSize;
    uint32_t stored = crc32c::Unmask(DecodeFixed32(data_ + crc_at));
    if (stored != crc32c::Value(data_, crc_at)) {
      return Corrupt("header checksum mismatch");
    }

    seg_->dimension_ = DecodeFixed32(data_ + segment::kOffDimension);
    if (seg_->dimension_ < kMinDimension || seg_->dimension_ > kMaxDimension) {
      return Corrupt("bad dimension " + std::to_string(seg_->dimension_));
    }
    uint32_t metric = DecodeFixed32(data_ + segment::kOffMetric);
    if (metric > static_cast<uint32_t>(Metric::kDotProduct)) {
      return Corrupt("unknown metric " + std::to_string(metric));
    }
    seg_->metric_ = static_cast<Metric>(metric);
    count_ = DecodeFixed64(data_ + segment::kOffPointCount);
    seg_->segment_id_ = DecodeFixed64(data_ + segment::kOffSegmentId);
    seg_->min_seq_ = DecodeFixed64(data_ + segment::kOffMinSeq);
    seg_->max_seq_ = DecodeFixed64(data_ + segment::kOffMaxSeq);
    if (count_ > 0 && seg_->min_seq_ > seg_->max_seq_) {
      return Corrupt("min_seq > max_seq");
    }
    return Status::OK();
  }

  Status ParseTable() {
    const char* p = data_ + segment::kFixedHeaderSize;
    for (uint32_t i = 0; i < section_count_; ++i, p += 32) {
      Entry e{DecodeFixed32(p), DecodeFixed64(p + 8), DecodeFixed64(p + 16),
              crc32c::Unmask(DecodeFixed32(p + 24))};
      const std::string name = "section " + std::to_string(i) + " (type " +
                               std::to_string(e.type) + ")";
      if (e.type == 0) return Corrupt(name + " has type 0");
      if (e.offset % segment::kSectionAlignment != 0) {
        return Corrupt(name + " is not 64-byte aligned");
      }
      if (e.offset < header_len_ || e.offset > size_ ||
          e.length > size_ - e.offset) {
        return Corrupt(name + " lies outside the file");
      }
      if (verify_ && crc32c::Value(data_ + e.offset, e.length) != e.crc) {
        return Corrupt(name + " checksum mismatch");
      }
      entries_.push_back(e);
      seg_->sections_.push_back({e.type, e.offset, e.length});
    }
    return Status::OK();
  }

  // A stub of a cold segment: exactly one kColdRef section, well formed.
  Status BindColdRef() {
    const Entry* found = nullptr;
    for (const Entry& e : entries_) {
      if (e.type != segment::kColdRef) continue;
      if (found) return Corrupt("duplicate cold ref section");
      found = &e;
    }
    if (!found) return Status::OK();
    ColdRef ref;
    Status s = DecodeColdRef(
        std::string_view(data_ + found->offset, found->length), &ref);
    if (!s.ok()) return Corrupt(s.message());
    seg_->cold_ref_ = std::move(ref);
    return Status::OK();
  }

  // Every row costs at least 4*dim (vectors, but not in a stub) + 4 + 8 + 8 +
  // 8 bytes, so a larger count cannot be genuine; the bound also keeps every
  // product below in range.
  Status CheckCount() {
    const uint64_t vector_bytes =
        seg_->is_stub() ? 0 : 4 * uint64_t{seg_->dimension_};
    if (count_ > size_ / (vector_bytes + 28)) {
      return Corrupt("point count " + std::to_string(count_) +
                     " does not fit in the file");
    }
    seg_->count_ = static_cast<size_t>(count_);
    return Status::OK();
  }

  // Sections may not overlap, the gaps between them must be zero and the
  // file must end with the last one: then every byte of the file is covered
  // by a CRC or a zero check, and any flipped byte is noticed.
  Status CheckCoverage() {
    std::vector<Entry> sorted = entries_;
    // Empty sections may share their offset with the next section.
    std::sort(sorted.begin(), sorted.end(), [](const Entry& a, const Entry& b) {
      return a.offset != b.offset ? a.offset < b.offset : a.length < b.length;
    });
    uint64_t pos = header_len_;
    for (const Entry& e : sorted) {
      if (e.offset < pos) return Corrupt("sections overlap");
      PDB_RETURN_IF_ERROR(CheckZero(pos, e.offset));
      pos = e.offset + e.length;
    }
    if (pos != size_) {
      return Corrupt("file has " + std::to_string(size_ - pos) +
                     " trailing bytes after the last section");
    }
    return Status::OK();
  }

  Status CheckZero(uint64_t from, uint64_t to) const {
    for (uint64_t i = from; i < to; ++i) {
      if (data_[i] != 0) return Corrupt("non-zero padding");
    }
    return Status::OK();
  }

  // Finds required section `type` and checks its length, when `want` is set.
  Status Required(uint32_t type, std::optional<uint64_t> want, const char** out,
                  uint64_t* len = nullptr) {
    const Entry* found = nullptr;
    for (const Entry& e : entries_) {
      if (e.type != type) continue;
      if (found) return Corrupt("duplicate section " + std::to_string(type));
      found = &e;
    }
    if (!found) return Corrupt("missing section " + std::to_string(type));
    if (want && found->length != *want) {
      return Corrupt("section " + std::to_string(type) + " has " +
                     std::to_string(found->length) + " bytes, expected " +
                     std::to_string(*want));
    }
    *out = data_ + found->offset;
    if (len) *len = found->length;
    return Status::OK();
  }

  template <typename T>
  Status RequiredAs(uint32_t type, uint64_t want, const T** out) {
    const char* p = nullptr;
    PDB_RETURN_IF_ERROR(Required(type, want, &p));
    *out = reinterpret_cast<const T*>(p);
    return Status::OK();
  }

  Status BindRequired() {
    const uint64_t n = seg_->count_;
    // A stub keeps the (empty) kVectors section; its vectors are cold.
    const uint64_t vector_bytes =
        seg_->is_stub() ? 0 : n * seg_->dimension_ * sizeof(float);
    PDB_RETURN_IF_ERROR(
        RequiredAs(segment::kVectors, vector_bytes, &seg_->vectors_));
    if (seg_->is_stub()) seg_->vectors_ = nullptr;
    PDB_RETURN_IF_ERROR(RequiredAs(segment::kNorms, n * 4, &seg_->norms_));
    PDB_RETURN_IF_ERROR(
        RequiredAs(segment::kVersions, n * 8, &seg_->versions_));
    PDB_RETURN_IF_ERROR(
        RequiredAs(segment::kIdOffsets, (n + 1) * 8, &seg_->id_offsets_));
    PDB_RETURN_IF_ERROR(
        RequiredAs(segment::kMetaOffsets, (n + 1) * 8, &seg_->meta_offsets_));
    PDB_RETURN_IF_ERROR(RequiredAs(
        segment::kDeleted, segment::DeletedWords(n) * 8, &seg_->deleted_));
    PDB_RETURN_IF_ERROR(Required(segment::kIdBytes, std::nullopt,
                                 &seg_->id_bytes_, &id_bytes_len_));
    return Required(segment::kMetaBytes, std::nullopt, &seg_->meta_bytes_,
                    &meta_bytes_len_);
  }

  // A compressed copy of a bytes section (version 2): the plain section must
  // be empty; the frame is unpacked into `unpacked`, which `*bytes` and
  // `*len` then describe.
  Status BindCompressed(uint32_t type, const char* what, const char** bytes,
                        uint64_t* len, std::string* unpacked) {
    const Entry* found = nullptr;
    for (const Entry& e : entries_) {
      if (e.type != type) continue;
      if (found) return Corrupt("duplicate section " + std::to_string(type));
      found = &e;
    }
    if (!found) return Status::OK();
    if (version_ != segment::kFormatVersionCompressed) {
      return Corrupt(std::string("compressed ") + what +
                     " bytes in a version " + std::to_string(version_) +
                     " file");
    }
    if (*len != 0) {
      return Corrupt(std::string(what) +
                     " bytes are both plain and compressed");
    }
    if (found->length < 8) {
      return Corrupt(std::string("compressed ") + what + " bytes truncated");
    }
    const char* p = data_ + found->offset;
    const uint64_t raw = DecodeFixed64(p);
    const std::string_view frame(p + 8, found->length - 8);
    Result<std::string> got =
        ZstdUnpack(frame, raw, segment::kMaxUnpackedSectionBytes,
                   "compressed " + std::string(what) + " bytes");
    if (!got.ok()) return Corrupt(got.status().message());
    *unpacked = std::move(got).value();
    *bytes = unpacked->data();
    *len = unpacked->size();
    return Status::OK();
  }

  Status CheckOffsets(const uint64_t* offsets, uint64_t bytes_len,
                      const char* what) const {
    if (offsets[0] != 0) return Corrupt(std::string(what) + " offsets[0] != 0");
    for (size_t i = 0; i < seg_->count_; ++i) {
      if (offsets[i + 1] < offsets[i]) {
        return Corrupt(std::string(what) + " offsets decrease at row " +
                       std::to_string(i));
      }
    }
    if (offsets[seg_->count_] != bytes_len) {
      return Corrupt(std::string(what) +
                     " offsets do not end at the length of their bytes");
    }
    return Status::OK();
  }

  // Find() relies on the order; a corrupt order would silently hide rows.
  Status CheckIdsSorted() const {
    for (size_t i = 1; i < seg_->count_; ++i) {
      if (!(seg_->id(i - 1) < seg_->id(i))) {
        return Corrupt("ids not sorted and unique at row " + std::to_string(i));
      }
    }
    return Status::OK();
  }

  Status CheckVersions() const {
    for (size_t i = 0; i < seg_->count_; ++i) {
      uint64_t v = seg_->versions_[i];
      if (v < seg_->min_seq_ || v > seg_->max_seq_) {
        return Corrupt("version of row " + std::to_string(i) +
                       " is outside [min_seq, max_seq]");
      }
    }
    return Status::OK();
  }

  // The optional sparse sections: all three or none; every row's blob well
  // formed and the index consistent with the rows.
  Status BindSparse() {
    int present = 0;
    for (const Entry& e : entries_) {
      present += e.type == segment::kSparseOffsets ||
                 e.type == segment::kSparseBytes ||
                 e.type == segment::kSparseIndex;
    }
    if (present == 0) return Status::OK();
    if (present != 3) return Corrupt("incomplete sparse vector sections");
    const uint64_t n = seg_->count_;
    const char* index = nullptr;
    uint64_t bytes_len = 0, index_len = 0;
    PDB_RETURN_IF_ERROR(RequiredAs(segment::kSparseOffsets, (n + 1) * 8,
                                   &seg_->sparse_offsets_));
    PDB_RETURN_IF_ERROR(Required(segment::kSparseBytes, std::nullopt,
                                 &seg_->sparse_bytes_, &bytes_len));
    PDB_RETURN_IF_ERROR(
        Required(segment::kSparseIndex, std::nullopt, &index, &index_len));
    PDB_RETURN_IF_ERROR(
        CheckOffsets(seg_->sparse_offsets_, bytes_len, "sparse vector"));
    for (size_t i = 0; i < n; ++i) {
      if (!index::ValidPointVectorsBlob(seg_->sparse(i))) {
        return Corrupt("sparse vectors of row " + std::to_string(i) +
                       " are malformed");
      }
    }
    Result<index::SparseIndex> parsed =
        index::SparseIndex::Parse(std::string_view(index, index_len), n);
    if (!parsed.ok()) return Corrupt(parsed.status().message());
    seg_->sparse_index_ = std::move(parsed).value();
    return Status::OK();
  }

  // The optional expiry section: one u64 per row.
  Status BindExpiry() {
    for (const Entry& e : entries_) {
      if (e.type == segment::kExpiry) {
        return RequiredAs(segment::kExpiry, seg_->count_ * 8, &seg_->expiry_);
      }
    }
    return Status::OK();
  }

  Status CheckDeletedPadding() const {
    const size_t n = seg_->count_;
    if (n % 64 == 0) return Status::OK();
    uint64_t last = seg_->deleted_[n / 64];
    if (last >> (n % 64) != 0) return Corrupt("deleted bits set past the end");
    return Status::OK();
  }

  Segment* seg_;
  const bool verify_;
  const char* const data_;
  const uint64_t size_;
  uint32_t section_count_ = 0;
  uint32_t version_ = 0;
  uint64_t count_ = 0;  // from the header, trusted after CheckCount
  uint64_t header_len_ = 0;
  uint64_t id_bytes_len_ = 0;
  uint64_t meta_bytes_len_ = 0;
  std::vector<Entry> entries_;
};

Result<std::shared_ptr<Segment>> Segment::Open(Env* env,
                                               const std::string& path,
                                               bool verify_checksums) {
  PDB_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> file, env->MapFile(path));
  // Sections are read in place as float/u64 arrays; their 64-byte file
  // alignment only helps if the mapping itself is aligned (mmap is
  // page-aligned; an in-memory Env must at least give 8 bytes).
  if (file->size() > 0 &&
      reinterpret_cast<uintptr_t>(file->data()) % alignof(uint64_t) != 0) {
    return Status::Internal(
        "segment " + path +
        ": the Env mapped the file at a misaligned address");
  }
  auto seg = std::make_shared<Segment>(PrivateTag{});
  seg->path_ = path;
  seg->file_ = std::move(file);
  PDB_RETURN_IF_ERROR(SegmentParser(seg.get(), verify_checksums).Parse());
  return seg;
}

size_t Segment::LowerBound(std::string_view id) const {
  size_t lo = 0, hi = count_;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (this->id(mid) < id) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

std::optional<size_t> Segment::Find(std::string_view id) const {
  size_t row = LowerBound(id);
  if (row < count_ && this->id(row) == id) return row;
  return std::nullopt;
}

std::string_view Segment::Section(uint32_t type) const {
  for (const SectionRef& s : sections_) {
    if (s.type == type) {
      return std::string_view(file_->data() + s.offset, s.length);
    }
  }
  return {};
}

}  // namespace proximadb::segment
