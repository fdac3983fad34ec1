// The shard snapshot record and the snapshot / stream retention rules
// (cluster/shard_snapshot.h).
#include "cluster/shard_snapshot.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "util/crc32c.h"

namespace proximadb::cluster {
namespace {

ShardSnapshotRecord SampleRecord() {
  ShardSnapshotRecord r;
  r.node_id = "n2";
  r.snapshot_id = "snap-20261201T080000.000Z-0123abcd";
  r.position = {4242, 17, 3};
  r.created_unix_ms = 1764576000000;
  r.points = 100000;
  r.size_bytes = 123456789;
  return r;
}

TEST(ShardSnapshotRecordTest, RoundTripsAndRefusesDamage) {
  const ShardSnapshotRecord r = SampleRecord();
  const std::string bytes = EncodeShardSnapshotRecord(r);
  auto back = DecodeShardSnapshotRecord(bytes, "k");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, r);

  // One changed digit fails the checksum.
  std::string changed = bytes;
  const size_t at = changed.find("4242");
  ASSERT_NE(at, std::string::npos);
  changed[at] = '5';
  auto bad = DecodeShardSnapshotRecord(changed, "/k/s/0");
  EXPECT_EQ(bad.status().code(), StatusCode::kCorruption);
  EXPECT_NE(bad.status().message().find("/k/s/0"), std::string::npos)
      << "the message names the key: " << bad.status().ToString();
  EXPECT_EQ(DecodeShardSnapshotRecord("not json", "k").status().code(),
            StatusCode::kCorruption);

  // A record without a field (checksum recomputed, so only the field is
  // missing) is refused, not read as 0.
  nlohmann::json j = nlohmann::json::parse(bytes);
  j.erase("crc32c");
  j.erase("applied_seq");
  const std::string body = j.dump();
  j["crc32c"] = crc32c::Value(body.data(), body.size());
  auto missing = DecodeShardSnapshotRecord(j.dump(), "k");
  EXPECT_EQ(missing.status().code(), StatusCode::kCorruption);
  EXPECT_NE(missing.status().message().find("applied_seq"), std::string::npos)
      << missing.status().ToString();
  ShardSnapshotRecord empty_id = r;
  empty_id.snapshot_id.clear();
  EXPECT_EQ(DecodeShardSnapshotRecord(EncodeShardSnapshotRecord(empty_id), "k")
                .status()
                .code(),
            StatusCode::kCorruption);
}

TEST(ShardSnapshotRulesTest, ASnapshotIsDueEveryIntervalOfEntries) {
  EXPECT_FALSE(SnapshotDue(0, 0, 100)) << "an empty log";
  EXPECT_FALSE(SnapshotDue(99, 0, 100));
  EXPECT_TRUE(SnapshotDue(100, 0, 100));
  EXPECT_FALSE(SnapshotDue(199, 100, 100));
  EXPECT_TRUE(SnapshotDue(200, 100, 100));
  EXPECT_FALSE(SnapshotDue(1000000, 0, 0)) << "interval 0: never";
  EXPECT_FALSE(SnapshotDue(50, 80, 10))
      << "a replica behind the newest snapshot takes none";
}

TEST(ShardSnapshotRulesTest, TheStreamKeepsTheRetainedTailBeforeASnapshot) {
  EXPECT_EQ(StreamKeepFrom(100, 10), 91u) << "entries 91..100 stay";
  EXPECT_EQ(StreamKeepFrom(100, 0), 101u) << "nothing the snapshot holds";
  EXPECT_EQ(StreamKeepFrom(100, 100), 1u);
  EXPECT_EQ(StreamKeepFrom(5, 10000), 1u) << "nothing goes";
  EXPECT_EQ(StreamKeepFrom(0, 0), 1u);
}

TEST(ShardSnapshotRulesTest, EachNodeHasItsOwnRepository) {
  EXPECT_EQ(ShardSnapshotPrefix("prod", "0a1b", "n1"),
            "cluster/prod/0a1b/n1/snapshots/");
  EXPECT_NE(ShardSnapshotPrefix("prod", "0a1b", "n1"),
            ShardSnapshotPrefix("prod", "0a1b", "n2"));
}

}  // namespace
}  // namespace proximadb::cluster
