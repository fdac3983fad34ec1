#include "collection/search_executor.h"

#include "collection/column_stats.h"

#include "filter/index_plan.h"
#include "index/distance.h"

namespace proximadb {

SearchSource SearchSource::OfMemtable(const Memtable& m, const char* name) {
  SearchSource s;
  s.name_ = name;
  s.mem_ = &m;
  return s;
}

SearchSource SearchSource::OfSegment(const LiveSegment& ls, bool filtered,
                                     std::shared_ptr<const ColdVectors> cold) {
  SearchSource s;
  s.name_ = "segment";
  s.seg_ = &ls;
  s.graph_ = cold ? cold->graph : ls.graph();
  s.cold_ = std::move(cold);
  if (filtered) s.payload_ = ls.payload();
  return s;
}

uint64_t SearchSource::segment_id() const {
  return seg_ ? seg_->seg->segment_id() : 0;
}

uint64_t SearchSource::rows() const {
  return mem_ ? mem_->rows() : seg_->seg->size();
}

bool SearchSource::dead(uint32_t row) const {
  return mem_ ? mem_->dead(row) : seg_->dead(row);
}

std::string_view SearchSource::id(uint32_t row) const {
  return mem_ ? mem_->id(row) : seg_->seg->id(row);
}

std::string_view SearchSource::metadata(uint32_t row) const {
  return mem_ ? std::string_view(mem_->metadata(row))
              : seg_->seg->metadata_json(row);
}

const float* SearchSource::vector(uint32_t row) const {
  if (mem_) return mem_->vector(row);
  return cold_ ? cold_->full->vector(row) : seg_->seg->vector(row);
}

std::string_view SearchSource::blob(uint32_t row) const {
  return mem_ ? mem_->sparse(row) : seg_->seg->sparse(row);
}

float SearchSource::norm(uint32_t row) const {
  if (mem_) return mem_->norm(row);
  const float* norms = seg_->seg->norms();
  return norms ? norms[row] : 0.0f;
}

void SearchSource::ExactSearch(Metric metric, const index::SearchParams& params,
                               const index::RowFilter& accept,
                               std::vector<index::Candidate>* out,
                               index::SearchCounters* counters) const {
  if (mem_) {
    index::FlatIndex(mem_->view(), metric)
        .Search(params, accept, out, counters);
  } else if (cold_) {
    cold_->flat.Search(params, accept, out, counters);
  } else {
    seg_->index.Search(params, accept, out, counters);
  }
}

void SearchSource::ExactSearchMany(
    Metric metric, std::span<const index::ScanQuery> queries) const {
  if (mem_) {
    index::FlatIndex(mem_->view(), metric).SearchMany(queries);
  } else if (cold_) {
    cold_->flat.SearchMany(queries);
  } else {
    seg_->index.SearchMany(queries);
  }
}

namespace {

// A segment's row columns bound to the query's filter (column_match.h),
// when its index has them and the filter reads one.
struct ColumnAccept {
  ColumnAccept(const index::RowColumns& rows, const filter::Filter& f)
      : cells(rows), matcher(f, cells) {}
  ColumnRowCells cells;
  filter::ColumnMatcher matcher;  // reads `cells`: never copied or moved
};

std::shared_ptr<const ColumnAccept> ColumnsFor(const SearchQuery& q,
                                               const SearchSource& src) {
  if (q.filter->empty() || src.graph() == nullptr) return nullptr;
  const auto* ivf = dynamic_cast<const index::IvfIndex*>(src.graph());
  if (ivf == nullptr || ivf->row_columns() == nullptr) return nullptr;
  auto cols =
      std::make_shared<const ColumnAccept>(*ivf->row_columns(), *q.filter);
  if (!cols->matcher.useful()) return nullptr;
  return cols;
}

}  // namespace

SourceFacts DescribeSource(const SearchSource& src, const SearchQuery& q,
                           uint32_t default_ef) {
  SourceFacts f;
  f.memtable = src.memtable();
  f.rows = src.rows();
  f.filtered = !q.filter->empty();
  f.estimated_matches = f.rows;
  if (f.filtered && src.payload() != nullptr) {
    auto bound = filter::BoundMatches(*q.filter, *src.payload(), f.rows);
    f.indexes_bound_matches = bound.has_value();
    f.estimated_matches = bound.value_or(f.rows);
  }
  f.graph = src.graph() != nullptr;
  f.codes = f.graph && src.graph()->scans_codes();
  f.ivf = f.graph && src.graph()->probes_partitions();
  if (f.ivf && f.filtered) {
    std::shared_ptr<const ColumnAccept> cols = ColumnsFor(q, src);
    f.columns_answer_filter = cols != nullptr && cols->matcher.complete();
    const auto* ivf = dynamic_cast<const index::IvfIndex*>(src.graph());
    if (ivf != nullptr) {
      f.ivf_scored_rows = ivf->AcceptedRowsToScore(q.params.nprobe);
    }
  }
  f.exact = q.params.exact;
  f.k = q.params.k;
  f.ef_search = q.params.ef_search;
  f.default_ef = default_ef;
  return f;
}

namespace {

// Liveness and the filter: what every executor accepts. Without a filter
// only liveness is tested: a walk calls this for every row it keeps, and
// reading the row's metadata would cost it one more random cache miss.
// With row columns the filter reads them, and the row's JSON only where
// they cannot answer.
index::RowFilter Acceptor(const SearchQuery& q, const SearchSource& src,
                          std::shared_ptr<const ColumnAccept> cols = nullptr) {
  if (q.filter->empty()) {
    return [&src](uint32_t row) { return !src.dead(row); };
  }
  if (cols) {
    return [&q, &src, cols = std::move(cols)](uint32_t row) {
      if (src.dead(row)) return false;
      switch (cols->matcher.Match(row)) {
        case filter::Tri::kYes:
          return true;
        case filter::Tri::kNo:
          return false;
        case filter::Tri::kUnknown:
          break;
      }
      return q.filter->MatchesText(src.metadata(row));
    };
  }
  return [&q, &src](uint32_t row) {
    return !src.dead(row) && q.filter->MatchesText(src.metadata(row));
  };
}

// kIndexScan: scores exactly the rows the payload indexes list (always the
// true top k of the source).
Result<SourceOutcome> IndexScan(const SearchQuery& q, const SearchSource& src,
                                index::SearchCounters* counters) {
  std::optional<std::vector<uint32_t>> rows;
  if (src.payload() != nullptr) {
    rows = filter::CandidateRows(*q.filter, *src.payload());
  }
  if (!rows) {
    return Status::Internal(
        "search planner chose an index scan the payload indexes cannot "
        "list rows for");
  }
  const index::RowFilter accept = Acceptor(q, src, ColumnsFor(q, src));
  const index::SearchParams& p = q.params;
  SourceOutcome out;
  out.candidates = rows->size();
  index::TopK top(p.k);
  for (uint32_t r : *rows) {
    if (!accept(r)) continue;
    ++out.matches;
    const float d = index::InternalDistance(q.metric, p.query, p.query_norm,
                                            src.vector(r), src.norm(r), q.dim);
    if (!top.full() || d < top.threshold()) top.Push({r, d});
  }
  counters->distances_computed += out.matches;
  counters->points_scanned += out.candidates;
  out.hits = top.Take();
  return out;
}

// kHnsw and kHnswFiltered: a graph walk with the plan's beam. A graph whose
// reachable part holds fewer than k accepted rows falls back to a scan
// inside the index, so k hits come back when k exist. kQuantizedScan: the
// same call on a codes-only index, which scans every code; kIvf: the same
// call on an IVF index, which probes its partitions (the query's nprobe).
SourceOutcome GraphWalk(const SearchPlan& plan, const SearchQuery& q,
                        const SearchSource& src,
                        index::SearchCounters* counters) {
  index::SearchParams p = q.params;
  p.ef_search = plan.ef;
  // An IVF index with column statistics skips the partitions the filter
  // rules out (column_stats.h).
  std::vector<uint8_t> mask;
  if (plan.strategy == SearchStrategy::kIvf && !q.filter->empty()) {
    const auto* ivf = dynamic_cast<const index::IvfIndex*>(src.graph());
    if (ivf != nullptr && ivf->columns() != nullptr) {
      mask = filter::PartitionMask(
          *q.filter, ColumnPartitionStats(*ivf->columns(), ivf->nlist()));
      if (!mask.empty()) p.partition_mask = &mask;
    }
  }
  // A filter its row columns answer whole is cheap enough to test on
  // every probed row (vector_index.h, accept_cheap).
  std::shared_ptr<const ColumnAccept> cols = ColumnsFor(q, src);
  p.accept_cheap = cols != nullptr && cols->matcher.complete();
  SourceOutcome out;
  src.graph()->Search(p, Acceptor(q, src, std::move(cols)), &out.hits,
                      counters);
  out.matches = out.hits.size();
  return out;
}

// kExactScan: every row through the flat index.
SourceOutcome ExactScan(const SearchQuery& q, const SearchSource& src,
                        index::SearchCounters* counters) {
  SourceOutcome out;
  src.ExactSearch(q.metric, q.params, Acceptor(q, src, ColumnsFor(q, src)),
                  &out.hits, counters);
  out.matches = out.hits.size();
  return out;
}

}  // namespace

Result<SourceOutcome> ExecutePlan(const SearchPlan& plan, const SearchQuery& q,
                                  const SearchSource& src,
                                  index::SearchCounters* counters) {
  switch (plan.strategy) {
    case SearchStrategy::kIndexScan:
      return IndexScan(q, src, counters);
    case SearchStrategy::kHnsw:
    case SearchStrategy::kHnswFiltered:
    case SearchStrategy::kQuantizedScan:
    case SearchStrategy::kIvf:
      if (src.graph() == nullptr) {
        return Status::Internal(
            "search planner chose a graph walk without "
            "a graph");
      }
      return GraphWalk(plan, q, src, counters);
    case SearchStrategy::kExactScan:
      return ExactScan(q, src, counters);
  }
  return Status::Internal("unknown search strategy");
}

std::vector<SourceOutcome> ExactScanMany(
    std::span<const SearchQuery* const> queries, const SearchSource& src,
    std::span<index::SearchCounters* const> counters) {
  std::vector<SourceOutcome> out(queries.size());
  if (queries.empty()) return out;
  std::vector<index::RowFilter> accepts;
  accepts.reserve(queries.size());
  std::vector<index::ScanQuery> scans(queries.size());
  for (size_t i = 0; i < queries.size(); ++i) {
    accepts.push_back(Acceptor(*queries[i], src, ColumnsFor(*queries[i], src)));
    scans[i].params = queries[i]->params;
    scans[i].accept = &accepts[i];
    scans[i].out = &out[i].hits;
    scans[i].counters = counters[i];
  }
  src.ExactSearchMany(queries[0]->metric, scans);
  for (SourceOutcome& o : out) o.matches = o.hits.size();
  return out;
}

}  // namespace proximadb
