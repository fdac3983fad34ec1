#include "storage/object/local_object_store.h"

#include <algorithm>
#include <random>
#include <vector>

#include "storage/object/object_checksum.h"
#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::object {

namespace {

// Streaming copies (PutFile, GetToFile) move this much at a time.
constexpr size_t kChunk = 1 << 20;

std::string StripSlashes(std::string root) {
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  return root;
}

uint64_t RandomSalt() {
  std::random_device rd;
  return (static_cast<uint64_t>(rd()) << 32) ^ rd();
}

std::string DirOf(const std::string& path) {
  size_t slash = path.rfind('/');
  return slash == std::string::npos ? "." : path.substr(0, slash);
}

std::string Trailer(uint32_t crc) {
  std::string t;
  PutFixed32(&t, crc32c::Mask(crc));
  PutFixed32(&t, LocalObjectStore::kTrailerMagic);
  return t;
}

}  // namespace

LocalObjectStore::LocalObjectStore(Env* env, std::string root)
    : env_(env),
      root_(StripSlashes(std::move(root))),
      tmp_salt_(RandomSalt()) {}

Result<std::unique_ptr<LocalObjectStore>> LocalObjectStore::Open(
    Env* env, std::string root) {
  auto store = std::make_unique<LocalObjectStore>(env, std::move(root));
  PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(store->root_));
  std::string tmp = store->root_ + "/" + kTmpDir;
  if (env->IsDirectory(tmp)) {
    PDB_RETURN_IF_ERROR(env->RemoveDirRecursively(tmp));
  }
  return store;
}

std::string LocalObjectStore::PathOf(const std::string& key) const {
  return root_ + "/" + key;
}

Status LocalObjectStore::CheckKey(const std::string& key) const {
  PDB_RETURN_IF_ERROR(ValidateKey(key));
  if (key == kTmpDir || key.rfind(std::string(kTmpDir) + "/", 0) == 0) {
    return Status::InvalidArgument(std::string("object key: \"") + kTmpDir +
                                   "\" is reserved by " + Describe());
  }
  return Status::OK();
}

// Creates root and every directory on the way to `key`'s file; each new
// directory's parent is fsynced so the new entry survives a crash.
Status LocalObjectStore::MakeParents(const std::string& key) {
  std::vector<std::string> dirs = {root_};
  for (size_t slash = key.find('/'); slash != std::string::npos;
       slash = key.find('/', slash + 1)) {
    dirs.push_back(root_ + "/" + key.substr(0, slash));
  }
  for (const std::string& dir : dirs) {
    if (env_->IsDirectory(dir)) continue;
    PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(dir));
    if (dir != root_) PDB_RETURN_IF_ERROR(env_->SyncDir(DirOf(dir)));
  }
  return Status::OK();
}

template <typename Fill>
Status LocalObjectStore::PutWith(const std::string& key, Fill fill) {
  PDB_RETURN_IF_ERROR(CheckKey(key));
  PDB_RETURN_IF_ERROR(MakeParents(key));
  std::string tmp_dir = root_ + "/" + kTmpDir;
  PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(tmp_dir));
  std::string tmp = tmp_dir + "/" + std::to_string(tmp_salt_) + "-" +
                    std::to_string(tmp_seq_.fetch_add(1));
  Status s = [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(auto file, env_->NewWritableFile(tmp));
    PDB_ASSIGN_OR_RETURN(uint32_t crc, fill(file.get()));
    PDB_RETURN_IF_ERROR(file->Append(Trailer(crc)));
    PDB_RETURN_IF_ERROR(file->Sync());
    PDB_RETURN_IF_ERROR(file->Close());
    std::string path = PathOf(key);
    PDB_RETURN_IF_ERROR(env_->RenameFile(tmp, path));
    return env_->SyncDir(DirOf(path));
  }();
  if (!s.ok()) {
    // Best effort: the file is garbage either way and Open() sweeps it.
    (void)env_->RemoveFile(tmp);
  }
  return s;
}

Status LocalObjectStore::Put(const std::string& key, std::string_view data) {
  return PutWith(key, [&](WritableFile* f) -> Result<uint32_t> {
    PDB_RETURN_IF_ERROR(f->Append(data));
    return crc32c::Value(data.data(), data.size());
  });
}

