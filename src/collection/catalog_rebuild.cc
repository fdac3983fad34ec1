// DB::RebuildCatalog: a new catalog.db from the collections' manifests
// (storage/catalog/manifest.h), for a data directory whose catalog is
// missing, damaged or behind (README, "Recovery"). Everything is checked
// before anything changes; the old catalog files go to the quarantine.
#include <algorithm>
#include <bit>
#include <set>

#include <spdlog/spdlog.h>

#include "collection/data_dir.h"
#include "collection/db_impl.h"
#include "collection/quarantine.h"
#include "collection/storage_layout.h"
#include "storage/catalog/alias_manifest.h"
#include "storage/catalog/manifest.h"
#include "storage/segment/cold_stub.h"
#include "storage/segment/segment.h"
#include "storage/wal/wal_reader.h"

namespace proximadb {

namespace {

struct Found {
  CollectionRecord rec;
  uint64_t live = 0;         // live points in segments
  uint64_t wal_records = 0;  // after the fence
};

std::string MoveAwayHint(const std::string& path) {
  return "; move " + path +
         " out of the data directory to rebuild without it, then run "
         "--rebuild-catalog again";
}

uint64_t DeadBits(const std::string& bitmap) {
  uint64_t n = 0;
  for (unsigned char c : bitmap) n += std::popcount(c);
  return n;
}

// The manifest's segments exist, verify and match it; its WAL holds every
// sequence after the fence. Nothing is changed (a torn tail is left to the
// next start, which keeps a copy before cutting it).
Status CheckCollectionFiles(Env* env, const StorageLayout& layout, Found* f) {
  const CollectionRecord& rec = f->rec;
  for (const SegmentRecord& s : rec.segments) {
    if (s.file_name.find('/') != std::string::npos) {
      return Status::Corruption("manifest names segment file " + s.file_name);
    }
    // A cold segment's file here is its stub (the object is checked when
    // it is read).
    const std::string path =
        SegmentFilesIn(layout.SegmentDir(s.placement.volume, rec.dir_name),
                       s.file_name, s.placement.tier)
            .main;
    PDB_ASSIGN_OR_RETURN(auto seg, segment::Segment::Open(env, path));
    const segment::ColdRef* ref = seg->cold_ref();
    if ((s.placement.tier == Tier::kCold) != (ref != nullptr) ||
        (ref && (ref->object_size != s.placement.object_size ||
                 ref->object_crc32c != s.placement.object_crc32c))) {
      return Status::Corruption(
          "segment file " + path +
          " does not match the manifest's placement "
          "(a stub of a cold segment, or the object it names)");
    }
    if (seg->segment_id() != s.segment_id || seg->size() != s.point_count ||
        seg->dimension() != rec.config.dimension ||
        seg->metric() != rec.config.metric) {
      return Status::Corruption("segment file " + path +
                                " does not match the manifest (segment id, "
                                "point count, dimension or metric)");
    }
    f->live +=
        s.point_count - std::min(s.point_count, DeadBits(s.deleted_bitmap));
  }
  wal::WalReplayOptions o;
  o.format = rec.config.wal_format;
  o.after_seq = rec.fenced_seq;
  o.require_continuity = true;
  o.cut_torn_tail = false;
  wal::WalReplayInfo info;
  return wal::ReplayWal(
      env, layout.WalDir(rec.wal_root, rec.dir_name), o,
      [&](const wal::WalBatch&) {
        ++f->wal_records;
        return Status::OK();
      },
      &info);
}

// The catalog is valid and none of its collections is behind its manifest
// (nor missing one): a rebuild would only lose what the catalog has beyond
// the manifests.
bool CatalogAgrees(const std::vector<CollectionRecord>& catalog,
                   const std::vector<Found>& found) {
  if (catalog.size() != found.size()) return false;
  for (const Found& f : found) {
    auto it = std::find_if(catalog.begin(), catalog.end(), [&](const auto& c) {
      return c.dir_name == f.rec.dir_name;
    });
    if (it == catalog.end() || it->generation < f.rec.generation ||
        it->fenced_seq < f.rec.fenced_seq) {
      return false;
    }
  }
  return true;
}

}  // namespace

Result<RebuildReport> DB::RebuildCatalog(const DBOptions& options,
                                         const std::string& dir, bool force) {
  Env* env = options.env ? options.env : Env::Default();
  Clock* clock = options.clock ? options.clock : Clock::Real();
  const std::string cat_path = dir + "/" + std::string(datadir::kCatalogFile);
  const std::string cdir = dir + "/" + std::string(datadir::kCollectionsDir);
  Quarantine quarantine(env, clock, dir);
  const StorageLayout layout(env, dir, options.data_directories,
                             options.wal_directory);
  // Offline only: refused while a server has the directory open.
  PDB_ASSIGN_OR_RETURN(auto locks, layout.LockRoots());
  RebuildReport report;

  // 1. Read and check every collection directory.
  std::vector<Found> found;
  std::vector<std::pair<std::string, std::string>> aside;  // path, why
  std::vector<std::string> entries;
  if (env->IsDirectory(cdir)) {
    PDB_ASSIGN_OR_RETURN(entries, env->GetChildren(cdir));
  }
  std::sort(entries.begin(), entries.end());
  std::set<std::string> names;
  for (const std::string& name : entries) {
    const std::string path = cdir + "/" + name;
    if (!env->IsDirectory(path)) {
      aside.emplace_back(path,
                         "a file in collections/, which holds only "
                         "collection directories");
      continue;
    }
    if (env->FileExists(path + "/" + std::string(kDroppedMarker))) {
      aside.emplace_back(path, "collection directory marked as dropped");
      continue;
    }
    const std::string mpath =
        path + "/" + std::string(catalog::kManifestFileName);
    if (!env->FileExists(mpath)) {
      PDB_ASSIGN_OR_RETURN(bool data, datadir::HoldsData(env, path));
      if (data) {
        return Status::FailedPrecondition(
            "cannot rebuild: " + path +
            " holds collection data but no manifest, so its configuration "
            "is unknown" +
            MoveAwayHint(path));
      }
      aside.emplace_back(path,
                         "collection directory without a manifest or "
                         "data (a creation that did not commit)");
      continue;
    }
    PDB_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(mpath));
    Found f;
    Result<CollectionRecord> m = catalog::DecodeManifest(bytes, mpath);
    if (!m.ok()) {
      return Status(
          m.status().code(),
          "cannot rebuild: " + m.status().message() + MoveAwayHint(path));
    }
    f.rec = std::move(m).value();
    if (f.rec.dir_name != name) {
      return Status::Corruption("cannot rebuild: manifest " + mpath +
                                " belongs to directory " + f.rec.dir_name +
                                MoveAwayHint(path));
    }
    if (!names.insert(f.rec.config.name).second) {
      return Status::FailedPrecondition(
          "cannot rebuild: two directories hold collection '" +
          f.rec.config.name + "'" + MoveAwayHint(path));
    }
    Status s = ValidateCollectionConfig(f.rec.config);
    if (s.ok()) s = CheckCollectionFiles(env, layout, &f);
    if (!s.ok()) {
      return Status(s.code(), "cannot rebuild collection '" +
                                  f.rec.config.name + "': " + s.message() +
                                  MoveAwayHint(path));
    }
    found.push_back(std::move(f));
  }

