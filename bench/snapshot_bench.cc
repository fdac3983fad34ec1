// Snapshot benchmark (issue "snapshots, PITR, change feed"): time and bytes
// of a full snapshot of N × D vectors taken while a writer runs, of an
// incremental one after 1 % of the points changed, and of a restore.
//
//   snapshot_bench [--points N] [--dim D] [--dir PATH] [--repo PATH]
//                  [--s3-env FILE]
//
// The collection uses the flat index, so that no graph build runs in the
// background and competes for the CPU during the measurements; with HNSW
// a snapshot also carries each segment's saved graph file (~m × 8 bytes per
// point), which changes the bytes, not the method. The repository is a
// local directory (the `local` target; on this machine the same disk as
// the data), or with --s3-env the `s3` target: the S3 that
// scripts/s3-radosgw.sh started (its S3_* lines in FILE). Prints one line
// per measurement.
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <thread>
#include <vector>

#include "bench_util.h"
#include "clustered.h"
#include "proximadb/db.h"
#include "s3_env.h"

using namespace proximadb;
using bench::Check;
using bench::Seconds;
using bench::Steady;

namespace {

struct Args {
  uint64_t points = 1000000;
  uint32_t dim = 128;
  std::string dir = "/tmp/pdb-snapshot-bench";
  std::string repo = "/tmp/pdb-snapshot-bench-repo";
  std::string s3_env;  // empty: the local target
};

// Upserts ids [from, from + n) in batches of 1,000.
void Write(Collection* c, uint32_t dim, uint64_t from, uint64_t n,
           uint64_t seed) {
  bench::Clustered gen(dim, seed);
  for (uint64_t done = 0; done < n; done += 1000) {
    std::vector<Point> batch;
    for (uint64_t i = done; i < n && i < done + 1000; ++i) {
      batch.push_back({"p" + std::to_string(from + i), gen.Next(), {}});
    }
    Check(c->Upsert(std::move(batch)).status(), "upsert");
  }
}

void Report(const char* what, const SnapshotInfo& s, double secs) {
  std::printf(
      "%s: %.2f s, size %.1f MB, uploaded %.1f MB (%.0f MB/s), sequence "
      "%llu\n",
      what, secs, s.size_bytes / 1e6, s.uploaded_bytes / 1e6,
      s.uploaded_bytes / 1e6 / secs,
      static_cast<unsigned long long>(s.sequence));
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i];
    std::string v = argv[i + 1];
    if (k == "--points") {
      a.points = std::stoull(v);
    } else if (k == "--dim") {
      a.dim = static_cast<uint32_t>(std::stoul(v));
    } else if (k == "--dir") {
      a.dir = v;
    } else if (k == "--repo") {
      a.repo = v;
    } else if (k == "--s3-env") {
      a.s3_env = v;
    } else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  std::filesystem::remove_all(a.dir);
  std::filesystem::remove_all(a.repo);
  DBOptions o;
  o.snapshots.local_directory = a.repo;
  SnapshotTarget target = SnapshotTarget::kLocal;
  if (!a.s3_env.empty()) {
    auto s3 = bench::ReadS3Env(a.s3_env);
    if (!s3.count("S3_ENDPOINT") || !s3.count("S3_BUCKET")) {
      std::fprintf(stderr, "no S3_ENDPOINT / S3_BUCKET in %s\n",
                   a.s3_env.c_str());
      return 2;
    }
    o.tiering.s3_endpoint = s3["S3_ENDPOINT"];
    o.tiering.s3_region = s3.count("S3_REGION") ? s3["S3_REGION"] : "us-east-1";
    o.tiering.s3_bucket = s3["S3_BUCKET"];
    o.tiering.s3_access_key = s3["S3_ACCESS_KEY"];
    o.tiering.s3_secret_key = s3["S3_SECRET_KEY"];
    o.tiering.s3_prefix = "snapshot-bench/";
    target = SnapshotTarget::kS3;
  }
  std::printf("target: %s\n", SnapshotTargetName(target));
  auto db = DB::Open(o, a.dir);
  Check(db.status(), "open");
  CollectionConfig cfg;
  cfg.name = "snap";
  cfg.dimension = a.dim;
  cfg.metric = Metric::kEuclidean;
  cfg.index.algorithm = "flat";
  auto c = (*db)->CreateCollection(cfg);
  Check(c.status(), "create");

  auto t = Steady::now();
  std::thread w2(
      [&] { Write(c->get(), a.dim, a.points / 2, a.points / 2, 2); });
  Write(c->get(), a.dim, 0, a.points / 2, 1);
  w2.join();
  Check((*c)->Flush(), "flush");
  std::printf("ingest %llu x %u and flush: %.1f s\n",
              static_cast<unsigned long long>(a.points), a.dim, Seconds(t));

  // 1. Full snapshot while a writer keeps writing new points.
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> written{0};
  std::thread writer([&] {
    uint64_t next = a.points;
    while (!stop.load()) {
      Write(c->get(), a.dim, next, 1000, next);
      next += 1000;
      written += 1000;
    }
  });
  t = Steady::now();
  auto full = (*db)->CreateSnapshot("snap", target);
  const double full_s = Seconds(t);
  stop = true;
  writer.join();
  Check(full.status(), "snapshot");
  Report("full snapshot (a writer running)", *full, full_s);
  std::printf("  points written during it: %llu (%.0f/s)\n",
              static_cast<unsigned long long>(written.load()),
              written.load() / full_s);

  // 2. 1 % of the points change (overwritten), flushed; then incremental.
  Write(c->get(), a.dim, 0, a.points / 100, 99);
  Check((*c)->Flush(), "flush");
  t = Steady::now();
  auto inc = (*db)->CreateSnapshot("snap", target);
  const double inc_s = Seconds(t);
  Check(inc.status(), "snapshot");
  Report("incremental snapshot after 1% changed", *inc, inc_s);

  // 3. Restore the incremental one into a new collection.
  RestoreOptions ro;
  ro.target_collection = "restored";
  t = Steady::now();
  auto r = (*db)->RestoreSnapshot("snap", inc->id, ro);
  const double r_s = Seconds(t);
  Check(r.status(), "restore");
  std::printf(
      "restore: %.2f s, %llu files, %.1f MB verified (%.0f MB/s), %llu "
      "points\n",
      r_s, static_cast<unsigned long long>(r->files), r->bytes / 1e6,
      r->bytes / 1e6 / r_s, static_cast<unsigned long long>(r->points));
  auto restored = (*db)->GetCollection("restored");
  Check(restored.status(), "get restored");
  std::printf("restored collection: %llu points\n",
              static_cast<unsigned long long>((*restored)->Count().value()));
  db->reset();
  std::filesystem::remove_all(a.dir);
  std::filesystem::remove_all(a.repo);
  return 0;
}
