// Replay must not depend on state a later commit changed. Each case runs a
// short history of writes, flushes and compactions, closes the database
// without flushing (what a kill -9 leaves: the WAL after the fence plus the
// catalog's committed state), reopens it and compares every point with the
// state the acknowledged writes define.
#include <gtest/gtest.h>

#include <atomic>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <thread>

#include "collection/test_util.h"
#include "proximadb/db.h"
#include "storage/wal/wal_batch.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::TempDir;

struct Expected {
  std::vector<float> vector;
  nlohmann::json metadata;
};

// A step of a history; the model tracks what every acknowledged step means.
enum class Step {
  kUpsertP1,  // p = [1, 2], {"v": 1}
  kUpsertP2,  // p = [3, 4], {"v": 10}
  kUpsertQ,   // q = [5, 6], {"q": 1} (another point, another segment)
  kUpdateP,   // p's metadata = {"v": <n>}, vector kept
  kDeleteP,
  kFlush,
  kCompact,
};

class ReplayExactTest : public ::testing::TestWithParam<std::vector<Step>> {};

void RunStep(DB* db, Collection* c, Step step, int n,
             std::map<std::string, Expected>* model) {
  switch (step) {
    case Step::kUpsertP1:
      ASSERT_TRUE(c->Upsert({{"p", {1, 2}, {{"v", 1}}}}).ok());
      (*model)["p"] = {{1, 2}, {{"v", 1}}};
      break;
    case Step::kUpsertP2:
      ASSERT_TRUE(c->Upsert({{"p", {3, 4}, {{"v", 10}}}}).ok());
      (*model)["p"] = {{3, 4}, {{"v", 10}}};
      break;
    case Step::kUpsertQ:
      ASSERT_TRUE(c->Upsert({{"q", {5, 6}, {{"q", 1}}}}).ok());
      (*model)["q"] = {{5, 6}, {{"q", 1}}};
      break;
    case Step::kUpdateP: {
      Status s = c->UpdateMetadata("p", {{"v", 100 + n}});
      if (model->count("p")) {
        ASSERT_TRUE(s.ok()) << s.ToString();
        (*model)["p"].metadata = {{"v", 100 + n}};
      } else {
        ASSERT_TRUE(s.IsNotFound()) << s.ToString();
      }
      break;
    }
    case Step::kDeleteP:
      ASSERT_TRUE(c->Delete({"p"}).ok());
      model->erase("p");
      break;
    case Step::kFlush:
      ASSERT_TRUE(c->Flush().ok());
      break;
    case Step::kCompact:
      ASSERT_TRUE(c->Compact().ok());
      break;
  }
}

void ExpectState(Collection* c, const std::map<std::string, Expected>& model,
                 const std::string& when) {
  for (const char* id : {"p", "q"}) {
    auto got = c->Get(id);
    auto it = model.find(id);
    if (it == model.end()) {
      EXPECT_TRUE(got.status().IsNotFound()) << when << ": " << id;
      continue;
    }
    ASSERT_TRUE(got.ok()) << when << ": lost " << id << ": "
                          << got.status().ToString();
    EXPECT_EQ(got->vector, it->second.vector) << when << ": " << id;
    EXPECT_EQ(got->metadata, it->second.metadata) << when << ": " << id;
  }
  EXPECT_EQ(c->Count().value(), model.size()) << when;
}

TEST_P(ReplayExactTest, ReopenGivesTheAcknowledgedState) {
  TempDir tmp;
  DBOptions o;
  o.background_threads = false;
  std::map<std::string, Expected> model;
  {
    auto db = DB::Open(o, tmp.path()).value();
    auto c = db->CreateCollection(MakeConfig("c", 2)).value();
    int n = 0;
    for (Step step : GetParam()) RunStep(db.get(), c.get(), step, ++n, &model);
    ExpectState(c.get(), model, "before reopen");
  }  // closed without a flush: the WAL after the fence is replayed
  for (int round = 0; round < 2; ++round) {
    auto db = DB::Open(o, tmp.path());
    ASSERT_TRUE(db.ok()) << db.status().ToString();
    auto c = (*db)->GetCollection("c").value();
    ExpectState(c.get(), model, "after reopen " + std::to_string(round));
  }
}

