// WalCursor (the change feed's reader) and the WAL retention of the writer.
#include <atomic>
#include <chrono>
#include <map>
#include <thread>

#include <gtest/gtest.h>

#include "storage/wal/wal_cursor.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_writer.h"
#include "storage/wal_test_util.h"

namespace proximadb::wal {
namespace {

using testing::FormatName;
using testing::kNoApply;
using testing::MakeBatch;
using testing::TempDir;

class WalCursorTest : public testing::PerFormatTest {
 protected:
  std::unique_ptr<WalWriter> Open(uint64_t next_seq,
                                  WalRetention retention = {}) {
    WalWriterOptions o;
    o.now_micros = [this] { return clock_.load(); };
    o.retention = retention;
    auto w = WalWriter::Open(env_, dir(), fmt(), next_seq, o);
    EXPECT_TRUE(w.ok()) << w.status().ToString();
    return w.ok() ? std::move(w).value() : nullptr;
  }
  void Write(WalWriter* w, uint32_t i) {
    WalBatch b = MakeBatch(i);
    ASSERT_TRUE(w->Write(&b, kNoApply).ok());
  }
  // Everything the cursor delivers up to `upto`, as seqs.
  std::vector<uint64_t> Drain(WalCursor* c, uint64_t upto,
                              Status* status = nullptr) {
    std::vector<uint64_t> seqs;
    while (true) {
      auto n = c->Read(upto, 3, [&](const WalBatch& b) {
        seqs.push_back(b.seq);
        EXPECT_EQ(b, Expected(b.seq)) << "seq " << b.seq;
        return true;
      });
      if (!n.ok()) {
        if (status != nullptr) *status = n.status();
        ADD_FAILURE_IF(status == nullptr, n.status());
        break;
      }
      if (*n == 0) break;
    }
    return seqs;
  }
  static void ADD_FAILURE_IF(bool yes, const Status& s) {
    if (yes) ADD_FAILURE() << s.ToString();
  }
  // Batch i was written as seq i in these tests, at time clock_ then.
  WalBatch Expected(uint64_t seq) {
    WalBatch b = MakeBatch(static_cast<uint32_t>(seq));
    b.seq = seq;
    b.time_unix_micros = times_.at(seq);
    return b;
  }
  void WriteTimed(WalWriter* w, uint32_t i) {
    WalBatch b = MakeBatch(i);
    ASSERT_TRUE(w->Write(&b, kNoApply).ok());
    ASSERT_EQ(b.seq, i);
    times_[i] = b.time_unix_micros;
  }
  std::string dir() const { return tmp_.path() + "/wal"; }

