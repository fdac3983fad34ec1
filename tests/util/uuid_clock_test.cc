#include <set>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "util/manual_clock.h"
#include "util/uuid.h"

namespace proximadb {
namespace {

TEST(UuidTest, FormatAndBits) {
  for (int i = 0; i < 1000; ++i) {
    std::string u = NewUuidV4();
    ASSERT_EQ(u.size(), 36u);
    for (size_t j = 0; j < u.size(); ++j) {
      if (j == 8 || j == 13 || j == 18 || j == 23) {
        ASSERT_EQ(u[j], '-');
      } else {
        ASSERT_TRUE(std::isxdigit(static_cast<unsigned char>(u[j])) &&
                    !std::isupper(static_cast<unsigned char>(u[j])))
            << u;
      }
    }
    EXPECT_EQ(u[14], '4') << u;
    EXPECT_NE(std::string("89ab").find(u[19]), std::string::npos) << u;
  }
}

TEST(UuidTest, UniqueAcrossThreads) {
  std::vector<std::vector<std::string>> out(4);
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&out, t] {
      for (int i = 0; i < 2000; ++i) out[t].push_back(NewUuidV4());
    });
  }
  for (auto& th : threads) th.join();
  std::set<std::string> all;
  for (auto& v : out) all.insert(v.begin(), v.end());
  EXPECT_EQ(all.size(), 8000u);
}

TEST(ClockTest, RealAndManual) {
  uint64_t a = Clock::Real()->NowMicros();
  EXPECT_GT(a, uint64_t{1600000000} * 1000000);  // after 2020
  EXPECT_GE(Clock::Real()->NowMicros(), a);
  ManualClock c(5);
  EXPECT_EQ(c.NowMicros(), 5u);
  c.Advance(10);
  EXPECT_EQ(c.NowMicros(), 15u);
  c.Set(3);
  EXPECT_EQ(c.NowMicros(), 3u);
}

}  // namespace
}  // namespace proximadb
