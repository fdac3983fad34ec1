// Change-feed benchmark (issue "snapshots, PITR, change feed"): how fast a
// consumer reads a collection's changes and how far it trails the writers.
//
//   changefeed_bench [--points N] [--dim D] [--batch B] [--threads T]
//                    [--dir PATH]
//
// Three phases on one collection (synthetic clustered data, every batch
// durable before Upsert returns, as engine_bench):
//   1. ingest N points with T writers and no consumer (the baseline rate);
//   2. ingest N more with T writers while one consumer follows the feed
//      (Collection::Changes, waiting for new writes): the writers' rate
//      beside the baseline, and the consumer's lag per write = when it
//      received the write's last operation minus the write's logged time
//      (taken at group commit, just before the fsync), p50 / p99 / max;
//   3. catch-up: a new consumer reads all 2N changes from sequence 1 (the
//      WAL files, flushed or not, retained): changes/s and MB/s of vectors.
// Prints one line per measurement; docs/BENCHMARKS.md records the results.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "clustered.h"
#include "proximadb/db.h"

using namespace proximadb;
using Steady = std::chrono::steady_clock;

namespace {

struct Args {
  uint64_t points = 200000;
  uint32_t dim = 128;
  uint32_t batch = 1000;
  uint32_t threads = 2;
  std::string dir = "/tmp/pdb-changefeed-bench";
};

double Seconds(Steady::time_point a) {
  return std::chrono::duration<double>(Steady::now() - a).count();
}

uint64_t NowMicros() {
  return static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
}

// Ingests `points` with `threads` writers, ids prefixed by `tag`; returns
// vectors/s.
double Ingest(Collection* c, const Args& a, const std::string& tag,
              uint64_t seed) {
  std::vector<std::thread> writers;
  const uint64_t per = a.points / a.threads;
  const auto start = Steady::now();
  for (uint32_t t = 0; t < a.threads; ++t) {
    writers.emplace_back([&, t] {
      bench::Clustered gen(a.dim, seed + t);
      for (uint64_t done = 0; done < per; done += a.batch) {
        std::vector<Point> batch;
        for (uint32_t i = 0; i < a.batch && done + i < per; ++i) {
          batch.push_back(
              {tag + std::to_string(t) + "-" + std::to_string(done + i),
               gen.Next(),
               {{"t", t}}});
        }
        auto r = c->Upsert(std::move(batch));
        if (!r.ok()) {
          std::fprintf(stderr, "upsert: %s\n", r.status().ToString().c_str());
          std::exit(1);
        }
      }
    });
  }
  for (auto& w : writers) w.join();
  return static_cast<double>(per * a.threads) / Seconds(start);
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[std::min(v.size() - 1, static_cast<size_t>(p * v.size()))];
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--points")
      a.points = std::stoull(v);
    else if (k == "--dim")
      a.dim = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--batch")
      a.batch = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--threads")
      a.threads = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--dir")
      a.dir = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  std::filesystem::remove_all(a.dir);
  DBOptions o;
  // Keep every WAL file the run writes (phase 3 reads from sequence 1).
  o.wal_retention_hours = 24;
  o.wal_retention_mb = 1 << 20;
  auto db = DB::Open(o, a.dir);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  CollectionConfig cfg;
  cfg.name = "feed";
  cfg.dimension = a.dim;
  cfg.metric = Metric::kEuclidean;
  auto c = (*db)->CreateCollection(cfg);
  if (!c.ok()) {
    std::fprintf(stderr, "create: %s\n", c.status().ToString().c_str());
    return 1;
  }
  std::printf("points per phase %llu, dim %u, batch %u, writers %u\n",
              static_cast<unsigned long long>(a.points), a.dim, a.batch,
              a.threads);

  // 1. Baseline.
  const double base = Ingest(c->get(), a, "a", 1);
  std::printf("ingest without a consumer: %.0f vectors/s\n", base);

  // 2. With a follower.
  const uint64_t from = (*c)->ChangeRange().second + 1;
  std::atomic<bool> stop{false};
  std::vector<double> lags_ms;
  std::atomic<uint64_t> followed{0};
  std::thread follower([&] {
    auto reader = (*c)->Changes(from);
    if (!reader.ok()) {
      std::fprintf(stderr, "changes: %s\n", reader.status().ToString().c_str());
      std::exit(1);
    }
    std::vector<Change> got;
    while (true) {
      got.clear();
      Status s = (*reader)->Next(4096, 100, &got);
      if (!s.ok()) {
        std::fprintf(stderr, "next: %s\n", s.ToString().c_str());
        std::exit(1);
      }
      const uint64_t now = NowMicros();
      for (const Change& ch : got) {
        ++followed;
        if (ch.index + 1 == ch.batch_ops) {
          lags_ms.push_back(static_cast<double>(now - ch.time_unix_micros) /
                            1000.0);
        }
      }
      if (got.empty() && stop.load()) break;
    }
  });
  const double with = Ingest(c->get(), a, "b", 100);
  // Let the follower drain what is left, then stop it.
  while (followed.load() < a.points / a.threads * a.threads) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  stop = true;
  follower.join();
  std::printf(
      "ingest with a following consumer: %.0f vectors/s (%.1f%% of "
      "the baseline)\n",
      with, 100.0 * with / base);
  std::printf(
      "consumer lag per write: p50 %.2f ms, p99 %.2f ms, max %.2f ms "
      "(%zu writes, %llu changes)\n",
      Percentile(lags_ms, 0.5), Percentile(lags_ms, 0.99),
      Percentile(lags_ms, 1.0), lags_ms.size(),
      static_cast<unsigned long long>(followed.load()));

  // 3. Catch-up from the start.
  auto reader = (*c)->Changes(1);
  if (!reader.ok()) return 1;
  std::vector<Change> got;
  uint64_t n = 0, bytes = 0;
  const auto start = Steady::now();
  while (true) {
    got.clear();
    if (!(*reader)->Next(4096, 0, &got).ok()) return 1;
    if (got.empty()) break;
    for (const Change& ch : got) bytes += ch.vector.size() * sizeof(float);
    n += got.size();
  }
  const double secs = Seconds(start);
  std::printf(
      "catch-up read of %llu changes: %.0f changes/s, %.1f MB/s of "
      "vectors\n",
      static_cast<unsigned long long>(n), n / secs, bytes / secs / 1e6);
  std::filesystem::remove_all(a.dir);
  return 0;
}