  TempDir tmp_;
  Env* env_ = Env::Default();
  std::atomic<uint64_t> clock_{1'000'000};
  std::map<uint64_t, uint64_t> times_;
};

static std::vector<uint64_t> Range(uint64_t from, uint64_t to) {
  std::vector<uint64_t> v;
  for (uint64_t s = from; s <= to; ++s) v.push_back(s);
  return v;
}

// The cursor follows the writer across rotations, from any position, and
// never past the bound it is given.
TEST_P(WalCursorTest, FollowsRotationsFromAnyPosition) {
  auto w = Open(1);
  for (uint32_t i = 1; i <= 10; ++i) {
    WriteTimed(w.get(), i);
    if (i % 4 == 0) {
      ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
    }
  }
  for (uint64_t from : {1u, 3u, 4u, 5u, 9u, 10u}) {
    WalCursor c(env_, dir(), fmt(), from);
    EXPECT_EQ(Drain(&c, 7),
              from <= 7 ? Range(from, 7) : std::vector<uint64_t>{});
    EXPECT_EQ(Drain(&c, w->last_seq()), Range(std::max<uint64_t>(from, 8), 10))
        << "from " << from;
    EXPECT_EQ(c.next_seq(), 11u);
  }
  // Later writes, in the current file and after another rotation, reach a
  // cursor that is already at the end.
  WalCursor c(env_, dir(), fmt(), 11);
  EXPECT_TRUE(Drain(&c, w->last_seq()).empty());
  WriteTimed(w.get(), 11);
  ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
  WriteTimed(w.get(), 12);
  EXPECT_EQ(Drain(&c, w->last_seq()), Range(11, 12));
}

// A position whose file was removed is kOutOfRange naming the oldest
// sequence left.
TEST_P(WalCursorTest, RemovedPositionIsOutOfRange) {
  auto w = Open(1);
  for (uint32_t i = 1; i <= 6; ++i) {
    WriteTimed(w.get(), i);
    if (i == 3) {
      ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
    }
  }
  ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
  ASSERT_TRUE(w->RemoveObsoleteFiles(3).ok());
  EXPECT_EQ(w->first_retained_seq(), 4u);
  WalCursor c(env_, dir(), fmt(), 2);
  Status s;
  EXPECT_TRUE(Drain(&c, 6, &s).empty());
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
  EXPECT_NE(s.message().find("oldest available is 4"), std::string::npos)
      << s.ToString();
  WalCursor ok(env_, dir(), fmt(), 4);
  EXPECT_EQ(Drain(&ok, 6), Range(4, 6));
}

// A reader at the end of a file whose successor the retention removed
// meanwhile is kOutOfRange too, not a false corruption.
TEST_P(WalCursorTest, NextFileRemovedUnderTheReaderIsOutOfRange) {
  auto w = Open(1);
  for (uint32_t i = 1; i <= 6; ++i) {
    WriteTimed(w.get(), i);
    if (i % 3 == 0) {
      ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
    }
  }
  WalCursor c(env_, dir(), fmt(), 1);
  EXPECT_EQ(Drain(&c, 3), Range(1, 3));  // at the end of wal-1
  ASSERT_TRUE(w->RemoveObsoleteFiles(6).ok());
  EXPECT_EQ(w->first_retained_seq(), 7u);
  Status s;
  EXPECT_TRUE(Drain(&c, 6, &s).empty());
  EXPECT_EQ(s.code(), StatusCode::kOutOfRange) << s.ToString();
  EXPECT_NE(s.message().find("oldest available is 7"), std::string::npos)
      << s.ToString();
}

// A damaged record is kCorruption, not a short feed.
TEST_P(WalCursorTest, DamagedRecordIsCorruption) {
  auto w = Open(1);
  for (uint32_t i = 1; i <= 3; ++i) WriteTimed(w.get(), i);
  w.reset();
  const std::string path = dir() + "/" + WalFileName(1);
  auto size = env_->GetFileSize(path);
  ASSERT_TRUE(size.ok());
  {
    auto data = env_->ReadFileToString(path);
    ASSERT_TRUE(data.ok());
    (*data)[*size - 6] ^= 0x40;  // inside the last record's payload
    ASSERT_TRUE(env_->WriteFileAtomically(path, *data).ok());
  }
  WalCursor c(env_, dir(), fmt(), 1);
  Status s;
  EXPECT_EQ(Drain(&c, 3, &s), Range(1, 2));
  EXPECT_EQ(s.code(), StatusCode::kCorruption) << s.ToString();
}

// Retention keeps flushed files by age and bytes, newest first; the flush
// size trigger counts only what is after the fence.
TEST_P(WalCursorTest, RetentionKeepsNewestFilesByAgeAndBytes) {
  WalRetention r;
  r.max_age_micros = 10'000'000;  // 10 s
  r.max_bytes = 1 << 20;
  auto w = Open(1, r);
  for (uint32_t i = 1; i <= 8; ++i) {
    clock_ = 1'000'000 + i * 2'000'000ull;  // record i at 1 + 2i s
    WriteTimed(w.get(), i);
    if (i % 2 == 0) {
      ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
    }
  }
  // Files: [1,2] [3,4] [5,6] [7,8] + empty current [9..).
  const uint64_t before = w->live_bytes();
  EXPECT_EQ(w->BytesAfter(8), w->BytesAfter(100));
  EXPECT_LT(w->BytesAfter(8), before / 4);
  EXPECT_EQ(w->BytesAfter(0), before);
  // Now 20 s: files whose last record is 10 s old or older go: [1,2]
  // (5 s) and [3,4] (9 s); [5,6] (13 s) and [7,8] (17 s) stay.
  clock_ = 20'000'000;
  ASSERT_TRUE(w->RemoveObsoleteFiles(8).ok());
  EXPECT_EQ(w->first_retained_seq(), 5u);
  WalCursor c(env_, dir(), fmt(), 5);
  EXPECT_EQ(Drain(&c, 8), Range(5, 8));
  // A fence below a file keeps it whatever its age.
  clock_ = 1'000'000'000;
  ASSERT_TRUE(w->RemoveObsoleteFiles(6).ok());
  EXPECT_EQ(w->first_retained_seq(), 7u);
  // A byte cap smaller than one file keeps none.
  w.reset();
  r.max_bytes = 10;
  w = Open(9, r);
  clock_ = 1'000'000'001;
  ASSERT_TRUE(w->RemoveObsoleteFiles(8).ok());
  EXPECT_EQ(w->first_retained_seq(), 9u);
}

// After a restart, files are aged by their modification time.
TEST_P(WalCursorTest, RetentionAfterReopenUsesFileTimes) {
  WalRetention r;
  r.max_age_micros = 3600ull * 1'000'000;  // an hour
  r.max_bytes = 1 << 20;
  clock_ = 1'000'000'000'000;  // not the real time: mtimes are real
  auto w = Open(1, r);
  for (uint32_t i = 1; i <= 4; ++i) {
    WriteTimed(w.get(), i);
    ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
  }
  w.reset();
  w = Open(5, r);
  const uint64_t now_real = static_cast<uint64_t>(
      std::chrono::duration_cast<std::chrono::microseconds>(
          std::chrono::system_clock::now().time_since_epoch())
          .count());
  clock_ = now_real;  // the files were written seconds ago: all kept
  ASSERT_TRUE(w->RemoveObsoleteFiles(4).ok());
  EXPECT_EQ(w->first_retained_seq(), 1u);
  clock_ = now_real + 2 * r.max_age_micros;  // two hours later: all gone
  ASSERT_TRUE(w->RemoveObsoleteFiles(4).ok());
  EXPECT_EQ(w->first_retained_seq(), 5u);
}

// A follower waiting for the next sequence wakes when it is durable, and
// when the writer closes.
TEST_P(WalCursorTest, WaitForSeqAfterWakesOnWriteAndClose) {
  auto w = Open(1);
  std::atomic<uint64_t> seen{0};
  std::thread t([&] { seen = w->WaitForSeqAfter(0, 60'000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  WriteTimed(w.get(), 1);
  t.join();
  EXPECT_EQ(seen.load(), 1u);
  const auto start = std::chrono::steady_clock::now();
  std::thread t2([&] { seen = w->WaitForSeqAfter(1, 60'000); });
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(w->Close().ok());
  t2.join();
  EXPECT_EQ(seen.load(), 1u);
  EXPECT_LT(std::chrono::steady_clock::now() - start, std::chrono::seconds(30));
  EXPECT_EQ(w->WaitForSeqAfter(0, 10), 1u);
}

// Writers and a follower at once: the follower sees every acknowledged
// record exactly once, in order.
TEST_P(WalCursorTest, ConcurrentWritersAndFollower) {
  auto w = Open(1);
  constexpr int kThreads = 3, kEach = 200;
  std::atomic<bool> done{false};
  std::vector<uint64_t> seqs;
  std::thread follower([&] {
    WalCursor c(env_, dir(), fmt(), 1);
    while (true) {
      const bool last = done.load();
      auto n = c.Read(w->last_seq(), 50, [&](const WalBatch& b) {
        seqs.push_back(b.seq);
        return true;
      });
      ASSERT_TRUE(n.ok()) << n.status().ToString();
      if (last && *n == 0) break;
      if (*n == 0) w->WaitForSeqAfter(c.next_seq() - 1, 50);
    }
  });
  std::vector<std::thread> writers;
  for (int t = 0; t < kThreads; ++t) {
    writers.emplace_back([&, t] {
      for (int i = 0; i < kEach; ++i) {
        WalBatch b = MakeBatch(static_cast<uint32_t>(t * kEach + i));
        ASSERT_TRUE(w->Write(&b, kNoApply).ok());
        if (t == 0 && i % 50 == 49) {
          ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
        }
      }
    });
  }
  for (auto& t : writers) t.join();
  done = true;
  follower.join();
  EXPECT_EQ(seqs, Range(1, kThreads * kEach));
}

// ScanWalFile (point-in-time restore's cut) and the archive's hold on the
// writer's files.
TEST_P(WalCursorTest, ScanWalFileCutsAtASequenceOrATime) {
  auto w = Open(1);
  for (uint32_t i = 1; i <= 10; ++i) {
    clock_.store(1000 * i);
    WriteTimed(w.get(), i);
  }
  ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
  std::vector<SealedWalFile> sealed = w->SealedFiles();
  ASSERT_EQ(sealed.size(), 1u);
  EXPECT_EQ(sealed[0].first_seq, 1u);
  EXPECT_EQ(sealed[0].last_seq, 10u);
  const std::string path = sealed[0].path;

  auto all = ScanWalFile(env_, path, fmt(), 1,
                         [](uint64_t, uint64_t) { return true; });
  ASSERT_TRUE(all.ok()) << all.status().ToString();
  EXPECT_TRUE(all->whole);
  EXPECT_EQ(all->records, 10u);
  EXPECT_EQ(all->last_seq, 10u);
  EXPECT_EQ(all->last_time_micros, 10000u);
  EXPECT_EQ(all->bytes, *env_->GetFileSize(path));

  auto by_time = ScanWalFile(env_, path, fmt(), 1,
                             [](uint64_t, uint64_t t) { return t <= 6500; });
  ASSERT_TRUE(by_time.ok());
  EXPECT_FALSE(by_time->whole);
  EXPECT_EQ(by_time->records, 6u);
  EXPECT_EQ(by_time->last_seq, 6u);
  EXPECT_EQ(by_time->last_time_micros, 6000u);
  // Cut there, the file replays exactly records 1..6.
  ASSERT_TRUE(w->Close().ok());
  ASSERT_TRUE(env_->TruncateFile(path, by_time->bytes).ok());
  std::vector<uint64_t> seqs;
  WalReplayInfo info;
  ASSERT_TRUE(ReplayWal(
                  env_, dir(), fmt(), 0,
                  [&](const WalBatch& b) {
                    seqs.push_back(b.seq);
                    EXPECT_EQ(b, Expected(b.seq));
                    return Status::OK();
                  },
                  &info)
                  .ok());
  EXPECT_EQ(seqs, Range(1, 6));
  EXPECT_FALSE(info.torn.has_value());

  // A wrong first sequence or a damaged record is an error, not a prefix.
  EXPECT_FALSE(ScanWalFile(env_, path, fmt(), 2, [](uint64_t, uint64_t) {
                 return true;
               }).ok());
  auto data = env_->ReadFileToString(path);
  ASSERT_TRUE(data.ok());
  std::string bad = *data;
  bad[bad.size() - 3] ^= 0x40;  // the last record's payload CRC
  ASSERT_TRUE(env_->WriteFileAtomically(path, bad).ok());
  auto damaged = ScanWalFile(env_, path, fmt(), 1,
                             [](uint64_t, uint64_t) { return true; });
  EXPECT_TRUE(damaged.status().IsCorruption()) << damaged.status().ToString();
}

TEST_P(WalCursorTest, ArchiveFloorHoldsFilesTheArchiveLacks) {
  WalWriterOptions o;
  o.now_micros = [this] { return clock_.load(); };
  o.hold_for_archive = true;  // retention none: only the hold keeps files
  auto opened = WalWriter::Open(env_, dir(), fmt(), 1, o);
  ASSERT_TRUE(opened.ok());
  auto w = std::move(opened).value();
  for (uint32_t i = 1; i <= 9; ++i) {
    Write(w.get(), i);
    if (i % 3 == 0) {
      ASSERT_TRUE(w->Rotate([](uint64_t) {}).ok());
    }
  }
  ASSERT_EQ(w->SealedFiles().size(), 3u);
  ASSERT_TRUE(w->RemoveObsoleteFiles(9).ok());
  EXPECT_EQ(w->SealedFiles().size(), 3u);  // nothing archived yet
  w->SetArchiveFloor(6);
  ASSERT_TRUE(w->RemoveObsoleteFiles(9).ok());
  ASSERT_EQ(w->SealedFiles().size(), 1u);  // 7..9 still lacks
  EXPECT_EQ(w->SealedFiles()[0].first_seq, 7u);
  w->SetArchiveFloor(kNoArchiveFloor);
  ASSERT_TRUE(w->RemoveObsoleteFiles(9).ok());
  EXPECT_TRUE(w->SealedFiles().empty());
  EXPECT_FALSE(w->current_file_has_records());
  Write(w.get(), 10);
  EXPECT_TRUE(w->current_file_has_records());
}

INSTANTIATE_TEST_SUITE_P(Formats, WalCursorTest,
                         ::testing::Values(WalFormat::kNative,
                                           WalFormat::kAvro),
                         [](const auto& info) {
                           return std::string(FormatName(info.param));
                         });

}  // namespace
}  // namespace proximadb::wal
