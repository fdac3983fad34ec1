#include "service/json_codec.h"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <exception>
#include <limits>
#include <optional>

#include "service/json_fields.h"
#include "util/json_depth.h"
#include "util/limits.h"
#include "util/time_format.h"

namespace proximadb::service {

using nlohmann::json;

namespace detail {

std::string Quote(std::string_view s) { return "'" + std::string(s) + "'"; }

// Looks up an optional field. JSON null counts as absent so that clients that
// serialise unset options as null are accepted.
const json* FindField(const json& obj, std::string_view key) {
  auto it = obj.find(key);
  if (it == obj.end() || it->is_null()) return nullptr;
  return &*it;
}

// First present field of `keys` (aliases), with the name that matched.
const json* FindAny(const json& obj,
                    std::initializer_list<std::string_view> keys,
                    std::string_view* matched) {
  for (std::string_view k : keys) {
    if (const json* v = FindField(obj, k)) {
      *matched = k;
      return v;
    }
  }
  return nullptr;
}

Status TypeError(std::string_view field, std::string_view want,
                 const json& got) {
  return Status::InvalidArgument("field " + Quote(field) + " must be " +
                                 std::string(want) + ", got " +
                                 std::string(got.type_name()));
}

// An integer in [lo, hi]. Floats are refused even when integral so that
// "dimension": 768.5 cannot silently become 768.
Result<uint64_t> GetUint(const json& v, std::string_view field, uint64_t lo,
                         uint64_t hi) {
  if (!v.is_number_integer()) return TypeError(field, "an integer", v);
  if ((!v.is_number_unsigned() && v.get<int64_t>() < 0) ||
      v.get<uint64_t>() < lo || v.get<uint64_t>() > hi) {
    return Status::InvalidArgument(OutOfRangeMessage(field, lo, hi, v.dump()));
  }
  return v.get<uint64_t>();
}

Result<double> GetPositiveDouble(const json& v, std::string_view field) {
  if (!v.is_number()) return TypeError(field, "a number", v);
  double x = v.get<double>();
  if (!std::isfinite(x) || x <= 0) {
    return Status::InvalidArgument("field " + Quote(field) +
                                   " must be a finite number > 0");
  }
  return x;
}

Result<bool> GetBool(const json& v, std::string_view field) {
  if (!v.is_boolean()) return TypeError(field, "a boolean", v);
  return v.get<bool>();
}

Result<std::string> GetString(const json& v, std::string_view field) {
  if (!v.is_string()) return TypeError(field, "a string", v);
  return v.get<std::string>();
}

Result<ReadConsistency> GetConsistency(const json& v) {
  if (!v.is_string()) {
    return TypeError("consistency", "a string (eventual or strong)", v);
  }
  return ParseReadConsistency(v.get_ref<const std::string&>());
}

Status RequireObject(const json& body, std::string_view what) {
  if (!body.is_object()) {
    return Status::InvalidArgument(std::string(what) +
                                   " must be a JSON object, got " +
                                   std::string(body.type_name()));
  }
  return Status::OK();
}

Status RefuseUnknownFields(const json& obj,
                           std::initializer_list<std::string_view> known,
                           std::string_view path) {
  if (!obj.is_object()) return Status::OK();
  for (const auto& [key, value] : obj.items()) {
    bool ok = false;
    for (std::string_view k : known) ok = ok || key == k;
    if (!ok) {
      std::string name = path.empty() ? key : std::string(path) + "." + key;
      return Status::InvalidArgument("unknown field " + Quote(name));
    }
  }
  return Status::OK();
}

bool IsFlushKey(std::string_view key) {
  for (std::string_view k : kFlushKeys) {
    if (k == key) return true;
  }
  return false;
}

namespace {

// Keys of the create body (top level); the index keys may also be nested in
// "index", the flush keys in "flush_policy".
constexpr std::string_view kIndexKeys[] = {
    "indexing_algorithm", "kind",         "m",     "ef_construction",
    "ef_search",          "quantization", "nlist", "nprobe"};

// The read-only fields of a collection as the API returns it
// (CollectionToJson): accepted and ignored in a create body, so that an
// answer can be sent back to create an identical collection (but a
// non-empty "payload_indexes" is refused: RefuseUnknownCreateFields).
bool IsEchoedKey(std::string_view key) {
  return key == "point_count" || key == "segment_count" ||
         key == "created_at" || key == "payload_indexes" || key == "tiers" ||
         key == "state" || key == "state_message";
}

bool IsIndexKey(std::string_view key) {
  for (std::string_view k : kIndexKeys) {
    if (k == key) return true;
  }
  return false;
}

}  // namespace

// The create body: its own keys plus the index and flush keys at the top
// level; "index" holds index keys only, "flush_policy" flush keys only.
Status RefuseUnknownCreateFields(const json& body) {
  // Payload indexes are not created with the collection: ignoring a list
  // of them would leave the user believing they exist.
  if (const json* v = FindField(body, "payload_indexes");
      v && !(v->is_array() && v->empty())) {
    return Status::InvalidArgument(
        "field 'payload_indexes': a collection is created without payload "
        "indexes; create each with POST "
        "/api/v1/collections/{name}/index/payload");
  }
  for (const auto& [key, value] : body.items()) {
    if (key == "name" || key == "dimension" || key == "distance_metric" ||
        key == "wal_format" || key == "index" || key == "flush_policy" ||
        key == "tiering" || key == "shard_count" || key == "sparse_vectors" ||
        key == "vectors" || key == "default_ttl_seconds" ||
        key == "filterable_columns" || key == "replication_factor" ||
        key == "storage_strategy" || key == "memtable" ||
        key == "compression" || IsIndexKey(key) || IsFlushKey(key) ||
        IsEchoedKey(key)) {
      continue;
    }
    return Status::InvalidArgument("unknown field " + Quote(key));
  }
  if (const json* v = FindField(body, "index"); v && v->is_object()) {
    for (const auto& [key, value] : v->items()) {
      if (!IsIndexKey(key)) {
        return Status::InvalidArgument("unknown field " +
                                       Quote("index." + key));
      }
    }
  }
  if (const json* v = FindField(body, "flush_policy"); v && v->is_object()) {
    PDB_RETURN_IF_ERROR(RefuseUnknownFlushFields(*v, "flush_policy"));
  }
  return Status::OK();
}

Status RefuseUnknownFlushFields(const json& obj, std::string_view path) {
  for (const auto& [key, value] : obj.items()) {
    if (!IsFlushKey(key)) {
      std::string name = path.empty() ? key : std::string(path) + "." + key;
      return Status::InvalidArgument("unknown field " + Quote(name));
    }
  }
  return Status::OK();
}

// Which layout choices a create or migrate body names, at its top level or
// in "index" (the others take the storage strategy's defaults).
LayoutGiven LayoutKeysGiven(const json& body) {
  const json* index = FindField(body, "index");
  auto has = [&](std::string_view key) {
    return FindField(body, key) != nullptr ||
           (index != nullptr && index->is_object() &&
            FindField(*index, key) != nullptr);
  };
  LayoutGiven g;
  g.memtable = FindField(body, "memtable") != nullptr;
  g.algorithm = has("indexing_algorithm") || has("kind");
  g.quantization = has("quantization");
  g.compression = FindField(body, "compression") != nullptr;
  return g;
}

// "filterable_columns": [{"name", "type", "indexed"?}]; the engine checks
// the names, types and which layouts take them (ValidateCollectionConfig).
Result<std::vector<FilterableColumn>> ParseFilterableColumns(const json& v) {
  if (!v.is_array()) {
    return TypeError("filterable_columns",
                     "an array of {\"name\", \"type\", \"indexed\"}", v);
  }
  std::vector<FilterableColumn> out;
  for (size_t i = 0; i < v.size(); ++i) {
    const std::string at = "filterable_columns[" + std::to_string(i) + "]";
    const json& c = v[i];
    PDB_RETURN_IF_ERROR(RequireObject(c, "field " + Quote(at)));
    PDB_RETURN_IF_ERROR(
        RefuseUnknownFields(c, {"name", "type", "indexed"}, at));
    FilterableColumn col;
    const json* name = FindField(c, "name");
    const json* type = FindField(c, "type");
    if (name == nullptr || type == nullptr) {
      return Status::InvalidArgument("missing required field " +
                                     Quote(at + (name ? ".type" : ".name")));
    }
    PDB_ASSIGN_OR_RETURN(col.name, GetString(*name, at + ".name"));
    PDB_ASSIGN_OR_RETURN(col.type, GetString(*type, at + ".type"));
    if (const json* x = FindField(c, "indexed")) {
      PDB_ASSIGN_OR_RETURN(col.indexed, GetBool(*x, at + ".indexed"));
    }
    out.push_back(std::move(col));
  }
  return out;
}

// Reads the index keys from `src` into `index` (used for the top level and
// for a nested "index" object).
Status ReadIndexFields(const json& src, IndexConfig* index) {
  // "kind" (issue 17's name) and "indexing_algorithm" (the seed's) are one
  // setting; given both, they must agree. The engine checks the value
  // (ValidateCollectionConfig: which kinds the storage strategy allows).
  const json* algo_field = FindField(src, "indexing_algorithm");
  const json* kind_field = FindField(src, "kind");
  std::optional<std::string> algo, kind;
  if (algo_field) {
    PDB_ASSIGN_OR_RETURN(algo, GetString(*algo_field, "indexing_algorithm"));
  }
  if (kind_field) {
    PDB_ASSIGN_OR_RETURN(kind, GetString(*kind_field, "kind"));
  }
  if (algo && kind && *algo != *kind) {
    return Status::InvalidArgument("fields 'kind' (" + Quote(*kind) +
                                   ") and 'indexing_algorithm' (" +
                                   Quote(*algo) + ") disagree");
  }
  if (algo || kind) index->algorithm = algo ? *algo : *kind;
  if (const json* v = FindField(src, "nlist")) {
    PDB_ASSIGN_OR_RETURN(uint64_t n, GetUint(*v, "nlist", 0, kMaxIvfNlist));
    index->nlist = static_cast<uint32_t>(n);
  }
  if (const json* v = FindField(src, "nprobe")) {
    PDB_ASSIGN_OR_RETURN(uint64_t n, GetUint(*v, "nprobe", 0, kMaxIvfNlist));
    index->nprobe = static_cast<uint32_t>(n);
  }
  if (const json* v = FindField(src, "m")) {
    PDB_ASSIGN_OR_RETURN(uint64_t m, GetUint(*v, "m", kMinHnswM, kMaxHnswM));
    index->m = static_cast<uint32_t>(m);
  }
  if (const json* v = FindField(src, "ef_construction")) {
    PDB_ASSIGN_OR_RETURN(uint64_t ef,
                         GetUint(*v, "ef_construction", kMinEf, kMaxEf));
    index->ef_construction = static_cast<uint32_t>(ef);
  }
  if (const json* v = FindField(src, "ef_search")) {
    PDB_ASSIGN_OR_RETURN(uint64_t ef, GetUint(*v, "ef_search", kMinEf, kMaxEf));
    index->ef_search = static_cast<uint32_t>(ef);
  }
  if (const json* v = FindField(src, "quantization")) {
    // The value is checked with the rest of the configuration
    // (ValidateCollectionConfig), the same for both transports.
    PDB_ASSIGN_OR_RETURN(index->quantization, GetString(*v, "quantization"));
  }
  return Status::OK();
}

Status ReadFlushFields(const json& src, FlushPolicy* flush) {
  if (const json* v = FindField(src, "max_wal_age_hours")) {
    PDB_ASSIGN_OR_RETURN(flush->max_wal_age_hours,
                         GetPositiveDouble(*v, "max_wal_age_hours"));
  }
  if (const json* v = FindField(src, "max_wal_size_mb")) {
    PDB_ASSIGN_OR_RETURN(flush->max_wal_size_mb,
                         GetPositiveDouble(*v, "max_wal_size_mb"));
  }
  if (const json* v = FindField(src, "max_vector_count")) {
    PDB_ASSIGN_OR_RETURN(flush->max_vector_count,
                         GetUint(*v, "max_vector_count", 1,
                                 std::numeric_limits<int64_t>::max()));
  }
  if (const json* v = FindField(src, "flush_priority")) {
    PDB_ASSIGN_OR_RETURN(
        uint64_t p,
        GetUint(*v, "flush_priority", kMinFlushPriority, kMaxFlushPriority));
    flush->flush_priority = static_cast<int>(p);
  }
  std::string_view name;
  if (const json* v = FindAny(
          src, {"enable_background_flush", "background_flush"}, &name)) {
    PDB_ASSIGN_OR_RETURN(flush->enable_background_flush, GetBool(*v, name));
  }
  return Status::OK();
}

// shard_count / replication_factor of a create body: an integer 0..`max`
// (0 = the node's default). Out of range reads as the engine's own check
// (ValidateCollectionConfig) says it, so both transports give one message.
static Result<uint32_t> GetClusterCount(const json& v, std::string_view field,
                                        uint32_t max) {
  if (!v.is_number_integer()) return TypeError(field, "an integer", v);
  if ((!v.is_number_unsigned() && v.get<int64_t>() < 0) ||
      v.get<uint64_t>() > max) {
    return Status::InvalidArgument(OutOfRangeMessage(field, 1, max, v.dump()));
  }
  return static_cast<uint32_t>(v.get<uint64_t>());
}

// {"indices": [u32...], "values": [numbers...]}; the engine checks the
// rest (CheckSparseVectors: lengths, repeats, finiteness, size).
Result<SparseVector> ParseSparseVector(const json& v,
                                       const std::string& field) {
  PDB_RETURN_IF_ERROR(RequireObject(v, "field " + Quote(field)));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(v, {"indices", "values"}, field));
  const json* indices = FindField(v, "indices");
  const json* values = FindField(v, "values");
  if (indices == nullptr || values == nullptr) {
    return Status::InvalidArgument("field " + Quote(field) +
                                   " needs \"indices\" and \"values\"");
  }
  if (!indices->is_array()) {
    return TypeError(field + ".indices", "an array of integers", *indices);
  }
  if (!values->is_array()) {
    return TypeError(field + ".values", "an array of numbers", *values);
  }
  if (indices->size() > kMaxSparseNonZeros) {
    return Status::InvalidArgument(
        "field " + Quote(field) + " has " + std::to_string(indices->size()) +
        " dimensions, more than " + std::to_string(kMaxSparseNonZeros));
  }
  SparseVector out;
  out.indices.reserve(indices->size());
  for (size_t i = 0; i < indices->size(); ++i) {
    PDB_ASSIGN_OR_RETURN(
        uint64_t x,
        GetUint((*indices)[i], field + ".indices[" + std::to_string(i) + "]", 0,
                std::numeric_limits<uint32_t>::max()));
    out.indices.push_back(static_cast<uint32_t>(x));
  }
  out.values.reserve(values->size());
  for (size_t i = 0; i < values->size(); ++i) {
    const json& x = (*values)[i];
    const std::string at = field + ".values[" + std::to_string(i) + "]";
    if (!x.is_number()) return TypeError(at, "a number", x);
    const float f = static_cast<float>(x.get<double>());
    if (!std::isfinite(f)) {
      return Status::InvalidArgument(at + " must be a finite float32 value");
    }
    out.values.push_back(f);
  }
  return out;
}

Result<Point> ParsePointAt(const json& item, uint32_t dimension,
                           std::string_view collection) {
  PDB_RETURN_IF_ERROR(RequireObject(item, "a point"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(
      item,
      {"id", "vector", "metadata", "sparse_vectors", "vectors", "expires_at"}));
  Point p;
  if (const json* v = FindField(item, "id")) {
    PDB_ASSIGN_OR_RETURN(p.id, GetString(*v, "id"));
    PDB_RETURN_IF_ERROR(ValidatePointId(p.id));
  }
  const json* vec = FindField(item, "vector");
  if (vec == nullptr) {
    return Status::InvalidArgument("missing required field 'vector'");
  }
  PDB_ASSIGN_OR_RETURN(p.vector, ParseVector(*vec, dimension, collection));
  if (const json* v = FindField(item, "metadata")) {
    if (!v->is_object()) return TypeError("metadata", "an object", *v);
    p.metadata = *v;
  }
  if (const json* v = FindField(item, "sparse_vectors")) {
    if (!v->is_object()) return TypeError("sparse_vectors", "an object", *v);
    for (const auto& [name, sv] : v->items()) {
      PDB_ASSIGN_OR_RETURN(p.sparse_vectors[name],
                           ParseSparseVector(sv, "sparse_vectors." + name));
    }
  }
  if (const json* v = FindField(item, "vectors")) {
    if (!v->is_object()) {
      return TypeError("vectors", "an object of named vectors", *v);
    }
    for (const auto& [name, nv] : v->items()) {
      PDB_ASSIGN_OR_RETURN(p.named_vectors[name],
                           ParseNamedVector(nv, "vectors." + name));
    }
  }
  if (const json* v = FindField(item, "expires_at"); v && !v->is_null()) {
    if (!v->is_string()) {
      return TypeError("expires_at", "an RFC 3339 time string", *v);
    }
    PDB_ASSIGN_OR_RETURN(p.expires_at_micros,
                         ParseExpiryTime(v->get<std::string>(), "expires_at"));
  }
  return p;
}

// float32 -> the double with the same shortest decimal form, so 0.1f is sent
// as 0.1 rather than 0.10000000149011612.
double ShortestDouble(float f) {
  char buf[32];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, f);
  if (ec != std::errc()) return f;
  *end = '\0';
  return std::strtod(buf, nullptr);
}

json FloatsToJson(const std::vector<float>& v) {
  json out = json::array();
  out.get_ref<json::array_t&>().reserve(v.size());
  for (float f : v) out.push_back(ShortestDouble(f));
  return out;
}

json SparseVectorsToJson(const SparseVectors& v) {
  json out = json::object();
  for (const auto& [name, sv] : v) {
    json values = json::array();
    for (float f : sv.values) values.push_back(ShortestDouble(f));
    out[name] = json{{"indices", sv.indices}, {"values", std::move(values)}};
  }
  return out;
}

void AddVectorsJson(const std::vector<float>& vector,
                    const SparseVectors& sparse, const NamedVectors& named,
                    json* out) {
  (*out)["vector"] = FloatsToJson(vector);
  if (!sparse.empty()) (*out)["sparse_vectors"] = SparseVectorsToJson(sparse);
  if (!named.empty()) (*out)["vectors"] = NamedVectorsToJson(named);
}

json NamedVectorsToJson(const NamedVectors& v) {
  json out = json::object();
  for (const auto& [name, nv] : v) {
    const size_t rows = nv.rows == 0 ? 1 : nv.rows;
    const size_t dim = nv.values.size() / rows;
    auto row = [&](size_t r) {
      json values = json::array();
      for (size_t i = 0; i < dim; ++i) {
        values.push_back(ShortestDouble(nv.values[r * dim + i]));
      }
      return values;
    };
    if (!nv.matrix) {
      out[name] = row(0);
      continue;
    }
    json m = json::array();
    for (size_t r = 0; r < rows; ++r) m.push_back(row(r));
    out[name] = std::move(m);
  }
  return out;
}

Result<NamedVector> ParseNamedVector(const json& v, const std::string& field) {
  if (!v.is_array() || v.empty()) {
    return TypeError(field, "a non-empty array of numbers (or of vectors)", v);
  }
  NamedVector out;
  auto numbers = [&](const json& a, const std::string& where) -> Status {
    for (size_t i = 0; i < a.size(); ++i) {
      const json& x = a[i];
      const std::string at = where + "[" + std::to_string(i) + "]";
      if (!x.is_number()) return TypeError(at, "a number", x);
      const float f = static_cast<float>(x.get<double>());
      if (!std::isfinite(f)) {
        return Status::InvalidArgument(at + " must be a finite float32 value");
      }
      out.values.push_back(f);
    }
    return Status::OK();
  };
  if (!v[0].is_array()) {
    PDB_RETURN_IF_ERROR(numbers(v, field));
    return out;
  }
  out.matrix = true;
  out.rows = 0;
  for (size_t r = 0; r < v.size(); ++r) {
    const json& row = v[r];
    const std::string where = field + "[" + std::to_string(r) + "]";
    if (!row.is_array() || row.empty()) {
      return TypeError(where, "a non-empty array of numbers", row);
    }
    if (row.size() != v[0].size()) {
      return Status::InvalidArgument(
          where + " has " + std::to_string(row.size()) +
          " values, the first vector " + std::to_string(v[0].size()));
    }
    PDB_RETURN_IF_ERROR(numbers(row, where));
    ++out.rows;
  }
  return out;
}

Status Prefix(const Status& s, const std::string& prefix) {
  return Status(s.code(), prefix + s.message());
}

}  // namespace detail

