// Tier benchmark (issue 12): search latency of one collection with its
// segments hot, warm, cold-cached and cold-uncached, against a real S3
// (radosgw); the raw GET of the same objects (the bound of an uncached
// search); moves to cold against a plain upload of the same bytes.
//
//   tier_bench --s3-env FILE [--dir /tmp/tierbench] [--segments 4]
//              [--rows 60000] [--queries 200] [--k 10] [--reps 3]
//              [--rounds 10] [--cache-mb 1024]
//
// Data: Fashion-MNIST (Debian's dataset-fashion-mnist): the 60k training
// images (784 pixel values as floats, ids "p<n>", metadata {"label":L}) in
// `segments` flushes of equal size (compaction off, so they stay separate
// segments); queries: the first `queries` test images; Euclidean, HNSW
// defaults (m 16, ef_construction 200, ef_search 64), k 10. Graphs are
// built by the engine's background builder (waited for), then, all on the
// same collection:
//   hot           one warm-up pass, then `reps` timed passes;
//   warm          every segment moved to the warm directory (a directory
//                 under --dir: the same disk), warm-up pass, timed passes;
//   cold          every segment moved to cold (each MoveSegment timed);
//                 the first pass fills the cache (its first query fetches
//                 every segment), then `reps` timed passes (cold-cached);
//   uncached      `rounds` times: evict (cache_mb 0, checked empty, then
//                 back), time the first query (it fetches every segment);
//   GET bound     the same objects fetched sequentially with GetToFile and
//                 with Get, and decoded (DecodeColdPackToFile), median of
//                 `rounds`;
//   upload bound  the cold packs of the same segments (encoded by the
//                 bench from the segment files before the moves, written to
//                 temporary files) uploaded with PutFile (multipart from
//                 8 MiB, and with 5 MiB parts) and Put, median of `reps`.
// Recall@10 of every phase against brute force (computed here), and
// whether every phase returns the same ids as hot.
//
// Prints markdown tables; docs/BENCHMARKS.md records the results.
#include <zlib.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>

#include "collection/db_impl.h"
#include "idx_reader.h"
#include "proximadb/db.h"
#include "proximadb/env.h"
#include "s3_env.h"
#include "storage/object/s3_object_store.h"
#include "storage/segment/cold_pack.h"

using namespace proximadb;
using Clock_ = std::chrono::steady_clock;

namespace {

struct Args {
  std::string s3_env;
  std::string dir = "/tmp/tierbench";
  uint32_t segments = 4;
  uint32_t rows = 60000;
  uint32_t queries = 200;
  uint32_t k = 10;
  int reps = 3;
  int rounds = 10;
  uint64_t cache_mb = 1024;
};

double Seconds(Clock_::time_point a) {
  return std::chrono::duration<double>(Clock_::now() - a).count();
}

double Median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

// Nearest rank: the smallest value with at least p of the samples at or
// below it.
double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t rank = static_cast<size_t>(std::ceil(p * v.size()));
  return v[std::clamp<size_t>(rank, 1, v.size()) - 1];
}

double Mean(const std::vector<double>& v) {
  double s = 0;
  for (double x : v) s += x;
  return v.empty() ? 0 : s / v.size();
}

