// Live migration (docs/API.md, "Live migration"): how long a migration of a
// loaded collection takes, and what it does to the searches running
// meanwhile. A collection of --points synthetic clustered vectors (fixed
// seed) in --segments flushed segments, standard hnsw (m 16,
// ef_construction 200), is migrated to custom ivf int8 with the hash
// memtable and back, while one client searches without pause (k 10) and,
// with --write-rate, a writer upserts that many points per second. Per
// phase (before, during the migration, after it; twice): searches per
// second, p50 / p99 / max latency, failed requests, and recall@10 against
// exact answers at the end of each steady phase.
//
// With --adaptive 1 the collection is viper instead (ivf int8, hash
// memtable) and nothing is migrated: the bench measures viper's adaptive
// rule ([storage] viper_graph_min_points / viper_graph_min_age_s; the
// loaded collection is one segment above the size) by moving its clock an
// hour on, after which the compactor builds the segment an HNSW graph and
// (--calibrate 1, the default: [storage] viper_graph_calibrate) keeps it
// only if it wins the calibration on the segment's rows. Phases: before
// (ivf), during the graph build, after (hnsw, or the kept ivf); the steady
// phases before and after a kept graph also sweep nprobe (ivf) or ef
// (hnsw) for recall against single-client searches per second.
//
// With --fmnist 1 the points are Fashion-MNIST's 60,000 training images
// (784-d; Debian's dataset-fashion-mnist) and the queries its first 200
// test images, instead of synthetic clustered vectors.
//
//   migration_bench [--points N] [--dim D] [--segments S] [--steady-s T]
//                   [--write-rate P] [--adaptive 0|1] [--calibrate 0|1]
//                   [--fmnist 0|1]
//                   [--dir PATH]
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "clustered.h"
#include "idx_reader.h"
#include "proximadb/db.h"

using namespace proximadb;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Args {
  uint64_t points = 200000;
  uint32_t dim = 128;
  uint32_t segments = 4;
  double steady_s = 10;
  uint32_t write_rate = 0;
  bool adaptive = false;
  bool calibrate = true;  // --calibrate: viper_graph_calibrate
  bool fmnist = false;
  std::string dir = "/tmp/pdb-migration-bench";
};

double Since(SteadyClock::time_point a) {
  return std::chrono::duration<double>(SteadyClock::now() - a).count();
}

void Check(const Status& s, const char* what) {
  if (!s.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, s.ToString().c_str());
    std::exit(1);
  }
}

// Latencies of the phase now running (the searcher appends; the driver
// swaps the phase).
struct Phases {
  std::mutex mu;
  std::vector<double> ms;
  uint64_t failed = 0;
  SteadyClock::time_point started = SteadyClock::now();

  void Add(double v, bool ok) {
    std::lock_guard<std::mutex> l(mu);
    ms.push_back(v);
    failed += !ok;
  }
  void Report(const char* name, const std::string& extra) {
    std::lock_guard<std::mutex> l(mu);
    const double secs = Since(started);
    std::sort(ms.begin(), ms.end());
    auto pct = [&](double p) {
      return ms.empty() ? 0.0
                        : ms[std::min(ms.size() - 1, size_t(p * ms.size()))];
    };
    std::printf(
        "%-22s %6.1f s: %7.0f searches/s, p50 %.3f ms, p99 %.3f ms, max "
        "%.1f ms, %llu failed%s\n",
        name, secs, ms.size() / secs, pct(0.5), pct(0.99),
        ms.empty() ? 0.0 : ms.back(), (unsigned long long)failed,
        extra.c_str());
    std::fflush(stdout);
    ms.clear();
    failed = 0;
    started = SteadyClock::now();
  }
};

double Recall(Collection& c, const std::vector<std::vector<float>>& queries) {
  double hit = 0, total = 0;
  for (const auto& q : queries) {
    SearchRequest req;
    req.vector = q;
    req.k = 10;
    req.exact = true;
    std::set<std::string> truth;
    auto exact = c.Search(req);
    Check(exact.status(), "exact search");
    for (auto& h : exact->hits) truth.insert(h.id);
    req.exact = false;
    auto got = c.Search(req);
    Check(got.status(), "search");
    for (auto& h : got->hits) hit += truth.count(h.id);
    total += truth.size();
  }
  return hit / total;
}