using namespace detail;  // NOLINT: this file defines them

Result<json> ParseJsonBody(std::string_view body) {
  if (body.empty()) {
    return Status::InvalidArgument("request body is empty (expected JSON)");
  }
  // nlohmann stops at a NUL byte as if the input ended there, which would
  // accept `{...}\0anything`. A raw NUL is never valid JSON (in a string it
  // must be escaped).
  if (size_t nul = body.find('\0'); nul != std::string_view::npos) {
    return Status::InvalidArgument("malformed JSON at byte " +
                                   std::to_string(nul + 1) + ": a NUL byte");
  }
  // Before the DOM exists: copying or dumping a deeper one would recurse
  // past the stack (util/limits.h).
  if (JsonTextDeeperThan(body, kMaxRequestDepth)) {
    return Status::InvalidArgument(RequestTooDeepMessage());
  }
  try {
    return json::parse(body.begin(), body.end());
  } catch (const json::parse_error& e) {
    return Status::InvalidArgument("malformed JSON at byte " +
                                   std::to_string(e.byte) + ": " + e.what());
  } catch (const json::out_of_range& e) {
    // e.g. 1e999: a number that no double can hold.
    return Status::InvalidArgument(std::string("invalid JSON number: ") +
                                   e.what());
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("malformed JSON: ") + e.what());
  }
}

