// VectorService's snapshot operations (docs/API.md, "Snapshots"): the typed
// functions both transports call, and their JSON forms.
#include "service/json_codec.h"
#include "service/service.h"
#include "util/limits.h"

namespace proximadb::service {

using nlohmann::json;

namespace {

Result<SnapshotTarget> ParseTarget(const std::string& t) {
  if (t.empty()) return SnapshotTarget::kDefault;
  if (t == "local") return SnapshotTarget::kLocal;
  if (t == "s3") return SnapshotTarget::kS3;
  return Status::InvalidArgument(
      "target must be \"local\" or \"s3\" (or absent: the [snapshots] "
      "default_target), got '" +
      t.substr(0, 64) + "'");
}

Status CheckName(const std::string& name, const char* what) {
  if (name.empty() || name.size() > kMaxCollectionNameBytes) {
    return Status::InvalidArgument(std::string(what) + " must be 1.." +
                                   std::to_string(kMaxCollectionNameBytes) +
                                   " bytes");
  }
  return Status::OK();
}

// The source and the target of a restore.
Status CheckRestoreNames(const std::string& collection,
                         const std::string& target) {
  PDB_RETURN_IF_ERROR(CheckName(collection, "the collection name"));
  if (target.empty()) {
    return Status::InvalidArgument(
        "missing required field 'target_collection' (the collection to "
        "restore into)");
  }
  return CheckName(target, "target_collection");
}

}  // namespace

Result<SnapshotInfo> VectorService::CreateSnapshot(
    const std::string& collection, const std::string& target) {
  PDB_ASSIGN_OR_RETURN(SnapshotTarget t, ParseTarget(target));
  return db_->CreateSnapshot(collection, t);
}

Result<std::vector<SnapshotInfo>> VectorService::ListSnapshots(
    const std::string& collection) {
  PDB_RETURN_IF_ERROR(CheckName(collection, "the collection name"));
  return db_->ListSnapshots(collection);
}

Result<SnapshotInfo> VectorService::GetSnapshot(const std::string& collection,
                                                const std::string& id) {
  PDB_RETURN_IF_ERROR(CheckName(collection, "the collection name"));
  return db_->GetSnapshot(collection, id);
}

Status VectorService::DeleteSnapshot(const std::string& collection,
                                     const std::string& id) {
  PDB_RETURN_IF_ERROR(CheckName(collection, "the collection name"));
  return db_->DeleteSnapshot(collection, id);
}

Result<RestoreResult> VectorService::RestoreSnapshot(
    const std::string& collection, const std::string& id,
    const RestoreOptions& options) {
  PDB_RETURN_IF_ERROR(CheckRestoreNames(collection, options.target_collection));
  return db_->RestoreSnapshot(collection, id, options);
}

Result<RestoreResult> VectorService::RestorePointInTime(
    const std::string& collection, const PointInTimeOptions& options) {
  PDB_RETURN_IF_ERROR(CheckRestoreNames(collection, options.target_collection));
  if (options.as_of_micros.has_value() == options.sequence.has_value()) {
    return Status::InvalidArgument(
        "give exactly one of 'as_of' (an RFC 3339 time) and 'sequence' (the "
        "point to restore to)");
  }
  return db_->RestorePointInTime(collection, options);
}

Result<SnapshotInfo> VectorService::CreateDatabaseSnapshot(
    const std::string& target) {
  PDB_ASSIGN_OR_RETURN(SnapshotTarget t, ParseTarget(target));
  return db_->CreateDatabaseSnapshot(t);
}

Result<json> VectorService::CreateDatabaseSnapshotJson(const json& body) {
  PDB_ASSIGN_OR_RETURN(std::string target, ParseSnapshotTarget(body));
  PDB_ASSIGN_OR_RETURN(SnapshotInfo s, CreateDatabaseSnapshot(target));
  return json{{"snapshot", SnapshotToJson(s, /*with_files=*/false)}};
}

Result<json> VectorService::CreateSnapshotJson(const std::string& collection,
                                               const json& body) {
  PDB_ASSIGN_OR_RETURN(std::string target, ParseSnapshotTarget(body));
  PDB_ASSIGN_OR_RETURN(SnapshotInfo s, CreateSnapshot(collection, target));
  return json{{"snapshot", SnapshotToJson(s, /*with_files=*/false)}};
}

Result<json> VectorService::ListSnapshotsJson(const std::string& collection) {
  PDB_ASSIGN_OR_RETURN(std::vector<SnapshotInfo> all,
                       ListSnapshots(collection));
  json list = json::array();
  for (const SnapshotInfo& s : all) list.push_back(SnapshotToJson(s, false));
  return json{{"snapshots", std::move(list)}};
}

Result<json> VectorService::GetSnapshotJson(const std::string& collection,
                                            const std::string& id) {
  PDB_ASSIGN_OR_RETURN(SnapshotInfo s, GetSnapshot(collection, id));
  return json{{"snapshot", SnapshotToJson(s, /*with_files=*/true)}};
}

Result<json> VectorService::DeleteSnapshotJson(const std::string& collection,
                                               const std::string& id) {
  PDB_RETURN_IF_ERROR(DeleteSnapshot(collection, id));
  return json{{"id", id}, {"status", "deleted"}};
}

Result<json> VectorService::RestoreSnapshotJson(const std::string& collection,
                                                const std::string& id,
                                                const json& body) {
  PDB_ASSIGN_OR_RETURN(RestoreOptions o, ParseRestoreOptions(body));
  PDB_ASSIGN_OR_RETURN(RestoreResult r, RestoreSnapshot(collection, id, o));
  return RestoreResultToJson(r);
}

Result<json> VectorService::RestorePointInTimeJson(
    const std::string& collection, const json& body) {
  PDB_ASSIGN_OR_RETURN(PointInTimeOptions o, ParsePointInTimeOptions(body));
  PDB_ASSIGN_OR_RETURN(RestoreResult r, RestorePointInTime(collection, o));
  return RestoreResultToJson(r);
}

}  // namespace proximadb::service
