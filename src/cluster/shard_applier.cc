#include "cluster/shard_applier.h"

#include <nlohmann/json.hpp>

#include "cluster/shard_entry.h"
#include "index/sparse.h"
#include "storage/catalog/framed_json.h"

namespace proximadb::cluster {

namespace {

constexpr std::string_view kApplierMagic("PDBAPPL1", 8);
constexpr uint32_t kVersion = 1;

}  // namespace

ShardApplier::ShardApplier(Env* env, std::string state_path,
                           std::shared_ptr<Collection> collection,
                           AppliedPosition pos)
    : env_(env),
      state_path_(std::move(state_path)),
      collection_(std::move(collection)),
      pos_(pos),
      persisted_(pos) {}

Result<std::unique_ptr<ShardApplier>> ShardApplier::Open(
    Env* env, std::string state_path, std::shared_ptr<Collection> collection) {
  AppliedPosition pos;
  if (env->FileExists(state_path)) {
    PDB_ASSIGN_OR_RETURN(std::string bytes, env->ReadFileToString(state_path));
    PDB_ASSIGN_OR_RETURN(
        nlohmann::json j,
        catalog::DecodeFramedJson(bytes, kApplierMagic, kVersion,
                                  "shard applied position", state_path));
    for (const char* key : {"applied_seq", "max_token", "fenced_entries"}) {
      if (!j.contains(key) || !j[key].is_number_unsigned()) {
        return Status::Corruption("shard applied position " + state_path +
                                  ": no " + key);
      }
    }
    pos.applied_seq = j["applied_seq"].get<uint64_t>();
    pos.max_token = j["max_token"].get<uint64_t>();
    pos.fenced_entries = j["fenced_entries"].get<uint64_t>();
  }
  return std::unique_ptr<ShardApplier>(
      new ShardApplier(env, std::move(state_path), std::move(collection), pos));
}

Status ShardApplier::Apply(uint64_t seq, std::string_view data) {
  if (seq <= pos_.applied_seq) return Status::OK();
  if (seq != pos_.applied_seq + 1) {
    return Status::FailedPrecondition(
        "shard log entry " + std::to_string(seq) + " after " +
        std::to_string(pos_.applied_seq) + ": entries are missing");
  }
  auto entry = DecodeShardEntry(data);
  if (!entry.ok()) {
    return Status::Corruption("shard log entry " + std::to_string(seq) + ": " +
                              entry.status().message());
  }
  if (entry->fencing_token < pos_.max_token) {
    ++pos_.fenced_entries;
    pos_.applied_seq = seq;
    return Status::OK();
  }
  const auto& ops = entry->batch.ops;
  if (ops.front().type == wal::WalOp::Type::kDelete) {
    std::vector<std::string> ids;
    ids.reserve(ops.size());
    for (const auto& op : ops) ids.push_back(op.id);
    PDB_RETURN_IF_ERROR(collection_->Delete(ids).status());
  } else {
    // kUpsert and kUpdateMetadata (the whole point): both are upserts.
    std::vector<Point> points;
    points.reserve(ops.size());
    for (const auto& op : ops) {
      Point p;
      p.id = op.id;
      p.vector = op.vector;
      p.metadata = nlohmann::json::parse(op.metadata_json, nullptr, false);
      if (p.metadata.is_discarded()) {
        return Status::Corruption("shard log entry " + std::to_string(seq) +
                                  ": metadata of '" + op.id + "' is not JSON");
      }
      Status sparse = index::DecodePointVectors(op.sparse, &p.sparse_vectors,
                                                &p.named_vectors);
      if (!sparse.ok()) {
        return Status::Corruption("shard log entry " + std::to_string(seq) +
                                  ": " + sparse.message());
      }
      p.expires_at_micros = op.expires_at;
      points.push_back(std::move(p));
    }
    PDB_RETURN_IF_ERROR(collection_->Upsert(std::move(points)).status());
  }
  pos_.max_token = entry->fencing_token;
  pos_.applied_seq = seq;
  return Status::OK();
}

Status ShardApplier::WritePosition(Env* env, const std::string& state_path,
                                   const AppliedPosition& pos) {
  nlohmann::json j = {{"applied_seq", pos.applied_seq},
                      {"max_token", pos.max_token},
                      {"fenced_entries", pos.fenced_entries}};
  return env->WriteFileAtomically(
      state_path, catalog::EncodeFramedJson(kApplierMagic, kVersion, j));
}

Status ShardApplier::Persist() {
  if (pos_ == persisted_) return Status::OK();
  PDB_RETURN_IF_ERROR(WritePosition(env_, state_path_, pos_));
  persisted_ = pos_;
  return Status::OK();
}

}  // namespace proximadb::cluster
