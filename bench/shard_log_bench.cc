// The cost of the quorum: write latency and throughput of the cluster write
// path's core (ShardPrimary: a shard entry appended to a NATS JetStream
// stream, acknowledged by JetStream, applied by the primary's own replica
// before the answer) against the single-node engine (Collection::Upsert:
// WAL fsync), at the same load: batches of --batch points of --dim floats,
// --writers threads each writing --writes batches.
//
//   shard_log_bench --nats-urls nats://127.0.0.1:P1,... [--writers 1]
//                   [--batch 100] [--dim 128] [--writes 300] [--dir /tmp/x]
//
// Start the servers with scripts/nats-cluster.sh up DIR 3 (its NATS_URLS
// line). Streams R1 and R3 are made on them; every server on this machine.
#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "cluster/shard_primary.h"
#include "proximadb/db.h"

using namespace proximadb;
using bench::Check;
using bench::Steady;

namespace {

struct Args {
  std::vector<std::string> urls;
  int writers = 1;
  int batch = 100;
  int dim = 128;
  int writes = 300;
  std::string dir = "/tmp/shard_log_bench";
};

struct Timing {
  double p50_ms = 0, p99_ms = 0, points_per_s = 0;
};

// `write(thread, i)` does one batch; latencies of every call.
template <class F>
Timing Measure(const Args& a, F write) {
  std::vector<std::vector<double>> lat(a.writers);
  const auto t0 = Steady::now();
  std::vector<std::thread> threads;
  for (int t = 0; t < a.writers; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < a.writes; ++i) {
        const auto s = Steady::now();
        write(t, i);
        lat[t].push_back(bench::Seconds(s) * 1e3);
      }
    });
  }
  for (auto& th : threads) th.join();
  const double secs = bench::Seconds(t0);
  std::vector<double> all;
  for (auto& v : lat) all.insert(all.end(), v.begin(), v.end());
  std::sort(all.begin(), all.end());
  Timing r;
  r.p50_ms = all[all.size() / 2];
  r.p99_ms = all[std::min(all.size() - 1, all.size() * 99 / 100)];
  r.points_per_s = double(a.writers) * a.writes * a.batch / secs;
  return r;
}

std::vector<Point> Points(const Args& a, int t, int i, std::mt19937& rng) {
  std::normal_distribution<float> n;
  std::vector<Point> pts(a.batch);
  for (int k = 0; k < a.batch; ++k) {
    pts[k].id = "t" + std::to_string(t) + "-" + std::to_string(i) + "-" +
                std::to_string(k);
    pts[k].vector.resize(a.dim);
    for (auto& x : pts[k].vector) x = n(rng);
    pts[k].metadata = {{"k", k}};
  }
  return pts;
}

wal::WalBatch ToBatch(const std::vector<Point>& pts) {
  wal::WalBatch b;
  for (const auto& p : pts) {
    wal::WalOp op;
    op.type = wal::WalOp::Type::kUpsert;
    op.id = p.id;
    op.vector = p.vector;
    op.metadata_json = p.metadata.dump();
    b.ops.push_back(std::move(op));
  }
  return b;
}

CollectionConfig Config(const Args& a) {
  CollectionConfig c;
  c.name = "bench";
  c.dimension = a.dim;
  c.metric = Metric::kEuclidean;
  c.index.algorithm = "flat";
  return c;
}

Timing SingleNode(const Args& a) {
  auto db = DB::Open(DBOptions{}, a.dir + "/single");
  Check(db.status(), "open");
  auto c = (*db)->CreateCollection(Config(a));
  Check(c.status(), "create");
  std::vector<std::mt19937> rngs;
  for (int t = 0; t < a.writers; ++t) rngs.emplace_back(t);
  return Measure(a, [&](int t, int i) {
    Check((*c)->Upsert(Points(a, t, i, rngs[t])).status(), "upsert");
  });
}

Timing ShardLog(const Args& a, cluster::JetStreamLog* log, int replicas) {
  const std::string stream = "BENCH_R" + std::to_string(replicas);
  const std::string subject = "bench.r" + std::to_string(replicas);
  (void)log->DeleteStream(stream);
  Check(log->EnsureStream({stream, subject, replicas, 0, 0, 0}), "stream");
  auto db = DB::Open(DBOptions{}, a.dir + "/r" + std::to_string(replicas));
  Check(db.status(), "open");
  auto c = (*db)->CreateCollection(Config(a));
  Check(c.status(), "create");
  auto applier = cluster::ShardApplier::Open(
      Env::Default(), a.dir + "/r" + std::to_string(replicas) + ".applied", *c);
  Check(applier.status(), "applier");
  auto replica = cluster::ShardReplica::Start(log, std::move(*applier),
                                              {stream, subject, 200, 200, 256});
  Check(replica.status(), "replica");
  auto primary = cluster::ShardPrimary::Start(
      log, replica->get(), {stream, subject, 1, "bench", 30000});
  Check(primary.status(), "primary");
  std::vector<std::mt19937> rngs;
  for (int t = 0; t < a.writers; ++t) rngs.emplace_back(t);
  Timing r = Measure(a, [&](int t, int i) {
    Check((*primary)->Write(ToBatch(Points(a, t, i, rngs[t]))).status(),
          "write");
  });
  primary->reset();
  replica->reset();
  (void)log->DeleteStream(stream);
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--nats-urls") {
      std::stringstream ss(v);
      std::string u;
      while (std::getline(ss, u, ',')) a.urls.push_back(u);
    } else if (k == "--writers") {
      a.writers = std::stoi(v);
    } else if (k == "--batch") {
      a.batch = std::stoi(v);
    } else if (k == "--dim") {
      a.dim = std::stoi(v);
    } else if (k == "--writes") {
      a.writes = std::stoi(v);
    } else if (k == "--dir") {
      a.dir = v;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  if (a.urls.empty()) {
    std::fprintf(stderr, "--nats-urls is required (scripts/nats-cluster.sh)\n");
    return 2;
  }
  std::string rm = "rm -rf " + a.dir;
  if (std::system(rm.c_str()) != 0) return 1;
  auto log = cluster::JetStreamLog::Connect({a.urls, 30000, "bench"});
  Check(log.status(), "connect");
  std::printf("writers %d, batches of %d x %d-d points, %d batches each\n",
              a.writers, a.batch, a.dim, a.writes);
  std::printf("%-28s %10s %10s %12s\n", "path", "p50 ms", "p99 ms", "points/s");
  auto print = [](const char* name, const Timing& r) {
    std::printf("%-28s %10.2f %10.2f %12.0f\n", name, r.p50_ms, r.p99_ms,
                r.points_per_s);
  };
  print("single node (WAL fsync)", SingleNode(a));
  print("shard log R1", ShardLog(a, log->get(), 1));
  print("shard log R3", ShardLog(a, log->get(), 3));
  return 0;
}
