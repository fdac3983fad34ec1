// Parameters of one HNSW graph. They are stored in the graph file, so a
// loaded graph searches exactly as the one that was saved.
#pragma once

#include <cstdint>

namespace proximadb::index {

enum class Quantization : uint32_t {
  kNone = 0,  // traverse on the float vectors of the VectorView
  kInt8 = 1,  // traverse on 8-bit codes kept in RAM, re-score with floats
  // Traverse on 1-bit codes kept in RAM (quant::BinaryQuantizer), re-score
  // every candidate of the beam (ef_search of them) with floats.
  kBinary = 2,
  // Traverse on product-quantization codes (quant::ProductQuantizer, M
  // bytes per row) with a per-query distance table, re-score the whole beam
  // with floats.
  kPq = 3,
};

struct HnswParams {
  // Links per node on the upper levels; level 0 keeps up to 2*m. Default 16.
  // Range 2..128, or 0 with a quantization: no graph at all, only the codes
  // ("codes only", what a flat collection with quantization serves): a
  // search scans every row's code, re-scores the best max(ef, k) (int8: at
  // least rerank_factor * k) on the floats and returns the best k of those.
  uint32_t m = 16;
  // Beam width while inserting. Default 200; higher builds slower, better.
  uint32_t ef_construction = 200;
  // Default beam width of a search (SearchParams::ef_search overrides it per
  // query; the beam is never narrower than k). Default 64.
  uint32_t ef_search = 64;
  // Vector representation used while walking the graph. Default none.
  Quantization quantization = Quantization::kNone;
  // int8 only: how many of the best code-space candidates, as a multiple of
  // k, are re-scored with the float vectors. Default 3. (Binary codes rank
  // too coarsely for a cut: the whole beam is re-scored.)
  uint32_t rerank_factor = 3;
  // pq only: sub-vectors per row (code bytes), 1..dim; 0 picks
  // quant::ProductQuantizer::DefaultSubspaces. A loaded graph reports the
  // number it was built with.
  uint32_t pq_subspaces = 0;
  // Seeds the level of each row (a hash of seed and row), so one-thread
  // builds are reproducible. Default 42.
  uint64_t seed = 42;
};

}  // namespace proximadb::index
