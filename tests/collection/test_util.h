// Shared helpers for the collection tests: a temporary data directory and
// random data.
#pragma once

#include <cstdlib>
#include <filesystem>
#include <random>
#include <string>
#include <vector>

#include "proximadb/db.h"

namespace proximadb::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "pdb-test-XXXXXX").string();
    char* p = mkdtemp(tmpl.data());
    path_ = p ? p : "";
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

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
