#include "storage/wal/wal_reader.h"

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <vector>

#include <spdlog/spdlog.h>

#include "storage/wal/record_codec.h"
#include "storage/wal/wal_format.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::wal {
namespace {

bool AllZero(std::string_view s) {
  return std::all_of(s.begin(), s.end(), [](char c) { return c == 0; });
}

struct FileToRead {
  std::string path;
  uint64_t first_seq;  // from the name
  uint64_t next_first_seq;
  bool is_last;
};

class FileReplayer {
 public:
  FileReplayer(Env* env, const WalReplayOptions& options,
               const RecordCodec& codec,
               const std::function<Status(const WalBatch&)>& fn,
               WalReplayInfo* info)
      : env_(env),
        fmt_(options.format),
        codec_(codec),
        after_seq_(options.after_seq),
        continuity_(options.require_continuity),
        cut_(options.cut_torn_tail),
        fn_(fn),
        info_(info) {}

  Status Replay(const FileToRead& f) {
    PDB_RETURN_IF_ERROR(StartFile(f));
    PDB_ASSIGN_OR_RETURN(std::unique_ptr<MappedFile> map,
                         env_->MapFile(f.path));
    const std::string_view data(map->data(), map->size());
    PDB_ASSIGN_OR_RETURN(const bool has_records, CheckFileHeader(f, data));
    if (!has_records) return Status::OK();

    size_t off = kFileHeaderSize;
    std::string torn;  // why the tail is torn, if it is
    while (off < data.size()) {
      const std::string_view rest = data.substr(off);
      if (rest.size() < kRecordHeaderSize) {
        torn = "incomplete record header";
        break;
      }
      const uint32_t len = DecodeFixed32(rest.data());
      const uint64_t seq = DecodeFixed64(rest.data() + 4);
      const uint8_t type = static_cast<uint8_t>(rest[12]);
      const uint32_t header_crc = DecodeFixed32(rest.data() + 13);
      if (crc32c::Unmask(header_crc) !=
          crc32c::Value(rest.data(), kRecordHeaderCrcOffset)) {
        if (AllZero(rest)) {
          torn = "zero-filled tail";
          break;
        }
        return Corrupt(f, off, "header checksum mismatch");
      }
      if (type != static_cast<uint8_t>(RecordType::kBatch) &&
          type != static_cast<uint8_t>(RecordType::kTimedBatch)) {
        return Corrupt(f, off, "unknown record type " + std::to_string(type));
      }
      if (len > kMaxPayloadSize) return Corrupt(f, off, "record too large");
      const size_t total = kRecordHeaderSize + len + kRecordTrailerSize;
      if (rest.size() < total) {
        torn = "record runs past end of file";
        break;
      }
      std::string_view payload = rest.substr(kRecordHeaderSize, len);
      const uint32_t payload_crc =
          DecodeFixed32(rest.data() + kRecordHeaderSize + len);
      if (crc32c::Unmask(payload_crc) !=
          crc32c::Value(payload.data(), payload.size())) {
        if (rest.size() == total) {
          torn = "payload checksum mismatch in the final record";
          break;
        }
        return Corrupt(f, off, "payload checksum mismatch");
      }
      PDB_RETURN_IF_ERROR(CheckOrder(f, off, seq));
      WalBatch batch;
      Status d = DecodeRecordPayload(codec_, type, seq, payload, &batch);
      if (!d.ok()) return Corrupt(f, off, d.message());
      PDB_RETURN_IF_ERROR(Deliver(f, off, batch));
      off += total;
      end_offset_ = off;
    }
    if (torn.empty()) return Status::OK();
    if (!f.is_last) return Corrupt(f, off, torn + " (not the last wal file)");

    info_->torn = TornTail{f.path, off, data.size(), torn};
    if (!cut_) return Status::OK();
    map.reset();  // unmap before the file shrinks under the mapping
    PDB_RETURN_IF_ERROR(CutTornTail(env_, *info_->torn));
    info_->truncated_tail = true;
    info_->truncation_message = info_->torn->Describe();
    return Status::OK();
  }

  // The end of the last record delivered.
  uint64_t end_offset() const { return end_offset_; }

  static Status Corrupt(const FileToRead& f, uint64_t off,
                        const std::string& why) {
    return Status::Corruption("wal file " + f.path + ": bad record at offset " +
                              std::to_string(off) + ": " + why);
  }

