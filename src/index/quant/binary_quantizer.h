// Binary quantization (1 bit per dimension) of rotated residuals.
//
// Every vector (rows, queries, centroids) is first rotated: zero-padded to
// P = the next power of two >= dim, then three rounds of random sign flips
// and a normalised Walsh-Hadamard transform (an orthonormal map, so L2
// distances and inner products are unchanged). The rotation spreads the
// variance over all P coordinates, so each bit carries about the same
// information (without it, bits on near-constant dimensions, such as the
// background pixels of Fashion-MNIST, say almost nothing). The signs are a
// fixed function of P (Rotate), not stored.
//
// In the rotated space, training runs a small k-means (K <= 64 centroids)
// on a sample of the rows; a row is coded
// as its nearest centroid c (one byte) and one bit per dimension of its
// residual r = x - c: b_d = (r_d > t_d), with t_d the mean residual of
// dimension d. The bits stand for r^_d = lo_d + b_d * delta_d, where lo_d and
// hi_d = lo_d + delta_d are the means of the residuals at or below and above
// t_d: per dimension the best two-level quantizer for that threshold.
// Coding the residual instead of the row is what lets the bits tell apart
// neighbours inside a cluster: a global threshold gives every row of a
// cluster nearly the same bits (measured: recall@10 of 0.56 within the best
// 3 % of the estimates on clustered 128-d data, against >= 0.95 with the
// residual; tests/index/binary_quantizer_test.cc).
//
// Distances are asymmetric: the query stays in float (rotated) and only the
// rows are coded. The estimate is the distance to the reconstruction
// x^ = c + r^:
//   |q - x^|^2 = |q - c|^2 - 2 <q, r^> + (2 <c, r^> + |r^|^2)
//   <q, x^>    = <q, c> + <q, r^>
//   <q, r^>    = sum_d q_d lo_d + sum_d b_d w_d,  w_d = q_d delta_d
// (Measured on Fashion-MNIST: scaling r^ per row to fit the row's own
// residual, by least squares or as RaBitQ's estimator does, or using the
// exact |r|^2 beside the reconstruction's <q, r^>, ranked worse than the
// reconstruction itself: recall@10 at ef 64 0.49-0.69 against 0.975.)
// Per query: a table of |q - c_k|^2 (or <q, c_k>) for the K centroids, and
// the weights w_d rounded to 4 bits, w_d ~ w0 + s * u_d with u_d in 0..15,
// kept as four bit planes P_k (bit d of P_k is bit k of u_d), so that
//   sum_d b_d w_d ~ w0 * |b| + s * sum_k 2^k |P_k & b|
// is 4 ANDs and popcounts per 64 dimensions (simd::KernelTable::bq_dot).
// Per row: the centroid byte and the term 2 <c, r^> + |r^|^2. Estimates
// only rank: searches re-score their candidates on the float vectors.
//
// Codes are (P + 63) / 64 little-endian 64-bit words per row, bit d % 64
// of word d / 64 for rotated coordinate d; the bits past P are zero.
//
// Thread-safety: immutable after Train/FromParts; the methods are const.
#pragma once

#include <algorithm>
#include <cfloat>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "index/vector_index.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::index::quant {

// A query prepared for one metric (BinaryQuantizer::Prepare).
struct BinaryQuery {
  // 4 planes of words() words each: planes[k * words + w] holds bit k of
  // u_d for the dimensions 64w..64w+63.
  std::vector<uint64_t> planes;
  float w0 = 0;    // weight of plane value 0
  float step = 0;  // weight of one unit of u_d
  double qlo = 0;  // sum_d q_d lo_d
  // Per centroid: |q - c_k|^2 (L2) or <q, c_k> (inner products).
  std::vector<double> centroid_terms;
};

class BinaryQuantizer {
 public:
  // Most centroids; their number is stored, so this may grow without a
  // format change up to 256 (one byte per row).
  static constexpr uint32_t kMaxCentroids = 16;
  // Rows k-means trains on (an even stride through the rows).
  static constexpr uint32_t kTrainSample = 16384;

  BinaryQuantizer() = default;

  // The rotated dimension P for a dimension, and the code words per row.
  static uint32_t RotatedDim(uint32_t dim);
  static size_t WordsFor(uint32_t dim) {
    return (size_t(RotatedDim(dim)) + 63) / 64;
  }
  // Writes the P rotated coordinates of the dim floats of x.
  static void Rotate(const float* x, uint32_t dim, float* out);

  // Centroids, thresholds and levels from rows [0, view.rows). Fails on an
  // empty view or non-finite values. Deterministic.
  static Result<BinaryQuantizer> Train(const VectorView& view);
  // From saved parameters, all in the rotated space of `dim` (validated:
  // P values each, 1..256 centroids, every value finite, lo <= hi).
  static Result<BinaryQuantizer> FromParts(uint32_t dim,
                                           std::vector<float> thresholds,
                                           std::vector<float> lo,
                                           std::vector<float> hi,
                                           std::vector<float> centroids);

  uint32_t dim() const { return dim_; }
  uint32_t rotated_dim() const {
    return static_cast<uint32_t>(thresholds_.size());
  }
  size_t words() const { return (thresholds_.size() + 63) / 64; }
  uint32_t centroid_count() const {
    return static_cast<uint32_t>(centroids_.size() / thresholds_.size());
  }
  const std::vector<float>& thresholds() const { return thresholds_; }
  const std::vector<float>& lo() const { return lo_; }
  const std::vector<float>& hi() const { return hi_; }
  const std::vector<float>& centroids() const { return centroids_; }

  // Writes words() words and the nearest centroid; returns the row term
  // 2 <c, r^> + |r^|^2 (used by L2).
  float Encode(const float* x, uint64_t* code, uint8_t* centroid) const;
  // The weights and centroid table of `q` for `metric` (cosine: as dot; the
  // caller divides by the norms).
  BinaryQuery Prepare(const float* q, Metric metric) const;
  // The estimate from bq_dot's results: L2 for euclidean, <q, x^> for the
  // inner products.
  static float Estimate(const BinaryQuery& q, Metric metric, uint8_t centroid,
                        uint32_t ones, uint32_t weighted, float row_term) {
    const double qr = q.qlo + double(q.w0) * ones + double(q.step) * weighted;
    const double v = metric == Metric::kEuclidean
                         ? q.centroid_terms[centroid] - 2.0 * qr + row_term
                         : q.centroid_terms[centroid] + qr;
    // Clamped like ScalarQuantizer: near kMaxSquaredNorm (util/limits.h) a
    // sum can leave the float range, and inf - inf would break the walk's
    // ordering.
    return static_cast<float>(std::clamp(v, -double(FLT_MAX), double(FLT_MAX)));
  }

 private:
  // Of a rotated vector.
  uint8_t Nearest(const float* y) const;

  uint32_t dim_ = 0;
  std::vector<float> thresholds_, lo_, hi_;  // P values each
  std::vector<float> centroids_;  // centroid_count() x dim, row-major
};

}  // namespace proximadb::index::quant
