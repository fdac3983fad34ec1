// JSON forms of the snapshot operations (docs/API.md, "Snapshots").
#include <limits>
#include <string>

#include "service/json_codec.h"
#include "service/json_fields.h"
#include "util/time_format.h"

namespace proximadb::service {

using nlohmann::json;
using namespace detail;  // NOLINT: the codec's field helpers

Result<std::string> ParseSnapshotTarget(const json& body) {
  if (body.is_null()) return std::string();
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"target"}));
  const json* t = FindField(body, "target");
  if (t == nullptr) return std::string();
  return GetString(*t, "target");
}

namespace {

// target_collection (required) and overwrite.
Result<RestoreOptions> ParseRestoreFields(const json& body) {
  RestoreOptions o;
  const json* t = FindField(body, "target_collection");
  if (t == nullptr) {
    return Status::InvalidArgument(
        "missing required field 'target_collection' (the collection to "
        "restore into)");
  }
  PDB_ASSIGN_OR_RETURN(o.target_collection, GetString(*t, "target_collection"));
  if (const json* w = FindField(body, "overwrite")) {
    PDB_ASSIGN_OR_RETURN(o.overwrite, GetBool(*w, "overwrite"));
  }
  return o;
}

}  // namespace

Result<RestoreOptions> ParseRestoreOptions(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(
      RefuseUnknownFields(body, {"target_collection", "overwrite"}));
  return ParseRestoreFields(body);
}

Result<PointInTimeOptions> ParsePointInTimeOptions(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(
      body, {"target_collection", "overwrite", "as_of", "sequence"}));
  PDB_ASSIGN_OR_RETURN(RestoreOptions r, ParseRestoreFields(body));
  PointInTimeOptions o;
  o.target_collection = std::move(r.target_collection);
  o.overwrite = r.overwrite;
  if (const json* a = FindField(body, "as_of")) {
    PDB_ASSIGN_OR_RETURN(std::string text, GetString(*a, "as_of"));
    PDB_ASSIGN_OR_RETURN(o.as_of_micros, ParseRfc3339(text, "as_of"));
  }
  if (const json* s = FindField(body, "sequence")) {
    PDB_ASSIGN_OR_RETURN(
        o.sequence,
        GetUint(*s, "sequence", 0, std::numeric_limits<uint64_t>::max()));
  }
  return o;
}

json SnapshotToJson(const SnapshotInfo& s, bool with_files) {
  json colls = json::array();
  for (const SnapshotCollectionInfo& c : s.collections) {
    json e{{"name", c.name}, {"sequence", c.sequence}, {"points", c.points}};
    if (with_files) {
      json files = json::array();
      for (const SnapshotFileInfo& f : c.files) {
        files.push_back({{"name", f.name},
                         {"role", f.role},
                         {"size", f.size},
                         {"crc32c", f.crc32c}});
      }
      e["files"] = std::move(files);
    }
    colls.push_back(std::move(e));
  }
  return json{{"id", s.id},
              {"target", s.target},
              {"kind", s.kind},
              {"sequence", s.sequence},
              {"created_at", s.created_at_unix_ms},
              {"size_bytes", s.size_bytes},
              {"uploaded_bytes", s.uploaded_bytes},
              {"format_version", s.format_version},
              {"server_version", s.server_version},
              {"collections", std::move(colls)}};
}

json RestoreResultToJson(const RestoreResult& r) {
  return json{
      {"restored",
       {{"collection", r.collection},
        {"snapshot", r.snapshot_id},
        {"sequence", r.sequence},
        {"points", r.points},
        {"files", r.files},
        {"bytes", r.bytes},
        {"snapshot_sequence", r.snapshot_sequence},
        {"wal_records", r.wal_records},
        {"sequence_time", r.sequence_time_micros != 0
                              ? json(Rfc3339Micros(r.sequence_time_micros))
                              : json(nullptr)}}}};
}

}  // namespace proximadb::service
