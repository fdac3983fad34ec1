// viper's segment compression ("none" vs "zstd"; docs/API.md, "Storage
// strategies"): what it saves on disk and what it costs in memory and time.
// For each compression, in a child process (so that one's memory does not
// hide the other's) and a fresh directory, a viper collection (ivf int8
// codes, hash memtable, one filterable column) takes --points clustered
// vectors with document-like metadata (a title of Zipf-distributed words,
// a URL, tags, a category, a price, an author, a date: ~300 bytes of JSON),
// is flushed into one segment and indexed; then the database is closed and
// opened again, and single-client searches (k 10, metadata returned),
// filtered searches and point reads run for --seconds each. Reported:
//   * flush + index time;
//   * bytes per point on disk: segment files, index files;
//   * a fresh process's anonymous memory (RssAnon: the IVF codes and,
//     with zstd, the unpacked ids and metadata) and mapped file pages
//     (RssFile, after the reads), per point; the reopen time;
//   * searches/s and p99 of each kind of read.
//
//   compression_bench [--points N] [--dim D] [--seconds S] [--dir PATH]
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <vector>

#include <spdlog/spdlog.h>
#include "bench_util.h"
#include "clustered.h"
#include "proximadb/db.h"

using namespace proximadb;
using proximadb::bench::Check;
using proximadb::bench::Seconds;
using proximadb::bench::Steady;

namespace {

struct Args {
  uint64_t points = 200000;
  uint32_t dim = 128;
  double seconds = 5;
  std::string dir = "/tmp/pdb-compression-bench";
};

// Document-like metadata, deterministic per point: words drawn from a
// 4,096-word vocabulary with a Zipf(1.1) law, as titles are.
class MetaMaker {
 public:
  MetaMaker() : rng_(7) {
    const char* syl[] = {"ka", "lo",  "mi", "ten", "ro", "sa",  "vi", "del",
                         "na", "por", "qu", "ex",  "ul", "tri", "bo", "gen"};
    std::mt19937 r(3);
    for (int i = 0; i < 4096; ++i) {
      std::string w;
      const int n = 2 + static_cast<int>(r() % 3);
      for (int k = 0; k < n; ++k) w += syl[r() % 16];
      words_.push_back(w);
    }
    double total = 0;
    for (int i = 0; i < 4096; ++i) {
      total += 1.0 / std::pow(i + 1.0, 1.1);
      cdf_.push_back(total);
    }
    for (double& c : cdf_) c /= total;
  }
  nlohmann::json Next(uint64_t id) {
    std::string title;
    const int n = 6 + static_cast<int>(rng_() % 7);
    for (int k = 0; k < n; ++k) {
      if (k) title += ' ';
      title += Word();
    }
    const int cat = static_cast<int>(rng_() % 40);
    nlohmann::json tags = nlohmann::json::array();
    for (int k = 0; k < 3; ++k)
      tags.push_back("t" + std::to_string(rng_() % 50));
    char date[32];
    std::snprintf(date, sizeof date, "2026-%02d-%02dT%02d:%02d:00Z",
                  1 + static_cast<int>(rng_() % 12),
                  1 + static_cast<int>(rng_() % 28),
                  static_cast<int>(rng_() % 24), static_cast<int>(rng_() % 60));
    return {{"title", title},
            {"url", "https://docs.example.com/cat-" + std::to_string(cat) +
                        "/" + Word() + "-" + Word() + "-" + std::to_string(id)},
            {"tags", tags},
            {"category", "cat-" + std::to_string(cat)},
            {"price", static_cast<double>(rng_() % 100000) / 100},
            {"author", "author-" + std::to_string(rng_() % 500)},
            {"published", date}};
  }

 private:
  const std::string& Word() {
    const double u = std::uniform_real_distribution<double>(0, 1)(rng_);
    const size_t i =
        std::lower_bound(cdf_.begin(), cdf_.end(), u) - cdf_.begin();
    return words_[std::min<size_t>(i, words_.size() - 1)];
  }
  std::mt19937_64 rng_;
  std::vector<std::string> words_;
  std::vector<double> cdf_;
};

// A field of /proc/self/status in kB ("RssAnon", "RssFile").
uint64_t StatusKb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      return std::strtoull(line.c_str() + field.size() + 1, nullptr, 10);
    }
  }
  return 0;
}

// Bytes of the files under `dir` whose names end with `suffix`.
uint64_t FileBytes(const std::string& dir, const std::string& suffix) {
  uint64_t n = 0;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    const std::string p = e.path().string();
    if (e.is_regular_file() && p.size() >= suffix.size() &&
        p.compare(p.size() - suffix.size(), suffix.size(), suffix) == 0) {
      n += e.file_size();
    }
  }
  return n;
}

CollectionConfig ConfigOf(const std::string& compression, const Args& a) {
  CollectionConfig c;
  c.name = "docs";
  c.dimension = a.dim;
  c.metric = Metric::kEuclidean;
  c.storage_strategy = "viper";
  c.memtable = "hash";
  c.index.algorithm = "ivf";
  c.index.quantization = "int8";
  c.compression = compression;
  c.filterable_columns = {{"category", "string"}};
  c.flush.max_vector_count = a.points + 1;  // one flush, by the bench
  return c;
}

void WaitIndexed(Collection& c) {
  for (;;) {
    bool all = true;
    const std::vector<SegmentInfo> segs = c.ListSegments().value();
    for (const SegmentInfo& s : segs) all = all && s.graph_loaded;
    if (all) return;
    usleep(20000);
  }
}

struct Reads {
  double qps = 0, p99_ms = 0;
};

