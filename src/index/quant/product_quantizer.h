// Product quantization (Jegou, Douze & Schmid 2011) of residuals, as in
// their IVFADC: a coarse k-means of up to 256 centroids over whole rows,
// then the residual r = x - c of a row from its nearest centroid c is cut
// into M contiguous sub-vectors (subspace s covers [s * dim / M,
// (s + 1) * dim / M), so their widths differ by at most one), each with its
// own codebook of 256 centroids found by k-means on the sample's residuals.
// A row is coded as its centroid byte and M bytes, the number of the
// nearest codeword in every subspace: with 4 coordinates per subspace the
// codes are 16x smaller than the floats, with 8, 32x. Coding the residual
// is what lets the codes tell apart neighbours inside a cluster: codebooks
// over whole rows spend their 256 words on the spread between clusters
// (measured in docs/BENCHMARKS.md).
//
// Distances are asymmetric (ADC): the query q stays in float and the row
// stands for its reconstruction x^ = c + r^.
//   |q - x^|^2 = |q - c|^2 - 2 <q, r^> + (2 <c, r^> + |r^|^2)
//   <q, x^>    = <q, c> + <q, r^>
// Per query: the |q - c_j|^2 (or <q, c_j>) of the coarse centroids, and a
// table of M x 256 inner products of q's sub-vectors with the codewords;
// <q, r^> is the sum of the M table entries a row's code picks (Adc). Per
// row: the centroid byte and the term 2 <c, r^> + |r^|^2 (used by L2).
// Estimates only rank: searches re-score their candidates on the floats.
//
// The codebooks are stored as 256 x dim floats: the 256 codewords of
// subspace s, each of width w_s, row-major, start at float 256 * begin(s).
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

// A query prepared for one metric (ProductQuantizer::Prepare).
struct PqQuery {
  std::vector<float> table;  // M x 256: <q_s, codeword>
  // Per coarse centroid: |q - c_j|^2 (L2) or <q, c_j> (inner products).
  std::vector<float> centroid_terms;
};

class ProductQuantizer {
 public:
  // Codewords per subspace (one code byte).
  static constexpr uint32_t kCentroids = 256;
  // Most coarse centroids (one byte per row); the trainer uses one per 32
  // sampled rows up to this.
  static constexpr uint32_t kMaxCoarse = 256;
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

  // Coarse centroids and codebooks from rows [0, view.rows) with
  // `subspaces` sub-vectors (0: the default; at most dim). Fails on an empty
  // view or non-finite values. Deterministic.
  static Result<ProductQuantizer> Train(const VectorView& view,
                                        uint32_t subspaces);
  // From saved parts (validated: codebooks 256 x dim floats, 1..256 coarse
  // centroids of dim floats, every value finite, 1 <= subspaces <= dim).
  static Result<ProductQuantizer> FromParts(uint32_t dim, uint32_t subspaces,
                                            std::vector<float> codebooks,
                                            std::vector<float> coarse);

  uint32_t dim() const { return dim_; }
  // M: code bytes per row.
  uint32_t subspaces() const { return subspaces_; }
  uint32_t Begin(uint32_t s) const {
    return static_cast<uint32_t>(uint64_t(s) * dim_ / subspaces_);
  }
  const std::vector<float>& codebooks() const { return codebooks_; }
  const std::vector<float>& coarse() const { return coarse_; }
  uint32_t coarse_count() const {
    return static_cast<uint32_t>(coarse_.size() / dim_);
  }

  // Writes subspaces() code bytes and the nearest coarse centroid; returns
  // the row term 2 <c, r^> + |r^|^2.
  float Encode(const float* x, uint8_t* code, uint8_t* centroid) const;
  // The table and centroid terms of `q` for `metric` (cosine: as dot; the
  // caller divides by the norms).
  void Prepare(const float* q, Metric metric, PqQuery* out) const;
  // The estimate from a row's Adc sum: squared L2 for euclidean, <q, x^>
  // for the inner products.
  static float Estimate(const PqQuery& q, Metric metric, uint8_t centroid,
                        float adc, float row_term) {
    const double ct = q.centroid_terms[centroid];
    const double v =
        metric == Metric::kEuclidean ? ct - 2.0 * adc + row_term : ct + adc;
    // Clamped like BinaryQuantizer::Estimate (inf - inf would break the
    // walk's ordering).
    return static_cast<float>(std::clamp(v, -double(FLT_MAX), double(FLT_MAX)));
  }
  // Sum of the table entries `code` picks: <q, r^>.
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
  // The nearest codeword of subspace s to the sub-vector y (width w).
  uint8_t Nearest(uint32_t s, const float* y) const;
  void Finish();  // derives transposed_ and sq_norms_ from codebooks_

  uint32_t dim_ = 0;
  uint32_t subspaces_ = 0;
  std::vector<float> codebooks_;  // 256 x dim, see the file comment
  std::vector<float> coarse_;     // coarse_count() x dim, row-major
  // Per subspace, the codebook transposed (w x 256, at 256 * begin) and the
  // 256 squared centroid norms (at 256 * s): nearest-centroid search as
  // |c|^2 - 2 <y, c> over all 256 centroids at once.
  std::vector<float> transposed_;
  std::vector<float> sq_norms_;
};

}  // namespace proximadb::index::quant
