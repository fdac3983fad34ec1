#include "storage/catalog/manifest.h"

#include <nlohmann/json.hpp>

#include "storage/catalog/config_codec.h"
#include "storage/catalog/framed_json.h"

namespace proximadb::catalog {

using nlohmann::json;

namespace {

std::string ToHex(std::string_view bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (unsigned char c : bytes) {
    out += kDigits[c >> 4];
    out += kDigits[c & 15];
  }
  return out;
}

bool FromHex(std::string_view hex, std::string* out) {
  auto nibble = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    return -1;
  };
  if (hex.size() % 2 != 0) return false;
  out->clear();
  out->reserve(hex.size() / 2);
  for (size_t i = 0; i < hex.size(); i += 2) {
    int hi = nibble(hex[i]), lo = nibble(hex[i + 1]);
    if (hi < 0 || lo < 0) return false;
    out->push_back(static_cast<char>(hi * 16 + lo));
  }
  return true;
}

json ToJson(const CollectionRecord& rec) {
  json segs = json::array();
  for (const SegmentRecord& s : rec.segments) {
    segs.push_back({{"segment_id", s.segment_id},
                    {"file_name", s.file_name},
                    {"point_count", s.point_count},
                    {"min_seq", s.min_seq},
                    {"max_seq", s.max_seq},
                    {"deleted_bitmap", ToHex(s.deleted_bitmap)}});
    // The placement (schema 4) only when it is not the default (hot, in the
    // main data directory), as older manifests have none.
    if (s.newest_write_unix_ms != 0) {
      segs.back()["newest_write_unix_ms"] = s.newest_write_unix_ms;
    }
    const Placement& p = s.placement;
    if (p != Placement{}) {
      segs.back()["tier"] = TierName(p.tier);
      segs.back()["volume"] = p.volume;
      segs.back()["object_size"] = p.object_size;
      segs.back()["object_crc32c"] = p.object_crc32c;
    }
  }
  json defs = json::array();
  for (const PayloadIndexDef& d : rec.payload_indexes) {
    defs.push_back(
        {{"field", d.field}, {"type", PayloadIndexTypeName(d.type)}});
  }
  json j{{"name", rec.config.name},
         {"dir_name", rec.dir_name},
         {"created_at_unix_ms", rec.created_at_unix_ms},
         {"config", CollectionConfigToJson(rec.config)},
         {"payload_indexes", std::move(defs)},
         {"fenced_seq", rec.fenced_seq},
         {"next_segment_id", rec.next_segment_id},
         {"generation", rec.generation},
         {"segments", std::move(segs)}};
  if (!rec.wal_root.empty()) j["wal_root"] = rec.wal_root;
  return j;
}

// Throws nlohmann's exceptions on a wrong shape; the caller catches.
Result<CollectionRecord> FromJson(const json& j) {
  CollectionRecord rec;
  PDB_ASSIGN_OR_RETURN(rec.config, CollectionConfigFromJson(j.at("config")));
  if (rec.config.name != j.at("name").get<std::string>()) {
    return Status::Corruption("name differs from the config's");
  }
  rec.dir_name = j.at("dir_name").get<std::string>();
  rec.created_at_unix_ms = j.at("created_at_unix_ms").get<uint64_t>();
  rec.fenced_seq = j.at("fenced_seq").get<uint64_t>();
  rec.next_segment_id = j.at("next_segment_id").get<uint64_t>();
  rec.generation = j.at("generation").get<uint64_t>();
  rec.wal_root = j.value("wal_root", std::string());
  for (const json& d : j.at("payload_indexes")) {
    PayloadIndexDef def;
    def.field = d.at("field").get<std::string>();
    PDB_ASSIGN_OR_RETURN(
        def.type, ParsePayloadIndexType(d.at("type").get<std::string>()));
    rec.payload_indexes.push_back(std::move(def));
  }
  for (const json& s : j.at("segments")) {
    SegmentRecord seg;
    seg.segment_id = s.at("segment_id").get<uint64_t>();
    seg.file_name = s.at("file_name").get<std::string>();
    seg.point_count = s.at("point_count").get<uint64_t>();
    seg.min_seq = s.at("min_seq").get<uint64_t>();
    seg.max_seq = s.at("max_seq").get<uint64_t>();
    if (!FromHex(s.at("deleted_bitmap").get<std::string>(),
                 &seg.deleted_bitmap)) {
      return Status::Corruption("segment " + std::to_string(seg.segment_id) +
                                ": deleted_bitmap is not hex");
    }
    seg.newest_write_unix_ms = s.value("newest_write_unix_ms", uint64_t{0});
    if (s.contains("tier")) {
      std::optional<Tier> tier = ParseTier(s.at("tier").get<std::string>());
      if (!tier) {
        return Status::Corruption("segment " + std::to_string(seg.segment_id) +
                                  ": unknown tier");
      }
      seg.placement.tier = *tier;
      seg.placement.volume = s.at("volume").get<std::string>();
      seg.placement.object_size = s.at("object_size").get<uint64_t>();
      seg.placement.object_crc32c = s.at("object_crc32c").get<uint32_t>();
    }
    rec.segments.push_back(std::move(seg));
  }
  return rec;
}

}  // namespace

