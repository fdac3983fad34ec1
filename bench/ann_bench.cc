// ANN benchmark: our HNSW (float, int8, binary, pq) against hnswlib and FAISS
// IndexHNSWFlat, in the same binary, on the same data, with the same m,
// ef_construction and thread count. See docs/BENCHMARKS.md for results.
//
//   ann_bench                                   Fashion-MNIST (Debian's
//                                               dataset-fashion-mnist)
//   ann_bench --synthetic 100000 --dim 128      clustered, seed 42
//   ann_bench --embedding 200000 --dim 768      embedding-like: anisotropic
//                                               clusters, unit length
//   options: --queries 1000 --threads 2 --skip-1t --no-faiss --no-hnswlib
//            --flat-only (read bandwidth and flat scan only)
//            --reuse-graphs (search curves from the last run's saved graphs;
//                            FAISS is built anew)
//            --quant none,int8,binary,pq,pq8 (our graphs to build;
//            none,int8)
//            --scaling (search QPS with 1 and --threads threads at the
//                       smallest ef reaching recall 0.95)
//            --codes-only (the --quant kinds as a flat collection serves
//                          them: no graph, a scan of every code and a
//                          float re-score of the best ef; beside the
//                          flat float scan)
#include <faiss/IndexHNSW.h>
#include <faiss/index_io.h>
#include <omp.h>
#include <time.h>
#include <zlib.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <functional>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "hnswlib_peer.h"
#include "idx_reader.h"
#include "index/distance.h"
#include "index/flat_index.h"
#include "index/hnsw/hnsw_index.h"
#include "index/simd/dispatch.h"
#include "proximadb/env.h"

using namespace proximadb;
using namespace proximadb::index;
using Clock = std::chrono::steady_clock;

namespace {

double Secs(Clock::time_point a) {
  return std::chrono::duration<double>(Clock::now() - a).count();
}

double ThreadCpu() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return double(t.tv_sec) + t.tv_nsec * 1e-9;
}

size_t RssBytes() {
  FILE* f = std::fopen("/proc/self/statm", "r");
  long pages = 0, rss = 0;
  if (f) {
    if (std::fscanf(f, "%ld %ld", &pages, &rss) != 2) rss = 0;
    std::fclose(f);
  }
  return size_t(rss) * 4096;
}

struct Data {
  uint32_t n = 0, dim = 0;
  std::vector<float> v, norms;
  const float* row(uint32_t i) const { return v.data() + size_t(i) * dim; }
};

bool ReadIdx(const std::string& path, uint32_t limit, Data* out) {
  return proximadb::bench::ReadIdxImages(path, limit, &out->n, &out->dim,
                                         &out->v);
}

void Clustered(uint32_t n, uint32_t dim, uint32_t seed, Data* out,
               const std::vector<float>& centres) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  uint32_t k = centres.size() / dim;
  out->n = n;
  out->dim = dim;
  out->v.resize(size_t(n) * dim);
  for (uint32_t i = 0; i < n; ++i) {
    const float* c = &centres[size_t(rng() % k) * dim];
    for (uint32_t j = 0; j < dim; ++j)
      out->v[size_t(i) * dim + j] = c[j] + g(rng);
  }
}

// Embedding-like rows (--embedding): clusters whose spread falls off along
// the dimensions (scale 1 / sqrt(1 + j / 32) for dimension j, as the
// variance of learned embeddings concentrates in a few directions), every
// row normalised to unit length. Centres and noise share the fall-off.
void Embeddings(uint32_t n, uint32_t dim, uint32_t seed, Data* out,
                const std::vector<float>& centres) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> g;
  const uint32_t k = centres.size() / dim;
  out->n = n;
  out->dim = dim;
  out->v.resize(size_t(n) * dim);
  for (uint32_t i = 0; i < n; ++i) {
    const float* c = &centres[size_t(rng() % k) * dim];
    float* x = &out->v[size_t(i) * dim];
    double sq = 0;
    for (uint32_t j = 0; j < dim; ++j) {
      x[j] = c[j] + 0.35f * g(rng) / std::sqrt(1.0f + j / 32.0f);
      sq += double(x[j]) * x[j];
    }
    const float inv = sq > 0 ? float(1.0 / std::sqrt(sq)) : 0.0f;
    for (uint32_t j = 0; j < dim; ++j) x[j] *= inv;
  }
}