// Runs `op` for `seconds`; its rate and p99 latency.
template <typename Op>
Reads Measure(double seconds, Op op) {
  std::vector<double> lat;
  const auto start = Steady::now();
  while (Seconds(start) < seconds) {
    const auto t = Steady::now();
    op(lat.size());
    lat.push_back(Seconds(t) * 1e3);
  }
  Reads r;
  r.qps = static_cast<double>(lat.size()) / Seconds(start);
  std::sort(lat.begin(), lat.end());
  r.p99_ms = lat[lat.size() * 99 / 100];
  return r;
}

// One compression's load: the first columns of its row (run in a child
// process, which then exits).
void Write(const std::string& compression, const Args& a) {
  const std::string dir = a.dir + "/" + compression;
  std::filesystem::remove_all(dir);
  DBOptions o;
  o.compaction_enabled = false;
  o.memtable_size_mb = 1 << 16;  // one segment, flushed by the bench
  const double n = static_cast<double>(a.points);
  double build_s = 0;
  uint64_t json_bytes = 0;
  {
    auto db = DB::Open(o, dir);
    Check(db.status(), "open");
    auto c = (*db)->CreateCollection(ConfigOf(compression, a));
    Check(c.status(), "create");
    bench::Clustered gen(a.dim, 42);
    MetaMaker meta;
    std::vector<Point> batch;
    for (uint64_t i = 0; i < a.points; ++i) {
      batch.push_back({"doc-" + std::to_string(i), gen.Next(), meta.Next(i)});
      json_bytes += batch.back().metadata.dump().size();
      if (batch.size() == 1000 || i + 1 == a.points) {
        Check((*c)->Upsert(batch).status(), "upsert");
        batch.clear();
      }
    }
    const auto t = Steady::now();
    Check((*c)->Flush(), "flush");
    WaitIndexed(**c);
    build_s = Seconds(t);
  }
  const uint64_t seg = FileBytes(dir, ".pdb");
  const uint64_t idx = FileBytes(dir, ".hnsw");
  std::printf("| %s | %.0f | %.1f | %.1f | %.1f ", compression.c_str(),
              json_bytes / n, build_s, seg / n, idx / n);
  std::fflush(stdout);
}

// The rest of the row, from a fresh process that opens what Write left:
// its memory is then the reopened collection's alone.
void Read(const std::string& compression, const Args& a) {
  const std::string dir = a.dir + "/" + compression;
  DBOptions o;
  o.compaction_enabled = false;
  const double n = static_cast<double>(a.points);
  const uint64_t anon0 = StatusKb("RssAnon");
  const auto t = Steady::now();
  auto db = DB::Open(o, dir);
  Check(db.status(), "reopen");
  auto c = (*db)->GetCollection("docs");
  Check(c.status(), "get collection");
  WaitIndexed(**c);
  const double open_s = Seconds(t);
  const uint64_t anon = StatusKb("RssAnon") - anon0;

  bench::Clustered qgen(a.dim, 4242);
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 1000; ++i) queries.push_back(qgen.Next());
  std::mt19937_64 rng(5);
  const Reads plain = Measure(a.seconds, [&](size_t i) {
    SearchRequest r;
    r.vector = queries[i % queries.size()];
    Check((*c)->Search(r).status(), "search");
  });
  const Reads filtered = Measure(a.seconds, [&](size_t i) {
    SearchRequest r;
    r.vector = queries[i % queries.size()];
    r.filter = {{"category", "cat-" + std::to_string(i % 40)}};
    Check((*c)->Search(r).status(), "filtered search");
  });
  const Reads gets = Measure(a.seconds, [&](size_t) {
    Check((*c)->Get("doc-" + std::to_string(rng() % a.points)).status(), "get");
  });
  const uint64_t file_kb = StatusKb("RssFile");
  std::printf(
      "| %.1f | %.1f | %.2f | %.0f / %.3f | %.0f / %.3f | %.0f / %.3f |\n",
      anon * 1024.0 / n, file_kb * 1024.0 / n, open_s, plain.qps, plain.p99_ms,
      filtered.qps, filtered.p99_ms, gets.qps, gets.p99_ms);
  std::fflush(stdout);
}

}  // namespace

int main(int argc, char** argv) {
  spdlog::set_level(spdlog::level::warn);  // the table alone on stdout
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string k = argv[i], v = argv[i + 1];
    if (k == "--points")
      a.points = std::stoull(v);
    else if (k == "--dim")
      a.dim = static_cast<uint32_t>(std::stoul(v));
    else if (k == "--seconds")
      a.seconds = std::stod(v);
    else if (k == "--dir")
      a.dir = v;
    else {
      std::fprintf(stderr, "unknown flag %s\n", k.c_str());
      return 2;
    }
  }
  std::printf(
      "points %llu, dim %u; per point: JSON bytes, then bytes\n\n"
      "| compression | JSON B | flush + index s | segment B | index B | "
      "RssAnon B | RssFile B | reopen s | search/s / p99 ms | filtered/s / "
      "p99 ms | get/s / p99 ms |\n|---|---:|---:|---:|---:|---:|---:|---:|"
      "---:|---:|---:|\n",
      static_cast<unsigned long long>(a.points), a.dim);
  std::fflush(stdout);
  for (const std::string compression : {"none", "zstd"}) {
    for (auto* step : {&Write, &Read}) {
      const pid_t pid = fork();
      if (pid == 0) {
        step(compression, a);
        std::_Exit(0);
      }
      int status = 0;
      waitpid(pid, &status, 0);
      if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        std::fprintf(stderr, "%s: the run failed\n", compression.c_str());
        return 1;
      }
    }
  }
  std::filesystem::remove_all(a.dir);
  return 0;
}
