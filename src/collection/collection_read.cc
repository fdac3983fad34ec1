// The read path: get, search (fan out over every source, plan and execute
// each one, merge), count, scroll.
#include <algorithm>
#include <atomic>
#include <cmath>
#include <map>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>

#include "collection/collection_impl.h"
#include "collection/point_check.h"
#include "collection/search_executor.h"
#include "collection/search_planner.h"
#include "index/distance.h"
#include "index/sparse.h"
#include "index/top_k.h"
#include "util/limits.h"

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
  std::string blob;  // point vectors blob (index/sparse.h), with `vector`
};

// The final ranking: the smaller distance first, ties by id.
struct HitBefore {
  bool operator()(const Hit* a, const Hit* b) const {
    return a->distance < b->distance ||
           (a->distance == b->distance && a->id < b->id);
  }
};

// The k best of every source's hits, one copy per id (defensive: ids are
// unique across sources), as the response's hits.
Result<std::vector<SearchHit>> MergeHits(std::vector<Hit>& hits,
                                         const SearchRequest& req,
                                         Metric metric) {
  // Vectors within kMaxSquaredNorm (util/limits.h) cannot score inf or NaN;
  // one stored before that bound existed can. Refuse the answer rather than
  // send a null score (and a NaN would break the ranking's ordering).
  for (const Hit& h : hits) {
    if (!std::isfinite(h.distance)) {
      return Status::Internal("the score of point '" + h.id +
                              "' is not a finite number (its stored vector "
                              "is too large)");
    }
  }
  std::unordered_map<std::string_view, Hit*> best_copy;
  for (Hit& h : hits) {
    auto [it, fresh] = best_copy.try_emplace(h.id, &h);
    if (!fresh && HitBefore()(&h, it->second)) it->second = &h;
  }
  index::BestK<Hit*, HitBefore> top(req.k);
  for (const auto& [id, h] : best_copy) top.Push(h);
  std::vector<SearchHit> out;
  for (Hit* h : top.Take()) {
    SearchHit o;
    o.id = h->id;
    o.score = index::ScoreFromDistance(metric, h->distance);
    if (req.include_metadata) o.metadata = ParseMetadata(h->metadata_json);
    o.vector = std::move(h->vector);
    // Written by this engine and checked at open: cannot fail.
    (void)index::DecodePointVectors(h->blob, &o.sparse_vectors,
                                    &o.named_vectors);
    out.push_back(std::move(o));
  }
  return out;
}

// One search over a collection's sources: plans and executes each source
// (search_planner.h, search_executor.h), copies its hits out, keeps the
// statistics and the explain output, and merges at the end.
class SearchRun {
 public:
  SearchRun(const SearchRequest& req, const SearchQuery& query,
            uint32_t default_ef)
      : req_(req), query_(query), default_ef_(default_ef) {}

  // How this run searches `src`: Plan, then Execute (or, for a scan shared
  // with other runs, Record of its outcome).
  struct Planned {
    SourceFacts facts;
    SearchPlan plan;
    uint64_t distances_before = 0;
  };
  Planned Plan(const SearchSource& src) const {
    Planned p;
    p.facts = DescribeSource(src, query_, default_ef_);
    p.plan = PlanSearch(p.facts);
    p.distances_before = counters_.distances_computed;
    return p;
  }
  Status Execute(const SearchSource& src, const Planned& p) {
    PDB_ASSIGN_OR_RETURN(SourceOutcome found,
                         ExecutePlan(p.plan, query_, src, &counters_));
    Record(src, p, found);
    return Status::OK();
  }
  void Record(const SearchSource& src, const Planned& p,
              const SourceOutcome& found) {
    CopyHits(src, found.hits);
    ++result_.stats.sources_searched;
    if (req_.explain) {
      SourcePlan e;
      e.source = src.name();
      e.segment_id = src.segment_id();
      e.rows = p.facts.rows;
      e.strategy = StrategyName(p.plan.strategy);
      e.estimated_matches = p.facts.estimated_matches;
      e.candidates = found.candidates;
      e.matches = found.matches;
      e.ef = p.plan.ef;
      e.distances_computed = counters_.distances_computed - p.distances_before;
      result_.explain.push_back(std::move(e));
    }
  }
  const SearchQuery& query() const { return query_; }
  index::SearchCounters* counters() { return &counters_; }

