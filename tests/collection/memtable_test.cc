// Both memtable kinds ("btree" and "hash") behind the one Memtable API: the
// same rows, lookups and kills, and ScanLiveFrom in ascending id order from
// any cursor, checked against a std::map model. The hash kind sorts its ids
// on demand and caches the order, so scans after further appends and kills
// (the cache's invalidation) get their own tests.
#include "collection/memtable.h"

#include <gtest/gtest.h>

#include <map>
#include <random>
#include <string>
#include <thread>
#include <vector>

namespace proximadb {
namespace memtable_kind_test {

constexpr uint32_t kMemDim = 4;

// The ids ScanLiveFrom yields from `after`, at most `limit` of them.
std::vector<std::string> ScanIds(const Memtable& m, std::string_view after,
                                 size_t limit = SIZE_MAX) {
  std::vector<std::string> out;
  if (limit == 0) return out;
  m.ScanLiveFrom(after, [&](uint32_t row) {
    EXPECT_FALSE(m.dead(row));
    out.emplace_back(m.id(row));
    return out.size() < limit;
  });
  return out;
}

std::vector<float> VecOf(float x) { return std::vector<float>(kMemDim, x); }

// An upsert as the collection does it: kill the id's older row, append.
uint32_t Upsert(Memtable* m, std::string_view id, float x,
                uint64_t version = 1) {
  if (auto old = m->Find(id)) m->Kill(*old);
  std::vector<float> v = VecOf(x);
  m->Append(id, v.data(), "{\"x\":" + std::to_string(x) + "}", "", 0, version,
            1000);
  return m->rows() - 1;
}

class MemtableKindTest : public ::testing::TestWithParam<MemtableKind> {
 protected:
  Memtable mem_{kMemDim, Metric::kEuclidean, GetParam()};
};

TEST(MemtableKindNameTest, NamesRoundTrip) {
  EXPECT_EQ(MemtableKindFromName("btree"), MemtableKind::kBTree);
  EXPECT_EQ(MemtableKindFromName("hash"), MemtableKind::kHash);
  EXPECT_EQ(MemtableKindFromName("BTree"), std::nullopt);
  EXPECT_EQ(MemtableKindFromName(""), std::nullopt);
  EXPECT_EQ(MemtableKindFromName("map"), std::nullopt);
  for (MemtableKind k : {MemtableKind::kBTree, MemtableKind::kHash}) {
    EXPECT_EQ(MemtableKindFromName(MemtableKindName(k)), k);
  }
  Memtable plain(kMemDim, Metric::kEuclidean);
  EXPECT_EQ(plain.kind(), MemtableKind::kBTree);  // the default
}

TEST_P(MemtableKindTest, AppendFindKill) {
  EXPECT_EQ(mem_.kind(), GetParam());
  EXPECT_EQ(mem_.Find("a"), std::nullopt);
  EXPECT_EQ(Upsert(&mem_, "b", 2, 7), 0u);
  EXPECT_EQ(Upsert(&mem_, "a", 1), 1u);
  EXPECT_EQ(Upsert(&mem_, "c", 3), 2u);
  EXPECT_EQ(mem_.rows(), 3u);
  EXPECT_EQ(mem_.live(), 3u);
  EXPECT_EQ(mem_.Find("a"), 1u);
  EXPECT_EQ(mem_.Find("b"), 0u);
  EXPECT_EQ(mem_.Find("c"), 2u);
  EXPECT_EQ(mem_.Find("d"), std::nullopt);
  EXPECT_EQ(mem_.id(0), "b");
  EXPECT_EQ(mem_.vector(0)[0], 2.0f);
  EXPECT_EQ(mem_.metadata(1), "{\"x\":1.000000}");
  EXPECT_EQ(mem_.version(0), 7u);
  EXPECT_EQ(mem_.oldest_write_micros(), 1000u);

  EXPECT_TRUE(mem_.Kill(0));
  EXPECT_FALSE(mem_.Kill(0));  // already dead
  EXPECT_TRUE(mem_.dead(0));
  EXPECT_EQ(mem_.live(), 2u);
  // A killed id is still known: the lookup stops here.
  EXPECT_EQ(mem_.Find("b"), 0u);
  EXPECT_EQ(ScanIds(mem_, ""), (std::vector<std::string>{"a", "c"}));
}

TEST_P(MemtableKindTest, OverwriteKeepsTheOldRowDeadAndFindsTheNewOne) {
  Upsert(&mem_, "id-1", 1);
  Upsert(&mem_, "id-2", 2);
  EXPECT_EQ(ScanIds(mem_, ""), (std::vector<std::string>{"id-1", "id-2"}));
  EXPECT_EQ(Upsert(&mem_, "id-1", 10), 2u);
  EXPECT_EQ(mem_.rows(), 3u);
  EXPECT_EQ(mem_.live(), 2u);
  EXPECT_TRUE(mem_.dead(0));
  EXPECT_EQ(mem_.Find("id-1"), 2u);
  EXPECT_EQ(mem_.id(0), "id-1");  // the dead row still names its id
  EXPECT_EQ(mem_.id(2), "id-1");
  EXPECT_EQ(mem_.vector(2)[0], 10.0f);
  std::vector<uint32_t> rows;
  mem_.ScanLiveFrom("", [&](uint32_t r) {
    rows.push_back(r);
    return true;
  });
  EXPECT_EQ(rows, (std::vector<uint32_t>{2, 1}));
}

TEST_P(MemtableKindTest, ScanIsInIdOrderAndResumesAfterACursor) {
  for (const char* id : {"m", "c", "x", "a", "q", "e"}) Upsert(&mem_, id, 0);
  mem_.Kill(*mem_.Find("q"));
  EXPECT_EQ(ScanIds(mem_, ""),
            (std::vector<std::string>{"a", "c", "e", "m", "x"}));
  EXPECT_EQ(ScanIds(mem_, "c"), (std::vector<std::string>{"e", "m", "x"}));
  // A cursor that is no id here, and one past every id.
  EXPECT_EQ(ScanIds(mem_, "d"), (std::vector<std::string>{"e", "m", "x"}));
  EXPECT_EQ(ScanIds(mem_, "n"), (std::vector<std::string>{"x"}));
  EXPECT_EQ(ScanIds(mem_, "q"), (std::vector<std::string>{"x"}));
  EXPECT_TRUE(ScanIds(mem_, "z").empty());
  // Pages of two, each resumed after the previous page's last id.
  std::vector<std::string> all, page;
  std::string after;
  while (!(page = ScanIds(mem_, after, 2)).empty()) {
    all.insert(all.end(), page.begin(), page.end());
    after = page.back();
  }
  EXPECT_EQ(all, ScanIds(mem_, ""));
}

TEST_P(MemtableKindTest, OrderIsByteOrderForSharedPrefixesAndHighBytes) {
  // Ids equal in their first 8 bytes, ids that are prefixes of others, an
  // embedded NUL, and bytes >= 0x80 (which sort after ASCII).
  std::vector<std::string> ids = {
      "abcdefgh",  "abcdefghi", "abcdefg", "abcdefgh0", "abcdefgg",
      "b",         "a",         "\xff",    "\x80zz",    "abcdefghzzzzzzzzzzz",
      "abcdefgha", "0",         "~"};
  ids.push_back(std::string("a\0b", 3));
  for (size_t i = 0; i < ids.size(); ++i) Upsert(&mem_, ids[i], i);
  std::map<std::string, int> model;
  for (const auto& id : ids) model[id] = 0;
  std::vector<std::string> want;
  for (const auto& [id, unused] : model) want.push_back(id);
  EXPECT_EQ(ScanIds(mem_, ""), want);
  for (size_t i = 0; i < want.size(); ++i) {
    EXPECT_EQ(ScanIds(mem_, want[i]),
              std::vector<std::string>(want.begin() + i + 1, want.end()))
        << i;
  }
}

TEST_P(MemtableKindTest, ScanSeesAppendsAndKillsAfterAnEarlierScan) {
  Upsert(&mem_, "b", 0);
  Upsert(&mem_, "d", 0);
  EXPECT_EQ(ScanIds(mem_, ""), (std::vector<std::string>{"b", "d"}));
  // New ids before, between and after; one overwritten twice.
  Upsert(&mem_, "a", 0);
  Upsert(&mem_, "c", 0);
  Upsert(&mem_, "e", 0);
  Upsert(&mem_, "d", 1);
  const uint32_t d_row = Upsert(&mem_, "d", 2);
  EXPECT_EQ(ScanIds(mem_, ""),
            (std::vector<std::string>{"a", "b", "c", "d", "e"}));
  std::vector<uint32_t> rows;
  mem_.ScanLiveFrom("c", [&](uint32_t r) {
    rows.push_back(r);
    return true;
  });
  ASSERT_EQ(rows.size(), 2u);
  EXPECT_EQ(rows[0], d_row);
  EXPECT_EQ(mem_.vector(rows[0])[0], 2.0f);
  // A kill alone (no append) shows at once.
  mem_.Kill(*mem_.Find("b"));
  EXPECT_EQ(ScanIds(mem_, ""), (std::vector<std::string>{"a", "c", "d", "e"}));
  // A killed id written again comes back.
  Upsert(&mem_, "b", 3);
  EXPECT_EQ(ScanIds(mem_, "a"), (std::vector<std::string>{"b", "c", "d", "e"}));
}

TEST_P(MemtableKindTest, LongIdsKeepTheirBytes) {
  // Longer than a quarter of the id arena's block: an allocation of its own.
  const std::string long_a(20000, 'a'), long_b(30000, 'b');
  Upsert(&mem_, long_b, 1);
  Upsert(&mem_, long_a, 2);
  Upsert(&mem_, long_b, 3);  // overwrite: the copy is given back
  Upsert(&mem_, "short", 4);
  EXPECT_EQ(mem_.id(0), long_b);
  EXPECT_EQ(mem_.id(1), long_a);
  EXPECT_EQ(mem_.id(2), long_b);
  EXPECT_EQ(mem_.id(3), "short");
  EXPECT_EQ(mem_.Find(long_b), 2u);
  EXPECT_EQ(ScanIds(mem_, ""),
            (std::vector<std::string>{long_a, long_b, "short"}));
}

// Random upserts and deletes on 10,000 ids, with paged scans from random
// cursors now and then, against a std::map of the live ids.
TEST_P(MemtableKindTest, RandomOperationsMatchAMapModel) {
  std::mt19937 rng(GetParam() == MemtableKind::kHash ? 17 : 18);
  std::vector<std::string> pool;
  const char* alphabet = "0123456789abcdef-";
  std::uniform_int_distribution<int> len(1, 40), ch(0, 16);
  for (int i = 0; i < 10000; ++i) {
    // Half share a long prefix, so the full comparison is exercised.
    std::string id = i % 2 ? "tenant-0000:" : "";
    for (int n = len(rng); n > 0; --n) id += alphabet[ch(rng)];
    pool.push_back(std::move(id));
  }
  std::map<std::string, uint32_t> model;  // live id -> row
  std::map<std::string, uint32_t> known;  // every id written -> newest row
  std::uniform_int_distribution<size_t> pick(0, pool.size() - 1);
  std::uniform_int_distribution<int> op(0, 99);
  for (int step = 0; step < 40000; ++step) {
    const std::string& id = pool[pick(rng)];
    const int o = op(rng);
    if (o < 75) {
      const uint32_t row = Upsert(&mem_, id, step);
      model[id] = row;
      known[id] = row;
    } else if (o < 95) {
      if (auto old = mem_.Find(id)) mem_.Kill(*old);
      model.erase(id);
    } else {
      // A page from a random cursor (an id or not).
      // Cursors: none, an id (written or not), or between ids.
      std::string after;
      if (o == 98) after = pool[pick(rng)];
      if (o < 98) after = pool[pick(rng)] + "~";
      std::vector<std::string> want;
      for (auto it = after.empty() ? model.begin() : model.upper_bound(after);
           it != model.end() && want.size() < 50; ++it) {
        want.push_back(it->first);
      }
      ASSERT_EQ(ScanIds(mem_, after, 50), want) << "step " << step;
    }
  }
  EXPECT_EQ(mem_.live(), model.size());
  for (const auto& id : pool) {
    auto k = known.find(id);
    ASSERT_EQ(mem_.Find(id),
              k == known.end() ? std::nullopt : std::optional(k->second));
  }
  std::vector<uint32_t> rows;
  mem_.ScanLiveFrom("", [&](uint32_t r) {
    rows.push_back(r);
    return true;
  });
  ASSERT_EQ(rows.size(), model.size());
  size_t i = 0;
  for (const auto& [id, row] : model) EXPECT_EQ(rows[i++], row) << id;
}

// Readers under the collection's shared lock scan at the same time; the
// first of them builds the hash kind's order while the others wait on it.
TEST_P(MemtableKindTest, ConcurrentScansAgree) {
  std::mt19937 rng(5);
  std::map<std::string, int> model;
  for (int i = 0; i < 5000; ++i) {
    std::string id = "p";
    id += std::to_string(rng());
    Upsert(&mem_, id, i);
    model[id] = i;
  }
  std::vector<std::string> want;
  for (const auto& [id, unused] : model) want.push_back(id);
  std::vector<std::vector<std::string>> got(4);
  std::vector<std::thread> threads;
  for (auto& g : got) {
    threads.emplace_back([&] { g = ScanIds(mem_, ""); });
  }
  for (auto& t : threads) t.join();
  for (const auto& g : got) EXPECT_EQ(g, want);
}

INSTANTIATE_TEST_SUITE_P(Kinds, MemtableKindTest,
                         ::testing::Values(MemtableKind::kBTree,
                                           MemtableKind::kHash),
                         [](const auto& info) {
                           return std::string(MemtableKindName(info.param));
                         });

}  // namespace memtable_kind_test
}  // namespace proximadb
