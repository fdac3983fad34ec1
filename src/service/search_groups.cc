#include "service/search_groups.h"

#include <algorithm>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "filter/filter.h"
#include "filter/index_plan.h"
#include "service/search_options.h"
#include "util/limits.h"

namespace proximadb::service {
namespace {

using nlohmann::json;

// How wide step 1 grows when its first search leaves groups short.
constexpr uint64_t kWidestFirstSearch = 256;

bool IsGroupValue(const json& v) {
  return v.is_string() || v.is_number_integer();
}

// Calls fn(v) for every group value the path reaches in `v`: as in filters,
// an array met along the path stands for its object elements, and a
// terminal array for its elements.
template <typename Fn>
void ForEachGroupValue(const json& v, const std::vector<std::string>& path,
                       size_t i, const Fn& fn) {
  if (i == path.size()) {
    if (IsGroupValue(v)) {
      fn(v);
    } else if (v.is_array()) {
      for (const auto& e : v) {
        if (IsGroupValue(e)) fn(e);
      }
    }
    return;
  }
  if (v.is_object()) {
    auto it = v.find(path[i]);
    if (it != v.end()) ForEachGroupValue(*it, path, i + 1, fn);
  } else if (v.is_array()) {
    for (const auto& e : v) {
      if (e.is_object()) ForEachGroupValue(e, path, i, fn);
    }
  }
}

// `user` AND `cond` (user: the request's filter, null or {} for none).
json And(const json& user, json cond) {
  if (user.is_null() || (user.is_object() && user.empty())) return cond;
  return json{{"$and", json::array({user, std::move(cond)})}};
}

// The groups formed so far, in order of their first (best) hit.
class Groups {
 public:
  Groups(std::vector<std::string> path, uint32_t size)
      : path_(std::move(path)), size_(size) {}

  // Adds `hit` to the group of each of its values (a new group at the end)
  // that still has room.
  void Add(const SearchHit& hit) {
    ForEachGroupValue(hit.metadata, path_, 0, [&](const json& v) {
      auto [it, added] = index_.try_emplace(v.dump(), list_.size());
      if (added) list_.push_back(SearchGroup{v, {}});
      std::vector<SearchHit>& hits = list_[it->second].hits;
      if (hits.size() < size_ && (hits.empty() || hits.back().id != hit.id)) {
        hits.push_back(hit);
      }
    });
  }

  // Whether `hit` holds `value` in the grouped field.
  bool Holds(const SearchHit& hit, const json& value) const {
    bool found = false;
    ForEachGroupValue(hit.metadata, path_, 0,
                      [&](const json& v) { found = found || v == value; });
    return found;
  }

  // Whether the first `want` groups exist and are full.
  bool Full(size_t want) const {
    if (list_.size() < want) return false;
    for (size_t i = 0; i < want; ++i) {
      if (list_[i].hits.size() < size_) return false;
    }
    return true;
  }

  json Values() const {
    json values = json::array();
    for (const auto& g : list_) values.push_back(g.id);
    return values;
  }

  void Clear() {
    list_.clear();
    index_.clear();
  }

  std::vector<SearchGroup>& list() { return list_; }
  uint32_t size() const { return size_; }

 private:
  std::vector<std::string> path_;
  uint32_t size_;
  std::vector<SearchGroup> list_;
  std::unordered_map<std::string, size_t> index_;  // value's JSON -> list_
};

// Runs the searches of one grouped search and sums their statistics.
class Fetcher {
 public:
  Fetcher(Collection& c, const SearchRequest& r, SearchRequest base,
          Metric metric, SearchResult* out)
      : c_(c), r_(r), base_(std::move(base)), metric_(metric), out_(out) {}

  // The largest n a fetch may ask for.
  uint64_t max_n() const { return kMaxK - (r_.point_id.empty() ? 0 : 1); }

  // The best `n` hits matching `filter`, the point searched by and hits
  // past the threshold left out; *exhausted when no further matching hit
  // passes the threshold.
  Result<std::vector<SearchHit>> Fetch(json filter, uint64_t n,
                                       bool* exhausted) {
    SearchRequest q = base_;
    q.filter = std::move(filter);
    q.k = static_cast<uint32_t>(n + (r_.point_id.empty() ? 0 : 1));
    q.explain = r_.explain && out_->explain.empty();
    PDB_ASSIGN_OR_RETURN(SearchResult res, c_.Search(q));
    AddStats(res.stats, &out_->stats);
    if (q.explain) out_->explain = std::move(res.explain);
    *exhausted = res.hits.size() < q.k;
    std::vector<SearchHit> hits;
    hits.reserve(res.hits.size());
    for (SearchHit& h : res.hits) {
      if (!r_.point_id.empty() && h.id == r_.point_id) continue;
      if (!WithinThreshold(r_, metric_, h.score)) {
        *exhausted = true;  // best first: the rest are past it too
        break;
      }
      hits.push_back(std::move(h));
    }
    return hits;
  }

