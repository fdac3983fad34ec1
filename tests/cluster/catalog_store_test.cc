#include "cluster/catalog_store.h"

#include <gtest/gtest.h>

namespace proximadb::cluster {
namespace {

AliasAction Create(std::string alias, std::string collection) {
  return {AliasAction::Kind::kCreate, std::move(alias), std::move(collection)};
}
AliasAction Delete(std::string alias) {
  return {AliasAction::Kind::kDelete, std::move(alias), ""};
}

TEST(ApplyAliasActionsTest, FollowsTheEnginesRules) {
  std::map<std::string, std::string> aliases;
  ASSERT_TRUE(ApplyAliasActions({"a", "b"}, {"gone"},
                                {Create("prod", "a"), Create("x", "b")},
                                &aliases)
                  .ok());
  EXPECT_EQ(aliases,
            (std::map<std::string, std::string>{{"prod", "a"}, {"x", "b"}}));
  // The atomic switch: delete and create again in one call.
  ASSERT_TRUE(ApplyAliasActions({"a", "b"}, {},
                                {Delete("prod"), Create("prod", "b")}, &aliases)
                  .ok());
  EXPECT_EQ(aliases.at("prod"), "b");

  auto before = aliases;
  Status s = ApplyAliasActions(
      {"a", "b"}, {}, {Create("y", "a"), Create("prod", "a")}, &aliases);
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists);
  EXPECT_EQ(s.message().rfind("actions[1]: ", 0), 0u) << s.message();
  EXPECT_EQ(aliases, before) << "all or nothing";

  EXPECT_EQ(ApplyAliasActions({"a"}, {}, {Create("a", "a")}, &aliases).code(),
            StatusCode::kAlreadyExists);
  EXPECT_EQ(ApplyAliasActions({"a"}, {"gone"}, {Create("gone", "a")}, &aliases)
                .code(),
            StatusCode::kAlreadyExists)
      << "a collection being dropped still holds its name";
  EXPECT_EQ(
      ApplyAliasActions({"a"}, {}, {Create("z", "prod")}, &aliases).code(),
      StatusCode::kNotFound)
      << "an alias cannot name an alias";
  EXPECT_EQ(ApplyAliasActions({"a"}, {}, {Delete("nope")}, &aliases).code(),
            StatusCode::kNotFound);
  EXPECT_EQ(aliases, before);
}

CollectionDef SomeDef() {
  CollectionDef def;
  def.config.name = "docs";
  def.config.dimension = 128;
  def.config.metric = Metric::kEuclidean;
  def.config.flush.max_vector_count = 5000;
  def.config.tiering.wal_archive = true;
  def.payload_indexes = {{"kind", PayloadIndexType::kKeyword},
                         {"year", PayloadIndexType::kInteger}};
  return def;
}

TEST(CollectionDefCodecTest, RoundTrips) {
  CollectionDef def = SomeDef();
  auto back = DecodeCollectionDef(EncodeCollectionDef(def), "docs");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(EncodeCollectionDef(*back), EncodeCollectionDef(def));
  def.state = CollectionDef::State::kDropping;
  back = DecodeCollectionDef(EncodeCollectionDef(def), "docs");
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->state, CollectionDef::State::kDropping);
}

TEST(CollectionDefCodecTest, AChangedOrDamagedEntryIsCorruption) {
  std::string bytes = EncodeCollectionDef(SomeDef());
  std::string changed = bytes;
  changed.replace(changed.find("128"), 3, "256");
  auto r = DecodeCollectionDef(changed, "docs");
  ASSERT_EQ(r.status().code(), StatusCode::kCorruption);
  EXPECT_NE(r.status().message().find("catalog entry docs"), std::string::npos);
  EXPECT_EQ(DecodeCollectionDef("{", "docs").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DecodeCollectionDef("{\"version\":1}", "docs").status().code(),
            StatusCode::kCorruption);
  EXPECT_EQ(DecodeCollectionDef(bytes.substr(0, bytes.size() / 2), "docs")
                .status()
                .code(),
            StatusCode::kCorruption);
}

}  // namespace
}  // namespace proximadb::cluster