Result<CollectionConfig> ParseCreateCollection(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownCreateFields(body));
  CollectionConfig c;
  const json* name = FindField(body, "name");
  if (name == nullptr) {
    return Status::InvalidArgument("missing required field 'name'");
  }
  PDB_ASSIGN_OR_RETURN(c.name, GetString(*name, "name"));
  const json* dim = FindField(body, "dimension");
  if (dim == nullptr) {
    return Status::InvalidArgument("missing required field 'dimension'");
  }
  PDB_ASSIGN_OR_RETURN(
      uint64_t d, GetUint(*dim, "dimension", kMinDimension, kMaxDimension));
  c.dimension = static_cast<uint32_t>(d);
  if (const json* v = FindField(body, "distance_metric")) {
    PDB_ASSIGN_OR_RETURN(std::string m, GetString(*v, "distance_metric"));
    PDB_ASSIGN_OR_RETURN(c.metric, ParseMetric(m));
  }
  if (const json* v = FindField(body, "wal_format")) {
    PDB_ASSIGN_OR_RETURN(std::string f, GetString(*v, "wal_format"));
    PDB_ASSIGN_OR_RETURN(c.wal_format, ParseWalFormat(f));
  }
  // Checked by the engine (ValidateCollectionConfig), one message for both
  // transports.
  if (const json* v = FindField(body, "storage_strategy")) {
    PDB_ASSIGN_OR_RETURN(c.storage_strategy, GetString(*v, "storage_strategy"));
  }
  if (const json* v = FindField(body, "memtable")) {
    PDB_ASSIGN_OR_RETURN(c.memtable, GetString(*v, "memtable"));
  }
  if (const json* v = FindField(body, "compression")) {
    PDB_ASSIGN_OR_RETURN(c.compression, GetString(*v, "compression"));
  }
  // Nested objects first so that top-level keys override them.
  if (const json* v = FindField(body, "index")) {
    PDB_RETURN_IF_ERROR(RequireObject(*v, "field 'index'"));
    PDB_RETURN_IF_ERROR(ReadIndexFields(*v, &c.index));
  }
  if (const json* v = FindField(body, "flush_policy")) {
    PDB_RETURN_IF_ERROR(RequireObject(*v, "field 'flush_policy'"));
    PDB_RETURN_IF_ERROR(ReadFlushFields(*v, &c.flush));
  }
  PDB_RETURN_IF_ERROR(ReadIndexFields(body, &c.index));
  PDB_RETURN_IF_ERROR(ReadFlushFields(body, &c.flush));
  if (const json* v = FindField(body, "tiering")) {
    PDB_ASSIGN_OR_RETURN(c.tiering, ParseTieringPolicy(*v));
  }
  if (const json* v = FindField(body, "shard_count")) {
    PDB_ASSIGN_OR_RETURN(c.shard_count,
                         GetClusterCount(*v, "shard_count", kMaxShardCount));
  }
  if (const json* v = FindField(body, "replication_factor")) {
    PDB_ASSIGN_OR_RETURN(
        c.replication_factor,
        GetClusterCount(*v, "replication_factor", kMaxReplicationFactor));
  }
  if (const json* v = FindField(body, "sparse_vectors")) {
    if (!v->is_object()) {
      return TypeError("sparse_vectors",
                       "an object of names ({\"<name>\": {}})", *v);
    }
    for (const auto& [name, cfg] : v->items()) {
      const std::string field = "sparse_vectors." + name;
      PDB_RETURN_IF_ERROR(RequireObject(cfg, "field " + Quote(field)));
      PDB_RETURN_IF_ERROR(RefuseUnknownFields(cfg, {}, field));
      c.sparse_vectors.push_back(name);  // items() are sorted by key
    }
  }
  if (const json* v = FindField(body, "vectors")) {
    if (!v->is_object()) {
      return TypeError("vectors",
                       "an object of named vectors ({\"<name>\": "
                       "{\"dimension\": ...}})",
                       *v);
    }
    for (const auto& [name, cfg] : v->items()) {  // sorted by key
      const std::string field = "vectors." + name;
      PDB_RETURN_IF_ERROR(RequireObject(cfg, "field " + Quote(field)));
      PDB_RETURN_IF_ERROR(RefuseUnknownFields(
          cfg, {"dimension", "distance_metric", "multivector", "index"},
          field));
      NamedVectorConfig nv;
      nv.name = name;
      const json* dim = FindField(cfg, "dimension");
      if (dim == nullptr) {
        return Status::InvalidArgument("missing required field " +
                                       Quote(field + ".dimension"));
      }
      PDB_ASSIGN_OR_RETURN(
          uint64_t d, GetUint(*dim, field + ".dimension", 1, kMaxDimension));
      nv.dimension = static_cast<uint32_t>(d);
      if (const json* m = FindField(cfg, "distance_metric")) {
        PDB_ASSIGN_OR_RETURN(std::string metric,
                             GetString(*m, field + ".distance_metric"));
        Result<Metric> parsed = ParseMetric(metric);
        if (!parsed.ok()) {
          return Prefix(parsed.status(), field + ".distance_metric: ");
        }
        nv.metric = parsed.value();
      }
      if (const json* m = FindField(cfg, "multivector")) {
        PDB_ASSIGN_OR_RETURN(nv.multivector,
                             GetBool(*m, field + ".multivector"));
      }
      if (const json* ix = FindField(cfg, "index")) {
        PDB_RETURN_IF_ERROR(
            RequireObject(*ix, "field " + Quote(field + ".index")));
        for (const auto& [key, value] : ix->items()) {
          if (!IsIndexKey(key)) {
            return Status::InvalidArgument("unknown field " +
                                           Quote(field + ".index." + key));
          }
        }
        Status read = ReadIndexFields(*ix, &nv.index);
        if (!read.ok()) return Prefix(read, field + ".index: ");
      }
      c.vectors.push_back(std::move(nv));
    }
  }
  if (const json* v = FindField(body, "default_ttl_seconds")) {
    PDB_ASSIGN_OR_RETURN(c.default_ttl_seconds,
                         GetUint(*v, "default_ttl_seconds", 0, kMaxTtlSeconds));
  }
  if (const json* v = FindField(body, "filterable_columns")) {
    PDB_ASSIGN_OR_RETURN(c.filterable_columns, ParseFilterableColumns(*v));
  }
  ApplyStrategyDefaults(LayoutKeysGiven(body), c.storage_strategy, &c.index,
                        &c.memtable, &c.compression);
  // The name charset and cross-field rules live in one place, the engine's
  // validator; running it here keeps the API's answer identical.
  PDB_RETURN_IF_ERROR(ValidateCollectionConfig(c));
  return c;
}

