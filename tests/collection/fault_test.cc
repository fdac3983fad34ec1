// I/O errors through the whole engine: a failed append or fsync fails the
// write, acknowledges nothing, and leaves the collection readable; what was
// acknowledged before survives a reopen.
#include <gtest/gtest.h>

#include <cerrno>

#include "collection/test_util.h"
#include "proximadb/db.h"
#include "util/fault_injection_env.h"

namespace proximadb {
namespace {

using testing::MakeConfig;
using testing::TempDir;

struct Faulty {
  TempDir tmp;
  FaultInjectionEnv env{Env::Default()};
  std::unique_ptr<DB> db;
  std::shared_ptr<Collection> c;

  void Open() {
    DBOptions o;
    o.env = &env;
    o.background_threads = false;
    db = DB::Open(o, tmp.path()).value();
    auto r = db->GetCollection("f");
    c = r.ok() ? *r : db->CreateCollection(MakeConfig("f", 2)).value();
  }
};

TEST(FaultTest, FailedAppendIsNotAcknowledgedAndLaterWritesWork) {
  for (int err : {EIO, ENOSPC}) {
    for (bool partial : {false, true}) {
      Faulty f;
      f.Open();
      ASSERT_TRUE(f.c->Upsert({{"a", {1, 1}, {}}}).ok());
      f.env.SetPartialAppend(partial);
      f.env.FailAppends(err, 1);
      auto r = f.c->Upsert({{"b", {2, 2}, {}}});
      ASSERT_FALSE(r.ok());
      EXPECT_EQ(r.status().code(), StatusCode::kIOError);
      if (err == ENOSPC) {
        EXPECT_NE(r.status().message().find("space"), std::string::npos)
            << r.status().message();
      }
      EXPECT_TRUE(f.c->Get("b").status().IsNotFound());
      EXPECT_TRUE(f.c->Get("a").ok());  // still readable
      ASSERT_TRUE(f.c->Upsert({{"c", {3, 3}, {}}}).ok());
      f.c.reset();
      f.db.reset();
      f.env.ClearFaults();
      f.Open();
      EXPECT_TRUE(f.c->Get("a").ok());
      EXPECT_TRUE(f.c->Get("b").status().IsNotFound());
      EXPECT_TRUE(f.c->Get("c").ok());
      EXPECT_EQ(f.c->Count().value(), 2u);
    }
  }
}

TEST(FaultTest, FailedSyncFailsWritesButKeepsReads) {
  Faulty f;
  f.Open();
  ASSERT_TRUE(f.c->Upsert({{"a", {1, 1}, {}}}).ok());
  f.env.FailSyncs(1);
  EXPECT_EQ(f.c->Upsert({{"b", {2, 2}, {}}}).status().code(),
            StatusCode::kIOError);
  EXPECT_TRUE(f.c->Get("b").status().IsNotFound());
  // After a failed fsync the page cache cannot be trusted: writes stay
  // refused until the collection is reopened, reads go on.
  EXPECT_FALSE(f.c->Upsert({{"c", {3, 3}, {}}}).ok());
  SearchRequest req;
  req.vector = {1, 1};
  EXPECT_EQ(f.c->Search(req)->hits.size(), 1u);
  // Power loss now: only synced data counts.
  f.c.reset();
  f.db.reset();
  ASSERT_TRUE(f.env.DropUnsyncedData().ok());
  f.env.ClearFaults();
  f.Open();
  EXPECT_TRUE(f.c->Get("a").ok());
  EXPECT_TRUE(f.c->Get("b").status().IsNotFound());
  ASSERT_TRUE(f.c->Upsert({{"d", {4, 4}, {}}}).ok());
}

TEST(FaultTest, FailedFlushLosesNothing) {
  Faulty f;
  f.Open();
  ASSERT_TRUE(f.c->Upsert({{"a", {1, 1}, {}}, {"b", {2, 2}, {}}}).ok());
  f.env.FailRenames(1);  // the segment's temp file cannot be put in place
  EXPECT_FALSE(f.c->Flush().ok());
  EXPECT_EQ(f.c->Count().value(), 2u);
  ASSERT_TRUE(f.c->Upsert({{"c", {3, 3}, {}}}).ok());
  ASSERT_TRUE(f.c->Flush().ok());  // the retry flushes the frozen rows
  ASSERT_TRUE(f.c->Flush().ok());  // and then the newer ones
  f.c.reset();
  f.db.reset();
  f.Open();
  EXPECT_EQ(f.c->Count().value(), 3u);
}

}  // namespace
}  // namespace proximadb
