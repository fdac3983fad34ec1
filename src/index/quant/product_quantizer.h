// Product quantization (Jegou, Douze & Schmid 2011): the dim coordinates are
// cut into M contiguous sub-vectors (subspace s covers [s * dim / M,
// (s + 1) * dim / M), so their widths differ by at most one), each with its
// own codebook of 256 centroids found by k-means on a sample of the rows.
// A row is coded as M bytes, the number of the nearest centroid in every
// subspace: with 4 coordinates per subspace that is 16x smaller than the
// floats, with 8, 32x.
//
// Distances are asymmetric (ADC): the query stays in float. Per query a
// table of M x 256 floats holds, for every subspace and centroid, the
// squared L2 distance (euclidean) or the inner product (dot, cosine) of the
// query's sub-vector and the centroid; the distance to a row's
// reconstruction is the sum of the M table entries its code picks (Adc).
// Estimates only rank: searches re-score their candidates on the floats.
//
// The codebooks are stored as 256 x dim floats: the 256 centroids of
// subspace s, each of width w_s, row-major, start at float 256 * begin(s).
//
// Thread-safety: immutable after Train/FromParts; the methods are const.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "index/vector_index.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::index::quant {

class ProductQuantizer {
 public:
  static constexpr uint32_t kCentroids = 256;
  // Rows k-means trains on (an even stride through the rows): 32 per
  // centroid.
  static constexpr uint32_t kTrainSample = 32 * kCentroids;
  // Coordinates per subspace when the caller leaves M to us: 4 (16x smaller
  // codes than floats; measured in docs/BENCHMARKS.md).
  static constexpr uint32_t kDefaultWidth = 4;

  ProductQuantizer() = default;

  // M for a dimension when none is asked for: ceil(dim / kDefaultWidth).
  static uint32_t DefaultSubspaces(uint32_t dim) {
    return (dim + kDefaultWidth - 1) / kDefaultWidth;
  }

  // Codebooks from rows [0, view.rows) with `subspaces` sub-vectors (0: the
  // default; at most dim). Fails on an empty view or non-finite values.
  // Deterministic.
  static Result<ProductQuantizer> Train(const VectorView& view,
                                        uint32_t subspaces);
  // From saved codebooks (256 x dim floats, validated: finite, 1 <=
  // subspaces <= dim).
  static Result<ProductQuantizer> FromParts(uint32_t dim, uint32_t subspaces,
                                            std::vector<float> codebooks);

  uint32_t dim() const { return dim_; }
  // M: code bytes per row.
  uint32_t subspaces() const { return subspaces_; }
  uint32_t Begin(uint32_t s) const {
    return static_cast<uint32_t>(uint64_t(s) * dim_ / subspaces_);
  }
  const std::vector<float>& codebooks() const { return codebooks_; }

  // Writes subspaces() bytes.
  void Encode(const float* x, uint8_t* code) const;
  // The ADC table of `q` (subspaces() x 256 floats) for `metric` (cosine:
  // as dot; the caller divides by the norms).
  void Prepare(const float* q, Metric metric, std::vector<float>* table) const;
  // Sum of the table entries `code` picks: squared L2 (euclidean) or the
  // inner product (dot, cosine) to the row's reconstruction.
  static float Adc(const float* table, const uint8_t* code, uint32_t m) {
    float a0 = 0, a1 = 0, a2 = 0, a3 = 0;
    uint32_t s = 0;
    for (; s + 4 <= m; s += 4, table += 4 * kCentroids) {
      a0 += table[code[s]];
      a1 += table[kCentroids + code[s + 1]];
      a2 += table[2 * kCentroids + code[s + 2]];
      a3 += table[3 * kCentroids + code[s + 3]];
    }
    for (; s < m; ++s, table += kCentroids) a0 += table[code[s]];
    return (a0 + a1) + (a2 + a3);
  }

 private:
  // The nearest centroid of subspace s to the sub-vector y (width w).
  uint8_t Nearest(uint32_t s, const float* y) const;
  void Finish();  // derives transposed_ and sq_norms_ from codebooks_

  uint32_t dim_ = 0;
  uint32_t subspaces_ = 0;
  std::vector<float> codebooks_;  // 256 x dim, see the file comment
  // Per subspace, the codebook transposed (w x 256, at 256 * begin) and the
  // 256 squared centroid norms (at 256 * s): nearest-centroid search as
  // |c|^2 - 2 <y, c> over all 256 centroids at once.
  std::vector<float> transposed_;
  std::vector<float> sq_norms_;
};

}  // namespace proximadb::index::quant
