#include "service/recommend.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <unordered_set>
#include <utility>
#include <vector>

#include "collection/point_check.h"
#include "index/distance.h"
#include "service/json_codec.h"
#include "service/search_options.h"
#include "util/limits.h"

namespace proximadb::service {
namespace {

using Vectors = std::vector<std::vector<float>>;

std::string Where(bool positive, size_t i) {
  return std::string(positive ? "positive" : "negative") + "[" +
         std::to_string(i) + "]";
}

// The vectors of the examples, those given by id read from `c` (under the
// named vector `using_vector` when set).
Result<Vectors> Resolve(Collection& c, const std::vector<RecommendExample>& e,
                        bool positive, const std::string& using_vector) {
  Vectors out;
  out.reserve(e.size());
  for (size_t i = 0; i < e.size(); ++i) {
    if (e[i].id.empty()) {
      out.push_back(e[i].vector);
      continue;
    }
    Result<StoredPoint> p = c.Get(e[i].id);
    if (!p.ok()) {
      return Status(p.status().code(),
                    Where(positive, i) + ": " + p.status().message());
    }
    if (using_vector.empty()) {
      out.push_back(std::move(p->vector));
      continue;
    }
    auto it = p->named_vectors.find(using_vector);
    if (it == p->named_vectors.end()) {
      return Status::InvalidArgument(Where(positive, i) + ": point '" +
                                     e[i].id + "' has no vector '" +
                                     using_vector + "'");
    }
    out.push_back(std::move(it->second.values));
  }
  return out;
}

std::vector<float> Mean(const Vectors& vs, Metric metric) {
  std::vector<float> mean(vs[0].size(), 0.0f);
  for (const auto& v : vs) {
    float scale = 1.0f;
    if (metric == Metric::kCosine) {
      const float n = index::Norm(v.data(), v.size());
      scale = n > 0 ? 1.0f / n : 0.0f;
    }
    for (size_t d = 0; d < v.size(); ++d) mean[d] += v[d] * scale;
  }
  for (float& x : mean) x /= static_cast<float>(vs.size());
  return mean;
}

std::vector<float> Norms(const Vectors& vs) {
  std::vector<float> norms;
  norms.reserve(vs.size());
  for (const auto& v : vs) norms.push_back(index::Norm(v.data(), v.size()));
  return norms;
}

// The best score (the metric's, as a search reports it) of `x` against any
// of `examples`, whose norms are `norms` (none: nullopt).
std::optional<float> BestScore(Metric metric, const Vectors& examples,
                               const std::vector<float>& norms,
                               const std::vector<float>& x) {
  const float x_norm = index::Norm(x.data(), x.size());
  std::optional<float> best;
  for (size_t i = 0; i < examples.size(); ++i) {
    const float s = index::ScoreFromDistance(
        metric, index::InternalDistance(metric, examples[i].data(), norms[i],
                                        x.data(), x_norm, x.size()));
    if (!best || Better(metric, s, *best)) best = s;
  }
  return best;
}

Result<SearchResult> Average(Collection& c, const RecommendRequest& r,
                             const Vectors& pos, const Vectors& neg,
                             const std::unordered_set<std::string>& exclude) {
  const Metric metric = SearchMetric(c.config(), r.query);
  std::vector<float> v = Mean(pos, metric);
  if (!neg.empty()) {
    const std::vector<float> n = Mean(neg, metric);
    for (size_t d = 0; d < v.size(); ++d) v[d] = 2 * v[d] - n[d];
  }
  if (metric == Metric::kCosine && index::Norm(v.data(), v.size()) == 0) {
    return Status::InvalidArgument(
        "the examples cancel out: the average strategy's query vector is "
        "zero, which has no cosine similarity");
  }
  SearchRequest q = WithoutOptions(r.query);
  q.vector = std::move(v);
  q.k = r.query.k + r.query.offset + static_cast<uint32_t>(exclude.size());
  PDB_ASSIGN_OR_RETURN(SearchResult result, c.Search(q));
  std::erase_if(result.hits,
                [&](const SearchHit& h) { return exclude.contains(h.id); });
  FinishSearch(r.query, metric, &result);
  return result;
}

Result<SearchResult> BestScoreOf(
    Collection& c, const RecommendRequest& r, const Vectors& pos,
    const Vectors& neg, const std::unordered_set<std::string>& exclude) {
  const Metric metric = SearchMetric(c.config(), r.query);
  const size_t want = size_t{r.query.k} + r.query.offset;
  SearchRequest q = WithoutOptions(r.query);
  q.include_vector = true;  // candidates are scored against every example
  const std::vector<float> pos_norms = Norms(pos), neg_norms = Norms(neg);
  uint64_t n = std::min<uint64_t>(
      kMaxK, std::max<uint64_t>(64, (want + exclude.size()) * 2));
  SearchResult out;
  for (;;) {
    out = SearchResult{};
    std::unordered_set<std::string> seen;
    bool every_list_full = true;  // else one list holds every match
    std::optional<float> bound;   // best score an unseen point can have
    for (size_t i = 0; i < pos.size(); ++i) {
      q.vector = pos[i];
      q.k = static_cast<uint32_t>(n);
      q.explain = r.query.explain && i == 0;
      PDB_ASSIGN_OR_RETURN(SearchResult res, c.Search(q));
      AddStats(res.stats, &out.stats);
      if (q.explain) out.explain = std::move(res.explain);
      if (res.hits.size() < n) {
        every_list_full = false;
      } else if (!bound || Better(metric, res.hits.back().score, *bound)) {
        bound = res.hits.back().score;
      }
      // Each candidate scored once, as it first arrives; its vector kept
      // only when the answer shows it (up to 64 lists of kMaxK hits).
      for (SearchHit& h : res.hits) {
        if (exclude.contains(h.id) || !seen.insert(h.id).second) continue;
        // A hit of a named search holds a vector under the name.
        const std::vector<float>* xp = &h.vector;
        if (!q.using_vector.empty()) {
          auto it = h.named_vectors.find(q.using_vector);
          if (it == h.named_vectors.end()) {
            return Status::Internal("search hit '" + h.id +
                                    "' lacks the vector it was found by");
          }
          xp = &it->second.values;
        }
        const std::vector<float>& x = *xp;
        const float s = *BestScore(metric, pos, pos_norms, x);
        const std::optional<float> against =
            BestScore(metric, neg, neg_norms, x);
        if (against && !Better(metric, s, *against)) continue;
        h.score = s;
        if (!r.query.include_vector) {
          std::vector<float>().swap(h.vector);
          h.named_vectors.clear();
          h.sparse_vectors.clear();
        }
        out.hits.push_back(std::move(h));
      }
    }
    std::sort(out.hits.begin(), out.hits.end(),
              [&](const SearchHit& a, const SearchHit& b) {
                if (a.score != b.score) return Better(metric, a.score, b.score);
                return a.id < b.id;
              });
    // Done when no unseen point can displace the `want` best: every list
    // held all matches, or the want-th best is at least as good as the
    // bound, or the bound fails the threshold, or n cannot grow.
    bool done = !every_list_full || n >= kMaxK;
    if (!done && bound) {
      done = !WithinThreshold(r.query, metric, *bound) ||
             (out.hits.size() >= want &&
              !Better(metric, *bound, out.hits[want - 1].score));
    }
    if (done) break;
    n = std::min<uint64_t>(kMaxK, n * 4);
  }
  FinishSearch(r.query, metric, &out);
  return out;
}

}  // namespace

Status CheckRecommendExamples(Collection& c, const RecommendRequest& r) {
  const size_t total = r.positive.size() + r.negative.size();
  if (r.positive.empty() || total > kMaxRecommendExamples) {
    return Status::InvalidArgument(
        "a recommendation needs 1.." + std::to_string(kMaxRecommendExamples) +
        " examples with at least one in 'positive', got " +
        std::to_string(r.positive.size()) + " positive and " +
        std::to_string(r.negative.size()) + " negative");
  }
  const CollectionConfig cfg = c.config();
  uint32_t dimension = cfg.dimension;
  Metric metric = cfg.metric;
  if (!r.query.using_vector.empty()) {
    const NamedVectorConfig* nv =
        FindNamedVector(cfg.vectors, r.query.using_vector);
    if (nv == nullptr) {
      return Status::InvalidArgument(
          "using: the collection has no vector named '" + r.query.using_vector +
          "'");
    }
    if (nv->multivector) {
      return Status::InvalidArgument(
          "using: a recommendation takes single vectors; '" + nv->name +
          "' is a multivector");
    }
    dimension = nv->dimension;
    metric = nv->metric;
  }
  size_t by_id = 0;
  for (bool positive : {true, false}) {
    const auto& list = positive ? r.positive : r.negative;
    for (size_t i = 0; i < list.size(); ++i) {
      const RecommendExample& e = list[i];
      const std::string where = Where(positive, i);
      if (e.id.empty() == e.vector.empty()) {
        return Status::InvalidArgument(where +
                                       " must be a point id or a vector");
      }
      if (!e.id.empty()) {
        if (Status s = ValidatePointId(e.id); !s.ok()) {
          return Status::InvalidArgument(where + ": " + s.message());
        }
        ++by_id;
        continue;
      }
      PDB_RETURN_IF_ERROR(CheckPointVector(cfg.name, dimension, metric,
                                           e.vector, where.c_str()));
    }
  }
  const uint64_t run = uint64_t{r.query.k} + r.query.offset + by_id;
  if (run > kMaxK) {
    return Status::InvalidArgument(
        "k + offset + the examples given by id must be at most " +
        std::to_string(kMaxK) + ", got " + std::to_string(run));
  }
  if (!r.query.point_id.empty() || !r.query.group_by.empty() ||
      !r.query.vector.empty()) {
    return Status::InvalidArgument(
        "a recommendation takes no 'vector', 'id' or 'group_by'");
  }
  return Status::OK();
}

Result<SearchResult> Recommend(Collection& c, const RecommendRequest& r) {
  const std::string& using_vector = r.query.using_vector;
  PDB_ASSIGN_OR_RETURN(Vectors pos, Resolve(c, r.positive, true, using_vector));
  PDB_ASSIGN_OR_RETURN(Vectors neg,
                       Resolve(c, r.negative, false, using_vector));
  std::unordered_set<std::string> exclude;
  for (const auto* list : {&r.positive, &r.negative}) {
    for (const auto& e : *list) {
      if (!e.id.empty()) exclude.insert(e.id);
    }
  }
  if (r.strategy == RecommendStrategy::kBestScore) {
    return BestScoreOf(c, r, pos, neg, exclude);
  }
  return Average(c, r, pos, neg, exclude);
}

}  // namespace proximadb::service
