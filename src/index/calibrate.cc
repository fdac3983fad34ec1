// CompareOnRows: two indexes, the same rows as queries (see calibrate.h).
#include "index/calibrate.h"

#include <algorithm>
#include <chrono>
#include <limits>
#include <vector>

#include "index/distance.h"
#include "index/flat_index.h"

namespace proximadb::index {

namespace {

// The first k rows of `found` other than `self`.
std::vector<uint32_t> Without(const std::vector<Candidate>& found,
                              uint32_t self, uint32_t k) {
  std::vector<uint32_t> out;
  for (const Candidate& c : found) {
    if (c.row == self) continue;
    if (out.size() == k) break;
    out.push_back(c.row);
  }
  return out;
}

}  // namespace

Calibration CompareOnRows(const VectorIndex& a, const SearchParams& pa,
                          const VectorIndex& b, const SearchParams& pb,
                          VectorView view, Metric metric, uint32_t queries,
                          uint32_t k) {
  Calibration out;
  if (view.rows < 2 || k == 0 || queries == 0) return out;
  const uint32_t n = std::min(queries, view.rows);
  std::vector<uint32_t> rows(n);
  for (uint32_t i = 0; i < n; ++i) {
    rows[i] = static_cast<uint32_t>(uint64_t(i) * view.rows / n);
  }
  auto params_of = [&](SearchParams p, uint32_t row) {
    p.query = view.data + size_t(row) * view.dim;
    p.query_norm =
        view.norms != nullptr ? view.norms[row] : Norm(p.query, view.dim);
    p.k = k + 1;
    return p;
  };
  // The truth: one exact pass for every query.
  std::vector<std::vector<Candidate>> exact(n);
  {
    std::vector<ScanQuery> scan(n);
    for (uint32_t i = 0; i < n; ++i) {
      scan[i].params = params_of(SearchParams{}, rows[i]);
      scan[i].out = &exact[i];
    }
    FlatIndex(view, metric).SearchMany(scan);
  }
  std::vector<std::vector<uint32_t>> truth(n);
  for (uint32_t i = 0; i < n; ++i) truth[i] = Without(exact[i], rows[i], k);

  // One pass of every query through `index`; the passes of the two
  // indexes alternate, so that a disturbance hits both alike.
  std::vector<Candidate> found;
  auto pass = [&](const VectorIndex& index, const SearchParams& base,
                  IndexTrial* t) {
    double hits = 0, total = 0;
    const auto start = std::chrono::steady_clock::now();
    for (uint32_t i = 0; i < n; ++i) {
      found.clear();
      index.Search(params_of(base, rows[i]), {}, &found, nullptr);
      for (uint32_t r : Without(found, rows[i], k)) {
        hits += static_cast<double>(
            std::count(truth[i].begin(), truth[i].end(), r));
      }
      total += static_cast<double>(truth[i].size());
    }
    const double us = std::chrono::duration<double, std::micro>(
                          std::chrono::steady_clock::now() - start)
                          .count() /
                      n;
    t->micros = std::min(t->micros, us);
    t->recall = total > 0 ? hits / total : 1.0;
  };
  out.a.micros = out.b.micros = std::numeric_limits<double>::infinity();
  for (int round = 0; round < 2; ++round) {
    pass(a, pa, &out.a);
    pass(b, pb, &out.b);
  }
  out.queries = n;
  return out;
}

}  // namespace proximadb::index
