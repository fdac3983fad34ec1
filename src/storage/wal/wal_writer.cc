#include "storage/wal/wal_writer.h"

#include <algorithm>
#include <chrono>
#include <string_view>
#include <utility>
#include <vector>

#include <spdlog/spdlog.h>

#include "storage/wal/wal_format.h"
#include "util/coding.h"

namespace proximadb::wal {
namespace {

// A group carries at most this many bytes of other writers' records beyond
// the leader's own, bounding the latency a large group adds to the leader.
constexpr size_t kMaxGroupExtraBytes = 4u << 20;

// Room left in front of an encoded body for the record header and the
// sequence prefix, which exist only once the leader assigns sequence numbers.
constexpr size_t kRecordSlack =
    kRecordHeaderSize + kRecordTimeSize + kMaxSeqPrefixSize;
// The bytes a framed record takes beyond its body, at most.
constexpr size_t kFramingBytes = kRecordSlack + kRecordTrailerSize;

// A thread keeps its record buffer between writes, so steady ingest neither
// allocates nor page-faults a fresh multi-megabyte buffer per batch (at
// 768 dimensions that was a large share of the write path's CPU). Per
// thread rather than per WAL, the memory kept is bounded by the number of
// writing threads however many collections there are; a buffer grown past
// this cap by an unusually large batch is released instead.
constexpr size_t kMaxRetainedBufferBytes = 16u << 20;
thread_local std::string tls_record_buffer;

}  // namespace

struct WalWriter::Waiter {
  WalBatch* batch = nullptr;  // nullptr: a control op (Rotate, Close)
  const ApplyFn* apply = nullptr;
  // kRecordSlack bytes of room, then the body, encoded before queueing
  // (outside the lock); the leader frames the record around it in place.
  std::string record;
  size_t body_size = 0;
  Status status;
  bool done = false;
  CondVar cv;
};

WalWriter::WalWriter(Env* env, std::string dir, WalFormat fmt)
    : env_(env), dir_(std::move(dir)), codec_(NewRecordCodec(fmt)) {}

WalWriter::~WalWriter() { (void)Close(); }

Result<std::unique_ptr<WalWriter>> WalWriter::Open(Env* env, std::string dir,
                                                   WalFormat fmt,
                                                   uint64_t next_seq,
                                                   WalWriterOptions options) {
  if (next_seq == 0) return Status::InvalidArgument("wal next_seq must be > 0");
  std::unique_ptr<WalWriter> w(new WalWriter(env, std::move(dir), fmt));
  w->now_micros_ = options.now_micros ? std::move(options.now_micros) : [] {
    return static_cast<uint64_t>(
        std::chrono::duration_cast<std::chrono::microseconds>(
            std::chrono::system_clock::now().time_since_epoch())
            .count());
  };
  {
    MutexLock lock(&w->mu_);
    w->last_time_ = options.last_time_micros;
  }
  w->last_time_pub_.store(options.last_time_micros);
  if (options.hold_for_archive) w->archive_floor_.store(0);
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(w->dir_));
  PDB_ASSIGN_OR_RETURN(auto names, env->GetChildren(w->dir_));
  for (const std::string& name : names) {
    auto first = ParseWalFileName(name);
    if (!first || *first < next_seq) continue;
    std::string path = w->dir_ + "/" + name;
    PDB_ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(path));
    // A file holding no records (a crash during creation) can be reused.
    if (*first > next_seq || size > kFileHeaderSize) {
      return Status::FailedPrecondition(
          "wal " + path + " already holds records at or after seq " +
          std::to_string(next_seq) + "; replay the log before writing");
    }
  }
  PDB_RETURN_IF_ERROR(w->StartFile(next_seq));
  w->last_seq_.store(next_seq - 1);
  w->retention_ = options.retention;
  uint64_t live = 0;
  {
    MutexLock files(&w->files_mu_);
    for (const std::string& name : names) {
      auto first = ParseWalFileName(name);
      if (!first || *first >= next_seq) continue;
      SealedFile f;
      PDB_ASSIGN_OR_RETURN(f.size, env->GetFileSize(w->dir_ + "/" + name));
      auto mtime = env->GetModificationTimeMicros(w->dir_ + "/" + name);
      f.last_time_micros = mtime.ok() ? *mtime : w->now_micros_();
      w->sealed_[*first] = f;
      live += f.size;
    }
  }
  w->live_bytes_.fetch_add(live);
  return w;
}

