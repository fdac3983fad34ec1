// Crash test: a child process writes acknowledged batches (upserts and
// deletes, with background flushes and compactions running) and is killed
// with SIGKILL at a random moment. After every kill the parent reopens the
// database and checks: every acknowledged point is present and bit-exact, no
// acknowledged delete came back, and no batch is partially applied.
// PDB_CRASH_ITERATIONS overrides the number of kills (default 20).
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <random>
#include <set>
#include <thread>

#include "collection/test_util.h"
#include "proximadb/db.h"

namespace proximadb {
namespace {

constexpr uint32_t kDim = 16;
constexpr int kBatch = 40;

std::string PointId(int batch, int i) {
  return "b" + std::to_string(batch) + "-" + std::to_string(i);
}

// Deterministic content, so the parent knows what every point must hold.
std::vector<float> PointVector(int batch, int i) {
  std::mt19937 rng(batch * 1000 + i);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(kDim);
  for (auto& x : v) x = u(rng);
  return v;
}

// Even batch numbers are upserts of kBatch new points; odd batch b deletes
// the first 5 points of upsert batch b - 5 (an earlier one).
bool IsDelete(int b) { return b % 2 == 1 && b >= 5; }

std::vector<std::string> DeletedIds(int b) {
  std::vector<std::string> ids;
  for (int i = 0; i < 5; ++i) ids.push_back(PointId(b - 5, i));
  return ids;
}

[[noreturn]] void ChildWriter(const std::string& dir, int first_batch,
                              int ack_fd) {
  DBOptions o;
  o.flush_check_interval_ms = 20;
  o.flush_defaults.max_vector_count = 300;  // flush often
  o.compaction_min_segments = 3;
  auto db = DB::Open(o, dir);
  if (!db.ok()) {
    std::fprintf(stderr, "child open: %s\n", db.status().ToString().c_str());
    _exit(3);
  }
  auto c = (*db)->GetCollection("crash");
  if (!c.ok()) {
    CollectionConfig cfg;
    cfg.name = "crash";
    cfg.dimension = kDim;
    cfg.metric = Metric::kEuclidean;
    c = (*db)->CreateCollection(cfg);
    if (!c.ok()) _exit(4);
  }
  for (int b = first_batch;; ++b) {
    if (b % 2 == 1 && !IsDelete(b)) continue;
    Status s;
    if (IsDelete(b)) {
      s = (*c)->Delete(DeletedIds(b)).status();
    } else {
      std::vector<Point> pts;
      for (int i = 0; i < kBatch; ++i) {
        pts.push_back({PointId(b, i), PointVector(b, i), {{"b", b}}});
      }
      s = (*c)->Upsert(std::move(pts)).status();
    }
    if (!s.ok()) _exit(5);
    std::string line = std::to_string(b) + "\n";
    if (write(ack_fd, line.data(), line.size()) != (ssize_t)line.size()) {
      _exit(6);
    }
  }
}

TEST(CrashTest, KillNineLosesNoAcknowledgedWrite) {
  int iterations = 20;
  if (const char* e = std::getenv("PDB_CRASH_ITERATIONS")) {
    iterations = std::max(1, std::atoi(e));
  }
  testing::TempDir tmp;
  std::mt19937 rng(12345);
  std::set<int> upserted;  // batches known applied
  std::set<int> deleted;
  int next_batch = 0;
  uint64_t max_segments = 0;  // proves flushes ran in the children
  for (int it = 0; it < iterations; ++it) {
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      ChildWriter(tmp.path(), next_batch, fds[1]);
    }
    close(fds[1]);
    std::this_thread::sleep_for(std::chrono::milliseconds(50 + rng() % 400));
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus))
        << "child exited early with status " << WEXITSTATUS(wstatus);
    // Every complete line is an acknowledgement.
    std::string acks;
    char buf[4096];
    ssize_t n;
    while ((n = read(fds[0], buf, sizeof(buf))) > 0) acks.append(buf, n);
    close(fds[0]);
    std::set<int> acked;
    size_t pos = 0;
    while (true) {
      size_t nl = acks.find('\n', pos);
      if (nl == std::string::npos) break;
      acked.insert(std::stoi(acks.substr(pos, nl - pos)));
      pos = nl + 1;
    }
    int last_acked = acked.empty() ? next_batch - 1 : *acked.rbegin();

    DBOptions o;
    o.background_threads = false;
    auto db = DB::Open(o, tmp.path());
    ASSERT_TRUE(db.ok()) << "iteration " << it << ": "
                         << db.status().ToString();
    auto cr = (*db)->GetCollection("crash");
    if (!cr.ok()) {  // killed before the collection was committed
      ASSERT_TRUE(acked.empty());
      continue;
    }
    auto c = *cr;
    for (int b : acked) (IsDelete(b) ? deleted : upserted).insert(b);
    // The batch in flight at the kill (if any) is all there or not at all.
    int inflight = last_acked + 1;
    while (inflight % 2 == 1 && !IsDelete(inflight)) ++inflight;
    if (IsDelete(inflight)) {
      int present = 0;
      for (auto& id : DeletedIds(inflight)) present += c->Get(id).ok();
      ASSERT_TRUE(present == 0 || present == 5)
          << "partial delete batch " << inflight;
      if (present == 0) deleted.insert(inflight);
    } else {
      int present = 0;
      for (int i = 0; i < kBatch; ++i)
        present += c->Get(PointId(inflight, i)).ok();
      ASSERT_TRUE(present == 0 || present == kBatch)
          << "partial batch " << inflight << ": " << present;
      if (present == kBatch) upserted.insert(inflight);
    }
    // Every acknowledged point, bit-exact; every acknowledged delete holds.
    uint64_t expected = 0;
    for (int b : upserted) {
      bool del = deleted.count(b + 5) > 0;
      for (int i = 0; i < kBatch; ++i) {
        auto p = c->Get(PointId(b, i));
        if (del && i < 5) {
          ASSERT_TRUE(p.status().IsNotFound()) << PointId(b, i) << " came back";
          continue;
        }
        ASSERT_TRUE(p.ok()) << "iteration " << it << ": lost " << PointId(b, i);
        ASSERT_EQ(p->vector, PointVector(b, i));
        ASSERT_EQ(p->metadata["b"], b);
        ++expected;
      }
    }
    ASSERT_EQ(c->Count().value(), expected) << "iteration " << it;
    max_segments = std::max(max_segments, c->Info().segment_count);
    next_batch = std::max(inflight + 1, next_batch);
  }
  EXPECT_GT(upserted.size(), 10u);  // the children did real work
  EXPECT_GT(max_segments, 0u);
}

}  // namespace
}  // namespace proximadb
