// BoundDB (cluster/bound_db.h) over a real CatalogStore backend, as a
// parameterized suite the backend's test binary instantiates with the same
// StoreFactory as the store contract (catalog_store_contract.h):
//
//   INSTANTIATE_TEST_SUITE_P(Postgres, BoundDbTest, testing::Values(...));
//
// "A crash between the store's half and the engine's" is made by changing
// one side alone (the store through a second handle, the engine opened
// without the store), then opening both: the next Open must finish it.
#pragma once

#include <gtest/gtest.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "cluster/bound_db.h"
#include "cluster/catalog_store_contract.h"
#include "util/temp_dir.h"

namespace proximadb::cluster::testing_contract {

class BoundDbTest : public CatalogStoreContractTest {
 protected:
  void SetUp() override {
    CatalogStoreContractTest::SetUp();
    if (IsSkipped()) return;
    ns_ = Ns();
  }

  // The engine alone (as if the catalog were SQLite).
  std::unique_ptr<DB> Engine() {
    auto db = DB::Open(DBOptions{}, dir_.path());
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  Result<std::unique_ptr<DB>> Bound(const std::string& ns) {
    auto store = GetParam().open(ns);
    if (!store.ok()) return store.status();
    std::unique_ptr<DB> engine = Engine();
    if (!engine) return Status::Internal("engine did not open");
    return BoundDB::Open(std::move(engine), std::move(*store), dir_.path(),
                         Env::Default());
  }
  std::unique_ptr<DB> Bound() {
    auto db = Bound(ns_);
    EXPECT_TRUE(db.ok()) << db.status().ToString();
    return db.ok() ? std::move(*db) : nullptr;
  }
  static CollectionConfig Config(const std::string& name, uint32_t dim = 4) {
    CollectionConfig c;
    c.name = name;
    c.dimension = dim;
    c.metric = Metric::kEuclidean;
    c.index.algorithm = "flat";
    return c;
  }
  static void Put(DB& db, const std::string& collection,
                  const std::string& id) {
    auto c = db.GetCollection(collection);
    ASSERT_TRUE(c.ok()) << c.status().ToString();
    Point p;
    p.id = id;
    p.vector.assign((*c)->config().dimension, 0.5f);
    ASSERT_TRUE((*c)->Upsert({p}).ok());
  }
  // The store as another process sees it (no BoundDB may hold it).
  std::vector<CollectionDef> StoreDefs() {
    auto store = Open(ns_);
    if (!store) return {};
    auto defs = store->ListCollections();
    EXPECT_TRUE(defs.ok()) << defs.status().ToString();
    return defs.ok() ? *defs : std::vector<CollectionDef>{};
  }
  std::vector<AliasInfo> StoreAliases() {
    auto store = Open(ns_);
    if (!store) return {};
    auto a = store->ListAliases();
    EXPECT_TRUE(a.ok());
    return a.ok() ? *a : std::vector<AliasInfo>{};
  }
  // A claimed handle on the namespace, for changing the store alone.
  std::unique_ptr<CatalogStore> Store() { return Open(ns_); }

  test_util::TempDir dir_;
  std::string ns_;
};

TEST_P(BoundDbTest, ChangesGoToTheStoreAndSurviveRestart) {
  {
    auto db = Bound();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->CreateCollection(Config("docs")).ok());
    ASSERT_TRUE(db->CreateCollection(Config("tmp")).ok());
    EXPECT_EQ(db->CreateCollection(Config("docs")).status().code(),
              StatusCode::kAlreadyExists);
    Put(*db, "docs", "a");
    auto c = db->GetCollection("docs");
    ASSERT_TRUE(c.ok());
    FlushPolicy f;
    f.max_vector_count = 1234;
    ASSERT_TRUE((*c)->SetFlushPolicy(f).ok());
    ASSERT_TRUE(
        (*c)->CreatePayloadIndex({"kind", PayloadIndexType::kKeyword}).ok());
    EXPECT_EQ(
        (*c)->CreatePayloadIndex({"kind", PayloadIndexType::kInteger}).code(),
        StatusCode::kAlreadyExists);
    ASSERT_TRUE(
        db->UpdateAliases({{AliasAction::Kind::kCreate, "prod", "docs"}}).ok());
    ASSERT_TRUE(db->DropCollection("tmp").ok());
    EXPECT_EQ(db->DropCollection("prod").code(),
              StatusCode::kFailedPrecondition);
  }
  std::vector<CollectionDef> defs = StoreDefs();
  ASSERT_EQ(defs.size(), 1u);
  EXPECT_EQ(defs[0].config.name, "docs");
  {
    // The store holds exactly what the engine has (defaults included).
    auto engine = Engine();
    ASSERT_TRUE(engine);
    auto c = engine->GetCollection("docs");
    ASSERT_TRUE(c.ok());
    EXPECT_EQ(EncodeCollectionDef(defs[0]), EncodeCollectionDef(DefOf(**c)));
  }
  EXPECT_EQ(defs[0].config.flush.max_vector_count, 1234u);
  ASSERT_EQ(defs[0].payload_indexes.size(), 1u);
  EXPECT_EQ(defs[0].payload_indexes[0].type, PayloadIndexType::kKeyword)
      << "the engine's refusal put the store back";
  EXPECT_EQ(StoreAliases(), (std::vector<AliasInfo>{{"prod", "docs"}}));

