// Sustained durable ingest per storage strategy (docs/API.md, "Storage
// strategies"): writers upsert batches for --seconds into a collection whose
// memtable is flushed every --flush-points points by the server's own flush
// scheduler, while segments get their index in the background, as in
// production. For each configuration, one after the other in a fresh
// directory:
//   * acknowledged points per second over the run, and the p50 / p99 / max
//     latency of one batch upsert (every one fsynced before it returns);
//   * at the end of the writes, how many flushed points still wait for their
//     segment's index (searched by exact scans meanwhile), and how long the
//     index builds take to catch up once the writes stop;
//   * with --report-every S, every S seconds of the run: the points/s
//     acknowledged in that interval, its batch p99, and how many flushed
//     points then wait for their index (the backlog a sustained load leaves).
//
// --id-space N upserts over N ids (writer w's i-th point is "p<i mod N'>",
// N' = N / writers, in its own range), so a long run overwrites instead of
// growing: the live collection stays N points, compaction drops the dead
// rows, and the disk holds a bounded amount (a 10-minute run of fresh ids
// would write ~60 GB at 128-d). 0 (the default): fresh ids.
//
//   strategy_ingest_bench [--seconds S] [--dim D] [--batch B] [--writers W]
//                         [--flush-points N] [--configs standard,ivf-hash]
//                         [--dir PATH] [--id-space N] [--report-every S]
//
// Configurations: "standard" (hnsw, btree memtable), "ivf-hash" (custom:
// ivf with int8 codes, hash memtable), "viper" (the same with two
// filterable int columns, w and n), "ivf" (custom: ivf int8, btree),
// "flat" (standard, no index: the WAL and flush alone).
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "clustered.h"
#include "proximadb/db.h"

using namespace proximadb;
using SteadyClock = std::chrono::steady_clock;