Status LocalObjectStore::PutFile(const std::string& key,
                                 const std::string& path) {
  PDB_ASSIGN_OR_RETURN(auto src, env_->NewRandomAccessFile(path));
  return PutWith(key, [&](WritableFile* f) -> Result<uint32_t> {
    std::string buf(kChunk, '\0');
    uint32_t crc = 0;
    uint64_t size = src->Size();
    for (uint64_t off = 0; off < size;) {
      std::string_view got;
      size_t want = static_cast<size_t>(std::min<uint64_t>(kChunk, size - off));
      PDB_RETURN_IF_ERROR(src->Read(off, want, buf.data(), &got));
      if (got.empty()) {
        return Status::IOError("read " + path + ": file shrank while copied");
      }
      PDB_RETURN_IF_ERROR(f->Append(got));
      crc = crc32c::Extend(crc, got.data(), got.size());
      off += got.size();
    }
    return crc;
  });
}

Result<std::unique_ptr<RandomAccessFile>> LocalObjectStore::OpenObject(
    const std::string& key, ObjectInfo* info) {
  PDB_RETURN_IF_ERROR(CheckKey(key));
  std::string path = PathOf(key);
  if (!env_->FileExists(path) || env_->IsDirectory(path)) {
    return Status::NotFound(Describe() + ": no object '" + key + "'");
  }
  auto file = env_->NewRandomAccessFile(path);
  if (!file.ok()) {
    if (file.status().IsNotFound()) {  // deleted since FileExists
      return Status::NotFound(Describe() + ": no object '" + key + "'");
    }
    return file.status();
  }
  uint64_t fsize = (*file)->Size();
  if (fsize < kTrailerSize) {
    return Status::Corruption(Describe() + ": object '" + key +
                              "': " + std::to_string(fsize) +
                              " bytes, too short for its checksum trailer");
  }
  char scratch[kTrailerSize];
  std::string_view t;
  PDB_RETURN_IF_ERROR(
      (*file)->Read(fsize - kTrailerSize, kTrailerSize, scratch, &t));
  if (t.size() != kTrailerSize ||
      DecodeFixed32(t.data() + 4) != kTrailerMagic) {
    return Status::Corruption(Describe() + ": object '" + key +
                              "': bad checksum trailer");
  }
  info->key = key;
  info->size = fsize - kTrailerSize;
  info->crc32c = crc32c::Unmask(DecodeFixed32(t.data()));
  return std::move(file).value();
}

Result<std::string> LocalObjectStore::Get(const std::string& key) {
  ObjectInfo info;
  PDB_ASSIGN_OR_RETURN(auto file, OpenObject(key, &info));
  std::string data(info.size, '\0');
  std::string_view got;
  PDB_RETURN_IF_ERROR(file->Read(0, info.size, data.data(), &got));
  PDB_RETURN_IF_ERROR(VerifyObject(Describe(), key, got.size(),
                                   crc32c::Value(got.data(), got.size()),
                                   info.size, info.crc32c));
  if (got.data() != data.data()) data.assign(got);
  return data;
}

Result<ObjectInfo> LocalObjectStore::GetToFile(const std::string& key,
                                               const std::string& path) {
  ObjectInfo info;
  PDB_ASSIGN_OR_RETURN(auto file, OpenObject(key, &info));
  PDB_ASSIGN_OR_RETURN(auto out, env_->NewWritableFile(path));
  std::string buf(kChunk, '\0');
  uint32_t crc = 0;
  uint64_t off = 0;
  while (off < info.size) {
    std::string_view got;
    size_t want =
        static_cast<size_t>(std::min<uint64_t>(kChunk, info.size - off));
    PDB_RETURN_IF_ERROR(file->Read(off, want, buf.data(), &got));
    if (got.empty()) break;  // shorter than the trailer says: caught below
    PDB_RETURN_IF_ERROR(out->Append(got));
    crc = crc32c::Extend(crc, got.data(), got.size());
    off += got.size();
  }
  PDB_RETURN_IF_ERROR(
      VerifyObject(Describe(), key, off, crc, info.size, info.crc32c));
  PDB_RETURN_IF_ERROR(out->Sync());
  PDB_RETURN_IF_ERROR(out->Close());
  return info;
}