  // The file header: true when records may follow, false for a file cut
  // short while it was created (it cannot hold records).
  Result<bool> CheckFileHeader(const FileToRead& f, std::string_view data) {
    const std::string header = FileHeader(static_cast<uint32_t>(fmt_));
    if (data.size() < kFileHeaderSize) {
      // A crash while creating the file: it cannot hold records.
      if (header.compare(0, data.size(), data) == 0) return false;
      return Corrupt(f, 0, "bad file header");
    }
    if (std::memcmp(data.data(), kFileMagic, sizeof(kFileMagic)) != 0) {
      return Corrupt(f, 0, "bad magic");
    }
    if (DecodeFixed32(data.data() + 8) != kFileVersion) {
      return Corrupt(f, 0,
                     "unsupported version " +
                         std::to_string(DecodeFixed32(data.data() + 8)));
    }
    if (DecodeFixed32(data.data() + 12) != static_cast<uint32_t>(fmt_)) {
      return Corrupt(f, 0,
                     "file is in wal format " +
                         std::to_string(DecodeFixed32(data.data() + 12)) +
                         ", the collection uses " +
                         std::string(WalFormatName(fmt_)));
    }
    return true;
  }

  // A record's sequence against the previous record and the file's range.
  Status CheckOrder(const FileToRead& f, uint64_t off, uint64_t seq) const {
    if (has_prev_ && seq <= prev_seq_) {
      return Corrupt(f, off,
                     "sequence " + std::to_string(seq) + " does not follow " +
                         std::to_string(prev_seq_));
    }
    if (seq < f.first_seq || seq >= f.next_first_seq) {
      return Corrupt(
          f, off,
          "sequence " + std::to_string(seq) + " outside the file's range");
    }
    return Status::OK();
  }

  // A decoded record: checked for continuity, then handed to fn_ if it is
  // after the fence.
  Status Deliver(const FileToRead& f, uint64_t off, const WalBatch& batch) {
    const uint64_t seq = batch.seq;
    if (expected_ != 0 && seq != expected_) {
      return Status::Corruption("wal file " + f.path + ": record at offset " +
                                std::to_string(off) + " has sequence " +
                                std::to_string(seq) + ", expected " +
                                std::to_string(expected_) + ": sequences " +
                                Range(expected_, seq) + " are missing");
    }
    if (expected_ != 0) ++expected_;
    has_prev_ = true;
    prev_seq_ = seq;
    info_->last_seq = seq;
    if (seq > after_seq_) {
      PDB_RETURN_IF_ERROR(fn_(batch));
      ++info_->records;
    }
    return Status::OK();
  }

  // Before every record is read; `expected_` is 0 until the file holding
  // the first sequence after the fence starts (continuity checks only).
  Status StartFile(const FileToRead& f) {
    if (!continuity_) return Status::OK();
    if (f.first_seq == after_seq_ + 1) {
      expected_ = after_seq_ + 1;
    } else if (expected_ != 0 && f.first_seq != expected_) {
      // The previous file ended early or a file is missing in between.
      return Status::Corruption(
          "wal " + f.path + " starts at sequence " +
          std::to_string(f.first_seq) + " but the file before it, " +
          prev_path_ + ", ends at " + std::to_string(expected_ - 1) +
          ": sequences " + Range(expected_, f.first_seq) + " are missing");
    }
    prev_path_ = f.path;
    return Status::OK();
  }

  static std::string Range(uint64_t from, uint64_t to_exclusive) {
    return to_exclusive > from + 1
               ? std::to_string(from) + ".." + std::to_string(to_exclusive - 1)
               : std::to_string(from);
  }

 private:
  Env* const env_;
  const WalFormat fmt_;
  const RecordCodec& codec_;
  const uint64_t after_seq_;
  const bool continuity_;
  const bool cut_;
  const std::function<Status(const WalBatch&)>& fn_;
  WalReplayInfo* const info_;
  bool has_prev_ = false;
  uint64_t prev_seq_ = 0;
  uint64_t expected_ = 0;  // next sequence the log must hold (continuity)
  std::string prev_path_;
  uint64_t end_offset_ = kFileHeaderSize;
};

std::string FileList(const std::vector<uint64_t>& firsts) {
  if (firsts.empty()) return "none";
  std::string out;
  for (uint64_t f : firsts) {
    if (!out.empty()) out += ", ";
    out += WalFileName(f);
  }
  return out;
}

}  // namespace

std::string TornTail::Describe() const {
  return "wal file " + path + ": truncated torn tail at offset " +
         std::to_string(offset) + " (" + why + ", " +
         std::to_string(file_size - offset) + " bytes dropped)";
}

