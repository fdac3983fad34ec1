#include "storage/segment/segment_writer.h"

#include <algorithm>
#include <array>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "index/distance.h"
#include "index/sparse.h"
#include "storage/segment/segment_format.h"
#include "storage/segment/segment_header.h"
#include "util/crc32c.h"
#include "util/zstd_block.h"

// Design: the header (with every section's CRC) comes first in the file, but
// WritableFile can only append. So the writer makes two passes over the rows:
// the first encodes every section into a CRC/length counter (nothing is
// buffered), which yields the complete header; the second appends the header
// and then streams each section through a small buffer. Both passes use the
// same encoder, so they produce identical bytes; the second pass recomputes
// each CRC and compares, which catches a `row_at` that is not repeatable.

namespace proximadb::segment {
namespace {

constexpr std::array<SectionType, 8> kSectionOrder = {
    kVectors, kNorms,       kVersions,  kIdOffsets,
    kIdBytes, kMetaOffsets, kMetaBytes, kDeleted};

constexpr std::string_view kEmptyObject = "{}";

// Little-endian by the static_assert in segment_format.h.
void StoreFixed64(char* dst, uint64_t v) { std::memcpy(dst, &v, 8); }

// The index's own kernel, so segment rows score exactly like memtable rows.
// It is deterministic, which the two-pass design relies on.
float RowNorm(const float* v, uint32_t dim) { return index::Norm(v, dim); }

std::string_view MetaOf(const SegmentRow& row) {
  return row.metadata_json.empty() ? kEmptyObject : row.metadata_json;
}

struct RowSource {
  size_t count;
  uint32_t dim;
  const std::function<SegmentRow(size_t)>& row_at;
  const std::function<bool(size_t)>& is_deleted;
  // The encoded kSparseIndex section (built once, before the passes).
  std::string sparse_index;
  // The kIdBytesZstd / kMetaBytesZstd sections (length + frame), when the
  // bytes are compressed; the plain sections are then empty.
  bool compressed = false;
  std::string ids_zstd;
  std::string meta_zstd;
};

// Emits the bytes of section `type` in order through `emit(const char*,
// size_t) -> Status`.
template <typename Emit>
Status EncodeSection(SectionType type, const RowSource& src, Emit&& emit) {
  char buf[8];
  switch (type) {
    case kVectors:
      for (size_t i = 0; i < src.count; ++i) {
        PDB_RETURN_IF_ERROR(
            emit(reinterpret_cast<const char*>(src.row_at(i).vector),
                 size_t{src.dim} * sizeof(float)));
      }
      return Status::OK();
    case kNorms:
      for (size_t i = 0; i < src.count; ++i) {
        float n = RowNorm(src.row_at(i).vector, src.dim);
        std::memcpy(buf, &n, 4);
        PDB_RETURN_IF_ERROR(emit(buf, 4));
      }
      return Status::OK();
    case kVersions:
    case kExpiry:
      for (size_t i = 0; i < src.count; ++i) {
        const SegmentRow row = src.row_at(i);
        StoreFixed64(buf, type == kVersions ? row.version : row.expires_at);
        PDB_RETURN_IF_ERROR(emit(buf, 8));
      }
      return Status::OK();
    case kIdOffsets:
    case kMetaOffsets:
    case kSparseOffsets: {
      uint64_t off = 0;
      StoreFixed64(buf, off);
      PDB_RETURN_IF_ERROR(emit(buf, 8));
      for (size_t i = 0; i < src.count; ++i) {
        SegmentRow row = src.row_at(i);
        off += type == kIdOffsets     ? row.id.size()
               : type == kMetaOffsets ? MetaOf(row).size()
                                      : row.sparse.size();
        StoreFixed64(buf, off);
        PDB_RETURN_IF_ERROR(emit(buf, 8));
      }
      return Status::OK();
    }
    case kIdBytes:
    case kMetaBytes:
    case kSparseBytes:
      if ((type == kIdBytes || type == kMetaBytes) && src.compressed) {
        return Status::OK();  // in the compressed section instead
      }
      for (size_t i = 0; i < src.count; ++i) {
        SegmentRow row = src.row_at(i);
        std::string_view s = type == kIdBytes     ? row.id
                             : type == kMetaBytes ? MetaOf(row)
                                                  : row.sparse;
        PDB_RETURN_IF_ERROR(emit(s.data(), s.size()));
      }
      return Status::OK();
    case kSparseIndex:
      return emit(src.sparse_index.data(), src.sparse_index.size());
    case kIdBytesZstd:
      return emit(src.ids_zstd.data(), src.ids_zstd.size());
    case kMetaBytesZstd:
      return emit(src.meta_zstd.data(), src.meta_zstd.size());
    case kDeleted:
      for (size_t w = 0; w < DeletedWords(src.count); ++w) {
        uint64_t word = 0;
        for (size_t b = 0; b < 64 && w * 64 + b < src.count; ++b) {
          if (src.is_deleted(w * 64 + b)) word |= uint64_t{1} << b;
        }
        StoreFixed64(buf, word);
        PDB_RETURN_IF_ERROR(emit(buf, 8));
      }
      return Status::OK();
    default:
      return Status::Internal("segment writer: unknown section type");
  }
}

// Appends through a fixed buffer so that tiny per-row pieces (norms,
// offsets) do not each become a write call.
class BufferedAppender {
 public:
  explicit BufferedAppender(WritableFile* file) : file_(file) {
    buf_.reserve(kCapacity);
  }
  Status Append(const char* p, size_t n) {
    if (buf_.size() + n > kCapacity) PDB_RETURN_IF_ERROR(Flush());
    if (n >= kCapacity) return file_->Append(std::string_view(p, n));
    buf_.append(p, n);
    return Status::OK();
  }
  Status Flush() {
    if (buf_.empty()) return Status::OK();
    Status s = file_->Append(buf_);
    buf_.clear();
    return s;
  }