std::string HistoryName(
    const ::testing::TestParamInfo<std::vector<Step>>& info) {
  static const char* kNames[] = {"UpsertP1", "UpsertP2", "UpsertQ", "UpdateP",
                                 "DeleteP",  "Flush",    "Compact"};
  std::string name;
  for (Step s : info.param) name += kNames[static_cast<int>(s)];
  return name;
}

using S = Step;
INSTANTIATE_TEST_SUITE_P(
    Histories, ReplayExactTest,
    ::testing::Values(
        // The issue's reproduction: upsert, flush, update, compact, crash.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kUpdateP, S::kCompact},
        // The updated copy's segment is compacted with another one.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kUpsertQ, S::kFlush,
                          S::kUpdateP, S::kCompact},
        // Two updates, the first in the memtable, a compaction between.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kUpdateP, S::kUpsertQ,
                          S::kFlush, S::kUpdateP, S::kCompact},
        // An update whose deletion bitmap a later flush persists.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kUpdateP, S::kUpsertQ,
                          S::kFlush},
        // Update, then delete, then compaction: the point stays deleted.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kUpdateP, S::kDeleteP,
                          S::kCompact},
        // Update, then a new vector: the last write wins.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kUpdateP, S::kUpsertP2,
                          S::kCompact},
        // A new vector in the memtable, then an update of it, compaction of
        // the old copy's segment.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kUpsertP2, S::kUpdateP,
                          S::kCompact},
        // Delete, then an update of the deleted point is NotFound.
        std::vector<Step>{S::kUpsertP1, S::kFlush, S::kDeleteP, S::kCompact,
                          S::kUpdateP},
        // Overwrite of a point in a compacted segment, then compaction.
        std::vector<Step>{S::kUpsertP1, S::kUpsertQ, S::kFlush, S::kCompact,
                          S::kUpsertP2, S::kFlush, S::kUpdateP, S::kCompact}),
    HistoryName);

// A metadata update logs the point's vector as it read it. An upsert of
// the same id acknowledged between that read and the update's apply must not
// be undone: the vector only ever moves forward, live and after reopen.
TEST(MetadataUpdateOrderTest, NeverRevertsAConcurrentUpsert) {
  TempDir tmp;
  DBOptions o;
  o.background_threads = false;
  constexpr int kUpserts = 400;
  {
    auto db = DB::Open(o, tmp.path()).value();
    auto c = db->CreateCollection(MakeConfig("c", 2)).value();
    ASSERT_TRUE(c->Upsert({{"p", {0, 0}, {{"k", 0}}}}).ok());
    std::atomic<bool> done{false};
    std::atomic<int> reverted{0};
    std::vector<std::thread> updaters;
    for (int t = 0; t < 3; ++t) {
      updaters.emplace_back([&, t] {
        for (int j = 0; !done.load(); ++j) {
          Status s = c->UpdateMetadata("p", {{"u", j}, {"t", t}});
          if (!s.ok()) reverted.fetch_add(1000);  // p is never deleted
        }
      });
    }
    for (int k = 1; k <= kUpserts; ++k) {
      ASSERT_TRUE(c->Upsert({{"p", {float(k), float(k)}, {{"k", k}}}}).ok());
      auto got = c->Get("p");
      ASSERT_TRUE(got.ok());
      if (got->vector[0] < float(k)) reverted.fetch_add(1);
      if (k % 100 == 0) {
        ASSERT_TRUE(c->Flush().ok());
      }
    }
    done = true;
    for (auto& t : updaters) t.join();
    EXPECT_EQ(reverted.load(), 0);
    auto last = c->Get("p");
    ASSERT_TRUE(last.ok());
    EXPECT_EQ(last->vector, (std::vector<float>{kUpserts, kUpserts}));
  }
  auto db = DB::Open(o, tmp.path()).value();
  auto p = db->GetCollection("c").value()->Get("p");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->vector, (std::vector<float>{kUpserts, kUpserts}));
}