namespace {

struct Args {
  double seconds = 60;
  uint32_t dim = 128;
  uint32_t batch = 500;
  uint32_t writers = 2;
  uint64_t flush_points = 100000;
  std::string configs = "standard,ivf-hash";
  std::string dir = "/tmp/pdb-strategy-bench";
  uint64_t id_space = 0;
  double report_every = 0;
};

double Since(SteadyClock::time_point a) {
  return std::chrono::duration<double>(SteadyClock::now() - a).count();
}

CollectionConfig ConfigOf(const std::string& kind, const Args& a) {
  CollectionConfig c;
  c.name = "ingest";
  c.dimension = a.dim;
  c.metric = Metric::kEuclidean;
  c.flush.max_vector_count = a.flush_points;
  if (kind == "flat") c.index.algorithm = "flat";
  if (kind == "ivf" || kind == "ivf-hash" || kind == "viper") {
    c.storage_strategy = kind == "viper" ? "viper" : "custom";
    c.index.algorithm = "ivf";
    c.index.quantization = "int8";
    if (kind != "ivf") c.memtable = "hash";
  }
  // viper's columns: the writer and a number in every point's metadata,
  // summarised per partition when each index is built.
  if (kind == "viper") c.filterable_columns = {{"w", "int"}, {"n", "int"}};
  return c;
}

// Flushed points whose segment has no index yet (0 for flat).
uint64_t Unindexed(Collection& c, bool indexed) {
  if (!indexed) return 0;
  auto segs = c.ListSegments();
  if (!segs.ok()) return 0;
  uint64_t n = 0;
  for (const SegmentInfo& s : *segs) {
    if (!s.graph_loaded) n += s.points;
  }
  return n;
}

void Run(const std::string& kind, const Args& a) {
  std::filesystem::remove_all(a.dir);
  DBOptions o;  // background flush scheduler and index builds on
  o.flush_check_interval_ms = 100;
  auto db = DB::Open(o, a.dir);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  auto made = (*db)->CreateCollection(ConfigOf(kind, a));
  if (!made.ok()) {
    std::fprintf(stderr, "create: %s\n", made.status().ToString().c_str());
    std::exit(1);
  }
  std::shared_ptr<Collection> c = *made;
  // A pool of pre-generated vectors, reused with fresh ids: the clock
  // measures the engine, not the generator.
  bench::Clustered gen(a.dim, 11);
  std::vector<std::vector<float>> pool(20000);
  for (auto& v : pool) v = gen.Next();
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> written{0};
  std::vector<std::vector<double>> lat(a.writers);
  std::mutex lat_mu;  // the reports read lat while writers append
  const auto t0 = SteadyClock::now();
  std::vector<std::thread> ws;
  for (uint32_t w = 0; w < a.writers; ++w) {
    ws.emplace_back([&, w] {
      uint64_t seq = 0;
      while (!stop.load(std::memory_order_relaxed)) {
        std::vector<Point> b;
        b.reserve(a.batch);
        const uint64_t per_writer =
            a.id_space == 0 ? 0 : std::max<uint64_t>(1, a.id_space / a.writers);
        for (uint32_t i = 0; i < a.batch; ++i, ++seq) {
          const uint64_t id = per_writer == 0 ? seq : seq % per_writer;
          b.push_back({"w" + std::to_string(w) + "-" + std::to_string(id),
                       pool[(seq * 7919 + w) % pool.size()],
                       {{"w", w}, {"n", seq % 1000}}});
        }
        const auto s = SteadyClock::now();
        auto r = c->Upsert(std::move(b));
        {
          std::lock_guard<std::mutex> l(lat_mu);
          lat[w].push_back(Since(s) * 1e3);
        }
        if (!r.ok()) {
          std::fprintf(stderr, "upsert: %s\n", r.status().ToString().c_str());
          std::exit(1);
        }
        written += a.batch;
      }
    });
  }
  if (a.report_every > 0) {
    // Per interval: the points and batch latencies since the last report.
    uint64_t last_written = 0;
    std::vector<size_t> seen(a.writers, 0);
    for (double at = a.report_every; at <= a.seconds + 1e-9;
         at += a.report_every) {
      std::this_thread::sleep_until(
          t0 + std::chrono::duration_cast<SteadyClock::duration>(
                   std::chrono::duration<double>(at)));
      const uint64_t now_written = written.load();
      std::vector<double> window;
      {
        std::lock_guard<std::mutex> l(lat_mu);
        for (uint32_t w = 0; w < a.writers; ++w) {
          window.insert(window.end(), lat[w].begin() + seen[w], lat[w].end());
          seen[w] = lat[w].size();
        }
      }
      std::sort(window.begin(), window.end());
      const double p99 = window.empty()
                             ? 0.0
                             : window[std::min(window.size() - 1,
                                               size_t(0.99 * window.size()))];
      const CollectionInfo now = c->Info();
      std::printf(
          "  %-9s t %5.0f s: %8.0f points/s, batch p99 %6.2f ms, %llu live "
          "points, %llu segments, %llu flushed points without their index\n",
          kind.c_str(), at, (now_written - last_written) / a.report_every, p99,
          (unsigned long long)now.point_count,
          (unsigned long long)now.segment_count,
          (unsigned long long)Unindexed(*c, kind != "flat"));
      std::fflush(stdout);
      last_written = now_written;
    }
  } else {
    std::this_thread::sleep_for(std::chrono::duration<double>(a.seconds));
  }
  stop = true;
  for (auto& t : ws) t.join();
  const double secs = Since(t0);
  const bool indexed = kind != "flat";
  const CollectionInfo info = c->Info();
  const uint64_t waiting = Unindexed(*c, indexed);
  // Catch-up: until every flushed point's segment has its index.
  const auto t1 = SteadyClock::now();
  while (Unindexed(*c, indexed) > 0 && Since(t1) < 3600) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  const double catch_up = Since(t1);
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  std::sort(all.begin(), all.end());
  auto pct = [&](double p) {
    return all.empty() ? 0.0
                       : all[std::min(all.size() - 1, size_t(p * all.size()))];
  };
  std::printf(
      "%-9s dim %u, %u writers x %u-point batches, %.0f s: %.0f points/s "
      "acknowledged; batch latency p50 %.2f ms, p99 %.2f ms, max %.1f ms; "
      "at the end %llu flushed rows (overwritten ones included) without "
      "their index, in segments holding %llu live points, caught up "
      "%.1f s after the writes stopped; %llu segments; indexed rate (points "
      "/ (writes + catch-up)) %.0f points/s\n",
      kind.c_str(), a.dim, a.writers, a.batch, secs, written / secs, pct(0.5),
      pct(0.99), all.empty() ? 0.0 : all.back(), (unsigned long long)waiting,
      (unsigned long long)(info.point_count - info.memtable_points), catch_up,
      (unsigned long long)info.segment_count, written / (secs + catch_up));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--seconds")
      a.seconds = std::atof(v.c_str());
    else if (k == "--dim")
      a.dim = uint32_t(std::atoi(v.c_str()));
    else if (k == "--batch")
      a.batch = uint32_t(std::atoi(v.c_str()));
    else if (k == "--writers")
      a.writers = uint32_t(std::atoi(v.c_str()));
    else if (k == "--flush-points")
      a.flush_points = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--configs")
      a.configs = v;
    else if (k == "--dir")
      a.dir = v;
    else if (k == "--id-space")
      a.id_space = std::strtoull(v.c_str(), nullptr, 10);
    else if (k == "--report-every")
      a.report_every = std::atof(v.c_str());
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  std::printf("# load average %.2f at start\n", load[0]);
  size_t at = 0;
  while (at <= a.configs.size()) {
    size_t comma = a.configs.find(',', at);
    if (comma == std::string::npos) comma = a.configs.size();
    Run(a.configs.substr(at, comma - at), a);
    at = comma + 1;
  }
  std::filesystem::remove_all(a.dir);
  return 0;
}
