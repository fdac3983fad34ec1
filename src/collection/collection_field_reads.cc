// Reads by the value of one metadata field: scroll in the order of a
// numeric field (order_by) and facet counts. Both read every live row that
// matches the filter, taking the field's values from the metadata text
// (filter/path_values.h): their cost is a count's, linear in the points.
#include <algorithm>
#include <optional>
#include <queue>
#include <string_view>
#include <vector>

#include "collection/collection_impl.h"
#include "collection/field_values.h"
#include "collection/point_check.h"
#include "filter/filter.h"
#include "filter/index_plan.h"

namespace proximadb {

Result<std::optional<ScrollPage>> CollectionImpl::ScrollOrderedOnce(
    const ScrollRequest& req, const filter::Filter& filt, const ColdPins& pins,
    std::vector<LiveSegment*>* missing) {
  const ScrollOrder& order = *req.order_by;
  const std::vector<std::string> path = filter::SplitPath(order.key);
  struct Keyed {
    double value;
    std::string_view id;  // valid under state_mu_
    Location loc;
  };
  // The page order: by sort value, then by id.
  auto before = [desc = order.descending](const Keyed& a, const Keyed& b) {
    return SortsBefore(desc, a.value, a.id, b.value, b.id);
  };
  const std::optional<Keyed> cursor =
      req.after_value ? std::optional<Keyed>(
                            Keyed{*req.after_value, req.after_id, Location{}})
                      : std::nullopt;
  // The first limit+1 rows after the cursor over every source, kept in a
  // heap whose top is the last of them; ids are unique across sources (one
  // live version per id).
  const size_t want = static_cast<size_t>(req.limit) + 1;
  std::priority_queue<Keyed, std::vector<Keyed>, decltype(before)> best(before);
  auto offer = [&](std::string_view metadata, std::string_view id,
                   const Location& loc) {
    if (!filt.MatchesText(metadata)) return;
    const std::optional<double> v = SortValue(metadata, path, order.descending);
    if (!v) return;
    Keyed k{*v, id, loc};
    if (cursor && !before(*cursor, k)) return;
    if (best.size() == want) {
      if (!before(k, best.top())) return;
      best.pop();
    }
    best.push(k);
  };
  ReaderLock lock(&state_mu_);
  auto from_mem = [&](Memtable* m, Location::Kind kind) {
    for (uint32_t r = 0; r < m->rows(); ++r) {
      if (m->dead(r)) continue;
      offer(m->metadata(r), m->id(r), Location{kind, m, nullptr, r, true});
    }
  };
  from_mem(mem_.get(), Location::kMemtable);
  if (frozen_) from_mem(frozen_.get(), Location::kFrozen);
  for (const auto& s : segments_) {
    const auto& seg = *s->seg;
    for (size_t r = 0; r < seg.size(); ++r) {
      if (s->dead(r)) continue;
      offer(seg.metadata_json(r), seg.id(r),
            Location{Location::kSegment, nullptr, s.get(),
                     static_cast<uint32_t>(r), true});
    }
  }
  std::vector<Keyed> found;
  found.reserve(best.size());
  for (; !best.empty(); best.pop()) found.push_back(best.top());
  std::reverse(found.begin(), found.end());
  std::vector<Location> locs;
  locs.reserve(found.size());
  for (const Keyed& k : found) locs.push_back(k.loc);
  PDB_ASSIGN_OR_RETURN(std::optional<ScrollPage> page,
                       PageLocked(req, locs, pins, missing));
  if (page && !page->next_after_id.empty()) {
    page->next_after_value = found[req.limit - 1].value;
  }
  return page;
}

Result<FacetResult> CollectionImpl::Facet(const FacetRequest& req) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  ReapExpired();
  PDB_RETURN_IF_ERROR(CheckFacetRequest(req));
  PDB_ASSIGN_OR_RETURN(filter::Filter filt, filter::Filter::Parse(req.filter));
  const std::vector<std::string> path = filter::SplitPath(req.key);
  FacetCounts counts;
  auto add = [&](std::string_view metadata) -> Status {
    if (!filt.MatchesText(metadata)) return Status::OK();
    return counts.AddPoint(metadata, path);
  };
  ReaderLock lock(&state_mu_);
  auto from_mem = [&](const Memtable& m) -> Status {
    for (uint32_t r = 0; r < m.rows(); ++r) {
      if (!m.dead(r)) PDB_RETURN_IF_ERROR(add(m.metadata(r)));
    }
    return Status::OK();
  };
  PDB_RETURN_IF_ERROR(from_mem(*mem_));
  if (frozen_) PDB_RETURN_IF_ERROR(from_mem(*frozen_));
  for (const auto& s : segments_) {
    for (size_t r = 0; r < s->seg->size(); ++r) {
      if (!s->dead(r)) PDB_RETURN_IF_ERROR(add(s->seg->metadata_json(r)));
    }
  }
  return counts.Top(req.limit);
}

}  // namespace proximadb