// WAL files of older builds hold metadata updates without the vector. Where
// the point's copy is still live, replay applies them as before; where a
// later compaction dropped it, opening fails with a message instead of
// silently losing the point.
class LegacyUpdateRecordTest : public ::testing::Test {
 protected:
  // Appends one old-format metadata update of `id` to c's WAL, as an older
  // build would have written it, after the database is closed.
  static void AppendLegacyUpdate(const std::string& data_dir,
                                 const std::string& id,
                                 const std::string& metadata) {
    std::string wal_dir;
    for (const auto& e :
         std::filesystem::directory_iterator(data_dir + "/collections")) {
      wal_dir = e.path().string() + "/wal";
    }
    uint64_t last = 0;
    wal::WalReplayInfo info;
    ASSERT_TRUE(wal::ReplayWal(
                    Env::Default(), wal_dir, WalFormat::kNative, 0,
                    [](const wal::WalBatch&) { return Status::OK(); }, &info)
                    .ok());
    last = info.last_seq;
    // After a flush the newest file is empty and starts past the fence.
    for (const auto& e : std::filesystem::directory_iterator(wal_dir)) {
      if (auto first = wal::ParseWalFileName(e.path().filename().string())) {
        last = std::max(last, *first - 1);
      }
    }
    auto w = wal::WalWriter::Open(Env::Default(), wal_dir, WalFormat::kNative,
                                  last + 1);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    wal::WalBatch b;
    b.ops.push_back(
        {wal::WalOp::Type::kUpdateMetadataNoVector, id, {}, metadata});
    ASSERT_TRUE((*w)->Write(&b, [](const wal::WalBatch&) {}).ok());
    ASSERT_TRUE((*w)->Close().ok());
  }
};

TEST_F(LegacyUpdateRecordTest, AppliedWhereThePointIsLive) {
  TempDir tmp;
  DBOptions o;
  o.background_threads = false;
  {
    auto db = DB::Open(o, tmp.path()).value();
    auto c = db->CreateCollection(MakeConfig("c", 2)).value();
    ASSERT_TRUE(c->Upsert({{"p", {1, 2}, {{"v", 1}}}}).ok());
    ASSERT_TRUE(c->Flush().ok());
  }
  AppendLegacyUpdate(tmp.path(), "p", R"({"v":2})");
  auto db = DB::Open(o, tmp.path());
  ASSERT_TRUE(db.ok()) << db.status().ToString();
  auto p = (*db)->GetCollection("c").value()->Get("p");
  ASSERT_TRUE(p.ok());
  EXPECT_EQ(p->vector, (std::vector<float>{1, 2}));
  EXPECT_EQ(p->metadata, nlohmann::json({{"v", 2}}));
}

TEST_F(LegacyUpdateRecordTest, RefusesToOpenWhenThePreviousCopyIsGone) {
  TempDir tmp;
  DBOptions o;
  o.background_threads = false;
  {
    auto db = DB::Open(o, tmp.path()).value();
    auto c = db->CreateCollection(MakeConfig("c", 2)).value();
    ASSERT_TRUE(c->Upsert({{"p", {1, 2}, {{"v", 1}}}}).ok());
    ASSERT_TRUE(c->Flush().ok());
    ASSERT_TRUE(c->Delete({"p"}).ok());
    ASSERT_TRUE(c->Compact().ok());  // p's copy is gone for good
  }
  AppendLegacyUpdate(tmp.path(), "p", R"({"v":2})");
  auto db = DB::Open(o, tmp.path());
  ASSERT_FALSE(db.ok());
  EXPECT_TRUE(db.status().IsCorruption()) << db.status().ToString();
  EXPECT_NE(db.status().message().find("cannot be replayed"), std::string::npos)
      << db.status().ToString();
}

}  // namespace
}  // namespace proximadb
