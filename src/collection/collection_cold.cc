// The cold tier (docs/ARCHITECTURE.md, "Tiers and placement"): a segment
// whose file is in the object store as a cold pack, with a local stub (ids,
// versions, metadata, norms; no vectors) and its graph and payload index
// sidecars, which stay local.
//
// Move to cold, crash-safe by its order:
//   1. pack the segment file and upload it; Head checks the store holds
//      exactly the bytes (size, CRC32C) uploaded;
//   2. write the stub beside the segment file (temporary file, fsync,
//      rename, directory fsync) and open it as start-up would;
//   3. commit the placement {cold, the object's size and CRC32C}, swap;
//   4. delete the segment file (the sidecars are shared with the stub).
// A crash before 3 leaves the segment where it was, with an object nobody
// references (overwritten by the next move of the segment) and perhaps a
// stub, which start-up deletes (a file of a known segment outside its
// placement); after 3, the segment file is that leftover.
//
// Move out of cold: download, check against the catalog's size and CRC32C,
// decode to the segment file in the target directory (temporary file,
// fsync, rename), open it with every checksum, copy the sidecars if the
// directory differs, commit, swap, then delete the stub, the cache entry
// and the object (a crash before the object's deletion leaves an object
// nobody references: harmless, overwritten by a later move to cold).
//
// Reads: a search, a get or a scroll that needs a cold segment's vectors
// takes them from ColdVectorsOf: the collection's ObjectCache holds the
// decoded segment file (fetched on demand, checked, evicted by its byte
// budget); the graph is loaded against it. The vectors of recently used
// cold segments stay resident (mapped, their cache entries pinned) while
// the resident total is within the cache budget.
#include <algorithm>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"
#include "index/hnsw/hnsw_index.h"
#include "storage/segment/cold_pack.h"
#include "storage/segment/cold_stub.h"
#include "util/crc32c.h"

