// I/O fault stepping. Each write path (upsert, metadata update, delete,
// flush, compaction, catalog commits of create and drop, HNSW graph save,
// payload index save) runs once without faults to count its I/O calls —
// through the Env and through the catalog's SQLite VFS hook — and then once
// for every call number N with call N failing, in three modes:
//
//   error:      only call N fails (EIO); the engine carries on; the
//               database is closed and reopened;
//   error+kill: only call N fails; the engine carries on; then the process
//               "dies": the data directory is copied as it is, with no
//               close, and the copy is opened (page cache survives);
//   power loss: call N and every later one fail (nothing after N lands),
//               then unsynced data is dropped, as a power cut would.
//
// The reopened database is compared with a model of the operations:
// everything acknowledged is there; an operation that failed is absent
// after a clean close (error mode) and, after a kill or power loss, either
// wholly there or wholly absent (its record may have reached the disk
// before the failure). The reopen itself must succeed, the database must
// take writes again, and no call may crash the process.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <optional>
#include <string>

#include "collection/test_util.h"
#include "proximadb/db.h"
#include "storage/catalog/sqlite_io_hook.h"
#include "util/fault_injection_env.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::TempDir;

struct StepPointState {
  std::vector<float> vector;
  nlohmann::json metadata;
  bool operator==(const StepPointState&) const = default;
};
// collection -> id -> point; a collection with no points is an empty map.
using StepModel = std::map<std::string, std::map<std::string, StepPointState>>;

enum class Mode { kError, kErrorThenKill, kPowerLoss };

// Fault stepping is about the order of calls, not the speed of fsync:
// a memory file system keeps thousands of runs quick where there is one.
std::string FastTempBase() {
  std::error_code ec;
  return std::filesystem::is_directory("/dev/shm", ec) ? "/dev/shm" : "";
}

struct World {
  std::unique_ptr<TempDir> tmp = std::make_unique<TempDir>(FastTempBase());
  FaultInjectionEnv env{Env::Default()};
  std::unique_ptr<DB> db;
  bool in_setup = true;
  StepModel base;  // the state after the setup (all of it acknowledged)
  struct Op {
    std::string what;
    bool acked;
    std::function<void(StepModel*)> apply;
  };
  std::vector<Op> ops;  // the step's operations, in order

  Status Open() {
    DBOptions o;
    o.env = &env;
    o.background_threads = false;  // graph builds run inline, in the step
    PDB_ASSIGN_OR_RETURN(db, DB::Open(o, tmp->path()));
    return Status::OK();
  }
  Collection* Get(const std::string& name) {
    auto c = db->GetCollection(name);
    return c.ok() ? c->get() : nullptr;
  }
  void Record(bool ok, std::string what,
              std::function<void(StepModel*)> apply) {
    if (in_setup) {
      EXPECT_TRUE(ok) << "setup: " << what;
      apply(&base);
    } else {
      ops.push_back({std::move(what), ok, std::move(apply)});
    }
  }
  void Upsert(const std::string& coll, std::vector<Point> pts) {
    Collection* c = Get(coll);
    auto copy = pts;
    bool ok = c != nullptr && c->Upsert(std::move(pts)).ok();
    Record(ok, "upsert", [=](StepModel* m) {
      for (const auto& p : copy) {
        (*m)[coll][p.id] = {p.vector, p.metadata.is_null()
                                          ? nlohmann::json::object()
                                          : p.metadata};
      }
    });
  }
  void Update(const std::string& coll, const std::string& id,
              nlohmann::json md) {
    Collection* c = Get(coll);
    bool ok = c != nullptr && c->UpdateMetadata(id, md).ok();
    Record(ok, "update " + id, [=](StepModel* m) {
      auto it = (*m)[coll].find(id);
      if (it != (*m)[coll].end()) it->second.metadata = md;
    });
  }
  void Delete(const std::string& coll, std::vector<std::string> ids) {
    Collection* c = Get(coll);
    bool ok = c != nullptr && c->Delete(ids).ok();
    Record(ok, "delete", [=](StepModel* m) {
      for (const auto& id : ids) (*m)[coll].erase(id);
    });
  }
  void Create(const std::string& name, bool hnsw = false) {
    CollectionConfig cfg = MakeConfig(name, 4);
    if (hnsw) cfg.index.algorithm = "hnsw";
    bool ok = db->CreateCollection(cfg).ok();
    Record(ok, "create " + name, [=](StepModel* m) { (*m)[name]; });
  }
  void Drop(const std::string& name) {
    bool ok = db->DropCollection(name).ok();
    Record(ok, "drop " + name, [=](StepModel* m) { m->erase(name); });
  }

