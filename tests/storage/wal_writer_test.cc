#include <atomic>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "storage/wal/wal_format.h"
#include "storage/wal/wal_writer.h"
#include "storage/wal_test_util.h"

namespace proximadb::wal {
namespace {

using testing::FormatName;
using testing::kNoApply;
using testing::MakeBatch;
using testing::ReplayAll;
using testing::TempDir;

class WalWriterTest : public testing::PerFormatTest {
 protected:
  TempDir tmp_;
  Env* env_ = Env::Default();
  std::string dir() const { return tmp_.path() + "/wal"; }
};

// Records carry the time of their group commit from the writer's clock,
// never decreasing, also when the clock goes back and across a reopen.
TEST_P(WalWriterTest, RecordsCarryANonDecreasingTime) {
  uint64_t clock = 5'000'000;
  WalWriterOptions o;
  o.now_micros = [&clock] { return clock; };
  std::vector<uint64_t> times;
  {
    auto w = WalWriter::Open(env_, dir(), fmt(), 1, o);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (uint64_t t :
         {5'000'000ull, 7'000'000ull, 6'000'000ull, 9'000'000ull}) {
      clock = t;
      WalBatch b = MakeBatch(1);
      ASSERT_TRUE((*w)->Write(&b, kNoApply).ok());
      times.push_back(b.time_unix_micros);
    }
  }
  // The clock went back for the third record: it keeps the second's time.
  EXPECT_EQ(times, (std::vector<uint64_t>{5'000'000, 7'000'000, 7'000'000,
                                          9'000'000}));
  WalReplayInfo info;
  auto replayed = ReplayAll(env_, dir(), fmt(), 0, &info);
  ASSERT_EQ(replayed.size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(replayed[i].time_unix_micros, times[i]);
  }
  // Reopened with the last replayed time and a clock behind it.
  clock = 1'000'000;
  o.last_time_micros = replayed.back().time_unix_micros;
  auto w = WalWriter::Open(env_, dir(), fmt(), 5, o);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  WalBatch b = MakeBatch(2);
  ASSERT_TRUE((*w)->Write(&b, kNoApply).ok());
  EXPECT_EQ(b.time_unix_micros, 9'000'000u);
}

// A record of the type written before WAL times (1) still reads, with no
// time; a timed record too short for its time is corruption.
TEST_P(WalWriterTest, UntimedRecordsStillReadAndShortTimedOnesAreRefused) {
  auto codec = NewRecordCodec(fmt());
  WalBatch b = MakeBatch(3);
  b.seq = 1;
  std::string prefix;
  codec->AppendSeqPrefix(1, &prefix);
  std::string body;
  ASSERT_TRUE(codec->EncodeBody(b, &body).ok());
  std::string file = FileHeader(static_cast<uint32_t>(fmt()));
  AppendRecord(&file, 1, prefix, body);  // type 1
  ASSERT_TRUE(env_->CreateDirIfMissing(dir()).ok());
  ASSERT_TRUE(
      env_->WriteFileAtomically(dir() + "/" + WalFileName(1), file).ok());
  WalReplayInfo info;
  auto replayed = ReplayAll(env_, dir(), fmt(), 0, &info);
  ASSERT_EQ(replayed.size(), 1u);
  EXPECT_EQ(replayed[0], b);  // time 0
  EXPECT_EQ(replayed[0].time_unix_micros, 0u);

  std::string bad = FileHeader(static_cast<uint32_t>(fmt()));
  AppendRecord(&bad, 1, "", "1234567", RecordType::kTimedBatch);
  AppendRecord(&bad, 2, prefix, body);  // so the short one is not the tail
  ASSERT_TRUE(
      env_->WriteFileAtomically(dir() + "/" + WalFileName(1), bad).ok());
  WalReplayOptions ro;
  ro.format = fmt();
  Status s = ReplayWal(
      env_, dir(), ro, [](const WalBatch&) { return Status::OK(); }, &info);
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
  EXPECT_NE(s.message().find("shorter than its time"), std::string::npos)
      << s.ToString();
}

TEST_P(WalWriterTest, RoundTripThroughReplay) {
  std::vector<WalBatch> written;
  {
    auto w = WalWriter::Open(env_, dir(), fmt(), 1);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (uint32_t i = 0; i < 200; ++i) {
      WalBatch b = MakeBatch(i, i % 2 ? 3 : 768);
      if (i == 7) b.ops.clear();  // an empty batch is still a record
      ASSERT_TRUE((*w)->Write(&b, kNoApply).ok());
      EXPECT_EQ(b.seq, i + 1u);
      written.push_back(b);
    }
    EXPECT_EQ((*w)->last_seq(), 200u);
    EXPECT_EQ((*w)->live_bytes(),
              *env_->GetFileSize(dir() + "/" + WalFileName(1)));
    ASSERT_TRUE((*w)->Close().ok());
    WalBatch b = MakeBatch(0);
    EXPECT_EQ((*w)->Write(&b, kNoApply).code(),
              StatusCode::kFailedPrecondition);
  }
  WalReplayInfo info;
  EXPECT_EQ(ReplayAll(env_, dir(), fmt(), 0, &info), written);
  EXPECT_EQ(info.last_seq, 200u);
  EXPECT_EQ(info.records, 200u);
  EXPECT_EQ(info.files, 1u);
  EXPECT_FALSE(info.truncated_tail);

  // Fencing: only records after the fence are delivered.
  auto tail = ReplayAll(env_, dir(), fmt(), 150, &info);
  ASSERT_EQ(tail.size(), 50u);
  EXPECT_EQ(tail.front().seq, 151u);
  EXPECT_EQ(info.last_seq, 200u);

  // The wrong format is refused, naming the file.
  Status s;
  ReplayAll(env_, dir(),
            fmt() == WalFormat::kAvro ? WalFormat::kNative : WalFormat::kAvro,
            0, &info, &s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();

  // Reopening continues after the replayed sequence in a new file.
  auto w = WalWriter::Open(env_, dir(), fmt(), 201);
  ASSERT_TRUE(w.ok()) << w.status().ToString();
  WalBatch b = MakeBatch(1000);
  ASSERT_TRUE((*w)->Write(&b, kNoApply).ok());
  EXPECT_EQ(b.seq, 201u);
  // A stale next_seq is refused rather than interleaving sequences.
  ASSERT_TRUE((*w)->Close().ok());
  EXPECT_EQ(WalWriter::Open(env_, dir(), fmt(), 5).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReplayAll(env_, dir(), fmt(), 0, &info).size(), 201u);
  EXPECT_EQ(info.files, 2u);
}

TEST_P(WalWriterTest, GroupCommitUnderConcurrentWriters) {
  auto w = WalWriter::Open(env_, dir(), fmt(), 1);
  ASSERT_TRUE(w.ok());
  constexpr int kThreads = 8, kWrites = 500;
  std::mutex applied_mu;
  std::vector<uint64_t> applied;  // in apply order
  std::vector<std::vector<uint64_t>> acked(kThreads);
  std::atomic<int> errors{0};
  WalWriter::ApplyFn apply = [&](const WalBatch& b) {
    std::lock_guard l(applied_mu);
    applied.push_back(b.seq);
  };
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        WalBatch b = MakeBatch(t * kWrites + i, 16);
        if (!(*w)->Write(&b, apply).ok()) errors++;
        acked[t].push_back(b.seq);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(errors.load(), 0);
  const uint64_t total = kThreads * kWrites;
  EXPECT_EQ((*w)->last_seq(), total);

  // Apply order == seq order, each exactly once.
  ASSERT_EQ(applied.size(), total);
  for (uint64_t i = 0; i < total; ++i) ASSERT_EQ(applied[i], i + 1);
  // Seqs unique & contiguous; each thread's own writes in increasing order.
  std::set<uint64_t> seqs;
  for (auto& v : acked) {
    EXPECT_TRUE(std::is_sorted(v.begin(), v.end()));
    seqs.insert(v.begin(), v.end());
  }
  EXPECT_EQ(seqs.size(), total);
  EXPECT_EQ(*seqs.begin(), 1u);
  EXPECT_EQ(*seqs.rbegin(), total);
  // Group commit: far fewer syncs than writes (+1 for the file header).
  std::printf("%llu writes, %llu syncs\n", (unsigned long long)total,
              (unsigned long long)(*w)->sync_count());
  EXPECT_LT((*w)->sync_count(), total / 2);
  ASSERT_TRUE((*w)->Close().ok());

  // All durable and readable, with the content each writer wrote.
  WalReplayInfo info;
  auto replayed = ReplayAll(env_, dir(), fmt(), 0, &info);
  ASSERT_EQ(replayed.size(), total);
  for (uint64_t i = 0; i < total; ++i) EXPECT_EQ(replayed[i].seq, i + 1);
  for (int t = 0; t < kThreads; ++t) {
    for (int i = 0; i < kWrites; i += 97) {
      WalBatch expect = MakeBatch(t * kWrites + i, 16);
      expect.seq = acked[t][i];
      expect.time_unix_micros = replayed[expect.seq - 1].time_unix_micros;
      EXPECT_NE(expect.time_unix_micros, 0u);
      EXPECT_EQ(replayed[expect.seq - 1], expect);
    }
  }
}

// Each thread reuses one record buffer across writes, and a group's records
// are framed in those buffers: batches of very different sizes, from many
// threads at once, must replay byte for byte (no stale bytes of a larger
// earlier batch, no record framed in the wrong buffer).
TEST_P(WalWriterTest, MixedBatchSizesReplayExactly) {
  auto w = WalWriter::Open(env_, dir(), fmt(), 1);
  ASSERT_TRUE(w.ok());
  constexpr int kThreads = 4, kWrites = 60;
  const size_t dims[] = {3000, 0, 5, 700, 1};
  std::vector<std::vector<WalBatch>> written(kThreads);
  std::atomic<int> errors{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < kWrites; ++i) {
        WalBatch b = MakeBatch(t * kWrites + i, dims[(t + i) % 5]);
        if (!(*w)->Write(&b, kNoApply).ok()) errors++;
        written[t].push_back(b);
      }
    });
  }
  for (auto& th : threads) th.join();
  ASSERT_EQ(errors.load(), 0);
  ASSERT_TRUE((*w)->Close().ok());
  WalReplayInfo info;
  auto replayed = ReplayAll(env_, dir(), fmt(), 0, &info);
  ASSERT_EQ(replayed.size(), size_t{kThreads * kWrites});
  for (auto& per_thread : written) {
    for (const WalBatch& b : per_thread) {
      ASSERT_GE(b.seq, 1u);
      EXPECT_EQ(replayed[b.seq - 1], b) << b.seq;
    }
  }
}

