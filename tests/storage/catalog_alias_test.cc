// The catalog's aliases: one namespace with collections, refusals, every
// request applied whole or not at all, checksummed rows, the schema 4 -> 5
// migration, and the alias manifest codec.
#include <gtest/gtest.h>
#include <sqlite3.h>

#include <string>
#include <vector>

#include "storage/catalog/alias_manifest.h"
#include "storage/catalog/catalog.h"
#include "util/temp_dir.h"

namespace proximadb::catalog {
namespace {

AliasAction Create(const std::string& alias, const std::string& collection) {
  return AliasAction{AliasAction::Kind::kCreate, alias, collection};
}
AliasAction Delete(const std::string& alias) {
  return AliasAction{AliasAction::Kind::kDelete, alias, ""};
}

class CatalogAliasTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_FALSE(tmp_.path().empty());
    path_ = tmp_.path() + "/catalog.db";
    Reopen();
    ASSERT_TRUE(cat_->CreateCollection(Rec("docs")).ok());
    ASSERT_TRUE(cat_->CreateCollection(Rec("docs_v2")).ok());
  }
  void Reopen() {
    cat_.reset();
    auto c = Catalog::Open(path_);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    cat_ = std::move(c).value();
  }
  static CollectionRecord Rec(const std::string& name) {
    CollectionRecord r;
    r.config.name = name;
    r.config.dimension = 4;
    r.dir_name = name + "-0000000a";
    r.next_segment_id = 1;
    return r;
  }
  std::vector<AliasInfo> Aliases() {
    auto a = cat_->LoadAliases();
    EXPECT_TRUE(a.ok()) << a.status().ToString();
    return a.ok() ? *a : std::vector<AliasInfo>{};
  }
  void Sql(const std::string& sql, bool reopen = true) {
    cat_.reset();
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
    char* err = nullptr;
    ASSERT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &err), SQLITE_OK)
        << (err ? err : "");
    sqlite3_close(db);
    if (reopen) Reopen();
  }

  test_util::TempDir tmp_;
  std::string path_;
  std::unique_ptr<Catalog> cat_;
};

TEST_F(CatalogAliasTest, CreateListDeleteAndReopen) {
  ASSERT_TRUE(
      cat_->UpdateAliases({Create("prod", "docs"), Create("b", "docs")}).ok());
  EXPECT_EQ(Aliases(),
            (std::vector<AliasInfo>{{"b", "docs"}, {"prod", "docs"}}));
  Reopen();
  EXPECT_EQ(Aliases(),
            (std::vector<AliasInfo>{{"b", "docs"}, {"prod", "docs"}}));
  ASSERT_TRUE(cat_->UpdateAliases({Delete("b")}).ok());
  EXPECT_EQ(Aliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));
}

TEST_F(CatalogAliasTest, SwitchIsDeleteThenCreateInOneRequest) {
  ASSERT_TRUE(cat_->UpdateAliases({Create("prod", "docs")}).ok());
  // Without the delete first, the alias is taken.
  Status s = cat_->UpdateAliases({Create("prod", "docs_v2")});
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_NE(s.message().find("actions[0]: alias 'prod' already exists"),
            std::string::npos)
      << s.ToString();
  ASSERT_TRUE(
      cat_->UpdateAliases({Delete("prod"), Create("prod", "docs_v2")}).ok());
  EXPECT_EQ(Aliases(), (std::vector<AliasInfo>{{"prod", "docs_v2"}}));
}

TEST_F(CatalogAliasTest, ARefusedActionLeavesNothingOfTheRequest) {
  ASSERT_TRUE(cat_->UpdateAliases({Create("a", "docs")}).ok());
  Status s = cat_->UpdateAliases(
      {Delete("a"), Create("b", "docs"), Create("c", "missing")});
  EXPECT_TRUE(s.IsNotFound()) << s.ToString();
  EXPECT_NE(s.message().find("actions[2]: collection 'missing' not found"),
            std::string::npos)
      << s.ToString();
  EXPECT_EQ(Aliases(), (std::vector<AliasInfo>{{"a", "docs"}}));
  // And the catalog still takes the next request.
  ASSERT_TRUE(cat_->UpdateAliases({Create("b", "docs")}).ok());
  EXPECT_EQ(Aliases().size(), 2u);
}