  Result<SearchResult> Finish() {
    PDB_ASSIGN_OR_RETURN(result_.hits, MergeHits(hits_, req_, query_.metric));
    result_.stats.distances_computed = counters_.distances_computed;
    result_.stats.points_scanned = counters_.points_scanned;
    result_.stats.nodes_visited = counters_.nodes_visited;
    result_.stats.partitions_pruned = counters_.partitions_pruned;
    return std::move(result_);
  }

 private:
  void CopyHits(const SearchSource& src,
                const std::vector<index::Candidate>& found) {
    for (const auto& c : found) {
      Hit h{c.distance,
            std::string(src.id(c.row)),
            std::string(src.metadata(c.row)),
            {},
            {}};
      if (req_.include_vector) {
        const float* v = src.vector(c.row);
        h.vector.assign(v, v + query_.dim);
        h.blob = src.blob(c.row);
      }
      hits_.push_back(std::move(h));
    }
  }

  const SearchRequest& req_;
  const SearchQuery& query_;
  const uint32_t default_ef_;
  index::SearchCounters counters_;
  std::vector<Hit> hits_;
  SearchResult result_;
};

// Searches `src` for every run of a batch. The runs whose plan is an exact
// scan share one pass over the source's vectors (ExactScanMany); the others
// (graph walks, index scans) search it one by one.
Status SearchSourceForAll(std::span<SearchRun> runs, const SearchSource& src) {
  if (runs.size() == 1) return runs[0].Execute(src, runs[0].Plan(src));
  std::vector<SearchRun::Planned> planned;
  planned.reserve(runs.size());
  std::vector<size_t> scans;
  for (size_t i = 0; i < runs.size(); ++i) {
    planned.push_back(runs[i].Plan(src));
    if (planned[i].plan.strategy == SearchStrategy::kExactScan) {
      scans.push_back(i);
    }
  }
  if (scans.size() >= 2) {
    std::vector<const SearchQuery*> queries;
    std::vector<index::SearchCounters*> counters;
    for (size_t i : scans) {
      queries.push_back(&runs[i].query());
      counters.push_back(runs[i].counters());
    }
    std::vector<SourceOutcome> found = ExactScanMany(queries, src, counters);
    for (size_t j = 0; j < scans.size(); ++j) {
      runs[scans[j]].Record(src, planned[scans[j]], found[j]);
    }
  }
  for (size_t i = 0; i < runs.size(); ++i) {
    if (scans.size() >= 2 &&
        planned[i].plan.strategy == SearchStrategy::kExactScan) {
      continue;
    }
    PDB_RETURN_IF_ERROR(runs[i].Execute(src, planned[i]));
  }
  return Status::OK();
}

}  // namespace

Result<std::vector<SearchResult>> Collection::SearchBatch(
    const std::vector<SearchRequest>& requests) {
  std::vector<SearchResult> out;
  out.reserve(requests.size());
  for (size_t i = 0; i < requests.size(); ++i) {
    Result<SearchResult> r = Search(requests[i]);
    if (!r.ok()) {
      return Status(r.status().code(), "queries[" + std::to_string(i) +
                                           "]: " + r.status().message());
    }
    out.push_back(std::move(r).value());
  }
  return out;
}

const float* CollectionImpl::VectorLocked(const Location& loc,
                                          const ColdPins& pins) const {
  if (loc.kind != Location::kSegment) return loc.mem->vector(loc.row);
  if (!loc.seg->cold()) return loc.seg->seg->vector(loc.row);
  const ColdVectors* v = pins.Find(loc.seg);
  return v ? v->full->vector(loc.row) : nullptr;
}

std::string_view CollectionImpl::SparseLocked(const Location& loc) const {
  if (loc.kind != Location::kSegment) return loc.mem->sparse(loc.row);
  return loc.seg->seg->sparse(loc.row);
}

