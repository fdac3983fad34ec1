#include "collection/storage_layout.h"

#include <algorithm>
#include <filesystem>

#include "collection/data_dir.h"

namespace proximadb {

namespace {

std::string Lexical(const std::string& path) {
  std::string p = std::filesystem::path(path).lexically_normal().string();
  while (p.size() > 1 && p.back() == '/') p.pop_back();
  return p;
}

std::string Mib(uint64_t bytes) { return std::to_string(bytes >> 20) + " MiB"; }

}  // namespace

StorageLayout::StorageLayout(Env* env, std::string data_dir,
                             std::vector<DataDirectory> volumes,
                             std::string wal_directory)
    : env_(env), data_dir_(std::move(data_dir)) {
  for (DataDirectory& v : volumes) {
    v.path = Normalize(v.path);
    if (std::none_of(
            volumes_.begin(), volumes_.end(),
            [&](const DataDirectory& o) { return o.path == v.path; })) {
      volumes_.push_back(std::move(v));
    }
  }
  if (volumes_.empty()) volumes_.push_back(DataDirectory{"", 1});
  wal_root_ = wal_directory.empty() ? "" : Normalize(wal_directory);
}

std::string StorageLayout::Normalize(const std::string& path) const {
  const std::string p = Lexical(path);
  return p == Lexical(data_dir_) ? "" : p;
}

std::string StorageLayout::Root(const std::string& volume) const {
  return volume.empty() ? data_dir_ : volume;
}

std::string StorageLayout::CollectionDir(const std::string& volume,
                                         const std::string& dir_name) const {
  return Root(volume) + "/collections/" + dir_name;
}

std::string StorageLayout::SegmentDir(const std::string& volume,
                                      const std::string& dir_name) const {
  return CollectionDir(volume, dir_name) + "/segments";
}

std::string StorageLayout::WalDir(const std::string& wal_root,
                                  const std::string& dir_name) const {
  return CollectionDir(wal_root, dir_name) + "/wal";
}

std::vector<std::string> StorageLayout::volumes() const {
  std::vector<std::string> out;
  for (const auto& v : volumes_) out.push_back(v.path);
  return out;
}

std::vector<std::string> StorageLayout::secondary_roots() const {
  std::vector<std::string> out;
  for (const auto& v : volumes_) {
    if (!v.path.empty()) out.push_back(v.path);
  }
  if (!wal_root_.empty() &&
      std::find(out.begin(), out.end(), wal_root_) == out.end()) {
    out.push_back(wal_root_);
  }
  return out;
}

Result<std::vector<std::unique_ptr<FileLock>>> StorageLayout::LockRoots()
    const {
  std::vector<std::unique_ptr<FileLock>> locks;
  PDB_RETURN_IF_ERROR(env_->CreateDirIfMissing(data_dir_));
  std::vector<std::string> roots = {data_dir_};
  for (const std::string& r : secondary_roots()) {
    if (env_->IsDirectory(r)) roots.push_back(r);  // absent: not used either
  }
  for (const std::string& root : roots) {
    const std::string path = root + "/" + std::string(datadir::kLockFile);
    Result<std::unique_ptr<FileLock>> lock = env_->LockFile(path);
    if (!lock.ok()) {
      if (lock.status().code() != StatusCode::kFailedPrecondition) {
        return lock.status();
      }
      return Status::FailedPrecondition(
          "the directory " + root + " is in use by another server (" +
          lock.status().message() +
          "); one server per data directory: stop the other one, or give "
          "this one its own [storage] data_directory");
    }
    locks.push_back(std::move(lock).value());
  }
  return locks;
}

Result<std::string> StorageLayout::ChooseVolume(uint64_t bytes) const {
  const DataDirectory* best = nullptr;
  long double best_score = -1;
  std::string refused;
  for (const DataDirectory& v : volumes_) {
    const std::string root = Root(v.path);
    auto why_not = [&](const std::string& why) {
      refused += (refused.empty() ? "" : "; ") + root + ": " + why;
    };
    if (!env_->IsDirectory(root)) {
      why_not("missing (not mounted?)");
      continue;
    }
    Result<uint64_t> free = env_->GetFreeSpace(root);
    if (!free.ok()) {
      why_not(free.status().message());
      continue;
    }
    if (*free < bytes || *free - bytes < kMinFreeBytes) {
      why_not("full (" + Mib(*free) + " free)");
      continue;
    }
    const long double score = static_cast<long double>(*free) * v.weight;
    if (score > best_score) {
      best_score = score;
      best = &v;
    }
  }
  if (best == nullptr) {
    return Status::ResourceExhausted(
        "no data directory can take a new segment of " + Mib(bytes) +
        " (each must keep " + Mib(kMinFreeBytes) + " free): " + refused);
  }
  return best->path;
}

Status CreateDirsDurably(Env* env, const std::string& root,
                         const std::string& dir) {
  if (env->IsDirectory(dir)) return Status::OK();
  std::vector<std::string> missing;
  std::string p = dir;
  while (p.size() > root.size() && !env->IsDirectory(p)) {
    missing.push_back(p);
    const size_t slash = p.rfind('/');
    if (slash == std::string::npos || slash == 0) break;
    p = p.substr(0, slash);
  }
  if (!env->IsDirectory(p)) {
    return Status::IOError("directory " + p + " is missing (creating " + dir +
                           ")");
  }
  for (auto it = missing.rbegin(); it != missing.rend(); ++it) {
    PDB_RETURN_IF_ERROR(env->CreateDirIfMissing(*it));
    PDB_RETURN_IF_ERROR(env->SyncDir(it->substr(0, it->rfind('/'))));
  }
  return Status::OK();
}

namespace {

std::string StemOf(const std::string& file_name) {
  return file_name.substr(0, file_name.rfind('.'));
}

}  // namespace

SegmentFiles SegmentFilesOf(const std::string& file_name, Tier tier) {
  const std::string stem = StemOf(file_name);
  return SegmentFiles{tier == Tier::kCold ? stem + ".stub" : file_name,
                      stem + ".hnsw", stem + ".pidx"};
}

SegmentFiles SegmentFilesIn(const std::string& dir,
                            const std::string& file_name, Tier tier) {
  SegmentFiles f = SegmentFilesOf(file_name, tier);
  return SegmentFiles{dir + "/" + f.main, dir + "/" + f.graph,
                      dir + "/" + f.payload};
}

std::vector<std::string> AllSegmentFileNames(const std::string& file_name) {
  const std::string stem = StemOf(file_name);
  return {stem + ".pdb", stem + ".stub", stem + ".hnsw", stem + ".pidx"};
}

RootList::RootList(std::vector<std::string> initial) {
  for (const std::string& r : initial) Add(r);
}

void RootList::Add(const std::string& root) {
  if (std::find(roots_.begin(), roots_.end(), root) == roots_.end()) {
    roots_.push_back(root);
  }
}

void RootList::AddRecord(const catalog::CollectionRecord& rec, bool wal_root) {
  if (wal_root) Add(rec.wal_root);
  for (const auto& s : rec.segments) Add(s.placement.volume);
  for (const auto& s : rec.obsolete_segments) Add(s.placement.volume);
}

void RootList::DropMain() {
  roots_.erase(std::remove(roots_.begin(), roots_.end(), std::string()),
               roots_.end());
}

}  // namespace proximadb