  // The states the database may be in: every acknowledged op applied, and
  // each failed one applied or not (only "not" when `strict`).
  std::vector<StepModel> Candidates(bool strict) const {
    std::vector<size_t> failed;
    for (size_t i = 0; i < ops.size(); ++i) {
      if (!ops[i].acked) failed.push_back(i);
    }
    const size_t combos = strict ? 1 : size_t{1} << failed.size();
    std::vector<StepModel> out;
    for (size_t mask = 0; mask < combos; ++mask) {
      StepModel m = base;
      for (size_t i = 0, f = 0; i < ops.size(); ++i) {
        bool apply = ops[i].acked;
        if (!apply && f < failed.size() && failed[f] == i) {
          apply = (mask >> f) & 1;
          ++f;
        }
        if (apply) ops[i].apply(&m);
      }
      out.push_back(std::move(m));
    }
    return out;
  }
};

std::vector<float> Vec(int i, uint32_t dim = 4) {
  std::vector<float> v(dim);
  for (uint32_t d = 0; d < dim; ++d) v[d] = float(i) + 0.25f * float(d) + 1;
  return v;
}

void Points(World& w, const std::string& coll, int from, int to) {
  std::vector<Point> pts;
  for (int i = from; i < to; ++i) {
    pts.push_back({"p" + std::to_string(i), Vec(i), {{"i", i}}});
  }
  w.Upsert(coll, std::move(pts));
}

void Flush(World& w, const std::string& coll) {
  Status s = w.Get(coll)->Flush();
  if (w.in_setup) {
    EXPECT_TRUE(s.ok()) << "setup flush: " << s.ToString();
  }
}

// What a crash in the middle of an append leaves: the start of a record
// header at the end of the newest WAL file.
void AppendTornRecord(const std::string& data_dir) {
  std::filesystem::path newest;
  for (const auto& coll :
       std::filesystem::directory_iterator(data_dir + "/collections")) {
    for (const auto& f :
         std::filesystem::directory_iterator(coll.path() / "wal")) {
      if (newest.empty() || f.path() > newest) newest = f.path();
    }
  }
  std::ofstream out(newest, std::ios::app | std::ios::binary);
  out.write("\x20\x00\x00\x00\x07", 5);
}

struct Path {
  const char* name;
  std::function<void(World&)> setup;  // without faults; must succeed
  std::function<void(World&)> step;   // the write path under test
};