Result<LayoutSettings> ParseMigrate(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "the request body"));
  for (const auto& [key, value] : body.items()) {
    if (key == "storage_strategy" || key == "memtable" || key == "index" ||
        key == "filterable_columns" || key == "compression" ||
        IsIndexKey(key)) {
      continue;
    }
    return Status::InvalidArgument(
        "unknown field " + Quote(key) +
        " (a migration changes storage_strategy, memtable, compression, the "
        "index settings and filterable_columns)");
  }
  LayoutSettings out;
  if (const json* v = FindField(body, "storage_strategy")) {
    PDB_ASSIGN_OR_RETURN(out.storage_strategy,
                         GetString(*v, "storage_strategy"));
  }
  if (const json* v = FindField(body, "memtable")) {
    PDB_ASSIGN_OR_RETURN(out.memtable, GetString(*v, "memtable"));
  }
  if (const json* v = FindField(body, "compression")) {
    PDB_ASSIGN_OR_RETURN(out.compression, GetString(*v, "compression"));
  }
  if (const json* v = FindField(body, "index")) {
    PDB_RETURN_IF_ERROR(RequireObject(*v, "field 'index'"));
    for (const auto& [key, value] : v->items()) {
      if (!IsIndexKey(key)) {
        return Status::InvalidArgument("unknown field " +
                                       Quote("index." + key));
      }
    }
    PDB_RETURN_IF_ERROR(ReadIndexFields(*v, &out.index));
  }
  PDB_RETURN_IF_ERROR(ReadIndexFields(body, &out.index));
  if (const json* v = FindField(body, "filterable_columns")) {
    PDB_ASSIGN_OR_RETURN(out.filterable_columns, ParseFilterableColumns(*v));
  }
  ApplyStrategyDefaults(LayoutKeysGiven(body), out.storage_strategy, &out.index,
                        &out.memtable, &out.compression);
  return out;
}

