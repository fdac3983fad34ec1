// PartitionColumns (the IVF file's column statistics) and what the IVF index
// does with them: their encoding round trip and damage, the file versions
// (1 without statistics, byte-identical to before; 2 with them), and a
// search with a partition mask, which never probes a masked partition.
#include "index/ivf/partition_columns.h"

#include <gtest/gtest.h>

#include <random>
#include <set>

#include "hnsw_test_util.h"
#include "index/flat_index.h"
#include "index/ivf/ivf_index.h"
#include "proximadb/env.h"

namespace proximadb::index {
namespace {

using testing::ClusteredData;
using testing::Dataset;
using Type = PartitionColumns::Type;

PartitionColumns Sample(uint32_t partitions) {
  PartitionColumns::Column tag{"tag", Type::kString, {}};
  PartitionColumns::Column n{"a.n", Type::kInt, {}};
  PartitionColumns::Column f{"f", Type::kFloat, {}};
  PartitionColumns::Column b{"b", Type::kBool, {}};
  PartitionColumns::Column t{"t", Type::kDatetime, {}};
  for (uint32_t p = 0; p < partitions; ++p) {
    PartitionColumns::Stats s;
    for (uint32_t i = 0; i <= p * 7; ++i) s.AddString("v" + std::to_string(i));
    tag.parts.push_back(s);
    PartitionColumns::Stats si;
    si.AddInt(-static_cast<int64_t>(p));
    si.AddInt(100 + p);
    si.irregular = p % 3 == 0;
    n.parts.push_back(si);
    PartitionColumns::Stats sf;
    if (p % 2) sf.AddFloat(0.5 * p);
    f.parts.push_back(sf);
    PartitionColumns::Stats sb;
    sb.AddInt(p % 2);
    b.parts.push_back(sb);
    PartitionColumns::Stats st;
    st.AddInt(1700000000000000 + p);
    t.parts.push_back(st);
  }
  return PartitionColumns({tag, n, f, b, t});
}

TEST(PartitionColumnsTest, StringsKeepADictionaryUntilItOverflows) {
  PartitionColumns::Stats s;
  s.AddString("b");
  s.AddString("a");
  s.AddString("b");
  EXPECT_EQ(s.dict, (std::vector<std::string>{"a", "b"}));
  EXPECT_FALSE(s.overflow);
  EXPECT_EQ(s.values, 3u);
  for (uint32_t i = 0; i < PartitionColumns::kMaxDictionary; ++i) {
    s.AddString("x" + std::to_string(i));
  }
  EXPECT_TRUE(s.overflow);
  EXPECT_TRUE(s.dict.empty());
  EXPECT_EQ(s.slo, "a");
  EXPECT_EQ(s.shi, "x9");
  // A long string is cut; its upper bound still sorts above it.
  PartitionColumns::Stats l;
  const std::string big(PartitionColumns::kMaxStringBytes + 10, 'q');
  l.AddString(big);
  EXPECT_TRUE(l.overflow);
  EXPECT_LE(l.slo, big);
  EXPECT_GE(l.shi, big);
  // NaN is no value.
  PartitionColumns::Stats f;
  f.AddFloat(std::nan(""));
  EXPECT_EQ(f.values, 0u);
}

TEST(PartitionColumnsTest, EncodingRoundTripsAndRefusesDamage) {
  const PartitionColumns cols = Sample(9);
  uint64_t raw = 0;
  auto packed = cols.Encode(&raw);
  ASSERT_TRUE(packed.ok());
  EXPECT_GT(raw, packed->size());  // zstd gains on the repeated strings
  auto back = PartitionColumns::Decode(*packed, raw, 9);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_EQ(*back, cols);
  EXPECT_EQ(back->Find("a.n")->type, Type::kInt);
  EXPECT_EQ(back->Find("nope"), nullptr);
  // Another partition count, a wrong size, damaged bytes: corruption.
  EXPECT_TRUE(
      PartitionColumns::Decode(*packed, raw, 8).status().IsCorruption());
  EXPECT_TRUE(
      PartitionColumns::Decode(*packed, raw + 1, 9).status().IsCorruption());
  std::string bad = *packed;
  bad[bad.size() / 2] ^= 0x5a;
  EXPECT_FALSE(PartitionColumns::Decode(bad, raw, 9).ok());
  EXPECT_TRUE(
      PartitionColumns::Decode(packed->substr(0, packed->size() - 1), raw, 9)
          .status()
          .IsCorruption());
  EXPECT_TRUE(PartitionColumns::ParseType("datetime").ok());
  EXPECT_FALSE(PartitionColumns::ParseType("text").ok());
}

class IvfColumnsFileTest : public ::testing::Test {
 protected:
  void SetUp() override {
    data_ = ClusteredData(3000, 16, 12, 5);
    env_ = NewMemEnv();
    ASSERT_TRUE(env_->CreateDirIfMissing("/db").ok());
  }
  std::unique_ptr<IvfIndex> Build(bool int8) {
    IvfParams p;
    p.quantization = int8 ? Quantization::kInt8 : Quantization::kNone;
    p.nlist = 20;
    auto ix = IvfIndex::Build(data_.view(), Metric::kEuclidean, p, 2);
    EXPECT_TRUE(ix.ok());
    return std::move(ix).value();
  }
  std::string Bytes(const IvfIndex& ix) {
    EXPECT_TRUE(ix.Save(env_.get(), "/db/seg-1.hnsw").ok());
    return env_->ReadFileToString("/db/seg-1.hnsw").value();
  }
  Result<std::unique_ptr<IvfIndex>> Load(const std::string& bytes) {
    EXPECT_TRUE(env_->WriteFileAtomically("/db/x.hnsw", bytes).ok());
    return IvfIndex::Load(env_.get(), "/db/x.hnsw", data_.view(),
                          Metric::kEuclidean);
  }
  Dataset data_;
  std::unique_ptr<Env> env_;
};

TEST_F(IvfColumnsFileTest, VersionTwoCarriesTheStatistics) {
  for (bool int8 : {false, true}) {
    auto ix = Build(int8);
    const std::string v1 = Bytes(*ix);
    EXPECT_EQ(v1[8], 1);  // no statistics: version 1, as before
    auto cols = std::make_shared<const PartitionColumns>(Sample(20));
    ix->set_columns(cols, nullptr);
    const std::string v2 = Bytes(*ix);
    EXPECT_EQ(v2[8], 2);
    // Everything before the statistics is the same bytes.
    EXPECT_EQ(v2.substr(12, v1.size() - 16), v1.substr(12, v1.size() - 16));
    auto l = Load(v2);
    ASSERT_TRUE(l.ok()) << l.status().ToString();
    ASSERT_NE((*l)->columns(), nullptr);
    EXPECT_EQ(*(*l)->columns(), *cols);
    auto l1 = Load(v1);
    ASSERT_TRUE(l1.ok());
    EXPECT_EQ((*l1)->columns(), nullptr);
    // Damage anywhere, truncation, or a version-2 file cut to version-1
    // length: corruption.
    for (size_t at : {size_t(9), v1.size() - 4, v1.size() + 3, v2.size() - 9}) {
      std::string bad = v2;
      bad[at] ^= 0x21;
      EXPECT_TRUE(Load(bad).status().IsCorruption()) << at;
    }
    EXPECT_TRUE(Load(v2.substr(0, v2.size() - 5)).status().IsCorruption());
  }
  // Statistics for another partition count do not load.
  auto ix = Build(false);
  ix->set_columns(std::make_shared<const PartitionColumns>(Sample(19)),
                  nullptr);
  EXPECT_TRUE(Load(Bytes(*ix)).status().IsCorruption());
}

// Row columns for Sample's columns: "tag" strings, "a.n" integers with a
// few rows absent, irregular, null or large unsigned, the rest absent.
std::shared_ptr<const RowColumns> SampleRows(uint32_t rows) {
  using Tag = RowColumns::Tag;
  RowColumns::Column tag{"tag", {}, {}, {"a", "b", "c"}};
  RowColumns::Column n{"a.n", {}, {}, {}};
  for (uint32_t r = 0; r < rows; ++r) {
    tag.tags.push_back(static_cast<uint8_t>(Tag::kString));
    tag.values.push_back(r % 3);
    const Tag t = r % 50 == 0   ? Tag::kAbsent
                  : r % 51 == 0 ? Tag::kIrregular
                  : r % 52 == 0 ? Tag::kNull
                  : r % 53 == 0 ? Tag::kUint
                  : r % 54 == 0 ? Tag::kDouble
                                : Tag::kInt;
    n.tags.push_back(static_cast<uint8_t>(t));
    n.values.push_back(t == Tag::kInt    ? static_cast<uint64_t>(-int64_t(r))
                       : t == Tag::kUint ? ~uint64_t{0} - r
                                         : (t == Tag::kDouble ? 0x4009 : 0));
  }
  std::vector<RowColumns::Column> cols = {tag, n};
  for (const char* name : {"f", "b", "t"}) {
    RowColumns::Column c{name, {}, {}, {}};
    c.tags.assign(rows, static_cast<uint8_t>(Tag::kAbsent));
    c.values.assign(rows, 0);
    cols.push_back(std::move(c));
  }
  return std::make_shared<const RowColumns>(std::move(cols), rows);
}

TEST_F(IvfColumnsFileTest, VersionThreeCarriesTheRowColumns) {
  auto ix = Build(true);
  auto stats = std::make_shared<const PartitionColumns>(Sample(20));
  ix->set_columns(stats, nullptr);
  const std::string v2 = Bytes(*ix);
  const auto cells = SampleRows(data_.rows);
  ix->set_columns(stats, cells);
  const std::string v3 = Bytes(*ix);
  EXPECT_EQ(v3[8], 3);
  EXPECT_EQ(v3.substr(12, v2.size() - 16), v2.substr(12, v2.size() - 16));
  auto l = Load(v3);
  ASSERT_TRUE(l.ok()) << l.status().ToString();
  ASSERT_NE((*l)->row_columns(), nullptr);
  EXPECT_EQ(*(*l)->row_columns(), *cells);
  EXPECT_EQ(*(*l)->columns(), *stats);
  // A version 2 file still loads, without row columns.
  auto l2 = Load(v2);
  ASSERT_TRUE(l2.ok());
  EXPECT_EQ((*l2)->row_columns(), nullptr);
  EXPECT_NE((*l2)->columns(), nullptr);
  for (size_t at : {size_t(8), v2.size() - 4, v2.size() + 5, v3.size() - 9}) {
    std::string bad = v3;
    bad[at] ^= 0x21;
    EXPECT_TRUE(Load(bad).status().IsCorruption()) << at;
  }
  EXPECT_TRUE(Load(v3.substr(0, v3.size() - 5)).status().IsCorruption());
  // Row columns that are not the statistics' columns, or for fewer rows.
  RowColumns::Column other{"other", {}, {}, {}};
  other.tags.assign(data_.rows, 0);
  other.values.assign(data_.rows, 0);
  RowColumns::Column tag = cells->columns()[0];
  std::vector<RowColumns::Column> renamed = cells->columns();
  renamed[1] = other;
  ix->set_columns(stats, std::make_shared<const RowColumns>(std::move(renamed),
                                                            data_.rows));
  EXPECT_TRUE(Load(Bytes(*ix)).status().IsCorruption());
  // Decode checks every cell: a string index past the table, a bad tag.
  uint64_t raw = 0;
  for (int damage = 0; damage < 2; ++damage) {
    RowColumns::Column t2 = tag;
    if (damage == 0) t2.values[17] = 3;  // only 3 strings
    if (damage == 1) t2.tags[17] = RowColumns::kMaxTag + 1;
    auto packed = RowColumns({t2}, data_.rows).Encode(&raw);
    ASSERT_TRUE(packed.ok());
    EXPECT_TRUE(
        RowColumns::Decode(*packed, raw, data_.rows).status().IsCorruption());
    EXPECT_TRUE(RowColumns::Decode(*packed, raw, data_.rows + 1)
                    .status()
                    .IsCorruption());
  }
}

TEST_F(IvfColumnsFileTest, AMaskedPartitionIsNeverProbed) {
  for (bool int8 : {false, true}) {
    auto ix = Build(int8);
    // Rows of the even partitions only are acceptable.
    std::vector<uint8_t> mask(ix->nlist(), 0);
    std::vector<uint8_t> allowed(data_.rows, 0);
    for (uint32_t p = 0; p < ix->nlist(); p += 2) {
      mask[p] = 1;
      for (uint32_t r : ix->partition_rows(p)) allowed[r] = 1;
    }
    const RowFilter accept = [&](uint32_t r) { return allowed[r] != 0; };
    FlatIndex flat(data_.view(), Metric::kEuclidean);
    const Dataset q = ClusteredData(30, 16, 12, 6);
    double hit = 0, total = 0;
    for (uint32_t i = 0; i < q.rows; ++i) {
      SearchParams p;
      p.query = q.row(i);
      p.query_norm = q.norms[i];
      p.k = 10;
      p.nprobe = 4;
      p.partition_mask = &mask;
      std::vector<Candidate> got, truth;
      SearchCounters counters;
      ix->Search(p, accept, &got, &counters);
      EXPECT_EQ(counters.partitions_pruned, ix->nlist() / 2);
      // Only the 4 nearest open partitions were scanned.
      uint64_t most = 0;
      std::vector<uint32_t> sizes;
      for (uint32_t pp = 0; pp < ix->nlist(); pp += 2) {
        sizes.push_back(ix->list_size(pp));
      }
      std::sort(sizes.rbegin(), sizes.rend());
      for (int k = 0; k < 4; ++k) most += sizes[k];
      EXPECT_LE(counters.points_scanned, most);
      for (const Candidate& c : got) EXPECT_TRUE(allowed[c.row]) << c.row;
      flat.Search(p, accept, &truth, nullptr);
      std::set<uint32_t> t;
      for (const auto& c : truth) t.insert(c.row);
      for (const auto& c : got) hit += t.count(c.row);
      total += truth.size();
      // Exact mode scans every open partition and finds the true top k.
      p.exact = true;
      got.clear();
      ix->Search(p, accept, &got, nullptr);
      ASSERT_EQ(got.size(), truth.size());
      for (size_t k = 0; k < got.size(); ++k) {
        EXPECT_EQ(got[k].row, truth[k].row);
      }
    }
    // nprobe counts open partitions, so recall stays what nprobe 4 gives
    // over half the partitions.
    EXPECT_GT(hit / total, 0.9) << int8;
  }
}

}  // namespace
}  // namespace proximadb::index
