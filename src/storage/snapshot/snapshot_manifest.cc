#include "storage/snapshot/snapshot_manifest.h"

#include <nlohmann/json.hpp>

#include "storage/catalog/framed_json.h"

namespace proximadb::snapshot {

namespace {

using nlohmann::json;

json FileToJson(const FileEntry& f) {
  return json{{"name", f.name},
              {"role", f.role},
              {"key", f.key},
              {"size", f.size},
              {"crc32c", f.crc32c}};
}

}  // namespace

std::string EncodeManifest(const Manifest& m) {
  json colls = json::array();
  for (const CollectionEntry& c : m.collections) {
    json files = json::array();
    for (const FileEntry& f : c.files) files.push_back(FileToJson(f));
    colls.push_back(json{{"name", c.name},
                         {"dir_name", c.dir_name},
                         {"sequence", c.sequence},
                         {"fence", c.fence},
                         {"points", c.points},
                         {"sequence_time_unix_micros", c.sequence_time_micros},
                         {"files", std::move(files)}});
  }
  json aliases = json::array();
  for (const auto& [alias, coll] : m.aliases) {
    aliases.push_back(json{{"alias", alias}, {"collection", coll}});
  }
  json body{{"id", m.id},
            {"kind", m.kind},
            {"created_at_unix_ms", m.created_at_unix_ms},
            {"size_bytes", m.size_bytes},
            {"uploaded_bytes", m.uploaded_bytes},
            {"server_version", m.server_version},
            {"collections", std::move(colls)},
            {"aliases", std::move(aliases)}};
  return catalog::EncodeFramedJson(kManifestMagic, kManifestVersion, body);
}

Result<Manifest> DecodeManifest(std::string_view data,
                                const std::string& path) {
  PDB_ASSIGN_OR_RETURN(json body, catalog::DecodeFramedJson(
                                      data, kManifestMagic, kManifestVersion,
                                      "snapshot manifest", path));
  try {
    Manifest m;
    m.id = body.at("id").get<std::string>();
    m.kind = body.at("kind").get<std::string>();
    m.created_at_unix_ms = body.at("created_at_unix_ms").get<uint64_t>();
    m.size_bytes = body.at("size_bytes").get<uint64_t>();
    m.uploaded_bytes = body.at("uploaded_bytes").get<uint64_t>();
    m.server_version = body.at("server_version").get<std::string>();
    for (const json& c : body.at("collections")) {
      CollectionEntry e;
      e.name = c.at("name").get<std::string>();
      e.dir_name = c.at("dir_name").get<std::string>();
      e.sequence = c.at("sequence").get<uint64_t>();
      e.fence = c.at("fence").get<uint64_t>();
      e.points = c.at("points").get<uint64_t>();
      // Absent from the manifests written before point-in-time restore.
      e.sequence_time_micros =
          c.value("sequence_time_unix_micros", uint64_t{0});
      for (const json& f : c.at("files")) {
        FileEntry fe;
        fe.name = f.at("name").get<std::string>();
        fe.role = f.at("role").get<std::string>();
        fe.key = f.at("key").get<std::string>();
        fe.size = f.at("size").get<uint64_t>();
        fe.crc32c = f.at("crc32c").get<uint32_t>();
        if (fe.name.empty() || fe.name.find("..") != std::string::npos ||
            fe.name.front() == '/') {
          return Status::Corruption("snapshot manifest " + path +
                                    ": bad file name '" + fe.name + "'");
        }
        e.files.push_back(std::move(fe));
      }
      m.collections.push_back(std::move(e));
    }
    for (const json& a : body.at("aliases")) {
      m.aliases.emplace_back(a.at("alias").get<std::string>(),
                             a.at("collection").get<std::string>());
    }
    if (m.kind != "collection" && m.kind != "database") {
      return Status::Corruption("snapshot manifest " + path + ": kind '" +
                                m.kind + "'");
    }
    return m;
  } catch (const json::exception& e) {
    return Status::Corruption("snapshot manifest " + path + ": " + e.what());
  }
}

Status ValidateSnapshotId(std::string_view id) {
  // snap-20261130T091500.123Z-0123abcd
  auto bad = [&] {
    return Status::NotFound("no snapshot '" + std::string(id.substr(0, 64)) +
                            "' (snapshot ids look like "
                            "snap-20261130T091500.123Z-0123abcd)");
  };
  if (id.size() != 34 || id.substr(0, 5) != "snap-" || id[13] != 'T' ||
      id[20] != '.' || id[24] != 'Z' || id[25] != '-') {
    return bad();
  }
  for (size_t i = 5; i < id.size(); ++i) {
    if (i == 13 || i == 20 || i == 24 || i == 25) continue;
    const char c = id[i];
    const bool digit = c >= '0' && c <= '9';
    const bool hex = digit || (c >= 'a' && c <= 'f');
    if (i < 24 ? !digit : !hex) return bad();
  }
  return Status::OK();
}

}  // namespace proximadb::snapshot
