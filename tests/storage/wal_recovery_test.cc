// Recovery rules: torn tails are cut off, corruption elsewhere is refused,
// and I/O failures never acknowledge a write that replay would not return.
#include <cerrno>
#include <mutex>
#include <set>
#include <thread>

#include <gtest/gtest.h>

#include "storage/wal/wal_format.h"
#include "storage/wal/wal_writer.h"
#include "storage/wal_test_util.h"
#include "util/fault_injection_env.h"

namespace proximadb::wal {
namespace {

using testing::FormatName;
using testing::kNoApply;
using testing::MakeBatch;
using testing::ReplayAll;
using testing::TempDir;

class WalRecoveryTest : public testing::PerFormatTest {
 protected:
  // Writes n batches into a MemEnv; returns the file bytes and the offset at
  // which each record starts (plus the final size).
  void WriteLog(int n, std::string* content, std::vector<uint64_t>* offsets) {
    auto env = NewMemEnv();
    auto w = WalWriter::Open(env.get(), "/wal", fmt(), 1);
    ASSERT_TRUE(w.ok());
    for (int i = 0; i < n; ++i) {
      offsets->push_back(*env->GetFileSize("/wal/" + WalFileName(1)));
      WalBatch b = MakeBatch(i, 4 + i);
      ASSERT_TRUE((*w)->Write(&b, kNoApply).ok());
    }
    offsets->push_back(*env->GetFileSize("/wal/" + WalFileName(1)));
    *content = *env->ReadFileToString("/wal/" + WalFileName(1));
  }

