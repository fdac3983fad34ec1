#include "storage/object/object_cache.h"

#include <spdlog/spdlog.h>

#include <algorithm>
#include <cassert>
#include <cinttypes>
#include <cstdio>
#include <iterator>
#include <string>
#include <utility>
#include <vector>

#include "storage/object/object_cache_format.h"
#include "util/crc32c.h"

// Design: entries are named by a sequence number, not by their key, so a
// refetch of a stale or corrupt entry never has to replace a file a caller
// still maps: the new copy gets a new number and the old files go at the old
// entry's last release. The key lives in the .meta file, which is what Open
// reads back. Locking: mu_ guards the maps and counters only; downloads,
// checks and file removals run with it released (a key being filled or
// checked is in inflight_, which makes other Fetches of it wait).

namespace proximadb::object {

struct ObjectCache::Node {
  Node(uint64_t seq, std::string path, const cache_format::EntryMeta& meta,
       bool verified_)
      : entry(seq, std::move(path), meta.key, meta.size, meta.crc32c,
              meta.content_size, meta.content_crc32c),
        verified(verified_) {}

  Entry entry;
  int pins = 0;             // shared_ptrs handed out and not yet released
  bool verified;            // content checked since this process has it
  bool doomed = false;      // out of by_key_/lru_; files go at the last unpin
  bool referenced = false;  // the second-chance bit
  bool in_lru = false;
  std::list<Node*>::iterator lru_pos;
};

struct ObjectCache::Fill {
  bool done = false;
  Status status;
  bool erased = false;  // Erase(key) came while the fill ran
};

namespace {

// Adds the key to a store or file-system error that does not name it.
Status WithKey(const Status& s, const std::string& key) {
  if (s.ok() || s.message().find(key) != std::string::npos) return s;
  return Status(s.code(), "object cache: '" + key + "': " + s.message());
}

}  // namespace

ObjectCache::ObjectCache(Env* env, ObjectStore* store, Options opts)
    : env_(env),
      store_(store),
      opts_(std::move(opts)),
      capacity_(opts_.capacity_bytes) {}

ObjectCache::~ObjectCache() {
  MutexLock l(&mu_);
  for ([[maybe_unused]] const auto& [seq, n] : nodes_) {
    assert(n->pins == 0 && "an ObjectCache::Entry outlived its cache");
  }
}

std::string ObjectCache::PathOf(uint64_t seq, const char* suffix) const {
  return opts_.dir + "/" + cache_format::FileName(seq, suffix);
}

Result<std::unique_ptr<ObjectCache>> ObjectCache::Open(Env* env,
                                                       ObjectStore* store,
                                                       Options opts) {
  if (opts.dir.empty()) {
    return Status::InvalidArgument("object cache: no directory given");
  }
  while (opts.dir.size() > 1 && opts.dir.back() == '/') opts.dir.pop_back();
  std::unique_ptr<ObjectCache> cache(
      new ObjectCache(env, store, std::move(opts)));
  PDB_RETURN_IF_ERROR(cache->Restore());
  return cache;
}

Status ObjectCache::ScanDir(std::map<uint64_t, EntryFiles>* by_seq,
                            uint64_t* max_seq) {
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> names,
                       env_->GetChildren(opts_.dir));
  std::sort(names.begin(), names.end());
  for (const std::string& name : names) {
    uint64_t seq = 0;
    const cache_format::FileKind kind = cache_format::ParseFileName(name, &seq);
    const std::string path = opts_.dir + "/" + name;
    if (kind != cache_format::FileKind::kStray) {
      *max_seq = std::max(*max_seq, seq);
    }
    if (kind == cache_format::FileKind::kStray || env_->IsDirectory(path)) {
      report_.strays.push_back(path);
    } else if (kind == cache_format::FileKind::kFill) {
      PDB_RETURN_IF_ERROR(env_->RemoveFile(path));
      ++report_.temp_removed;
    } else if (kind == cache_format::FileKind::kObject) {
      (*by_seq)[seq].obj = true;
    } else {
      (*by_seq)[seq].meta = true;
    }
  }
  return Status::OK();
}

