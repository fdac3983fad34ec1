// The collection manifest: a checksummed copy of a catalog record.
#include "storage/catalog/manifest.h"

#include <gtest/gtest.h>

namespace proximadb::catalog {
namespace {

CollectionRecord Rec() {
  CollectionRecord r;
  r.config.name = "docs";
  r.config.dimension = 8;
  r.config.metric = Metric::kCosine;
  r.config.flush.max_vector_count = 123;
  r.config.wal_format = WalFormat::kAvro;
  r.dir_name = "docs-0badf00d";
  r.created_at_unix_ms = 1700000000123;
  r.fenced_seq = ~uint64_t{0} - 7;
  r.next_segment_id = 9;
  r.generation = 12;
  r.segments = {{3,
                 "seg-00000000000000000003.pdb",
                 70,
                 1,
                 500,
                 std::string("\x00\xff\x10", 3),
                 {},
                 0},
                {8, "seg-00000000000000000008.pdb", 2, 501, 510, "", {}, 0}};
  r.payload_indexes = {{"a.b", PayloadIndexType::kInteger},
                       {"t", PayloadIndexType::kBool}};
  return r;
}

TEST(ManifestTest, RoundTrips) {
  const std::string bytes = EncodeManifest(Rec());
  EXPECT_EQ(bytes.substr(0, 8), "PDBMAN01");
  auto got = DecodeManifest(bytes, "m");
  ASSERT_TRUE(got.ok()) << got.status().ToString();
  std::string why;
  EXPECT_TRUE(SameRecord(*got, Rec(), &why)) << why;
  EXPECT_EQ(got->config.wal_format, WalFormat::kAvro);
  EXPECT_EQ(got->config.flush.max_vector_count, 123u);
  EXPECT_EQ(got->segments[0].deleted_bitmap, std::string("\x00\xff\x10", 3));
}

TEST(ManifestTest, EveryFlippedBitAndEveryCutIsCorruption) {
  const std::string good = EncodeManifest(Rec());
  for (size_t i = 0; i < good.size(); ++i) {
    std::string bad = good;
    bad[i] ^= static_cast<char>(1 << (i % 8));
    auto got = DecodeManifest(bad, "m");
    ASSERT_FALSE(got.ok()) << "byte " << i;
    EXPECT_TRUE(got.status().IsCorruption()) << got.status().ToString();
  }
  for (size_t n = 0; n < good.size(); n += 7) {
    EXPECT_TRUE(DecodeManifest(good.substr(0, n), "m").status().IsCorruption());
  }
  EXPECT_TRUE(DecodeManifest(good + "x", "m").status().IsCorruption());
}

TEST(ManifestTest, SameRecordNamesTheFirstDifference) {
  std::string why;
  CollectionRecord b = Rec();
  b.fenced_seq = 1;
  EXPECT_FALSE(SameRecord(Rec(), b, &why));
  EXPECT_NE(why.find("fenced_seq"), std::string::npos);
  b = Rec();
  b.generation = 11;
  EXPECT_FALSE(SameRecord(Rec(), b, &why));
  EXPECT_NE(why.find("generation"), std::string::npos);
  b = Rec();
  b.segments[1].deleted_bitmap = "\x01";
  EXPECT_FALSE(SameRecord(Rec(), b, &why));
  EXPECT_NE(why.find("segment 8"), std::string::npos);
  b = Rec();
  b.config.flush.flush_priority = 3;
  EXPECT_FALSE(SameRecord(Rec(), b, &why));
  EXPECT_EQ(why, "config");
}

}  // namespace
}  // namespace proximadb::catalog