  // A MemEnv holding the given WAL files.
  std::unique_ptr<Env> EnvWith(
      const std::vector<std::pair<uint64_t, std::string>>& files) {
    auto env = NewMemEnv();
    EXPECT_TRUE(env->CreateDirIfMissing("/wal").ok());
    for (const auto& [seq, data] : files) {
      auto f = env->NewWritableFile("/wal/" + WalFileName(seq));
      EXPECT_TRUE(f.ok() && (*f)->Append(data).ok());
    }
    return env;
  }
};

TEST_P(WalRecoveryTest, TornTailAtEveryOffsetOfTheLastRecord) {
  std::string content;
  std::vector<uint64_t> off;
  WriteLog(6, &content, &off);
  const uint64_t start = off[5], end = off[6];
  const std::string path = "/wal/" + WalFileName(1);
  for (uint64_t len = start; len < end; ++len) {
    auto env = EnvWith({{1, content.substr(0, len)}});
    WalReplayInfo info;
    Status s;
    auto got = ReplayAll(env.get(), "/wal", fmt(), 0, &info, &s);
    ASSERT_TRUE(s.ok()) << len << ": " << s.ToString();
    ASSERT_EQ(got.size(), 5u) << len;
    EXPECT_EQ(info.last_seq, 5u);
    EXPECT_EQ(info.truncated_tail, len > start) << len;
    if (len > start) {
      EXPECT_NE(info.truncation_message.find(path), std::string::npos);
      EXPECT_NE(info.truncation_message.find(std::to_string(start)),
                std::string::npos)
          << info.truncation_message;
    }
    EXPECT_EQ(*env->GetFileSize(path), start);
    // The log is writable again right after the truncation point.
    auto w = WalWriter::Open(env.get(), "/wal", fmt(), info.last_seq + 1);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
  }
}

TEST_P(WalRecoveryTest, BadFinalPayloadCrcAndZeroTailAreTorn) {
  std::string content;
  std::vector<uint64_t> off;
  WriteLog(4, &content, &off);
  std::string bad_crc = content;
  bad_crc[bad_crc.size() - 1] ^= 0x40;  // last record's payload crc
  std::string zeros = content + std::string(100, '\0');
  for (const std::string& data : {bad_crc, zeros}) {
    auto env = EnvWith({{1, data}});
    WalReplayInfo info;
    auto got = ReplayAll(env.get(), "/wal", fmt(), 0, &info);
    EXPECT_TRUE(info.truncated_tail);
    EXPECT_EQ(got.size(), data == zeros ? 4u : 3u);
  }
}

TEST_P(WalRecoveryTest, FlippedBitInAMiddleRecordIsCorruption) {
  std::string content;
  std::vector<uint64_t> off;
  WriteLog(7, &content, &off);
  const uint64_t start = off[3], end = off[4];
  for (uint64_t pos = start; pos < end; ++pos) {
    std::string data = content;
    data[pos] ^= static_cast<char>(1 << (pos % 8));
    auto env = EnvWith({{1, data}});
    WalReplayInfo info;
    Status s;
    auto got = ReplayAll(env.get(), "/wal", fmt(), 0, &info, &s);
    ASSERT_TRUE(s.IsCorruption()) << pos << ": " << s.ToString();
    EXPECT_NE(s.message().find("/wal/" + WalFileName(1)), std::string::npos);
    EXPECT_NE(s.message().find("offset " + std::to_string(start)),
              std::string::npos)
        << s.ToString();
    EXPECT_EQ(got.size(), 3u);  // the records before it were delivered
    EXPECT_EQ(*env->GetFileSize("/wal/" + WalFileName(1)), content.size());
  }
}

TEST_P(WalRecoveryTest, OtherDamageIsCorruption) {
  std::string content;
  std::vector<uint64_t> off;
  WriteLog(3, &content, &off);
  WalReplayInfo info;
  Status s;
  // A torn tail in a file that is not the last one.
  auto env = EnvWith({{1, content.substr(0, content.size() - 2)}, {4, ""}});
  ReplayAll(env.get(), "/wal", fmt(), 0, &info, &s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  // Bad magic.
  std::string magic = content;
  magic[0] = 'X';
  env = EnvWith({{1, magic}});
  ReplayAll(env.get(), "/wal", fmt(), 0, &info, &s);
  EXPECT_TRUE(s.IsCorruption());
  EXPECT_NE(s.message().find("offset 0"), std::string::npos);
  // Sequence numbers must increase across files.
  env = EnvWith({{1, content}, {2, content}});
  ReplayAll(env.get(), "/wal", fmt(), 0, &info, &s);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  // Stray empty / header-only / half-header files are fine.
  std::string header = content.substr(0, kFileHeaderSize);
  env = EnvWith({{1, content}, {4, ""}, {5, header.substr(0, 5)}, {6, header}});
  auto got = ReplayAll(env.get(), "/wal", fmt(), 0, &info);
  EXPECT_EQ(got.size(), 3u);
  EXPECT_EQ(info.files, 4u);
  // A missing dir is an empty log.
  got = ReplayAll(env.get(), "/nowhere", fmt(), 0, &info);
  EXPECT_TRUE(got.empty());
}

class WalFaultTest : public WalRecoveryTest {
 protected:
  void SetUp() override {
    fenv_ = std::make_unique<FaultInjectionEnv>(Env::Default());
    auto w = WalWriter::Open(fenv_.get(), dir(), fmt(), 1);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    writer_ = std::move(*w);
  }
  std::string dir() const { return tmp_.path() + "/wal"; }

  // Writes one batch; records it in acked_ when acknowledged.
  Status WriteOne(uint32_t i) {
    WalBatch b = MakeBatch(i);
    bool applied = false;
    Status s = writer_->Write(&b, [&](const WalBatch&) { applied = true; });
    EXPECT_EQ(applied, s.ok());
    if (s.ok()) {
      acked_.push_back(b);
    } else {
      EXPECT_EQ(b.seq, 0u);
    }
    return s;
  }

  void ExpectReplayIsAcked() {
    ASSERT_TRUE(writer_->Close().ok());
    WalReplayInfo info;
    EXPECT_EQ(ReplayAll(Env::Default(), dir(), fmt(), 0, &info), acked_);
  }

  TempDir tmp_;
  std::unique_ptr<FaultInjectionEnv> fenv_;
  std::unique_ptr<WalWriter> writer_;
  std::vector<WalBatch> acked_;
};

TEST_P(WalFaultTest, FailedAppendIsUndoneAndLaterWritesSucceed) {
  for (int errno_value : {EIO, ENOSPC}) {
    for (bool partial : {false, true}) {
      ASSERT_TRUE(WriteOne(acked_.size()).ok());
      fenv_->SetPartialAppend(partial);
      fenv_->FailAppends(errno_value, 2);
      Status s = WriteOne(1000);
      EXPECT_TRUE(s.IsIOError());
      EXPECT_NE(s.message().find(errno_value == EIO ? "EIO" : "ENOSPC"),
                std::string::npos)
          << s.ToString();
      EXPECT_TRUE(WriteOne(1001).IsIOError());
      fenv_->ClearFaults();
      ASSERT_TRUE(WriteOne(acked_.size()).ok());
    }
  }
  // Seqs stay contiguous: failed writes do not burn numbers.
  for (size_t i = 0; i < acked_.size(); ++i) EXPECT_EQ(acked_[i].seq, i + 1);
  ExpectReplayIsAcked();
}

TEST_P(WalFaultTest, FailedSyncPoisonsTheWriter) {
  for (int i = 0; i < 3; ++i) ASSERT_TRUE(WriteOne(i).ok());
  fenv_->FailSyncs(1);
  EXPECT_TRUE(WriteOne(3).IsIOError());
  Status later = WriteOne(4);  // the fault is gone, the poison is not
  EXPECT_TRUE(later.IsIOError());
  EXPECT_NE(later.message().find("read-only after a failed fsync"),
            std::string::npos)
      << later.ToString();
  EXPECT_FALSE(writer_->Rotate([](uint64_t) {}).ok());
  ExpectReplayIsAcked();
  // And after a simulated power loss.
  ASSERT_TRUE(fenv_->DropUnsyncedData().ok());
  WalReplayInfo info;
  EXPECT_EQ(ReplayAll(Env::Default(), dir(), fmt(), 0, &info), acked_);
}

TEST_P(WalFaultTest, GroupsFailTogetherAndOnlyAckedWritesReplay) {
  fenv_->SetPartialAppend(true);
  fenv_->FailAppends(EIO, 5);
  std::mutex mu;
  std::set<uint64_t> applied;
  std::vector<WalBatch> acked;
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      for (int i = 0; i < 50; ++i) {
        WalBatch b = MakeBatch(t * 100 + i);
        Status s = writer_->Write(&b, [&](const WalBatch& x) {
          std::lock_guard l(mu);
          applied.insert(x.seq);
        });
        std::lock_guard l(mu);
        if (s.ok()) acked.push_back(b);
      }
    });
  }
  for (auto& th : threads) th.join();
  EXPECT_LT(acked.size(), 200u);
  EXPECT_EQ(applied.size(), acked.size());
  std::sort(acked.begin(), acked.end(),
            [](const WalBatch& a, const WalBatch& b) { return a.seq < b.seq; });
  acked_ = acked;
  ExpectReplayIsAcked();
}

INSTANTIATE_TEST_SUITE_P(Formats, WalRecoveryTest,
                         ::testing::Values(WalFormat::kNative,
                                           WalFormat::kAvro),
                         [](const auto& info) {
                           return FormatName(info.param);
                         });
INSTANTIATE_TEST_SUITE_P(Formats, WalFaultTest,
                         ::testing::Values(WalFormat::kNative,
                                           WalFormat::kAvro),
                         [](const auto& info) {
                           return FormatName(info.param);
                         });

}  // namespace
}  // namespace proximadb::wal