Status WalWriter::StartFile(uint64_t first_seq) {
  const std::string path = dir_ + "/" + WalFileName(first_seq);
  const std::string header =
      FileHeader(static_cast<uint32_t>(codec_->format()));
  auto create = [&]() -> Result<std::unique_ptr<WritableFile>> {
    PDB_ASSIGN_OR_RETURN(auto f, env_->NewWritableFile(path));
    PDB_RETURN_IF_ERROR(f->Append(header));
    PDB_RETURN_IF_ERROR(f->Sync());
    PDB_RETURN_IF_ERROR(env_->SyncDir(dir_));
    return f;
  };
  auto file = create();
  if (!file.ok()) {
    // A half-made file would sit between real ones and confuse the
    // file-to-sequence mapping that RemoveObsoleteFiles relies on.
    if (env_->FileExists(path) && !env_->RemoveFile(path).ok()) {
      return Status::IOError(file.status().message() +
                             "; and could not remove " + path);
    }
    return file.status();
  }
  if (file_ != nullptr) {
    Status s = file_->Close();  // its records are all synced already
    if (!s.ok()) spdlog::warn("wal: closing {}: {}", file_path_, s.ToString());
    MutexLock files(&files_mu_);
    sealed_[file_first_seq_.load()] =
        SealedFile{good_size_, file_last_time_.load()};
  }
  file_ = std::move(file).value();
  file_last_time_.store(0);
  file_path_ = path;
  file_first_seq_.store(first_seq);
  good_size_ = header.size();
  live_bytes_.fetch_add(header.size());
  sync_count_.fetch_add(1);
  return Status::OK();
}

void WalWriter::EnqueueLocked(Waiter* w) {
  queue_.push_back(w);
  while (!w->done && w != queue_.front()) w->cv.Wait(&mu_);
}

void WalWriter::FinishLocked(Waiter* last, const Status& s) {
  while (true) {
    Waiter* w = queue_.front();
    queue_.pop_front();
    w->status = s;
    w->done = true;
    w->cv.Signal();
    if (w == last) break;
  }
  if (!queue_.empty()) queue_.front()->cv.Signal();
}

Status WalWriter::CheckWritableLocked() const {
  if (closed_) return Status::FailedPrecondition("wal " + dir_ + " is closed");
  return poisoned_;
}

Status WalWriter::Write(WalBatch* batch, const ApplyFn& apply) {
  Waiter w;
  w.batch = batch;
  w.apply = &apply;
  // Borrow this thread's buffer; it goes back when this call returns, by
  // which time the leader (maybe another thread) is done with it.
  w.record = std::exchange(tls_record_buffer, std::string());
  struct GiveBack {
    std::string* buf;
    ~GiveBack() {
      if (buf->capacity() <= kMaxRetainedBufferBytes) {
        tls_record_buffer = std::move(*buf);
      }
    }
  } give_back{&w.record};
  w.record.assign(kRecordSlack, '\0');
  PDB_RETURN_IF_ERROR(codec_->EncodeBody(*batch, &w.record));
  w.body_size = w.record.size() - kRecordSlack;
  if (w.body_size + kFramingBytes > kMaxPayloadSize) {
    return Status::ResourceExhausted("wal batch of " +
                                     std::to_string(w.body_size) +
                                     " bytes exceeds the record size limit");
  }

  MutexLock lock(&mu_);
  EnqueueLocked(&w);
  if (w.done) return w.status;  // a leader wrote (or failed) it for us

  // This thread leads: take followers up to a control op or the size cap.
  Status s = CheckWritableLocked();
  if (!s.ok()) {
    FinishLocked(&w, s);
    return s;
  }
  std::vector<Waiter*> group{&w};
  size_t bytes = w.body_size + kFramingBytes;
  const size_t limit = bytes + kMaxGroupExtraBytes;
  for (auto it = queue_.begin() + 1; it != queue_.end(); ++it) {
    Waiter* f = *it;
    if (f->batch == nullptr) break;
    if (bytes + f->body_size + kFramingBytes > limit) break;
    bytes += f->body_size + kFramingBytes;
    group.push_back(f);
  }
  uint64_t seq = last_seq_.load();
  // One time for the group, never before the previous record's.
  const uint64_t time = std::max(now_micros_(), last_time_);
  for (Waiter* g : group) {
    g->batch->seq = ++seq;
    g->batch->time_unix_micros = time;
  }
  last_time_ = time;
  lock.Unlock();

  // Followers are parked until FinishLocked, so their batches and buffers are
  // ours to read and frame, and the queue keeps any other thread away from the
  // file. Each record is framed where it was encoded and appended from
  // there: the vectors are not copied again before the kernel's own copy.
  std::vector<std::string_view> records;
  records.reserve(group.size());
  std::string prefix;
  for (Waiter* g : group) {
    prefix.clear();
    PutFixed64(&prefix, g->batch->time_unix_micros);
    codec_->AppendSeqPrefix(g->batch->seq, &prefix);
    records.push_back(FrameRecordInPlace(&g->record, kRecordSlack,
                                         g->batch->seq, prefix,
                                         RecordType::kTimedBatch));
  }
  Status poison;
  s = WriteGroup(records, &poison);
  if (s.ok()) {
    file_last_time_.store(time);
    last_time_pub_.store(time);
    last_seq_.store(seq);
    if (seq_waiters_.load() > 0) {
      MutexLock wake(&seq_mu_);
      seq_cv_.SignalAll();
    }
    for (Waiter* g : group) (*g->apply)(*g->batch);
  } else {
    for (Waiter* g : group) {
      g->batch->seq = 0;
      g->batch->time_unix_micros = 0;
    }
  }

  lock.Lock();
  if (!poison.ok()) poisoned_ = poison;
  FinishLocked(group.back(), s);
  return s;
}