void FillNorms(Data* d) {
  d->norms.resize(d->n);
  for (uint32_t i = 0; i < d->n; ++i) d->norms[i] = Norm(d->row(i), d->dim);
}

// One point of a recall/QPS curve.
struct CurvePoint {
  uint32_t ef;
  double recall, qps;
};

struct Report {
  std::string name;
  double build1 = -1, build2 = -1, mem_mb = 0, load_s = -1;
  std::vector<CurvePoint> curve;
};

using SearchFn = std::function<void(const float* q, float qn, uint32_t ef,
                                    std::vector<uint32_t>* ids)>;

std::vector<CurvePoint> Curve(const Data& q,
                              const std::vector<std::vector<uint32_t>>& gt,
                              const std::vector<uint32_t>& efs,
                              const SearchFn& fn) {
  std::vector<CurvePoint> pts;
  std::vector<uint32_t> ids;
  for (uint32_t ef : efs) {
    double hits = 0;
    std::vector<double> qps;
    for (int rep = 0; rep < 3; ++rep) {  // median of three passes
      auto t = Clock::now();
      hits = 0;
      for (uint32_t i = 0; i < q.n; ++i) {
        ids.clear();
        fn(q.row(i), q.norms[i], ef, &ids);
        std::set<uint32_t> truth(gt[i].begin(), gt[i].end());
        for (uint32_t id : ids) hits += truth.count(id);
      }
      qps.push_back(q.n / Secs(t));
    }
    std::sort(qps.begin(), qps.end());
    pts.push_back({ef, hits / (10.0 * q.n), qps[1]});
  }
  return pts;
}

// Search QPS at one ef with `threads` threads taking queries from a shared
// counter: 5 passes over the queries per measurement, median of 3. One
// search first, alone (a peer may set its ef there).
double ThreadedQps(const Data& q, uint32_t ef, uint32_t threads,
                   const SearchFn& fn) {
  std::vector<uint32_t> warm;
  fn(q.row(0), q.norms[0], ef, &warm);
  std::vector<double> qps;
  for (int rep = 0; rep < 3; ++rep) {
    const uint32_t total = q.n * 5;
    std::atomic<uint32_t> next{0};
    auto work = [&] {
      std::vector<uint32_t> ids;
      for (uint32_t i = next++; i < total; i = next++) {
        ids.clear();
        fn(q.row(i % q.n), q.norms[i % q.n], ef, &ids);
      }
    };
    auto t = Clock::now();
    std::vector<std::thread> ts;
    for (uint32_t w = 1; w < threads; ++w) ts.emplace_back(work);
    work();
    for (auto& th : ts) th.join();
    qps.push_back(total / Secs(t));
  }
  std::sort(qps.begin(), qps.end());
  return qps[1];
}

// --scaling: QPS with 1 and with --threads search threads at the smallest
// ef of the curve that reaches recall 0.95.
void PrintScaling(const Report& r, const Data& q, uint32_t threads,
                  const SearchFn& fn) {
  uint32_t ef = 0;
  for (const CurvePoint& p : r.curve) {
    if (p.recall >= 0.95) {
      ef = p.ef;
      break;
    }
  }
  if (ef == 0 || threads < 2) return;
  const double one = ThreadedQps(q, ef, 1, fn);
  const double many = ThreadedQps(q, ef, threads, fn);
  std::printf(
      "   scaling %s at ef %u: 1 thread %.0f qps, %u threads %.0f qps "
      "(%.2fx)\n",
      r.name.c_str(), ef, one, threads, many, many / one);
}

// QPS at a target recall, linear between the two curve points around it.
double QpsAt(const std::vector<CurvePoint>& c, double target) {
  for (size_t i = 0; i < c.size(); ++i) {
    if (c[i].recall >= target) {
      if (i == 0) return c[0].qps;
      const CurvePoint &a = c[i - 1], &b = c[i];
      double t = (target - a.recall) / std::max(1e-9, b.recall - a.recall);
      return a.qps + t * (b.qps - a.qps);
    }
  }
  return 0;
}

