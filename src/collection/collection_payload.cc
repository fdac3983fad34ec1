// Payload indexes of a collection: their definitions (catalog) and their
// per-segment data (built at flush and compaction, rebuilt in the
// background for existing segments when the definitions change or a
// sidecar file is missing or damaged).
#include <algorithm>

#include <spdlog/spdlog.h>

#include "collection/collection_impl.h"
#include "collection/point_check.h"
#include "filter/filter.h"
#include "util/limits.h"

namespace proximadb {

namespace {

// The definition change is committed; a manifest left behind is brought
// up to date at the next start.
void LogManifestError(const Status& s) {
  if (!s.ok()) spdlog::error("writing a collection manifest: {}", s.ToString());
}

bool SameDefs(std::vector<PayloadIndexDef> a, std::vector<PayloadIndexDef> b) {
  auto by_field = [](const auto& x, const auto& y) {
    return x.field < y.field;
  };
  std::sort(a.begin(), a.end(), by_field);
  std::sort(b.begin(), b.end(), by_field);
  return a == b;
}

}  // namespace

Status CollectionImpl::CreatePayloadIndex(const PayloadIndexDef& def) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  PDB_RETURN_IF_ERROR(CheckPayloadIndexField(def.field));
  MutexLock ddl(&payload_ddl_mu_);
  std::vector<PayloadIndexDef> defs = payload_defs_->Get();
  for (const auto& d : defs) {
    if (d.field != def.field) continue;
    if (d.type == def.type) return Status::OK();  // idempotent
    return Status::AlreadyExists("collection '" + config().name +
                                 "' already has a " +
                                 std::string(PayloadIndexTypeName(d.type)) +
                                 " index on '" + def.field + "'");
  }
  PDB_RETURN_IF_ERROR(deps_.catalog->AddPayloadIndex(config().name, def));
  LogManifestError(WriteManifest());
  defs.push_back(def);
  std::sort(defs.begin(), defs.end(),
            [](const auto& a, const auto& b) { return a.field < b.field; });
  payload_defs_->Set(std::move(defs));
  std::vector<std::shared_ptr<LiveSegment>> segs;
  {
    ReaderLock lock(&state_mu_);
    segs = segments_;
  }
  for (const auto& s : segs) SchedulePayloadBuild(s);
  return Status::OK();
}

Status CollectionImpl::DropPayloadIndex(const std::string& field) {
  ReaderLock life(&lifecycle_mu_);
  PDB_RETURN_IF_ERROR(CheckOpen());
  MutexLock ddl(&payload_ddl_mu_);
  std::vector<PayloadIndexDef> defs = payload_defs_->Get();
  auto it = std::find_if(defs.begin(), defs.end(),
                         [&](const auto& d) { return d.field == field; });
  if (it == defs.end()) {
    return Status::NotFound("collection '" + config().name +
                            "' has no payload index on '" + field + "'");
  }
  PDB_RETURN_IF_ERROR(deps_.catalog->DropPayloadIndex(config().name, field));
  LogManifestError(WriteManifest());
  defs.erase(it);
  payload_defs_->Set(std::move(defs));
  // Segments keep answering from their old index until rebuilt: an index
  // is correct whatever the definitions say, just no longer wanted.
  std::vector<std::shared_ptr<LiveSegment>> segs;
  {
    ReaderLock lock(&state_mu_);
    segs = segments_;
  }
  for (const auto& s : segs) SchedulePayloadBuild(s);
  return Status::OK();
}

void CollectionImpl::BuildPayloadNow(const std::shared_ptr<LiveSegment>& seg) {
  std::vector<PayloadIndexDef> defs = payload_defs_->Get();
  if (defs.empty()) return;
  seg->set_payload(SegmentPayloadIndex::Build(*seg->seg, defs));
}

void CollectionImpl::SavePayload(const std::shared_ptr<LiveSegment>& seg) {
  auto p = seg->payload();
  if (!p) return;
  Status s = seg->WriteSidecar(
      [&] { return p->Save(io_env_.get(), seg->payload_path()); });
  if (!s.ok()) {
    spdlog::warn("collection {}: saving payload index {}: {}", config_.name,
                 seg->payload_path(), s.ToString());
  }
}

bool CollectionImpl::LoadPayload(const std::shared_ptr<LiveSegment>& seg) {
  const std::vector<PayloadIndexDef> defs = payload_defs_->Get();
  const std::string path = seg->payload_path();
  if (defs.empty()) {
    // The collection's indexes were dropped: the sidecar is derived data
    // nobody wants, removed once recovery is through (Start).
    if (deps_.env->FileExists(path)) {
      plan_->stale_payload_files.push_back(path);
    }
    return true;
  }
  if (deps_.env->FileExists(path)) {
    auto p = SegmentPayloadIndex::Load(deps_.env, path, seg->seg->size());
    if (p.ok()) {
      // Serve it even when outdated (still correct), rebuild if it is.
      const bool current = SameDefs((*p)->defs(), defs);
      seg->set_payload(std::move(p).value());
      if (current) return true;
    } else {
      spdlog::warn(
          "collection {}: payload index {} unreadable ({}); "
          "rebuilding",
          config_.name, path, p.status().ToString());
    }
  }
  return false;
}

void CollectionImpl::SchedulePayloadBuild(
    const std::shared_ptr<LiveSegment>& seg) {
  std::weak_ptr<LiveSegment> weak = seg;
  std::shared_ptr<PayloadDefs> holder = payload_defs_;
  const std::string name = config_.name;
  std::shared_ptr<BackgroundIoEnv> env = io_env_;
  deps_.builds->Schedule([weak, holder, name, env] {
    std::shared_ptr<LiveSegment> s = weak.lock();
    if (!s) return;  // compacted away or dropped meanwhile
    const std::vector<PayloadIndexDef> defs = holder->Get();
    auto have = s->payload();
    if (have && SameDefs(have->defs(), defs)) return;  // already current
    const std::string path = s->payload_path();
    if (defs.empty()) {
      s->set_payload(nullptr);
      if (env->FileExists(path)) (void)env->RemoveFile(path);
      return;
    }
    BackgroundIoEnv::Task task(env.get(), BackgroundKind::kPayloadIndex, 1, 0);
    auto built = SegmentPayloadIndex::Build(*s->seg, defs);
    s->set_payload(built);
    // A segment removed by a compaction meanwhile must not get an orphan
    // sidecar (start-up would quarantine it).
    Status saved =
        s->WriteSidecar([&] { return built->Save(env.get(), path); });
    if (!saved.ok()) {
      spdlog::warn("collection {}: saving payload index {}: {}", name, path,
                   saved.ToString());
    }
  });
}

}  // namespace proximadb
