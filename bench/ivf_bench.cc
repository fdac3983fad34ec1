// IVF segments (index kind "ivf", storage strategy "custom") against the
// HNSW graph a standard segment gets: how long a segment's index takes to
// build (what a flush leaves the background to do before the segment is
// searched by its index) and the recall / QPS curve over nprobe, on
// Fashion-MNIST (60k x 784, euclidean) and synthetic clustered data with a
// fixed seed (--synthetic N --dim D). One thread searches; builds use
// --threads. Results: docs/BENCHMARKS.md, "IVF segments".
//
//   ivf_bench [--synthetic N --dim D] [--threads T] [--queries Q] [--rerank R]
//   --rerank: code-space candidates re-scored per result (0: each kind's
//   default, IvfIndex::DefaultRerankFactor).
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <random>
#include <set>
#include <string>
#include <vector>

#include "idx_reader.h"
#include "index/distance.h"
#include "index/flat_index.h"
#include "index/hnsw/hnsw_index.h"
#include "index/ivf/ivf_index.h"
#include "index/simd/dispatch.h"

using namespace proximadb;
using namespace proximadb::index;
using Clock = std::chrono::steady_clock;

namespace {

double Secs(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

struct Data {
  uint32_t n = 0, dim = 0;
  std::vector<float> v, norms;
  const float* row(uint32_t i) const { return v.data() + size_t(i) * dim; }
  VectorView view() const { return {v.data(), norms.data(), n, dim}; }
  void FillNorms() {
    norms.resize(n);
    for (uint32_t i = 0; i < n; ++i) norms[i] = Norm(row(i), dim);
  }
};

// Gaussian blobs of spread 1 around 1000 centres ~ N(0, 2^2) drawn from
// `centre_seed`; the points' own draws come from `point_seed`, so base and
// queries share centres but not points.
void Clustered(uint32_t n, uint32_t dim, uint64_t centre_seed,
               uint64_t point_seed, Data* d) {
  std::mt19937_64 crng(centre_seed), rng(point_seed);
  std::normal_distribution<float> g;
  std::vector<float> centres(size_t(1000) * dim);
  for (auto& x : centres) x = 2 * g(crng);
  d->n = n;
  d->dim = dim;
  d->v.resize(size_t(n) * dim);
  for (uint32_t i = 0; i < n; ++i) {
    const float* c = &centres[size_t(rng() % 1000) * dim];
    for (uint32_t j = 0; j < dim; ++j)
      d->v[size_t(i) * dim + j] = c[j] + g(rng);
  }
  d->FillNorms();
}

struct CurvePoint {
  double recall, qps, scanned;
};

CurvePoint Measure(const VectorIndex& ix, const Data& q,
                   const std::vector<std::set<uint32_t>>& truth,
                   uint32_t nprobe, uint32_t ef) {
  double hit = 0, scanned = 0;
  const auto t0 = Clock::now();
  for (uint32_t i = 0; i < q.n; ++i) {
    SearchParams p;
    p.query = q.row(i);
    p.query_norm = q.norms[i];
    p.k = 10;
    p.nprobe = nprobe;
    p.ef_search = ef;
    std::vector<Candidate> got;
    SearchCounters c;
    ix.Search(p, {}, &got, &c);
    for (const Candidate& x : got) hit += truth[i].count(x.row);
    scanned += double(c.points_scanned);
  }
  const double s = Secs(t0);
  return {hit / (10.0 * q.n), q.n / s, scanned / q.n};
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t synthetic = 0, dim = 128, threads = 2, nq = 1000, rerank = 0;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string a = argv[i];
    const uint32_t v = uint32_t(std::strtoul(argv[i + 1], nullptr, 10));
    if (a == "--synthetic")
      synthetic = v;
    else if (a == "--dim")
      dim = v;
    else if (a == "--threads")
      threads = v;
    else if (a == "--queries")
      nq = v;
    else if (a == "--rerank")
      rerank = v;
  }
  Data base, q;
  std::string name;
  if (synthetic) {
    Clustered(synthetic, dim, 42, 1, &base);
    Clustered(nq, dim, 42, 2, &q);
    name = "clustered-" + std::to_string(synthetic) + "x" + std::to_string(dim);
  } else {
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    if (!bench::ReadIdxImages(dir + "train-images-idx3-ubyte.gz", ~0u, &base.n,
                              &base.dim, &base.v) ||
        !bench::ReadIdxImages(dir + "t10k-images-idx3-ubyte.gz", nq, &q.n,
                              &q.dim, &q.v)) {
      std::fprintf(stderr,
                   "cannot read Fashion-MNIST (apt install "
                   "dataset-fashion-mnist)\n");
      return 1;
    }
    base.FillNorms();
    q.FillNorms();
    name = "fashion-mnist-784";
  }
  double load[3] = {0, 0, 0};
  if (getloadavg(load, 3) < 0) load[0] = -1;
  std::printf(
      "# %s, %u queries, k 10, euclidean, SIMD %s, build threads %u, "
      "load %.2f\n",
      name.c_str(), q.n,
      std::string(simd::SimdLevelName(simd::ActiveSimdLevel())).c_str(),
      threads, load[0]);
  // Exact truth.
  FlatIndex flat(base.view(), Metric::kEuclidean);
  std::vector<std::set<uint32_t>> truth(q.n);
  for (uint32_t i = 0; i < q.n; ++i) {
    SearchParams p;
    p.query = q.row(i);
    p.query_norm = q.norms[i];
    p.k = 10;
    std::vector<Candidate> got;
    flat.Search(p, {}, &got, nullptr);
    for (const Candidate& c : got) truth[i].insert(c.row);
  }
  std::printf("%-12s %10s %8s %8s %8s %10s %10s %8s\n", "index", "build_s",
              "nlist", "nprobe", "recall", "qps", "scanned", "B/pt");
  const std::pair<Quantization, const char*> kinds[] = {
      {Quantization::kNone, "ivf-float"},
      {Quantization::kInt8, "ivf-int8"},
      {Quantization::kBinary, "ivf-binary"},
      {Quantization::kPq, "ivf-pq"}};
  for (const auto& [kind, label] : kinds) {
    IvfParams ip;
    ip.quantization = kind;
    ip.rerank_factor = rerank;
    const auto t0 = Clock::now();
    auto ix = IvfIndex::Build(base.view(), Metric::kEuclidean, ip, threads);
    const double build = Secs(t0);
    if (!ix.ok()) return 1;
    const uint32_t nl = (*ix)->nlist();
    for (uint32_t np :
         {nl / 64, nl / 32, nl / 16, (*ix)->nprobe(), nl / 8, nl / 4}) {
      if (np == 0) continue;
      CurvePoint r = Measure(**ix, q, truth, np, 0);
      // RAM the index holds per point: centroids, lists, codes (not the
      // float rows, which the segment maps).
      std::printf("%-12s %10.2f %8u %8u%s %8.4f %10.0f %10.0f %8.1f\n", label,
                  build, nl, np, np == (*ix)->nprobe() ? "*" : " ", r.recall,
                  r.qps, r.scanned, double((*ix)->MemoryUsage()) / base.n);
    }
  }
  {
    HnswParams hp;  // the collection defaults: m 16, ef_construction 200
    const auto t0 = Clock::now();
    auto g = HnswIndex::Build(base.view(), Metric::kEuclidean, hp, threads);
    const double build = Secs(t0);
    if (!g.ok()) return 1;
    for (uint32_t ef : {16u, 32u, 64u, 128u}) {
      CurvePoint r = Measure(**g, q, truth, 0, ef);
      std::printf("%-12s %10.2f %8s %8s %8.4f %10.0f   ef %u\n", "hnsw", build,
                  "-", "-", r.recall, r.qps, ef);
    }
  }
  return 0;
}
