#include "storage/catalog/framed_json.h"

#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::catalog {

namespace {

constexpr size_t kHeaderSize = 8 + 4 + 8;
constexpr size_t kTrailerSize = 4;

}  // namespace

std::string EncodeFramedJson(std::string_view magic, uint32_t version,
                             const nlohmann::json& body) {
  const std::string text = body.dump();
  std::string out(magic);
  PutFixed32(&out, version);
  PutFixed64(&out, text.size());
  out += text;
  PutFixed32(&out, crc32c::Mask(crc32c::Value(out.data(), out.size())));
  return out;
}

Result<nlohmann::json> DecodeFramedJson(std::string_view data,
                                        std::string_view magic,
                                        uint32_t version, std::string_view what,
                                        const std::string& path) {
  auto bad = [&](const std::string& why) {
    return Status::Corruption(std::string(what) + " " + path + ": " + why);
  };
  if (data.size() < kHeaderSize + kTrailerSize) return bad("too short");
  if (data.substr(0, magic.size()) != magic) return bad("bad magic");
  const uint32_t got_version = DecodeFixed32(data.data() + 8);
  if (got_version != version) {
    return bad("unsupported version " + std::to_string(got_version));
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
  nlohmann::json j =
      nlohmann::json::parse(data.substr(kHeaderSize, len), nullptr, false);
  if (j.is_discarded() || !j.is_object()) {
    return bad("body is not a JSON object");
  }
  return j;
}

}  // namespace proximadb::catalog