TEST_P(WalWriterTest, RotationRemoveObsoleteAndFencedReplay) {
  auto w = WalWriter::Open(env_, dir(), fmt(), 1);
  ASSERT_TRUE(w.ok());
  auto write = [&](int n) {
    for (int i = 0; i < n; ++i) {
      WalBatch b = MakeBatch(i);
      ASSERT_TRUE((*w)->Write(&b, kNoApply).ok());
    }
  };
  std::vector<uint64_t> switches;
  auto at_switch = [&](uint64_t last) { switches.push_back(last); };
  write(10);                                  // file 1: 1..10
  ASSERT_TRUE((*w)->Rotate(at_switch).ok());  // file 11
  ASSERT_TRUE((*w)->Rotate(at_switch).ok());  // still empty: reused
  write(5);                                   // 11..15
  ASSERT_TRUE((*w)->Rotate(at_switch).ok());  // file 16
  write(5);                                   // 16..20
  EXPECT_EQ(switches, (std::vector<uint64_t>{10, 10, 15}));
  auto names = *env_->GetChildren(dir());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{WalFileName(1), WalFileName(11),
                                             WalFileName(16)}));

  WalReplayInfo info;
  EXPECT_EQ(ReplayAll(env_, dir(), fmt(), 0, &info).size(), 20u);
  EXPECT_EQ(info.files, 3u);
  auto fenced = ReplayAll(env_, dir(), fmt(), 12, &info);
  ASSERT_EQ(fenced.size(), 8u);
  EXPECT_EQ(fenced.front().seq, 13u);

  const uint64_t before = (*w)->live_bytes();
  ASSERT_TRUE((*w)->RemoveObsoleteFiles(9).ok());  // file 1 still needed
  EXPECT_EQ(env_->GetChildren(dir())->size(), 3u);
  ASSERT_TRUE((*w)->RemoveObsoleteFiles(12).ok());  // file 1 goes
  EXPECT_FALSE(env_->FileExists(dir() + "/" + WalFileName(1)));
  EXPECT_LT((*w)->live_bytes(), before);
  ASSERT_TRUE((*w)->RemoveObsoleteFiles(100).ok());  // never the current
  names = *env_->GetChildren(dir());
  EXPECT_EQ(names, (std::vector<std::string>{WalFileName(16)}));
  EXPECT_EQ((*w)->live_bytes(), *env_->GetFileSize(dir() + "/" + names[0]));

  auto rest = ReplayAll(env_, dir(), fmt(), 15, &info);
  ASSERT_EQ(rest.size(), 5u);
  EXPECT_EQ(rest.front().seq, 16u);
  EXPECT_EQ(info.last_seq, 20u);
}

INSTANTIATE_TEST_SUITE_P(Formats, WalWriterTest,
                         ::testing::Values(WalFormat::kNative,
                                           WalFormat::kAvro),
                         [](const auto& info) {
                           return FormatName(info.param);
                         });

}  // namespace
}  // namespace proximadb::wal