void Print(const Report& r) {
  std::printf("\n== %s  build 1t %.1fs  2t %.1fs  mem %.1f MB  load %.3fs\n",
              r.name.c_str(), r.build1, r.build2, r.mem_mb, r.load_s);
  for (const CurvePoint& p : r.curve) {
    std::printf("   ef %4u  recall@10 %.4f  qps %8.0f\n", p.ef, p.recall,
                p.qps);
  }
  std::printf("   qps@0.95 %.0f  qps@0.99 %.0f\n", QpsAt(r.curve, 0.95),
              QpsAt(r.curve, 0.99));
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  uint32_t synthetic = 0, dim = 128, nq = 1000, threads = 2;
  bool skip1 = false, faiss_on = true, hnswlib_on = true, flat_only = false;
  // Search curves only, from the graphs a previous run with the same data
  // saved in /tmp/ann_bench_files (ours and hnswlib), so the indexes can be
  // compared again under the same machine load without rebuilding.
  bool reuse = false, embedding = false, scaling = false, codes_only = false;
  // Which of our graphs to build: --quant none,int8,binary,pq,pq8 (pq: the
  // default 4 dimensions per code byte; pq8: 8).
  struct Quant {
    Quantization kind;
    uint32_t dims_per_byte;  // pq only
    const char* name;
  };
  std::vector<Quant> quants = {{Quantization::kNone, 0, "proxima-hnsw-float"},
                               {Quantization::kInt8, 0, "proxima-hnsw-int8"}};
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto next = [&] { return uint32_t(std::stoul(argv[++i])); };
    if (a == "--synthetic")
      synthetic = next();
    else if (a == "--dim")
      dim = next();
    else if (a == "--queries")
      nq = next();
    else if (a == "--threads")
      threads = next();
    else if (a == "--skip-1t")
      skip1 = true;
    else if (a == "--no-faiss")
      faiss_on = false;
    else if (a == "--no-hnswlib")
      hnswlib_on = false;
    else if (a == "--flat-only")
      flat_only = true;
    else if (a == "--reuse-graphs")
      reuse = true;
    else if (a == "--scaling")
      scaling = true;
    else if (a == "--codes-only")
      codes_only = true;
    else if (a == "--embedding") {
      synthetic = next();
      embedding = true;
    } else if (a == "--quant" && i + 1 < argc) {
      quants.clear();
      const std::string list = std::string(argv[++i]) + ",";
      for (size_t at = 0, comma; (comma = list.find(',', at)) != list.npos;
           at = comma + 1) {
        const std::string q = list.substr(at, comma - at);
        if (q == "none")
          quants.push_back({Quantization::kNone, 0, "proxima-hnsw-float"});
        else if (q == "int8")
          quants.push_back({Quantization::kInt8, 0, "proxima-hnsw-int8"});
        else if (q == "binary")
          quants.push_back({Quantization::kBinary, 0, "proxima-hnsw-binary"});
        else if (q == "pq")
          quants.push_back({Quantization::kPq, 4, "proxima-hnsw-pq4"});
        else if (q == "pq8")
          quants.push_back({Quantization::kPq, 8, "proxima-hnsw-pq8"});
        else {
          std::fprintf(stderr,
                       "--quant: none, int8, binary, pq or pq8, not %s\n",
                       q.c_str());
          return 2;
        }
      }
    }
  }
  Data base, queries;
  std::string dataset;
  if (synthetic > 0 && embedding) {
    std::mt19937 rng(42);
    std::normal_distribution<float> g;
    std::vector<float> centres(size_t(100) * dim);
    for (size_t i = 0; i < centres.size(); ++i) {
      centres[i] = g(rng) / std::sqrt(1.0f + (i % dim) / 32.0f);
    }
    Embeddings(synthetic, dim, 43, &base, centres);
    Embeddings(nq, dim, 44, &queries, centres);
    dataset = "synthetic-embedding-" + std::to_string(synthetic) + "x" +
              std::to_string(dim) + "-unit";
  } else if (synthetic > 0) {
    std::mt19937 rng(42);
    std::normal_distribution<float> g;
    std::vector<float> centres(size_t(100) * dim);
    for (auto& x : centres) x = 3 * g(rng);
    Clustered(synthetic, dim, 43, &base, centres);
    Clustered(nq, dim, 44, &queries, centres);
    dataset = "synthetic-clustered-" + std::to_string(synthetic) + "x" +
              std::to_string(dim);
  } else {
    const std::string dir = "/usr/share/datasets/fashion-mnist/";
    if (!ReadIdx(dir + "train-images-idx3-ubyte.gz", ~0u, &base) ||
        !ReadIdx(dir + "t10k-images-idx3-ubyte.gz", nq, &queries)) {
      std::fprintf(
          stderr,
          "cannot read Fashion-MNIST (apt install dataset-fashion-mnist)\n");
      return 1;
    }
    dataset = "fashion-mnist-784-euclidean";
  }
  FillNorms(&base);
  FillNorms(&queries);
  const uint32_t n = base.n, d = base.dim;
  std::printf(
      "dataset %s: %u base x %u dim, %u queries; simd %s; build threads %u\n",
      dataset.c_str(), n, d, queries.n,
      std::string(simd::SimdLevelName(simd::ActiveSimdLevel())).c_str(),
      threads);
  // Each peer's build: the tables in docs/BENCHMARKS.md state them.
  std::printf(
      "peers: hnswlib compiled with %s (distance path %s); FAISS: Debian's "
      "libfaiss (generic build, no AVX2 variant)\n",
      bench::HnswlibPeer::BuildFlags().c_str(),
      bench::HnswlibPeer::SimdPath().c_str());

  // Ground truth, exact, and the flat-scan figures.
  VectorView view{base.v.data(), base.norms.data(), n, d};
  FlatIndex flat(view, Metric::kEuclidean);
  std::vector<std::vector<uint32_t>> gt(queries.n);
  if (!flat_only) {
    auto t = Clock::now();
    std::vector<std::thread> ts;
    for (uint32_t w = 0; w < threads; ++w) {
      ts.emplace_back([&, w] {
        for (uint32_t i = w; i < queries.n; i += threads) {
          SearchParams p;
          p.query = queries.row(i);
          p.k = 10;
          std::vector<Candidate> out;
          flat.Search(p, {}, &out, nullptr);
          for (auto& c : out) gt[i].push_back(c.row);
        }
      });
    }
    for (auto& x : ts) x.join();
    std::printf("ground truth: %.1fs\n", Secs(t));
  }
  {
    // Single-thread read bandwidth: sum a buffer far larger than the caches.
    // Every figure here is taken twice: wall-clock, and this thread's CPU
    // time, which on a shared machine leaves out the time the scheduler
    // gave to other processes (memory contention still counts in both).
    std::vector<float> big(size_t(256) << 20 >> 2, 1.0f);
    double bw_wall = 0, bw_cpu = 0;
    volatile float sink = 0;
    for (int rep = 0; rep < 3; ++rep) {
      auto t = Clock::now();
      double c = ThreadCpu();
      sink = sink + Dot(big.data(), big.data(), big.size());
      bw_cpu = std::max(bw_cpu, big.size() * 4.0 / (ThreadCpu() - c));
      bw_wall = std::max(bw_wall, big.size() * 4.0 / Secs(t));
    }
    const double bytes = double(n) * d * 4;
    const uint32_t fq = std::min<uint32_t>(queries.n, 50);
    // The flat index (blocked scan) and, side by side, the per-row loop it
    // replaced (InternalDistance per row into a TopK), alternating so both
    // see the same machine load; each the median of 3 passes over fq
    // queries.
    auto per_row = [&](const float* q) {
      TopK top(10);
      for (uint32_t row = 0; row < n; ++row) {
        float dd = InternalDistance(Metric::kEuclidean, q, 0, base.row(row),
                                    base.norms[row], d);
        if (top.full() && !(dd < top.threshold())) continue;
        top.Push({row, dd});
      }
      return top.Take();
    };
    auto flat_search = [&](uint32_t i) {
      SearchParams p;
      p.query = queries.row(i);
      p.k = 10;
      std::vector<Candidate> out;
      flat.Search(p, {}, &out, nullptr);
      return out;
    };
    size_t mismatches = 0;  // must be 0: the blocked scan is bit-identical
    for (uint32_t i = 0; i < fq; ++i) {
      auto out = flat_search(i);
      auto ref = per_row(queries.row(i));
      mismatches += out.size() != ref.size();
      for (size_t j = 0; j < std::min(out.size(), ref.size()); ++j) {
        mismatches +=
            out[j].row != ref[j].row || out[j].distance != ref[j].distance;
      }
    }
    // Seconds per query (wall, cpu) per pass.
    std::vector<double> fw, fc, rw, rc;
    for (int rep = 0; rep < 3; ++rep) {
      auto t = Clock::now();
      double c = ThreadCpu();
      for (uint32_t i = 0; i < fq; ++i) (void)flat_search(i);
      fc.push_back((ThreadCpu() - c) / fq);
      fw.push_back(Secs(t) / fq);
      t = Clock::now();
      c = ThreadCpu();
      for (uint32_t i = 0; i < fq; ++i) (void)per_row(queries.row(i));
      rc.push_back((ThreadCpu() - c) / fq);
      rw.push_back(Secs(t) / fq);
    }
    auto median = [](std::vector<double> v) {
      std::sort(v.begin(), v.end());
      return v[v.size() / 2];
    };
    const double bound_wall = bw_wall / bytes, bound_cpu = bw_cpu / bytes;
    std::printf(
        "flat scan, wall clock: %.1f qps single-thread (per-row loop %.1f "
        "qps); read bandwidth %.2f GB/s -> bound %.1f qps (flat at %.2fx of "
        "the bound, per-row at %.2fx)\n",
        1 / median(fw), 1 / median(rw), bw_wall / 1e9, bound_wall,
        bound_wall * median(fw), bound_wall * median(rw));
    std::printf(
        "flat scan, thread cpu time: %.1f qps (per-row %.1f qps); read "
        "bandwidth %.2f GB/s -> bound %.1f qps (flat at %.2fx of the bound, "
        "per-row at %.2fx); blocked vs per-row mismatches %zu\n",
        1 / median(fc), 1 / median(rc), bw_cpu / 1e9, bound_cpu,
        bound_cpu * median(fc), bound_cpu * median(rc), mismatches);
    std::fflush(stdout);
  }
  if (flat_only) return 0;

  const std::vector<uint32_t> efs = {16, 32, 64, 128, 256, 512, 1024};
  if (codes_only) {
    // A flat scan of codes: nothing to build but codes, so one build; the
    // float walk has no codes to scan.
    skip1 = true;
    hnswlib_on = faiss_on = false;
    std::erase_if(quants,
                  [](const Quant& q) { return q.kind == Quantization::kNone; });
  }
  // Builds with one thread (unless --skip-1t) and with --threads; the last
  // one built is the one searched.
  std::vector<uint32_t> build_threads;
  if (!skip1 && threads != 1) build_threads.push_back(1);
  build_threads.push_back(threads);
  std::vector<Report> reports;
  Env* env = Env::Default();
  const std::string tmpdir = "/tmp/ann_bench_files";
  (void)env->CreateDirIfMissing(tmpdir);

  for (const Quant& quant : quants) {
    const Quantization qz = quant.kind;
    Report r;
    std::string name = quant.name;
    if (codes_only) name.replace(name.find("hnsw"), 4, "flat");
    r.name = name;
    HnswParams hp;
    hp.m = codes_only ? 0 : 16;
    hp.ef_construction = 200;
    hp.quantization = qz;
    if (qz == Quantization::kPq) {
      hp.pq_subspaces = (d + quant.dims_per_byte - 1) / quant.dims_per_byte;
    }
    std::unique_ptr<HnswIndex> idx;
    for (uint32_t t : build_threads) {
      if (reuse) continue;
      auto start = Clock::now();
      auto built = HnswIndex::Build(view, Metric::kEuclidean, hp, t);
      double s = Secs(start);
      if (t == 1) r.build1 = s;
      if (t == threads) r.build2 = s;
      idx = std::move(built).value();
    }
    // Vectors the walk reads must be in RAM: floats for float, codes for
    // int8 and binary (the floats are then only touched for the re-score,
    // from the mmap).
    const std::string path = tmpdir + "/" + r.name + ".hnsw";
    if (!reuse) {
      r.mem_mb = (idx->MemoryUsage() +
                  (qz == Quantization::kNone ? size_t(n) * d * 4 : 0)) /
                 1e6;
      if (!idx->Save(env, path).ok()) return 1;
    }
    auto t = Clock::now();
    auto loaded = HnswIndex::Load(env, path, view, Metric::kEuclidean);
    r.load_s = Secs(t);
    if (!loaded.ok()) {
      std::fprintf(stderr, "%s\n", loaded.status().ToString().c_str());
      return 1;
    }
    HnswIndex* li = loaded->get();
    const SearchFn search = [&](const float* q, float qn, uint32_t ef,
                                std::vector<uint32_t>* ids) {
      SearchParams p;
      p.query = q;
      p.query_norm = qn;
      p.k = 10;
      p.ef_search = ef;
      std::vector<Candidate> out;
      li->Search(p, {}, &out, nullptr);
      for (auto& c : out) ids->push_back(c.row);
    };
    r.curve = Curve(queries, gt, efs, search);
    Print(r);
    if (scaling) PrintScaling(r, queries, threads, search);
    reports.push_back(r);
  }

  if (hnswlib_on) {
    Report r;
    r.name = "hnswlib";
    std::unique_ptr<bench::HnswlibPeer> h;
    for (uint32_t t : build_threads) {
      if (reuse) continue;
      h.reset();
      auto start = Clock::now();
      h = bench::HnswlibPeer::Build(base.v.data(), n, d, 16, 200, t);
      if (t == 1) r.build1 = Secs(start);
      if (t == threads) r.build2 = Secs(start);
    }
    const std::string path = tmpdir + "/hnswlib.bin";
    if (!reuse) {
      // Counted from its own layout (RSS does not drop when the previous
      // build is freed): level 0 with inline vectors, plus upper lists.
      r.mem_mb = h->MemoryBytes() / 1e6;
      h->Save(path);
      h.reset();
    }
    auto t = Clock::now();
    h = bench::HnswlibPeer::Load(path, d);
    r.load_s = Secs(t);
    const SearchFn search = [&](const float* q, float, uint32_t ef,
                                std::vector<uint32_t>* ids) {
      h->Search(q, ef, 10, ids);
    };
    r.curve = Curve(queries, gt, efs, search);
    Print(r);
    if (scaling) PrintScaling(r, queries, threads, search);
    reports.push_back(r);
  }

  // FAISS's graph is not saved for reuse: with --reuse-graphs it is still
  // built here, so one run compares all three under the same load.
  if (faiss_on) {
    Report r;
    r.name = "faiss-hnswflat";
    std::unique_ptr<faiss::IndexHNSWFlat> f;
    size_t mem = 0;
    for (uint32_t t : build_threads) {
      f.reset();
      size_t before = RssBytes();
      omp_set_num_threads(int(t));
      auto start = Clock::now();
      f = std::make_unique<faiss::IndexHNSWFlat>(int(d), 16);
      f->hnsw.efConstruction = 200;
      f->add(n, base.v.data());
      if (t == 1) r.build1 = Secs(start);
      if (t == threads) r.build2 = Secs(start);
      (void)before;
    }
    mem = size_t(n) * d * 4 + f->hnsw.neighbors.size() * sizeof(int32_t) +
          f->hnsw.levels.size() * sizeof(int) +
          f->hnsw.offsets.size() * sizeof(size_t);
    r.mem_mb = mem / 1e6;
    const std::string path = tmpdir + "/faiss.index";
    faiss::write_index(f.get(), path.c_str());
    auto t = Clock::now();
    std::unique_ptr<faiss::Index> fl(faiss::read_index(path.c_str()));
    r.load_s = Secs(t);
    omp_set_num_threads(1);
    auto* fh = dynamic_cast<faiss::IndexHNSWFlat*>(fl.get());
    r.curve = Curve(
        queries, gt, efs,
        [&](const float* q, float, uint32_t ef, std::vector<uint32_t>* ids) {
          // FAISS 1.7.3 ignores SearchParametersHNSW::efSearch here; set it.
          fh->hnsw.efSearch = int(ef);
          float dist[10];
          faiss::Index::idx_t lab[10];
          fh->search(1, q, 10, dist, lab);
          for (auto l : lab) {
            if (l >= 0) ids->push_back(uint32_t(l));
          }
        });
    Print(r);
    reports.push_back(r);
  }

  std::printf(
      "\nsummary (%s; at the smallest ef with recall@10 >= 0.95; "
      "qps single-thread; build_s with %u threads)\n",
      dataset.c_str(), threads);
  std::printf("%-20s %9s %9s %8s %8s\n", "name", "recall@10", "qps", "build_s",
              "mem_mb");
  for (const Report& r : reports) {
    CurvePoint best = r.curve.back();
    for (const CurvePoint& p : r.curve) {
      if (p.recall >= 0.95) {
        best = p;
        break;
      }
    }
    std::printf("%-20s %9.4f %9.0f %8.1f %8.1f\n", r.name.c_str(), best.recall,
                best.qps, r.build2, r.mem_mb);
  }
  return 0;
}
