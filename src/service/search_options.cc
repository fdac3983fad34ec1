#include "service/search_options.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "collection/point_check.h"
#include "util/limits.h"

namespace proximadb::service {

namespace {

// How many hits the collection must find for `r`: k, the offset skipped
// before them, and the point searched by (found and then left out).
uint64_t RunK(const SearchRequest& r) {
  return uint64_t{r.k} + r.offset + (r.point_id.empty() ? 0 : 1);
}

Status CheckGroupOptions(const SearchRequest& r) {
  if (r.group_by.empty()) {
    if (r.group_size != 1) {
      return Status::InvalidArgument("'group_size' needs 'group_by'");
    }
    return Status::OK();
  }
  if (Status s = CheckPayloadIndexField(r.group_by); !s.ok()) {
    return Status::InvalidArgument("group_by: " + s.message());
  }
  if (r.group_size < 1 || r.group_size > kMaxGroupSize) {
    return Status::InvalidArgument("field 'group_size' must be 1.." +
                                   std::to_string(kMaxGroupSize) + ", got " +
                                   std::to_string(r.group_size));
  }
  const uint64_t hits = RunK(r) * r.group_size;
  if (hits > kMaxK) {
    return Status::InvalidArgument(
        "(k + offset) * group_size must be at most " + std::to_string(kMaxK) +
        ", got " + std::to_string(hits));
  }
  return Status::OK();
}

}  // namespace

bool HasSearchOptions(const SearchRequest& r) {
  return !r.point_id.empty() || r.offset != 0 ||
         r.score_threshold.has_value() || !r.group_by.empty();
}

Status CheckSearchOptions(const SearchRequest& r) {
  if (!r.point_id.empty()) {
    if (r.point_id.size() > kMaxIdBytes) {
      return Status::InvalidArgument("field 'id' must be 1.." +
                                     std::to_string(kMaxIdBytes) + " bytes");
    }
    if (!r.vector.empty()) {
      return Status::InvalidArgument(
          "give either 'vector' or 'id' (search by an existing point), not "
          "both");
    }
  }
  const uint64_t wanted = RunK(r);
  if (wanted > kMaxK) {
    return Status::InvalidArgument(
        "k + offset" +
        std::string(r.point_id.empty() ? "" : " + 1 (the point searched by)") +
        " must be at most " + std::to_string(kMaxK) + ", got " +
        std::to_string(wanted));
  }
  if (r.score_threshold && !std::isfinite(*r.score_threshold)) {
    return Status::InvalidArgument("field 'score_threshold' must be finite");
  }
  return CheckGroupOptions(r);
}

Result<SearchRequest> PrepareSearch(Collection& c, const SearchRequest& r) {
  SearchRequest run = r;
  if (!r.point_id.empty()) {
    PDB_ASSIGN_OR_RETURN(StoredPoint p, c.Get(r.point_id));
    if (r.using_vector.empty()) {
      run.vector = std::move(p.vector);
    } else {
      auto it = p.named_vectors.find(r.using_vector);
      if (it == p.named_vectors.end()) {
        return Status::InvalidArgument("point '" + r.point_id +
                                       "' has no vector '" + r.using_vector +
                                       "' to search by");
      }
      run.vector = std::move(it->second.values);
      run.vector_rows = it->second.matrix ? it->second.rows : 0;
    }
  }
  run.k = static_cast<uint32_t>(RunK(r));  // <= kMaxK: checked at the edge
  return WithoutOptions(std::move(run));
}

SearchRequest WithoutOptions(SearchRequest r) {
  r.point_id.clear();
  r.offset = 0;
  r.score_threshold.reset();
  r.group_by.clear();
  r.group_size = 1;
  return r;
}

void AddStats(const SearchStats& from, SearchStats* to) {
  to->distances_computed += from.distances_computed;
  to->points_scanned += from.points_scanned;
  to->nodes_visited += from.nodes_visited;
  to->partitions_pruned += from.partitions_pruned;
  to->sources_searched += from.sources_searched;
}

bool WithinThreshold(const SearchRequest& r, Metric metric, float score) {
  if (!r.score_threshold) return true;
  return metric == Metric::kEuclidean ? score <= *r.score_threshold
                                      : score >= *r.score_threshold;
}

Metric SearchMetric(const CollectionConfig& c, const SearchRequest& r) {
  if (r.using_vector.empty()) return c.metric;
  const NamedVectorConfig* nv = FindNamedVector(c.vectors, r.using_vector);
  return nv != nullptr ? nv->metric : c.metric;
}

bool Better(Metric metric, float a, float b) {
  return metric == Metric::kEuclidean ? a < b : a > b;
}

void FinishSearch(const SearchRequest& r, Metric metric, SearchResult* result) {
  std::vector<SearchHit>& hits = result->hits;
  if (!r.point_id.empty()) {
    std::erase_if(hits, [&](const SearchHit& h) { return h.id == r.point_id; });
  }
  if (r.score_threshold) {
    // Best first: the hits past the threshold are a suffix.
    std::erase_if(hits, [&](const SearchHit& h) {
      return !WithinThreshold(r, metric, h.score);
    });
  }
  const size_t skip = std::min<size_t>(r.offset, hits.size());
  hits.erase(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(skip));
  if (hits.size() > r.k) hits.resize(r.k);
}

}  // namespace proximadb::service
