// IoBudget: the rate and burst arithmetic at fixed times, and real waits.
#include "util/io_budget.h"

#include <gtest/gtest.h>

#include <chrono>
#include <thread>
#include <vector>

namespace proximadb {
namespace {

using std::chrono::milliseconds;
using std::chrono::nanoseconds;
using Steady = IoBudget::Steady;

TEST(IoBudgetTest, TheBurstIsFreeThenBytesArePacedAtTheRate) {
  IoBudget b(1'000'000, milliseconds(100));  // 1 MB/s, 100 ms of burst
  const Steady::time_point t0 = Steady::now();
  // 100 KB is the burst: no wait.
  EXPECT_EQ(b.Reserve(100'000, t0), nanoseconds(0));
  // The next 100 KB are paid for 100 ms from now.
  EXPECT_EQ(b.Reserve(100'000, t0), milliseconds(100));
  // And the next 500 KB at 700 ms (they queue behind what is reserved).
  EXPECT_EQ(b.Reserve(500'000, t0), milliseconds(600));
  // 700 ms later all is paid; 200 ms after that the budget has saved up
  // no more than its burst: 100 KB free, the next 100 KB wait 100 ms.
  const Steady::time_point t1 = t0 + milliseconds(900);
  EXPECT_EQ(b.Reserve(100'000, t1), nanoseconds(0));
  EXPECT_EQ(b.Reserve(100'000, t1), milliseconds(100));
}

TEST(IoBudgetTest, OverAnyIntervalTheGrantedBytesStayWithinRateAndBurst) {
  IoBudget b(4'000'000, milliseconds(50));
  const Steady::time_point t0 = Steady::now();
  // Writers arriving every 1 ms, each asking for 64 KB, for 2 s: what is
  // granted (arrival + wait) by any time t is at most rate * t + burst.
  struct Grant {
    nanoseconds at;
    uint64_t bytes;
  };
  std::vector<Grant> grants;
  for (int i = 0; i < 2000; ++i) {
    const nanoseconds arrive = milliseconds(i);
    grants.push_back({arrive + b.Reserve(65'536, t0 + arrive), 65'536});
  }
  uint64_t total = 0;
  for (const Grant& g : grants) {
    total += g.bytes;
    const double allowed = 4e6 * (double(g.at.count()) / 1e9) + 4e6 * 0.05;
    ASSERT_LE(double(total), allowed + 65'536) << "at " << g.at.count();
  }
  // And it is not stingier than the rate: the last grant is at about
  // total / rate.
  const double expect_s = double(total) / 4e6 - 0.05;
  EXPECT_NEAR(double(grants.back().at.count()) / 1e9, expect_s, 0.01);
}

TEST(IoBudgetTest, AcquireSleepsForItsShare) {
  IoBudget b(10'000'000, milliseconds(0));  // 10 MB/s, no burst
  const auto start = Steady::now();
  nanoseconds waited{0};
  for (int i = 0; i < 10; ++i) waited += b.Acquire(500'000);  // 5 MB
  const double secs =
      std::chrono::duration<double>(Steady::now() - start).count();
  EXPECT_GE(secs, 0.45);
  EXPECT_GE(waited, milliseconds(400));
}

TEST(IoBudgetTest, ConcurrentWritersShareTheRate) {
  IoBudget b(20'000'000, milliseconds(0));  // 20 MB/s
  const auto start = Steady::now();
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) {
    writers.emplace_back([&] {
      for (int i = 0; i < 10; ++i) b.Acquire(250'000);  // 2.5 MB each
    });
  }
  for (auto& t : writers) t.join();
  // 10 MB at 20 MB/s: about 0.5 s whatever the number of writers.
  const double secs =
      std::chrono::duration<double>(Steady::now() - start).count();
  EXPECT_GE(secs, 0.45);
  EXPECT_LT(secs, 5.0);
}

}  // namespace
}  // namespace proximadb
