#include "index/quant/product_quantizer.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <string>

#include "index/distance.h"
#include "index/quant/kmeans.h"
#include "index/simd/dispatch.h"

namespace proximadb::index::quant {

namespace {

constexpr uint32_t K = ProductQuantizer::kCentroids;

static_assert(K == simd::kPqCentroids);

// dots[k] = <y, c_k> for the 256 centroids of a transposed codebook (w rows
// of 256: row d holds coordinate d of every centroid).
void DotsT(const float* y, uint32_t w, const float* ct, float* dots) {
  simd::ActiveKernels().pq_dots(ct, y, w, dots);
}

// The centroid minimising |c|^2 - 2 <y, c> (the first on ties), and that
// value plus |y|^2 (the squared distance) in *dist.
uint32_t NearestT(const float* y, uint32_t w, const float* ct,
                  const float* sq_norms, float* dist) {
  float dots[K];
  DotsT(y, w, ct, dots);
  uint32_t best = 0;
  float best_v = sq_norms[0] - 2 * dots[0];
  for (uint32_t k = 1; k < K; ++k) {
    const float v = sq_norms[k] - 2 * dots[k];
    if (v < best_v) best_v = v, best = k;
  }
  if (dist != nullptr) {
    float yy = 0;
    for (uint32_t d = 0; d < w; ++d) yy += y[d] * y[d];
    *dist = std::max(0.0f, yy + best_v);
  }
  return best;
}

// Transposes 256 centroids of width w (row-major) into ct and writes their
// squared norms.
void Transpose(const float* c, uint32_t w, float* ct, float* sq_norms) {
  for (uint32_t k = 0; k < K; ++k) {
    float nn = 0;
    for (uint32_t d = 0; d < w; ++d) {
      const float v = c[size_t(k) * w + d];
      ct[size_t(d) * K + k] = v;
      nn += v * v;
    }
    sq_norms[k] = nn;
  }
}

// Lloyd's k-means with 256 centroids over n sub-vectors of width w,
// seeded with an even stride through them (repeating rows when n < 256).
// A centroid that loses every row moves to the row farthest from its own
// centroid, so no codeword is wasted while rows differ.
void CodebookKmeans(const std::vector<float>& x, uint32_t n, uint32_t w,
                    float* c) {
  for (uint32_t k = 0; k < K; ++k) {
    const float* y = x.data() + size_t(uint64_t(k) * n / K) * w;
    std::copy(y, y + w, c + size_t(k) * w);
  }
  std::vector<float> ct(size_t(w) * K), sq(K), far(n);
  std::vector<uint32_t> count(K);
  std::vector<double> sum(size_t(K) * w);
  for (int round = 0; round < kKmeansRounds; ++round) {
    Transpose(c, w, ct.data(), sq.data());
    std::fill(sum.begin(), sum.end(), 0.0);
    std::fill(count.begin(), count.end(), 0u);
    for (uint32_t i = 0; i < n; ++i) {
      const float* y = x.data() + size_t(i) * w;
      const uint32_t best = NearestT(y, w, ct.data(), sq.data(), &far[i]);
      ++count[best];
      double* s = sum.data() + size_t(best) * w;
      for (uint32_t d = 0; d < w; ++d) s[d] += y[d];
    }
    for (uint32_t k = 0; k < K; ++k) {
      if (count[k] == 0) continue;
      for (uint32_t d = 0; d < w; ++d) {
        c[size_t(k) * w + d] =
            static_cast<float>(sum[size_t(k) * w + d] / count[k]);
      }
    }
    for (uint32_t k = 0; k < K; ++k) {
      if (count[k] != 0) continue;
      const uint32_t i = static_cast<uint32_t>(
          std::max_element(far.begin(), far.end()) - far.begin());
      if (far[i] <= 0) break;  // every row sits on a centroid
      std::copy(x.begin() + size_t(i) * w, x.begin() + size_t(i + 1) * w,
                c + size_t(k) * w);
      far[i] = 0;
    }
  }
}

}  // namespace

Result<ProductQuantizer> ProductQuantizer::Train(const VectorView& view,
                                                 uint32_t subspaces) {
  if (view.rows == 0 || view.dim == 0 || view.data == nullptr) {
    return Status::InvalidArgument("pq: no rows to train on");
  }
  if (subspaces == 0) subspaces = DefaultSubspaces(view.dim);
  if (subspaces > view.dim) {
    return Status::InvalidArgument("pq: more subspaces than dimensions");
  }
  const uint32_t dim = view.dim, n = std::min(view.rows, kTrainSample);
  std::vector<float> sample(size_t(n) * dim);
  for (uint32_t i = 0; i < n; ++i) {
    const float* row = view.data + size_t(uint64_t(i) * view.rows / n) * dim;
    std::copy(row, row + dim, sample.begin() + size_t(i) * dim);
  }
  if (!AllFinite(sample)) {
    return Status::InvalidArgument("pq: non-finite value in training");
  }
  ProductQuantizer pq;
  pq.dim_ = dim;
  pq.subspaces_ = subspaces;
  const uint32_t coarse = std::clamp<uint32_t>(n / 32, 1, kMaxCoarse);
  pq.coarse_ = Kmeans(sample, n, dim, coarse, kKmeansRounds);
  for (uint32_t i = 0; i < n; ++i) {  // the sample becomes its residuals
    float* y = sample.data() + size_t(i) * dim;
    const float* c = pq.coarse_.data() +
                     size_t(NearestOf(y, pq.coarse_.data(), coarse, dim)) * dim;
    for (uint32_t d = 0; d < dim; ++d) y[d] -= c[d];
  }
  pq.codebooks_.assign(size_t(K) * dim, 0.0f);
  std::vector<float> x;
  for (uint32_t s = 0; s < subspaces; ++s) {
    const uint32_t b = pq.Begin(s), w = pq.Begin(s + 1) - b;
    x.resize(size_t(n) * w);
    for (uint32_t i = 0; i < n; ++i) {
      const float* y = sample.data() + size_t(i) * dim + b;
      std::copy(y, y + w, x.begin() + size_t(i) * w);
    }
    CodebookKmeans(x, n, w, pq.codebooks_.data() + size_t(K) * b);
  }
  pq.Finish();
  return pq;
}

Result<ProductQuantizer> ProductQuantizer::FromParts(
    uint32_t dim, uint32_t subspaces, std::vector<float> codebooks,
    std::vector<float> coarse) {
  if (dim == 0 || subspaces == 0 || subspaces > dim) {
    return Status::InvalidArgument("pq: subspaces out of range");
  }
  if (codebooks.size() != size_t(K) * dim) {
    return Status::InvalidArgument("pq: codebooks have the wrong size");
  }
  if (coarse.empty() || coarse.size() % dim != 0 ||
      coarse.size() / dim > kMaxCoarse) {
    return Status::InvalidArgument("pq: coarse centroids out of range");
  }
  if (!AllFinite(codebooks) || !AllFinite(coarse)) {
    return Status::InvalidArgument("pq: non-finite codebook value");
  }
  ProductQuantizer pq;
  pq.dim_ = dim;
  pq.subspaces_ = subspaces;
  pq.codebooks_ = std::move(codebooks);
  pq.coarse_ = std::move(coarse);
  pq.Finish();
  return pq;
}

void ProductQuantizer::Finish() {
  transposed_.assign(size_t(K) * dim_, 0.0f);
  sq_norms_.assign(size_t(K) * subspaces_, 0.0f);
  for (uint32_t s = 0; s < subspaces_; ++s) {
    const uint32_t b = Begin(s), w = Begin(s + 1) - b;
    Transpose(codebooks_.data() + size_t(K) * b, w,
              transposed_.data() + size_t(K) * b,
              sq_norms_.data() + size_t(K) * s);
  }
}

uint8_t ProductQuantizer::Nearest(uint32_t s, const float* y) const {
  const uint32_t b = Begin(s), w = Begin(s + 1) - b;
  return static_cast<uint8_t>(NearestT(y, w, transposed_.data() + size_t(K) * b,
                                       sq_norms_.data() + size_t(K) * s,
                                       nullptr));
}

float ProductQuantizer::Encode(const float* x, uint8_t* code,
                               uint8_t* centroid) const {
  const uint32_t j = NearestOf(x, coarse_.data(), coarse_count(), dim_);
  *centroid = static_cast<uint8_t>(j);
  const float* c = coarse_.data() + size_t(j) * dim_;
  std::vector<float> r(dim_);
  for (uint32_t d = 0; d < dim_; ++d) r[d] = x[d] - c[d];
  double term = 0;
  for (uint32_t s = 0; s < subspaces_; ++s) {
    const uint32_t b = Begin(s), w = Begin(s + 1) - b;
    code[s] = Nearest(s, r.data() + b);
    const float* word = codebooks_.data() + size_t(K) * b + size_t(code[s]) * w;
    for (uint32_t d = 0; d < w; ++d) {
      term += 2.0 * c[b + d] * word[d] + double(word[d]) * word[d];
    }
  }
  return static_cast<float>(
      std::clamp(term, -double(FLT_MAX), double(FLT_MAX)));
}

void ProductQuantizer::Prepare(const float* q, Metric metric,
                               PqQuery* out) const {
  out->table.resize(size_t(K) * subspaces_);
  for (uint32_t s = 0; s < subspaces_; ++s) {
    const uint32_t b = Begin(s), w = Begin(s + 1) - b;
    DotsT(q + b, w, transposed_.data() + size_t(K) * b,
          out->table.data() + size_t(K) * s);
  }
  const uint32_t k = coarse_count();
  out->centroid_terms.resize(k);
  for (uint32_t j = 0; j < k; ++j) {
    const float* c = coarse_.data() + size_t(j) * dim_;
    out->centroid_terms[j] =
        metric == Metric::kEuclidean ? L2Sqr(q, c, dim_) : Dot(q, c, dim_);
  }
}

}  // namespace proximadb::index::quant