Result<std::vector<float>> ParseVector(const json& value, uint32_t dimension,
                                       std::string_view collection,
                                       std::string_view field) {
  if (!value.is_array()) return TypeError(field, "an array of numbers", value);
  if (value.empty()) {
    return Status::InvalidArgument("field " + Quote(field) +
                                   " must not be empty");
  }
  std::vector<float> out;
  out.reserve(value.size());
  for (size_t i = 0; i < value.size(); ++i) {
    const json& x = value[i];
    if (!x.is_number()) {
      return Status::InvalidArgument(
          std::string(field) + "[" + std::to_string(i) +
          "] must be a number, got " + std::string(x.type_name()));
    }
    // A literal such as 1e999 parses to infinity, and a double beyond
    // float range becomes infinity once narrowed: both are refused.
    float f = static_cast<float>(x.get<double>());
    if (!std::isfinite(f)) {
      return Status::InvalidArgument(std::string(field) + "[" +
                                     std::to_string(i) +
                                     "] must be a finite float32 value");
    }
    out.push_back(f);
  }
  if (out.size() != dimension) {
    return Status::DimensionMismatch(
        "vector has " + std::to_string(out.size()) + " values but collection " +
        Quote(collection) + " has dimension " + std::to_string(dimension));
  }
  return out;
}

Status ValidatePointId(std::string_view id) {
  if (id.empty() || id.size() > kMaxIdBytes) {
    return Status::InvalidArgument("point id must be 1.." +
                                   std::to_string(kMaxIdBytes) +
                                   " bytes, got " + std::to_string(id.size()));
  }
  return Status::OK();
}

Result<Point> ParsePoint(const json& body, uint32_t dimension,
                         std::string_view collection) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  return ParsePointAt(body, dimension, collection);
}

Result<std::vector<Point>> ParseBatch(const json& body, uint32_t dimension,
                                      std::string_view collection) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"vectors"}));
  const json* items = FindField(body, "vectors");
  if (items == nullptr) {
    return Status::InvalidArgument("missing required field 'vectors'");
  }
  if (!items->is_array()) return TypeError("vectors", "an array", *items);
  if (items->empty()) {
    return Status::InvalidArgument("field 'vectors' must not be empty");
  }
  std::vector<Point> points;
  points.reserve(items->size());
  for (size_t i = 0; i < items->size(); ++i) {
    Result<Point> p = ParsePointAt((*items)[i], dimension, collection);
    if (!p.ok()) {
      return Prefix(p.status(), "vectors[" + std::to_string(i) + "]: ");
    }
    points.push_back(std::move(p).value());
  }
  return points;
}

