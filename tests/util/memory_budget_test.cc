// MemoryBudget: parts counted by difference, admission against the limit,
// flushes wanted from half of it, and reporters that take back what they
// reported.
#include "util/memory_budget.h"

#include <gtest/gtest.h>

#include <memory>

namespace proximadb {
namespace {

TEST(MemoryBudgetTest, CountsByPartAndAdmitsUpToTheLimit) {
  auto budget = std::make_shared<MemoryBudget>(100 << 20);
  MemoryBudget& b = *budget;
  int pressure = 0;
  b.set_on_pressure([&] { ++pressure; });
  MemoryReporter one(budget), two(budget);
  one.SetMemtables(30 << 20);
  two.SetMemtables(10 << 20);
  MemoryUsage seg;
  seg.graphs = 5 << 20;
  seg.payload_indexes = 1 << 20;
  one.SetSegments(seg);
  EXPECT_EQ(b.used().memtables, uint64_t{40} << 20);
  EXPECT_EQ(b.used().graphs, uint64_t{5} << 20);
  EXPECT_EQ(b.total(), uint64_t{46} << 20);
  EXPECT_FALSE(b.FlushWanted());
  EXPECT_TRUE(b.Admit(54 << 20, "c").ok());
  EXPECT_EQ(pressure, 0);

  two.SetMemtables(20 << 20);  // 56 MiB: past half
  EXPECT_TRUE(b.FlushWanted());
  EXPECT_TRUE(b.Admit(44 << 20, "c").ok());
  EXPECT_EQ(pressure, 1);
  Status s = b.Admit((44 << 20) + 1, "c");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable) << s.ToString();
  for (const char* needle :
       {"collection 'c'", "memory_limit_mb = 100", "56 MiB", "memtables 50 MiB",
        "graphs 5 MiB", "payload_indexes 1 MiB", "flushes free memtables"}) {
    EXPECT_NE(s.message().find(needle), std::string::npos)
        << needle << " not in " << s.message();
  }
  // Reported again: only the difference counts; cleared: all of it goes.
  seg.graphs = 2 << 20;
  one.SetSegments(seg);
  EXPECT_EQ(b.used().graphs, uint64_t{2} << 20);
  EXPECT_EQ(one.reported().graphs, uint64_t{2} << 20);
  one.Clear();
  EXPECT_EQ(b.total(), uint64_t{20} << 20);
  two.Clear();
  EXPECT_EQ(b.total(), 0u);
}

TEST(MemoryBudgetTest, SaysWhenFlushingCannotHelp) {
  auto budget = std::make_shared<MemoryBudget>(10 << 20);
  MemoryBudget& b = *budget;
  MemoryReporter r(budget);
  MemoryUsage seg;
  seg.graphs = 10 << 20;
  r.SetSegments(seg);
  Status s = b.Admit(4096, "big");
  EXPECT_EQ(s.code(), StatusCode::kUnavailable);
  EXPECT_NE(s.message().find("flushing cannot make room"), std::string::npos)
      << s.message();
}

TEST(MemoryBudgetTest, NoLimitCountsButNeverRefuses) {
  auto budget = std::make_shared<MemoryBudget>(0);
  MemoryBudget& b = *budget;
  MemoryReporter r(budget);
  r.SetMemtables(uint64_t{1} << 40);
  EXPECT_EQ(b.total(), uint64_t{1} << 40);
  EXPECT_FALSE(b.FlushWanted());
  EXPECT_TRUE(b.Admit(uint64_t{1} << 40, "c").ok());
  MemoryReporter none(nullptr);  // nothing counted anywhere
  none.SetMemtables(5);
  EXPECT_EQ(none.reported().memtables, 5u);
}

}  // namespace
}  // namespace proximadb
