// WAL continuity (WalReplayOptions::require_continuity): every sequence
// number after the fence must be in the log. A missing file, a file cut at
// a record boundary, or a gap is an error naming the files and the range;
// only the torn end of the last file is tolerated, and then only reported
// until the caller cuts it.
#include <gtest/gtest.h>

#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"
#include "storage/wal_test_util.h"

namespace proximadb::wal {
namespace {

using testing::kNoApply;
using testing::MakeBatch;

class WalContinuityTest : public ::testing::Test {
 protected:
  void SetUp() override { env_ = NewMemEnv(); }

  // Writes batches 1..n, rotating after each seq in `rotate_after`, the way
  // flushes do: files wal-1, wal-<r+1>, ...
  void Write(int n, const std::vector<uint64_t>& rotate_after) {
    auto w = WalWriter::Open(env_.get(), "/wal", WalFormat::kNative, 1);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    for (int i = 1; i <= n; ++i) {
      WalBatch b = MakeBatch(i);
      ASSERT_TRUE((*w)->Write(&b, kNoApply).ok());
      for (uint64_t r : rotate_after) {
        if (r == static_cast<uint64_t>(i)) {
          ASSERT_TRUE((*w)->Rotate([](uint64_t) {}).ok());
        }
      }
    }
    ASSERT_TRUE((*w)->Close().ok());
  }

  // Replays with continuity from `fence`; the seqs handed to fn.
  Status Replay(uint64_t fence, std::vector<uint64_t>* seqs = nullptr,
                WalReplayInfo* info_out = nullptr) {
    WalReplayOptions o;
    o.after_seq = fence;
    o.require_continuity = true;
    o.cut_torn_tail = false;
    WalReplayInfo info;
    Status s = ReplayWal(
        env_.get(), "/wal", o,
        [&](const WalBatch& b) {
          if (seqs) seqs->push_back(b.seq);
          return Status::OK();
        },
        &info);
    if (info_out) *info_out = info;
    return s;
  }

  std::string Path(uint64_t first) { return "/wal/" + WalFileName(first); }

  // The byte offset where record `k` (0-based) of a file starts.
  uint64_t RecordOffset(const std::string& path, int k) {
    std::string data = *env_->ReadFileToString(path);
    uint64_t off = kFileHeaderSize;
    for (int i = 0; i < k; ++i) {
      uint32_t len = static_cast<uint8_t>(data[off]) |
                     static_cast<uint8_t>(data[off + 1]) << 8 |
                     static_cast<uint8_t>(data[off + 2]) << 16 |
                     static_cast<uint32_t>(static_cast<uint8_t>(data[off + 3]))
                         << 24;
      off += kRecordHeaderSize + len + kRecordTrailerSize;
    }
    return off;
  }

  std::unique_ptr<Env> env_;
};

TEST_F(WalContinuityTest, RotatedLogWithObsoleteFilesReplaysFromTheFence) {
  Write(9, {3, 6});  // wal-1 [1..3], wal-4 [4..6], wal-7 [7..9]
  std::vector<uint64_t> seqs;
  ASSERT_TRUE(Replay(3, &seqs).ok());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{4, 5, 6, 7, 8, 9}));
  seqs.clear();
  ASSERT_TRUE(Replay(6, &seqs).ok());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{7, 8, 9}));
  // A flush removes the files up to its fence; the rest still chains.
  ASSERT_TRUE(env_->RemoveFile(Path(1)).ok());
  seqs.clear();
  ASSERT_TRUE(Replay(3, &seqs).ok());
  EXPECT_EQ(seqs.size(), 6u);
}

TEST_F(WalContinuityTest, FreshLogNeedsItsFirstFile) {
  Write(0, {});
  EXPECT_TRUE(Replay(0).ok());
  ASSERT_TRUE(env_->RemoveFile(Path(1)).ok());
  Status s = Replay(0);
  EXPECT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(WalFileName(1) + " is missing"), std::string::npos)
      << s.ToString();
  // Without the check, as before: an empty log.
  WalReplayInfo info;
  EXPECT_TRUE(ReplayWal(
                  env_.get(), "/wal", WalFormat::kNative, 0,
                  [](const WalBatch&) { return Status::OK(); }, &info)
                  .ok());
}