std::string EncodeManifest(const CollectionRecord& rec) {
  return EncodeFramedJson(kManifestMagic, kManifestVersion, ToJson(rec));
}

Result<CollectionRecord> DecodeManifest(std::string_view data,
                                        const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption("manifest " + path + ": " + why);
  };
  PDB_ASSIGN_OR_RETURN(json j,
                       DecodeFramedJson(data, kManifestMagic, kManifestVersion,
                                        "manifest", path));
  try {
    Result<CollectionRecord> rec = FromJson(j);
    if (!rec.ok()) return bad(rec.status().message());
    return rec;
  } catch (const std::exception& e) {
    return bad(e.what());
  }
}

bool SameRecord(const CollectionRecord& a, const CollectionRecord& b,
                std::string* why) {
  auto differ = [&](const std::string& what) {
    if (why) *why = what;
    return false;
  };
  if (a.generation != b.generation) {
    return differ("generation " + std::to_string(a.generation) + " vs " +
                  std::to_string(b.generation));
  }
  if (a.fenced_seq != b.fenced_seq) {
    return differ("fenced_seq " + std::to_string(a.fenced_seq) + " vs " +
                  std::to_string(b.fenced_seq));
  }
  if (a.next_segment_id != b.next_segment_id) {
    return differ("next_segment_id " + std::to_string(a.next_segment_id) +
                  " vs " + std::to_string(b.next_segment_id));
  }
  if (a.segments.size() != b.segments.size()) {
    return differ(std::to_string(a.segments.size()) + " vs " +
                  std::to_string(b.segments.size()) + " segments");
  }
  for (size_t i = 0; i < a.segments.size(); ++i) {
    const SegmentRecord& x = a.segments[i];
    const SegmentRecord& y = b.segments[i];
    if (x.segment_id != y.segment_id || x.file_name != y.file_name ||
        x.point_count != y.point_count || x.min_seq != y.min_seq ||
        x.max_seq != y.max_seq) {
      return differ("segment " + std::to_string(x.segment_id) + " vs " +
                    std::to_string(y.segment_id));
    }
    if (x.deleted_bitmap != y.deleted_bitmap) {
      return differ("deletion bitmap of segment " +
                    std::to_string(x.segment_id));
    }
    if (x.placement != y.placement ||
        x.newest_write_unix_ms != y.newest_write_unix_ms) {
      return differ("placement of segment " + std::to_string(x.segment_id));
    }
  }
  if (CollectionConfigToJson(a.config) != CollectionConfigToJson(b.config)) {
    return differ("config");
  }
  if (a.payload_indexes != b.payload_indexes) return differ("payload indexes");
  if (a.dir_name != b.dir_name) return differ("dir_name");
  if (a.wal_root != b.wal_root) return differ("wal_root");
  if (a.created_at_unix_ms != b.created_at_unix_ms) {
    return differ("created_at_unix_ms");
  }
  return true;
}

}  // namespace proximadb::catalog
