// Filtered search benchmark: Fashion-MNIST (60,000 x 784, euclidean) with
// synthetic metadata whose filters match 50 %, 10 %, 1 % and 0.1 % of the
// points (a keyword equality, an integer range, a datetime range and a geo
// radius at each). For each filter: recall@10 against the exact filtered top 10
// (brute force, computed here independently of the engine) and single-thread
// QPS of
//   planner      ProximaDB with payload indexes (index_scan or
//                hnsw_filtered, chosen per segment)
//   traversal    the same collection after its payload indexes are dropped:
//                HNSW with the filter checked during traversal, no planner
//   post-filter  HNSW top k' without the filter, then the filter (k' = 100,
//                ef = 100): what a vector index without filter support does
// See docs/BENCHMARKS.md, "Filtered search".
//
//   filter_bench [--queries 200] [--limit 60000] [--runs 3]
// QPS is the median of --runs passes over the queries (one pass for the
// traversal-only column), single thread; recall from the first pass.
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <map>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "filter/filter.h"
#include "filter/geo.h"
#include "idx_reader.h"
#include "index/distance.h"
#include "proximadb/db.h"

using namespace proximadb;
using nlohmann::json;
using SteadyClock = std::chrono::steady_clock;

namespace {

double Secs(SteadyClock::time_point a) {
  return std::chrono::duration<double>(SteadyClock::now() - a).count();
}

bool ReadIdx(const std::string& path, uint32_t limit, uint32_t* n_out,
             uint32_t* dim_out, std::vector<float>* out) {
  return proximadb::bench::ReadIdxImages(path, limit, n_out, dim_out, out);
}

struct FilterCase {
  std::string name;
  double selectivity;
  json filter;
  std::vector<char> match;  // per point
};

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t nq = 200, limit = 60000, runs = 3;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string a = argv[i];
    if (a == "--queries") nq = std::stoul(argv[i + 1]);
    if (a == "--limit") limit = std::stoul(argv[i + 1]);
    if (a == "--runs") runs = std::stoul(argv[i + 1]);
  }
  const std::string dir = "/usr/share/datasets/fashion-mnist/";
  uint32_t n, dim, qn, qdim;
  std::vector<float> base, queries;
  if (!ReadIdx(dir + "train-images-idx3-ubyte.gz", limit, &n, &dim, &base) ||
      !ReadIdx(dir + "t10k-images-idx3-ubyte.gz", nq, &qn, &qdim, &queries)) {
    std::fprintf(stderr,
                 "cannot read Fashion-MNIST (scripts/install-bench-deps.sh)\n");
    return 1;
  }
  nq = qn;
  std::printf("dataset fashion-mnist-784-euclidean: %u points, %u queries\n", n,
              nq);

  // Metadata independent of the vectors: "tag" (keyword) takes "a50",
  // "a10", "a1", "a01" with probability 50 %, 10 %, 1 %, 0.1 %; "bucket"
  // (integer) is uniform in 0..999 for range filters.
  std::mt19937 rng(42);
  std::uniform_real_distribution<double> u01(0, 1);
  // "ts" (datetime) is a minute uniform in 0..999 after 2026-01-01T00:00Z,
  // written in UTC or at +01:00; "loc" (geo) is uniform in a 2 x 3 degree
  // box around (49, 3.5), and the radii are the distance quantiles.
  std::vector<std::string> tag(n);
  std::vector<int> bucket(n), minute(n);
  std::vector<filter::GeoPoint> loc(n);
  auto ts = [](int min, bool plus_one) {
    const int local = min + (plus_one ? 60 : 0);
    char buf[40];
    std::snprintf(buf, sizeof(buf), "2026-01-01T%02d:%02d:00%s", local / 60,
                  local % 60, plus_one ? "+01:00" : "Z");
    return std::string(buf);
  };
  for (uint32_t i = 0; i < n; ++i) {
    const double u = u01(rng);
    tag[i] = u < 0.5     ? "a50"
             : u < 0.6   ? "a10"
             : u < 0.61  ? "a1"
             : u < 0.611 ? "a01"
                         : "other";
    bucket[i] = static_cast<int>(rng() % 1000);
    minute[i] = static_cast<int>(rng() % 1000);
    loc[i] = {48 + u01(rng) * 2, 2 + u01(rng) * 3};
  }
  std::vector<FilterCase> cases;
  for (auto [t, sel] : std::vector<std::pair<std::string, double>>{
           {"a50", 0.5}, {"a10", 0.1}, {"a1", 0.01}, {"a01", 0.001}}) {
    FilterCase c{"tag == " + t, sel, json{{"tag", t}}, {}};
    for (uint32_t i = 0; i < n; ++i) c.match.push_back(tag[i] == t);
    cases.push_back(std::move(c));
  }
  for (auto [hi, sel] : std::vector<std::pair<int, double>>{
           {500, 0.5}, {100, 0.1}, {10, 0.01}, {1, 0.001}}) {
    FilterCase c{"bucket < " + std::to_string(hi),
                 sel,
                 json{{"bucket", {{"$lt", hi}}}},
                 {}};
    for (uint32_t i = 0; i < n; ++i) c.match.push_back(bucket[i] < hi);
    cases.push_back(std::move(c));
  }
  for (auto [hi, sel] : std::vector<std::pair<int, double>>{
           {500, 0.5}, {100, 0.1}, {10, 0.01}, {1, 0.001}}) {
    FilterCase c{"ts < " + ts(hi, false),
                 sel,
                 json{{"ts", {{"$lt", ts(hi, true)}}}},  // the same instant
                 {}};
    for (uint32_t i = 0; i < n; ++i) c.match.push_back(minute[i] < hi);
    cases.push_back(std::move(c));
  }
  {
    const filter::GeoPoint centre{49, 3.5};
    std::vector<double> dist(n);
    for (uint32_t i = 0; i < n; ++i) {
      dist[i] = filter::HaversineMeters(centre, loc[i]);
    }
    std::vector<double> sorted = dist;
    std::sort(sorted.begin(), sorted.end());
    for (double sel : {0.5, 0.1, 0.01, 0.001}) {
      const double meters =
          sorted[std::max<size_t>(1, static_cast<size_t>(sel * n)) - 1];
      FilterCase c{"loc within " + std::to_string(int(meters)) + " m",
                   sel,
                   json{{"loc",
                         {{"$geo_radius",
                           {{"lat", centre.lat},
                            {"lon", centre.lon},
                            {"meters", meters}}}}}},
                   {}};
      for (uint32_t i = 0; i < n; ++i) c.match.push_back(dist[i] <= meters);
      cases.push_back(std::move(c));
    }
  }

  // Ground truth: brute force over the matching points.
  const uint32_t k = 10;
  std::vector<std::vector<std::set<std::string>>> truth(cases.size());
  {
    auto t0 = SteadyClock::now();
    std::vector<std::pair<float, uint32_t>> d(n);
    for (uint32_t q = 0; q < nq; ++q) {
      const float* qv = queries.data() + size_t(q) * dim;
      for (uint32_t i = 0; i < n; ++i) {
        d[i] = {index::L2Sqr(qv, base.data() + size_t(i) * dim, dim), i};
      }
      std::sort(d.begin(), d.end());
      for (size_t c = 0; c < cases.size(); ++c) {
        std::set<std::string> top;
        for (uint32_t j = 0; j < n && top.size() < k; ++j) {
          if (cases[c].match[d[j].second]) {
            top.insert("p" + std::to_string(d[j].second));
          }
        }
        truth[c].push_back(std::move(top));
      }
    }
    std::printf("ground truth: %.1f s\n", Secs(t0));
  }

  const std::string data_dir =
      (std::filesystem::temp_directory_path() / "pdb-filter-bench").string();
  std::filesystem::remove_all(data_dir);
  DBOptions opts;
  opts.background_threads = false;  // graph and index builds inline
  auto db = DB::Open(opts, data_dir).value();
  CollectionConfig cfg;
  cfg.name = "fmnist";
  cfg.dimension = dim;
  cfg.metric = Metric::kEuclidean;
  cfg.index.algorithm = "hnsw";  // m 16, ef_construction 200, ef_search 64
  auto coll = db->CreateCollection(cfg).value();
  if (!coll->CreatePayloadIndex({"tag", PayloadIndexType::kKeyword}).ok() ||
      !coll->CreatePayloadIndex({"bucket", PayloadIndexType::kInteger}).ok() ||
      !coll->CreatePayloadIndex({"ts", PayloadIndexType::kDatetime}).ok() ||
      !coll->CreatePayloadIndex({"loc", PayloadIndexType::kGeo}).ok()) {
    std::fprintf(stderr, "creating payload indexes failed\n");
    return 1;
  }
  {
    auto t0 = SteadyClock::now();
    for (uint32_t b = 0; b < n; b += 1000) {
      std::vector<Point> batch;
      for (uint32_t i = b; i < std::min(n, b + 1000); ++i) {
        const float* v = base.data() + size_t(i) * dim;
        batch.push_back(
            {"p" + std::to_string(i),
             std::vector<float>(v, v + dim),
             {{"tag", tag[i]},
              {"bucket", bucket[i]},
              {"ts", ts(minute[i], i % 2 == 1)},
              {"loc", {{"lat", loc[i].lat}, {"lon", loc[i].lon}}}}});
      }
      if (!coll->Upsert(std::move(batch)).ok()) return 1;
    }
    std::printf("upsert: %.1f s\n", Secs(t0));
    t0 = SteadyClock::now();
    if (!coll->Flush().ok()) return 1;  // one segment, graph built inline
    std::printf("flush + payload indexes + graph build: %.1f s\n", Secs(t0));
  }

  struct Row {
    double recall, qps;
    std::string plan;
  };
  // Runs every query `runs` times; recall from the first run, QPS median.
  std::vector<filter::Filter> compiled;
  for (const auto& c : cases) {
    compiled.push_back(filter::Filter::Parse(c.filter).value());
  }
  auto measure = [&](size_t c, bool post_filter, uint32_t runs) -> Row {
    Row row{0, 0, ""};
    std::vector<double> qps;
    for (uint32_t r = 0; r < runs; ++r) {
      double hits = 0, total = 0;
      auto t0 = SteadyClock::now();
      for (uint32_t q = 0; q < nq; ++q) {
        SearchRequest req;
        const float* qv = queries.data() + size_t(q) * dim;
        req.vector.assign(qv, qv + dim);
        req.include_metadata = post_filter;
        if (post_filter) {
          req.k = 100;
          req.ef_search = 100;
        } else {
          req.k = k;
          req.filter = cases[c].filter;
        }
        req.explain = r == 0 && q == 0;
        auto res = coll->Search(req);
        if (!res.ok()) {
          std::fprintf(stderr, "search: %s\n", res.status().ToString().c_str());
          std::exit(1);
        }
        std::vector<std::string> got;
        for (const auto& h : res->hits) {
          if (post_filter) {
            // The filter applied after the vector search.
            if (!compiled[c].Matches(h.metadata)) continue;
          }
          if (got.size() < k) got.push_back(h.id);
        }
        if (r == 0) {
          for (const auto& id : got) hits += truth[c][q].count(id);
          total += truth[c][q].size();
          if (q == 0 && !post_filter) {
            for (const auto& p : res->explain) {
              if (p.source != "segment") continue;
              row.plan = p.strategy +
                         " est=" + std::to_string(p.estimated_matches) +
                         (p.ef ? " ef=" + std::to_string(p.ef) : "");
            }
          }
        }
      }
      qps.push_back(nq / Secs(t0));
      if (r == 0) row.recall = total ? hits / total : 1.0;
    }
    row.qps = Median(qps);
    return row;
  };

  std::vector<Row> planner, post, traversal;
  for (size_t c = 0; c < cases.size(); ++c) {
    planner.push_back(measure(c, false, runs));
    post.push_back(measure(c, true, runs));
  }
  // The same collection without payload indexes: the pre-planner path
  // (one run: at 0.1 % it is slow).
  for (const char* f : {"tag", "bucket", "ts", "loc"}) {
    (void)coll->DropPayloadIndex(f);
  }
  for (size_t c = 0; c < cases.size(); ++c) {
    traversal.push_back(measure(c, false, 1));
  }

  std::printf(
      "\n| filter | matches | planner recall@10 | planner QPS | plan "
      "(segment) | traversal only recall | traversal QPS | post-filter "
      "(k'=100) recall | post-filter QPS |\n|---|---|---|---|---|---|---|---|"
      "---|\n");
  for (size_t c = 0; c < cases.size(); ++c) {
    std::printf(
        "| `%s` | %.1f %% | %.3f | %.0f | %s | %.3f | %.0f | %.3f | "
        "%.0f |\n",
        cases[c].name.c_str(), cases[c].selectivity * 100, planner[c].recall,
        planner[c].qps, planner[c].plan.c_str(), traversal[c].recall,
        traversal[c].qps, post[c].recall, post[c].qps);
  }
  db.reset();
  std::filesystem::remove_all(data_dir);
  return 0;
}
