// Data sets and recall measurement shared by the HNSW tests.
#pragma once

#include <algorithm>
#include <cstdint>
#include <random>
#include <set>
#include <vector>

#include "index/distance.h"
#include "index/flat_index.h"
#include "index/vector_index.h"

namespace proximadb::index::testing {

struct Dataset {
  uint32_t dim = 0, rows = 0;
  std::vector<float> data, norms;
  VectorView view() const { return {data.data(), norms.data(), rows, dim}; }
  const float* row(uint32_t r) const { return data.data() + size_t(r) * dim; }
};

inline void FillNorms(Dataset* d) {
  d->norms.resize(d->rows);
  for (uint32_t r = 0; r < d->rows; ++r) d->norms[r] = Norm(d->row(r), d->dim);
}

inline Dataset RandomData(uint32_t rows, uint32_t dim, uint32_t seed) {
  Dataset d;
  d.dim = dim;
  d.rows = rows;
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  d.data.resize(size_t(rows) * dim);
  for (auto& x : d.data) x = n(rng);
  FillNorms(&d);
  return d;
}

// Gaussian blobs around `clusters` random centres: the shape of real
// embeddings, and harder for graphs than uniform noise.
inline Dataset ClusteredData(uint32_t rows, uint32_t dim, uint32_t clusters,
                             uint32_t seed) {
  Dataset d;
  d.dim = dim;
  d.rows = rows;
  std::mt19937 rng(seed);
  std::normal_distribution<float> n;
  std::vector<float> centres(size_t(clusters) * dim);
  for (auto& x : centres) x = 3 * n(rng);
  d.data.resize(size_t(rows) * dim);
  for (uint32_t r = 0; r < rows; ++r) {
    const float* c = &centres[size_t(rng() % clusters) * dim];
    for (uint32_t j = 0; j < dim; ++j)
      d.data[size_t(r) * dim + j] = c[j] + n(rng);
  }
  FillNorms(&d);
  return d;
}

// Queries near the rows (a row plus gaussian noise of `sigma`), as real
// queries are near real data.
inline Dataset NoisyQueries(const Dataset& data, uint32_t rows, float sigma,
                            uint32_t seed) {
  Dataset queries;
  queries.dim = data.dim;
  queries.rows = rows;
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  for (uint32_t i = 0; i < queries.rows; ++i) {
    const float* x = data.row(rng() % data.rows);
    for (uint32_t j = 0; j < data.dim; ++j) {
      queries.data.push_back(x[j] + sigma * g(rng));
    }
  }
  FillNorms(&queries);
  return queries;
}

inline std::vector<uint32_t> Rows(const std::vector<Candidate>& c) {
  std::vector<uint32_t> r;
  for (const auto& x : c) r.push_back(x.row);
  return r;
}

// Mean recall@k of `index` against exact search over `queries`.
inline double Recall(const VectorIndex& index, const Dataset& data,
                     const Dataset& queries, Metric metric, uint32_t k,
                     uint32_t ef, const RowFilter& accept = {}) {
  FlatIndex flat(data.view(), metric);
  double hit = 0, total = 0;
  for (uint32_t q = 0; q < queries.rows; ++q) {
    SearchParams p;
    p.query = queries.row(q);
    p.query_norm = queries.norms[q];
    p.k = k;
    p.ef_search = ef;
    std::vector<Candidate> truth, got;
    flat.Search(p, accept, &truth, nullptr);
    index.Search(p, accept, &got, nullptr);
    const auto truth_rows = Rows(truth);
    std::set<uint32_t> t(truth_rows.begin(), truth_rows.end());
    for (uint32_t r : Rows(got)) hit += t.count(r);
    total += truth.size();
  }
  return total > 0 ? hit / total : 1.0;
}

}  // namespace proximadb::index::testing