  auto db = Bound();
  ASSERT_TRUE(db);
  auto c = db->GetCollection("prod");
  ASSERT_TRUE(c.ok());
  EXPECT_TRUE((*c)->Get("a").ok());
  EXPECT_EQ((*c)->config().flush.max_vector_count, 1234u);
}

TEST_P(BoundDbTest, AFirstBindingImportsTheEnginesCollections) {
  {
    auto engine = Engine();
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->CreateCollection(Config("a")).ok());
    ASSERT_TRUE(engine->CreateCollection(Config("b", 8)).ok());
    Put(*engine, "a", "p1");
    ASSERT_TRUE(
        engine->UpdateAliases({{AliasAction::Kind::kCreate, "x", "b"}}).ok());
  }
  {
    auto db = Bound();
    ASSERT_TRUE(db);
    auto c = db->GetCollection("a");
    ASSERT_TRUE(c.ok());
    EXPECT_TRUE((*c)->Get("p1").ok());
  }
  std::vector<CollectionDef> defs = StoreDefs();
  ASSERT_EQ(Names(defs), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(defs[1].config.dimension, 8u);
  EXPECT_EQ(StoreAliases(), (std::vector<AliasInfo>{{"x", "b"}}));
  EXPECT_TRUE(std::filesystem::exists(dir_.path() + "/" + kCatalogBindingFile));
}

TEST_P(BoundDbTest, ADirectoryBoundToAnotherCatalogIsRefused) {
  { ASSERT_TRUE(Bound()); }
  // Another namespace is another catalog: refused, nothing changed.
  const std::string other = Ns();
  auto db = Bound(other);
  ASSERT_EQ(db.status().code(), StatusCode::kFailedPrecondition)
      << db.status().ToString();
  EXPECT_NE(db.status().message().find("is bound to catalog"),
            std::string::npos)
      << db.status().message();
}

TEST_P(BoundDbTest, AnUnboundDirectoryIsNotMergedIntoAFullCatalog) {
  {
    auto store = Store();
    ASSERT_TRUE(store);
    ASSERT_TRUE(store->CreateCollection(Def("theirs")).ok());
  }
  // An empty, never bound directory: the catalog's data is elsewhere.
  auto db = Bound(ns_);
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  {
    auto engine = Engine();
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->CreateCollection(Config("mine")).ok());
  }
  db = Bound(ns_);
  EXPECT_EQ(db.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_FALSE(
      std::filesystem::exists(dir_.path() + "/" + kCatalogBindingFile));
  EXPECT_EQ(Names(StoreDefs()), (std::vector<std::string>{"theirs"}));
}

TEST_P(BoundDbTest, OpenFinishesWhatACrashLeftHalfDone) {
  {
    auto db = Bound();
    ASSERT_TRUE(db);
    ASSERT_TRUE(db->CreateCollection(Config("kept")).ok());
    ASSERT_TRUE(db->CreateCollection(Config("dropping")).ok());
    Put(*db, "kept", "k1");
  }
  {
    // The store's half of four changes, the engine's never made.
    auto store = Store();
    ASSERT_TRUE(store);
    CollectionDef fresh = Def("created", 16);
    fresh.payload_indexes = {{"tag", PayloadIndexType::kKeyword}};
    ASSERT_TRUE(store->CreateCollection(fresh).ok());
    ASSERT_TRUE(store->BeginDrop("dropping").ok());
    auto defs = store->ListCollections();
    ASSERT_TRUE(defs.ok());
    for (CollectionDef d : *defs) {
      if (d.config.name != "kept") continue;
      d.config.flush.flush_priority = 99;
      ASSERT_TRUE(store->UpdateCollection(d).ok());
    }
    ASSERT_TRUE(
        store->UpdateAliases({{AliasAction::Kind::kCreate, "live", "kept"}})
            .ok());
  }
  {
    // The engine's half of a restore whose store half never happened.
    auto engine = Engine();
    ASSERT_TRUE(engine);
    ASSERT_TRUE(engine->CreateCollection(Config("restored", 8)).ok());
    Put(*engine, "restored", "r1");
  }
  {
    auto db = Bound();
    ASSERT_TRUE(db);
    std::vector<std::string> names;
    for (const auto& info : db->ListCollections()) {
      names.push_back(info.config.name);
    }
    EXPECT_EQ(names, (std::vector<std::string>{"created", "kept", "restored"}));
    auto created = db->GetCollection("created");
    ASSERT_TRUE(created.ok());
    EXPECT_EQ((*created)->config().dimension, 16u);
    EXPECT_EQ((*created)->Info().payload_indexes.size(), 1u);
    auto kept = db->GetCollection("live");
    ASSERT_TRUE(kept.ok());
    EXPECT_EQ((*kept)->config().flush.flush_priority, 99);
    EXPECT_TRUE((*kept)->Get("k1").ok());
    auto restored = db->GetCollection("restored");
    ASSERT_TRUE(restored.ok());
    EXPECT_TRUE((*restored)->Get("r1").ok()) << "data is never dropped";
  }
  std::vector<CollectionDef> defs = StoreDefs();
  EXPECT_EQ(Names(defs),
            (std::vector<std::string>{"created", "kept", "restored"}));
}

// A viper collection's indexed column and a live migration: the engine
// decides the layout, the store follows (its payload indexes too, so that
// the next start does not drop the column's index), and a restart writes
// the record's end there.
TEST_P(BoundDbTest, LayoutsAndMigrationsReachTheStore) {
  LayoutSettings viper;
  viper.storage_strategy = "viper";
  viper.memtable = "hash";
  viper.index.algorithm = "ivf";
  viper.index.quantization = "int8";
  viper.filterable_columns = {{"n", "int", true}};
  {
    auto db = Bound();
    ASSERT_TRUE(db);
    CollectionConfig v = Config("v");
    v.set_layout(viper);
    v.filterable_columns = {{"tag", "string", true}};
    ASSERT_TRUE(db->CreateCollection(v).ok());
    ASSERT_TRUE(db->CreateCollection(Config("m")).ok());
    Put(*db, "m", "a");
    auto c = db->GetCollection("m");
    ASSERT_TRUE(c.ok());
    auto started = (*c)->Migrate(viper);
    ASSERT_TRUE(started.ok()) << started.status().ToString();
    for (int i = 0; i < 600; ++i) {
      if ((*c)->GetMigration()->record.state == "done") break;
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    EXPECT_EQ((*c)->GetMigration()->record.state, "done");
  }
  // What the migrate wrote to the store (read with the server stopped: one
  // holder per namespace).
  for (const CollectionDef& d : StoreDefs()) {
    if (d.config.name == "v") {
      EXPECT_EQ(
          d.payload_indexes,
          (std::vector<PayloadIndexDef>{{"tag", PayloadIndexType::kKeyword}}));
    } else {
      EXPECT_EQ(d.config.layout(), viper);
      EXPECT_EQ(
          d.payload_indexes,
          (std::vector<PayloadIndexDef>{{"n", PayloadIndexType::kInteger}}));
      ASSERT_TRUE(d.config.migration.has_value());
      EXPECT_EQ(d.config.migration->to, viper);
    }
  }
  // The restart keeps both payload indexes and writes the record's end.
  auto db = Bound();
  ASSERT_TRUE(db);
  auto m = db->GetCollection("m");
  ASSERT_TRUE(m.ok());
  EXPECT_EQ((*m)->Info().payload_indexes,
            (std::vector<PayloadIndexDef>{{"n", PayloadIndexType::kInteger}}));
  EXPECT_EQ((*m)->GetMigration()->record.state, "done");
  EXPECT_EQ((*db->GetCollection("v"))->Info().payload_indexes.size(), 1u);
  db.reset();
  for (const CollectionDef& d : StoreDefs()) {
    if (d.config.name != "m") continue;
    ASSERT_TRUE(d.config.migration.has_value());
    EXPECT_EQ(d.config.migration->state, "done");
  }
}

}  // namespace proximadb::cluster::testing_contract
