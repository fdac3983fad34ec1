// Crash test: a child process runs a deterministic stream of operations —
// upsert batches (new points and overwrites), deletes by id, metadata
// updates, deletes by filter, manual flushes and compactions, with
// background flushes and compactions running too — and is killed with
// SIGKILL at a random moment. The child reports each operation before it
// starts and after it is acknowledged. After every kill the parent reopens
// the database and checks every point of the id universe against a model
// built from the acknowledged operations: each acknowledged write is there
// bit-exact (vector and metadata), each acknowledged delete holds, nothing
// else exists (scroll and count agree), and the one operation in flight at
// the kill is atomic where it promises to be (a batch: all or nothing; a
// delete by filter: each matched point deleted or untouched).
//
// PDB_CRASH_ITERATIONS overrides the number of kills (default 20);
// scripts/crash-soak.sh runs it for thousands.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <random>
#include <set>
#include <sstream>
#include <thread>

#include "collection/test_util.h"
#include "proximadb/db.h"

namespace proximadb {
namespace {

constexpr uint32_t kCrashDim = 8;
constexpr int kUniverse = 300;  // ids "p0".."p299"
constexpr int kGroups = 12;     // metadata "g" in 0..11

std::string Id(int i) { return "p" + std::to_string(i); }

enum class Kind {
  kUpsert,
  kDelete,
  kUpdate,
  kDeleteWhere,
  kFlush,
  kCompact,
  kTierMove,  // the oldest segment hot -> warm -> cold -> hot
};

// Operation n of the stream: a pure function of n, so the parent can
// recompute what the child did.
struct Op {
  Kind kind;
  std::vector<int> ids;  // kUpsert, kDelete: the ids; kUpdate: one id
  int group = 0;         // kDeleteWhere: the group deleted
};

Op OpAt(int n) {
  std::mt19937 rng(static_cast<uint32_t>(n) * 2654435761u + 17);
  Op op;
  const int r = static_cast<int>(rng() % 100);
  if (n % 97 == 96) {
    op.kind = Kind::kCompact;
  } else if (n % 53 == 52) {
    op.kind = Kind::kTierMove;
  } else if (n % 41 == 40) {
    op.kind = Kind::kFlush;
  } else if (r < 40) {
    op.kind = Kind::kUpsert;
    std::set<int> ids;
    const int count = 1 + static_cast<int>(rng() % 20);
    while (static_cast<int>(ids.size()) < count) ids.insert(rng() % kUniverse);
    op.ids.assign(ids.begin(), ids.end());
  } else if (r < 55) {
    op.kind = Kind::kDelete;
    std::set<int> ids;
    while (ids.size() < 4) ids.insert(rng() % kUniverse);
    op.ids.assign(ids.begin(), ids.end());
  } else if (r < 95) {
    op.kind = Kind::kUpdate;
    op.ids = {static_cast<int>(rng() % kUniverse)};
  } else {
    op.kind = Kind::kDeleteWhere;
    op.group = static_cast<int>(rng() % kGroups);
  }
  return op;
}

std::vector<float> VectorOf(int n, int id) {
  std::mt19937 rng(static_cast<uint32_t>(n) * 7919u + id);
  std::uniform_real_distribution<float> u(-1, 1);
  std::vector<float> v(kCrashDim);
  for (auto& x : v) x = u(rng);
  return v;
}

int GroupOf(int n, int id) { return (n * 31 + id) % kGroups; }

nlohmann::json UpsertMetadata(int n, int id) {
  return {{"g", GroupOf(n, id)}, {"n", n}};
}
nlohmann::json UpdateMetadata(int n, int id) {
  return {{"g", GroupOf(n + 1, id)}, {"u", n}, {"tags", {"x", n % 7}}};
}

struct PointState {
  std::vector<float> vector;
  nlohmann::json metadata;
  bool operator==(const PointState&) const = default;
};
using Model = std::map<int, PointState>;  // live points only

// The points a delete-by-filter of `group` removes from `m`.
std::vector<int> Matching(const Model& m, int group) {
  std::vector<int> out;
  for (const auto& [id, p] : m) {
    if (p.metadata.value("g", -1) == group) out.push_back(id);
  }
  return out;
}

// Applies acknowledged op n to the model; returns the ids it touches.
std::vector<int> Apply(Model* m, int n) {
  Op op = OpAt(n);
  switch (op.kind) {
    case Kind::kUpsert:
      for (int id : op.ids) (*m)[id] = {VectorOf(n, id), UpsertMetadata(n, id)};
      return op.ids;
    case Kind::kDelete:
      for (int id : op.ids) m->erase(id);
      return op.ids;
    case Kind::kUpdate: {
      auto it = m->find(op.ids[0]);
      if (it != m->end()) it->second.metadata = UpdateMetadata(n, op.ids[0]);
      return op.ids;
    }
    case Kind::kDeleteWhere: {
      std::vector<int> ids = Matching(*m, op.group);
      for (int id : ids) m->erase(id);
      return ids;
    }
    case Kind::kFlush:
    case Kind::kCompact:
    case Kind::kTierMove:
      return {};
  }
  return {};
}

// What the service's delete-by-filter does: page through the matches by id
// and delete each page in one batch.
Status DeleteWhere(Collection* c, int group) {
  ScrollRequest page;
  page.filter = {{"g", group}};
  page.limit = 7;
  for (;;) {
    PDB_ASSIGN_OR_RETURN(ScrollPage got, c->Scroll(page));
    if (got.points.empty()) return Status::OK();
    std::vector<std::string> ids;
    for (const auto& p : got.points) ids.push_back(p.id);
    PDB_RETURN_IF_ERROR(c->Delete(ids).status());
    if (got.next_after_id.empty()) return Status::OK();
    page.after_id = got.next_after_id;
  }
}

Status RunOp(Collection* c, int n) {
  Op op = OpAt(n);
  switch (op.kind) {
    case Kind::kUpsert: {
      std::vector<Point> pts;
      for (int id : op.ids) {
        pts.push_back({Id(id), VectorOf(n, id), UpsertMetadata(n, id)});
      }
      return c->Upsert(std::move(pts)).status();
    }
    case Kind::kDelete: {
      std::vector<std::string> ids;
      for (int id : op.ids) ids.push_back(Id(id));
      return c->Delete(ids).status();
    }
    case Kind::kUpdate: {
      Status s = c->UpdateMetadata(Id(op.ids[0]), UpdateMetadata(n, op.ids[0]));
      return s.IsNotFound() ? Status::OK() : s;
    }
    case Kind::kDeleteWhere:
      return DeleteWhere(c, op.group);
    case Kind::kFlush:
      return c->Flush();
    case Kind::kCompact:
      return c->Compact();
    case Kind::kTierMove: {
      PDB_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segs, c->ListSegments());
      if (segs.empty()) return Status::OK();
      const Tier to = segs[0].tier == Tier::kHot    ? Tier::kWarm
                      : segs[0].tier == Tier::kWarm ? Tier::kCold
                                                    : Tier::kHot;
      Status s = c->MoveSegment(segs[0].id, to);
      if (s.IsNotFound()) return Status::OK();  // compacted meanwhile
      if (to == Tier::kCold && s.code() == StatusCode::kFailedPrecondition) {
        return Status::OK();  // its graph is not saved yet: stays warm
      }
      return s;
    }
  }
  return Status::OK();
}

void Report(int fd, char what, int n) {
  std::string line = std::string(1, what) + std::to_string(n) + "\n";
  if (write(fd, line.data(), line.size()) != (ssize_t)line.size()) _exit(6);
}

// The warm and cold tiers of the crash test's collection: a directory and
// a local object store beside the data directory.
DBOptions WithWarmTier(DBOptions o, const std::string& root) {
  o.tiering.defaults.warm_directory = root + "/warm";
  o.tiering.local_object_directory = root + "/objects";
  return o;
}

[[noreturn]] void ChildWriter(const std::string& root, int first_op, int fd) {
  const std::string dir = root + "/data";
  DBOptions o = WithWarmTier({}, root);
  o.flush_check_interval_ms = 20;
  o.flush_defaults.max_vector_count = 150;  // flush often
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
    cfg.dimension = kCrashDim;
    cfg.metric = Metric::kEuclidean;
    c = (*db)->CreateCollection(cfg);
    if (!c.ok()) _exit(4);
  }
  Report(fd, 'R', 0);  // recovered and open
  for (int n = first_op;; ++n) {
    Report(fd, 'B', n);
    Status s = RunOp(c->get(), n);
    if (!s.ok()) {
      std::fprintf(stderr, "op %d: %s\n", n, s.ToString().c_str());
      _exit(5);
    }
    Report(fd, 'A', n);
  }
}