bool CollectionImpl::ColdPins::Need(const Location& loc,
                                    std::vector<LiveSegment*>* missing) const {
  if (loc.kind != Location::kSegment || !loc.seg->cold() || Find(loc.seg)) {
    return false;
  }
  if (std::find(missing->begin(), missing->end(), loc.seg) == missing->end()) {
    missing->push_back(loc.seg);
  }
  return true;
}

Status CollectionImpl::PinCold(const std::vector<LiveSegment*>& missing,
                               ColdPins* pins) {
  std::vector<std::shared_ptr<LiveSegment>> segs;
  {
    ReaderLock lock(&state_mu_);
    for (LiveSegment* m : missing) {
      for (const auto& s : segments_) {
        if (s.get() == m) segs.push_back(s);
      }
    }
  }
  // A segment no longer listed (moved meanwhile) is looked up again by the
  // caller's next attempt; so is one that failed to load because it was
  // moved out of cold meanwhile.
  for (const auto& s : segs) {
    auto v = ColdVectorsOf(*s);
    if (!v.ok() && !Listed(s.get())) continue;
    PDB_RETURN_IF_ERROR(v.status());
    pins->pins.push_back({s, std::move(v).value()});
  }
  return Status::OK();
}

const ColdVectors* CollectionImpl::ColdPins::Find(
    const LiveSegment* seg) const {
  for (const auto& [s, v] : pins) {
    if (s.get() == seg) return v.get();
  }
  return nullptr;
}

StoredPoint CollectionImpl::MaterializeLocked(const Location& loc,
                                              bool with_vector,
                                              bool with_metadata,
                                              const ColdPins& pins) const {
  StoredPoint p;
  if (loc.kind == Location::kSegment) {
    const auto& s = *loc.seg->seg;
    p.id = std::string(s.id(loc.row));
    p.version = s.version(loc.row);
    if (with_metadata) p.metadata = ParseMetadata(s.metadata_json(loc.row));
  } else {
    const Memtable& m = *loc.mem;
    p.id = std::string(m.id(loc.row));
    p.version = m.version(loc.row);
    if (with_metadata) p.metadata = ParseMetadata(m.metadata(loc.row));
  }
  if (with_vector) {
    const float* v = VectorLocked(loc, pins);
    p.vector.assign(v, v + config_.dimension);
    // Validated blobs (the WAL's and the segment's checksums): a failure
    // here would be a bug, and the vectors are then left out.
    (void)index::DecodePointVectors(SparseLocked(loc), &p.sparse_vectors,
                                    &p.named_vectors);
  }
  p.expires_at_micros = ExpiresAtLocked(loc);
  return p;
}

Result<StoredPoint> CollectionImpl::Get(const std::string& id) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  // A point in a cold segment needs its vectors, which are fetched without
  // the lock; then the lookup runs again (the point may have changed).
  ColdPins pins;
  for (;;) {
    std::vector<LiveSegment*> missing;
    {
      ReaderLock lock(&state_mu_);
      Location loc = LocateLocked(id);
      if (!loc.live) return Status::NotFound("point '" + id + "' not found");
      if (!pins.Need(loc, &missing)) {
        return MaterializeLocked(loc, /*with_vector=*/true,
                                 /*with_metadata=*/true, pins);
      }
    }
    PDB_RETURN_IF_ERROR(PinCold(missing, &pins));
  }
}

Result<SearchResult> CollectionImpl::Search(const SearchRequest& req) {
  if (!req.using_vector.empty()) return NamedSearch(req);
  PDB_ASSIGN_OR_RETURN(std::vector<SearchResult> results,
                       SearchAll(std::span(&req, 1), /*label=*/false));
  return std::move(results[0]);
}

Result<std::vector<SearchResult>> CollectionImpl::SearchBatch(
    const std::vector<SearchRequest>& requests) {
  const bool any_named = std::any_of(
      requests.begin(), requests.end(),
      [](const SearchRequest& r) { return !r.using_vector.empty(); });
  if (!any_named) return SearchAll(requests, /*label=*/true);
  // Named vectors are searched one query at a time (an exact scan each).
  return Collection::SearchBatch(requests);
}

