#include "index/quant/scalar_quantizer.h"

#include <algorithm>
#include <cmath>
#include <limits>

namespace proximadb::index::quant {

Result<ScalarQuantizer> ScalarQuantizer::Train(const VectorView& view) {
  if (view.rows == 0 || view.dim == 0 || view.data == nullptr) {
    return Status::InvalidArgument("int8 quantization needs training rows");
  }
  const size_t dim = view.dim;
  std::vector<float> lo(dim, std::numeric_limits<float>::infinity());
  std::vector<float> hi(dim, -std::numeric_limits<float>::infinity());
  for (uint32_t r = 0; r < view.rows; ++r) {
    const float* x = view.data + size_t(r) * dim;
    for (size_t d = 0; d < dim; ++d) {
      lo[d] = std::min(lo[d], x[d]);
      hi[d] = std::max(hi[d], x[d]);
    }
  }
  float range = 0;
  for (size_t d = 0; d < dim; ++d) range = std::max(range, hi[d] - lo[d]);
  if (!std::isfinite(range)) {
    return Status::InvalidArgument("int8 quantization: non-finite values");
  }
  // A constant data set still needs a positive step.
  float step = range > 0 ? range / 255.0f : 1.0f;
  return FromParts(std::move(lo), step);
}

Result<ScalarQuantizer> ScalarQuantizer::FromParts(std::vector<float> mins,
                                                   float step) {
  if (!(step > 0) || !std::isfinite(step)) {
    return Status::Corruption("int8 quantizer: bad step");
  }
  for (float m : mins) {
    if (!std::isfinite(m)) return Status::Corruption("int8 quantizer: bad min");
  }
  ScalarQuantizer q;
  q.mins_ = std::move(mins);
  q.step_ = step;
  return q;
}

void ScalarQuantizer::Encode(const float* x, uint8_t* code) const {
  const float inv = 1.0f / step_;
  for (size_t d = 0; d < mins_.size(); ++d) {
    float v = std::nearbyint((x[d] - mins_[d]) * inv);
    code[d] = static_cast<uint8_t>(std::clamp(v, 0.0f, 255.0f));
  }
}

float ScalarQuantizer::RowTerm(const uint8_t* code) const {
  double s = 0;
  for (size_t d = 0; d < mins_.size(); ++d) s += double(mins_[d]) * code[d];
  return static_cast<float>(s);
}

double ScalarQuantizer::QueryTerm(const float* q) const {
  double s = 0;
  for (size_t d = 0; d < mins_.size(); ++d) s += double(mins_[d]) * q[d];
  return s;
}

}  // namespace proximadb::index::quant
