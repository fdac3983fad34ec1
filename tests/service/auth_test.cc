// ApiKeys: key formats, read-only vs read-write, header parsing, and the
// in-flight bound.
#include "service/auth.h"

#include <gtest/gtest.h>

#include "service/inflight_limit.h"

namespace proximadb::service {
namespace {

TEST(ApiKeysTest, OpenWhenEmpty) {
  ApiKeys keys;
  EXPECT_FALSE(keys.enabled());
  EXPECT_EQ(keys.Check("", Operation::kUpsert), AuthOutcome::kAllowed);
}

TEST(ApiKeysTest, ReadOnlyAndReadWrite) {
  auto keys =
      ApiKeys::Parse({"ro:reader-key-1", "rw:writer-key-1", "plain-key-is-rw"});
  ASSERT_TRUE(keys.ok()) << keys.status().ToString();
  EXPECT_TRUE(keys->enabled());
  EXPECT_EQ(keys->Check("", Operation::kSearch), AuthOutcome::kUnauthenticated);
  EXPECT_EQ(keys->Check("wrong-key-123", Operation::kSearch),
            AuthOutcome::kUnauthenticated);
  // The prefix is not part of the key.
  EXPECT_EQ(keys->Check("ro:reader-key-1", Operation::kSearch),
            AuthOutcome::kUnauthenticated);
  EXPECT_EQ(keys->Check("reader-key-1", Operation::kSearch),
            AuthOutcome::kAllowed);
  EXPECT_EQ(keys->Check("reader-key-1", Operation::kUpsert),
            AuthOutcome::kPermissionDenied);
  EXPECT_EQ(keys->Check("writer-key-1", Operation::kUpsert),
            AuthOutcome::kAllowed);
  EXPECT_EQ(keys->Check("plain-key-is-rw", Operation::kDeleteCollection),
            AuthOutcome::kAllowed);
  // A prefix or an extension of a key is not the key.
  EXPECT_EQ(keys->Check("writer-key-", Operation::kGet),
            AuthOutcome::kUnauthenticated);
  EXPECT_EQ(keys->Check("writer-key-12", Operation::kGet),
            AuthOutcome::kUnauthenticated);
}

TEST(ApiKeysTest, EveryOperationIsClassified) {
  int writes = 0;
  for (const OperationInfo& info : kOperations) writes += info.write;
  EXPECT_EQ(writes, 24);
  EXPECT_EQ(static_cast<int>(kOperations.size()) - writes, 22);  // reads
  // Snapshots: create, delete and restore change state; list and inspect
  // do not.
  EXPECT_TRUE(IsWrite(Operation::kCreateSnapshot));
  EXPECT_TRUE(IsWrite(Operation::kRestoreSnapshot));
  EXPECT_TRUE(IsWrite(Operation::kRestorePointInTime));
  EXPECT_TRUE(IsWrite(Operation::kDeleteSnapshot));
  EXPECT_TRUE(IsWrite(Operation::kCreateDatabaseSnapshot));
  EXPECT_FALSE(IsWrite(Operation::kListSnapshots));
  EXPECT_FALSE(IsWrite(Operation::kGetSnapshot));
  EXPECT_FALSE(IsWrite(Operation::kSearch));
  EXPECT_FALSE(IsWrite(Operation::kCollectionStats));
  EXPECT_TRUE(IsWrite(Operation::kFlush));
  EXPECT_TRUE(IsWrite(Operation::kDeleteByFilter));
  EXPECT_TRUE(IsWrite(Operation::kCreatePayloadIndex));
  EXPECT_FALSE(IsWrite(Operation::kListPayloadIndexes));
  EXPECT_FALSE(IsWrite(Operation::kListQuarantine));
  EXPECT_TRUE(IsWrite(Operation::kClearQuarantine));
  EXPECT_TRUE(IsWrite(Operation::kUpdateAliases));
  EXPECT_FALSE(IsWrite(Operation::kListAliases));
  // The cluster status is a read: a read-only key may ask for it.
  EXPECT_FALSE(IsWrite(Operation::kGetCluster));
  // Draining a node changes the cluster's placement: a write, as the
  // aliases, whose change also applies to the whole server.
  EXPECT_TRUE(IsWrite(Operation::kDrainNode));
}

TEST(ApiKeysTest, RejectsBadEntriesWithoutEchoingThem) {
  auto short_key = ApiKeys::Parse({"rw:exactly8"});
  EXPECT_TRUE(short_key.ok());  // exactly 8
  auto too_short = ApiKeys::Parse({"good-key-1", "ro:seven7"});
  ASSERT_FALSE(too_short.ok());
  EXPECT_NE(too_short.status().message().find("#2"), std::string::npos);
  EXPECT_EQ(too_short.status().message().find("seven7"), std::string::npos);
  EXPECT_FALSE(ApiKeys::Parse({"has space inside"}).ok());
  EXPECT_FALSE(ApiKeys::Parse({"has,comma,inside"}).ok());
  EXPECT_FALSE(ApiKeys::Parse({std::string(257, 'k')}).ok());
  EXPECT_FALSE(ApiKeys::Parse({""}).ok());
}

TEST(ApiKeysTest, PresentedKey) {
  EXPECT_EQ(PresentedKey("Bearer abc", ""), "abc");
  EXPECT_EQ(PresentedKey("bearer   abc ", "other"), "abc");
  EXPECT_EQ(PresentedKey("", "from-header"), "from-header");
  EXPECT_EQ(PresentedKey("Basic dXNlcjpw", "k2"), "k2");
  EXPECT_EQ(PresentedKey("Bearer", ""), "");
}

TEST(ApiKeysTest, ConstantTimeEquals) {
  EXPECT_TRUE(ConstantTimeEquals("", ""));
  EXPECT_TRUE(ConstantTimeEquals("abc", "abc"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "abd"));
  EXPECT_FALSE(ConstantTimeEquals("abc", "ab"));
  EXPECT_FALSE(ConstantTimeEquals("ab", "abc"));
  EXPECT_FALSE(ConstantTimeEquals(std::string("a\0", 2), "a"));
}

TEST(InflightLimitTest, BoundsAndReleases) {
  InflightLimit limit(2);
  {
    InflightLimit::Slot a(&limit);
    InflightLimit::Slot b(&limit);
    InflightLimit::Slot c(&limit);
    EXPECT_TRUE(a.acquired());
    EXPECT_TRUE(b.acquired());
    EXPECT_FALSE(c.acquired());
    EXPECT_EQ(limit.current(), 2);
  }
  EXPECT_EQ(limit.current(), 0);
  InflightLimit::Slot none(nullptr);
  EXPECT_TRUE(none.acquired());
}

}  // namespace
}  // namespace proximadb::service
