#include "cluster/shard_snapshot.h"

#include <nlohmann/json.hpp>

#include "cluster/cluster_catalog.h"

namespace proximadb::cluster {

namespace {
constexpr int kRecordVersion = 1;
}  // namespace

std::string EncodeShardSnapshotRecord(const ShardSnapshotRecord& r) {
  nlohmann::json j = {{"version", kRecordVersion},
                      {"node_id", r.node_id},
                      {"snapshot_id", r.snapshot_id},
                      {"applied_seq", r.position.applied_seq},
                      {"max_token", r.position.max_token},
                      {"fenced_entries", r.position.fenced_entries},
                      {"created_unix_ms", r.created_unix_ms},
                      {"points", r.points},
                      {"size_bytes", r.size_bytes}};
  return SealJson(std::move(j));
}

Result<ShardSnapshotRecord> DecodeShardSnapshotRecord(
    const std::string& bytes, const std::string& where) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("shard snapshot record " + where + ": " + why);
  };
  PDB_ASSIGN_OR_RETURN(nlohmann::json j,
                       OpenSealedJson(bytes, "shard snapshot record", where));
  if (j.value("version", 0) != kRecordVersion) return bad("unknown version");
  ShardSnapshotRecord r;
  for (const char* key : {"node_id", "snapshot_id"}) {
    if (!j.contains(key) || !j[key].is_string() ||
        j[key].get<std::string>().empty()) {
      return bad(std::string("no ") + key);
    }
  }
  for (const char* key : {"applied_seq", "max_token", "fenced_entries",
                          "created_unix_ms", "points", "size_bytes"}) {
    if (!j.contains(key) || !j[key].is_number_unsigned()) {
      return bad(std::string("no ") + key);
    }
  }
  r.node_id = j["node_id"].get<std::string>();
  r.snapshot_id = j["snapshot_id"].get<std::string>();
  r.position.applied_seq = j["applied_seq"].get<uint64_t>();
  r.position.max_token = j["max_token"].get<uint64_t>();
  r.position.fenced_entries = j["fenced_entries"].get<uint64_t>();
  r.created_unix_ms = j["created_unix_ms"].get<uint64_t>();
  r.points = j["points"].get<uint64_t>();
  r.size_bytes = j["size_bytes"].get<uint64_t>();
  return r;
}

std::string ShardSnapshotPrefix(const std::string& cluster_namespace,
                                const std::string& cluster_id,
                                const std::string& node_id) {
  return "cluster/" + cluster_namespace + "/" + cluster_id + "/" + node_id +
         "/snapshots/";
}

bool SnapshotDue(uint64_t applied_seq, uint64_t snapshot_seq,
                 uint64_t interval) {
  return interval > 0 && applied_seq > snapshot_seq &&
         applied_seq - snapshot_seq >= interval;
}

uint64_t StreamKeepFrom(uint64_t snapshot_seq, uint64_t retain) {
  return snapshot_seq >= retain ? snapshot_seq - retain + 1 : 1;
}

}  // namespace proximadb::cluster
