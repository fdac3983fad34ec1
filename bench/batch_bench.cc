// Batch search benchmark (performance issue): the same queries against a
// flat collection, one Search call per query against SearchBatch calls of
// --batch queries, in process, one thread. A batch scans each unindexed
// source once for all its queries (index::FlatScanMany), so the vectors are
// read from memory once per batch instead of once per query.
//
//   batch_bench [--data fmnist|synthetic] [--points N] [--dim D]
//               [--queries Q] [--batch B] [--runs R] [--source
//               segment|memtable]
//               [--algorithm flat|hnsw] [--exact]
//
// fmnist: Debian's dataset-fashion-mnist (the first --points training
// images, the first --queries test images); synthetic: 64 Gaussian clusters
// of --dim floats, fixed seed. --source memtable leaves the points unflushed
// (the live memtable); segment flushes them into one segment. Prints the
// median QPS of --runs alternating passes of each mode and checks that both
// modes return the same ids.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <string>
#include <vector>

#include "clustered.h"
#include "idx_reader.h"
#include "proximadb/db.h"

using namespace proximadb;

namespace {

double Secs(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0)
      .count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  std::string data = "fmnist", source = "segment", algorithm = "flat";
  uint32_t points = 60000, dim = 784, nq = 320, batch = 32, runs = 3;
  bool exact = false;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (a == "--data")
      data = next();
    else if (a == "--points")
      points = std::stoul(next());
    else if (a == "--dim")
      dim = std::stoul(next());
    else if (a == "--queries")
      nq = std::stoul(next());
    else if (a == "--batch")
      batch = std::stoul(next());
    else if (a == "--runs")
      runs = std::stoul(next());
    else if (a == "--source")
      source = next();
    else if (a == "--algorithm")
      algorithm = next();
    else if (a == "--exact")
      exact = true;
    else {
      std::fprintf(stderr, "unknown argument %s\n", a.c_str());
      return 2;
    }
  }
  std::vector<float> base, queries;
  if (data == "fmnist") {
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    uint32_t qn = 0, qdim = 0;
    if (!bench::ReadIdxImages(dir + "train-images-idx3-ubyte.gz", points,
                              &points, &dim, &base) ||
        !bench::ReadIdxImages(dir + "t10k-images-idx3-ubyte.gz", nq, &qn, &qdim,
                              &queries)) {
      std::fprintf(
          stderr,
          "cannot read Fashion-MNIST (scripts/install-bench-deps.sh)\n");
      return 1;
    }
    nq = qn;
  } else {
    bench::Clustered gen(dim, 7);
    for (uint32_t i = 0; i < points + nq; ++i) {
      auto v = gen.Next();
      (i < points ? base : queries)
          .insert((i < points ? base : queries).end(), v.begin(), v.end());
    }
  }
  std::printf(
      "data %s: %u points x %u dims, %u queries, batch %u, %s in the "
      "%s, %s\n",
      data.c_str(), points, dim, nq, batch, algorithm.c_str(), source.c_str(),
      exact ? "exact" : "default search");

  const auto dir = std::filesystem::temp_directory_path() / "pdb-batch-bench";
  std::filesystem::remove_all(dir);
  DBOptions opts;
  opts.background_threads = false;  // nothing flushes behind the bench
  auto db = DB::Open(opts, dir.string());
  if (!db.ok()) {
    std::fprintf(stderr, "%s\n", db.status().ToString().c_str());
    return 1;
  }
  CollectionConfig cfg;
  cfg.name = "bench";
  cfg.dimension = dim;
  cfg.metric = Metric::kEuclidean;
  cfg.index.algorithm = algorithm;
  auto coll = (*db)->CreateCollection(cfg).value();
  for (uint32_t b = 0; b < points; b += 1000) {
    std::vector<Point> pts;
    for (uint32_t i = b; i < std::min(points, b + 1000); ++i) {
      const float* v = base.data() + size_t(i) * dim;
      pts.push_back({"p" + std::to_string(i), std::vector<float>(v, v + dim),
                     nlohmann::json::object()});
    }
    if (!coll->Upsert(std::move(pts)).ok()) return 1;
  }
  if (source == "segment" && !coll->Flush().ok()) return 1;

  std::vector<SearchRequest> reqs(nq);
  for (uint32_t q = 0; q < nq; ++q) {
    const float* v = queries.data() + size_t(q) * dim;
    reqs[q].vector.assign(v, v + dim);
    reqs[q].k = 10;
    reqs[q].include_metadata = false;
    reqs[q].exact = exact;
  }
  std::vector<std::string> first_ids_one, first_ids_batch;
  auto one_by_one = [&] {
    auto t0 = std::chrono::steady_clock::now();
    first_ids_one.clear();
    for (const auto& r : reqs) {
      auto res = coll->Search(r);
      if (!res.ok()) return -1.0;
      first_ids_one.push_back(res->hits.empty() ? "" : res->hits[0].id);
    }
    return nq / Secs(t0);
  };
  auto batched = [&] {
    auto t0 = std::chrono::steady_clock::now();
    first_ids_batch.clear();
    for (uint32_t q = 0; q < nq; q += batch) {
      std::vector<SearchRequest> part(reqs.begin() + q,
                                      reqs.begin() + std::min(nq, q + batch));
      auto res = coll->SearchBatch(part);
      if (!res.ok()) return -1.0;
      for (const auto& one : *res) {
        first_ids_batch.push_back(one.hits.empty() ? "" : one.hits[0].id);
      }
    }
    return nq / Secs(t0);
  };
  one_by_one();  // warm-up: the vectors are in the page cache
  std::vector<double> single_qps, batch_qps;
  for (uint32_t r = 0; r < runs; ++r) {
    if (r % 2 == 0) {
      single_qps.push_back(one_by_one());
      batch_qps.push_back(batched());
    } else {
      batch_qps.push_back(batched());
      single_qps.push_back(one_by_one());
    }
    std::printf("run %u: one by one %.1f QPS, batch %.1f QPS\n", r + 1,
                single_qps.back(), batch_qps.back());
  }
  if (first_ids_one != first_ids_batch) {
    std::fprintf(stderr, "the batch answered differently\n");
    return 1;
  }
  const double s = Median(single_qps), b = Median(batch_qps);
  std::printf("median: one by one %.1f QPS, batch of %u %.1f QPS (%.2fx)\n", s,
              batch, b, b / s);
  std::filesystem::remove_all(dir);
  return 0;
}