Result<std::vector<SearchResult>> CollectionImpl::SearchAll(
    std::span<const SearchRequest> reqs, bool label) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  auto named = [label](size_t i, const Status& s) {
    return label ? Status(s.code(),
                          "queries[" + std::to_string(i) + "]: " + s.message())
                 : s;
  };
  std::vector<filter::Filter> filters;
  filters.reserve(reqs.size());
  bool any_filter = false;
  for (size_t i = 0; i < reqs.size(); ++i) {
    const SearchRequest& req = reqs[i];
    Status valid = ValidateVector(req.vector, "query vector");
    if (!valid.ok()) return named(i, valid);
    if (req.k < 1 || req.k > kMaxK) {
      return named(i, Status::InvalidArgument("k must be in 1.." +
                                              std::to_string(kMaxK)));
    }
    Result<filter::Filter> filt = filter::Filter::Parse(req.filter);
    if (!filt.ok()) return named(i, filt.status());
    filters.push_back(std::move(filt).value());
    any_filter = any_filter || !filters.back().empty();
  }
  const std::shared_ptr<const LayoutSettings> layout = Layout();
  std::vector<SearchQuery> queries(reqs.size());
  for (size_t i = 0; i < reqs.size(); ++i) {
    SearchQuery& query = queries[i];
    query.filter = &filters[i];
    query.metric = config_.metric;
    query.dim = config_.dimension;
    query.params.query = reqs[i].vector.data();
    query.params.query_norm = index::Norm(reqs[i].vector.data(), query.dim);
    query.params.k = reqs[i].k;
    query.params.ef_search = reqs[i].ef_search.value_or(0);
    // The collection's nprobe unless the request sets one (0: each IVF
    // index's own default).
    query.params.nprobe = reqs[i].nprobe.value_or(layout->index.nprobe);
    query.params.exact = reqs[i].exact;
  }
  // A cold segment moved out of cold while this search runs may fail its
  // fetch (its object is gone): then the search starts again, on the
  // segments as they are now.
  for (int attempt = 0;; ++attempt) {
    std::vector<SearchRun> runs;
    runs.reserve(reqs.size());
    for (size_t i = 0; i < reqs.size(); ++i) {
      runs.emplace_back(reqs[i], queries[i], layout->index.ef_search);
    }
    // The live memtable is scanned under the lock, in the same critical
    // section that snapshots the immutable sources: a flush that moves
    // rows between sources afterwards cannot make a point disappear from
    // this search.
    std::shared_ptr<Memtable> frozen;
    std::vector<std::shared_ptr<LiveSegment>> segments;
    {
      ReaderLock lock(&state_mu_);
      frozen = frozen_;
      segments = segments_;
      PDB_RETURN_IF_ERROR(SearchSourceForAll(
          runs, SearchSource::OfMemtable(*mem_, "memtable")));
    }
    if (frozen) {
      PDB_RETURN_IF_ERROR(SearchSourceForAll(
          runs, SearchSource::OfMemtable(*frozen, "frozen_memtable")));
    }
    // Cold segments not loaded yet are fetched and decoded in parallel:
    // the decode, not the transfer, is most of a cold miss.
    std::map<const LiveSegment*, Result<std::shared_ptr<const ColdVectors>>>
        fetched = LoadColdInParallel(segments);
    bool moved = false;
    for (const auto& ls : segments) {
      std::shared_ptr<const ColdVectors> cold;
      if (ls->cold()) {
        auto it = fetched.find(ls.get());
        auto v =
            it != fetched.end() ? std::move(it->second) : ColdVectorsOf(*ls);
        if (!v.ok() && attempt < 3 && !Listed(ls.get())) {
          moved = true;
          break;
        }
        PDB_RETURN_IF_ERROR(v.status());
        cold = std::move(v).value();
      }
      PDB_RETURN_IF_ERROR(SearchSourceForAll(
          runs, SearchSource::OfSegment(*ls, any_filter, std::move(cold))));
    }
    if (moved) continue;
    std::vector<SearchResult> out;
    out.reserve(runs.size());
    for (size_t i = 0; i < runs.size(); ++i) {
      Result<SearchResult> r = runs[i].Finish();
      if (!r.ok()) return named(i, r.status());
      out.push_back(std::move(r).value());
    }
    return out;
  }
}

