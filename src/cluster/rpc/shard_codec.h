// The bodies of the internal API's calls (rpc/shard_rpc.proto, CallRequest
// and Reply): engine request and result types <-> JSON, exact for floats
// (nlohmann writes them with enough digits to read back the same value).
// Decoding never throws; a malformed body is kInvalidArgument.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::cluster::rpc_codec {

std::string EncodeSearchRequest(const SearchRequest& r);
Result<SearchRequest> DecodeSearchRequest(const std::string& body);
std::string EncodeSearchResult(const SearchResult& r);
Result<SearchResult> DecodeSearchResult(const std::string& body);

std::string EncodeScrollRequest(const ScrollRequest& r);
Result<ScrollRequest> DecodeScrollRequest(const std::string& body);
std::string EncodeScrollPage(const ScrollPage& p);
Result<ScrollPage> DecodeScrollPage(const std::string& body);
std::string EncodeFacetRequest(const FacetRequest& r);
Result<FacetRequest> DecodeFacetRequest(const std::string& body);
std::string EncodeFacetResult(const FacetResult& r);
Result<FacetResult> DecodeFacetResult(const std::string& body);

// A text search (its statistics too, when the coordinator sets them), and
// a shard's statistics for "text_stats".
std::string EncodeTextSearchRequest(const TextSearchRequest& r);
Result<TextSearchRequest> DecodeTextSearchRequest(const std::string& body);
std::string EncodeTextStats(const TextCorpusStats& s);
std::string EncodeSparseSearchRequest(const SparseSearchRequest& r);
Result<SparseSearchRequest> DecodeSparseSearchRequest(const std::string& body);
Result<TextCorpusStats> DecodeTextStats(const std::string& body);

std::string EncodePoint(const StoredPoint& p);
Result<StoredPoint> DecodePoint(const std::string& body);

// The summable part of a replica's CollectionInfo (counts, bytes, times).
std::string EncodeInfo(const CollectionInfo& info);
Result<CollectionInfo> DecodeInfo(const std::string& body);

// {"filter": ...} for count, {"id": ...} for get.
// A partial metadata update as a primary receives it (WriteRequest
// PATCH_METADATA's metadata_json).
std::string EncodeMetadataPatch(const MetadataPatch& p);
Result<MetadataPatch> DecodeMetadataPatch(const std::string& body);

std::string EncodeJson(const nlohmann::json& j);
Result<nlohmann::json> DecodeJson(const std::string& body);

}  // namespace proximadb::cluster::rpc_codec
