// Helpers the object stores share to check a whole object against the size
// and CRC32C recorded when it was written (object_store.h, "Integrity"), and
// to spell that CRC the way S3 metadata carries it.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "proximadb/status.h"

namespace proximadb::object {

// OK when `got_size` / `got_crc` (what was read) match `want_size` /
// `want_crc` (what the store recorded); else kCorruption naming `store`
// (Describe()) and `key`: "body shorter than announced" first, then the
// checksum.
Status VerifyObject(const std::string& store, const std::string& key,
                    uint64_t got_size, uint32_t got_crc, uint64_t want_size,
                    uint32_t want_crc);

// 8 lower-case hex digits ("0a1b2c3d").
std::string CrcToHex(uint32_t crc);
// Exactly 8 hex digits (either case); nullopt otherwise.
std::optional<uint32_t> CrcFromHex(std::string_view hex);

}  // namespace proximadb::object