Result<std::string> LocalObjectStore::GetRange(const std::string& key,
                                               uint64_t offset,
                                               uint64_t length) {
  ObjectInfo info;
  PDB_ASSIGN_OR_RETURN(auto file, OpenObject(key, &info));
  if (offset >= info.size || length == 0) return std::string();
  size_t n =
      static_cast<size_t>(std::min<uint64_t>(length, info.size - offset));
  std::string data(n, '\0');
  std::string_view got;
  PDB_RETURN_IF_ERROR(file->Read(offset, n, data.data(), &got));
  if (got.data() != data.data()) data.assign(got);
  data.resize(got.size());
  return data;
}

Result<ObjectInfo> LocalObjectStore::Head(const std::string& key) {
  ObjectInfo info;
  PDB_ASSIGN_OR_RETURN(auto file, OpenObject(key, &info));
  return info;
}

// Collects the objects under root/rel_dir whose key starts with `prefix`.
Status LocalObjectStore::Walk(const std::string& rel_dir,
                              const std::string& prefix,
                              std::vector<ObjectInfo>* out) {
  std::string dir = rel_dir.empty() ? root_ : root_ + "/" + rel_dir;
  auto children = env_->GetChildren(dir);
  if (!children.ok()) {
    // A missing directory holds no objects.
    if (children.status().IsNotFound() || !env_->FileExists(dir)) {
      return Status::OK();
    }
    return children.status();
  }
  for (const std::string& name : *children) {
    if (rel_dir.empty() && name == kTmpDir) continue;
    std::string key = rel_dir.empty() ? name : rel_dir + "/" + name;
    std::string path = root_ + "/" + key;
    // Prune: a directory is entered only if keys below it can match.
    if (env_->IsDirectory(path)) {
      std::string as_dir = key + "/";
      size_t n = std::min(as_dir.size(), prefix.size());
      if (as_dir.compare(0, n, prefix, 0, n) == 0) {
        PDB_RETURN_IF_ERROR(Walk(key, prefix, out));
      }
      continue;
    }
    if (key.compare(0, prefix.size(), prefix) != 0) continue;
    auto size = env_->GetFileSize(path);
    if (!size.ok()) {
      if (size.status().IsNotFound()) continue;  // deleted meanwhile
      return size.status();
    }
    // A file too short for a trailer is listed as empty; Get reports it.
    uint64_t s = *size >= kTrailerSize ? *size - kTrailerSize : 0;
    out->push_back(ObjectInfo{key, s, 0});
  }
  return Status::OK();
}

Result<ListPage> LocalObjectStore::List(const std::string& prefix,
                                        const std::string& token,
                                        size_t max_keys) {
  if (max_keys == 0 || max_keys > 1000) {
    return Status::InvalidArgument(Describe() +
                                   ": list max_keys must be 1..1000");
  }
  std::vector<ObjectInfo> all;
  PDB_RETURN_IF_ERROR(Walk("", prefix, &all));
  std::sort(
      all.begin(), all.end(),
      [](const ObjectInfo& a, const ObjectInfo& b) { return a.key < b.key; });
  // The token is the last key of the previous page: resume after it.
  auto it = all.begin();
  if (!token.empty()) {
    it = std::upper_bound(
        all.begin(), all.end(), token,
        [](const std::string& t, const ObjectInfo& o) { return t < o.key; });
  }
  ListPage page;
  for (; it != all.end() && page.objects.size() < max_keys; ++it) {
    page.objects.push_back(std::move(*it));
  }
  if (it != all.end()) page.next_token = page.objects.back().key;
  return page;
}

Status LocalObjectStore::Delete(const std::string& key) {
  PDB_RETURN_IF_ERROR(CheckKey(key));
  std::string path = PathOf(key);
  if (env_->IsDirectory(path)) return Status::OK();  // not an object
  Status s = env_->RemoveFile(path);
  if (s.IsNotFound()) return Status::OK();
  PDB_RETURN_IF_ERROR(s);
  return env_->SyncDir(DirOf(path));
}

}  // namespace proximadb::object
