// The REST side of storage strategies (docs/API.md, "Storage strategies"):
// create accepts storage_strategy, memtable and the IVF index keys (with
// "kind" as a name for indexing_algorithm), the collection answer shows them
// and can be sent back, and a search takes nprobe.
#include <gtest/gtest.h>

#include "json_literal.h"
#include "service/json_codec.h"

namespace proximadb::service {
namespace {

using nlohmann::json;
using proximadb::json_literal::J;

TEST(StorageStrategyJsonTest, CreateReadsStrategyMemtableAndIvfKeys) {
  auto c = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "custom", "memtable": "hash",
      "index": {"kind": "ivf", "nlist": 64, "nprobe": 6,
                "quantization": "int8"}})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->storage_strategy, "custom");
  EXPECT_EQ(c->memtable, "hash");
  EXPECT_EQ(c->index.algorithm, "ivf");
  EXPECT_EQ(c->index.nlist, 64u);
  EXPECT_EQ(c->index.nprobe, 6u);
  EXPECT_EQ(c->index.quantization, "int8");
  EXPECT_TRUE(ValidateCollectionConfig(*c).ok());
  // Defaults: the standard strategy, btree, hnsw.
  auto d = ParseCreateCollection(J(R"({"name": "c", "dimension": 8})"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->storage_strategy, "standard");
  EXPECT_EQ(d->memtable, "btree");
  EXPECT_EQ(d->index.algorithm, "hnsw");
  // "kind" and "indexing_algorithm" name one setting.
  auto both = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "index": {"kind": "ivf", "indexing_algorithm": "hnsw"}})"));
  ASSERT_FALSE(both.ok());
  EXPECT_EQ(both.status().message(),
            "fields 'kind' ('ivf') and 'indexing_algorithm' ('hnsw') "
            "disagree");
  auto big = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "index": {"kind": "ivf", "nlist": 65537}})"));
  ASSERT_FALSE(big.ok());
  EXPECT_NE(big.status().message().find("nlist"), std::string::npos);
  auto type = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": 3})"));
  ASSERT_FALSE(type.ok());
  EXPECT_NE(type.status().message().find("storage_strategy"),
            std::string::npos);
}

TEST(StorageStrategyJsonTest, AnswerShowsThemAndCreatesTheSameCollection) {
  CollectionInfo info;
  info.config.name = "c";
  info.config.dimension = 8;
  info.config.storage_strategy = "custom";
  info.config.memtable = "hash";
  info.config.index.algorithm = "ivf";
  info.config.index.nprobe = 5;
  const json out = CollectionToJson(info, FlushDefaults{}, TieringDefaults{});
  EXPECT_EQ(out["storage_strategy"], "custom");
  EXPECT_EQ(out["memtable"], "hash");
  EXPECT_EQ(out["indexing_algorithm"], "ivf");
  EXPECT_EQ(out["index"]["kind"], "ivf");
  EXPECT_EQ(out["index"]["nlist"], 0);
  EXPECT_EQ(out["index"]["nprobe"], 5);
  auto back = ParseCreateCollection(out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->storage_strategy, "custom");
  EXPECT_EQ(back->memtable, "hash");
  EXPECT_EQ(back->index, info.config.index);
  // Other kinds show no IVF keys.
  info.config.index = IndexConfig{};
  const json hnsw = CollectionToJson(info, FlushDefaults{}, TieringDefaults{});
  EXPECT_FALSE(hnsw["index"].contains("nlist"));
  EXPECT_EQ(hnsw["index"]["kind"], "hnsw");
}

// viper: the strategy's defaults for what is left out (hash, ivf, int8),
// filterable columns read, shown, and sent back; the same for a migration.
TEST(StorageStrategyJsonTest, ViperDefaultsAndFilterableColumns) {
  auto c = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "viper",
      "filterable_columns": [{"name": "tag", "type": "string"},
                             {"name": "a.price", "type": "float",
                              "indexed": true}]})"));
  ASSERT_TRUE(c.ok()) << c.status().ToString();
  EXPECT_EQ(c->memtable, "hash");
  EXPECT_EQ(c->index.algorithm, "ivf");
  EXPECT_EQ(c->index.quantization, "int8");
  ASSERT_EQ(c->filterable_columns.size(), 2u);
  EXPECT_EQ(c->filterable_columns[0],
            (FilterableColumn{"tag", "string", false}));
  EXPECT_EQ(c->filterable_columns[1],
            (FilterableColumn{"a.price", "float", true}));
  // Named choices are kept (and then validated).
  auto none = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "viper", "index": {"quantization": "none",
      "nlist": 32}})"));
  ASSERT_TRUE(none.ok()) << none.status().ToString();
  EXPECT_EQ(none->index.quantization, "none");
  EXPECT_EQ(none->index.nlist, 32u);
  CollectionInfo info;
  info.config = *c;
  const json out = CollectionToJson(info, FlushDefaults{}, TieringDefaults{});
  EXPECT_EQ(out["storage_strategy"], "viper");
  EXPECT_EQ(out["filterable_columns"][1]["name"], "a.price");
  EXPECT_EQ(out["filterable_columns"][1]["indexed"], true);
  auto back = ParseCreateCollection(out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->layout(), c->layout());
  // Standard shows an empty list.
  info.config = CollectionConfig{};
  EXPECT_EQ(CollectionToJson(info, FlushDefaults{},
                             TieringDefaults{})["filterable_columns"],
            json::array());

  auto l = ParseMigrate(J(R"({"storage_strategy": "viper",
      "filterable_columns": [{"name": "n", "type": "int"}]})"));
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->memtable, "hash");
  EXPECT_EQ(l->index.algorithm, "ivf");
  EXPECT_EQ(l->index.quantization, "int8");
  EXPECT_EQ(l->filterable_columns,
            (std::vector<FilterableColumn>{{"n", "int", false}}));
  MigrationStatus m;
  m.record.to = *l;
  EXPECT_EQ(MigrationToJson(m)["to"]["filterable_columns"][0]["type"], "int");
}

