// Key validation, ListAll and the checksum helpers shared by every store.
#include <cstdio>
#include <string>

#include "storage/object/object_checksum.h"
#include "storage/object/object_store.h"

namespace proximadb::object {

namespace {
// S3's limit on a key is 1024 bytes; a store's prefix comes on top, so keep
// ours well below it.
constexpr size_t kMaxKeyBytes = 900;
// ListAll asks for full pages.
constexpr size_t kListAllPage = 1000;
}  // namespace

Status ValidateKey(std::string_view key) {
  auto bad = [&](const char* why) {
    return Status::InvalidArgument("object key: " + std::string(why));
  };
  if (key.empty()) return bad("empty");
  if (key.size() > kMaxKeyBytes) {
    return bad("longer than 900 bytes");
  }
  for (size_t i = 0; i < key.size(); i++) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c < 0x20 || c == 0x7f) {
      // Only its position: the key itself would carry the character.
      return Status::InvalidArgument("object key: control character at byte " +
                                     std::to_string(i));
    }
  }
  if (key.front() == '/') return bad("starts with '/'");
  if (key.back() == '/') return bad("ends with '/'");
  // Every '/'-separated component must be a name: no "", ".", "..". (A local
  // store maps keys to paths; "a//b" or "a/./b" would alias "a/b".)
  size_t start = 0;
  while (start <= key.size()) {
    size_t end = key.find('/', start);
    if (end == std::string_view::npos) end = key.size();
    std::string_view part = key.substr(start, end - start);
    if (part.empty()) return bad("has an empty component (\"//\")");
    if (part == ".") return bad("has a \".\" component");
    if (part == "..") return bad("has a \"..\" component");
    start = end + 1;
  }
  return Status::OK();
}

Result<std::vector<ObjectInfo>> ObjectStore::ListAll(
    const std::string& prefix) {
  std::vector<ObjectInfo> all;
  std::string token;
  while (true) {
    PDB_ASSIGN_OR_RETURN(ListPage page, List(prefix, token, kListAllPage));
    for (auto& o : page.objects) all.push_back(std::move(o));
    if (page.next_token.empty()) break;
    if (page.next_token == token) {
      return Status::Internal(Describe() +
                              ": list returned the same continuation token "
                              "twice");
    }
    token = std::move(page.next_token);
  }
  return all;
}

Status VerifyObject(const std::string& store, const std::string& key,
                    uint64_t got_size, uint32_t got_crc, uint64_t want_size,
                    uint32_t want_crc) {
  if (got_size != want_size) {
    return Status::Corruption(store + ": object '" + key + "': read " +
                              std::to_string(got_size) + " bytes, " +
                              (got_size < want_size ? "shorter than" : "not") +
                              " the announced " + std::to_string(want_size));
  }
  if (got_crc != want_crc) {
    return Status::Corruption(
        store + ": object '" + key + "': checksum mismatch (crc32c " +
        CrcToHex(got_crc) + ", recorded " + CrcToHex(want_crc) + ")");
  }
  return Status::OK();
}

std::string CrcToHex(uint32_t crc) {
  char buf[9];
  std::snprintf(buf, sizeof(buf), "%08x", crc);
  return buf;
}

std::optional<uint32_t> CrcFromHex(std::string_view hex) {
  if (hex.size() != 8) return std::nullopt;
  uint32_t v = 0;
  for (char c : hex) {
    uint32_t d;
    if (c >= '0' && c <= '9') {
      d = static_cast<uint32_t>(c - '0');
    } else if (c >= 'a' && c <= 'f') {
      d = static_cast<uint32_t>(c - 'a' + 10);
    } else if (c >= 'A' && c <= 'F') {
      d = static_cast<uint32_t>(c - 'A' + 10);
    } else {
      return std::nullopt;
    }
    v = (v << 4) | d;
  }
  return v;
}

}  // namespace proximadb::object
