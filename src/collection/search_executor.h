// The executors of a collection search: one per SearchStrategy
// (search_planner.h), each searching one source (a memtable or a segment)
// the way its plan says. CollectionImpl::Search (collection_read.cc) builds
// a SearchSource per source, asks PlanSearch for a plan on DescribeSource's
// facts, runs ExecutePlan, and merges every source's hits.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string_view>
#include <vector>

#include "collection/live_segment.h"
#include "collection/memtable.h"
#include "collection/payload_index.h"
#include "collection/search_planner.h"
#include "filter/filter.h"
#include "index/vector_index.h"
#include "proximadb/status.h"

namespace proximadb {

// One source of a search as the planner and the executors see it: a
// memtable (live or frozen) or a segment. A segment's graph and payload
// indexes are read once, here, so that the plan and its execution see the
// same ones even if a background build publishes new ones meanwhile.
class SearchSource {
 public:
  // `name`: explain's "source" ("memtable" or "frozen_memtable").
  static SearchSource OfMemtable(const Memtable& m, const char* name);
  // The payload indexes are read only when the query has a filter. A cold
  // segment's vectors (and graph) come from `cold`, which the source holds
  // for as long as it lives.
  static SearchSource OfSegment(const LiveSegment& s, bool filtered,
                                std::shared_ptr<const ColdVectors> cold = {});

  const char* name() const { return name_; }
  bool memtable() const { return mem_ != nullptr; }
  uint64_t segment_id() const;  // 0 for memtables
  uint64_t rows() const;        // live and dead
  bool dead(uint32_t row) const;
  std::string_view id(uint32_t row) const;
  std::string_view metadata(uint32_t row) const;
  const float* vector(uint32_t row) const;
  // The row's point vectors blob (index/sparse.h; a cold segment's stub
  // keeps it).
  std::string_view blob(uint32_t row) const;
  float norm(uint32_t row) const;  // 0 when the source keeps no norms
  // Null for memtables, and until built or loaded.
  const SegmentPayloadIndex* payload() const { return payload_.get(); }
  const index::VectorIndex* graph() const { return graph_.get(); }
  // The exact index over every row (FlatIndex); `metric` for memtables.
  void ExactSearch(Metric metric, const index::SearchParams& params,
                   const index::RowFilter& accept,
                   std::vector<index::Candidate>* out,
                   index::SearchCounters* counters) const;
  // The same for several queries in one pass over the vectors
  // (index::FlatScanMany).
  void ExactSearchMany(Metric metric,
                       std::span<const index::ScanQuery> queries) const;

 private:
  SearchSource() = default;

  const char* name_ = "";
  const Memtable* mem_ = nullptr;
  const LiveSegment* seg_ = nullptr;
  std::shared_ptr<const index::VectorIndex> graph_;
  std::shared_ptr<const SegmentPayloadIndex> payload_;
  std::shared_ptr<const ColdVectors> cold_;
};

// What every executor needs about the query.
struct SearchQuery {
  const filter::Filter* filter = nullptr;  // never null; may be empty
  Metric metric = Metric::kCosine;
  uint32_t dim = 0;
  index::SearchParams params;  // query, its norm, k, ef_search, exact
};

// The planner's facts about `src` for query `q`; `default_ef` is the
// collection's ef_search.
SourceFacts DescribeSource(const SearchSource& src, const SearchQuery& q,
                           uint32_t default_ef);

// What an executor found in one source.
struct SourceOutcome {
  std::vector<index::Candidate> hits;  // best first, at most k
  uint64_t candidates = 0;  // rows the payload indexes listed (index_scan)
  // explain's "matches": for index_scan every live candidate that passed the
  // filter, otherwise the hits returned.
  uint64_t matches = 0;
};

// Carries out `plan` on `src`, adding the work done to *counters.
Result<SourceOutcome> ExecutePlan(const SearchPlan& plan, const SearchQuery& q,
                                  const SearchSource& src,
                                  index::SearchCounters* counters);

// kExactScan for several queries of a batch (all of one collection, so one
// metric) in one pass over the source's vectors: outcome i is exactly
// ExecutePlan's for query i, and its work is added to *counters[i].
std::vector<SourceOutcome> ExactScanMany(
    std::span<const SearchQuery* const> queries, const SearchSource& src,
    std::span<index::SearchCounters* const> counters);

}  // namespace proximadb