TEST(StorageStrategyJsonTest, SearchTakesNprobe) {
  auto s = ParseSearch(J(R"({"vector": [1, 2], "nprobe": 12})"), 2, "c");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->nprobe, 12u);
  EXPECT_FALSE(ParseSearch(J(R"({"vector": [1, 2]})"), 2, "c")->nprobe);
  auto zero = ParseSearch(J(R"({"vector": [1, 2], "nprobe": 0})"), 2, "c");
  ASSERT_FALSE(zero.ok());
  EXPECT_NE(zero.status().message().find("nprobe"), std::string::npos);
  auto batch = ParseBatchSearch(
      J(R"({"queries": [{"vector": [1, 2], "nprobe": 3}]})"), 2, "c");
  ASSERT_TRUE(batch.ok());
  EXPECT_EQ((*batch)[0].nprobe, 3u);
}

// POST .../migrate: the target layout as create takes it, defaults for what
// is left out, unknown keys refused; the migration's answer shape.
// compression: none by default, zstd for viper unless set; shown in the
// answer (and sent back); only viper and custom take zstd.
TEST(StorageStrategyJsonTest, Compression) {
  auto d = ParseCreateCollection(J(R"({"name": "c", "dimension": 8})"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(d->compression, "none");
  auto v = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "viper"})"));
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->compression, "zstd");
  auto vn = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "viper", "compression": "none"})"));
  ASSERT_TRUE(vn.ok()) << vn.status().ToString();
  EXPECT_EQ(vn->compression, "none");
  auto cz = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "custom", "compression": "zstd"})"));
  ASSERT_TRUE(cz.ok()) << cz.status().ToString();
  EXPECT_EQ(cz->compression, "zstd");
  auto sz = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "compression": "zstd"})"));
  ASSERT_FALSE(sz.ok());
  EXPECT_EQ(sz.status().message(),
            "compression 'zstd' needs storage_strategy 'viper' or 'custom' "
            "(the standard strategy stores segments uncompressed)");
  auto lz = ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "custom", "compression": "lz4"})"));
  ASSERT_FALSE(lz.ok());
  EXPECT_EQ(lz.status().message(),
            "compression must be none or zstd, got 'lz4'");
  EXPECT_FALSE(ParseCreateCollection(J(R"({"name": "c", "dimension": 8,
      "storage_strategy": "custom", "compression": 1})"))
                   .ok());

  CollectionInfo info;
  info.config = *cz;
  const json out = CollectionToJson(info, FlushDefaults{}, TieringDefaults{});
  EXPECT_EQ(out["compression"], "zstd");
  auto back = ParseCreateCollection(out);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(back->compression, "zstd");

  auto m = ParseMigrate(J(R"({"storage_strategy": "viper"})"));
  ASSERT_TRUE(m.ok());
  EXPECT_EQ(m->compression, "zstd");
  auto mn = ParseMigrate(J(R"({"storage_strategy": "custom",
      "compression": "zstd"})"));
  ASSERT_TRUE(mn.ok());
  EXPECT_EQ(mn->compression, "zstd");
  MigrationStatus st;
  st.record.to = *mn;
  EXPECT_EQ(MigrationToJson(st)["to"]["compression"], "zstd");
  EXPECT_EQ(MigrationToJson(st)["from"]["compression"], "none");
}

TEST(StorageStrategyJsonTest, MigrateBodyAndAnswer) {
  auto l = ParseMigrate(J(R"({"storage_strategy": "custom", "memtable": "hash",
      "index": {"kind": "ivf", "nlist": 16}, "quantization": "int8"})"));
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  EXPECT_EQ(l->storage_strategy, "custom");
  EXPECT_EQ(l->memtable, "hash");
  EXPECT_EQ(l->index.algorithm, "ivf");
  EXPECT_EQ(l->index.nlist, 16u);
  EXPECT_EQ(l->index.quantization, "int8");
  auto d = ParseMigrate(J(R"({})"));
  ASSERT_TRUE(d.ok());
  EXPECT_EQ(*d, LayoutSettings{});
  auto bad = ParseMigrate(J(R"({"dimension": 8})"));
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("dimension"), std::string::npos);
  EXPECT_FALSE(ParseMigrate(J(R"({"index": {"colour": 1}})")).ok());
  EXPECT_FALSE(ParseMigrate(J(R"({"m": 1000})")).ok());
  EXPECT_FALSE(ParseMigrate(J(R"([1])")).ok());

  MigrationStatus m;
  m.record.id = "mig-1";
  m.record.state = "running";
  m.record.to = *l;
  m.segments_done = 1;
  m.segments_total = 3;
  m.points_done = 10;
  m.points_total = 30;
  json j = MigrationToJson(m);
  EXPECT_EQ(j["state"], "running");
  EXPECT_EQ(j["segments_done"], 1);
  EXPECT_EQ(j["points_total"], 30);
  EXPECT_TRUE(j["eta_seconds"].is_null());
  EXPECT_EQ(j["to"]["index"]["kind"], "ivf");
  EXPECT_EQ(j["from"]["index"]["kind"], "hnsw");
  EXPECT_FALSE(j.contains("error"));
}

}  // namespace
}  // namespace proximadb::service