// Real time plus an offset the bench moves (the adaptive rule's age).
class ShiftedClock final : public Clock {
 public:
  uint64_t NowMicros() override {
    return Clock::Real()->NowMicros() + shift_us.load();
  }
  std::atomic<uint64_t> shift_us{0};
};

// Recall@10 and single-client searches per second at each setting
// (nprobe for ivf, ef for hnsw), 3 passes over the queries.
void Sweep(Collection& c, const std::vector<std::vector<float>>& queries,
           bool ivf, const std::vector<uint32_t>& settings) {
  std::vector<std::set<std::string>> truth;
  for (const auto& q : queries) {
    SearchRequest req;
    req.vector = q;
    req.k = 10;
    req.exact = true;
    auto exact = c.Search(req);
    Check(exact.status(), "exact search");
    std::set<std::string> ids;
    for (auto& h : exact->hits) ids.insert(h.id);
    truth.push_back(std::move(ids));
  }
  for (uint32_t setting : settings) {
    double hit = 0, total = 0;
    const auto t0 = SteadyClock::now();
    uint64_t n = 0;
    for (int pass = 0; pass < 3; ++pass) {
      for (size_t i = 0; i < queries.size(); ++i, ++n) {
        SearchRequest req;
        req.vector = queries[i];
        req.k = 10;
        if (ivf) {
          req.nprobe = setting;
        } else {
          req.ef_search = setting;
        }
        auto got = c.Search(req);
        Check(got.status(), "search");
        if (pass > 0) continue;
        for (auto& h : got->hits) hit += truth[i].count(h.id);
        total += truth[i].size();
      }
    }
    std::printf("%-22s %s %u: recall@10 %.4f, %.0f searches/s\n", "",
                ivf ? "nprobe" : "ef", setting, hit / total,
                double(n) / Since(t0));
  }
}