namespace {

// The fields a search and a recommendation share, into `r`.
Status ParseQueryFields(const json& body, SearchRequest& r) {
  std::string_view name;
  if (const json* v = FindField(body, "offset")) {
    PDB_ASSIGN_OR_RETURN(uint64_t offset, GetUint(*v, "offset", 0, kMaxK - 1));
    r.offset = static_cast<uint32_t>(offset);
  }
  if (const json* v = FindField(body, "score_threshold")) {
    if (!v->is_number()) return TypeError("score_threshold", "a number", *v);
    r.score_threshold = v->get<float>();
  }
  if (const json* v = FindField(body, "group_by")) {
    PDB_ASSIGN_OR_RETURN(r.group_by, GetString(*v, "group_by"));
    if (r.group_by.empty()) {
      return Status::InvalidArgument("field 'group_by' must not be empty");
    }
  }
  if (const json* v = FindField(body, "group_size")) {
    PDB_ASSIGN_OR_RETURN(uint64_t size,
                         GetUint(*v, "group_size", 1, kMaxGroupSize));
    r.group_size = static_cast<uint32_t>(size);
  }
  if (const json* v = FindAny(body, {"k", "top_k"}, &name)) {
    PDB_ASSIGN_OR_RETURN(uint64_t k, GetUint(*v, name, 1, kMaxK));
    r.k = static_cast<uint32_t>(k);
  } else {
    r.k = kDefaultK;
  }
  if (const json* v = FindField(body, "filter")) {
    if (!v->is_object()) return TypeError("filter", "an object", *v);
    r.filter = *v;
  }
  if (const json* v = FindField(body, "include_vector")) {
    PDB_ASSIGN_OR_RETURN(r.include_vector, GetBool(*v, "include_vector"));
  }
  if (const json* v = FindField(body, "include_metadata")) {
    PDB_ASSIGN_OR_RETURN(r.include_metadata, GetBool(*v, "include_metadata"));
  }
  if (const json* v = FindField(body, "ef_search")) {
    PDB_ASSIGN_OR_RETURN(uint64_t ef, GetUint(*v, "ef_search", kMinEf, kMaxEf));
    r.ef_search = static_cast<uint32_t>(ef);
  }
  if (const json* v = FindField(body, "nprobe")) {
    PDB_ASSIGN_OR_RETURN(uint64_t n, GetUint(*v, "nprobe", 1, kMaxIvfNlist));
    r.nprobe = static_cast<uint32_t>(n);
  }
  if (const json* v = FindField(body, "exact")) {
    PDB_ASSIGN_OR_RETURN(r.exact, GetBool(*v, "exact"));
  }
  if (const json* v = FindField(body, "explain")) {
    PDB_ASSIGN_OR_RETURN(r.explain, GetBool(*v, "explain"));
  }
  if (const json* v = FindField(body, "consistency")) {
    PDB_ASSIGN_OR_RETURN(r.consistency, GetConsistency(*v));
  }
  return Status::OK();
}

}  // namespace

Result<SearchRequest> ParseSearch(const json& body, uint32_t dimension,
                                  std::string_view collection) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(
      body, {"vector", "query_vector", "id", "k", "top_k", "filter",
             "include_vector", "include_metadata", "ef_search", "nprobe",
             "exact", "explain", "consistency", "offset", "score_threshold",
             "group_by", "group_size", "using"}));
  SearchRequest r;
  if (const json* v = FindField(body, "using")) {
    PDB_ASSIGN_OR_RETURN(r.using_vector, GetString(*v, "using"));
    if (r.using_vector.empty()) {
      return Status::InvalidArgument(
          "field 'using' must name one of the collection's vectors (leave "
          "it out for the main vector)");
    }
  }
  std::string_view name;
  const json* vec = FindAny(body, {"vector", "query_vector"}, &name);
  const json* id = FindField(body, "id");
  if (vec != nullptr && id != nullptr) {
    return Status::InvalidArgument(
        "give either 'vector' or 'id' (search by an existing point), not "
        "both");
  }
  if (vec == nullptr && id == nullptr) {
    return Status::InvalidArgument(
        "missing required field 'vector' (or 'id' of an existing point)");
  }
  if (vec != nullptr && !r.using_vector.empty()) {
    // The named vector's dimension is the engine's to check.
    PDB_ASSIGN_OR_RETURN(NamedVector q,
                         ParseNamedVector(*vec, std::string(name)));
    r.vector = std::move(q.values);
    r.vector_rows = q.matrix ? q.rows : 0;
  } else if (vec != nullptr) {
    PDB_ASSIGN_OR_RETURN(r.vector,
                         ParseVector(*vec, dimension, collection, name));
  } else {
    PDB_ASSIGN_OR_RETURN(r.point_id, GetString(*id, "id"));
    // The upper bound is CheckSearchOptions', for both transports.
    if (r.point_id.empty()) {
      return Status::InvalidArgument("field 'id' must be 1.." +
                                     std::to_string(kMaxIdBytes) + " bytes");
    }
  }
  PDB_RETURN_IF_ERROR(ParseQueryFields(body, r));
  return r;
}

Result<RecommendRequest> ParseRecommend(const json& body, uint32_t dimension,
                                        std::string_view collection) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(
      body,
      {"positive", "negative", "strategy", "k", "top_k", "filter",
       "include_vector", "include_metadata", "ef_search", "nprobe", "exact",
       "explain", "consistency", "offset", "score_threshold", "using"}));
  RecommendRequest r;
  if (const json* v = FindField(body, "using")) {
    PDB_ASSIGN_OR_RETURN(r.query.using_vector, GetString(*v, "using"));
    if (r.query.using_vector.empty()) {
      return Status::InvalidArgument(
          "field 'using' must name one of the collection's vectors (leave "
          "it out for the main vector)");
    }
  }
  auto examples = [&](const char* field,
                      std::vector<RecommendExample>* out) -> Status {
    const json* v = FindField(body, field);
    if (v == nullptr) return Status::OK();
    if (!v->is_array()) return TypeError(field, "an array", *v);
    if (v->size() > kMaxRecommendExamples) {
      return Status::InvalidArgument(
          "field '" + std::string(field) + "' holds more than " +
          std::to_string(kMaxRecommendExamples) + " examples");
    }
    for (size_t i = 0; i < v->size(); ++i) {
      const json& e = (*v)[i];
      const std::string where =
          std::string(field) + "[" + std::to_string(i) + "]";
      RecommendExample ex;
      if (e.is_string()) {
        ex.id = e.get<std::string>();
      } else if (e.is_array() && !r.query.using_vector.empty()) {
        // A named vector: its dimension is the engine's to check.
        PDB_ASSIGN_OR_RETURN(NamedVector q, ParseNamedVector(e, where));
        if (q.matrix) {
          return Status::InvalidArgument(where +
                                         " must be one vector, not a list");
        }
        ex.vector = std::move(q.values);
      } else if (e.is_array()) {
        PDB_ASSIGN_OR_RETURN(ex.vector,
                             ParseVector(e, dimension, collection, where));
      } else {
        return TypeError(where, "a point id or a vector", e);
      }
      out->push_back(std::move(ex));
    }
    return Status::OK();
  };
  PDB_RETURN_IF_ERROR(examples("positive", &r.positive));
  PDB_RETURN_IF_ERROR(examples("negative", &r.negative));
  if (const json* v = FindField(body, "strategy")) {
    PDB_ASSIGN_OR_RETURN(std::string s, GetString(*v, "strategy"));
    PDB_ASSIGN_OR_RETURN(r.strategy, ParseRecommendStrategy(s));
  }
  PDB_RETURN_IF_ERROR(ParseQueryFields(body, r.query));
  return r;
}

