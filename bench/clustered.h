// Synthetic clustered vectors with a fixed seed (64 Gaussian clusters), the
// data of the engine and change-feed benchmarks.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

namespace proximadb::bench {

class Clustered {
 public:
  Clustered(uint32_t dim, uint64_t seed) : dim_(dim), rng_(seed) {
    std::normal_distribution<float> n(0, 1);
    centers_.resize(64 * dim);
    for (auto& x : centers_) x = n(rng_) * 4;
  }
  std::vector<float> Next() {
    std::normal_distribution<float> n(0, 1);
    size_t c = rng_() % 64;
    std::vector<float> v(dim_);
    for (uint32_t i = 0; i < dim_; ++i) v[i] = centers_[c * dim_ + i] + n(rng_);
    return v;
  }

 private:
  uint32_t dim_;
  std::mt19937_64 rng_;
  std::vector<float> centers_;
};

}  // namespace proximadb::bench
