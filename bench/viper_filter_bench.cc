// Filtered search per storage layout (docs/BENCHMARKS.md, "viper:
// filterable columns"): Fashion-MNIST (60,000 x 784, euclidean, its real
// class labels as metadata, plus a uniform random "price") loaded into
//   standard     hnsw (m 16, ef_construction 200), btree memtable
//   custom-ivf   ivf int8 with the hash memtable, no columns
//   viper        the same index with filterable_columns label:int and
//                price:int (per-partition statistics)
//   viper+pidx   viper with label declared indexed (a payload index: the
//                planner may answer a selective filter by an index scan)
// as 3 flushed segments of 20,000 points each. For each filter: recall@10
// against the exact filtered top 10 (brute force, computed here), single-
// thread QPS (median of --runs passes), and the mean IVF partitions pruned
// per query; and per layout the time from the last flush to every index
// built. The filters match about 10 % of the points each, but price_rare:
//   own_label      label == the query's own class (follows the vectors)
//   other_label    label == another class (follows the vectors, away from
//                  the query)
//   price          price < 100 (independent of the vectors: nothing to
//                  prune, the cost of the statistics)
//   label_or       label in {a, b} and price < 500
//   price_rare     price < 25 (2.5 %, independent of the vectors: the
//                  probe that counts accepted rows looks at many rows)
//   unfiltered     no filter (what the filtered rows compare with)
//
//   viper_filter_bench [--queries 200] [--runs 3] [--nprobe N] [--dir /tmp/x]
// (--nprobe: every search's nprobe instead of the index's default)
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "filter/filter.h"
#include "idx_reader.h"
#include "index/distance.h"
#include "proximadb/db.h"

using namespace proximadb;
using bench::Check;
using bench::Seconds;
using bench::Steady;
using nlohmann::json;

