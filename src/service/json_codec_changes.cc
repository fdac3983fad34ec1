// The change feed's NDJSON lines (json_codec.h AppendChangeLine).
#include <charconv>

#include "service/json_codec.h"
#include "service/json_fields.h"
#include "util/time_format.h"

namespace proximadb::service {

void AppendChangeLine(const Change& c, bool with_vectors, std::string* out) {
  // Written by hand: a feed is read at ingest rates, and every part but the
  // id is already JSON (the metadata was serialised when it was written) or
  // a number.
  char num[32];
  auto append_u64 = [&](uint64_t v) {
    auto [end, ec] = std::to_chars(num, num + sizeof num, v);
    out->append(num, end);
  };
  *out += "{\"seq\":";
  append_u64(c.seq);
  *out += ",\"index\":";
  append_u64(c.index);
  *out += ",\"batch_ops\":";
  append_u64(c.batch_ops);
  *out += ",\"time\":\"";
  *out += Rfc3339Micros(c.time_unix_micros);
  *out += "\",\"op\":\"";
  *out += ChangeOpName(c.op);
  *out += "\",\"id\":";
  // Ids are validated UTF-8 strings; dump() escapes them (and replaces
  // anything invalid rather than throwing).
  *out += nlohmann::json(c.id).dump(-1, ' ', false,
                                    nlohmann::json::error_handler_t::replace);
  if (with_vectors && !c.vector.empty()) {
    *out += ",\"vector\":[";
    for (size_t i = 0; i < c.vector.size(); ++i) {
      if (i > 0) *out += ',';
      auto [end, ec] = std::to_chars(num, num + sizeof num, c.vector[i]);
      out->append(num, end);
    }
    *out += ']';
  }
  if (with_vectors && !c.sparse_vectors.empty()) {
    *out += ",\"sparse_vectors\":";
    *out += detail::SparseVectorsToJson(c.sparse_vectors).dump();
  }
  if (with_vectors && !c.named_vectors.empty()) {
    *out += ",\"vectors\":";
    *out += detail::NamedVectorsToJson(c.named_vectors).dump();
  }
  if (c.expires_at_micros != 0) {
    *out += ",\"expires_at\":\"";
    *out += Rfc3339Micros(c.expires_at_micros);
    *out += '"';
  }
  if (c.op != Change::Op::kDelete) {
    *out += ",\"metadata\":";
    *out += c.metadata_json.empty() ? std::string("{}") : c.metadata_json;
  }
  *out += "}\n";
}

}  // namespace proximadb::service