TEST_F(CatalogAliasTest, Refusals) {
  ASSERT_TRUE(cat_->UpdateAliases({Create("prod", "docs")}).ok());
  struct Case {
    std::vector<AliasAction> actions;
    StatusCode code;
    std::string needle;
  };
  const std::vector<Case> cases = {
      {{Create("docs_v2", "docs")},
       StatusCode::kAlreadyExists,
       "'docs_v2' is the name of a collection"},
      {{Create("x", "nope")},
       StatusCode::kNotFound,
       "collection 'nope' not found"},
      {{Create("x", "prod")},
       StatusCode::kNotFound,
       "it is an alias (of collection 'docs')"},
      {{Delete("nope")}, StatusCode::kNotFound, "alias 'nope' not found"},
      {{Create("y", "docs"), Create("y", "docs_v2")},
       StatusCode::kAlreadyExists,
       "actions[1]: alias 'y' already exists"},
      {{Delete("prod"), Delete("prod")},
       StatusCode::kNotFound,
       "actions[1]: alias 'prod' not found"},
  };
  for (const Case& c : cases) {
    Status s = cat_->UpdateAliases(c.actions);
    EXPECT_EQ(s.code(), c.code) << s.ToString();
    EXPECT_NE(s.message().find(c.needle), std::string::npos) << s.ToString();
    EXPECT_EQ(Aliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));
  }
  // A collection may not take an alias's name either.
  Status s = cat_->CreateCollection(Rec("prod"));
  EXPECT_EQ(s.code(), StatusCode::kAlreadyExists) << s.ToString();
  EXPECT_NE(s.message().find("'prod' is an alias (of collection 'docs')"),
            std::string::npos)
      << s.ToString();
  EXPECT_TRUE(cat_->Load("prod").status().IsNotFound());
}

TEST_F(CatalogAliasTest, DroppingACollectionDropsItsAliases) {
  ASSERT_TRUE(cat_->UpdateAliases({Create("a", "docs"), Create("b", "docs_v2"),
                                   Create("c", "docs")})
                  .ok());
  ASSERT_TRUE(cat_->DropCollection("docs").ok());
  EXPECT_EQ(Aliases(), (std::vector<AliasInfo>{{"b", "docs_v2"}}));
  // The names are free again, for a collection too.
  EXPECT_TRUE(cat_->CreateCollection(Rec("a")).ok());
}

TEST_F(CatalogAliasTest, DamagedRowsAreRefused) {
  ASSERT_TRUE(cat_->UpdateAliases({Create("prod", "docs")}).ok());
  // Pointed at another collection behind the catalog's back.
  Sql("UPDATE aliases SET collection_id = collection_id + 1");
  Status s = cat_->LoadAliases().status();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("alias 'prod': row checksum mismatch"),
            std::string::npos)
      << s.ToString();
  // A delete does not launder it either: it is refused at the next read.
  Sql("UPDATE aliases SET alias = 'prud'");
  EXPECT_TRUE(cat_->LoadAliases().status().IsCorruption());
}

TEST_F(CatalogAliasTest, OrphanRowIsCorruption) {
  ASSERT_TRUE(cat_->UpdateAliases({Create("prod", "docs")}).ok());
  // A row whose collection is gone (foreign keys off, as a hand edit would).
  cat_.reset();
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open(path_.c_str(), &db), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(db,
                         "PRAGMA foreign_keys=OFF; DELETE FROM collections "
                         "WHERE name = 'docs'",
                         nullptr, nullptr, nullptr),
            SQLITE_OK);
  sqlite3_close(db);
  Reopen();
  Status s = cat_->LoadAliases().status();
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("which does not exist"), std::string::npos)
      << s.ToString();
}

// A catalog of schema 4 (before aliases) gets the table on its first
// read-write open; its rows and checksums are untouched.
TEST_F(CatalogAliasTest, SchemaFourIsMigrated) {
  Sql("DROP TABLE aliases; PRAGMA user_version = 4;", /*reopen=*/false);
  {
    auto snap = Catalog::OpenSnapshot(path_);
    ASSERT_TRUE(snap.ok()) << snap.status().ToString();
    EXPECT_EQ((*snap)->original_schema_version(), 4);
    EXPECT_TRUE((*snap)->LoadAliases().ok());
  }
  Reopen();
  EXPECT_EQ(cat_->original_schema_version(), 4);
  auto all = cat_->LoadAll();
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_EQ(all->size(), 2u);
  EXPECT_TRUE(Aliases().empty());
  ASSERT_TRUE(cat_->UpdateAliases({Create("prod", "docs")}).ok());
  Reopen();
  EXPECT_EQ(cat_->original_schema_version(), 5);
  EXPECT_EQ(Aliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));
}

TEST(AliasManifestTest, RoundTripAndDamage) {
  const std::vector<AliasEntry> entries = {
      {"a", "docs", "docs-0000000a"}, {"prod", "docs_v2", "docs_v2-0000000b"}};
  const std::string bytes = EncodeAliasManifest(entries);
  auto back = DecodeAliasManifest(bytes, "m");
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, entries);
  auto none = DecodeAliasManifest(EncodeAliasManifest({}), "m");
  ASSERT_TRUE(none.ok());
  EXPECT_TRUE(none->empty());
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] ^= 0x20;
    EXPECT_TRUE(DecodeAliasManifest(bad, "m").status().IsCorruption()) << i;
  }
  EXPECT_TRUE(DecodeAliasManifest(bytes.substr(0, bytes.size() - 1), "m")
                  .status()
                  .IsCorruption());
}

}  // namespace
}  // namespace proximadb::catalog
