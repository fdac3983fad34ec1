// The framing shared by the checksummed JSON files of the catalog module
// (the collection manifest, the alias manifest; docs/FORMATS.md):
//
//   magic (8 bytes) | version u32 | body length n u64 | body (n bytes, one
//   JSON object) | masked CRC32C of every byte before it, u32
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"

namespace proximadb::catalog {

// `magic` must be 8 bytes.
std::string EncodeFramedJson(std::string_view magic, uint32_t version,
                             const nlohmann::json& body);

// The body, every framing check passed; kCorruption("<what> <path>: <why>")
// for a short file, a wrong magic or version, a length that does not match
// the size, a checksum mismatch, or a body that is not a JSON object.
Result<nlohmann::json> DecodeFramedJson(std::string_view data,
                                        std::string_view magic,
                                        uint32_t version, std::string_view what,
                                        const std::string& path);

}  // namespace proximadb::catalog