 private:
  static constexpr size_t kCapacity = 1 << 20;
  WritableFile* file_;
  std::string buf_;
};

Status ValidateRows(const std::string& path, const RowSource& src,
                    uint64_t* min_seq, uint64_t* max_seq) {
  std::string prev;
  *min_seq = src.count == 0 ? 0 : UINT64_MAX;
  *max_seq = 0;
  for (size_t i = 0; i < src.count; ++i) {
    SegmentRow row = src.row_at(i);
    if (row.vector == nullptr) {
      return Status::InvalidArgument("segment " + path + ": row " +
                                     std::to_string(i) + " has no vector");
    }
    if (i > 0 && !(std::string_view(prev) < row.id)) {
      return Status::InvalidArgument(
          "segment " + path + ": row ids must be sorted and unique, but row " +
          std::to_string(i) + " ('" + std::string(row.id) +
          "') does not sort after '" + prev + "'");
    }
    prev.assign(row.id);
    if (!row.sparse.empty() && !index::ValidPointVectorsBlob(row.sparse)) {
      return Status::InvalidArgument("segment " + path + ": row " +
                                     std::to_string(i) +
                                     " has malformed sparse vectors");
    }
    *min_seq = std::min(*min_seq, row.version);
    *max_seq = std::max(*max_seq, row.version);
  }
  return Status::OK();
}

// A compressed section's bytes: the content's length, then its zstd frame.
Result<std::string> SealFrame(ZstdStreamPacker* packer, const char* what) {
  const uint64_t raw = packer->raw_size();
  PDB_ASSIGN_OR_RETURN(std::string frame, packer->Finish());
  if (raw > kMaxUnpackedSectionBytes) {
    return Status::InvalidArgument("segment: " + std::string(what) + " of " +
                                   std::to_string(raw) +
                                   " bytes exceed what a compressed section "
                                   "holds");
  }
  std::string out(8, '\0');
  StoreFixed64(out.data(), raw);
  out += frame;
  return out;
}

// Fills src->ids_zstd and src->meta_zstd in one pass over the rows, given
// the lengths of the ids and metadata (the frames record their content
// size, which readers check, so it is pledged first). Written even when
// they do not shrink (a few bytes of frame header on a tiny segment), so
// that a compressed layout's segments are always recognisably compressed.
Status CompressIdsAndMetadata(RowSource* src, uint64_t id_bytes,
                              uint64_t meta_bytes) {
  ZstdStreamPacker ids, meta;
  ids.SetPledgedSize(id_bytes);
  meta.SetPledgedSize(meta_bytes);
  for (size_t i = 0; i < src->count; ++i) {
    const SegmentRow row = src->row_at(i);
    ids.Add(row.id);
    meta.Add(MetaOf(row));
  }
  PDB_ASSIGN_OR_RETURN(src->ids_zstd, SealFrame(&ids, "ids"));
  PDB_ASSIGN_OR_RETURN(src->meta_zstd, SealFrame(&meta, "metadata"));
  return Status::OK();
}

std::string DirName(const std::string& path) {
  size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

Status WriteFile(WritableFile* file, const std::string& path,
                 const std::string& header, const RowSource& src,
                 const std::vector<SectionEntry>& plan) {
  BufferedAppender out(file);
  PDB_RETURN_IF_ERROR(out.Append(header.data(), header.size()));
  uint64_t pos = header.size();
  static constexpr char kZeros[kSectionAlignment] = {};
  for (const SectionEntry& s : plan) {
    PDB_RETURN_IF_ERROR(out.Append(kZeros, s.offset - pos));
    uint32_t crc = 0;
    uint64_t len = 0;
    PDB_RETURN_IF_ERROR(EncodeSection(static_cast<SectionType>(s.type), src,
                                      [&](const char* p, size_t n) {
                                        crc = crc32c::Extend(crc, p, n);
                                        len += n;
                                        return out.Append(p, n);
                                      }));
    if (crc != s.crc || len != s.length) {
      return Status::Internal("segment " + path + ": section " +
                              std::to_string(s.type) +
                              " changed between the planning and the writing "
                              "pass (row_at must be repeatable)");
    }
    pos = s.offset + s.length;
  }
  PDB_RETURN_IF_ERROR(out.Flush());
  PDB_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

}  // namespace

Status WriteSegment(Env* env, const std::string& path,
                    const SegmentWriteOptions& opts, size_t count,
                    const std::function<SegmentRow(size_t)>& row_at,
                    const std::function<bool(size_t)>& is_deleted) {
  if (opts.dimension == 0) {
    return Status::InvalidArgument("segment " + path + ": dimension is 0");
  }
  RowSource src{count, opts.dimension, row_at, is_deleted,
                {},    opts.compress,  {},     {}};
  uint64_t min_seq, max_seq;
  PDB_RETURN_IF_ERROR(ValidateRows(path, src, &min_seq, &max_seq));

  // The point vectors sections only when some row has sparse or named
  // vectors, so other segments keep their bytes (the inverted index is
  // empty when only named vectors are there).
  // Likewise the expiry section only when some row expires.
  // The lengths of the ids and metadata, for compressed sections.
  index::SparseIndexBuilder sparse;
  bool any_vectors = false;
  bool expiry = false;
  uint64_t id_bytes = 0, meta_bytes = 0;
  for (size_t i = 0; i < count; ++i) {
    const SegmentRow row = row_at(i);
    sparse.AddRow(static_cast<uint32_t>(i), row.sparse);
    any_vectors |= !row.sparse.empty();
    expiry |= row.expires_at != 0;
    id_bytes += row.id.size();
    meta_bytes += MetaOf(row).size();
  }
  std::vector<SectionType> order(kSectionOrder.begin(), kSectionOrder.end());
  if (any_vectors) {
    src.sparse_index = sparse.Encode();
    order.insert(order.end(), {kSparseOffsets, kSparseBytes, kSparseIndex});
  }
  if (expiry) order.push_back(kExpiry);
  if (opts.compress) {
    PDB_RETURN_IF_ERROR(CompressIdsAndMetadata(&src, id_bytes, meta_bytes));
    order.insert(order.end(), {kIdBytesZstd, kMetaBytesZstd});
  }

  // Pass 1: lengths and CRCs of every section.
  std::vector<SectionEntry> plan;
  uint64_t offset = AlignUp(HeaderLength(order.size()));
  for (SectionType type : order) {
    SectionEntry s{type};
    s.offset = offset;
    PDB_RETURN_IF_ERROR(EncodeSection(type, src, [&](const char* p, size_t n) {
      s.crc = crc32c::Extend(s.crc, p, n);
      s.length += n;
      return Status::OK();
    }));
    offset = AlignUp(s.offset + s.length);
    plan.push_back(s);
  }
  const std::string header =
      EncodeSegmentHeader({opts.dimension, static_cast<uint32_t>(opts.metric),
                           count, opts.segment_id, min_seq, max_seq},
                          plan);

  // Pass 2: stream everything into the temp file, then publish it.
  const std::string tmp = path + ".tmp";
  Status s;
  {
    auto file = env->NewWritableFile(tmp);
    if (!file.ok()) return file.status();
    s = WriteFile(file->get(), path, header, src, plan);
  }
  if (s.ok()) s = env->RenameFile(tmp, path);
  if (!s.ok()) {
    (void)env->RemoveFile(tmp);  // best effort: `s` is the error to report
    return s;
  }
  return env->SyncDir(DirName(path));
}

}  // namespace proximadb::segment
