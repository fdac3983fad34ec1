// Fuzz target: HnswIndex::Load (the graph file, index/hnsw/hnsw_format.h)
// on arbitrary bytes in an in-memory Env, then searches over what loaded.
//
// Input: flags byte, then the file.
//   flags bit 0: re-seal the header, section and table CRCs first, so the
//                fuzzer reaches the structural checks behind them.
//   flags bit 1: give the view more rows than the graph (as a segment that
//                the graph covers only partly).
// The vector view is made to match the header's dimension and row count
// (small ones only), with deterministic non-zero vectors.
// Invariants on a graph that loads:
//   * searches (graph walk, filtered walk, exact scan; several k and ef)
//     return at most k distinct rows of the view, best first, and only
//     rows the filter accepts;
//   * Save of the loaded graph loads again and answers every search the
//     same, and saving that one gives identical bytes.
// Anything else must be kCorruption (or kInvalidArgument when the header
// does not match the view).
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "index/distance.h"
#include "index/hnsw/hnsw_format.h"
#include "index/hnsw/hnsw_index.h"
#include "index_fuzz_util.h"

namespace proximadb::fuzz {
namespace {

using index::Candidate;
using index::HnswIndex;
namespace hf = index::hnsw_format;

constexpr uint64_t kMaxFloats = 1 << 16;

void Seal(std::string* f) {
  if (f->size() < hf::kHeaderSize) return;
  SealCrc(f, 0, 124, 124);
  const uint32_t count = DecodeFixed32(f->data() + 56);
  if (count > hf::kMaxSections) return;
  const uint64_t table_end = hf::kHeaderSize + uint64_t{count} * 32;
  if (table_end + 4 > f->size()) return;
  for (uint32_t i = 0; i < count; ++i) {
    const uint64_t e = hf::kHeaderSize + uint64_t{i} * 32;
    const uint64_t off = DecodeFixed64(f->data() + e + 8);
    const uint64_t len = DecodeFixed64(f->data() + e + 16);
    if (off <= f->size() && len <= f->size() - off) {
      SealCrc(f, off, off + len, e + 24);
    }
  }
  SealCrc(f, hf::kHeaderSize, table_end, table_end);
}

Answers SearchAll(const HnswIndex& idx, const View& v) {
  Answers all;
  const uint32_t rows = v.view.rows, dim = v.view.dim;
  std::vector<float> probe(dim, 0.25f);
  const index::RowFilter even = [](uint32_t r) { return r % 2 == 0; };
  for (uint32_t q = 0; q < 3; ++q) {
    const float* query =
        q < rows ? v.data.data() + size_t{q} * dim : probe.data();
    for (uint32_t k : {1u, 4u, rows + 2}) {
      for (int mode = 0; mode < 4; ++mode) {
        index::SearchParams p;
        p.query = query;
        p.query_norm = index::Norm(query, dim);
        p.k = k;
        p.ef_search = mode == 1 ? 1 : 0;
        p.exact = mode == 3;
        const index::RowFilter& accept = mode == 2 ? even : index::RowFilter();
        std::vector<Candidate> out;
        idx.Search(p, accept, &out, nullptr);
        CheckAnswer(out, k, rows, accept);
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
  if (flags & 1) Seal(&bytes);
  if (bytes.size() < hf::kHeaderSize) return 0;
  const uint32_t metric_field = DecodeFixed32(bytes.data() + 16);
  const uint32_t dim = DecodeFixed32(bytes.data() + 20);
  const uint32_t n = DecodeFixed32(bytes.data() + 24);
  const uint32_t rows = n + (flags & 2 ? 3 : 0);
  if (dim == 0 || rows < n || uint64_t{rows} * dim > kMaxFloats) return 0;
  const Metric metric = metric_field <= 2 ? static_cast<Metric>(metric_field)
                                          : Metric::kEuclidean;
  const View v = MakeView(rows, dim);

  Env* env = MemEnvWithDir("/g");
  PutFile(env, "/g/in.hnsw", bytes);
  auto idx = HnswIndex::Load(env, "/g/in.hnsw", v.view, metric);
  if (!idx.ok()) {
    FUZZ_CHECK(idx.status().IsCorruption() ||
                   idx.status().code() == StatusCode::kInvalidArgument,
               idx.status());
    return 0;
  }
  FUZZ_CHECK((*idx)->size() <= n && (*idx)->capacity() == n);
  const Answers first = SearchAll(**idx, v);

  Status s = (*idx)->Save(env, "/g/saved.hnsw");
  FUZZ_CHECK(s.ok(), s);
  auto again = HnswIndex::Load(env, "/g/saved.hnsw", v.view, metric);
  FUZZ_CHECK(again.ok(), again.status(), "a saved graph does not load");
  FUZZ_CHECK(SameAnswers(first, SearchAll(**again, v)),
             "the saved graph answers differently");
  s = (*again)->Save(env, "/g/saved2.hnsw");
  FUZZ_CHECK(s.ok(), s);
  auto b1 = env->ReadFileToString("/g/saved.hnsw");
  auto b2 = env->ReadFileToString("/g/saved2.hnsw");
  FUZZ_CHECK(b1.ok() && b2.ok() && *b1 == *b2, "Save is not idempotent");
  return 0;
}
