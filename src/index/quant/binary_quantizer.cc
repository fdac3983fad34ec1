#include "index/quant/binary_quantizer.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "index/distance.h"
#include "index/quant/kmeans.h"
#include "util/split_mix.h"

namespace proximadb::index::quant {

namespace {

constexpr int kRotationRounds = 3;

float ToFloat(double v) {
  return static_cast<float>(std::clamp(v, -double(FLT_MAX), double(FLT_MAX)));
}

// In-place fast Walsh-Hadamard transform of n (a power of two) values.
void Fwht(float* v, uint32_t n) {
  for (uint32_t h = 1; h < n; h *= 2) {
    for (uint32_t i = 0; i < n; i += 2 * h) {
      for (uint32_t j = i; j < i + h; ++j) {
        const float a = v[j], b = v[j + h];
        v[j] = a + b;
        v[j + h] = a - b;
      }
    }
  }
}

}  // namespace

uint32_t BinaryQuantizer::RotatedDim(uint32_t dim) {
  uint32_t p = 1;
  while (p < dim) p *= 2;
  return p;
}

void BinaryQuantizer::Rotate(const float* x, uint32_t dim, float* out) {
  const uint32_t p = RotatedDim(dim);
  std::copy(x, x + dim, out);
  std::fill(out + dim, out + p, 0.0f);
  const float norm = 1.0f / std::sqrt(float(p));
  for (int r = 0; r < kRotationRounds; ++r) {
    for (uint32_t i = 0; i < p; i += 64) {
      const uint64_t signs = SplitMix64((uint64_t(r) << 32) | i);
      for (uint32_t j = i; j < std::min(p, i + 64); ++j) {
        if ((signs >> (j - i)) & 1) out[j] = -out[j];
      }
    }
    Fwht(out, p);
    for (uint32_t i = 0; i < p; ++i) out[i] *= norm;
  }
}

Result<BinaryQuantizer> BinaryQuantizer::Train(const VectorView& view) {
  if (view.rows == 0 || view.dim == 0 || view.data == nullptr) {
    return Status::InvalidArgument("binary quantization needs training rows");
  }
  const uint32_t dim = view.dim, p = RotatedDim(dim);
  const uint32_t n = std::min(view.rows, kTrainSample);
  std::vector<float> sample(size_t(n) * p);
  for (uint32_t i = 0; i < n; ++i) {
    const float* x = view.data + size_t(uint64_t(i) * view.rows / n) * dim;
    for (uint32_t d = 0; d < dim; ++d) {
      if (!std::isfinite(x[d])) {
        return Status::InvalidArgument(
            "binary quantization: non-finite values");
      }
    }
    Rotate(x, dim, sample.data() + size_t(i) * p);
  }
  const uint32_t k = std::clamp<uint32_t>(n / 256, 1, kMaxCentroids);
  BinaryQuantizer q;
  q.dim_ = dim;
  q.centroids_ = Kmeans(sample, n, p, k, kKmeansRounds);
  q.thresholds_.assign(p, 0.0f);  // Nearest needs only the sizes
  std::vector<uint8_t> of(n);
  std::vector<double> mean(p, 0.0);
  for (uint32_t i = 0; i < n; ++i) {
    const float* y = sample.data() + size_t(i) * p;
    of[i] = q.Nearest(y);
    const float* c = q.centroids_.data() + size_t(of[i]) * p;
    for (uint32_t d = 0; d < p; ++d) mean[d] += double(y[d]) - c[d];
  }
  std::vector<float> t(p);
  for (uint32_t d = 0; d < p; ++d) t[d] = static_cast<float>(mean[d] / n);
  std::vector<double> lo_sum(p, 0.0), hi_sum(p, 0.0);
  std::vector<uint32_t> hi_n(p, 0);
  for (uint32_t i = 0; i < n; ++i) {
    const float* y = sample.data() + size_t(i) * p;
    const float* c = q.centroids_.data() + size_t(of[i]) * p;
    for (uint32_t d = 0; d < p; ++d) {
      const float r = y[d] - c[d];
      if (r > t[d]) {
        hi_sum[d] += r;
        ++hi_n[d];
      } else {
        lo_sum[d] += r;
      }
    }
  }
  std::vector<float> lo(p), hi(p);
  for (uint32_t d = 0; d < p; ++d) {
    const uint32_t lo_n = n - hi_n[d];
    // A coordinate with every residual on one side codes as 0 and
    // reconstructs as that side's mean.
    lo[d] = lo_n > 0 ? static_cast<float>(lo_sum[d] / lo_n) : t[d];
    hi[d] = hi_n[d] > 0 ? static_cast<float>(hi_sum[d] / hi_n[d]) : lo[d];
  }
  auto out = FromParts(dim, std::move(t), std::move(lo), std::move(hi),
                       std::move(q.centroids_));
  if (!out.ok()) {
    return Status::InvalidArgument(
        "binary quantization: values out of range (" + out.status().message() +
        ")");
  }
  return out;
}

Result<BinaryQuantizer> BinaryQuantizer::FromParts(
    uint32_t dim, std::vector<float> thresholds, std::vector<float> lo,
    std::vector<float> hi, std::vector<float> centroids) {
  const size_t p = dim > 0 ? RotatedDim(dim) : 0;
  if (p == 0 || thresholds.size() != p || lo.size() != p || hi.size() != p ||
      centroids.size() % p != 0 || centroids.empty() ||
      centroids.size() / p > 256) {
    return Status::Corruption("binary quantizer: sizes do not agree");
  }
  if (!AllFinite(centroids)) {
    return Status::Corruption("binary quantizer: non-finite centroid");
  }
  for (size_t d = 0; d < p; ++d) {
    if (!std::isfinite(thresholds[d]) || !std::isfinite(lo[d]) ||
        !std::isfinite(hi[d]) || !(lo[d] <= hi[d]) ||
        !std::isfinite(hi[d] - lo[d])) {
      return Status::Corruption("binary quantizer: bad levels of coordinate " +
                                std::to_string(d));
    }
  }
  BinaryQuantizer q;
  q.dim_ = dim;
  q.thresholds_ = std::move(thresholds);
  q.lo_ = std::move(lo);
  q.hi_ = std::move(hi);
  q.centroids_ = std::move(centroids);
  return q;
}

uint8_t BinaryQuantizer::Nearest(const float* y) const {
  return static_cast<uint8_t>(
      NearestOf(y, centroids_.data(), centroid_count(), rotated_dim()));
}

float BinaryQuantizer::Encode(const float* x, uint64_t* code,
                              uint8_t* centroid) const {
  const size_t p = thresholds_.size();
  std::vector<float> y(p);
  Rotate(x, dim_, y.data());
  *centroid = Nearest(y.data());
  const float* c = centroids_.data() + size_t(*centroid) * p;
  std::fill(code, code + words(), uint64_t{0});
  double term = 0;
  for (size_t d = 0; d < p; ++d) {
    const bool bit = double(y[d]) - c[d] > thresholds_[d];
    if (bit) code[d / 64] |= uint64_t{1} << (d % 64);
    const double rhat = bit ? hi_[d] : lo_[d];
    term += 2.0 * c[d] * rhat + rhat * rhat;
  }
  return ToFloat(term);
}

BinaryQuery BinaryQuantizer::Prepare(const float* q, Metric metric) const {
  const size_t p = thresholds_.size();
  std::vector<float> y(p);
  Rotate(q, dim_, y.data());
  std::vector<double> w(p);
  BinaryQuery out;
  for (size_t d = 0; d < p; ++d) {
    out.qlo += double(y[d]) * lo_[d];
    w[d] = double(y[d]) * (double(hi_[d]) - lo_[d]);
  }
  const uint32_t k = centroid_count();
  out.centroid_terms.resize(k);
  for (uint32_t j = 0; j < k; ++j) {
    const float* c = centroids_.data() + size_t(j) * p;
    out.centroid_terms[j] = metric == Metric::kEuclidean ? L2Sqr(y.data(), c, p)
                                                         : Dot(y.data(), c, p);
  }
  const auto [mn, mx] = std::minmax_element(w.begin(), w.end());
  out.w0 = ToFloat(*mn);
  out.step = ToFloat((*mx - *mn) / 15.0);
  out.planes.assign(4 * words(), 0);
  if (!(out.step > 0)) return out;  // every weight equal: planes stay 0
  for (size_t d = 0; d < p; ++d) {
    const double u = std::nearbyint((w[d] - *mn) / out.step);
    const auto v = static_cast<uint32_t>(std::clamp(u, 0.0, 15.0));
    for (uint32_t b = 0; b < 4; ++b) {
      if ((v >> b) & 1) {
        out.planes[b * words() + d / 64] |= uint64_t{1} << (d % 64);
      }
    }
  }
  return out;
}

}  // namespace proximadb::index::quant
