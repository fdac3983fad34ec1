// Fuzz target: WAL recovery (ReplayWal) on arbitrary files in an in-memory
// Env.
//
// Input: flags byte, after_seq byte, then the bytes of the WAL.
//   flags bit 0: re-seal every record's header and payload CRC first, so
//                the fuzzer reaches the checks behind the checksums.
//   flags bit 1: split the bytes into two files at the offset given by the
//                next two bytes (the second named after its first record).
//   flags bit 2: replay as Avro when the file header names no valid format.
// Invariants:
//   * the outcome is OK or kCorruption, never a crash;
//   * the records handed to the callback have strictly increasing seqs,
//     all above after_seq, and info counts them;
//   * after an OK replay (which may cut a torn tail) a second replay from
//     the same after_seq is OK, cuts nothing, and gives the same records;
//   * the records, re-encoded and framed into a fresh WAL, replay to the
//     same batches.
#include <cstdint>
#include <string>
#include <vector>

#include "fuzz_util.h"
#include "storage/wal/record_codec.h"
#include "storage/wal/wal_format.h"
#include "storage/wal/wal_reader.h"
#include "wal_fuzz_util.h"

namespace proximadb::fuzz {
namespace {

using wal::WalBatch;

constexpr char kDir[] = "/wal";

// Re-computes the CRCs of every complete record from offset 16 on.
void SealRecords(std::string* f) {
  uint64_t off = wal::kFileHeaderSize;
  while (off + wal::kRecordHeaderSize <= f->size()) {
    SealCrc(f, off, off + wal::kRecordHeaderCrcOffset,
            off + wal::kRecordHeaderCrcOffset);
    const uint64_t len = DecodeFixed32(f->data() + off);
    const uint64_t payload = off + wal::kRecordHeaderSize;
    if (payload + len + wal::kRecordTrailerSize > f->size()) return;
    SealCrc(f, payload, payload + len, payload + len);
    off = payload + len + wal::kRecordTrailerSize;
  }
}

// The name a file gets: its first record's seq (what the writer does), or 1.
uint64_t FirstSeq(const std::string& f) {
  if (f.size() < wal::kFileHeaderSize + 12) return 1;
  return DecodeFixed64(f.data() + wal::kFileHeaderSize + 4);
}

void ClearDir(Env* env) {
  auto names = env->GetChildren(kDir);
  FUZZ_CHECK(names.ok(), names.status());
  for (const std::string& n : *names) {
    Status s = env->RemoveFile(std::string(kDir) + "/" + n);
    FUZZ_CHECK(s.ok(), s);
  }
}

struct Replayed {
  Status status;
  wal::WalReplayInfo info;
  std::vector<WalBatch> batches;
};

Replayed Replay(Env* env, WalFormat fmt, uint64_t after_seq) {
  Replayed r;
  r.status = wal::ReplayWal(
      env, kDir, fmt, after_seq,
      [&](const WalBatch& b) {
        r.batches.push_back(b);
        return Status::OK();
      },
      &r.info);
  return r;
}

void CheckSequence(const Replayed& r, uint64_t after_seq) {
  FUZZ_CHECK(r.info.records == r.batches.size());
  uint64_t prev = after_seq;
  for (const WalBatch& b : r.batches) {
    FUZZ_CHECK(b.seq > prev, "seqs must increase and exceed after_seq");
    prev = b.seq;
  }
  if (!r.batches.empty()) FUZZ_CHECK(r.info.last_seq >= prev);
}

bool Same(const std::vector<WalBatch>& a, const std::vector<WalBatch>& b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (!SameBatch(a[i], b[i])) return false;
  }
  return true;
}

// Writes `batches` as one fresh WAL file (framed as the writer frames them)
// and replays it.
void CheckRewrite(Env* env, WalFormat fmt,
                  const std::vector<WalBatch>& batches) {
  ClearDir(env);
  std::unique_ptr<wal::RecordCodec> codec = wal::NewRecordCodec(fmt);
  std::string file = wal::FileHeader(static_cast<uint32_t>(fmt));
  for (const WalBatch& b : batches) {
    std::string prefix, body;
    codec->AppendSeqPrefix(b.seq, &prefix);
    Status s = codec->EncodeBody(b, &body);
    FUZZ_CHECK(s.ok(), s);
    wal::AppendRecord(&file, b.seq, prefix, body);
  }
  const uint64_t first = batches.empty() ? 1 : batches.front().seq;
  PutFile(env, std::string(kDir) + "/" + wal::WalFileName(first), file);
  Replayed again = Replay(env, fmt, 0);
  FUZZ_CHECK(again.status.ok(), again.status);
  FUZZ_CHECK(!again.info.truncated_tail);
  std::vector<WalBatch> want;
  for (const WalBatch& b : batches) want.push_back(Normalized(b));
  FUZZ_CHECK(Same(again.batches, want), "re-encoded WAL replays differently");
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  std::string_view in = AsView(data, size);
  const uint8_t flags = TakeFlags(&in);
  const uint64_t after_seq = TakeFlags(&in);
  size_t split = 0;
  if (flags & 2) {
    split = TakeFlags(&in);
    split = split << 8 | TakeFlags(&in);
  }
  std::string bytes(in);
  if (flags & 1) SealRecords(&bytes);

  WalFormat fmt = flags & 4 ? WalFormat::kAvro : WalFormat::kNative;
  if (bytes.size() >= wal::kFileHeaderSize) {
    const uint32_t named = DecodeFixed32(bytes.data() + 12);
    if (named <= 1) fmt = static_cast<WalFormat>(named);
  }

  Env* env = MemEnvWithDir(kDir);
  ClearDir(env);
  std::vector<std::string> files;
  if ((flags & 2) && split < bytes.size()) {
    files = {bytes.substr(0, split), bytes.substr(split)};
  } else {
    files = {bytes};
  }
  for (const std::string& f : files) {
    // Two files with the same first seq collide: the second replaces the
    // first, as a rename would.
    PutFile(env, std::string(kDir) + "/" + wal::WalFileName(FirstSeq(f)), f);
  }

  Replayed first = Replay(env, fmt, after_seq);
  FUZZ_CHECK(first.status.ok() || first.status.IsCorruption(), first.status);
  CheckSequence(first, after_seq);
  if (!first.status.ok()) return 0;

  // Recovery is repeatable: a crash during recovery replays again, from
  // the same fence. (Not from 0: a file whose records are all <= after_seq
  // is not read at all, so damage there is no recovery's business; the
  // change feed reports it when it reads that far.)
  Replayed all = Replay(env, fmt, after_seq);
  FUZZ_CHECK(all.status.ok(), all.status, "second replay failed");
  FUZZ_CHECK(!all.info.truncated_tail, all.info.truncation_message);
  CheckSequence(all, after_seq);
  FUZZ_CHECK(all.info.last_seq == first.info.last_seq);
  FUZZ_CHECK(Same(all.batches, first.batches), "replays disagree");

  if (fmt == WalFormat::kAvro) {
    for (const WalBatch& b : all.batches) {
      if (b.seq > INT64_MAX) return 0;  // not representable as an Avro long
    }
  }
  CheckRewrite(env, fmt, all.batches);
  return 0;
}
