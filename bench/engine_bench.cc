// Engine benchmark (storage-engine issue): durable ingest through the
// embeddable API, recovery time, and resident memory.
//
//   engine_bench [--points N] [--dim D] [--batch B] [--threads T]
//                [--recovery-points N] [--wal-points N] [--dir PATH]
//                [--phases all|ingest|recovery]
//
// Prints one line per measurement; docs/BENCHMARKS.md records the results.
// Ingest lines also give the process CPU time (user + system) per vector
// spent while ingesting: on a shared machine it moves less than wall-clock
// throughput does.
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "clustered.h"
#include "proximadb/db.h"
#include "util/fault_injection_env.h"

using namespace proximadb;
using Clock_ = std::chrono::steady_clock;

namespace {

struct Args {
  uint64_t points = 200000;
  uint32_t dim = 128;
  uint32_t batch = 1000;
  uint32_t threads = 1;
  uint64_t recovery_points = 1000000;
  uint64_t wal_points = 100000;
  std::string dir = "/tmp/pdb-bench";
  std::string phases = "all";
};

double Seconds(Clock_::time_point a) {
  return std::chrono::duration<double>(Clock_::now() - a).count();
}

using bench::Clustered;

uint64_t ProcStatusKb(const char* key) {
  std::ifstream f("/proc/self/status");
  std::string line;
  while (std::getline(f, line)) {
    if (line.rfind(key, 0) == 0)
      return std::stoull(line.substr(strlen(key) + 1));
  }
  return 0;
}

uint64_t DirBytes(const std::string& dir, const char* ext) {
  uint64_t n = 0;
  for (auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file() && e.path().extension() == ext) n += e.file_size();
  }
  return n;
}

double CpuSeconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  auto s = [](const timeval& t) { return t.tv_sec + t.tv_usec / 1e6; };
  return s(u.ru_utime) + s(u.ru_stime);
}

// Writes `n` points in batches from `threads` writers into collection `c`;
// returns the wall-clock seconds, and the process CPU seconds in *cpu_s.
double Ingest(Collection& c, uint64_t n, uint32_t dim, uint32_t batch,
              uint32_t threads, uint64_t seed, double* cpu_s = nullptr) {
  // Pre-generate so the clock measures the engine, not the RNG.
  std::vector<std::vector<Point>> batches;
  Clustered gen(dim, seed);
  for (uint64_t i = 0; i < n; i += batch) {
    std::vector<Point> b;
    for (uint64_t j = i; j < std::min(n, i + batch); ++j) {
      b.push_back({"pt-" + std::to_string(seed) + "-" + std::to_string(j),
                   gen.Next(),
                   {{"cluster", j % 64}}});
    }
    batches.push_back(std::move(b));
  }
  std::atomic<size_t> next{0};
  const double cpu0 = CpuSeconds();
  auto t0 = Clock_::now();
  std::vector<std::thread> ws;
  for (uint32_t t = 0; t < threads; ++t) {
    ws.emplace_back([&] {
      for (size_t i; (i = next++) < batches.size();) {
        auto r = c.Upsert(std::move(batches[i]));
        if (!r.ok()) {
          std::fprintf(stderr, "upsert: %s\n", r.status().ToString().c_str());
          std::exit(1);
        }
      }
    });
  }
  for (auto& w : ws) w.join();
  double s = Seconds(t0);
  if (cpu_s != nullptr) *cpu_s = CpuSeconds() - cpu0;
  return s;
}

std::unique_ptr<DB> OpenOrDie(const DBOptions& o, const std::string& dir) {
  auto db = DB::Open(o, dir);
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    std::exit(1);
  }
  return std::move(db).value();
}

CollectionConfig Config(const std::string& name, uint32_t dim) {
  CollectionConfig c;
  c.name = name;
  c.dimension = dim;
  c.metric = Metric::kEuclidean;
  c.index.algorithm = "flat";
  return c;
}

