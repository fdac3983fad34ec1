#include "storage/wal/wal_cursor.h"

#include <algorithm>
#include <utility>
#include <vector>

#include "storage/wal/wal_format.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::wal {

WalCursor::WalCursor(Env* env, std::string dir, WalFormat format,
                     uint64_t next_seq)
    : env_(env),
      dir_(std::move(dir)),
      format_(format),
      codec_(NewRecordCodec(format)),
      next_seq_(std::max<uint64_t>(next_seq, 1)) {}

Status WalCursor::Corrupt(const std::string& why) const {
  return Status::Corruption("wal file " + path_ + ": bad record at offset " +
                            std::to_string(offset_) + ": " + why);
}

namespace {

// Opens `path` and checks its file header (a file still too short to hold
// one passes: it is being created and holds no record yet).
Result<std::unique_ptr<RandomAccessFile>> OpenChecked(Env* env,
                                                      const std::string& path,
                                                      WalFormat format) {
  PDB_ASSIGN_OR_RETURN(auto file, env->NewRandomAccessFile(path));
  char scratch[kFileHeaderSize];
  std::string_view got;
  PDB_RETURN_IF_ERROR(file->Read(0, kFileHeaderSize, scratch, &got));
  if (got.size() == kFileHeaderSize &&
      got != FileHeader(static_cast<uint32_t>(format))) {
    return Status::Corruption("wal file " + path +
                              ": bad file header (magic, version or format)");
  }
  return file;
}

}  // namespace

Result<std::vector<uint64_t>> WalCursor::ListFiles() const {
  PDB_ASSIGN_OR_RETURN(auto names, env_->GetChildren(dir_));
  std::vector<uint64_t> firsts;
  for (const std::string& name : names) {
    if (auto first = ParseWalFileName(name)) firsts.push_back(*first);
  }
  std::sort(firsts.begin(), firsts.end());
  return firsts;
}

Status WalCursor::TooOld(const std::vector<uint64_t>& firsts) const {
  return Status::OutOfRange(
      "sequence " + std::to_string(next_seq_) +
      " is no longer retained; the oldest available is " +
      (firsts.empty() ? std::string("none") : std::to_string(firsts[0])));
}

Status WalCursor::CheckRetained() const {
  PDB_ASSIGN_OR_RETURN(std::vector<uint64_t> firsts, ListFiles());
  if (firsts.empty() || firsts[0] > next_seq_) return TooOld(firsts);
  return Status::OK();
}

Status WalCursor::OpenFileFor() {
  for (int attempt = 0;; ++attempt) {
    PDB_ASSIGN_OR_RETURN(std::vector<uint64_t> firsts, ListFiles());
    auto it = std::upper_bound(firsts.begin(), firsts.end(), next_seq_);
    if (it == firsts.begin()) return TooOld(firsts);
    path_ = dir_ + "/" + WalFileName(*(it - 1));
    auto file = OpenChecked(env_, path_, format_);
    // Removed between the listing and the open: list again (once).
    if (!file.ok() && file.status().IsNotFound() && attempt == 0) continue;
    PDB_RETURN_IF_ERROR(file.status());
    file_ = std::move(file).value();
    offset_ = kFileHeaderSize;
    return Status::OK();
  }
}

Result<bool> WalCursor::NextFile() {
  const std::string path = dir_ + "/" + WalFileName(next_seq_);
  auto file = OpenChecked(env_, path, format_);
  if (!file.ok()) {
    if (file.status().IsNotFound()) return false;
    return file.status();
  }
  file_ = std::move(file).value();
  path_ = path;
  offset_ = kFileHeaderSize;
  return true;
}

Result<uint64_t> WalCursor::Read(
    uint64_t upto, uint64_t max_records,
    const std::function<bool(const WalBatch&)>& fn) {
  uint64_t delivered = 0;
  if (next_seq_ > upto || max_records == 0) return delivered;
  if (file_ == nullptr) PDB_RETURN_IF_ERROR(OpenFileFor());
  char header[kRecordHeaderSize];
  while (next_seq_ <= upto && delivered < max_records) {
    // Record next_seq_ is durable, so it is whole: here, or at the start of
    // the file named after it (the writer rotated).
    std::string_view got;
    PDB_RETURN_IF_ERROR(file_->Read(offset_, kRecordHeaderSize, header, &got));
    if (got.size() < kRecordHeaderSize) {
      if (!got.empty()) return Corrupt("incomplete record header");
      PDB_ASSIGN_OR_RETURN(const bool next, NextFile());
      if (!next) {
        // Gone because the retention removed it (and everything before
        // it: the files left always start later), or missing.
        PDB_RETURN_IF_ERROR(CheckRetained());
        return Corrupt("sequence " + std::to_string(next_seq_) +
                       " is acknowledged but the file ends and no " +
                       WalFileName(next_seq_) + " follows");
      }
      continue;
    }
    const uint32_t len = DecodeFixed32(header);
    const uint64_t seq = DecodeFixed64(header + 4);
    const uint8_t type = static_cast<uint8_t>(header[12]);
    if (crc32c::Unmask(DecodeFixed32(header + kRecordHeaderCrcOffset)) !=
        crc32c::Value(header, kRecordHeaderCrcOffset)) {
      return Corrupt("header checksum mismatch");
    }
    if (len > kMaxPayloadSize) return Corrupt("record too large");
    const uint64_t total = kRecordHeaderSize + len + kRecordTrailerSize;
    if (seq < next_seq_) {  // positioning inside the first file
      offset_ += total;
      continue;
    }
    if (seq > next_seq_) {
      return Corrupt("sequence " + std::to_string(seq) + " where " +
                     std::to_string(next_seq_) + " was expected");
    }
    buf_.resize(len + kRecordTrailerSize);
    PDB_RETURN_IF_ERROR(file_->Read(offset_ + kRecordHeaderSize, buf_.size(),
                                    buf_.data(), &got));
    if (got.size() < buf_.size()) return Corrupt("record runs past its file");
    const std::string_view payload(got.data(), len);
    if (crc32c::Unmask(DecodeFixed32(got.data() + len)) !=
        crc32c::Value(payload.data(), payload.size())) {
      return Corrupt("payload checksum mismatch");
    }
    WalBatch batch;
    Status d = DecodeRecordPayload(*codec_, type, seq, payload, &batch);
    if (!d.ok()) return Corrupt(d.message());
    offset_ += total;
    ++next_seq_;
    ++delivered;
    if (!fn(batch)) break;
  }
  return delivered;
}

}  // namespace proximadb::wal
