// Shared by the index-file fuzz targets (hnsw_load, ivf_load): the
// deterministic vector view a loaded index searches, and comparing the
// answers of two loads.
#pragma once

#include <cmath>
#include <cstdint>
#include <set>
#include <vector>

#include "fuzz_util.h"
#include "index/distance.h"
#include "index/vector_index.h"

namespace proximadb::fuzz {

struct View {
  std::vector<float> data, norms;
  index::VectorView view;
};

// rows x dim small integers minus 4.5 (never all zero), with their norms.
inline View MakeView(uint32_t rows, uint32_t dim) {
  View v;
  v.data.resize(size_t{rows} * dim);
  for (size_t i = 0; i < v.data.size(); ++i) {
    v.data[i] = static_cast<float>((i * 7 + i / dim * 3) % 11) - 4.5f;
  }
  for (uint32_t r = 0; r < rows; ++r) {
    v.norms.push_back(index::Norm(v.data.data() + size_t{r} * dim, dim));
  }
  v.view = {v.data.data(), v.norms.data(), rows, dim};
  return v;
}

using Answers = std::vector<std::vector<index::Candidate>>;

// What every search answer must be: at most k distinct rows of the view,
// each one `accept` takes (when set), best first.
inline void CheckAnswer(const std::vector<index::Candidate>& out, uint32_t k,
                        uint32_t rows, const index::RowFilter& accept) {
  FUZZ_CHECK(out.size() <= k, "more than k results");
  std::set<uint32_t> seen;
  for (size_t i = 0; i < out.size(); ++i) {
    FUZZ_CHECK(out[i].row < rows, "result row outside the view");
    FUZZ_CHECK(seen.insert(out[i].row).second, "duplicate result");
    FUZZ_CHECK(!accept || accept(out[i].row), "filter ignored");
    if (i > 0 && !std::isnan(out[i].distance) &&
        !std::isnan(out[i - 1].distance)) {
      FUZZ_CHECK(out[i - 1].distance <= out[i].distance,
                 "results not best first");
    }
  }
}

// The same rows in the same order, search by search.
inline bool SameAnswers(const Answers& a, const Answers& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (a[i].size() != b[i].size()) return false;
    for (size_t j = 0; j < a[i].size(); ++j) {
      if (a[i][j].row != b[i][j].row) return false;
    }
  }
  return true;
}

}  // namespace proximadb::fuzz