  // The aliases, each restored if its collection (by directory) is.
  std::vector<AliasAction> alias_actions;
  const std::string apath =
      dir + "/" + std::string(catalog::kAliasManifestFileName);
  if (env->FileExists(apath)) {
    PDB_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(apath));
    auto m = catalog::DecodeAliasManifest(bytes, apath);
    if (!m.ok()) {
      return Status(
          m.status().code(),
          "cannot rebuild: " + m.status().message() + MoveAwayHint(apath));
    }
    std::set<std::string> taken = names;
    for (const catalog::AliasEntry& e : *m) {
      auto f = std::find_if(found.begin(), found.end(), [&](const Found& x) {
        return x.rec.dir_name == e.dir_name;
      });
      std::string why;
      if (f == found.end()) {
        why = "its collection '" + e.collection + "' (directory " + e.dir_name +
              ") is not among the rebuilt collections";
      } else if (!ValidateAliasName(e.alias).ok()) {
        why = "not a valid alias name";
      } else if (!taken.insert(e.alias).second) {
        why = "the name is taken by a collection or an earlier alias";
      }
      if (!why.empty()) {
        report.skipped_aliases.push_back(e.alias + ": " + why);
        continue;
      }
      AliasAction a;
      a.kind = AliasAction::Kind::kCreate;
      a.alias = e.alias;
      a.collection = f->rec.config.name;
      alias_actions.push_back(a);
      report.aliases.push_back(AliasInfo{a.alias, a.collection});
    }
  }

  // 2. Refuse to replace a catalog that is fine, unless forced.
  if (!force) {
    auto snap = Catalog::OpenSnapshot(cat_path);
    if (snap.ok() && (*snap)->original_schema_version() > 0) {
      auto recs = (*snap)->LoadAll();
      if (recs.ok() && CatalogAgrees(*recs, found)) {
        return Status::FailedPrecondition(
            "the catalog " + cat_path +
            " is readable, its checksums hold and no collection's manifest "
            "is ahead of it: there is nothing to rebuild. To rebuild it "
            "anyway (its files go to the quarantine), add --force.");
      }
    }
  }

  // 3. Change: set aside what cannot be used, then build the new catalog
  // beside the old one and rename it into place.
  auto set_aside = [&](const std::string& path,
                       const std::string& why) -> Status {
    PDB_RETURN_IF_ERROR(quarantine.Move(path, why));
    report.quarantined.push_back(path + ": " + why);
    return Status::OK();
  };
  for (const auto& [path, why] : aside) {
    PDB_RETURN_IF_ERROR(set_aside(path, why));
  }
  const std::string tmp = cat_path + ".rebuild";
  for (const char* suffix : {"", "-wal", "-shm"}) {
    if (env->FileExists(cat_path + suffix)) {
      PDB_RETURN_IF_ERROR(set_aside(cat_path + suffix,
                                    "catalog replaced by --rebuild-catalog"));
    }
    if (env->FileExists(tmp + suffix)) {
      PDB_RETURN_IF_ERROR(set_aside(
          tmp + suffix, "leftover of an interrupted --rebuild-catalog"));
    }
  }
  {
    PDB_ASSIGN_OR_RETURN(auto cat, Catalog::Open(tmp));
    for (const Found& f : found) {
      PDB_RETURN_IF_ERROR(cat->CreateCollection(f.rec));
    }
    if (!alias_actions.empty()) {
      PDB_RETURN_IF_ERROR(cat->UpdateAliases(alias_actions));
    }
  }  // closing checkpoints the new catalog into its main file
  if (env->FileExists(tmp + "-wal")) {
    PDB_ASSIGN_OR_RETURN(uint64_t size, env->GetFileSize(tmp + "-wal"));
    if (size > 0) {
      return Status::IOError("the rebuilt catalog " + tmp +
                             " was not checkpointed on close; it is left "
                             "there and catalog.db is not replaced");
    }
  }
  PDB_RETURN_IF_ERROR(env->RenameFile(tmp, cat_path));
  PDB_RETURN_IF_ERROR(env->SyncDir(dir));
  for (const char* suffix : {"-wal", "-shm"}) {
    // Empty leftovers of the closed connection, under the old name.
    if (env->FileExists(tmp + suffix)) (void)env->RemoveFile(tmp + suffix);
  }
  for (const Found& f : found) {
    report.collections.push_back({f.rec.config.name, f.rec.dir_name,
                                  f.rec.segments.size(), f.live,
                                  f.rec.fenced_seq, f.wal_records});
    spdlog::info(
        "rebuilt collection {} ({}): {} segments, {} live points in them, "
        "fence {}, {} WAL records to replay after it",
        f.rec.config.name, f.rec.dir_name, f.rec.segments.size(), f.live,
        f.rec.fenced_seq, f.wal_records);
  }
  for (const AliasInfo& a : report.aliases) {
    spdlog::info("rebuilt alias {} -> collection {}", a.alias, a.collection);
  }
  for (const std::string& why : report.skipped_aliases) {
    spdlog::warn("alias not restored: {}", why);
  }
  std::sort(
      report.aliases.begin(), report.aliases.end(),
      [](const AliasInfo& x, const AliasInfo& y) { return x.alias < y.alias; });
  return report;
}

}  // namespace proximadb
