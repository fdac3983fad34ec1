// The read path: get, search (fan out over every source, merge), count,
// scroll.
#include <algorithm>
#include <cmath>
#include <unordered_set>

#include "collection/collection_impl.h"
#include "filter/index_plan.h"
#include "index/distance.h"

namespace proximadb {

namespace {

nlohmann::json ParseMetadata(std::string_view text) {
  auto j = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
  return j.is_discarded() ? nlohmann::json::object() : j;
}

// A search hit copied out of its source, so it stays valid after the source
// changes or goes away.
struct Hit {
  float distance;
  std::string id;
  std::string metadata_json;
  std::vector<float> vector;
};

// The planner's thresholds (docs/FILTERS.md, "How a filtered search is
// planned"; measured in docs/BENCHMARKS.md, "Filtered search"). A segment
// whose indexes list at most this many candidate rows (or this share of its
// rows) is searched by scanning exactly those rows: the scan costs one
// distance and one filter check per candidate (0.13 us each at 600
// candidates of 784 dimensions, 0.5 us at 6000 once the vectors no longer
// fit in cache), while a graph walk with a selective filter expands many
// rows it must reject; on a 60k Fashion-MNIST segment the two cross near
// 8 % selectivity (at 10 % the graph was 1.3x faster, at 1 % the scan 160x).
constexpr uint64_t kIndexScanMaxRows = 4096;
constexpr double kIndexScanMaxFraction = 0.05;
// Filtered graph searches widen the beam to about k / selectivity, so that
// the beam still holds enough accepted rows; capped to bound the latency.
constexpr uint32_t kMaxFilteredEf = 2048;

bool HitBefore(const Hit& a, const Hit& b) {
  return a.distance < b.distance || (a.distance == b.distance && a.id < b.id);
}

}  // namespace

StoredPoint CollectionImpl::Materialize(const Location& loc, bool with_vector,
                                        bool with_metadata) const {
  StoredPoint p;
  const uint32_t dim = config_.dimension;
  if (loc.kind == Location::kSegment) {
    const auto& s = *loc.seg->seg;
    p.id = std::string(s.id(loc.row));
    p.version = s.version(loc.row);
    if (with_vector)
      p.vector.assign(s.vector(loc.row), s.vector(loc.row) + dim);
    if (with_metadata) p.metadata = ParseMetadata(s.metadata_json(loc.row));
  } else {
    const Memtable& m = *loc.mem;
    p.id = std::string(m.id(loc.row));
    p.version = m.version(loc.row);
    if (with_vector)
      p.vector.assign(m.vector(loc.row), m.vector(loc.row) + dim);
    if (with_metadata) p.metadata = ParseMetadata(m.metadata(loc.row));
  }
  return p;
}

Result<StoredPoint> CollectionImpl::Get(const std::string& id) {
  std::shared_lock life(lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  std::shared_lock lock(state_mu_);
  Location loc = LocateLocked(id);
  if (!loc.live) return Status::NotFound("point '" + id + "' not found");
  return Materialize(loc, /*with_vector=*/true, /*with_metadata=*/true);
}

Result<SearchResult> CollectionImpl::Search(const SearchRequest& req) {
  std::shared_lock life(lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  PDB_RETURN_IF_ERROR(ValidateVector(req.vector, "query vector"));
  if (req.k < 1 || req.k > 10000) {
    return Status::InvalidArgument("k must be in 1..10000");
  }
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(req.filter));
  const Metric metric = config_.metric;
  const uint32_t dim = config_.dimension;
  index::SearchParams params;
  params.query = req.vector.data();
  params.query_norm = index::Norm(req.vector.data(), dim);
  params.k = req.k;
  params.ef_search = req.ef_search.value_or(0);
  params.exact = req.exact;

  SearchResult result;
  index::SearchCounters counters;
  std::vector<Hit> hits;
  std::vector<index::Candidate> cands;

  // Searches one memtable (live or frozen) and copies its hits out.
  auto search_mem = [&](const Memtable& m, const char* source) {
    cands.clear();
    const uint64_t distances_before = counters.distances_computed;
    index::FlatIndex flat(m.view(), metric);
    flat.Search(
        params,
        [&](uint32_t row) {
          return !m.dead(row) && filt.MatchesText(m.metadata(row));
        },
        &cands, &counters);
    for (const auto& c : cands) {
      Hit h{c.distance, std::string(m.id(c.row)), m.metadata(c.row), {}};
      if (req.include_vector)
        h.vector.assign(m.vector(c.row), m.vector(c.row) + dim);
      hits.push_back(std::move(h));
    }
    ++result.stats.sources_searched;
    if (req.explain) {
      // Memtables are small and unindexed: always a filtered exact scan.
      SourcePlan plan;
      plan.source = source;
      plan.rows = m.rows();
      plan.strategy = "exact_scan";
      plan.estimated_matches = m.rows();
      plan.matches = cands.size();
      plan.distances_computed = counters.distances_computed - distances_before;
      result.explain.push_back(std::move(plan));
    }
  };

  // The live memtable is scanned under the lock, in the same critical section
  // that snapshots the immutable sources: a flush that moves rows between
  // sources afterwards cannot make a point disappear from this search.
  std::shared_ptr<Memtable> frozen;
  std::vector<std::shared_ptr<LiveSegment>> segments;
  {
    std::shared_lock lock(state_mu_);
    frozen = frozen_;
    segments = segments_;
    search_mem(*mem_, "memtable");
  }
  if (frozen) search_mem(*frozen, "frozen_memtable");
  const uint32_t default_ef = config_.index.ef_search;
  for (const auto& ls : segments) {
    cands.clear();
    const segment::Segment& s = *ls->seg;
    const uint64_t n = s.size();
    const uint64_t distances_before = counters.distances_computed;
    SourcePlan plan;
    plan.source = "segment";
    plan.segment_id = s.segment_id();
    plan.rows = n;
    plan.estimated_matches = n;
    auto accept = [&](uint32_t row) {
      return !ls->dead(row) && filt.MatchesText(s.metadata_json(row));
    };
    std::shared_ptr<const SegmentPayloadIndex> payload =
        filt.empty() ? nullptr : ls->payload();
    if (payload) {
      plan.estimated_matches = filter::EstimateMatches(filt, *payload, n);
    }
    std::optional<std::vector<uint32_t>> rows;
    if (payload && (plan.estimated_matches <= kIndexScanMaxRows ||
                    plan.estimated_matches <= kIndexScanMaxFraction * n)) {
      rows = filter::CandidateRows(filt, *payload);
    }
    // The graph when it is built (and the query does not ask for exact
    // results), else the exact scan.
    std::shared_ptr<const index::VectorIndex> graph =
        req.exact ? nullptr : ls->graph();
    if (rows) {
      // Few candidates: score exactly those (always the true top k).
      plan.strategy = "index_scan";
      plan.candidates = rows->size();
      index::TopK top(req.k);
      for (uint32_t r : *rows) {
        if (!accept(r)) continue;
        ++plan.matches;
        const float d = index::InternalDistance(
            metric, params.query, params.query_norm, s.vector(r),
            s.norms() ? s.norms()[r] : 0.0f, dim);
        if (!top.full() || d < top.threshold()) top.Push({r, d});
      }
      counters.distances_computed += plan.matches;
      counters.points_scanned += plan.candidates;
      cands = top.Take();
    } else if (graph) {
      index::SearchParams p = params;
      const uint32_t base = std::max<uint32_t>(
          params.ef_search ? params.ef_search : default_ef, req.k);
      p.ef_search = base;
      plan.strategy = "hnsw";
      if (!filt.empty()) {
        // Widen the beam by the estimated selectivity (from an upper bound
        // on matches, so it errs narrow): the graph keeps only accepted rows
        // in its beam, so k / selectivity is plenty (measured: ef 64 already
        // gives recall 1.0 at 10 % on Fashion-MNIST; 2k / selectivity only
        // halved the QPS).
        plan.strategy = "hnsw_filtered";
        const double sel = std::max<double>(plan.estimated_matches, 1) /
                           std::max<double>(n, 1);
        const double want = req.k / sel;
        p.ef_search = static_cast<uint32_t>(std::clamp<double>(
            want, base, std::max<uint32_t>(base, kMaxFilteredEf)));
      }
      plan.ef = p.ef_search;
      // A graph whose reachable part holds fewer than k accepted rows falls
      // back to a scan inside the index, so k hits come back when k exist.
      graph->Search(p, accept, &cands, &counters);
      plan.matches = cands.size();
    } else {
      plan.strategy = "exact_scan";
      ls->index.Search(params, accept, &cands, &counters);
      plan.matches = cands.size();
    }
    for (const auto& c : cands) {
      Hit h{c.distance,
            std::string(s.id(c.row)),
            std::string(s.metadata_json(c.row)),
            {}};
      if (req.include_vector)
        h.vector.assign(s.vector(c.row), s.vector(c.row) + dim);
      hits.push_back(std::move(h));
    }
    ++result.stats.sources_searched;
    plan.distances_computed = counters.distances_computed - distances_before;
    if (req.explain) result.explain.push_back(std::move(plan));
  }

  // Vectors within kMaxSquaredNorm (util/limits.h) cannot score inf or NaN;
  // one stored before that bound existed can. Refuse the answer rather than
  // send a null score (and a NaN would break the sort's ordering).
  for (const Hit& h : hits) {
    if (!std::isfinite(h.distance)) {
      return Status::Internal("the score of point '" + h.id +
                              "' is not a finite number (its stored vector "
                              "is too large)");
    }
  }
  std::sort(hits.begin(), hits.end(), HitBefore);
  std::unordered_set<std::string_view> seen;
  for (auto& h : hits) {
    if (result.hits.size() >= req.k) break;
    if (!seen.insert(h.id).second) continue;  // defensive: one copy per id
    SearchHit out;
    out.id = h.id;
    out.score = index::ScoreFromDistance(metric, h.distance);
    if (req.include_metadata) out.metadata = ParseMetadata(h.metadata_json);
    out.vector = std::move(h.vector);
    result.hits.push_back(std::move(out));
  }
  result.stats.distances_computed = counters.distances_computed;
  result.stats.points_scanned = counters.points_scanned;
  result.stats.nodes_visited = counters.nodes_visited;
  return result;
}

Result<uint64_t> CollectionImpl::Count(const nlohmann::json& filter_spec) {
  std::shared_lock life(lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(filter_spec));
  std::shared_lock lock(state_mu_);
  if (filt.empty()) {
    uint64_t n = mem_->live() + (frozen_ ? frozen_->live() : 0);
    for (const auto& s : segments_) n += s->live();
    return n;
  }
  uint64_t n = 0;
  auto count_mem = [&](const Memtable& m) {
    for (uint32_t r = 0; r < m.rows(); ++r) {
      if (!m.dead(r) && filt.MatchesText(m.metadata(r))) ++n;
    }
  };
  count_mem(*mem_);
  if (frozen_) count_mem(*frozen_);
  for (const auto& s : segments_) {
    for (size_t r = 0; r < s->seg->size(); ++r) {
      if (!s->dead(r) && filt.MatchesText(s->seg->metadata_json(r))) ++n;
    }
  }
  return n;
}

Result<ScrollPage> CollectionImpl::Scroll(const ScrollRequest& req) {
  std::shared_lock life(lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  if (req.limit < 1 || req.limit > 10000) {
    return Status::InvalidArgument("limit must be in 1..10000");
  }
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(req.filter));
  // Each source yields its first limit+1 live matches after the cursor, in id
  // order; ids are unique across sources (one live version per id), so the
  // merged, sorted first `limit` are the page, and a (limit+1)th means more.
  const size_t want = static_cast<size_t>(req.limit) + 1;
  std::vector<std::pair<std::string, Location>> found;
  std::shared_lock lock(state_mu_);
  auto from_mem = [&](Memtable* m, Location::Kind kind) {
    size_t got = 0;
    m->ScanLiveFrom(req.after_id, [&](uint32_t row) {
      if (!filt.MatchesText(m->metadata(row))) return true;
      found.push_back({std::string(m->id(row)), {kind, m, nullptr, row, true}});
      return ++got < want;
    });
  };
  from_mem(mem_.get(), Location::kMemtable);
  if (frozen_) from_mem(frozen_.get(), Location::kFrozen);
  for (const auto& s : segments_) {
    const auto& seg = *s->seg;
    size_t row = req.after_id.empty() ? 0 : seg.LowerBound(req.after_id);
    if (row < seg.size() && !req.after_id.empty() &&
        seg.id(row) == req.after_id) {
      ++row;
    }
    size_t got = 0;
    for (; row < seg.size() && got < want; ++row) {
      if (s->dead(row) || !filt.MatchesText(seg.metadata_json(row))) continue;
      found.push_back({std::string(seg.id(row)),
                       {Location::kSegment, nullptr, s.get(),
                        static_cast<uint32_t>(row), true}});
      ++got;
    }
  }
  std::sort(found.begin(), found.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  ScrollPage page;
  for (size_t i = 0; i < found.size() && i < req.limit; ++i) {
    page.points.push_back(
        Materialize(found[i].second, req.include_vector, true));
  }
  if (found.size() > req.limit) page.next_after_id = page.points.back().id;
  return page;
}

}  // namespace proximadb
