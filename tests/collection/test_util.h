// Shared helpers for the collection tests: a temporary data directory and
// random data.
#pragma once

#include <cctype>
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

// The words of ASCII text as the tests' references split them, written
// apart from src/filter/text.h: runs of letters and digits, lower-cased,
// in order, repeats kept.
inline std::vector<std::string> AsciiWords(const std::string& s) {
  std::vector<std::string> out;
  std::string w;
  for (char c : s + " ") {
    if (std::isalnum(static_cast<unsigned char>(c))) {
      w += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    } else if (!w.empty()) {
      out.push_back(w);
      w.clear();
    }
  }
  return out;
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