[[noreturn]] void Die(const std::string& what, const Status& s) {
  std::fprintf(stderr, "tier_bench: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  std::exit(1);
}

void Check(const std::string& what, const Status& s) {
  if (!s.ok()) Die(what, s);
}

// ------------------------------------------------------------ searching

struct Data {
  uint32_t n = 0, dim = 0, nq = 0;
  std::vector<float> base, queries;
  std::vector<int> labels;
  std::vector<std::vector<std::string>> truth;  // exact top-k ids per query
};

void BruteForce(Data* d, uint32_t k) {
  d->truth.assign(d->nq, {});
  std::vector<std::pair<float, uint32_t>> dist(d->n);
  for (uint32_t q = 0; q < d->nq; ++q) {
    const float* qv = &d->queries[size_t(q) * d->dim];
    for (uint32_t i = 0; i < d->n; ++i) {
      const float* v = &d->base[size_t(i) * d->dim];
      float s = 0;
      for (uint32_t j = 0; j < d->dim; ++j) {
        float x = qv[j] - v[j];
        s += x * x;
      }
      dist[i] = {s, i};
    }
    std::partial_sort(dist.begin(), dist.begin() + k, dist.end());
    for (uint32_t i = 0; i < k; ++i) {
      d->truth[q].push_back(
          std::string("p").append(std::to_string(dist[i].second)));
    }
  }
}

struct Pass {
  std::vector<double> ms;                     // per query
  std::vector<std::vector<std::string>> ids;  // per query
};

Pass SearchPass(Collection* c, const Data& d, uint32_t k) {
  Pass p;
  SearchRequest req;
  req.k = k;
  for (uint32_t q = 0; q < d.nq; ++q) {
    req.vector.assign(d.queries.begin() + size_t(q) * d.dim,
                      d.queries.begin() + size_t(q + 1) * d.dim);
    auto t = Clock_::now();
    auto r = c->Search(req);
    p.ms.push_back(Seconds(t) * 1e3);
    if (!r.ok()) Die("Search", r.status());
    std::vector<std::string> ids;
    for (const auto& h : r->hits) ids.push_back(h.id);
    p.ids.push_back(std::move(ids));
  }
  return p;
}

double Recall(const Data& d, const Pass& p, uint32_t k) {
  uint64_t found = 0;
  for (uint32_t q = 0; q < d.nq; ++q) {
    std::set<std::string> t(d.truth[q].begin(), d.truth[q].end());
    for (const auto& id : p.ids[q]) found += t.count(id);
  }
  return double(found) / (double(d.nq) * k);
}

// How the sources of one query were searched ("4 x hnsw ef 64").
std::string Plan(Collection* c, const Data& d, uint32_t k) {
  SearchRequest req;
  req.k = k;
  req.explain = true;
  req.vector.assign(d.queries.begin(), d.queries.begin() + d.dim);
  auto r = c->Search(req);
  if (!r.ok()) Die("Search (explain)", r.status());
  std::map<std::string, int> n;
  for (const auto& p : r->explain) {
    n[p.strategy + (p.ef ? " ef " + std::to_string(p.ef) : "")]++;
  }
  std::string out;
  for (const auto& [what, count] : n) {
    out += (out.empty() ? "" : ", ") + std::to_string(count) + " x " + what;
  }
  return out;
}

struct PhaseRow {
  std::string name;
  double p50 = 0, p99 = 0, mean = 0, max = 0;
  double recall = 0;
  uint32_t differ = 0;  // queries whose ids differ from hot's
  std::string plan;     // explain: how the segments were searched
  std::string note;
};

// `reps` timed passes: the median over passes of each statistic.
PhaseRow Timed(const std::string& name, Collection* c, const Data& d,
               const Args& a, const Pass* hot) {
  std::vector<double> p50, p99, mean, max;
  PhaseRow row;
  row.name = name;
  row.plan = Plan(c, d, a.k);
  for (int r = 0; r < a.reps; ++r) {
    Pass p = SearchPass(c, d, a.k);
    p50.push_back(Percentile(p.ms, 0.5));
    p99.push_back(Percentile(p.ms, 0.99));
    mean.push_back(Mean(p.ms));
    max.push_back(*std::max_element(p.ms.begin(), p.ms.end()));
    row.recall = Recall(d, p, a.k);
    if (hot) {
      for (uint32_t q = 0; q < d.nq; ++q) row.differ += p.ids[q] != hot->ids[q];
    }
  }
  row.p50 = Median(p50);
  row.p99 = Median(p99);
  row.mean = Median(mean);
  row.max = Median(max);
  std::fprintf(stderr, "  %s: p50 %.3f ms, p99 %.3f ms, recall %.4f\n",
               name.c_str(), row.p50, row.p99, row.recall);
  return row;
}

std::vector<SegmentInfo> Segments(Collection* c) {
  auto s = c->ListSegments();
  if (!s.ok()) Die("ListSegments", s.status());
  return std::move(s).value();
}

std::string LoadAvg() {
  std::ifstream in("/proc/loadavg");
  std::string a, b, c;
  in >> a >> b >> c;
  return a + " " + b + " " + c;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) {
        std::fprintf(stderr, "tier_bench: %s needs a value\n", k.c_str());
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--s3-env")
      a.s3_env = next();
    else if (k == "--dir")
      a.dir = next();
    else if (k == "--segments")
      a.segments = std::stoul(next());
    else if (k == "--rows")
      a.rows = std::stoul(next());
    else if (k == "--queries")
      a.queries = std::stoul(next());
    else if (k == "--k")
      a.k = std::stoul(next());
    else if (k == "--reps")
      a.reps = std::stoi(next());
    else if (k == "--rounds")
      a.rounds = std::stoi(next());
    else if (k == "--cache-mb")
      a.cache_mb = std::stoull(next());
    else {
      std::fprintf(stderr, "tier_bench: unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  auto s3 = bench::ReadS3Env(a.s3_env);
  if (!s3.count("S3_ENDPOINT") || !s3.count("S3_BUCKET")) {
    std::fprintf(stderr,
                 "tier_bench: no S3_* settings (pass --s3-env FILE, the "
                 "output of scripts/s3-radosgw.sh up DIR)\n");
    return 2;
  }
  Env* env = Env::Default();
  spdlog::set_level(spdlog::level::warn);  // the tables only, on stdout
  std::filesystem::remove_all(a.dir);
  std::filesystem::create_directories(a.dir + "/warm");
  std::filesystem::create_directories(a.dir + "/tmp");
  std::printf(
      "tier_bench: %u segments, %u queries, k %u, reps %d, rounds %d, "
      "cache_mb %llu, dir %s, load %s\n",
      a.segments, a.queries, a.k, a.reps, a.rounds,
      (unsigned long long)a.cache_mb, a.dir.c_str(), LoadAvg().c_str());

  // Data and ground truth.
  Data d;
  const std::string fm = "/usr/share/datasets/fashion-mnist/";
  uint32_t qdim = 0;
  if (!bench::ReadIdxImages(fm + "train-images-idx3-ubyte.gz", a.rows, &d.n,
                            &d.dim, &d.base) ||
      !bench::ReadIdxLabels(fm + "train-labels-idx1-ubyte.gz", d.n,
                            &d.labels) ||
      !bench::ReadIdxImages(fm + "t10k-images-idx3-ubyte.gz", a.queries, &d.nq,
                            &qdim, &d.queries) ||
      qdim != d.dim) {
    std::fprintf(stderr,
                 "tier_bench: Fashion-MNIST not found (apt install "
                 "dataset-fashion-mnist)\n");
    return 1;
  }
  auto t = Clock_::now();
  BruteForce(&d, a.k);
  std::fprintf(stderr, "brute force: %.1f s\n", Seconds(t));

  // The DB, its S3 prefix unique to this run.
  const std::string prefix =
      "tierbench-" +
      std::to_string(
          std::chrono::system_clock::now().time_since_epoch().count()) +
      "/";
  DBOptions o;
  o.background_threads = false;
  o.compaction_enabled = false;
  o.tiering.s3_endpoint = s3["S3_ENDPOINT"];
  if (s3.count("S3_REGION")) o.tiering.s3_region = s3["S3_REGION"];
  o.tiering.s3_bucket = s3["S3_BUCKET"];
  o.tiering.s3_prefix = prefix + "db/";
  o.tiering.s3_access_key = s3["S3_ACCESS_KEY"];
  o.tiering.s3_secret_key = s3["S3_SECRET_KEY"];
  o.tiering.defaults.warm_directory = a.dir + "/warm";
  o.tiering.defaults.cache_mb = a.cache_mb;
  auto opened = DBImpl::OpenImpl(o, a.dir + "/data");
  if (!opened.ok()) Die("DB open", opened.status());
  std::unique_ptr<DBImpl> db = std::move(opened).value();
  CollectionConfig cfg;
  cfg.name = "fashion";
  cfg.dimension = d.dim;
  cfg.metric = Metric::kEuclidean;
  auto created = db->CreateCollection(cfg);
  if (!created.ok()) Die("CreateCollection", created.status());
  std::shared_ptr<Collection> c = *created;

  t = Clock_::now();
  const uint32_t per = (d.n + a.segments - 1) / a.segments;
  for (uint32_t seg = 0; seg < a.segments; ++seg) {
    for (uint32_t i = seg * per; i < std::min(d.n, (seg + 1) * per);) {
      std::vector<Point> batch;
      for (uint32_t e = std::min(std::min(d.n, (seg + 1) * per), i + 1000);
           i < e; ++i) {
        Point p;
        p.id = std::string("p").append(std::to_string(i));
        p.vector.assign(d.base.begin() + size_t(i) * d.dim,
                        d.base.begin() + size_t(i + 1) * d.dim);
        p.metadata = {{"label", d.labels[i]}};
        batch.push_back(std::move(p));
      }
      auto r = c->Upsert(std::move(batch));
      if (!r.ok()) Die("Upsert", r.status());
    }
    Check("Flush", c->Flush());
  }
  const double ingest_s = Seconds(t);
  t = Clock_::now();
  db->WaitForBackgroundBuilds();
  const double build_s = Seconds(t);
  std::vector<SegmentInfo> segs = Segments(c.get());
  for (const auto& s : segs) {
    if (!s.graph_loaded) {
      std::fprintf(stderr, "tier_bench: segment %llu has no graph\n",
                   (unsigned long long)s.id);
      return 1;
    }
  }
  uint64_t seg_bytes = 0;
  for (const auto& s : segs) seg_bytes += s.bytes;
  std::printf(
      "\n%u rows x %u in %zu segments (%.1f MB of segment files); upsert + "
      "flush %.1f s, then graph builds %.1f s\n",
      d.n, d.dim, segs.size(), seg_bytes / 1e6, ingest_s, build_s);

  std::vector<PhaseRow> rows;
  // 1. Hot.
  (void)SearchPass(c.get(), d, a.k);  // warm-up
  Pass hot = SearchPass(c.get(), d, a.k);
  rows.push_back(Timed("hot", c.get(), d, a, &hot));

  // 2. Warm.
  t = Clock_::now();
  for (const auto& s : segs)
    Check("move to warm", c->MoveSegment(s.id, Tier::kWarm));
  const double warm_move_s = Seconds(t);
  (void)SearchPass(c.get(), d, a.k);
  rows.push_back(Timed("warm", c.get(), d, a, &hot));
  rows.back().note = "moved in " + std::to_string(warm_move_s).substr(0, 5) +
                     " s (copy + fsync + verify)";

  // The cold packs of the same segment files, for the upload bound (the
  // engine packs the same bytes the same way: checked against its sizes).
  struct PackFile {
    uint64_t segment_id, segment_bytes;
    std::string path;
    uint64_t bytes;
    double encode_s;
  };
  std::vector<PackFile> packs;
  {
    segs = Segments(c.get());
    // Segment files (seg-<id, 20 digits>.pdb) under the warm directory.
    std::map<uint64_t, std::string> files;
    for (const auto& e :
         std::filesystem::recursive_directory_iterator(a.dir + "/warm")) {
      const std::string name = e.path().filename().string();
      if (name.rfind("seg-", 0) == 0 && e.path().extension() == ".pdb") {
        files[std::stoull(name.substr(4))] = e.path().string();
      }
    }
    for (const auto& s : segs) {
      if (!files.count(s.id)) {
        std::fprintf(stderr, "tier_bench: no file for segment %llu\n",
                     (unsigned long long)s.id);
        return 1;
      }
      auto f = env->MapFile(files[s.id]);
      if (!f.ok()) Die("MapFile", f.status());
      auto et = Clock_::now();
      auto p =
          segment::EncodeColdPack(std::string_view((*f)->data(), (*f)->size()));
      const double enc = Seconds(et);
      if (!p.ok()) Die("EncodeColdPack", p.status());
      PackFile pf{s.id, (*f)->size(),
                  a.dir + "/tmp/seg-" + std::to_string(s.id) + ".cpk",
                  p->size(), enc};
      auto w = env->NewWritableFile(pf.path);
      if (!w.ok()) Die("write pack", w.status());
      Status st = (*w)->Append(*p);
      if (st.ok()) st = (*w)->Sync();
      if (st.ok()) st = (*w)->Close();
      Check("write pack", st);
      packs.push_back(pf);
    }
  }

  // 3. Cold: the moves, timed one by one.
  struct Move {
    uint64_t id, segment_bytes, object_bytes;
    double s;
  };
  std::vector<Move> moves;
  for (const auto& s : segs) {
    const uint64_t up0 = c->Info().tiering.upload_bytes;
    auto mt = Clock_::now();
    Check("move to cold", c->MoveSegment(s.id, Tier::kCold));
    const double sec = Seconds(mt);
    moves.push_back({s.id, s.bytes, c->Info().tiering.upload_bytes - up0, sec});
  }
  for (size_t i = 0; i < moves.size(); ++i) {
    if (moves[i].object_bytes != packs[i].bytes) {
      std::fprintf(stderr,
                   "tier_bench: the engine uploaded %llu bytes for segment "
                   "%llu, the bench's pack has %llu\n",
                   (unsigned long long)moves[i].object_bytes,
                   (unsigned long long)moves[i].id,
                   (unsigned long long)packs[i].bytes);
      return 1;
    }
  }
  // First pass: fills the cache; its first query fetches every segment.
  const uint64_t miss0 = c->Info().tiering.cache_misses;
  Pass fill = SearchPass(c.get(), d, a.k);
  const uint64_t fill_misses = c->Info().tiering.cache_misses - miss0;
  std::vector<double> rest(fill.ms.begin() + 1, fill.ms.end());
  rows.push_back(Timed("cold-cached", c.get(), d, a, &hot));
  {
    uint32_t differ = 0;
    for (uint32_t q = 0; q < d.nq; ++q) differ += fill.ids[q] != hot.ids[q];
    char buf[200];
    std::snprintf(buf, sizeof buf,
                  "fill pass: first query %.1f ms (%llu cache misses), the "
                  "other %u p50 %.3f ms; ids differ from hot in %u",
                  fill.ms[0], (unsigned long long)fill_misses, d.nq - 1,
                  Percentile(rest, 0.5), differ);
    rows.back().note = buf;
  }
  const CollectionInfo cached_info = c->Info();

  // 4. Cold-uncached: evict everything, time the first query.
  std::vector<double> first_ms, second_ms;
  uint64_t bad_rounds = 0;
  uint32_t uncached_differ = 0, uncached_found = 0;
  for (int r = 0; r < a.rounds; ++r) {
    TieringPolicy p;
    p.cache_mb = 0;
    Check("cache_mb 0", c->SetTieringPolicy(p));
    const CollectionInfo evicted = c->Info();
    for (const auto& s : Segments(c.get())) bad_rounds += s.cached;
    if (evicted.tiering.cache_bytes != 0) ++bad_rounds;
    p.cache_mb = a.cache_mb;
    Check("cache_mb back", c->SetTieringPolicy(p));
    const uint32_t q = uint32_t(r) % d.nq;
    SearchRequest req;
    req.k = a.k;
    req.vector.assign(d.queries.begin() + size_t(q) * d.dim,
                      d.queries.begin() + size_t(q + 1) * d.dim);
    const uint64_t m0 = c->Info().tiering.cache_misses;
    auto qt = Clock_::now();
    auto res = c->Search(req);
    first_ms.push_back(Seconds(qt) * 1e3);
    if (!res.ok()) Die("Search (uncached)", res.status());
    if (c->Info().tiering.cache_misses - m0 != segs.size()) ++bad_rounds;
    std::vector<std::string> ids;
    for (const auto& h : res->hits) ids.push_back(h.id);
    uncached_differ += ids != hot.ids[q];
    std::set<std::string> tr(d.truth[q].begin(), d.truth[q].end());
    for (const auto& id : ids) uncached_found += tr.count(id);
    qt = Clock_::now();
    res = c->Search(req);
    second_ms.push_back(Seconds(qt) * 1e3);
    if (!res.ok()) Die("Search (after uncached)", res.status());
  }
  {
    PhaseRow u;
    u.name = "cold-uncached (first query after eviction)";
    u.p50 = Median(first_ms);
    u.p99 = Percentile(first_ms, 0.99);
    u.mean = Mean(first_ms);
    u.max = *std::max_element(first_ms.begin(), first_ms.end());
    u.recall = double(uncached_found) / (double(a.rounds) * a.k);
    u.differ = uncached_differ;
    char buf[300];
    std::snprintf(buf, sizeof buf,
                  "%d rounds, %zu segments fetched each (%llu rounds not "
                  "evicted or not missing every segment); min %.1f ms; the "
                  "same query again: p50 %.3f ms",
                  a.rounds, segs.size(), (unsigned long long)bad_rounds,
                  *std::min_element(first_ms.begin(), first_ms.end()),
                  Median(second_ms));
    u.note = buf;
    rows.push_back(u);
  }
  std::fprintf(stderr, "  uncached: first query p50 %.1f ms\n",
               Median(first_ms));

  // 5. The GET bound: the same objects, sequentially.
  object::S3Options so;
  so.endpoint = o.tiering.s3_endpoint;
  so.region = o.tiering.s3_region;
  so.bucket = o.tiering.s3_bucket;
  so.access_key = o.tiering.s3_access_key;
  so.secret_key = o.tiering.s3_secret_key;
  so.prefix = o.tiering.s3_prefix;
  so.request_timeout_ms = 600000;
  auto dbstore = object::S3ObjectStore::Open(so, env);
  if (!dbstore.ok()) Die("S3ObjectStore::Open", dbstore.status());
  auto objs = (*dbstore)->ListAll("");
  if (!objs.ok()) Die("ListAll", objs.status());
  uint64_t obj_bytes = 0;
  for (const auto& ob : *objs) obj_bytes += ob.size;
  std::vector<double> get_s, gettofile_s, decode_s, gf_decode_s;
  for (int r = 0; r < a.rounds; ++r) {
    double gt = 0, gf = 0, dec = 0;
    for (const auto& ob : *objs) {
      const std::string dst = a.dir + "/tmp/get.obj";
      auto st = Clock_::now();
      auto info = (*dbstore)->GetToFile(ob.key, dst);
      gf += Seconds(st);
      if (!info.ok()) Die("GetToFile", info.status());
      st = Clock_::now();
      auto g = (*dbstore)->Get(ob.key);
      gt += Seconds(st);
      if (!g.ok()) Die("Get", g.status());
      st = Clock_::now();
      Check("DecodeColdPackToFile",
            segment::DecodeColdPackToFile(env, *g, a.dir + "/tmp/get.dec"));
      dec += Seconds(st);
      (void)env->RemoveFile(dst);
      (void)env->RemoveFile(a.dir + "/tmp/get.dec");
    }
    get_s.push_back(gt);
    gettofile_s.push_back(gf);
    decode_s.push_back(dec);
    gf_decode_s.push_back(gf + dec);
  }

  // 6. The upload bound: the same pack bytes, PutFile and Put.
  so.prefix = prefix + "bound/";
  auto bound = object::S3ObjectStore::Open(so, env);
  if (!bound.ok()) Die("S3ObjectStore::Open", bound.status());
  so.part_size = 5ull << 20;  // S3's minimum: every pack in 2 parts
  auto bound5 = object::S3ObjectStore::Open(so, env);
  if (!bound5.ok()) Die("S3ObjectStore::Open", bound5.status());
  std::vector<double> putfile_s, put_s, putfile5_s;
  uint64_t pack_bytes = 0;
  for (const auto& pf : packs) pack_bytes += pf.bytes;
  for (int r = 0; r < a.reps; ++r) {
    double pft = 0, pt = 0, pf5 = 0;
    for (const auto& pf : packs) {
      const std::string key = "seg-" + std::to_string(pf.segment_id) + ".cpk";
      auto st = Clock_::now();
      Check("PutFile", (*bound)->PutFile(key, pf.path));
      pft += Seconds(st);
      st = Clock_::now();
      Check("PutFile (5 MiB parts)", (*bound5)->PutFile(key, pf.path));
      pf5 += Seconds(st);
      auto data = env->MapFile(pf.path);
      if (!data.ok()) Die("MapFile", data.status());
      st = Clock_::now();
      Check("Put", (*bound)->Put(key, std::string_view((*data)->data(),
                                                       (*data)->size())));
      pt += Seconds(st);
    }
    putfile_s.push_back(pft);
    putfile5_s.push_back(pf5);
    put_s.push_back(pt);
  }
  for (const auto& pf : packs) {
    (void)(*bound)->Delete("seg-" + std::to_string(pf.segment_id) + ".cpk");
  }

  // ---------------------------------------------------------- the tables
  std::printf(
      "\n### Search latency per tier (ms per query, one thread; median over "
      "%d passes of %u queries)\n\n",
      a.reps, d.nq);
  std::printf(
      "| tier | p50 | p99 | mean | max | recall@%u | ids differ from hot | "
      "plan | notes |\n|---|---:|---:|---:|---:|---:|---:|---|---|\n",
      a.k);
  for (const auto& r : rows) {
    std::printf("| %s | %.3f | %.3f | %.3f | %.3f | %.4f | %u | %s | %s |\n",
                r.name.c_str(), r.p50, r.p99, r.mean, r.max, r.recall, r.differ,
                r.plan.c_str(), r.note.c_str());
  }
  std::printf("\nuncached first-query latencies (ms):");
  for (double x : first_ms) std::printf(" %.1f", x);
  std::printf(
      "\ncache after the cold-cached passes: %llu bytes, %llu hits, "
      "%llu misses, %llu downloads of %llu bytes\n",
      (unsigned long long)cached_info.tiering.cache_bytes,
      (unsigned long long)cached_info.tiering.cache_hits,
      (unsigned long long)cached_info.tiering.cache_misses,
      (unsigned long long)cached_info.tiering.downloads,
      (unsigned long long)cached_info.tiering.download_bytes);

  std::printf(
      "\n### The bound: the same %zu objects (%.2f MB) fetched sequentially "
      "from radosgw (median of %d)\n\n",
      objs->size(), obj_bytes / 1e6, a.rounds);
  std::printf(
      "| operation | s (all objects) | MB/s of objects |\n|---|---:|---:|\n");
  auto mbps = [](uint64_t b, double s) { return s > 0 ? b / 1e6 / s : 0.0; };
  std::printf("| Get (into memory) | %.3f | %.0f |\n", Median(get_s),
              mbps(obj_bytes, Median(get_s)));
  std::printf("| GetToFile (file + fsync) | %.3f | %.0f |\n",
              Median(gettofile_s), mbps(obj_bytes, Median(gettofile_s)));
  std::printf(
      "| DecodeColdPackToFile (of the Get bytes; tmp + fsync + rename) | "
      "%.3f | %.0f (segment bytes: %.0f) |\n",
      Median(decode_s), mbps(obj_bytes, Median(decode_s)),
      mbps(seg_bytes, Median(decode_s)));
  std::printf("| GetToFile + decode (what a cache fill does) | %.3f | |\n",
              Median(gf_decode_s));
  std::printf("| cold-uncached first query (p50, from above) | %.3f | |\n",
              Median(first_ms) / 1e3);

  std::printf(
      "\n### Moves to cold (each MoveSegment: pack, upload, HEAD, "
      "stub, commit, delete)\n\n");
  std::printf(
      "| segment | segment bytes | object bytes | ratio | move s | upload "
      "MB/s (object bytes / move s) | segment MB/s | bench encode s "
      "|\n|---:|---:|---:|---:|---:|---:|---:|---:|\n");
  double move_total = 0, enc_total = 0;
  uint64_t mseg = 0, mobj = 0;
  for (size_t i = 0; i < moves.size(); ++i) {
    const Move& m = moves[i];
    std::printf("| %llu | %llu | %llu | %.2f | %.3f | %.1f | %.1f | %.3f |\n",
                (unsigned long long)m.id, (unsigned long long)m.segment_bytes,
                (unsigned long long)m.object_bytes,
                double(m.segment_bytes) / m.object_bytes, m.s,
                mbps(m.object_bytes, m.s), mbps(m.segment_bytes, m.s),
                packs[i].encode_s);
    move_total += m.s;
    enc_total += packs[i].encode_s;
    mseg += m.segment_bytes;
    mobj += m.object_bytes;
  }
  std::printf("| **all** | %llu | %llu | %.2f | %.3f | %.1f | %.1f | %.3f |\n",
              (unsigned long long)mseg, (unsigned long long)mobj,
              double(mseg) / mobj, move_total, mbps(mobj, move_total),
              mbps(mseg, move_total), enc_total);

  std::printf(
      "\n### Upload bound: the same pack bytes (%.2f MB in %zu files) "
      "uploaded sequentially (median of %d)\n\n",
      pack_bytes / 1e6, packs.size(), a.reps);
  std::printf("| operation | s (all) | MB/s |\n|---|---:|---:|\n");
  std::printf("| cold moves (%zu x MoveSegment, from above) | %.3f | %.1f |\n",
              moves.size(), move_total, mbps(mobj, move_total));
  std::printf("| cold moves minus the bench's encode time | %.3f | %.1f |\n",
              move_total - enc_total, mbps(mobj, move_total - enc_total));
  size_t multipart = 0;
  for (const auto& pf : packs) multipart += pf.bytes >= (8ull << 20);
  std::printf(
      "| PutFile (default 8 MiB part size: %zu of %zu packs multipart) | "
      "%.3f | %.1f |\n",
      multipart, packs.size(), Median(putfile_s),
      mbps(pack_bytes, Median(putfile_s)));
  std::printf("| PutFile (5 MiB parts: every pack multipart) | %.3f | %.1f |\n",
              Median(putfile5_s), mbps(pack_bytes, Median(putfile5_s)));
  std::printf("| Put (from memory; the engine's call) | %.3f | %.1f |\n",
              Median(put_s), mbps(pack_bytes, Median(put_s)));
  std::printf("\nload at the end: %s\n", LoadAvg().c_str());

  c.reset();
  db.reset();
  // Leave radosgw as found: the DB's objects and the bound's.
  auto left = (*dbstore)->ListAll("");
  if (left.ok()) {
    for (const auto& ob : *left) (void)(*dbstore)->Delete(ob.key);
  }
  std::filesystem::remove_all(a.dir);
  return 0;
}
