#include "storage/catalog/alias_manifest.h"

#include <nlohmann/json.hpp>

#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::catalog {

using nlohmann::json;

namespace {

constexpr size_t kHeaderSize = 8 + 4 + 8;
constexpr size_t kTrailerSize = 4;

}  // namespace

std::string EncodeAliasManifest(const std::vector<AliasEntry>& aliases) {
  json list = json::array();
  for (const AliasEntry& a : aliases) {
    list.push_back({{"alias", a.alias},
                    {"collection", a.collection},
                    {"dir_name", a.dir_name}});
  }
  const std::string body = json{{"aliases", std::move(list)}}.dump();
  std::string out(kAliasManifestMagic);
  PutFixed32(&out, kAliasManifestVersion);
  PutFixed64(&out, body.size());
  out += body;
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

Result<std::vector<AliasEntry>> DecodeAliasManifest(std::string_view data,
                                                    const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("alias manifest " + path + ": " + why);
  };
  if (data.size() < kHeaderSize + kTrailerSize) return bad("too short");
  if (data.substr(0, kAliasManifestMagic.size()) != kAliasManifestMagic) {
    return bad("bad magic");
  }
  const uint32_t version = DecodeFixed32(data.data() + 8);
  if (version != kAliasManifestVersion) {
    return bad("unsupported version " + std::to_string(version));
  }
  const uint64_t len = DecodeFixed64(data.data() + 12);
  if (len != data.size() - kHeaderSize - kTrailerSize) {
    return bad("body length " + std::to_string(len) + " does not match size " +
               std::to_string(data.size()));
  }
  const size_t crc_at = kHeaderSize + len;
  if (crc32c::Unmask(DecodeFixed32(data.data() + crc_at)) !=
      crc32c::Value(data.data(), crc_at)) {
    return bad("checksum mismatch");
  }
  json j = json::parse(data.substr(kHeaderSize, len), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return bad("body is not a JSON object");
  }
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
