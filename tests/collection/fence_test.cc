// Damaged and recovering collections (DBOptions::on_damaged_collection,
// recover_in_background): a collection whose files fail start-up's checks
// is fenced while the others serve, with nothing of it changed; a drop
// moves it into the quarantine, a restore with overwrite replaces it; with
// background recovery each collection serves as soon as it has recovered,
// and one still recovering answers kUnavailable naming it.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "collection/db_impl.h"
#include "collection/recovery_util.h"
#include "util/env_wrapper.h"

namespace proximadb {
namespace {

using namespace proximadb::testing;  // NOLINT

DBOptions FenceOptions() {
  DBOptions o = ManualOptions();
  o.on_damaged_collection = DBOptions::OnDamagedCollection::kFence;
  return o;
}

// The directory of collection `name` (its name is the directory's prefix).
std::string DirOf(const std::string& data, const std::string& name) {
  for (const auto& e : fs::directory_iterator(data + "/collections")) {
    const std::string f = e.path().filename().string();
    if (f.rfind(name + "-", 0) == 0) return e.path().string();
  }
  return "";
}

const CollectionInfo* Find(const std::vector<CollectionInfo>& list,
                           const std::string& name) {
  for (const CollectionInfo& i : list) {
    if (i.config.name == name) return &i;
  }
  return nullptr;
}

class FenceTest : public DataDirTest {
 protected:
  // "a" and "b", each with 10 flushed points and 2 in the WAL only.
  void MakeData() {
    auto db = OpenOk(dir_);
    ASSERT_NE(db, nullptr);
    for (const char* name : {"a", "b"}) {
      auto c = db->CreateCollection(MakeConfig(name, 4));
      ASSERT_TRUE(c.ok()) << c.status().ToString();
      ASSERT_TRUE((*c)->Upsert(Range("p", 0, 10)).ok());
      ASSERT_TRUE((*c)->Flush().ok());
      ASSERT_TRUE((*c)->Upsert(Range("w", 0, 2)).ok());
    }
  }

  // Moves b's only WAL file (the writes after its fence) aside: b fails
  // start-up's checks.
  void DamageB() {
    const std::string wal = DirOf(dir_, "b") + "/wal";
    std::vector<fs::path> files;
    for (const auto& e : fs::directory_iterator(wal)) files.push_back(e.path());
    // The first: it must hold the writes after the fence.
    ASSERT_GE(files.size(), 1u);
    std::sort(files.begin(), files.end());
    wal_file_ = files[0].string();
    fs::rename(wal_file_, tmp_.path() + "/aside.log");
  }

  static void ExpectServes(DB* db, const std::string& name, uint64_t n = 12) {
    auto c = db->GetCollection(name);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    EXPECT_EQ(*(*c)->Count(), n);
    EXPECT_TRUE((*c)->Get("w1").ok());
  }

