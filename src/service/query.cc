#include "service/query.h"

#include <algorithm>
#include <cmath>
#include <map>

#include "index/distance.h"
#include "service/search_options.h"
#include "util/limits.h"

namespace proximadb::service {

Result<Fusion> ParseFusion(std::string_view name) {
  if (name == "rrf") return Fusion::kRrf;
  if (name == "dbsf") return Fusion::kDbsf;
  return Status::InvalidArgument("unknown fusion '" + std::string(name) +
                                 "' (expected rrf or dbsf)");
}

Status CheckQueryRequest(const QueryRequest& r) {
  if (r.prefetch.empty() || r.prefetch.size() > kMaxQueryPrefetches) {
    return Status::InvalidArgument(
        "prefetch must hold 1.." + std::to_string(kMaxQueryPrefetches) +
        " queries, got " + std::to_string(r.prefetch.size()));
  }
  if (r.limit < 1 || r.limit > kMaxK) {
    return Status::InvalidArgument("limit must be in 1.." +
                                   std::to_string(kMaxK) + ", got " +
                                   std::to_string(r.limit));
  }
  if (r.rrf_k < 1 || r.rrf_k > kMaxRrfK) {
    return Status::InvalidArgument("rrf_k must be in 1.." +
                                   std::to_string(kMaxRrfK) + ", got " +
                                   std::to_string(r.rrf_k));
  }
  for (size_t i = 0; i < r.prefetch.size(); ++i) {
    const QueryPrefetch& p = r.prefetch[i];
    const std::string where = "prefetch[" + std::to_string(i) + "]";
    if (p.limit > kMaxK) {
      return Status::InvalidArgument(where + ".limit must be in 1.." +
                                     std::to_string(kMaxK) + ", got " +
                                     std::to_string(p.limit));
    }
    if (p.kind == QueryPrefetch::Kind::kText && p.using_.empty()) {
      return Status::InvalidArgument(
          where +
          ": a text prefetch needs \"using\": the metadata field "
          "holding the text");
    }
    if (p.kind == QueryPrefetch::Kind::kSparse && p.using_.empty()) {
      return Status::InvalidArgument(
          where +
          ": a sparse_vector prefetch needs \"using\": the name of the "
          "sparse vector");
    }
  }
  return Status::OK();
}

namespace {

struct Fused {
  double score = 0;
  SearchHit hit;  // the first list's copy (metadata, vector)
};

}  // namespace

namespace {
// The metric a vector prefetch's scores follow: its named vector's, or the
// collection's.
Metric PrefetchMetric(const CollectionConfig& c, const QueryPrefetch& p) {
  const NamedVectorConfig* nv = FindNamedVector(c.vectors, p.using_);
  return nv != nullptr ? nv->metric : c.metric;
}
}  // namespace

Result<SearchResult> Query(Collection& c, const QueryRequest& r) {
  PDB_RETURN_IF_ERROR(CheckQueryRequest(r));
  const Metric metric = c.config().metric;
  const bool want_vectors = r.include_vector || !r.rescore.empty();
  std::vector<std::vector<SearchHit>> lists;
  SearchStats stats;
  for (size_t i = 0; i < r.prefetch.size(); ++i) {
    const QueryPrefetch& p = r.prefetch[i];
    const uint32_t limit = p.limit == 0 ? r.limit : p.limit;
    // What every kind of sub-query shares.
    auto common = [&](auto* t) {
      t->k = limit;
      t->filter = p.filter;
      t->include_vector = want_vectors;
      t->include_metadata = r.include_metadata;
      t->consistency = r.consistency;
    };
    auto run = [&]() -> Result<SearchResult> {
      if (p.kind == QueryPrefetch::Kind::kText) {
        TextSearchRequest t;
        common(&t);
        t.field = p.using_;
        t.query = p.text;
        return c.TextSearch(t);
      }
      if (p.kind == QueryPrefetch::Kind::kSparse) {
        SparseSearchRequest t;
        common(&t);
        t.name = p.using_;
        t.vector = p.sparse;
        return c.SparseSearch(t);
      }
      SearchRequest s;
      common(&s);
      s.vector = p.vector;
      s.using_vector = p.using_;
      s.vector_rows = p.vector_rows;
      s.ef_search = p.ef_search;
      return c.Search(s);
    };
    Result<SearchResult> res = run();
    if (!res.ok()) {
      return Status(res.status().code(), "prefetch[" + std::to_string(i) +
                                             "]: " + res.status().message());
    }
    stats.points_scanned += res->stats.points_scanned;
    stats.distances_computed += res->stats.distances_computed;
    stats.nodes_visited += res->stats.nodes_visited;
    stats.partitions_pruned += res->stats.partitions_pruned;
    stats.sources_searched += res->stats.sources_searched;
    // Text and sparse scores are higher-is-better; vector scores follow
    // the metric.
    if (p.kind == QueryPrefetch::Kind::kVector &&
        PrefetchMetric(c.config(), p) == Metric::kEuclidean) {
      for (auto& h : res->hits) h.score = -h.score;
    }
    lists.push_back(std::move(res->hits));
  }

  std::map<std::string, Fused> fused;
  for (const auto& list : lists) {
    double lo = 0, span = 0;
    if (r.fusion == Fusion::kDbsf && !list.empty()) {
      double mean = 0, var = 0;
      for (const auto& h : list) mean += h.score;
      mean /= list.size();
      for (const auto& h : list) var += (h.score - mean) * (h.score - mean);
      const double sd = std::sqrt(var / list.size());
      lo = mean - 3 * sd;
      span = 6 * sd;
    }
    for (size_t rank = 0; rank < list.size(); ++rank) {
      const SearchHit& h = list[rank];
      double add;
      if (r.fusion == Fusion::kRrf) {
        add = 1.0 / (static_cast<double>(r.rrf_k) + rank + 1);
      } else {
        add = span > 0 ? std::clamp((h.score - lo) / span, 0.0, 1.0) : 1.0;
      }
      auto [it, fresh] = fused.try_emplace(h.id);
      if (fresh) it->second.hit = h;
      it->second.score += add;
    }
  }

  std::vector<Fused> ranked;
  ranked.reserve(fused.size());
  for (auto& [id, f] : fused) ranked.push_back(std::move(f));
  if (!r.rescore.empty()) {
    if (r.rescore.size() != c.config().dimension) {
      return Status::InvalidArgument("rescore: vector dimension " +
                                     std::to_string(r.rescore.size()) +
                                     " does not match the collection's " +
                                     std::to_string(c.config().dimension));
    }
    const size_t dim = r.rescore.size();
    const float q_norm = index::Norm(r.rescore.data(), dim);
    for (auto& f : ranked) {
      if (f.hit.vector.size() != dim) {
        return Status::Internal("rescore: a hit came without its vector");
      }
      const float* x = f.hit.vector.data();
      f.hit.score = index::ScoreFromDistance(
          metric, index::InternalDistance(metric, r.rescore.data(), q_norm, x,
                                          index::Norm(x, dim), dim));
    }
    std::sort(ranked.begin(), ranked.end(),
              [&](const Fused& a, const Fused& b) {
                if (a.hit.score != b.hit.score)
                  return Better(metric, a.hit.score, b.hit.score);
                return a.hit.id < b.hit.id;
              });
  } else {
    for (auto& f : ranked) f.hit.score = static_cast<float>(f.score);
    std::sort(ranked.begin(), ranked.end(), [](const Fused& a, const Fused& b) {
      if (a.score != b.score) return a.score > b.score;
      return a.hit.id < b.hit.id;
    });
  }
  SearchResult out;
  out.stats = stats;
  for (size_t i = 0; i < ranked.size() && i < r.limit; ++i) {
    SearchHit h = std::move(ranked[i].hit);
    if (!r.include_vector) h.vector.clear();
    out.hits.push_back(std::move(h));
  }
  return out;
}

}  // namespace proximadb::service
