// Search by a named vector (SearchRequest::using_vector), under one shared
// lock. Memtable rows are scanned; each segment is planned like a search of
// the main vector (search_planner.h): the name's HNSW graph
// (collection_named_graph.cc) once built, an index scan for a selective
// filter, else a scan. Every point found is scored exactly from its point
// vectors blob (index/sparse.h), which a cold segment's stub keeps, so no
// download is needed. A multivector name is scored by MaxSim: for each
// query vector the best of the row's vectors, summed (docs/API.md, "Named
// vectors and multi-vectors"); its graph holds every row of every matrix,
// and the points of each query vector's nearest rows are the candidates.
#include <algorithm>
#include <cstring>
#include <string_view>
#include <vector>

#include "collection/collection_impl.h"
#include "collection/point_check.h"
#include "collection/search_planner.h"
#include "filter/filter.h"
#include "filter/index_plan.h"
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
  const uint32_t query_rows = req.vector_rows == 0 ? 1 : req.vector_rows;
  NamedScorer scorer(nv, req.vector, query_rows);
  ScoredTopK best(req.k);
  index::SearchCounters counters;
  SearchResult result;
  index::DenseRef ref;
  double score;
  // Scores the row's vectors under the name (if it has them) and keeps it
  // when it is among the best and passes the filter.
  auto consider = [&](std::string_view blob, std::string_view id,
                      const Location& loc, std::string_view metadata) {
    if (!index::FindDense(blob, nv.name, &ref) || !scorer.Score(ref, &score)) {
      return;
    }
    ++counters.distances_computed;
    const double rank = scorer.Rank(score);
    if (best.Wants(rank, id) && filt.MatchesText(metadata)) {
      best.Offer(ScoredRow{rank, id, loc});
    }
  };
  auto explain = [&](const char* source, uint64_t segment_id,
                     const SourceFacts& f, const SearchPlan& plan,
                     uint64_t candidates, uint64_t distances_before) {
    if (!req.explain) return;
    SourcePlan e;
    e.source = source;
    e.segment_id = segment_id;
    e.rows = f.rows;
    e.strategy = StrategyName(plan.strategy);
    e.estimated_matches = f.estimated_matches;
    e.candidates = candidates;
    e.ef = plan.ef;
    e.distances_computed = counters.distances_computed - distances_before;
    result.explain.push_back(std::move(e));
  };

  ReaderLock lock(&state_mu_);
  // Memtables: every row scanned.
  auto from_mem = [&](Memtable* m, Location::Kind kind, const char* name) {
    ++result.stats.sources_searched;
    const uint64_t before = counters.distances_computed;
    for (uint32_t r = 0; r < m->rows(); ++r) {
      if (m->dead(r)) continue;
      ++counters.points_scanned;
      consider(m->sparse(r), m->id(r), Location{kind, m, nullptr, r, true},
               m->metadata(r));
    }
    SourceFacts f;
    f.memtable = true;
    f.rows = f.estimated_matches = m->rows();
    explain(name, 0, f, SearchPlan{}, 0, before);
  };
  from_mem(mem_.get(), Location::kMemtable, "memtable");
  if (frozen_) from_mem(frozen_.get(), Location::kFrozen, "frozen_memtable");

  // Segments: planned as the main vector's search is (search_planner.h) on
  // the name's graph; whatever a plan finds is scored exactly.
  std::vector<uint32_t> found;  // segment rows a graph walk found
  std::vector<index::Candidate> hits;
  for (const auto& s : segments_) {
    ++result.stats.sources_searched;
    const auto& seg = *s->seg;
    const std::shared_ptr<const NamedGraph> graph = s->named_graph(nv.name);
    const std::shared_ptr<const SegmentPayloadIndex> payload =
        filt.empty() ? nullptr : s->payload();
    SourceFacts f;
    f.rows = seg.size();
    f.filtered = !filt.empty();
    f.estimated_matches = f.rows;
    if (payload) {
      auto bound = filter::BoundMatches(filt, *payload, f.rows);
      f.indexes_bound_matches = bound.has_value();
      f.estimated_matches = bound.value_or(f.rows);
    }
    f.graph = graph != nullptr;
    f.exact = req.exact;
    f.k = req.k;
    f.ef_search = req.ef_search.value_or(0);
    f.default_ef = nv.index.ef_search;
    const SearchPlan plan = PlanSearch(f);
    const uint64_t before = counters.distances_computed;
    auto row = [&](uint32_t r) {
      consider(seg.sparse(r), seg.id(r),
               Location{Location::kSegment, nullptr, s.get(), r, true},
               seg.metadata_json(r));
    };
    uint64_t candidates = 0;
    std::optional<std::vector<uint32_t>> listed;
    if (plan.strategy == SearchStrategy::kIndexScan && payload) {
      listed = filter::CandidateRows(filt, *payload);
    }
    if (listed) {
      candidates = listed->size();
      counters.points_scanned += listed->size();
      for (uint32_t r : *listed) {
        if (!s->dead(r)) row(r);
      }
    } else if ((plan.strategy == SearchStrategy::kHnsw ||
                plan.strategy == SearchStrategy::kHnswFiltered) &&
               graph) {
      // The graph rows of live points that pass the filter; for a
      // multivector, each query vector's best `ef` rows (of any point's
      // matrix) nominate their points, which MaxSim then ranks.
      const index::RowFilter accept = [&](uint32_t g) {
        const uint32_t r = graph->row_of[g];
        // No filter: liveness only, without reading the row's metadata
        // (as the main walk's Acceptor).
        return !s->dead(r) &&
               (filt.empty() || filt.MatchesText(seg.metadata_json(r)));
      };
      index::SearchParams p;
      p.k = nv.multivector ? std::max(plan.ef, req.k) : req.k;
      p.ef_search = plan.ef;
      found.clear();
      for (uint32_t q = 0; q < query_rows; ++q) {
        p.query = req.vector.data() + size_t{q} * nv.dimension;
        p.query_norm = index::Norm(p.query, nv.dimension);
        hits.clear();
        graph->graph->Search(p, accept, &hits, &counters);
        for (const index::Candidate& c : hits) {
          found.push_back(graph->row_of[c.row]);
        }
      }
      std::sort(found.begin(), found.end());
      found.erase(std::unique(found.begin(), found.end()), found.end());
      candidates = found.size();
      for (uint32_t r : found) row(r);
    } else {
      for (uint32_t r = 0; r < seg.size(); ++r) {
        if (s->dead(r)) continue;
        ++counters.points_scanned;
        row(r);
      }
    }
    explain("segment", seg.segment_id(), f, plan, candidates, before);
  }

  if (!HitsLocked(best.Take(), req.include_vector, req.include_metadata, pins,
                  missing, &result)) {
    return std::optional<SearchResult>();
  }
  // HitsLocked reports the rank: euclidean distances come back positive.
  for (SearchHit& h : result.hits) {
    h.score = static_cast<float>(scorer.Rank(h.score));
  }
  result.stats.points_scanned = counters.points_scanned;
  result.stats.distances_computed = counters.distances_computed;
  result.stats.nodes_visited = counters.nodes_visited;
  result.stats.partitions_pruned = counters.partitions_pruned;
  return std::optional<SearchResult>(std::move(result));
}

}  // namespace proximadb