  std::string wal_file_;  // b's, moved aside by DamageB
};

TEST_F(FenceTest, ADamagedCollectionIsFencedUntouchedAndTheOthersServe) {
  MakeData();
  DamageB();
  // Refused by default, nothing changed (recovery_test covers the rest).
  (void)ExpectRefused({"recovering collection 'b'", "is missing"});

  const std::string bdir = DirOf(dir_, "b");
  const auto before = Snapshot(bdir);
  auto db = OpenOk(dir_, FenceOptions());
  ASSERT_NE(db, nullptr);
  ExpectServes(db.get(), "a");
  auto b = db->GetCollection("b");
  ASSERT_FALSE(b.ok());
  EXPECT_EQ(b.status().code(), StatusCode::kFailedPrecondition);
  for (const char* needle : {"'b' is fenced", "is missing", "overwrite"}) {
    EXPECT_NE(b.status().message().find(needle), std::string::npos)
        << needle << " not in " << b.status().ToString();
  }
  const auto list = db->ListCollections();
  ASSERT_EQ(list.size(), 2u);
  ASSERT_NE(Find(list, "b"), nullptr);
  EXPECT_EQ(Find(list, "b")->state, CollectionState::kFenced);
  EXPECT_NE(Find(list, "b")->state_message.find("is missing"),
            std::string::npos);
  EXPECT_EQ(Find(list, "b")->config.dimension, 4u);
  EXPECT_EQ(Find(list, "a")->state, CollectionState::kServing);

  // Its name stays taken, and a database snapshot would miss it.
  auto again = db->CreateCollection(MakeConfig("b", 4));
  EXPECT_EQ(again.status().code(), StatusCode::kAlreadyExists);
  auto dbsnap = db->CreateDatabaseSnapshot(SnapshotTarget::kLocal);
  EXPECT_EQ(dbsnap.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(dbsnap.status().message().find("'b' is fenced"), std::string::npos);
  // a goes on taking writes and flushes.
  auto a = db->GetCollection("a").value();
  ASSERT_TRUE(a->Upsert(Range("x", 0, 5)).ok());
  ASSERT_TRUE(a->Flush().ok());
  db.reset();
  EXPECT_TRUE(before == Snapshot(bdir))
      << "the fenced collection changed:" << Diff(before, Snapshot(bdir));

  // Repaired (the file back), it serves again, even in refusing mode.
  fs::rename(tmp_.path() + "/aside.log", wal_file_);
  db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectServes(db.get(), "a", 17);
  ExpectServes(db.get(), "b");
}

TEST_F(FenceTest, DroppingAFencedCollectionQuarantinesItsDirectory) {
  MakeData();
  DamageB();
  const std::string bdir = DirOf(dir_, "b");
  {
    auto db = OpenOk(dir_, FenceOptions());
    ASSERT_NE(db, nullptr);
    ASSERT_TRUE(
        db->UpdateAliases({{AliasAction::Kind::kCreate, "bee", "b"}}).ok());
    auto via_alias = db->GetCollection("bee");
    EXPECT_EQ(via_alias.status().code(), StatusCode::kFailedPrecondition);
    Status s = db->DropCollection("b");
    ASSERT_TRUE(s.ok()) << s.ToString();
    EXPECT_FALSE(fs::exists(bdir));
    auto q = db->ListQuarantine();
    ASSERT_TRUE(q.ok());
    bool found = false;
    for (const QuarantineEntry& e : *q) {
      found |= e.reason.find("dropped while fenced") != std::string::npos;
    }
    EXPECT_TRUE(found);
    EXPECT_EQ(db->GetCollection("b").status().code(), StatusCode::kNotFound);
    EXPECT_TRUE(db->ListAliases().empty());
    // The name is free again.
    ASSERT_TRUE(db->CreateCollection(MakeConfig("b", 4)).ok());
  }
  // The next start (refusing mode) finds nothing wrong.
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectServes(db.get(), "a");
  EXPECT_EQ(*db->GetCollection("b").value()->Count(), 0u);
}

TEST_F(FenceTest, ARestoreWithOverwriteReplacesAFencedCollection) {
  MakeData();
  std::string id;
  {
    auto db = OpenOk(dir_);
    ASSERT_NE(db, nullptr);
    auto snap = db->CreateSnapshot("b", SnapshotTarget::kLocal);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    id = snap->id;
  }
  DamageB();
  auto db = OpenOk(dir_, FenceOptions());
  ASSERT_NE(db, nullptr);
  RestoreOptions ro;
  ro.target_collection = "b";
  auto refused = db->RestoreSnapshot("b", id, ro);
  EXPECT_EQ(refused.status().code(), StatusCode::kAlreadyExists);
  ro.overwrite = true;
  auto r = db->RestoreSnapshot("b", id, ro);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ExpectServes(db.get(), "b");
  EXPECT_EQ(Find(db->ListCollections(), "b")->state, CollectionState::kServing);
}

// Holds every MapFile of a path containing `gate` until Open() is called.
class GateEnv : public EnvWrapper {
 public:
  GateEnv(Env* target, std::string gate)
      : EnvWrapper(target), gate_(std::move(gate)) {}
  Result<std::unique_ptr<MappedFile>> MapFile(
      const std::string& path) override {
    if (path.find(gate_) != std::string::npos) {
      std::unique_lock<std::mutex> lock(mu_);
      ++waiting_;
      cv_.notify_all();
      cv_.wait(lock, [this] { return open_; });
    }
    return EnvWrapper::MapFile(path);
  }
  void WaitForAWaiter() {
    std::unique_lock<std::mutex> lock(mu_);
    cv_.wait(lock, [this] { return waiting_ > 0; });
  }
  void Open() {
    std::lock_guard<std::mutex> lock(mu_);
    open_ = true;
    cv_.notify_all();
  }

 private:
  const std::string gate_;
  std::mutex mu_;
  std::condition_variable cv_;
  int waiting_ = 0;
  bool open_ = false;
};

TEST_F(FenceTest, InTheBackgroundEachCollectionServesAsSoonAsItRecovered) {
  MakeData();
  DamageB();
  // Also a third collection whose WAL replay is held at the gate.
  {
    auto db = OpenOk(dir_, FenceOptions());
    ASSERT_NE(db, nullptr);
    auto c = db->CreateCollection(MakeConfig("slow", 4));
    ASSERT_TRUE(c.ok());
    ASSERT_TRUE((*c)->Upsert(Range("p", 0, 10)).ok());
    ASSERT_TRUE((*c)->Upsert(Range("w", 0, 2)).ok());  // WAL only
  }
  const std::string slow_dir = DirOf(dir_, "slow");
  GateEnv env(Env::Default(), slow_dir + "/wal/");
  DBOptions o = FenceOptions();
  o.env = &env;
  o.recover_in_background = true;
  DBOptions refusing = o;
  refusing.on_damaged_collection = DBOptions::OnDamagedCollection::kRefuse;
  EXPECT_EQ(DB::Open(refusing, dir_).status().code(),
            StatusCode::kInvalidArgument);

  auto opened = DB::Open(o, dir_);
  ASSERT_TRUE(opened.ok()) << opened.status().ToString();
  std::unique_ptr<DB> db = std::move(opened).value();
  env.WaitForAWaiter();  // slow is replaying, held
  // a serves as soon as it recovered (poll: it recovers on its own thread).
  Result<std::shared_ptr<Collection>> a = Status::Internal("not yet");
  for (int i = 0; i < 500; ++i) {
    a = db->GetCollection("a");
    if (a.ok()) break;
    EXPECT_EQ(a.status().code(), StatusCode::kUnavailable);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ExpectServes(db.get(), "a");
  auto slow = db->GetCollection("slow");
  ASSERT_EQ(slow.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(slow.status().message().find("'slow' is recovering"),
            std::string::npos)
      << slow.status().ToString();
  EXPECT_EQ(db->DropCollection("slow").code(), StatusCode::kUnavailable);
  EXPECT_EQ(db->CreateCollection(MakeConfig("slow", 4)).status().code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(Find(db->ListCollections(), "slow")->state,
            CollectionState::kRecovering);
  // b, damaged, ends fenced.
  for (int i = 0; i < 500; ++i) {
    if (Find(db->ListCollections(), "b")->state == CollectionState::kFenced) {
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  EXPECT_EQ(Find(db->ListCollections(), "b")->state, CollectionState::kFenced);

  env.Open();
  Result<std::shared_ptr<Collection>> s = Status::Internal("not yet");
  for (int i = 0; i < 500; ++i) {
    s = db->GetCollection("slow");
    if (s.ok()) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_TRUE(s.ok()) << s.status().ToString();
  EXPECT_EQ(*(*s)->Count(), 12u);
  auto info = (*s)->Info();
  ASSERT_TRUE(info.recovery.has_value());
  EXPECT_GE(info.recovery->wal_records, 1u);
}

// Closing while a collection is still held recovering: it stays as it is
// on disk and the next start recovers it.
TEST_F(FenceTest, ClosingDuringBackgroundRecoveryLosesNothing) {
  MakeData();
  GateEnv env(Env::Default(), DirOf(dir_, "b") + "/wal/");
  DBOptions o = FenceOptions();
  o.env = &env;
  o.recover_in_background = true;
  {
    auto opened = DB::Open(o, dir_);
    ASSERT_TRUE(opened.ok());
    std::unique_ptr<DB> db = std::move(opened).value();
    env.WaitForAWaiter();
    std::thread opener([&env] {
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      env.Open();
    });
    db.reset();  // waits for the replay in progress
    opener.join();
  }
  auto db = OpenOk(dir_);
  ASSERT_NE(db, nullptr);
  ExpectServes(db.get(), "a");
  ExpectServes(db.get(), "b");
}

}  // namespace
}  // namespace proximadb
