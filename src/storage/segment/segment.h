// A read-only view of one immutable segment file, served from an mmap.
//
// Thread-safety: immutable after Open, so safe for any number of concurrent
// readers. The pointers and views it hands out live as long as the Segment.
#pragma once

#include <cassert>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "index/sparse.h"
#include "proximadb/env.h"
#include "proximadb/status.h"
#include "proximadb/types.h"
#include "storage/segment/cold_stub.h"
#include "storage/segment/segment_format.h"

namespace proximadb::segment {

class Segment {
 public:
  Segment(const Segment&) = delete;
  Segment& operator=(const Segment&) = delete;

  // Maps `path` and validates the whole layout before trusting any of it;
  // any violation is kCorruption("segment <path>: <what>"). With
  // `verify_checksums` false the section CRCs are skipped (the header CRC and
  // every structural check still run), which makes opening a large segment
  // cheap. A stub of a cold segment (cold_stub.h) opens too: see is_stub().
  static Result<std::shared_ptr<Segment>> Open(Env* env,
                                               const std::string& path,
                                               bool verify_checksums = true);

  uint64_t segment_id() const { return segment_id_; }
  uint32_t dimension() const { return dimension_; }
  Metric metric() const { return metric_; }
  size_t size() const { return count_; }
  uint64_t min_seq() const { return min_seq_; }
  uint64_t max_seq() const { return max_seq_; }
  uint64_t file_bytes() const { return file_->size(); }
  // Bytes of the file's compressed sections held unpacked in memory (the
  // ids and metadata of a compressed segment); 0 for a plain one.
  uint64_t unpacked_bytes() const {
    return ids_unpacked_.size() + meta_unpacked_.size();
  }
  // Whether the ids or metadata are stored zstd-compressed (version 2).
  bool compressed() const {
    return !Section(kIdBytesZstd).empty() || !Section(kMetaBytesZstd).empty();
  }
  const std::string& path() const { return path_; }

  // Whether this file is the stub of a cold segment: every section but the
  // vectors is here, and cold_ref() names the object holding the full file.
  bool is_stub() const { return cold_ref_.has_value(); }
  // The decoded kColdRef section of a stub; null for a full segment.
  const ColdRef* cold_ref() const { return cold_ref_ ? &*cold_ref_ : nullptr; }

  // Row-major, size() * dimension() floats; null for a stub.
  const float* vectors() const { return vectors_; }
  // Must not be called on a stub (it has no vectors).
  const float* vector(size_t row) const {
    assert(vectors_ != nullptr && "vector() of a cold segment stub");
    return vectors_ + row * size_t{dimension_};
  }
  // size() floats: the L2 norm of each row, for cosine without normalising.
  const float* norms() const { return norms_; }
  float norm(size_t row) const { return norms_[row]; }
  uint64_t version(size_t row) const { return versions_[row]; }
  std::string_view id(size_t row) const {
    return Slice(id_bytes_, id_offsets_, row);
  }
  std::string_view metadata_json(size_t row) const {
    return Slice(meta_bytes_, meta_offsets_, row);
  }
  // The row's point vectors blob (index/sparse.h: its sparse and named
  // vectors; validated at Open); empty when it has none.
  std::string_view sparse(size_t row) const {
    return sparse_offsets_ ? Slice(sparse_bytes_, sparse_offsets_, row)
                           : std::string_view();
  }
  // When the row expires (unix microseconds); 0: never.
  uint64_t expires_at(size_t row) const { return expiry_ ? expiry_[row] : 0; }
  // The inverted index of the sparse vectors (empty when none).
  const index::SparseIndex& sparse_index() const { return sparse_index_; }
  bool deleted_at_write(size_t row) const {
    return (deleted_[row / 64] >> (row % 64)) & 1;
  }

  // Row holding `id`, by binary search.
  std::optional<size_t> Find(std::string_view id) const;
  // First row whose id is >= `id` (size() if none).
  size_t LowerBound(std::string_view id) const;

  // Raw bytes of an optional section (empty if absent), for index sections
  // added by later format revisions (segment_format.h lists the reserved
  // type numbers). The first section of that type wins.
  std::string_view Section(uint32_t type) const;

 private:
  struct PrivateTag {};
  friend class SegmentParser;

 public:
  explicit Segment(PrivateTag) {}  // only Open can make the tag

 private:
  static std::string_view Slice(const char* bytes, const uint64_t* offsets,
                                size_t row) {
    return std::string_view(bytes + offsets[row],
                            offsets[row + 1] - offsets[row]);
  }

  std::string path_;
  std::unique_ptr<MappedFile> file_;
  // The unpacked compressed sections; id_bytes_ / meta_bytes_ point into
  // them when the file has them.
  std::string ids_unpacked_;
  std::string meta_unpacked_;
  uint64_t segment_id_ = 0;
  uint32_t dimension_ = 0;
  Metric metric_ = Metric::kCosine;
  size_t count_ = 0;
  uint64_t min_seq_ = 0;
  uint64_t max_seq_ = 0;
  // Section table entries as (type, offset, length), for Section().
  struct SectionRef {
    uint32_t type;
    uint64_t offset;
    uint64_t length;
  };
  std::vector<SectionRef> sections_;
  std::optional<ColdRef> cold_ref_;
  // All point into file_'s mapping; aligned by the 64-byte section rule.
  const float* vectors_ = nullptr;
  const float* norms_ = nullptr;
  const uint64_t* versions_ = nullptr;
  const uint64_t* id_offsets_ = nullptr;
  const char* id_bytes_ = nullptr;
  const uint64_t* meta_offsets_ = nullptr;
  const char* meta_bytes_ = nullptr;
  const uint64_t* deleted_ = nullptr;
  const uint64_t* sparse_offsets_ = nullptr;  // null: no sparse sections
  const char* sparse_bytes_ = nullptr;
  index::SparseIndex sparse_index_;
  const uint64_t* expiry_ = nullptr;  // null: no row expires
};

}  // namespace proximadb::segment