// The strategy explain reports for every segment ("ivf", "hnsw", ...).
std::string Strategies(Collection& c, const std::vector<float>& q) {
  SearchRequest req;
  req.vector = q;
  req.explain = true;
  auto r = c.Search(req);
  Check(r.status(), "explain");
  std::string out;
  for (const SourcePlan& p : r->explain) {
    if (p.source == "segment") out += (out.empty() ? "" : ",") + p.strategy;
  }
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--points")
      a.points = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--dim")
      a.dim = uint32_t(std::atoi(v.c_str()));
    else if (k == "--segments")
      a.segments = uint32_t(std::atoi(v.c_str()));
    else if (k == "--steady-s")
      a.steady_s = std::atof(v.c_str());
    else if (k == "--write-rate")
      a.write_rate = uint32_t(std::atoi(v.c_str()));
    else if (k == "--adaptive")
      a.adaptive = v == "1";
    else if (k == "--calibrate")
      a.calibrate = v == "1";
    else if (k == "--fmnist")
      a.fmnist = v == "1";
    else if (k == "--dir")
      a.dir = v;
  }
  // Fashion-MNIST: the training images are the points, the first test
  // images the queries.
  std::vector<float> fm_base, fm_queries;
  if (a.fmnist) {
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    uint32_t n = 0, qn = 0, dim = 0;
    if (!bench::ReadIdxImages(dir + "train-images-idx3-ubyte.gz", ~0u, &n, &dim,
                              &fm_base) ||
        !bench::ReadIdxImages(dir + "t10k-images-idx3-ubyte.gz", 200, &qn, &dim,
                              &fm_queries)) {
      std::fprintf(
          stderr,
          "cannot read Fashion-MNIST (scripts/install-bench-deps.sh)\n");
      return 1;
    }
    a.points = n;
    a.dim = dim;
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  std::printf(
      "# load average %.2f at start; %llu points x %u dims in %u "
      "segments, write rate %u points/s%s\n",
      load[0], (unsigned long long)a.points, a.dim, a.segments, a.write_rate,
      a.adaptive ? ", viper adaptive rule" : "");
  std::filesystem::remove_all(a.dir);
  DBOptions o;
  ShiftedClock clock;
  if (a.adaptive) {
    o.clock = &clock;
    // The loaded segment is above the size; an hour must pass (the clock
    // is moved) before the compactor builds its graph.
    o.viper_graph_min_points = a.points / 2;
    o.viper_graph_min_age_s = 3600;
    o.viper_graph_calibrate = a.calibrate;
  }
  auto db = DB::Open(o, a.dir);
  Check(db.status(), "open");
  CollectionConfig cfg;
  cfg.name = "mig";
  cfg.dimension = a.dim;
  cfg.metric = Metric::kEuclidean;
  // The writer's points are flushed every 20k (the memtable, scanned
  // exactly, stays small); the loaded segments may be compacted.
  cfg.flush.max_vector_count = 20000;
  if (a.adaptive) {
    cfg.storage_strategy = "viper";
    cfg.memtable = "hash";
    cfg.index.algorithm = "ivf";
    cfg.index.quantization = "int8";
  }
  auto made = (*db)->CreateCollection(cfg);
  Check(made.status(), "create");
  std::shared_ptr<Collection> c = *made;
  bench::Clustered gen(a.dim, 21);
  // Point `i`'s vector: Fashion-MNIST's row i, or the next synthetic one.
  auto base_vector = [&](uint64_t i) {
    if (!a.fmnist) return gen.Next();
    const float* v = fm_base.data() + i * a.dim;
    return std::vector<float>(v, v + a.dim);
  };
  const uint64_t per_segment = a.points / a.segments;
  const auto load_started = SteadyClock::now();
  for (uint32_t s = 0; s < a.segments; ++s) {
    for (uint64_t i = 0; i < per_segment; i += 1000) {
      std::vector<Point> batch;
      for (uint64_t j = i; j < std::min(per_segment, i + 1000); ++j) {
        batch.push_back({"p" + std::to_string(s * per_segment + j),
                         base_vector(s * per_segment + j)});
      }
      Check(c->Upsert(std::move(batch)).status(), "upsert");
    }
    Check(c->Flush(), "flush");
  }
  // The size-tiered compaction the load set off, done now rather than
  // during the measured phases; then until every segment has its graph.
  Check(c->Compact(), "compact");
  for (;;) {
    auto segs = c->ListSegments();
    Check(segs.status(), "segments");
    bool all = true;
    for (const SegmentInfo& s : *segs) all = all && s.graph_loaded;
    if (all) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::printf("# loaded and indexed in %.1f s\n", Since(load_started));
  std::vector<std::vector<float>> queries(200);
  for (size_t i = 0; i < queries.size(); ++i) {
    const float* v = fm_queries.data() + i * a.dim;
    queries[i] = a.fmnist ? std::vector<float>(v, v + a.dim) : gen.Next();
  }

  Phases phases;
  std::atomic<bool> stop{false};
  std::atomic<bool> paused{false};  // while a sweep measures alone
  std::thread searcher([&] {
    for (size_t i = 0; !stop.load(); ++i) {
      if (paused.load()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
        continue;
      }
      SearchRequest req;
      req.vector = queries[i % queries.size()];
      req.k = 10;
      const auto s = SteadyClock::now();
      auto r = c->Search(req);
      phases.Add(Since(s) * 1e3, r.ok() && r->hits.size() == 10);
    }
  });
  std::atomic<uint64_t> write_failures{0};
  std::thread writer([&] {
    if (a.write_rate == 0) return;
    bench::Clustered wgen(a.dim, 22);
    const auto t0 = SteadyClock::now();
    uint64_t n = 0;
    while (!stop.load()) {
      const uint64_t due = uint64_t(Since(t0) * a.write_rate);
      if (n >= due) {
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
        continue;
      }
      std::vector<Point> batch;
      for (; n < due && batch.size() < 500; ++n) {
        batch.push_back({"w" + std::to_string(n), wgen.Next()});
      }
      if (!c->Upsert(std::move(batch)).ok()) ++write_failures;
    }
  });
  // Bytes per flushed point of the segment files and of their index files
  // (seg-<id>.hnsw: an HNSW graph with its codes, or an IVF index; served
  // from memory, so also what the index takes in RAM).
  auto sizes = [&] {
    uint64_t seg = 0, idx = 0;
    for (auto& e : std::filesystem::recursive_directory_iterator(a.dir)) {
      if (!e.is_regular_file()) continue;
      const std::string ext = e.path().extension().string();
      if (ext == ".pdb") seg += e.file_size();
      if (ext == ".hnsw") idx += e.file_size();
    }
    const CollectionInfo info = c->Info();
    const double n = double(info.point_count - info.memtable_points);
    char out[160];
    std::snprintf(out, sizeof(out),
                  "segment files %.1f B/point, index files %.1f B/point",
                  seg / n, idx / n);
    return std::string(out);
  };
  auto steady = [&](const char* name) {
    std::this_thread::sleep_for(std::chrono::duration<double>(a.steady_s));
    phases.Report(name, "");
    char extra[64];
    std::snprintf(extra, sizeof(extra), "recall@10 %.4f", Recall(*c, queries));
    std::printf("%-22s %s; %s\n", "", extra, sizes().c_str());
    phases.Report("(recall measurement)", "");
  };
  auto migrate = [&](const char* name, const LayoutSettings& to) {
    const auto t0 = SteadyClock::now();
    auto m = c->Migrate(to);
    Check(m.status(), "migrate");
    MigrationStatus st;
    for (;;) {
      auto g = c->GetMigration();
      Check(g.status(), "get migration");
      st = *g;
      if (st.record.state != "running") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    char extra[160];
    std::snprintf(extra, sizeof(extra),
                  "; migration %s in %.2f s (%llu segments, %llu points)",
                  st.record.state.c_str(), Since(t0),
                  (unsigned long long)st.segments_total,
                  (unsigned long long)st.points_total);
    phases.Report(name, extra);
  };
  phases.Report("(warm-up)", "");
  if (a.adaptive) {
    steady("before (ivf int8)");
    paused = true;
    Sweep(*c, queries, /*ivf=*/true, {4, 8, 16, 32});
    paused = false;
    phases.Report("(sweep)", "");
    const auto t0 = SteadyClock::now();
    clock.shift_us = uint64_t{3601} * 1000000;
    // Until the rule has decided (with the calibration: kept or declined;
    // without: the graph serves every segment).
    std::string now;
    for (;;) {
      now = Strategies(*c, queries[0]);
      const CollectionInfo info = c->Info();
      if (a.calibrate
              ? info.adaptive_graphs_kept + info.adaptive_graphs_declined >= 1
              : now.find("ivf") == std::string::npos) {
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    const CollectionInfo info = c->Info();
    char extra[200];
    std::snprintf(extra, sizeof(extra),
                  "; the compactor's pass and the graph build%s took %.2f s "
                  "(segments now %s; graphs kept %llu, declined %llu)",
                  a.calibrate ? " and calibration" : "", Since(t0), now.c_str(),
                  (unsigned long long)info.adaptive_graphs_kept,
                  (unsigned long long)info.adaptive_graphs_declined);
    phases.Report("during adaptive graph", extra);
    steady(now.find("ivf") == std::string::npos ? "after (hnsw int8)"
                                                : "after (kept ivf int8)");
    paused = true;
    if (now.find("ivf") == std::string::npos) {
      Sweep(*c, queries, /*ivf=*/false, {32, 64, 128, 256});
    }
    stop = true;
    searcher.join();
    writer.join();
    db->reset();
    std::filesystem::remove_all(a.dir);
    return 0;
  }
  steady("before (hnsw)");
  LayoutSettings ivf;
  ivf.storage_strategy = "custom";
  ivf.memtable = "hash";
  ivf.index.algorithm = "ivf";
  ivf.index.quantization = "int8";
  migrate("during hnsw -> ivf", ivf);
  steady("after (ivf int8)");
  migrate("during ivf -> hnsw", cfg.layout());
  steady("after (hnsw)");
  stop = true;
  searcher.join();
  writer.join();
  std::printf("# write failures %llu\n", (unsigned long long)write_failures);
  db->reset();
  std::filesystem::remove_all(a.dir);
  return 0;
}