Result<service::QueryRequest> ParseQuery(const json& body, uint32_t dimension,
                                         std::string_view collection) {
  using service::QueryPrefetch;
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(
      body, {"prefetch", "fusion", "rrf_k", "limit", "rescore",
             "include_vector", "include_metadata", "consistency"}));
  service::QueryRequest r;
  const json* list = FindField(body, "prefetch");
  if (list == nullptr) {
    return Status::InvalidArgument("field 'prefetch' is required");
  }
  if (!list->is_array()) return TypeError("prefetch", "an array", *list);
  if (list->empty() || list->size() > kMaxQueryPrefetches) {
    return Status::InvalidArgument(
        "field 'prefetch' must hold 1.." + std::to_string(kMaxQueryPrefetches) +
        " queries, got " + std::to_string(list->size()));
  }
  for (size_t i = 0; i < list->size(); ++i) {
    const json& e = (*list)[i];
    const std::string where = "prefetch[" + std::to_string(i) + "]";
    PDB_RETURN_IF_ERROR(RequireObject(e, where));
    PDB_RETURN_IF_ERROR(
        RefuseUnknownFields(e,
                            {"vector", "text", "sparse_vector", "using",
                             "limit", "filter", "ef_search"},
                            where));
    QueryPrefetch p;
    const int kinds =
        e.contains("vector") + e.contains("text") + e.contains("sparse_vector");
    if (kinds != 1) {
      return Status::InvalidArgument(
          where +
          " must hold exactly one of \"vector\", \"text\" and "
          "\"sparse_vector\"");
    }
    if (const json* v = FindField(e, "vector"); v && e.contains("using")) {
      // A named vector: its dimension is the engine's to check.
      PDB_ASSIGN_OR_RETURN(NamedVector q,
                           ParseNamedVector(*v, where + ".vector"));
      p.vector = std::move(q.values);
      p.vector_rows = q.matrix ? q.rows : 0;
    } else if (v != nullptr) {
      PDB_ASSIGN_OR_RETURN(
          p.vector, ParseVector(*v, dimension, collection, where + ".vector"));
    } else if (const json* v = FindField(e, "sparse_vector")) {
      p.kind = QueryPrefetch::Kind::kSparse;
      PDB_ASSIGN_OR_RETURN(p.sparse,
                           ParseSparseVector(*v, where + ".sparse_vector"));
    } else {
      p.kind = QueryPrefetch::Kind::kText;
      PDB_ASSIGN_OR_RETURN(p.text, GetString(e["text"], where + ".text"));
    }
    if (const json* v = FindField(e, "using")) {
      PDB_ASSIGN_OR_RETURN(p.using_, GetString(*v, where + ".using"));
    }
    if (const json* v = FindField(e, "limit")) {
      PDB_ASSIGN_OR_RETURN(uint64_t n, GetUint(*v, where + ".limit", 1, kMaxK));
      p.limit = static_cast<uint32_t>(n);
    }
    if (const json* v = FindField(e, "filter")) {
      if (!v->is_object()) return TypeError(where + ".filter", "an object", *v);
      p.filter = *v;
    }
    if (const json* v = FindField(e, "ef_search")) {
      PDB_ASSIGN_OR_RETURN(uint64_t ef,
                           GetUint(*v, where + ".ef_search", kMinEf, kMaxEf));
      p.ef_search = static_cast<uint32_t>(ef);
    }
    r.prefetch.push_back(std::move(p));
  }
  if (const json* v = FindField(body, "fusion")) {
    PDB_ASSIGN_OR_RETURN(std::string s, GetString(*v, "fusion"));
    PDB_ASSIGN_OR_RETURN(r.fusion, service::ParseFusion(s));
  }
  if (const json* v = FindField(body, "rrf_k")) {
    PDB_ASSIGN_OR_RETURN(uint64_t k, GetUint(*v, "rrf_k", 1, kMaxRrfK));
    r.rrf_k = static_cast<uint32_t>(k);
  }
  if (const json* v = FindField(body, "limit")) {
    PDB_ASSIGN_OR_RETURN(uint64_t n, GetUint(*v, "limit", 1, kMaxK));
    r.limit = static_cast<uint32_t>(n);
  }
  if (const json* v = FindField(body, "rescore")) {
    PDB_RETURN_IF_ERROR(RequireObject(*v, "field 'rescore'"));
    PDB_RETURN_IF_ERROR(RefuseUnknownFields(*v, {"vector"}, "rescore"));
    const json* vec = FindField(*v, "vector");
    if (vec == nullptr) {
      return Status::InvalidArgument("field 'rescore.vector' is required");
    }
    PDB_ASSIGN_OR_RETURN(
        r.rescore, ParseVector(*vec, dimension, collection, "rescore.vector"));
  }
  if (const json* v = FindField(body, "include_vector")) {
    PDB_ASSIGN_OR_RETURN(r.include_vector, GetBool(*v, "include_vector"));
  }
  if (const json* v = FindField(body, "include_metadata")) {
    PDB_ASSIGN_OR_RETURN(r.include_metadata, GetBool(*v, "include_metadata"));
  }
  if (const json* v = FindField(body, "consistency")) {
    PDB_ASSIGN_OR_RETURN(r.consistency, GetConsistency(*v));
  }
  return r;
}

namespace {

// A collection's "index" object as the API returns it: create accepts it
// back as is ("kind" repeats the top-level "indexing_algorithm").
json IndexToJson(const IndexConfig& i) {
  json out{{"kind", i.algorithm},
           {"m", i.m},
           {"ef_construction", i.ef_construction},
           {"ef_search", i.ef_search},
           {"quantization", i.quantization}};
  if (i.algorithm == "ivf") {
    out["nlist"] = i.nlist;    // 0: about sqrt(rows) per segment
    out["nprobe"] = i.nprobe;  // 0: the index's default
  }
  return out;
}

json ColumnsToJson(const std::vector<FilterableColumn>& cols) {
  json out = json::array();
  for (const FilterableColumn& c : cols) {
    out.push_back({{"name", c.name}, {"type", c.type}, {"indexed", c.indexed}});
  }
  return out;
}

json LayoutToJson(const LayoutSettings& l) {
  return json{{"storage_strategy", l.storage_strategy},
              {"memtable", l.memtable},
              {"compression", l.compression},
              {"index", IndexToJson(l.index)},
              {"filterable_columns", ColumnsToJson(l.filterable_columns)}};
}

}  // namespace

json MigrationToJson(const MigrationStatus& m) {
  const MigrationRecord& r = m.record;
  json out{{"id", r.id},
           {"state", r.state},
           {"started_unix_ms", r.started_unix_ms},
           {"finished_unix_ms", r.finished_unix_ms},
           {"segments_done", m.segments_done},
           {"segments_total", m.segments_total},
           {"points_done", m.points_done},
           {"points_total", m.points_total},
           {"eta_seconds", m.eta_seconds >= 0 ? json(m.eta_seconds) : json()},
           {"from", LayoutToJson(r.from)},
           {"to", LayoutToJson(r.to)}};
  if (!r.error.empty()) out["error"] = r.error;
  return out;
}