std::vector<Path> Paths() {
  return {
      {"upsert",
       [](World& w) {
         w.Create("c");
         Points(w, "c", 0, 5);
       },
       [](World& w) {
         w.Upsert("c", {{"p1", Vec(100), {{"new", 1}}}, {"q", Vec(7), {}}});
       }},
      {"update-metadata",
       [](World& w) {
         w.Create("c");
         Points(w, "c", 0, 5);
         Flush(w, "c");
       },
       [](World& w) {
         w.Update("c", "p2", {{"v", 2}});
       }},
      {"delete",
       [](World& w) {
         w.Create("c");
         Points(w, "c", 0, 5);
         Flush(w, "c");
       },
       [](World& w) {
         w.Delete("c", {"p0", "p3"});
       }},
      {"flush",
       [](World& w) {
         w.Create("c");
         Points(w, "c", 0, 5);
         Flush(w, "c");
         Points(w, "c", 3, 9);
         w.Update("c", "p0", {{"u", 1}});
       },
       [](World& w) {
         Flush(w, "c");
         w.Upsert("c", {{"after", Vec(50), {}}});
       }},
      {"compaction",
       [](World& w) {
         w.Create("c");
         for (int s = 0; s < 3; ++s) {
           Points(w, "c", s * 4, s * 4 + 6);
           Flush(w, "c");
         }
         w.Delete("c", {"p1", "p9"});
         w.Update("c", "p4", {{"u", 4}});
       },
       [](World& w) {
         (void)w.Get("c")->Compact();
         w.Upsert("c", {{"after", Vec(51), {}}});
       }},
      {"catalog-create-collection", [](World& w) { w.Create("c"); },
       [](World& w) {
         w.Create("d");
         w.Upsert("d", {{"x", Vec(1), {}}});
       }},
      {"catalog-drop-collection",
       [](World& w) {
         w.Create("c");
         w.Create("d");
         Points(w, "d", 0, 3);
         Flush(w, "d");
       },
       [](World& w) { w.Drop("d"); }},
      {"graph-save",
       [](World& w) {
         w.Create("g", /*hnsw=*/true);
         Points(w, "g", 0, 40);
       },
       [](World& w) { Flush(w, "g"); }},
      {"payload-index-save",
       [](World& w) {
         w.Create("c");
         Points(w, "c", 0, 30);
         Flush(w, "c");
       },
       [](World& w) {
         PayloadIndexDef def;
         def.field = "i";
         def.type = PayloadIndexType::kInteger;
         (void)w.Get("c")->CreatePayloadIndex(def);
         Points(w, "c", 30, 40);
         Flush(w, "c");
       }},
      {"recovery",
       [](World& w) {
         w.Create("c");
         Points(w, "c", 0, 6);
         Flush(w, "c");
         Points(w, "c", 4, 9);
         w.Update("c", "p1", {{"u", 1}});
       },
       [](World& w) {
         w.db.reset();
         (void)w.Open();  // may fail; nothing it does is acknowledged
       }},
      {"recovery-of-a-torn-tail",
       [](World& w) {
         w.Create("c");
         Points(w, "c", 0, 6);
         w.db.reset();
         AppendTornRecord(w.tmp->path());
         EXPECT_TRUE(w.Open().ok());
         // Reopened once: the tail is cut; now tear it again for the step.
         Points(w, "c", 6, 8);
         w.db.reset();
         AppendTornRecord(w.tmp->path());
       },
       [](World& w) { (void)w.Open(); }},
  };
}

// The whole database as a StepModel, read through Scroll, plus consistency
// checks of search and filtered count against it.
StepModel ReadAll(World& w, const std::string& where) {
  StepModel m;
  for (const CollectionInfo& info : w.db->ListCollections()) {
    const std::string& name = info.config.name;
    Collection* c = w.Get(name);
    auto& points = m[name];
    ScrollRequest req;
    req.limit = 1000;
    req.include_vector = true;
    auto page = c->Scroll(req);
    EXPECT_TRUE(page.ok()) << where << ": " << page.status().ToString();
    if (!page.ok()) continue;
    for (const StoredPoint& p : page->points) {
      EXPECT_EQ(points.count(p.id), 0u) << where << ": duplicate " << p.id;
      points[p.id] = {p.vector, p.metadata};
    }
    EXPECT_EQ(c->Count().value(), points.size()) << where << ": " << name;
    if (points.empty()) continue;
    SearchRequest req2;
    req2.vector = points.begin()->second.vector;
    req2.k = 1000;
    auto hits = c->Search(req2);
    EXPECT_TRUE(hits.ok()) << where << ": " << hits.status().ToString();
    if (hits.ok()) {
      EXPECT_EQ(hits->hits.size(), points.size()) << where;
    }
    uint64_t with_i = 0;
    for (const auto& [id, p] : points) with_i += p.metadata.contains("i");
    EXPECT_EQ(c->Count({{"i", {{"$gte", 0}}}}).value(), with_i) << where;
  }
  return m;
}

std::string Describe(const StepModel& m) {
  std::string out;
  for (const auto& [name, points] : m) {
    out += name + ":{";
    for (const auto& [id, p] : points) out += id + p.metadata.dump() + " ";
    out += "} ";
  }
  return out;
}

