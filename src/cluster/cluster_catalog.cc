#include "cluster/cluster_catalog.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "util/crc32c.h"

namespace proximadb::cluster {

namespace {
constexpr int kVersion = 1;
}  // namespace

std::string EncodeShardedCollection(const ShardedCollection& c) {
  nlohmann::json j = {{"version", kVersion},
                      {"uid", c.uid},
                      {"created_at_unix_ms", c.created_at_unix_ms},
                      {"placement", c.placement},
                      {"shard_count", c.def.config.shard_count},
                      {"replication_factor", c.def.config.replication_factor},
                      {"def", EncodeCollectionDef(c.def)}};
  for (const ShardMove& m : c.moves) {
    j["moves"].push_back({{"shard", m.shard},
                          {"from", m.from},
                          {"to", m.to},
                          {"started_unix_ms", m.started_unix_ms}});
  }
  return SealJson(std::move(j));
}

std::string EncodeShardHandoff(const ShardHandoff& h) {
  return nlohmann::json{{"to", h.to}, {"since_unix_ms", h.since_unix_ms}}
      .dump();
}

ShardHandoff DecodeShardHandoff(const std::string& bytes) {
  const nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  ShardHandoff h;
  if (!j.is_object()) return h;
  if (auto to = j.find("to"); to != j.end() && to->is_string()) {
    h.to = to->get<std::string>();
  }
  if (auto since = j.find("since_unix_ms");
      since != j.end() && since->is_number_unsigned()) {
    h.since_unix_ms = since->get<uint64_t>();
  }
  return h;
}

std::string SealJson(nlohmann::json j) {
  const std::string body = j.dump();
  j["crc32c"] = crc32c::Value(body.data(), body.size());
  return j.dump();
}

Result<nlohmann::json> OpenSealedJson(const std::string& bytes,
                                      const std::string& what,
                                      const std::string& where) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption(what + " " + where + ": " + why);
  };
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object()) return bad("not a JSON object");
  auto crc = j.find("crc32c");
  if (crc == j.end() || !crc->is_number_unsigned()) return bad("no crc32c");
  const uint64_t want = crc->get<uint64_t>();
  j.erase("crc32c");
  const std::string body = j.dump();
  if (crc32c::Value(body.data(), body.size()) != want) {
    return bad("checksum mismatch (changed outside ProximaDB or damaged)");
  }
  return j;
}

Result<ShardedCollection> DecodeShardedCollection(const std::string& bytes,
                                                  const std::string& where) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("cluster catalog entry " + where + ": " + why);
  };
  PDB_ASSIGN_OR_RETURN(nlohmann::json j,
                       OpenSealedJson(bytes, "cluster catalog entry", where));
  if (j.value("version", 0) != kVersion) return bad("unknown version");
  ShardedCollection c;
  const auto uid = j.find("uid");
  const auto created = j.find("created_at_unix_ms");
  const auto placement = j.find("placement");
  const auto shards = j.find("shard_count");
  const auto rf = j.find("replication_factor");
  const auto def = j.find("def");
  if (uid == j.end() || !uid->is_string() || created == j.end() ||
      !created->is_number_unsigned() || placement == j.end() ||
      !placement->is_array() || shards == j.end() ||
      !shards->is_number_unsigned() || rf == j.end() ||
      !rf->is_number_unsigned() || def == j.end() || !def->is_string()) {
    return bad("a field is missing or has the wrong type");
  }
  PDB_ASSIGN_OR_RETURN(c.def,
                       DecodeCollectionDef(def->get<std::string>(), where));
  c.uid = uid->get<std::string>();
  c.created_at_unix_ms = created->get<uint64_t>();
  c.def.config.shard_count = shards->get<uint32_t>();
  c.def.config.replication_factor = rf->get<uint32_t>();
  if (c.def.config.shard_count == 0 ||
      placement->size() != c.def.config.shard_count) {
    return bad("placement does not list every shard");
  }
  for (const auto& replicas : *placement) {
    if (!replicas.is_array() || replicas.empty()) {
      return bad("a shard has no replicas");
    }
    std::vector<std::string> nodes;
    for (const auto& n : replicas) {
      if (!n.is_string()) return bad("a replica is not a node id");
      nodes.push_back(n.get<std::string>());
    }
    c.placement.push_back(std::move(nodes));
  }
  if (auto moves = j.find("moves"); moves != j.end()) {
    if (!moves->is_array()) return bad("moves is not an array");
    std::set<uint32_t> moving;
    for (const auto& m : *moves) {
      if (!m.is_object() || !m.contains("shard") ||
          !m["shard"].is_number_unsigned() || !m.contains("from") ||
          !m["from"].is_string() || !m.contains("to") || !m["to"].is_string() ||
          !m.contains("started_unix_ms") ||
          !m["started_unix_ms"].is_number_unsigned()) {
        return bad("a move is missing a field or has the wrong type");
      }
      ShardMove mv;
      mv.shard = m["shard"].get<uint32_t>();
      mv.from = m["from"].get<std::string>();
      mv.to = m["to"].get<std::string>();
      mv.started_unix_ms = m["started_unix_ms"].get<uint64_t>();
      if (mv.shard >= c.def.config.shard_count ||
          !moving.insert(mv.shard).second) {
        return bad("a move names no shard or a shard twice");
      }
      const auto& nodes = c.placement[mv.shard];
      if (std::find(nodes.begin(), nodes.end(), mv.from) == nodes.end() ||
          std::find(nodes.begin(), nodes.end(), mv.to) != nodes.end()) {
        return bad("a move's nodes do not match the shard's placement");
      }
      c.moves.push_back(std::move(mv));
    }
  }
  return c;
}

uint32_t ShardOf(std::string_view id, uint32_t shard_count) {
  if (shard_count <= 1) return 0;
  return crc32c::Value(id.data(), id.size()) % shard_count;
}

std::string LocalShardName(const std::string& uid, uint32_t shard) {
  return "c" + uid + "_s" + std::to_string(shard);
}

std::string ShardStream(const std::string& ns, const std::string& uid,
                        uint32_t shard) {
  return "PDB_" + ns + "_" + uid + "_" + std::to_string(shard);
}

std::string ShardSubject(const std::string& ns, const std::string& uid,
                         uint32_t shard) {
  return "pdb." + ns + "." + uid + "." + std::to_string(shard);
}

std::vector<std::vector<std::string>> PlaceShards(
    const std::vector<std::string>& nodes, uint32_t shard_count, uint32_t rf) {
  std::vector<std::vector<std::string>> out(shard_count);
  if (nodes.empty()) return out;
  for (uint32_t k = 0; k < shard_count; ++k) {
    for (uint32_t i = 0; i < rf && i < nodes.size(); ++i) {
      out[k].push_back(nodes[(k + i) % nodes.size()]);
    }
  }
  return out;
}

}  // namespace proximadb::cluster