Status WalWriter::WriteGroup(const std::vector<std::string_view>& records,
                             Status* poison) {
  uint64_t appended = 0;
  for (std::string_view r : records) {
    Status s = file_->Append(r);
    if (!s.ok()) {
      Status undo = UndoAppend();
      if (!undo.ok()) {
        *poison = Status::IOError(
            "WAL is read-only: could not undo a failed append (" +
            undo.message() + "); reopen the collection");
      }
      return s;
    }
    appended += r.size();
  }
  Status s = file_->Sync();
  if (!s.ok()) {
    *poison = Status::IOError(
        "WAL is read-only after a failed fsync; reopen the collection (" +
        s.message() + ")");
    // Best effort: drop the unacknowledged group so that, absent a crash,
    // a later replay sees exactly the acknowledged writes.
    (void)env_->TruncateFile(file_path_, good_size_);
    return s;
  }
  good_size_ += appended;
  live_bytes_.fetch_add(appended);
  sync_count_.fetch_add(1);
  return Status::OK();
}

Status WalWriter::UndoAppend() {
  // The append may have left a prefix of the group behind; cut it off and
  // reopen, since a WritableFile's own offset cannot be rewound.
  (void)file_->Close();
  file_.reset();
  PDB_RETURN_IF_ERROR(env_->TruncateFile(file_path_, good_size_));
  PDB_ASSIGN_OR_RETURN(file_, env_->NewAppendableFile(file_path_));
  if (file_->Size() != good_size_) {
    return Status::IOError("wal " + file_path_ + " has size " +
                           std::to_string(file_->Size()) + " after truncation");
  }
  return Status::OK();
}

Status WalWriter::Rotate(
    const std::function<void(uint64_t last_seq)>& at_switch) {
  Waiter w;
  MutexLock lock(&mu_);
  EnqueueLocked(&w);
  Status s = CheckWritableLocked();
  if (s.ok()) {
    lock.Unlock();
    const uint64_t last = last_seq_.load();
    // An empty current file already is wal-<last+1>.log.
    if (last + 1 != file_first_seq_.load()) s = StartFile(last + 1);
    if (s.ok()) at_switch(last);
    const bool stray =
        !s.ok() && env_->FileExists(dir_ + "/" + WalFileName(last + 1));
    lock.Lock();
    // A leftover file named after the next seq would make the current
    // file's later records look obsolete; stop writing rather than risk it.
    if (stray) poisoned_ = Status::IOError("WAL is read-only: " + s.message());
  }
  FinishLocked(&w, s);
  return s;
}

