// Fuzz target: IvfIndex::Load (the IVF file, docs/FORMATS.md "IVF file",
// with its zstd-compressed column statistics, "Column statistics") on
// arbitrary bytes in an in-memory Env, then searches over what loaded.
//
// Input: flags byte, then the file.
//   flags bit 0: re-seal the trailing CRC first, so the fuzzer reaches the
//                structural checks behind it.
// The vector view is made to match the header's dimension and row count
// (small ones only), with deterministic vectors.
// Invariants on an index that loads:
//   * searches (default probe, nprobe 1, exact; unfiltered and filtered;
//     with and without a partition mask) return at most k distinct rows of
//     the view, best first, only rows the filter accepts, and none from a
//     masked partition;
//   * Save of the loaded index loads again and answers every search the
//     same, and saving that one gives identical bytes (statistics
//     included).
// Anything else must be kCorruption.
#include <cmath>
#include <cstdint>
#include <set>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "index/distance.h"
#include "index/ivf/ivf_index.h"
#include "index_fuzz_util.h"

namespace proximadb::fuzz {
namespace {

using index::Candidate;
using index::IvfIndex;

constexpr uint64_t kMaxFloats = 1 << 16;
constexpr size_t kHeaderSize = 44;

Answers SearchAll(const IvfIndex& idx, const View& v) {
  Answers all;
  const uint32_t rows = v.view.rows, dim = v.view.dim;
  // Every other partition masked; which partition each row is in.
  std::vector<uint8_t> mask(idx.nlist());
  std::vector<uint32_t> part(rows);
  for (uint32_t p = 0; p < idx.nlist(); ++p) {
    mask[p] = p % 2 == 0;
    for (uint32_t r : idx.partition_rows(p)) part[r] = p;
  }
  std::vector<float> probe(dim, 0.25f);
  const index::RowFilter odd = [](uint32_t r) { return r % 2 == 1; };
  for (uint32_t q = 0; q < 2; ++q) {
    const float* query =
        q < rows ? v.data.data() + size_t{q} * dim : probe.data();
    for (uint32_t k : {1u, 5u, rows + 2}) {
      for (int mode = 0; mode < 6; ++mode) {
        index::SearchParams p;
        p.query = query;
        p.query_norm = index::Norm(query, dim);
        p.k = k;
        p.nprobe = mode == 1 ? 1 : 0;
        p.exact = mode == 2;
        const bool masked = mode >= 4;
        if (masked) p.partition_mask = &mask;
        const index::RowFilter& accept =
            mode == 3 || mode == 5 ? odd : index::RowFilter();
        std::vector<Candidate> out;
        index::SearchCounters counters;
        idx.Search(p, accept, &out, &counters);
        CheckAnswer(out, k, rows, accept);
        for (const Candidate& c : out) {
          FUZZ_CHECK(!masked || mask[part[c.row]],
                     "a row of a masked partition");
        }
        all.push_back(std::move(out));
      }
    }
  }
  return all;
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  std::string_view in = AsView(data, size);
  const uint8_t flags = TakeFlags(&in);
  std::string bytes(in);
  if (bytes.size() < kHeaderSize + 4) return 0;
  if (flags & 1) SealCrc(&bytes, 0, bytes.size() - 4, bytes.size() - 4);
  const uint32_t dim = DecodeFixed32(bytes.data() + 12);
  const uint32_t metric_field = DecodeFixed32(bytes.data() + 16);
  const uint32_t rows = DecodeFixed32(bytes.data() + 20);
  if (dim == 0 || rows == 0 || uint64_t{rows} * dim > kMaxFloats) return 0;
  const Metric metric = metric_field <= 2 ? static_cast<Metric>(metric_field)
                                          : Metric::kEuclidean;
  const View v = MakeView(rows, dim);

  Env* env = MemEnvWithDir("/g");
  PutFile(env, "/g/in.hnsw", bytes);
  auto idx = IvfIndex::Load(env, "/g/in.hnsw", v.view, metric);
  if (!idx.ok()) {
    FUZZ_CHECK(idx.status().IsCorruption(), idx.status());
    return 0;
  }
  FUZZ_CHECK((*idx)->rows() == rows && (*idx)->nlist() >= 1);
  if (const index::PartitionColumns* cols = (*idx)->columns()) {
    for (const auto& c : cols->columns()) {
      FUZZ_CHECK(c.parts.size() == (*idx)->nlist(),
                 "statistics for another partition count");
    }
  }
  if (const index::RowColumns* cells = (*idx)->row_columns()) {
    FUZZ_CHECK(
        (*idx)->columns() != nullptr &&
            cells->columns().size() == (*idx)->columns()->columns().size() &&
            cells->rows() == rows,
        "row columns that are not the statistics' columns");
    for (const auto& c : cells->columns()) {
      FUZZ_CHECK(c.tags.size() == rows && c.values.size() == rows);
      for (uint32_t r = 0; r < rows; ++r) {
        FUZZ_CHECK(c.tags[r] <= index::RowColumns::kMaxTag);
        if (c.tags[r] == uint8_t(index::RowColumns::Tag::kString)) {
          FUZZ_CHECK(c.values[r] < c.strings.size(), "string index");
        }
      }
    }
  }
  const Answers first = SearchAll(**idx, v);

  Status s = (*idx)->Save(env, "/g/saved.hnsw");
  FUZZ_CHECK(s.ok(), s);
  auto again = IvfIndex::Load(env, "/g/saved.hnsw", v.view, metric);
  FUZZ_CHECK(again.ok(), again.status(), "a saved index does not load");
  FUZZ_CHECK(SameAnswers(first, SearchAll(**again, v)),
             "the saved index answers differently");
  FUZZ_CHECK(
      ((*idx)->columns() == nullptr) == ((*again)->columns() == nullptr) &&
          ((*idx)->columns() == nullptr ||
           *(*idx)->columns() == *(*again)->columns()),
      "the statistics changed through a save");
  FUZZ_CHECK(((*idx)->row_columns() == nullptr) ==
                     ((*again)->row_columns() == nullptr) &&
                 ((*idx)->row_columns() == nullptr ||
                  *(*idx)->row_columns() == *(*again)->row_columns()),
             "the row columns changed through a save");
  s = (*again)->Save(env, "/g/saved2.hnsw");
  FUZZ_CHECK(s.ok(), s);
  auto b1 = env->ReadFileToString("/g/saved.hnsw");
  auto b2 = env->ReadFileToString("/g/saved2.hnsw");
  FUZZ_CHECK(b1.ok() && b2.ok() && *b1 == *b2, "Save is not idempotent");
  return 0;
}
