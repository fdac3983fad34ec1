// Shared helpers for the collection tests: a temporary data directory and
// random data.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "proximadb/db.h"
#include "util/temp_dir.h"

namespace proximadb::testing {

using test_util::TempDir;  // tests/util/temp_dir.h

inline std::vector<float> RandomVector(std::mt19937& rng, uint32_t dim) {
  std::normal_distribution<float> n(0.0f, 1.0f);
  std::vector<float> v(dim);
  for (auto& x : v) x = n(rng);
  return v;
}

inline CollectionConfig MakeConfig(const std::string& name, uint32_t dim,
                                   Metric metric = Metric::kEuclidean) {
  CollectionConfig c;
  c.name = name;
  c.dimension = dim;
  c.metric = metric;
  c.index.algorithm = "flat";
  return c;
}

}  // namespace proximadb::testing