Status TruncateDurably(Env* env, const std::string& path, uint64_t size) {
  PDB_RETURN_IF_ERROR(env->TruncateFile(path, size));
  PDB_ASSIGN_OR_RETURN(auto file, env->NewAppendableFile(path));
  PDB_RETURN_IF_ERROR(file->Sync());
  return file->Close();
}

Status CutTornTail(Env* env, const TornTail& tail) {
  PDB_RETURN_IF_ERROR(TruncateDurably(env, tail.path, tail.offset));
  spdlog::warn("{}", tail.Describe());
  return Status::OK();
}

Result<WalFilePrefix> ScanWalFile(
    Env* env, const std::string& path, WalFormat fmt, uint64_t first_seq,
    const std::function<bool(uint64_t seq, uint64_t time_micros)>& keep) {
  WalReplayOptions options;
  options.format = fmt;
  options.after_seq = first_seq - 1;
  options.require_continuity = true;
  options.cut_torn_tail = false;
  WalFilePrefix out;
  bool refused = false;
  // Not an error: the sentinel that stops the replay at the refused record.
  const Status stop = Status::OutOfRange("wal scan: prefix ends");
  const std::function<Status(const WalBatch&)> fn =
      [&](const WalBatch& b) -> Status {
    if (!keep(b.seq, b.time_unix_micros)) {
      refused = true;
      return stop;
    }
    ++out.records;
    out.last_seq = b.seq;
    out.last_time_micros = b.time_unix_micros;
    return Status::OK();
  };
  WalReplayInfo info;
  std::unique_ptr<RecordCodec> codec = NewRecordCodec(fmt);
  FileReplayer replayer(env, options, *codec, fn, &info);
  FileToRead f{path, first_seq, std::numeric_limits<uint64_t>::max(), true};
  Status s = replayer.Replay(f);
  if (!s.ok() && !refused) return s;
  if (info.torn) {
    return Status::Corruption(info.torn->Describe() +
                              " (a sealed file must end cleanly)");
  }
  out.bytes = replayer.end_offset();
  out.whole = !refused;
  return out;
}

Status ReplayWal(Env* env, const std::string& dir, WalFormat fmt,
                 uint64_t after_seq,
                 const std::function<Status(const WalBatch&)>& fn,
                 WalReplayInfo* info) {
  WalReplayOptions options;
  options.format = fmt;
  options.after_seq = after_seq;
  return ReplayWal(env, dir, options, fn, info);
}

Status ReplayWal(Env* env, const std::string& dir,
                 const WalReplayOptions& options,
                 const std::function<Status(const WalBatch&)>& fn,
                 WalReplayInfo* info) {
  *info = WalReplayInfo();
  auto names = env->GetChildren(dir);
  if (!names.ok() && !names.status().IsNotFound()) return names.status();
  std::vector<uint64_t> firsts;
  if (names.ok()) {
    for (const std::string& name : *names) {
      if (auto first = ParseWalFileName(name)) firsts.push_back(*first);
    }
  }
  std::sort(firsts.begin(), firsts.end());
  if (options.require_continuity &&
      !std::binary_search(firsts.begin(), firsts.end(),
                          options.after_seq + 1)) {
    // Rotate creates this file (durably) before a flush commits the fence,
    // and it is only deleted once a later fence passes it.
    return Status::Corruption(
        "wal " + dir + ": " + WalFileName(options.after_seq + 1) +
        " is missing: the writes after sequence " +
        std::to_string(options.after_seq) +
        " (the fence) must start in it; files present: " + FileList(firsts));
  }

  std::unique_ptr<RecordCodec> codec = NewRecordCodec(options.format);
  FileReplayer replayer(env, options, *codec, fn, info);
  for (size_t i = 0; i < firsts.size(); ++i) {
    const bool last = i + 1 == firsts.size();
    // A file whose records are all covered by segments (kept by the WAL
    // retention for the change feed and point-in-time restore) is not
    // needed: recovery stays bounded by what was written after the fence.
    if (!last && firsts[i + 1] - 1 <= options.after_seq) continue;
    FileToRead f{dir + "/" + WalFileName(firsts[i]), firsts[i],
                 last ? std::numeric_limits<uint64_t>::max() : firsts[i + 1],
                 last};
    PDB_RETURN_IF_ERROR(replayer.Replay(f));
    ++info->files;
  }
  return Status::OK();
}

}  // namespace proximadb::wal
