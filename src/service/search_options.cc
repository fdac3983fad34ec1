#include "service/search_options.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "util/limits.h"

namespace proximadb::service {

namespace {

// How many hits the collection must find for `r`: k, the offset skipped
// before them, and the point searched by (found and then left out).
uint64_t RunK(const SearchRequest& r) {
  return uint64_t{r.k} + r.offset + (r.point_id.empty() ? 0 : 1);
}

}  // namespace

bool HasSearchOptions(const SearchRequest& r) {
  return !r.point_id.empty() || r.offset != 0 || r.score_threshold.has_value();
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
  return Status::OK();
}

Result<SearchRequest> PrepareSearch(Collection& c, const SearchRequest& r) {
  SearchRequest run = r;
  if (!r.point_id.empty()) {
    PDB_ASSIGN_OR_RETURN(StoredPoint p, c.Get(r.point_id));
    run.vector = std::move(p.vector);
  }
  run.k = static_cast<uint32_t>(RunK(r));  // <= kMaxK: checked at the edge
  run.point_id.clear();
  run.offset = 0;
  run.score_threshold.reset();
  return run;
}

void FinishSearch(const SearchRequest& r, Metric metric, SearchResult* result) {
  std::vector<SearchHit>& hits = result->hits;
  if (!r.point_id.empty()) {
    std::erase_if(hits, [&](const SearchHit& h) { return h.id == r.point_id; });
  }
  if (r.score_threshold) {
    const float t = *r.score_threshold;
    // Best first: the hits past the threshold are a suffix.
    std::erase_if(hits, [&](const SearchHit& h) {
      return metric == Metric::kEuclidean ? h.score > t : h.score < t;
    });
  }
  const size_t skip = std::min<size_t>(r.offset, hits.size());
  hits.erase(hits.begin(), hits.begin() + static_cast<std::ptrdiff_t>(skip));
  if (hits.size() > r.k) hits.resize(r.k);
}

}  // namespace proximadb::service
