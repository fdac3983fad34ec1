// Sparse vectors (docs/API.md, "Sparse vectors"): the one encoding of a
// point's named sparse vectors, which WAL ops, memtable rows and segment
// rows carry as an opaque blob, and the inverted index a segment keeps of
// them (docs/FORMATS.md, "Sparse vectors").
//
// Scoring is the exact dot product over the shared dimensions, summed in
// double in ascending dimension order on every path (a row scanned from a
// blob, a row found through the inverted index), so a point scores the same
// wherever it is stored.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::index {

// The point vectors blob: a point's sparse vectors and its named dense
// vectors (everything but its main vector), little-endian; empty = none:
//   u32 entry count | per entry, names ascending and distinct:
//   u32 word: name length (bits 0-29) | bit 31 dense | bit 30 matrix
//   | name, then
//   sparse (bit 31 clear, bit 30 clear): u32 nnz | nnz x u32 index
//     (strictly ascending) | nnz x f32 value
//   dense (bit 31 set): u32 rows | u32 dim | rows x dim f32, row after row;
//     rows is 1 unless bit 30 (a multi-vector, given as a matrix) is set.
// Blobs holding only sparse vectors are byte-identical to the sparse-only
// blobs of builds before named vectors.
// Sparse vectors must be canonical (indices strictly ascending, as many
// values; CanonicalizeSparse makes a client's vector so), and the names of
// `sparse` and `dense` distinct.
std::string EncodePointVectors(const SparseVectors& sparse,
                               const NamedVectors& dense);
std::string EncodeSparseVectors(const SparseVectors& v);
// Decodes a blob (dense entries skipped when `dense` is null); kCorruption
// for anything malformed (never trusts a length).
Status DecodePointVectors(std::string_view blob, SparseVectors* sparse,
                          NamedVectors* dense);
Status DecodeSparseVectors(std::string_view blob, SparseVectors* out);

// Whether `blob` is well formed (names ascending, indices ascending, every
// length within the blob), without allocating.
bool ValidPointVectorsBlob(std::string_view blob);

// Sorts `v` by index; InvalidArgument (naming `what`) when the lengths
// differ, an index repeats, a value is not finite, or it holds more than
// kMaxSparseNonZeros dimensions.
Status CanonicalizeSparse(SparseVector* v, const std::string& what);

// One name's vector inside a blob, read in place (unaligned).
struct SparseRef {
  const char* indices = nullptr;  // nnz x u32
  const char* values = nullptr;   // nnz x f32
  uint32_t nnz = 0;
};
// One name's dense vector (or matrix) inside a blob, read in place
// (unaligned).
struct DenseRef {
  const char* values = nullptr;  // rows x dim f32
  uint32_t rows = 0;
  uint32_t dim = 0;
};
struct BlobEntry {
  bool dense = false;
  bool matrix = false;
  SparseRef sparse;    // !dense
  DenseRef dense_ref;  // dense
};
// Finds `name` in `blob`; false when absent, of the other kind (or the
// blob is malformed).
bool FindSparse(std::string_view blob, std::string_view name, SparseRef* out);
bool FindDense(std::string_view blob, std::string_view name, DenseRef* out);
// Whether some dimension is in both; the dot product over them in *dot.
bool SparseDot(const SparseRef& row, const SparseVector& query, double* dot);

// Collects a segment's postings (rows added in ascending order) and encodes
// the kSparseIndex section:
//   u64 name count | per name, ascending:
//   u64 name length | name, zero-padded to 8 bytes
//   u64 term count T | u64 posting count P
//   T x u32 term (strictly ascending), zero-padded to 8 bytes
//   (T + 1) x u64 offset into the postings ([0] = 0, [T] = P, ascending)
//   P x u32 row (strictly ascending within a term), padded to 8 bytes
//   P x f32 value, padded to 8 bytes
class SparseIndexBuilder {
 public:
  // Adds row `row`'s blob (already validated: rows come from the WAL or a
  // segment). Malformed blobs are skipped.
  void AddRow(uint32_t row, std::string_view blob);
  bool empty() const { return names_.empty(); }
  std::string Encode() const;

 private:
  struct Entry {
    uint32_t term;
    uint32_t row;
    float value;
  };
  std::vector<std::pair<std::string, std::vector<Entry>>> names_;
};

// A parsed kSparseIndex section, read in place (the section is 64-byte
// aligned and every array in it 8-byte aligned).
class SparseIndex {
 public:
  // Validates the whole layout (rows below `row_count`); kCorruption else.
  static Result<SparseIndex> Parse(std::string_view section,
                                   uint64_t row_count);

  // Every row sharing a dimension with `query` under `name`, ascending,
  // with its dot product (summed as SparseDot sums it).
  void Score(std::string_view name, const SparseVector& query,
             std::vector<std::pair<uint32_t, double>>* out) const;

 private:
  struct Name {
    std::string_view name;
    const uint32_t* terms = nullptr;
    uint64_t term_count = 0;
    const uint64_t* offsets = nullptr;
    const uint32_t* rows = nullptr;
    const float* values = nullptr;
    uint64_t posting_count = 0;
  };
  const Name* FindName(std::string_view name) const;
  std::vector<Name> names_;
};

}  // namespace proximadb::index