const char* ModeName(Mode m) {
  switch (m) {
    case Mode::kError:
      return "error";
    case Mode::kErrorThenKill:
      return "error+kill";
    case Mode::kPowerLoss:
      return "power loss";
  }
  return "";
}

class FaultStepTest : public ::testing::TestWithParam<Mode> {
 protected:
  void TearDown() override { catalog::SetSqliteIoHook(nullptr); }
};

TEST_P(FaultStepTest, EveryIoCallOfEveryWritePath) {
  const Mode mode = GetParam();
  for (const Path& path : Paths()) {
    SCOPED_TRACE(path.name);
    // The dry run counts the path's I/O calls.
    uint64_t calls;
    {
      World w;
      ASSERT_TRUE(w.Open().ok());
      path.setup(w);
      ASSERT_FALSE(HasFailure());
      w.in_setup = false;
      catalog::SetSqliteIoHook([&](const char* op, const std::string& p) {
        return w.env.InjectIo(op, p);
      });
      w.env.FailIoCall(0, false);
      path.step(w);
      calls = w.env.io_calls();
      catalog::SetSqliteIoHook(nullptr);
      for (const auto& op : w.ops) ASSERT_TRUE(op.acked) << op.what;
      ASSERT_EQ(Describe(ReadAll(w, "dry run")),
                Describe(w.Candidates(true)[0]));
    }
    ASSERT_GT(calls, 0u);
    std::printf("fault stepping (%s): %s: %llu I/O calls, each failed once\n",
                ModeName(mode), path.name,
                static_cast<unsigned long long>(calls));
    for (uint64_t n = 1; n <= calls; ++n) {
      World w;
      ASSERT_TRUE(w.Open().ok());
      path.setup(w);
      w.in_setup = false;
      catalog::SetSqliteIoHook([&](const char* op, const std::string& p) {
        return w.env.InjectIo(op, p);
      });
      w.env.FailIoCall(n, mode == Mode::kPowerLoss);
      path.step(w);
      const std::string where = std::string(path.name) + ", failing call " +
                                std::to_string(n) + "/" +
                                std::to_string(calls) + " [" +
                                w.env.injected_call() + "], " + ModeName(mode);
      catalog::SetSqliteIoHook(nullptr);
      if (mode == Mode::kErrorThenKill) {
        // The process dies here: what the files hold now is what a restart
        // sees. The copy is opened; the original is then closed unseen.
        auto image = std::make_unique<TempDir>(FastTempBase());
        std::filesystem::copy(
            w.tmp->path(), image->path(),
            std::filesystem::copy_options::recursive |
                std::filesystem::copy_options::overwrite_existing);
        w.db.reset();
        w.tmp = std::move(image);
      } else {
        w.db.reset();  // in power-loss mode its own I/O fails too
      }
      if (mode == Mode::kPowerLoss) {
        ASSERT_TRUE(w.env.DropUnsyncedData().ok()) << where;
      }
      w.env.ClearFaults();
      Status reopened = w.Open();
      ASSERT_TRUE(reopened.ok())
          << where << ": reopen failed: " << reopened.ToString();
      const StepModel got = ReadAll(w, where);
      bool matched = false;
      std::string expected;
      for (const StepModel& m : w.Candidates(mode == Mode::kError)) {
        matched |= got == m;
        expected += "\n  or " + Describe(m);
      }
      ASSERT_TRUE(matched) << where << ":\n  got " << Describe(got)
                           << "\n  expected one of:" << expected;
      // And it takes writes again.
      for (const auto& [name, points] : got) {
        Collection* c = w.Get(name);
        ASSERT_TRUE(c->Upsert({{"again", Vec(9), {}}}).ok()) << where;
        ASSERT_TRUE(c->Flush().ok()) << where << ": " << name;
      }
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Modes, FaultStepTest,
                         ::testing::Values(Mode::kError, Mode::kErrorThenKill,
                                           Mode::kPowerLoss),
                         [](const auto& info) {
                           switch (info.param) {
                             case Mode::kError:
                               return "Error";
                             case Mode::kErrorThenKill:
                               return "ErrorThenKill";
                             default:
                               return "PowerLoss";
                           }
                         });

}  // namespace
}  // namespace proximadb
