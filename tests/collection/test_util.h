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
  // Under `base`, else the system's temp directory.
  explicit TempDir(const std::string& base = "") {
    std::filesystem::path root = base.empty()
                                     ? std::filesystem::temp_directory_path()
                                     : std::filesystem::path(base);
    std::string tmpl = (root / "pdb-test-XXXXXX").string();
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