TEST_F(WalContinuityTest, FileAfterTheFenceMissingIsAnError) {
  Write(9, {3, 6});
  ASSERT_TRUE(env_->RemoveFile(Path(4)).ok());
  Status s = Replay(3);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find(WalFileName(4) + " is missing"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find("after sequence 3"), std::string::npos);
  // The catalog's fence went back past deleted files (a lost commit):
  // wal-1 and wal-4 are gone, the fence says 3.
  ASSERT_TRUE(env_->RemoveFile(Path(1)).ok());
  EXPECT_TRUE(Replay(3).IsCorruption());
  EXPECT_TRUE(Replay(6).ok());
}

TEST_F(WalContinuityTest, MiddleFileCutAtARecordBoundaryIsAGap) {
  Write(9, {3, 6});
  // wal-4 loses its last record (5 is the last one left): nothing is torn,
  // every CRC holds, and without the check 6 would vanish silently.
  ASSERT_TRUE(env_->TruncateFile(Path(4), RecordOffset(Path(4), 2)).ok());
  WalReplayInfo plain;
  EXPECT_TRUE(ReplayWal(
                  env_.get(), "/wal", WalFormat::kNative, 3,
                  [](const WalBatch&) { return Status::OK(); }, &plain)
                  .ok());
  Status s = Replay(3);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("ends at 5"), std::string::npos) << s.ToString();
  EXPECT_NE(s.message().find("sequences 6 are missing"), std::string::npos)
      << s.ToString();
  EXPECT_NE(s.message().find(WalFileName(4)), std::string::npos);
  EXPECT_NE(s.message().find(WalFileName(7)), std::string::npos);
}

TEST_F(WalContinuityTest, EmptyMiddleFileIsAGap) {
  Write(9, {3, 6});
  ASSERT_TRUE(env_->TruncateFile(Path(4), kFileHeaderSize).ok());
  Status s = Replay(3);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("4..6 are missing"), std::string::npos)
      << s.ToString();
}

TEST_F(WalContinuityTest, RecordMissingInsideAFileIsAGap) {
  Write(6, {});
  // Cut record 3 (seq 4) out of wal-1: the records around it are intact.
  std::string data = *env_->ReadFileToString(Path(1));
  const uint64_t a = RecordOffset(Path(1), 3), b = RecordOffset(Path(1), 4);
  data.erase(a, b - a);
  ASSERT_TRUE(env_->WriteFileAtomically(Path(1), data).ok());
  Status s = Replay(0);
  ASSERT_TRUE(s.IsCorruption()) << s.ToString();
  EXPECT_NE(s.message().find("has sequence 5, expected 4"), std::string::npos)
      << s.ToString();
}

TEST_F(WalContinuityTest, TornTailIsReportedAndLeftUntilCut) {
  Write(4, {});
  const std::string path = Path(1);
  const uint64_t last = RecordOffset(path, 3);
  const uint64_t size = *env_->GetFileSize(path);
  ASSERT_TRUE(env_->TruncateFile(path, size - 3).ok());  // tear record 4
  std::vector<uint64_t> seqs;
  WalReplayInfo info;
  ASSERT_TRUE(Replay(0, &seqs, &info).ok());
  EXPECT_EQ(seqs, (std::vector<uint64_t>{1, 2, 3}));
  ASSERT_TRUE(info.torn.has_value());
  EXPECT_EQ(info.torn->path, path);
  EXPECT_EQ(info.torn->offset, last);
  EXPECT_EQ(info.torn->file_size, size - 3);
  EXPECT_FALSE(info.truncated_tail);
  EXPECT_EQ(*env_->GetFileSize(path), size - 3);  // untouched
  ASSERT_TRUE(CutTornTail(env_.get(), *info.torn).ok());
  EXPECT_EQ(*env_->GetFileSize(path), last);
  ASSERT_TRUE(Replay(0, nullptr, &info).ok());
  EXPECT_FALSE(info.torn.has_value());
}

}  // namespace
}  // namespace proximadb::wal