Status ObjectCache::Restore() {
  const std::string& dir = opts_.dir;
  PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(dir));
  std::map<uint64_t, EntryFiles> by_seq;
  uint64_t max_seq = 0;
  PDB_RETURN_IF_ERROR(ScanDir(&by_seq, &max_seq));

  std::map<std::string, uint64_t> newest;  // key -> its highest seq
  std::vector<std::unique_ptr<Node>> restored;
  for (const auto& [seq, f] : by_seq) {
    PDB_RETURN_IF_ERROR(RestoreEntry(seq, f, &newest, &restored));
  }
  // Of two entries of one key (a refetch interrupted before the old copy's
  // removal), the newer is the one the catalog last asked for.
  std::vector<std::unique_ptr<Node>> kept;
  for (auto& n : restored) {
    if (newest[n->entry.key()] == n->entry.seq_) {
      kept.push_back(std::move(n));
      continue;
    }
    PDB_RETURN_IF_ERROR(env_->RemoveFile(PathOf(n->entry.seq_, ".meta")));
    PDB_RETURN_IF_ERROR(env_->RemoveFile(n->entry.path()));
    ++report_.superseded_removed;
  }
  if (report_.temp_removed + report_.damaged_removed +
          report_.superseded_removed >
      0) {
    PDB_RETURN_IF_ERROR(env_->SyncDir(dir));
  }

  Doomed doomed;
  {
    MutexLock l(&mu_);
    next_seq_ = max_seq + 1;
    // Oldest first, each pushed to the front: the newest fill ends up the
    // most recently used.
    for (auto& n : kept) {
      report_.restored_bytes += n->entry.content_size();
      InsertLocked(std::move(n));
    }
    report_.restored_entries = kept.size();
    stats_.corrupt_entries = report_.damaged_removed;
    EvictLocked(&doomed);
  }
  PDB_RETURN_IF_ERROR(RemoveFiles(doomed));
  if (!report_.strays.empty()) {
    spdlog::warn("object cache {}: {} file(s) not of the cache's naming: {}",
                 dir, report_.strays.size(), report_.strays.front());
  }
  if (report_.damaged_removed + report_.temp_removed > 0) {
    spdlog::warn(
        "object cache {}: removed {} damaged or incomplete entries and {} "
        "interrupted fills",
        dir, report_.damaged_removed, report_.temp_removed);
  }
  return Status::OK();
}

Status ObjectCache::RestoreEntry(uint64_t seq, EntryFiles files,
                                 std::map<std::string, uint64_t>* newest,
                                 std::vector<std::unique_ptr<Node>>* restored) {
  const bool has_obj = files.obj;
  const bool has_meta = files.meta;
  const std::string obj_path = PathOf(seq, ".obj");
  const std::string meta_path = PathOf(seq, ".meta");
  std::string why;
  cache_format::EntryMeta meta;
  if (!has_obj || !has_meta) {
    why = has_obj ? "no .meta" : "no .obj";
  } else {
    Result<std::string> bytes = env_->ReadFileToString(meta_path);
    if (!bytes.ok()) return bytes.status();
    Status s = cache_format::DecodeMeta(*bytes, &meta);
    if (!s.ok()) {
      why = s.message();
    } else {
      PDB_ASSIGN_OR_RETURN(uint64_t obj_size, env_->GetFileSize(obj_path));
      if (obj_size != meta.content_size) {
        why = "object file holds " + std::to_string(obj_size) +
              " bytes, its .meta says " + std::to_string(meta.content_size);
      } else if (opts_.verify_on_open) {
        s = CheckFile(obj_path, meta.content_size, meta.content_crc32c,
                      "'" + meta.key + "' (" + obj_path + ")");
        if (s.IsCorruption()) why = s.message();
        if (!s.ok() && !s.IsCorruption()) return s;
      }
    }
  }
  if (!why.empty()) {
    spdlog::warn("object cache: removing entry {} of {}: {}", seq, opts_.dir,
                 why);
    if (has_meta) PDB_RETURN_IF_ERROR(env_->RemoveFile(meta_path));
    if (has_obj) PDB_RETURN_IF_ERROR(env_->RemoveFile(obj_path));
    ++report_.damaged_removed;
    return Status::OK();
  }
  uint64_t& top = (*newest)[meta.key];
  top = std::max(top, seq);
  restored->push_back(
      std::make_unique<Node>(seq, obj_path, meta, opts_.verify_on_open));
  return Status::OK();
}

