// Scalar quantization to 8-bit codes (SQ8). Training finds each dimension's
// minimum and maximum; a value is coded as round((x - min_d) / step) in
// 0..255. The step is shared by all dimensions (the largest per-dimension
// range / 255) so that code space is the original space shifted and scaled
// uniformly: L2 and inner products on codes are then exact integer kernels
// (simd::KernelTable::l2_u8 / dot_u8) and rank like the float ones, up to the
// rounding error. Per-dimension steps would distort distances unless the
// kernel weighted every dimension, which costs the integer speed.
//
// Thread-safety: immutable after Train/FromParts; Encode is const.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "index/vector_index.h"
#include "proximadb/status.h"

namespace proximadb::index::quant {

class ScalarQuantizer {
 public:
  ScalarQuantizer() = default;

  // Min/max over rows [0, view.rows). Fails on an empty view.
  static Result<ScalarQuantizer> Train(const VectorView& view);
  // From saved parameters (validated: finite, step > 0).
  static Result<ScalarQuantizer> FromParts(std::vector<float> mins, float step);

  uint32_t dim() const { return static_cast<uint32_t>(mins_.size()); }
  float step() const { return step_; }
  const std::vector<float>& mins() const { return mins_; }

  // Values outside the trained range are clamped to 0 or 255.
  void Encode(const float* x, uint8_t* code) const;
  // sum_d min_d * code_d: the row's share of the inner-product correction.
  float RowTerm(const uint8_t* code) const;
  // sum_d q_d * min_d: the query's share. Double: for vectors near
  // kMaxSquaredNorm (util/limits.h) it can exceed the float range.
  double QueryTerm(const float* q) const;
  // Approximate <q, x> from q's code, x's code and the two terms above.
  // Computed in double and clamped to the float range: with vectors near
  // kMaxSquaredNorm a term can overflow float (and inf - inf is NaN, which
  // would break the graph walk's ordering). Only ranks: the final scores
  // are re-computed on the float vectors.
  float Dot(uint32_t dot_codes, float row_term, double query_term) const {
    const double step = step_;
    return ToFloat(query_term + step * row_term + step * step * dot_codes);
  }
  float L2(uint32_t l2_codes) const {
    return ToFloat(double(step_) * double(step_) * l2_codes);
  }
  // A code-space sum c with L2(c') >= bound for every c' >= c: what an
  // early-abandoning walk may stop at (may exceed the uint32 range).
  double L2CodeBound(float bound) const {
    const double s2 = double(step_) * double(step_);
    return std::ceil(double(bound) / s2) + 1.0;
  }

 private:
  static float ToFloat(double x) {
    return static_cast<float>(std::clamp(x, -double(FLT_MAX), double(FLT_MAX)));
  }

  std::vector<float> mins_;
  float step_ = 1;
};

}  // namespace proximadb::index::quant