std::map<const LiveSegment*, Result<std::shared_ptr<const ColdVectors>>>
CollectionImpl::LoadColdInParallel(
    const std::vector<std::shared_ptr<LiveSegment>>& segments) {
  std::vector<LiveSegment*> todo;
  for (const auto& s : segments) {
    if (s->cold() && !s->resident()) todo.push_back(s.get());
  }
  std::map<const LiveSegment*, Result<std::shared_ptr<const ColdVectors>>> out;
  if (todo.size() < 2) return out;  // the caller loads it in line
  std::vector<Result<std::shared_ptr<const ColdVectors>>> got(
      todo.size(), Status::Internal("not loaded"));
  std::atomic<size_t> next{0};
  auto work = [&] {
    for (size_t i; (i = next.fetch_add(1)) < todo.size();) {
      got[i] = ColdVectorsOf(*todo[i]);
    }
  };
  const size_t threads = std::min<size_t>(
      todo.size(), std::clamp<size_t>(std::thread::hardware_concurrency(), 1,
                                      kMaxColdLoadThreads));
  std::vector<std::thread> pool;
  for (size_t t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& t : pool) t.join();
  for (size_t i = 0; i < todo.size(); ++i) {
    out.emplace(todo[i], std::move(got[i]));
  }
  return out;
}

bool CollectionImpl::Listed(const LiveSegment* seg) const {
  ReaderLock lock(&state_mu_);
  for (const auto& s : segments_) {
    if (s.get() == seg) return true;
  }
  return false;
}

Result<uint64_t> CollectionImpl::Count(const nlohmann::json& filter_spec) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(filter_spec));
  ReaderLock lock(&state_mu_);
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
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  if (req.limit < 1 || req.limit > kMaxScrollLimit) {
    return Status::InvalidArgument("limit must be in 1.." +
                                   std::to_string(kMaxScrollLimit));
  }
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(req.filter));
  PDB_RETURN_IF_ERROR(CheckScrollOrder(req));
  // Points in cold segments need their vectors, fetched without the lock;
  // then the page is read again (points may have changed).
  ColdPins pins;
  for (;;) {
    std::vector<LiveSegment*> missing;
    PDB_ASSIGN_OR_RETURN(std::optional<ScrollPage> page,
                         req.order_by
                             ? ScrollOrderedOnce(req, filt, pins, &missing)
                             : ScrollOnce(req, filt, pins, &missing));
    if (page) return std::move(*page);
    PDB_RETURN_IF_ERROR(PinCold(missing, &pins));
  }
}

Result<std::optional<ScrollPage>> CollectionImpl::ScrollOnce(
    const ScrollRequest& req, const filter::Filter& filt, const ColdPins& pins,
    std::vector<LiveSegment*>* missing) {
  // Each source yields its first limit+1 live matches after the cursor, in id
  // order; ids are unique across sources (one live version per id), so the
  // merged, sorted first `limit` are the page, and a (limit+1)th means more.
  const size_t want = static_cast<size_t>(req.limit) + 1;
  std::vector<std::pair<std::string, Location>> found;
  ReaderLock lock(&state_mu_);
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
  std::vector<Location> locs;
  for (size_t i = 0; i < found.size() && i <= req.limit; ++i) {
    locs.push_back(found[i].second);
  }
  return PageLocked(req, locs, pins, missing);
}

Result<std::optional<ScrollPage>> CollectionImpl::PageLocked(
    const ScrollRequest& req, const std::vector<Location>& found,
    const ColdPins& pins, std::vector<LiveSegment*>* missing) const {
  if (req.include_vector) {
    for (size_t i = 0; i < found.size() && i < req.limit; ++i) {
      pins.Need(found[i], missing);
    }
    if (!missing->empty()) return std::optional<ScrollPage>();
  }
  ScrollPage page;
  for (size_t i = 0; i < found.size() && i < req.limit; ++i) {
    page.points.push_back(
        MaterializeLocked(found[i], req.include_vector, true, pins));
  }
  if (found.size() > req.limit) page.next_after_id = page.points.back().id;
  return std::optional<ScrollPage>(std::move(page));
}

}  // namespace proximadb