Status ObjectCache::SizeAndCrc(const std::string& path, uint64_t limit,
                               uint64_t* size, uint32_t* crc32c) {
  PDB_ASSIGN_OR_RETURN(auto file, env_->NewRandomAccessFile(path));
  constexpr size_t kChunk = size_t{1} << 20;
  std::string scratch(kChunk, '\0');
  uint64_t offset = 0;
  uint32_t crc = 0;
  for (;;) {
    std::string_view got;
    PDB_RETURN_IF_ERROR(file->Read(offset, kChunk, scratch.data(), &got));
    if (got.empty()) break;
    crc = crc32c::Extend(crc, got.data(), got.size());
    offset += got.size();
    if (offset > limit) break;  // longer than expected: enough said
  }
  *size = offset;
  *crc32c = crc;
  return Status::OK();
}

Status ObjectCache::CheckFile(const std::string& path, uint64_t size,
                              uint32_t crc32c, const std::string& what) {
  uint64_t offset = 0;
  uint32_t crc = 0;
  PDB_RETURN_IF_ERROR(SizeAndCrc(path, size, &offset, &crc));
  if (offset != size) {
    return Status::Corruption("object cache: " + what + ": " +
                              std::to_string(offset) +
                              (offset > size ? "+" : "") + " bytes, expected " +
                              std::to_string(size));
  }
  if (crc != crc32c) {
    char buf[64];
    std::snprintf(buf, sizeof(buf), "crc32c %08" PRIx32 ", expected %08" PRIx32,
                  crc, crc32c);
    return Status::Corruption("object cache: " + what + ": " + buf);
  }
  return Status::OK();
}

Result<std::unique_ptr<ObjectCache::Node>> ObjectCache::FillEntry(
    const std::string& key, uint64_t size, uint32_t crc32c, uint64_t seq) {
  const std::string fill_path = PathOf(seq, ".fill");
  const std::string dec_path = PathOf(seq, ".dec");
  const std::string meta_path = PathOf(seq, ".meta");
  const std::string obj_path = PathOf(seq, ".obj");
  const bool transform = static_cast<bool>(opts_.transform);
  // The file renamed to .obj, and what the .meta records of it.
  const std::string& content_path = transform ? dec_path : fill_path;
  cache_format::EntryMeta meta{key, size, crc32c, size, crc32c};
  bool meta_written = false;
  bool renamed = false;
  auto steps = [&]() -> Status {
    Result<ObjectInfo> info = store_->GetToFile(key, fill_path);
    if (!info.ok()) return info.status();
    // The store checked the object against its own record; the caller's
    // catalog is the authority on which object this must be.
    PDB_RETURN_IF_ERROR(
        CheckFile(fill_path, size, crc32c,
                  "'" + key + "' downloaded from " + store_->Describe()));
    if (transform) {
      // The transform's output is durable (its contract); its checksum is
      // what a restart's first fetch and Verify check the entry against.
      PDB_RETURN_IF_ERROR(opts_.transform(env_, fill_path, dec_path));
      PDB_RETURN_IF_ERROR(SizeAndCrc(dec_path, UINT64_MAX, &meta.content_size,
                                     &meta.content_crc32c));
      PDB_RETURN_IF_ERROR(env_->RemoveFile(fill_path));
    } else {
      // The store fsyncs, but not through our env: sync again, cheap when
      // there is nothing left to write.
      PDB_ASSIGN_OR_RETURN(auto f, env_->NewAppendableFile(fill_path));
      PDB_RETURN_IF_ERROR(f->Sync());
      PDB_RETURN_IF_ERROR(f->Close());
    }
    {
      meta_written = true;
      PDB_ASSIGN_OR_RETURN(auto f, env_->NewWritableFile(meta_path));
      PDB_RETURN_IF_ERROR(f->Append(cache_format::EncodeMeta(meta)));
      PDB_RETURN_IF_ERROR(f->Sync());
      PDB_RETURN_IF_ERROR(f->Close());
    }
    PDB_RETURN_IF_ERROR(env_->RenameFile(content_path, obj_path));
    renamed = true;
    return env_->SyncDir(opts_.dir);
  };
  Status s = steps();
  if (!s.ok()) {
    // Nothing partial stays: the .meta first (an .obj without it is
    // incomplete, should this be interrupted too).
    if (meta_written && env_->FileExists(meta_path)) {
      (void)env_->RemoveFile(meta_path);
    }
    std::vector<std::string> leftovers = {renamed ? obj_path : content_path,
                                          fill_path};
    if (transform) leftovers.push_back(dec_path + ".tmp");
    for (const std::string& path : leftovers) {
      if (env_->FileExists(path)) (void)env_->RemoveFile(path);
    }
    return WithKey(s, key);
  }
  return std::make_unique<Node>(seq, obj_path, meta, /*verified_=*/true);
}