Status WalWriter::RemoveObsoleteFiles(uint64_t fence_seq) {
  MutexLock files(&files_mu_);
  // Nothing the archive still needs goes.
  fence_seq = std::min(fence_seq, archive_floor_.load());
  // Files older than the current one are immutable, so a snapshot of the
  // current file's first seq is all the coordination Rotate needs.
  const uint64_t current = file_first_seq_.load();
  // Sealed files whose records are all <= the fence, oldest first. A file
  // holds seqs [first, next file's first - 1].
  std::vector<std::map<uint64_t, SealedFile>::iterator> covered;
  for (auto it = sealed_.begin(); it != sealed_.end(); ++it) {
    if (it->first >= current || LastSeqLocked(it, current) > fence_seq) break;
    covered.push_back(it);
  }
  // Keep the newest of them within the retention; the rest go, oldest
  // first, so the files on disk always hold one contiguous range.
  size_t keep_from = covered.size();
  if (retention_.enabled()) {
    const uint64_t now = now_micros_();
    uint64_t bytes = 0;
    while (keep_from > 0) {
      const SealedFile& f = covered[keep_from - 1]->second;
      const bool young = f.last_time_micros != 0 &&
                         f.last_time_micros + retention_.max_age_micros > now;
      if (!young || bytes + f.size > retention_.max_bytes) break;
      bytes += f.size;
      --keep_from;
    }
  }
  bool removed = false;
  Status status;
  for (size_t i = 0; i < keep_from; ++i) {
    const std::string path = dir_ + "/" + WalFileName(covered[i]->first);
    Status s = env_->RemoveFile(path);
    if (!s.ok() && !s.IsNotFound()) {
      status = s;
      break;
    }
    live_bytes_.fetch_sub(
        std::min(covered[i]->second.size, live_bytes_.load()));
    sealed_.erase(covered[i]);
    removed = true;
  }
  if (removed) PDB_RETURN_IF_ERROR(env_->SyncDir(dir_));
  return status;
}

uint64_t WalWriter::WaitForSeqAfter(uint64_t seq, uint64_t timeout_ms) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(timeout_ms);
  seq_waiters_.fetch_add(1);
  {
    MutexLock lock(&seq_mu_);
    while (last_seq_.load() <= seq && !closing_.load()) {
      if (!seq_cv_.WaitUntil(&seq_mu_, deadline)) break;
    }
  }
  seq_waiters_.fetch_sub(1);
  return last_seq_.load();
}

std::vector<SealedWalFile> WalWriter::SealedFiles() {
  MutexLock files(&files_mu_);
  const uint64_t current = file_first_seq_.load();
  std::vector<SealedWalFile> out;
  for (auto it = sealed_.begin(); it != sealed_.end(); ++it) {
    if (it->first >= current) break;
    const uint64_t last = LastSeqLocked(it, current);
    if (last < it->first) continue;  // holds no record
    out.push_back(
        SealedWalFile{it->first, last, dir_ + "/" + WalFileName(it->first)});
  }
  return out;
}

uint64_t WalWriter::LastSeqLocked(
    std::map<uint64_t, SealedFile>::const_iterator it, uint64_t current) const {
  auto next = std::next(it);
  return (next != sealed_.end() ? next->first : current) - 1;
}

uint64_t WalWriter::first_retained_seq() {
  MutexLock files(&files_mu_);
  return sealed_.empty() ? file_first_seq_.load() : sealed_.begin()->first;
}

uint64_t WalWriter::BytesAfter(uint64_t fence_seq) {
  MutexLock files(&files_mu_);
  const uint64_t current = file_first_seq_.load();
  uint64_t covered = 0;
  for (auto it = sealed_.begin(); it != sealed_.end(); ++it) {
    if (LastSeqLocked(it, current) > fence_seq) break;
    covered += it->second.size;
  }
  const uint64_t live = live_bytes_.load();
  return live > covered ? live - covered : 0;
}

Status WalWriter::Close() {
  Waiter w;
  MutexLock lock(&mu_);
  EnqueueLocked(&w);
  Status s;
  if (!closed_) {
    closed_ = true;
    if (file_ != nullptr) s = file_->Close();
    file_.reset();
  }
  FinishLocked(&w, Status::OK());
  lock.Unlock();
  closing_.store(true);
  {
    MutexLock wake(&seq_mu_);  // followers stop waiting
    seq_cv_.SignalAll();
  }
  return s;
}

}  // namespace proximadb::wal