namespace {

constexpr uint32_t kSegments = 3;

struct Layout {
  std::string name;
  CollectionConfig config;
};

std::vector<Layout> Layouts(uint32_t dim) {
  CollectionConfig base;
  base.dimension = dim;
  base.metric = Metric::kEuclidean;
  base.flush.enable_background_flush = false;
  std::vector<Layout> out;
  Layout std_l{"standard", base};
  std_l.config.name = "standard";
  out.push_back(std_l);
  Layout ivf{"custom-ivf", base};
  ivf.config.name = "custom_ivf";
  ivf.config.storage_strategy = "custom";
  ivf.config.memtable = "hash";
  ivf.config.index.algorithm = "ivf";
  ivf.config.index.quantization = "int8";
  out.push_back(ivf);
  Layout viper = ivf;
  viper.name = "viper";
  viper.config.name = "viper";
  viper.config.storage_strategy = "viper";
  viper.config.filterable_columns = {{"label", "int", false},
                                     {"price", "int", false}};
  out.push_back(viper);
  Layout indexed = viper;
  indexed.name = "viper+pidx";
  indexed.config.name = "viper_pidx";
  indexed.config.filterable_columns[0].indexed = true;
  out.push_back(indexed);
  return out;
}

void WaitForIndexes(Collection& c) {
  while (true) {
    bool all = true;
    const std::vector<SegmentInfo> segs = c.ListSegments().value();
    for (const SegmentInfo& s : segs) all = all && s.graph_loaded;
    if (all) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t nq = 200, runs = 3, nprobe = 0;
  std::string dir = "/tmp/viper_filter_bench";
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    if (a == "--queries") nq = std::stoul(argv[i + 1]);
    if (a == "--runs") runs = std::stoul(argv[i + 1]);
    if (a == "--dir") dir = argv[i + 1];
    if (a == "--nprobe") nprobe = std::stoul(argv[i + 1]);
  }
  const std::string src = "/usr/share/datasets/fashion-mnist/";
  uint32_t n = 0, dim = 0, qn = 0, qdim = 0;
  std::vector<float> base, queries;
  std::vector<int> labels, qlabels;
  if (!bench::ReadIdxImages(src + "train-images-idx3-ubyte.gz", 60000, &n, &dim,
                            &base) ||
      !bench::ReadIdxImages(src + "t10k-images-idx3-ubyte.gz", nq, &qn, &qdim,
                            &queries) ||
      !bench::ReadIdxLabels(src + "train-labels-idx1-ubyte.gz", n, &labels) ||
      !bench::ReadIdxLabels(src + "t10k-labels-idx1-ubyte.gz", qn, &qlabels)) {
    std::fprintf(stderr, "needs dataset-fashion-mnist (install-bench-deps)\n");
    return 1;
  }
  std::mt19937 rng(11);
  std::vector<int> price(n);
  for (int& p : price) p = static_cast<int>(rng() % 1000);
  std::vector<json> meta(n);
  for (uint32_t i = 0; i < n; ++i) {
    meta[i] = {{"label", labels[i]}, {"price", price[i]}};
  }

  // The filters of query q, and which points each accepts.
  struct Case {
    std::string name;
    std::vector<json> filter;  // per query
    std::vector<std::vector<uint32_t>> truth;
  };
  std::vector<Case> cases = {{"own_label", {}, {}},  {"other_label", {}, {}},
                             {"price", {}, {}},      {"label_or", {}, {}},
                             {"price_rare", {}, {}}, {"unfiltered", {}, {}}};
  for (uint32_t q = 0; q < qn; ++q) {
    const int own = qlabels[q], other = (qlabels[q] + 3) % 10;
    cases[0].filter.push_back({{"label", own}});
    cases[1].filter.push_back({{"label", other}});
    cases[2].filter.push_back({{"price", {{"$lt", 100}}}});
    cases[3].filter.push_back({{"label", {{"$in", {other, (other + 4) % 10}}}},
                               {"price", {{"$lt", 500}}}});
    cases[4].filter.push_back({{"price", {{"$lt", 25}}}});
    cases[5].filter.push_back(json::object());
  }
  // Exact filtered top 10, computed here.
  for (Case& c : cases) {
    for (uint32_t q = 0; q < qn; ++q) {
      const filter::Filter f = filter::Filter::Parse(c.filter[q]).value();
      std::vector<std::pair<float, uint32_t>> d;
      const float* qv = queries.data() + size_t(q) * dim;
      for (uint32_t i = 0; i < n; ++i) {
        if (!f.Matches(meta[i])) continue;
        d.push_back({index::L2Sqr(qv, base.data() + size_t(i) * dim, dim), i});
      }
      std::partial_sort(d.begin(), d.begin() + 10, d.end());
      std::vector<uint32_t> top;
      for (int k = 0; k < 10; ++k) top.push_back(d[k].second);
      c.truth.push_back(top);
    }
  }

  std::filesystem::remove_all(dir);
  DBOptions o;
  auto db = DB::Open(o, dir);
  Check(db.status(), "open");
  std::printf("Fashion-MNIST %u x %u, %u queries, %u segments, %u runs\n", n,
              dim, qn, kSegments, runs);
  // Loaded first, all three; then each pass runs every layout in turn, so
  // that the machine's drift hits them alike.
  const std::vector<Layout> layouts = Layouts(dim);
  std::vector<std::shared_ptr<Collection>> colls;
  for (const Layout& l : layouts) {
    auto c = (*db)->CreateCollection(l.config);
    Check(c.status(), "create");
    const uint32_t per = n / kSegments;
    auto load_start = Steady::now();
    Steady::time_point last_flush;
    for (uint32_t s = 0; s < kSegments; ++s) {
      for (uint32_t b = s * per; b < (s + 1) * per; b += 1000) {
        std::vector<Point> batch;
        for (uint32_t i = b; i < std::min((s + 1) * per, b + 1000); ++i) {
          const float* v = base.data() + size_t(i) * dim;
          batch.push_back(
              {std::to_string(i), std::vector<float>(v, v + dim), meta[i]});
        }
        Check((*c)->Upsert(batch).status(), "upsert");
      }
      Check((*c)->Flush(), "flush");
      last_flush = Steady::now();
    }
    WaitForIndexes(**c);
    std::printf(
        "%-11s load+index %.1f s, indexes done %.1f s after the last "
        "flush\n",
        l.name.c_str(), Seconds(load_start), Seconds(last_flush));
    colls.push_back(*c);
  }
  std::printf("%-11s %-12s %8s %9s %8s\n", "layout", "filter", "recall", "QPS",
              "pruned");
  for (const Case& cs : cases) {
    std::vector<double> hit(layouts.size()), pruned(layouts.size());
    std::vector<std::vector<double>> qps(layouts.size());
    for (uint32_t r = 0; r < runs; ++r) {
      for (size_t li = 0; li < layouts.size(); ++li) {
        auto t0 = Steady::now();
        for (uint32_t q = 0; q < qn; ++q) {
          SearchRequest req;
          const float* qv = queries.data() + size_t(q) * dim;
          req.vector.assign(qv, qv + dim);
          req.k = 10;
          if (!cs.filter[q].empty()) req.filter = cs.filter[q];
          if (nprobe != 0) req.nprobe = nprobe;
          auto res = colls[li]->Search(req);
          Check(res.status(), "search");
          if (r == 0) {
            const std::set<uint32_t> t(cs.truth[q].begin(), cs.truth[q].end());
            for (const SearchHit& h : res->hits) {
              hit[li] += t.count(static_cast<uint32_t>(std::stoul(h.id)));
            }
            pruned[li] += static_cast<double>(res->stats.partitions_pruned);
          }
        }
        qps[li].push_back(qn / Seconds(t0));
      }
    }
    for (size_t li = 0; li < layouts.size(); ++li) {
      std::printf("%-11s %-12s %8.4f %9.0f %8.1f\n", layouts[li].name.c_str(),
                  cs.name.c_str(), hit[li] / (10.0 * qn), Median(qps[li]),
                  pruned[li] / qn);
    }
    std::fflush(stdout);
  }
  std::filesystem::remove_all(dir);
  return 0;
}
