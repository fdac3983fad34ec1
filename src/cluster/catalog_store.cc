#include "cluster/catalog_store.h"

#include <algorithm>
#include <set>

#include <nlohmann/json.hpp>

#include "storage/catalog/config_codec.h"
#include "util/crc32c.h"

namespace proximadb::cluster {

Status ApplyAliasActions(const std::vector<std::string>& collections,
                         const std::vector<std::string>& taken,
                         const std::vector<AliasAction>& actions,
                         std::map<std::string, std::string>* aliases) {
  const std::set<std::string> ready(collections.begin(), collections.end());
  std::set<std::string> names(ready);
  names.insert(taken.begin(), taken.end());
  std::map<std::string, std::string> next = *aliases;
  for (size_t i = 0; i < actions.size(); ++i) {
    const AliasAction& a = actions[i];
    const std::string at = "actions[" + std::to_string(i) + "]: ";
    if (a.kind == AliasAction::Kind::kDelete) {
      if (next.erase(a.alias) == 0) {
        return Status::NotFound(at + "alias '" + a.alias + "' does not exist");
      }
      continue;
    }
    if (names.count(a.alias) != 0) {
      return Status::AlreadyExists(at + "'" + a.alias +
                                   "' is a collection's name");
    }
    if (next.count(a.alias) != 0) {
      return Status::AlreadyExists(at + "alias '" + a.alias +
                                   "' already exists");
    }
    if (ready.count(a.collection) == 0) {
      return Status::NotFound(at + "collection '" + a.collection +
                              "' does not exist");
    }
    next[a.alias] = a.collection;
  }
  *aliases = std::move(next);
  return Status::OK();
}

namespace {

constexpr int kDefVersion = 1;

}  // namespace

const char* CollectionStateName(CollectionDef::State s) {
  return s == CollectionDef::State::kReady ? "ready" : "dropping";
}

// {"version": 1, "state": ..., "config": {...}, "payload_indexes": [...],
//  "crc32c": CRC32C of the same object's dump without "crc32c"}
std::string EncodeCollectionDef(const CollectionDef& def) {
  nlohmann::json indexes = nlohmann::json::array();
  for (const PayloadIndexDef& d : def.payload_indexes) {
    indexes.push_back({{"field", d.field},
                       {"type", std::string(PayloadIndexTypeName(d.type))}});
  }
  nlohmann::json j = {{"version", kDefVersion},
                      {"state", std::string(CollectionStateName(def.state))},
                      {"config", catalog::CollectionConfigToJson(def.config)},
                      {"payload_indexes", std::move(indexes)}};
  const std::string body = j.dump();
  j["crc32c"] = crc32c::Value(body.data(), body.size());
  return j.dump();
}

Result<CollectionDef> DecodeCollectionDef(const std::string& bytes,
                                          const std::string& where) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("catalog entry " + where + ": " + why);
  };
  nlohmann::json j = nlohmann::json::parse(bytes, nullptr, false);
  if (!j.is_object()) return bad("not a JSON object");
  auto crc = j.find("crc32c");
  if (crc == j.end() || !crc->is_number_unsigned()) {
    return bad("no crc32c");
  }
  const uint64_t want = crc->get<uint64_t>();
  j.erase("crc32c");
  const std::string body = j.dump();
  if (crc32c::Value(body.data(), body.size()) != want) {
    return bad(
        "checksum mismatch (the entry was changed outside ProximaDB "
        "or damaged)");
  }
  auto version = j.find("version");
  if (version == j.end() || !version->is_number_integer() ||
      version->get<int64_t>() != kDefVersion) {
    return bad("unknown version");
  }
  CollectionDef def;
  auto state = j.find("state");
  if (state == j.end() || !state->is_string()) return bad("no state");
  if (*state == "ready") {
    def.state = CollectionDef::State::kReady;
  } else if (*state == "dropping") {
    def.state = CollectionDef::State::kDropping;
  } else {
    return bad("unknown state");
  }
  auto config = j.find("config");
  if (config == j.end() || !config->is_object()) return bad("no config");
  auto cfg = catalog::CollectionConfigFromJson(*config);
  if (!cfg.ok()) return bad(cfg.status().message());
  def.config = std::move(*cfg);
  auto indexes = j.find("payload_indexes");
  if (indexes == j.end() || !indexes->is_array()) {
    return bad("no payload_indexes");
  }
  for (const auto& d : *indexes) {
    if (!d.is_object() || !d.contains("field") || !d["field"].is_string() ||
        !d.contains("type") || !d["type"].is_string()) {
      return bad("malformed payload index");
    }
    auto type = ParsePayloadIndexType(d["type"].get<std::string>());
    if (!type.ok()) return bad(type.status().message());
    def.payload_indexes.push_back({d["field"].get<std::string>(), *type});
  }
  return def;
}

}  // namespace proximadb::cluster
