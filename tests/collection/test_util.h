// Shared helpers for the collection tests: a temporary data directory and
// random data.
#pragma once

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <random>
#include <set>
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

// recall@10 of the collection's searches (with `filter`, and `nprobe` for
// IVF segments) against its exact answers, over `queries`.
inline double SearchRecall(Collection& c,
                           const std::vector<std::vector<float>>& queries,
                           const nlohmann::json& filter = {},
                           std::optional<uint32_t> nprobe = std::nullopt) {
  double hit = 0, total = 0;
  for (const auto& q : queries) {
    SearchRequest req;
    req.vector = q;
    req.k = 10;
    req.filter = filter;
    req.exact = true;
    std::set<std::string> truth;
    auto exact = c.Search(req).value();  // keep the result alive while used
    for (auto& h : exact.hits) truth.insert(h.id);
    req.exact = false;
    req.nprobe = nprobe;
    auto got = c.Search(req).value();
    for (auto& h : got.hits) hit += truth.count(h.id);
    total += truth.size();
  }
  return hit / total;
}

// The segments' index files (seg-<id>.hnsw: HNSW or IVF) under `dir`,
// sorted.
inline std::vector<std::string> IndexFiles(const std::string& dir) {
  std::vector<std::string> out;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.path().extension() == ".hnsw") out.push_back(e.path().string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace proximadb::testing