std::optional<PointState> Read(Collection* c, int id) {
  auto p = c->Get(Id(id));
  if (!p.ok()) return std::nullopt;
  return PointState{p->vector, p->metadata};
}

std::string Show(const std::optional<PointState>& p) {
  if (!p) return "absent";
  std::ostringstream o;
  o << "[" << p->vector[0] << ", ...] " << p->metadata.dump();
  return o.str();
}

TEST(CrashTest, KillNineLosesNoAcknowledgedOperation) {
  int iterations = 20;
  if (const char* e = std::getenv("PDB_CRASH_ITERATIONS")) {
    iterations = std::max(1, std::atoi(e));
  }
  uint32_t seed = 12345;
  if (const char* e = std::getenv("PDB_CRASH_SEED")) {
    seed = static_cast<uint32_t>(std::strtoul(e, nullptr, 10));
  }
  testing::TempDir tmp;
  std::filesystem::create_directories(tmp.path() + "/warm");
  std::mt19937 rng(seed);
  Model model;
  int next_op = 0;
  std::map<Kind, int> acked_by_kind;
  uint64_t max_segments = 0;
  int kills_in_recovery = 0;
  int cold_seen = 0;  // recoveries that found a cold segment
  for (int it = 0; it < iterations; ++it) {
    SCOPED_TRACE("iteration " + std::to_string(it) + " (seed " +
                 std::to_string(seed) + ")");
    int fds[2];
    ASSERT_EQ(pipe(fds), 0);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      close(fds[0]);
      ChildWriter(tmp.path(), next_op, fds[1]);
    }
    close(fds[1]);
    // Every 5th kill comes within a few milliseconds of the start, while
    // the child is still recovering from the previous one.
    const int delay_ms = it % 5 == 4 ? rng() % 8 : 50 + rng() % 400;
    std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms));
    kill(pid, SIGKILL);
    int wstatus = 0;
    waitpid(pid, &wstatus, 0);
    ASSERT_TRUE(WIFSIGNALED(wstatus))
        << "child exited early with status " << WEXITSTATUS(wstatus);
    std::string lines;
    char buf[4096];
    ssize_t got;
    while ((got = read(fds[0], buf, sizeof(buf))) > 0) lines.append(buf, got);
    close(fds[0]);

    // The acknowledged ops go into the model in order; at most one op was
    // begun and not acknowledged. Each line is one write() of a few bytes
    // to a pipe, so lines arrive whole.
    std::optional<int> inflight;
    bool recovered = false;
    for (size_t pos = 0, nl; (nl = lines.find('\n', pos)) != std::string::npos;
         pos = nl + 1) {
      const char what = lines[pos];
      const int n = std::stoi(lines.substr(pos + 1, nl - pos - 1));
      if (what == 'R') {
        recovered = true;
      } else if (what == 'B') {
        ASSERT_EQ(n, next_op);
        inflight = n;
      } else {
        ASSERT_EQ(inflight, n);
        Apply(&model, n);
        ++acked_by_kind[OpAt(n).kind];
        inflight.reset();
        next_op = n + 1;
      }
    }
    kills_in_recovery += !recovered;

    DBOptions o = WithWarmTier({}, tmp.path());
    o.background_threads = false;
    auto db = DB::Open(o, tmp.path() + "/data");
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto cr = (*db)->GetCollection("crash");
    if (!cr.ok()) {  // killed before the collection was committed
      ASSERT_EQ(next_op, 0);
      continue;
    }
    Collection* c = cr->get();

    // The op in flight: settle its effect from what is there, checking it
    // is all-or-nothing where it promises to be (a delete by filter is
    // several batches: each matched point is deleted or untouched).
    if (inflight) {
      const int n = *inflight;
      Model after = model;
      const std::vector<int> ids = Apply(&after, n);
      auto state = [](const Model& m, int id) {
        auto it = m.find(id);
        return it == m.end() ? std::nullopt : std::optional(it->second);
      };
      int only_before = 0, only_after = 0;
      for (int id : ids) {
        auto now = Read(c, id), b = state(model, id), a = state(after, id);
        if (now != a && now != b) {
          FAIL() << "in-flight op " << n << ": " << Id(id) << " is "
                 << Show(now) << ", expected " << Show(b) << " or " << Show(a);
        }
        if (a == b) continue;
        now == a ? ++only_after : ++only_before;
      }
      if (OpAt(n).kind == Kind::kDeleteWhere) {
        for (int id : ids) {
          if (!Read(c, id)) model.erase(id);
        }
      } else {
        ASSERT_FALSE(only_after > 0 && only_before > 0)
            << "in-flight batch " << n << " partly applied";
        if (only_after > 0) model = std::move(after);
      }
      next_op = n + 1;
    }

    // Every point of the universe against the model.
    for (int id = 0; id < kUniverse; ++id) {
      auto now = Read(c, id);
      auto it = model.find(id);
      std::optional<PointState> want =
          it == model.end() ? std::nullopt : std::optional(it->second);
      ASSERT_EQ(now, want) << Id(id) << " is " << Show(now) << ", expected "
                           << Show(want);
    }
    ASSERT_EQ(c->Count().value(), model.size());
    ScrollRequest all;
    all.limit = kUniverse + 10;
    auto page = c->Scroll(all);
    ASSERT_TRUE(page.ok());
    ASSERT_EQ(page->points.size(), model.size()) << "duplicates or zombies";
    max_segments = std::max(max_segments, c->Info().segment_count);
    cold_seen += c->Info().tiers[static_cast<size_t>(Tier::kCold)].segments > 0;
  }
  std::printf(
      "crash test: %d iterations, %d operations acknowledged "
      "(upsert %d, delete %d, update %d, delete-where %d, flush %d, "
      "compact %d, tier move %d), up to %llu segments, %d kills during "
      "recovery, %d recoveries with a cold segment\n",
      iterations, next_op, acked_by_kind[Kind::kUpsert],
      acked_by_kind[Kind::kDelete], acked_by_kind[Kind::kUpdate],
      acked_by_kind[Kind::kDeleteWhere], acked_by_kind[Kind::kFlush],
      acked_by_kind[Kind::kCompact], acked_by_kind[Kind::kTierMove],
      static_cast<unsigned long long>(max_segments), kills_in_recovery,
      cold_seen);
  // The children did real work of every kind.
  for (Kind k :
       {Kind::kUpsert, Kind::kDelete, Kind::kUpdate, Kind::kDeleteWhere,
        Kind::kFlush, Kind::kCompact, Kind::kTierMove}) {
    EXPECT_GT(acked_by_kind[k], 0) << "kind " << static_cast<int>(k);
  }
  EXPECT_GT(max_segments, 0u);
  if (iterations >= 10) {
    EXPECT_GT(kills_in_recovery, 0);
    EXPECT_GT(cold_seen, 0);
  }
}

}  // namespace
}  // namespace proximadb