namespace proximadb {

namespace {

// The cache's transform: a cold pack in, its segment file out.
Status DecodePack(Env* env, const std::string& pack_path,
                  const std::string& out_path) {
  PDB_ASSIGN_OR_RETURN(auto pack, env->MapFile(pack_path));
  return segment::DecodeColdPackToFile(
      env, std::string_view(pack->data(), pack->size()), out_path);
}

}  // namespace

uint64_t CollectionImpl::FullBytes(const LiveSegment& s) {
  const segment::ColdRef* ref = s.seg->cold_ref();
  return ref ? ref->segment_size : s.seg->file_bytes();
}

std::string CollectionImpl::ColdObjectKey(uint64_t segment_id) const {
  // The collection's directory name is unique (name + random suffix), so
  // collections sharing a bucket and prefix never share a key.
  std::string stem = SegmentFileName(segment_id);
  stem.resize(stem.rfind('.'));
  return dir_name_ + "/" + stem + ".cpk";
}

Status CollectionImpl::OpenColdCache() {
  if (!deps_.objects) return Status::OK();
  object::ObjectCache::Options o;
  o.dir = dir_ + "/" + std::string(kColdCacheDirName);
  o.capacity_bytes = Tiering().cache_mb << 20;
  o.transform = DecodePack;
  PDB_ASSIGN_OR_RETURN(
      auto cache,
      object::ObjectCache::Open(deps_.env, deps_.objects.get(), std::move(o)));
  for (const std::string& stray : cache->strays()) {
    PDB_RETURN_IF_ERROR(deps_.quarantine->Move(
        stray, "collection '" + config_.name +
                   "': unknown file in the cold tier's cache directory"));
  }
  const auto& r = cache->open_report();
  if (r.restored_entries > 0 || r.damaged_removed > 0 || r.temp_removed > 0) {
    spdlog::info(
        "collection {}: cold cache restored {} entries ({} MiB); removed {} "
        "damaged and {} interrupted fills",
        config_.name, r.restored_entries, r.restored_bytes >> 20,
        r.damaged_removed, r.temp_removed);
  }
  cold_cache_ = std::move(cache);
  return Status::OK();
}

Result<std::shared_ptr<const ColdVectors>> CollectionImpl::ColdVectorsOf(
    LiveSegment& s) {
  const uint64_t id = s.seg->segment_id();
  const segment::ColdRef* ref = s.seg->cold_ref();
  auto unavailable = [&](const std::string& why) {
    cold_read_failures_.fetch_add(1, std::memory_order_relaxed);
    return Status::Unavailable("segment " + std::to_string(id) +
                               " of collection '" + config_.name +
                               "' is in the cold tier and " + why);
  };
  if (!ref) return Status::Internal("ColdVectorsOf: not a cold segment");
  auto loaded_now = [&s]() -> std::shared_ptr<const ColdVectors> {
    MutexLock lock(&s.cold_mu_);
    return s.resident_ ? s.resident_ : s.in_use_.lock();
  };
  std::shared_ptr<const ColdVectors> v = loaded_now();
  bool loaded = false;
  if (!v) {
    MutexLock load(&s.cold_load_mu_);
    v = loaded_now();  // another read may have loaded it meanwhile
    if (!v) {
      if (!cold_cache_) {
        return unavailable(
            "no object store is configured ([tiering] s3_bucket or "
            "local_object_directory)");
      }
      auto entry =
          cold_cache_->Fetch(ref->key, ref->object_size, ref->object_crc32c);
      if (!entry.ok()) {
        return unavailable("could not be read from " +
                           deps_.objects->Describe() + ": " +
                           entry.status().ToString());
      }
      auto full = segment::Segment::Open(deps_.env, (*entry)->path(),
                                         /*verify_checksums=*/false);
      Status bad = full.ok() ? Status::OK() : full.status();
      if (bad.ok() &&
          ((*full)->segment_id() != id || (*full)->size() != s.seg->size() ||
           (*full)->dimension() != s.seg->dimension() ||
           (*full)->file_bytes() != ref->segment_size || (*full)->is_stub())) {
        bad = Status::Corruption("the cached copy is not segment " +
                                 std::to_string(id) + " as its stub records");
      }
      if (!bad.ok()) {
        cold_cache_->Erase(ref->key);
        return unavailable("its cached copy is unusable (" + bad.ToString() +
                           "); it was dropped and is fetched again next time");
      }
      auto made = std::make_shared<ColdVectors>(
          cold_cache_, std::move(entry).value(), std::move(full).value());
      if (UsesGraph() && deps_.env->FileExists(s.graph_path())) {
        auto g = LoadIndexFile(
            s.graph_path(),
            index::VectorView{made->full->vectors(), made->full->norms(),
                              static_cast<uint32_t>(made->full->size()),
                              made->full->dimension()});
        if (g.ok()) {
          made->graph = std::move(g).value();
        } else {
          // Derived data: searched exactly meanwhile; moving the segment
          // out of cold and back rebuilds it.
          spdlog::warn(
              "collection {}: graph {} of cold segment {} unreadable ({}); "
              "searching it exactly",
              config_.name, s.graph_path(), id, g.status().ToString());
        }
      }
      v = made;
      MutexLock lock(&s.cold_mu_);
      s.in_use_ = v;
      s.resident_ = v;
      loaded = true;
    }
  }
  s.cold_used_tick_.store(cold_tick_.fetch_add(1) + 1,
                          std::memory_order_relaxed);
  if (loaded) TrimResidentCold();
  return v;
}

void CollectionImpl::TrimResidentCold() {
  const uint64_t budget = Tiering().cache_mb << 20;
  std::vector<std::shared_ptr<LiveSegment>> cold;
  {
    ReaderLock lock(&state_mu_);
    for (const auto& s : segments_) {
      if (s->cold() && s->resident()) cold.push_back(s);
    }
  }
  // Most recently used first (the one just loaded among them); keep them
  // while they fit.
  std::sort(cold.begin(), cold.end(), [](const auto& a, const auto& b) {
    return a->cold_used_tick_.load(std::memory_order_relaxed) >
           b->cold_used_tick_.load(std::memory_order_relaxed);
  });
  uint64_t used = 0;
  for (const auto& s : cold) {
    MutexLock lock(&s->cold_mu_);
    if (!s->resident_) continue;
    const uint64_t b = s->resident_->entry->content_size();
    if (used + b <= budget) {
      used += b;
    } else {
      s->resident_.reset();  // reads holding it keep it until they end
    }
  }
}

void CollectionImpl::DropResidentCold() {
  std::vector<std::shared_ptr<LiveSegment>> segs;
  {
    ReaderLock lock(&state_mu_);
    segs = segments_;
  }
  for (const auto& s : segs) {
    MutexLock lock(&s->cold_mu_);
    s->resident_.reset();
  }
}

Status CollectionImpl::DeleteColdObjects() {
  if (!deps_.objects) return Status::OK();
  PDB_ASSIGN_OR_RETURN(auto objs, deps_.objects->ListAll(dir_name_ + "/"));
  for (const auto& o : objs) {
    PDB_RETURN_IF_ERROR(deps_.objects->Delete(o.key));
  }
  return Status::OK();
}

Status CollectionImpl::MoveToColdLocked(
    const std::shared_ptr<LiveSegment>& seg) {
  Env* env = deps_.env;
  object::ObjectStore* store = deps_.objects.get();
  const uint64_t id = seg->seg->segment_id();
  const std::string from_tier(TierName(seg->placement.tier));
  if (!store) {
    return Status::FailedPrecondition(
        "no object store is configured for the cold tier: set [tiering] "
        "s3_endpoint, s3_bucket, s3_access_key and s3_secret_key (or "
        "local_object_directory)");
  }
  if (UsesGraph() && seg->seg->size() > 0 &&
      !env->FileExists(seg->graph_path())) {
    // The graph is built from the vectors, which leave the disk: it goes
    // cold only once saved (the tiering pass retries later).
    return Status::FailedPrecondition(
        "segment " + std::to_string(id) +
        " cannot move to the cold tier before its graph is built and "
        "saved; try again later");
  }
  if (!IndexMatches(*seg, *Layout())) {
    // A cold segment's index is not rebuilt: it must have the layout first.
    return Status::FailedPrecondition(
        "segment " + std::to_string(id) +
        " cannot move to the cold tier while a migration rebuilds its index "
        "for the collection's new layout; try again when it is done");
  }
  auto stays = [&](const Status& s, const std::string& step) {
    return Status(s.code(), "moving segment " + std::to_string(id) +
                                " to the cold tier: " + step + ": " +
                                s.message() + "; the segment stays " +
                                from_tier);
  };
  const std::string key = ColdObjectKey(id);

  // 1. Pack and upload, then check what the store holds.
  segment::ColdRef ref;
  {
    Result<std::unique_ptr<MappedFile>> file = env->MapFile(seg->seg->path());
    if (!file.ok()) return stays(file.status(), "reading the segment file");
    const std::string_view bytes((*file)->data(), (*file)->size());
    Result<std::string> pack = segment::EncodeColdPack(bytes);
    if (!pack.ok()) return stays(pack.status(), "packing");
    ref.key = key;
    ref.object_size = pack->size();
    ref.object_crc32c = crc32c::Value(pack->data(), pack->size());
    ref.segment_size = bytes.size();
    ref.segment_crc32c = crc32c::Value(bytes.data(), bytes.size());
    Status put = store->Put(key, *pack);
    if (!put.ok()) {
      cold_transfer_failures_.fetch_add(1, std::memory_order_relaxed);
      return stays(put, "uploading to " + store->Describe());
    }
    uploads_.fetch_add(1, std::memory_order_relaxed);
    upload_bytes_.fetch_add(pack->size(), std::memory_order_relaxed);
  }
  Result<object::ObjectInfo> head = store->Head(key);
  Status checked = head.status();
  if (checked.ok() &&
      (head->size != ref.object_size ||
       (head->crc32c != 0 && head->crc32c != ref.object_crc32c))) {
    checked = Status::Corruption(
        "the store holds " + std::to_string(head->size) +
        " bytes with CRC32C " + std::to_string(head->crc32c) + ", " +
        std::to_string(ref.object_size) + " bytes with CRC32C " +
        std::to_string(ref.object_crc32c) + " were uploaded");
  }
  auto drop_object = [&] {
    Status d = store->Delete(key);
    if (!d.ok()) {
      spdlog::warn("collection {}: deleting unused object {}: {}", config_.name,
                   key, d.ToString());
    }
  };
  if (!checked.ok()) {
    cold_transfer_failures_.fetch_add(1, std::memory_order_relaxed);
    drop_object();
    return stays(checked, "checking the upload");
  }

  // 2. The stub, beside the segment file; opened as start-up opens it.
  const std::string dir =
      deps_.layout->SegmentDir(seg->placement.volume, dir_name_);
  const std::string stub_path =
      SegmentFilesIn(dir, SegmentFileName(id), Tier::kCold).main;
  Status s = segment::WriteColdStub(env, seg->seg->path(), ref, stub_path);
  Result<std::shared_ptr<segment::Segment>> stub =
      s.ok() ? segment::Segment::Open(env, stub_path)
             : Result<std::shared_ptr<segment::Segment>>(s);
  if (stub.ok() && !(*stub)->is_stub()) {
    stub = Status::Corruption(stub_path + " is not a stub");
  }
  if (!stub.ok()) {
    RemoveFilesAfterMove({stub_path});
    drop_object();
    return stays(stub.status(), "writing the stub");
  }
  catalog::Placement where;
  where.tier = Tier::kCold;
  where.volume = seg->placement.volume;
  where.object_size = ref.object_size;
  where.object_crc32c = ref.object_crc32c;
  auto moved = MovedCopy(*seg, std::move(stub).value(), where);

  // 3. Commit and swap (a failed commit keeps everything for start-up to
  // decide: the object too).
  PDB_RETURN_IF_ERROR(SwapMovedLocked(seg, moved));
  if (!moved->payload() && !LoadPayload(moved)) SchedulePayloadBuild(moved);
  ScheduleNamedGraphBuild(moved);  // the stub keeps the named vectors
  // 4. The vectors leave the disk.
  RemoveFilesAfterMove({seg->seg->path()});
  spdlog::info(
      "collection {}: segment {} moved to the cold tier ({} bytes as {} in "
      "{}, stub in {})",
      config_.name, id, ref.object_size, key, store->Describe(), dir);
  return Status::OK();
}

Status CollectionImpl::MoveFromColdLocked(
    const std::shared_ptr<LiveSegment>& seg, Tier tier,
    const std::string& volume) {
  Env* env = deps_.env;
  object::ObjectStore* store = deps_.objects.get();
  const uint64_t id = seg->seg->segment_id();
  const segment::ColdRef& ref = *seg->seg->cold_ref();
  auto stays = [&](const Status& s, const std::string& step) {
    return Status(s.code(), "moving segment " + std::to_string(id) +
                                " out of the cold tier: " + step + ": " +
                                s.message() + "; the segment stays cold");
  };
  if (!store) {
    return stays(Status::Unavailable("no object store is configured"),
                 "downloading");
  }
  const std::string to_dir = deps_.layout->SegmentDir(volume, dir_name_);
  const SegmentFiles to = SegmentFilesIn(to_dir, SegmentFileName(id), tier);
  const std::string from_dir =
      seg->seg->path().substr(0, seg->seg->path().rfind('/'));
  const bool same_dir = from_dir == to_dir;

  // 1. Download, check against the catalog, decode, verify.
  Status s = CreateDirsDurably(env, deps_.layout->Root(volume), to_dir);
  if (!s.ok()) return stays(s, "creating " + to_dir);
  Result<std::string> pack = store->Get(ref.key);
  if (pack.ok() && (pack->size() != seg->placement.object_size ||
                    crc32c::Value(pack->data(), pack->size()) !=
                        seg->placement.object_crc32c)) {
    pack = Status::Corruption("object " + ref.key +
                              " is not the one the catalog records (size or "
                              "CRC32C differs)");
  }
  if (!pack.ok()) {
    cold_transfer_failures_.fetch_add(1, std::memory_order_relaxed);
    return stays(pack.status(), "downloading from " + store->Describe());
  }
  downloads_.fetch_add(1, std::memory_order_relaxed);
  download_bytes_.fetch_add(pack->size(), std::memory_order_relaxed);
  s = segment::DecodeColdPackToFile(env, *pack, to.main);
  pack = std::string();  // frees the pack
  std::vector<std::string> sidecars;
  for (const std::string& p : {seg->graph_path(), seg->payload_path()}) {
    if (env->FileExists(p)) sidecars.push_back(p);
  }
  if (s.ok() && !same_dir) s = CopyFilesDurably(sidecars, to_dir);
  Result<std::shared_ptr<segment::Segment>> full =
      s.ok() ? segment::Segment::Open(env, to.main, /*verify_checksums=*/true)
             : Result<std::shared_ptr<segment::Segment>>(s);
  if (full.ok() &&
      ((*full)->segment_id() != id || (*full)->size() != seg->seg->size() ||
       (*full)->is_stub())) {
    full = Status::Corruption("the decoded file is not segment " +
                              std::to_string(id));
  }
  if (!full.ok()) {
    RemoveFilesAfterMove(same_dir ? std::vector<std::string>{to.main}
                                  : to.all());
    return stays(full.status(), "restoring the segment file in " + to_dir);
  }
  catalog::Placement where;
  where.tier = tier;
  where.volume = volume;
  auto moved = MovedCopy(*seg, std::move(full).value(), where);
  const bool graph_ok = LoadGraph(moved);

  // 2. Commit and swap.
  PDB_RETURN_IF_ERROR(SwapMovedLocked(seg, moved));
  if (!graph_ok) ScheduleGraphBuild(moved);
  ScheduleNamedGraphBuild(moved);
  {
    MutexLock lock(&seg->cold_mu_);
    seg->resident_.reset();
  }
  // 3. The stub (and the sidecars, if they were copied), the cache entry,
  // the object.
  std::vector<std::string> old = {seg->seg->path()};
  if (!same_dir) old.insert(old.end(), sidecars.begin(), sidecars.end());
  RemoveFilesAfterMove(old);
  if (cold_cache_) cold_cache_->Erase(ref.key);
  Status d = store->Delete(ref.key);
  if (!d.ok()) {
    spdlog::warn(
        "collection {}: deleting object {} after segment {} left the cold "
        "tier: {} (it is referenced by nothing; a later move to cold "
        "overwrites it)",
        config_.name, ref.key, id, d.ToString());
  }
  spdlog::info(
      "collection {}: segment {} moved from the cold tier to the {} "
      "tier ({})",
      config_.name, id, TierName(tier), to_dir);
  return Status::OK();
}

}  // namespace proximadb