Result<std::shared_ptr<const ObjectCache::Entry>> ObjectCache::Fetch(
    const std::string& key, uint64_t size, uint32_t crc32c) {
  if (key.empty()) {
    return Status::InvalidArgument("object cache: an empty key");
  }
  Doomed doomed;
  MutexLock l(&mu_);
  for (;;) {
    if (auto it = inflight_.find(key); it != inflight_.end()) {
      std::shared_ptr<Fill> fill = it->second;
      while (!fill->done) fill_done_.Wait(&mu_);
      if (!fill->status.ok()) return fill->status;
      continue;  // look again: the entry is there (or was erased since)
    }
    auto it = by_key_.find(key);
    if (it == by_key_.end()) break;
    Node* n = it->second;
    if (n->entry.size() != size || n->entry.crc32c() != crc32c) {
      spdlog::info(
          "object cache: '{}' cached with {} bytes crc32c {:08x}, wanted {} "
          "bytes crc32c {:08x}: refetching",
          key, n->entry.size(), n->entry.crc32c(), size, crc32c);
      DoomLocked(n, &doomed);
      break;
    }
    if (n->verified) {
      ++stats_.hits;
      n->referenced = true;
      lru_.splice(lru_.begin(), lru_, n->lru_pos);
      return PinLocked(n);
    }
    // Restored at Open and not read since: check it once, with other
    // Fetches of the key waiting as for a fill.
    auto fill = std::make_shared<Fill>();
    inflight_[key] = fill;
    std::shared_ptr<const Entry> pinned = PinLocked(n);
    l.Unlock();
    Status s = CheckFile(n->entry.path(), n->entry.content_size(),
                         n->entry.content_crc32c(),
                         "'" + key + "' (" + n->entry.path() + ")");
    l.Lock();
    FinishLocked(key, fill.get(), Status::OK());
    if (s.ok()) {
      n->verified = true;
      ++stats_.hits;
      n->referenced = true;
      if (n->in_lru) lru_.splice(lru_.begin(), lru_, n->lru_pos);
      if (fill->erased) DoomLocked(n, &doomed);
      return pinned;
    }
    spdlog::warn("object cache: dropping a damaged entry: {}", s.ToString());
    if (s.IsCorruption()) ++stats_.corrupt_entries;
    if (!n->doomed) DoomLocked(n, &doomed);
    l.Unlock();
    pinned.reset();  // the last pin removes the files
    l.Lock();
    // and download it again
  }

  ++stats_.misses;
  auto fill = std::make_shared<Fill>();
  inflight_[key] = fill;
  const uint64_t seq = next_seq_++;
  l.Unlock();
  (void)RemoveFiles(doomed);
  doomed.clear();
  Result<std::unique_ptr<Node>> filled = FillEntry(key, size, crc32c, seq);
  l.Lock();
  FinishLocked(key, fill.get(), filled.status());
  if (!filled.ok()) {
    ++stats_.fill_failures;
    return filled.status();
  }
  Node* n = InsertLocked(std::move(filled).value());
  ++stats_.downloads;
  stats_.download_bytes += size;
  std::shared_ptr<const Entry> pinned = PinLocked(n);
  if (fill->erased) DoomLocked(n, &doomed);
  EvictLocked(&doomed);
  l.Unlock();
  (void)RemoveFiles(doomed);
  return pinned;
}

void ObjectCache::FinishLocked(const std::string& key, Fill* fill,
                               const Status& status) {
  inflight_.erase(key);
  fill->done = true;
  fill->status = status;
  fill_done_.SignalAll();
}

ObjectCache::Node* ObjectCache::InsertLocked(std::unique_ptr<Node> node) {
  Node* n = node.get();
  stats_.bytes_cached += n->entry.content_size();
  ++stats_.entries;
  by_key_[n->entry.key()] = n;
  lru_.push_front(n);
  n->lru_pos = lru_.begin();
  n->in_lru = true;
  nodes_[n->entry.seq_] = std::move(node);
  return n;
}

std::shared_ptr<const ObjectCache::Entry> ObjectCache::PinLocked(Node* n) {
  ++n->pins;
  return std::shared_ptr<const Entry>(&n->entry,
                                      [this, n](const Entry*) { Unpin(n); });
}