json CollectionToJson(const CollectionInfo& info, const FlushDefaults& defaults,
                      const TieringDefaults& tiering) {
  const CollectionConfig& c = info.config;
  EffectiveFlushPolicy f = Resolve(c.flush, defaults);
  EffectiveTieringPolicy t = Resolve(c.tiering, tiering);
  json out{
      {"name", c.name},
      {"dimension", c.dimension},
      {"distance_metric", std::string(MetricName(c.metric))},
      {"indexing_algorithm", c.index.algorithm},
      {"index", IndexToJson(c.index)},
      {"storage_strategy", c.storage_strategy},
      {"memtable", c.memtable},
      {"compression", c.compression},
      {"filterable_columns", ColumnsToJson(c.filterable_columns)},
      {"flush_policy",
       {{"max_wal_age_hours", f.max_wal_age_hours},
        {"max_wal_size_mb", f.max_wal_size_mb},
        {"max_vector_count", f.max_vector_count},
        {"flush_priority", f.flush_priority},
        {"enable_background_flush", f.enable_background_flush}}},
      {"wal_format", std::string(WalFormatName(c.wal_format))},
      {"point_count", info.point_count},
      {"segment_count", info.segment_count},
      {"created_at", info.created_at_unix_ms},
      {"payload_indexes",
       PayloadIndexesToJson(c.name, info.payload_indexes)["payload_indexes"]},
      {"tiering",
       {{"warm_after_hours", t.warm_after_hours},
        {"cold_after_hours", t.cold_after_hours},
        {"warm_directory", t.warm_directory},
        {"cache_mb", t.cache_mb},
        {"wal_archive", t.wal_archive}}},
      {"tiers", TiersToJson(info)},
      {"shard_count", EffectiveClusterValue(c.shard_count)},
      {"replication_factor", EffectiveClusterValue(c.replication_factor)},
  };
  if (!c.sparse_vectors.empty()) {
    json names = json::object();
    for (const std::string& n : c.sparse_vectors) names[n] = json::object();
    out["sparse_vectors"] = std::move(names);
  }
  if (!c.vectors.empty()) {
    json vs = json::object();
    for (const NamedVectorConfig& v : c.vectors) {
      vs[v.name] = {{"dimension", v.dimension},
                    {"distance_metric", MetricName(v.metric)},
                    {"multivector", v.multivector},
                    {"index",
                     {{"indexing_algorithm", v.index.algorithm},
                      {"m", v.index.m},
                      {"ef_construction", v.index.ef_construction},
                      {"ef_search", v.index.ef_search},
                      {"quantization", v.index.quantization}}}};
    }
    out["vectors"] = std::move(vs);
  }
  if (c.default_ttl_seconds != 0) {
    out["default_ttl_seconds"] = c.default_ttl_seconds;
  }
  out["state"] = std::string(CollectionStateName(info.state));
  if (info.state != CollectionState::kServing) {
    out["state_message"] = info.state_message;
  }
  return out;
}

json StoredPointToJson(const StoredPoint& point) {
  json metadata = point.metadata.is_null() ? json::object() : point.metadata;
  json out{{"id", point.id}, {"metadata", metadata}};
  AddVectorsJson(point.vector, point.sparse_vectors, point.named_vectors, &out);
  if (point.expires_at_micros != 0) {
    out["expires_at"] = Rfc3339Micros(point.expires_at_micros);
  }
  return out;
}

namespace {

json HitsToJson(const std::vector<SearchHit>& hits,
                const SearchRequest& request) {
  json matches = json::array();
  for (const SearchHit& hit : hits) {
    json m = {{"id", hit.id}, {"score", ShortestDouble(hit.score)}};
    if (request.include_metadata) {
      m["metadata"] = hit.metadata.is_null() ? json::object() : hit.metadata;
    }
    if (request.include_vector) {
      AddVectorsJson(hit.vector, hit.sparse_vectors, hit.named_vectors, &m);
    }
    matches.push_back(std::move(m));
  }
  return matches;
}

}  // namespace

json SearchResultToJson(const SearchResult& result,
                        const SearchRequest& request) {
  json out;
  if (result.groups) {
    json groups = json::array();
    for (const SearchGroup& g : *result.groups) {
      groups.push_back({{"id", g.id}, {"hits", HitsToJson(g.hits, request)}});
    }
    const size_t n = groups.size();
    out = {{"groups", std::move(groups)}, {"total_count", n}};
  } else {
    json matches = HitsToJson(result.hits, request);
    const size_t n = matches.size();
    out = {{"matches", std::move(matches)}, {"total_count", n}};
  }
  if (request.explain) {
    json plans = json::array();
    for (const SourcePlan& p : result.explain) {
      plans.push_back(SourcePlanToJson(p));
    }
    out["explain"] = {{"sources", std::move(plans)},
                      {"distances_computed", result.stats.distances_computed},
                      {"nodes_visited", result.stats.nodes_visited},
                      {"partitions_pruned", result.stats.partitions_pruned}};
  }
  return out;
}

json PayloadIndexToJson(const PayloadIndexDef& def) {
  return json{{"field", def.field},
              {"type", std::string(PayloadIndexTypeName(def.type))}};
}

json PayloadIndexesToJson(const std::string& collection,
                          const std::vector<PayloadIndexDef>& defs) {
  json list = json::array();
  for (const auto& d : defs) list.push_back(PayloadIndexToJson(d));
  return json{{"name", collection}, {"payload_indexes", std::move(list)}};
}

json SourcePlanToJson(const SourcePlan& p) {
  json j{
      {"source", p.source},     {"rows", p.rows},
      {"strategy", p.strategy}, {"estimated_matches", p.estimated_matches},
      {"matches", p.matches},   {"distances_computed", p.distances_computed}};
  if (p.source == "segment") j["segment_id"] = p.segment_id;
  if (p.strategy == "index_scan") j["candidates"] = p.candidates;
  if (p.ef != 0) j["ef"] = p.ef;
  return j;
}

Result<PayloadIndexDef> ParsePayloadIndexDef(const json& body) {
  PDB_RETURN_IF_ERROR(RequireObject(body, "request body"));
  PDB_RETURN_IF_ERROR(RefuseUnknownFields(body, {"field", "type"}));
  const json* field = FindField(body, "field");
  if (field == nullptr) {
    return Status::InvalidArgument("missing required field 'field'");
  }
  if (!field->is_string()) return TypeError("field", "a string", *field);
  const json* type = FindField(body, "type");
  if (type == nullptr) {
    return Status::InvalidArgument("missing required field 'type'");
  }
  if (!type->is_string()) return TypeError("type", "a string", *type);
  PayloadIndexDef def;
  def.field = field->get<std::string>();
  PDB_ASSIGN_OR_RETURN(def.type,
                       ParsePayloadIndexType(type->get<std::string>()));
  return def;
}

json ErrorToJson(const Status& status) {
  return json{{"error", std::string(StatusCodeName(status.code()))},
              {"message", status.message()}};
}

}  // namespace proximadb::service
