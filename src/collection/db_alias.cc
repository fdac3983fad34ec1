// Aliases (docs/API.md, "Aliases"): the catalog's aliases table is the
// truth, DBImpl::aliases_ its copy in memory (GetCollection resolves through
// it), aliases.manifest its copy on disk for --rebuild-catalog
// (storage/catalog/alias_manifest.h).
#include <spdlog/spdlog.h>

#include "collection/db_impl.h"
#include "storage/catalog/alias_manifest.h"

namespace proximadb {

Status DBImpl::UpdateAliases(const std::vector<AliasAction>& actions) {
  PDB_RETURN_IF_ERROR(ValidateAliasActions(actions));
  MutexLock lock(&mu_);
  // The catalog checks every action against the state the earlier ones
  // left, in one transaction; mu_ keeps collections_ and aliases_ equal to
  // what it holds, so applying the same actions here cannot fail.
  PDB_RETURN_IF_ERROR(catalog_->UpdateAliases(actions));
  RemoveUncommittedDirsLocked();
  for (const AliasAction& a : actions) {
    if (a.kind == AliasAction::Kind::kDelete) {
      aliases_.erase(a.alias);
      spdlog::info("alias {} deleted", a.alias);
    } else {
      aliases_[a.alias] = a.collection;
      spdlog::info("alias {} -> collection {}", a.alias, a.collection);
    }
  }
  Status s = WriteAliasManifestLocked();
  if (!s.ok()) {
    // Committed and served; only the rebuild's copy is behind, and the
    // next start rewrites it from the catalog.
    spdlog::error(
        "aliases updated, but {} could not be rewritten ({}): it is "
        "rewritten at the next start",
        catalog::kAliasManifestFileName, s.ToString());
  }
  return Status::OK();
}

std::vector<AliasInfo> DBImpl::ListAliases() {
  MutexLock lock(&mu_);
  std::vector<AliasInfo> out;
  out.reserve(aliases_.size());
  for (const auto& [alias, collection] : aliases_) {
    out.push_back(AliasInfo{alias, collection});
  }
  return out;
}

std::vector<catalog::AliasEntry> DBImpl::AliasEntriesLocked() {
  std::vector<catalog::AliasEntry> out;
  for (const auto& [alias, name] : aliases_) {
    out.push_back(catalog::AliasEntry{alias, name, DirNameLocked(name)});
  }
  return out;
}

Status DBImpl::WriteAliasManifestLocked() {
  return options_.env->WriteFileAtomically(
      dir_ + "/" + std::string(catalog::kAliasManifestFileName),
      catalog::EncodeAliasManifest(AliasEntriesLocked()));
}

Status DBImpl::SyncAliasManifestLocked() {
  Env* env = options_.env;
  const std::string path =
      dir_ + "/" + std::string(catalog::kAliasManifestFileName);
  const std::vector<catalog::AliasEntry> want = AliasEntriesLocked();
  std::string why;
  if (!env->FileExists(path)) {
    if (want.empty()) return Status::OK();  // nothing to record
    why = "missing";
  } else {
    PDB_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(path));
    auto have = catalog::DecodeAliasManifest(bytes, path);
    if (!have.ok()) {
      PDB_RETURN_IF_ERROR(quarantine_->Move(
          path, "damaged alias manifest (" + have.status().message() +
                    "); rewritten from the catalog"));
      why = "damaged";
    } else if (*have != want) {
      why = "behind the catalog";
    } else {
      return Status::OK();
    }
  }
  PDB_RETURN_IF_ERROR(WriteAliasManifestLocked());
  spdlog::info("{} written (it was {})", catalog::kAliasManifestFileName, why);
  return Status::OK();
}

}  // namespace proximadb
