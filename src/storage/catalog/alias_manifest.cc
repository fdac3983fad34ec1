#include "storage/catalog/alias_manifest.h"

#include <nlohmann/json.hpp>

#include "storage/catalog/framed_json.h"

namespace proximadb::catalog {

using nlohmann::json;

std::string EncodeAliasManifest(const std::vector<AliasEntry>& aliases) {
  json list = json::array();
  for (const AliasEntry& a : aliases) {
    list.push_back({{"alias", a.alias},
                    {"collection", a.collection},
                    {"dir_name", a.dir_name}});
  }
  return EncodeFramedJson(kAliasManifestMagic, kAliasManifestVersion,
                          json{{"aliases", std::move(list)}});
}

Result<std::vector<AliasEntry>> DecodeAliasManifest(std::string_view data,
                                                    const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("alias manifest " + path + ": " + why);
  };
  PDB_ASSIGN_OR_RETURN(
      json j, DecodeFramedJson(data, kAliasManifestMagic, kAliasManifestVersion,
                               "alias manifest", path));
  try {
    std::vector<AliasEntry> out;
    for (const json& a : j.at("aliases")) {
      out.push_back(AliasEntry{a.at("alias").get<std::string>(),
                               a.at("collection").get<std::string>(),
                               a.at("dir_name").get<std::string>()});
    }
    return out;
  } catch (const std::exception& e) {
    return bad(e.what());
  }
}

}  // namespace proximadb::catalog