void ObjectCache::Unpin(Node* n) {
  Doomed doomed;
  {
    MutexLock l(&mu_);
    assert(n->pins > 0);
    if (--n->pins > 0) return;
    if (n->doomed) RemoveNodeLocked(n, &doomed);
    // This entry, or the bytes just freed, may end an excursion over the
    // budget.
    if (over_budget_ || stats_.bytes_cached > capacity_) EvictLocked(&doomed);
  }
  (void)RemoveFiles(doomed);
}

void ObjectCache::DoomLocked(Node* n, Doomed* doomed) {
  if (n->doomed) return;
  n->doomed = true;
  auto it = by_key_.find(n->entry.key());
  if (it != by_key_.end() && it->second == n) by_key_.erase(it);
  if (n->in_lru) {
    lru_.erase(n->lru_pos);
    n->in_lru = false;
  }
  if (n->pins == 0) RemoveNodeLocked(n, doomed);
}

void ObjectCache::RemoveNodeLocked(Node* n, Doomed* doomed) {
  doomed->push_back(PathOf(n->entry.seq_, ".meta"));
  doomed->push_back(n->entry.path());
  stats_.bytes_cached -= n->entry.content_size();
  --stats_.entries;
  nodes_.erase(n->entry.seq_);  // deletes n
}

void ObjectCache::EvictLocked(Doomed* doomed) {
  // A walk from the least recently used end. A referenced entry loses its
  // bit and moves to the front, where the walk meets it again last; a
  // pinned one is stepped over and keeps its place.
  auto it = lru_.end();
  while (stats_.bytes_cached > capacity_ && it != lru_.begin()) {
    auto cur = std::prev(it);
    Node* n = *cur;
    if (n->pins > 0) {
      it = cur;
    } else if (n->referenced) {
      n->referenced = false;
      lru_.splice(lru_.begin(), lru_, cur);
    } else {
      ++stats_.evictions;
      DoomLocked(n, doomed);  // erases cur; `it` stays valid
    }
  }
  const bool over = stats_.bytes_cached > capacity_;
  if (over && !over_budget_) {
    ++stats_.over_budget;
    spdlog::warn(
        "object cache {}: {} bytes cached, over the budget of {}: the rest "
        "is pinned",
        opts_.dir, stats_.bytes_cached, capacity_);
  }
  over_budget_ = over;
}

Status ObjectCache::RemoveFiles(const Doomed& doomed) {
  Status first;
  for (const std::string& path : doomed) {
    Status s = env_->RemoveFile(path);
    if (!s.ok() && !s.IsNotFound()) {
      spdlog::warn("object cache: {}", s.ToString());
      if (first.ok()) first = s;
    }
  }
  return first;
}

Status ObjectCache::Verify(const Entry& entry) {
  Status s =
      CheckFile(entry.path(), entry.content_size(), entry.content_crc32c(),
                "'" + entry.key() + "' (" + entry.path() + ")");
  if (!s.IsCorruption()) return s;
  Doomed doomed;
  {
    MutexLock l(&mu_);
    auto it = nodes_.find(entry.seq_);
    if (it != nodes_.end() && !it->second->doomed) {
      ++stats_.corrupt_entries;
      DoomLocked(it->second.get(), &doomed);
    }
  }
  (void)RemoveFiles(doomed);
  spdlog::warn("object cache: corrupt cache file detected: {}", s.ToString());
  return s;
}

void ObjectCache::Erase(const std::string& key) {
  Doomed doomed;
  {
    MutexLock l(&mu_);
    if (auto it = inflight_.find(key); it != inflight_.end()) {
      it->second->erased = true;
    }
    if (auto it = by_key_.find(key); it != by_key_.end()) {
      DoomLocked(it->second, &doomed);
    }
  }
  (void)RemoveFiles(doomed);
}

Status ObjectCache::SetCapacity(uint64_t capacity_bytes) {
  Doomed doomed;
  {
    MutexLock l(&mu_);
    capacity_ = capacity_bytes;
    EvictLocked(&doomed);
  }
  return RemoveFiles(doomed);
}

bool ObjectCache::Contains(const std::string& key) const {
  MutexLock l(&mu_);
  return by_key_.count(key) > 0;
}

ObjectCache::Stats ObjectCache::stats() const {
  MutexLock l(&mu_);
  Stats s = stats_;
  s.capacity = capacity_;
  return s;
}

}  // namespace proximadb::object