void BenchIngest(const Args& a, uint32_t dim, uint64_t points) {
  std::filesystem::remove_all(a.dir);
  FaultInjectionEnv counting(Env::Default());  // no faults: counts fsyncs
  DBOptions o;
  o.env = &counting;
  o.background_threads = false;  // measure the WAL path alone, flush after
  auto db = OpenOrDie(o, a.dir);
  auto c = db->CreateCollection(Config("ingest", dim)).value();
  double cpu = 0;
  double s = Ingest(*c, points, dim, a.batch, a.threads, 1, &cpu);
  uint64_t syncs = counting.sync_count();
  uint64_t wal = DirBytes(a.dir, ".log");
  auto t0 = Clock_::now();
  if (!c->Flush().ok()) std::exit(1);
  double flush_s = Seconds(t0);
  uint64_t seg = DirBytes(a.dir, ".pdb");
  double raw = double(points) * dim * 4;
  std::printf(
      "ingest dim=%u points=%llu batch=%u threads=%u: %.0f vectors/s, %.0f "
      "fsyncs/s, CPU %.2f us/vector, WAL %.2f B/B raw, segment %.2f B/B "
      "raw, write amp %.2f (flush %.2f s)\n",
      dim, (unsigned long long)points, a.batch, a.threads, points / s,
      syncs / s, cpu * 1e6 / points, wal / raw, seg / raw, (wal + seg) / raw,
      flush_s);
}

// Writes `points` into a fresh database (flushed to segments, or left in the
// WAL), closes it, and times the reopen; reports memory after recovery.
void BenchRecovery(const Args& a, uint64_t points, bool flushed) {
  std::filesystem::remove_all(a.dir);
  {
    DBOptions o;
    o.background_threads = false;
    auto db = OpenOrDie(o, a.dir);
    auto c = db->CreateCollection(Config("rec", a.dim)).value();
    Ingest(*c, points, a.dim, a.batch, 2, 2);
    if (flushed && !c->Flush().ok()) std::exit(1);
  }
  // Reopen in a fresh child process: this one's heap still holds the pages
  // the ingest freed, which would hide the recovered memtable's memory.
  std::fflush(stdout);
  pid_t pid = fork();
  if (pid != 0) {
    int status = 0;
    waitpid(pid, &status, 0);
    return;
  }
  // Cold start when allowed (root): segments must come from disk.
  sync();
  bool cold = false;
  if (FILE* f = std::fopen("/proc/sys/vm/drop_caches", "w")) {
    cold = std::fputs("3", f) >= 0;
    cold = (std::fclose(f) == 0) && cold;
  }
  uint64_t anon_before = ProcStatusKb("RssAnon:");
  uint64_t file_before = ProcStatusKb("RssFile:");
  auto t0 = Clock_::now();
  DBOptions o;
  o.background_threads = false;
  auto db = OpenOrDie(o, a.dir);
  double s = Seconds(t0);
  auto info = db->GetCollection("rec").value()->Info();
  double anon_mb = (double(ProcStatusKb("RssAnon:")) - anon_before) / 1e3;
  double file_mb = (double(ProcStatusKb("RssFile:")) - file_before) / 1e3;
  double raw_mb = double(points) * a.dim * 4 / 1e6;
  std::printf(
      "recovery %s: %.3f s for %llu points of dim %u (%s page cache); "
      "after it: anonymous memory +%.1f MB, file-backed +%.1f MB, raw "
      "vectors %.1f MB\n",
      flushed ? "from segments" : "from the WAL only", s,
      (unsigned long long)info.point_count, a.dim, cold ? "cold" : "warm",
      anon_mb, file_mb, raw_mb);
  std::fflush(stdout);
  _exit(0);
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i + 1 < argc; i += 2) {
    std::string k = argv[i], v = argv[i + 1];
    if (k == "--points")
      a.points = std::stoull(v);
    else if (k == "--dim")
      a.dim = std::stoul(v);
    else if (k == "--batch")
      a.batch = std::stoul(v);
    else if (k == "--threads")
      a.threads = std::stoul(v);
    else if (k == "--recovery-points")
      a.recovery_points = std::stoull(v);
    else if (k == "--wal-points")
      a.wal_points = std::stoull(v);
    else if (k == "--dir")
      a.dir = v;
    else if (k == "--phases")
      a.phases = v;
  }
  const bool ingest = a.phases == "all" || a.phases == "ingest";
  const bool recovery = a.phases == "all" || a.phases == "recovery";
  if (!ingest && !recovery) {
    std::fprintf(stderr, "--phases must be all, ingest or recovery\n");
    return 2;
  }
  if (ingest) {
    BenchIngest(a, a.dim, a.points);
    a.threads = 2;
    BenchIngest(a, a.dim, a.points);
    a.threads = 1;
    BenchIngest(a, 768, a.points / 2);
    a.threads = 2;
    BenchIngest(a, 768, a.points / 2);
  }
  if (recovery) {
    BenchRecovery(a, a.recovery_points, /*flushed=*/true);
    BenchRecovery(a, a.wal_points, /*flushed=*/false);
  }
  std::filesystem::remove_all(a.dir);
  return 0;
}
