// Search by a named vector (SearchRequest::using_vector): exact, under one
// shared lock. Every memtable and segment row holding a vector under the
// name is scored from its point vectors blob (index/sparse.h), which a cold
// segment's stub keeps, so no download is needed. A multivector name is
// scored by MaxSim: for each query vector the best of the row's vectors,
// summed (docs/API.md, "Named vectors and multi-vectors").
#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "collection/collection_impl.h"
#include "collection/point_check.h"
#include "filter/filter.h"
#include "index/distance.h"
#include "index/sparse.h"

namespace proximadb {

namespace {

// Scores rows against a query of `rows` vectors of `dim` values.
class NamedScorer {
 public:
  NamedScorer(const NamedVectorConfig& nv, const std::vector<float>& query,
              uint32_t rows)
      : metric_(nv.metric), dim_(nv.dimension), rows_(rows), query_(query) {
    norms_.resize(rows_);
    for (uint32_t q = 0; q < rows_; ++q) {
      norms_[q] = index::Norm(query_.data() + size_t{q} * dim_, dim_);
    }
  }

  // The client's score (see Metric; for a multi-vector the sum over the
  // query's vectors of the best per-vector score) of the row's vectors.
  // False for a vector of another dimension (never stored: checked at the
  // write).
  bool Score(const index::DenseRef& ref, double* score) {
    if (ref.dim != dim_) return false;
    row_.resize(size_t{ref.rows} * dim_);
    std::memcpy(row_.data(), ref.values, row_.size() * sizeof(float));
    row_norms_.resize(ref.rows);
    for (uint32_t r = 0; r < ref.rows; ++r) {
      row_norms_[r] = metric_ == Metric::kCosine
                          ? index::Norm(row_.data() + size_t{r} * dim_, dim_)
                          : 0.0f;
    }
    double total = 0;
    for (uint32_t q = 0; q < rows_; ++q) {
      const float* qv = query_.data() + size_t{q} * dim_;
      float best = 0;
      for (uint32_t r = 0; r < ref.rows; ++r) {
        const float d = index::InternalDistance(metric_, qv, norms_[q],
                                                row_.data() + size_t{r} * dim_,
                                                row_norms_[r], dim_);
        if (r == 0 || d < best) best = d;
      }
      total += index::ScoreFromDistance(metric_, best);
    }
    *score = total;
    return true;
  }

  // Ranks higher-is-better (euclidean distances are negated).
  double Rank(double score) const {
    return metric_ == Metric::kEuclidean ? -score : score;
  }

 private:
  Metric metric_;
  uint32_t dim_;
  uint32_t rows_;
  const std::vector<float>& query_;
  std::vector<float> norms_;
  std::vector<float> row_;
  std::vector<float> row_norms_;
};

}  // namespace

Result<SearchResult> CollectionImpl::NamedSearch(const SearchRequest& req) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  PDB_RETURN_IF_ERROR(CheckNamedQuery(config_.vectors, req));
  const NamedVectorConfig& nv =
      *FindNamedVector(config_.vectors, req.using_vector);
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(req.filter));
  ColdPins pins;
  for (;;) {
    std::vector<LiveSegment*> missing;
    PDB_ASSIGN_OR_RETURN(std::optional<SearchResult> r,
                         NamedSearchOnce(req, nv, filt, pins, &missing));
    if (r) return std::move(*r);
    PDB_RETURN_IF_ERROR(PinCold(missing, &pins));
  }
}

Result<std::optional<SearchResult>> CollectionImpl::NamedSearchOnce(
    const SearchRequest& req, const NamedVectorConfig& nv,
    const filter::Filter& filt, const ColdPins& pins,
    std::vector<LiveSegment*>* missing) {
  NamedScorer scorer(nv, req.vector,
                     req.vector_rows == 0 ? 1 : req.vector_rows);
  ScoredTopK best(req.k);
  uint64_t scored = 0, sources = 0;
  index::DenseRef ref;
  double score;
  auto consider = [&](std::string_view blob, std::string_view id,
                      const Location& loc, std::string_view metadata) {
    if (!index::FindDense(blob, nv.name, &ref) || !scorer.Score(ref, &score)) {
      return;
    }
    ++scored;
    const double rank = scorer.Rank(score);
    if (best.Wants(rank, id) && filt.MatchesText(metadata)) {
      best.Offer(ScoredRow{rank, id, loc});
    }
  };

  ReaderLock lock(&state_mu_);
  auto from_mem = [&](Memtable* m, Location::Kind kind) {
    ++sources;
    for (uint32_t r = 0; r < m->rows(); ++r) {
      if (m->dead(r)) continue;
      consider(m->sparse(r), m->id(r), Location{kind, m, nullptr, r, true},
               m->metadata(r));
    }
  };
  from_mem(mem_.get(), Location::kMemtable);
  if (frozen_) from_mem(frozen_.get(), Location::kFrozen);
  for (const auto& s : segments_) {
    ++sources;
    const auto& seg = *s->seg;
    for (uint32_t r = 0; r < seg.size(); ++r) {
      if (s->dead(r)) continue;
      consider(seg.sparse(r), seg.id(r),
               Location{Location::kSegment, nullptr, s.get(), r, true},
               seg.metadata_json(r));
    }
  }

  SearchResult result;
  if (!HitsLocked(best.Take(), req.include_vector, req.include_metadata, pins,
                  missing, &result)) {
    return std::optional<SearchResult>();
  }
  // HitsLocked reports the rank: euclidean distances come back positive.
  for (SearchHit& h : result.hits) {
    h.score = static_cast<float>(scorer.Rank(h.score));
  }
  result.stats.points_scanned = scored;
  result.stats.distances_computed = scored;
  result.stats.sources_searched = sources;
  return std::optional<SearchResult>(std::move(result));
}

}  // namespace proximadb