 private:
  Collection& c_;
  const SearchRequest& r_;
  SearchRequest base_;
  Metric metric_;
  SearchResult* out_;
};

}  // namespace

Result<SearchResult> GroupedSearch(Collection& c, const SearchRequest& r) {
  const Metric metric = SearchMetric(c.config(), r);
  const size_t want = size_t{r.k} + r.offset;
  // The point's vector when searching by id; k is set per fetch.
  PDB_ASSIGN_OR_RETURN(SearchRequest base, PrepareSearch(c, r));
  base.include_metadata = true;  // the groups are read from it
  SearchResult out;
  Fetcher fetch(c, r, std::move(base), metric, &out);
  Groups groups(filter::SplitPath(r.group_by), r.group_size);

  // 1. The best n hits, widened (once, to kWidestFirstSearch) when the
  // first `want` groups are not full. Wider is not cheaper: a search's cost
  // grows with its n, and on data where groups do not cluster no width
  // short of everything fills them; steps 2 and 3 complete the answer
  // with small searches instead (docs/BENCHMARKS.md, "Grouped search").
  uint64_t n = std::min<uint64_t>(
      fetch.max_n(), std::max<uint64_t>(64, want * r.group_size * 2));
  const uint64_t widest =
      std::min<uint64_t>(fetch.max_n(), std::max(n, kWidestFirstSearch));
  bool exhausted = false;
  for (;;) {
    groups.Clear();
    PDB_ASSIGN_OR_RETURN(std::vector<SearchHit> hits,
                         fetch.Fetch(r.filter, n, &exhausted));
    for (const SearchHit& h : hits) groups.Add(h);
    if (exhausted || groups.Full(want) || n >= widest) break;
    n = std::min<uint64_t>(widest, n * 4);
  }
  const bool all_seen = exhausted;

  // 2. Groups whose best hit ranks past the n best.
  uint64_t n2 = std::min<uint64_t>(
      fetch.max_n(),
      std::max<uint64_t>(64,
                         (want - std::min(want, groups.list().size())) * 2));
  while (groups.list().size() < want && !exhausted) {
    json cond{{r.group_by, {{"$exists", true}, {"$nin", groups.Values()}}}};
    json f = And(r.filter, std::move(cond));
    if (f.dump().size() > kMaxFilterBytes) {
      return Status::InvalidArgument(
          "group_by: the " + std::to_string(groups.list().size()) +
          " groups found in the best " + std::to_string(n) +
          " hits cannot be excluded within the filter size limit (" +
          std::to_string(kMaxFilterBytes) +
          " bytes) to find the next ones; ask for fewer groups (k)");
    }
    PDB_ASSIGN_OR_RETURN(std::vector<SearchHit> hits,
                         fetch.Fetch(std::move(f), n2, &exhausted));
    const size_t before = groups.list().size();
    for (const SearchHit& h : hits) groups.Add(h);
    if (groups.list().size() == before) {
      if (n2 >= fetch.max_n()) break;
      n2 = std::min<uint64_t>(fetch.max_n(), n2 * 4);
    }
  }

  // 3. Each chosen group short of hits: its own best hits.
  std::vector<SearchGroup>& list = groups.list();
  if (list.size() > want) list.resize(want);
  if (!all_seen) {
    for (SearchGroup& g : list) {
      if (g.hits.size() >= groups.size()) continue;
      json cond{{r.group_by, {{"$eq", g.id}}}};
      bool done = false;
      PDB_ASSIGN_OR_RETURN(
          std::vector<SearchHit> hits,
          fetch.Fetch(And(r.filter, std::move(cond)), groups.size(), &done));
      std::erase_if(hits,
                    [&](const SearchHit& h) { return !groups.Holds(h, g.id); });
      if (hits.size() > g.hits.size()) g.hits = std::move(hits);
    }
  }
  std::stable_sort(list.begin(), list.end(),
                   [&](const SearchGroup& a, const SearchGroup& b) {
                     return Better(metric, a.hits[0].score, b.hits[0].score);
                   });
  const size_t skip = std::min<size_t>(r.offset, list.size());
  list.erase(list.begin(), list.begin() + static_cast<std::ptrdiff_t>(skip));
  if (list.size() > r.k) list.resize(r.k);
  out.groups = std::move(list);
  return out;
}

}  // namespace proximadb::service
