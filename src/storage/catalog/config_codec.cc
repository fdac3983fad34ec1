#include "storage/catalog/config_codec.h"

#include <limits>
#include <string>

namespace proximadb::catalog {
namespace {

using nlohmann::json;

Status Bad(const std::string& key, const std::string& want) {
  return Status::InvalidArgument("collection config: '" + key + "' must be " +
                                 want);
}

// Readers for one optional key of `obj`: absent leaves *out unchanged.
Status ReadString(const json& obj, const char* key, std::string* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::OK();
  if (!it->is_string()) return Bad(key, "a string");
  *out = it->get<std::string>();
  return Status::OK();
}

template <typename T>
Status ReadUnsigned(const json& obj, const char* key, T* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::OK();
  // A non-negative integer parsed from text is number_unsigned; one built in
  // code from a signed value is number_integer.
  if (!it->is_number_integer() ||
      (!it->is_number_unsigned() && it->get<int64_t>() < 0)) {
    return Bad(key, "a non-negative integer");
  }
  uint64_t v = it->get<uint64_t>();
  if (v > std::numeric_limits<T>::max()) return Bad(key, "smaller");
  *out = static_cast<T>(v);
  return Status::OK();
}

template <typename T>
Status ReadOptUnsigned(const json& obj, const char* key,
                       std::optional<T>* out) {
  if (!obj.contains(key)) return Status::OK();
  T v{};
  PDB_RETURN_IF_ERROR(ReadUnsigned(obj, key, &v));
  *out = v;
  return Status::OK();
}

Status ReadOptInt(const json& obj, const char* key, std::optional<int>* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::OK();
  if (!it->is_number_integer()) return Bad(key, "an integer");
  if (it->is_number_unsigned()
          ? it->get<uint64_t>() > uint64_t{std::numeric_limits<int>::max()}
          : (it->get<int64_t>() < std::numeric_limits<int>::min() ||
             it->get<int64_t>() > std::numeric_limits<int>::max())) {
    return Bad(key, "a 32-bit integer");
  }
  *out = it->get<int>();
  return Status::OK();
}

Status ReadOptDouble(const json& obj, const char* key,
                     std::optional<double>* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::OK();
  if (!it->is_number()) return Bad(key, "a number");
  *out = it->get<double>();
  return Status::OK();
}

Status ReadOptBool(const json& obj, const char* key, std::optional<bool>* out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::OK();
  if (!it->is_boolean()) return Bad(key, "true or false");
  *out = it->get<bool>();
  return Status::OK();
}

Status ReadObject(const json& obj, const char* key, const json** out) {
  auto it = obj.find(key);
  if (it == obj.end()) return Status::OK();
  if (!it->is_object()) return Bad(key, "an object");
  *out = &*it;
  return Status::OK();
}

// The "index" object of `obj` (a collection or a named vector) into *out;
// the defaults stay when it is absent.
Status ReadIndex(const json& obj, IndexConfig* out) {
  const json* index = nullptr;
  PDB_RETURN_IF_ERROR(ReadObject(obj, "index", &index));
  if (index == nullptr) return Status::OK();
  PDB_RETURN_IF_ERROR(ReadString(*index, "algorithm", &out->algorithm));
  PDB_RETURN_IF_ERROR(ReadUnsigned(*index, "m", &out->m));
  PDB_RETURN_IF_ERROR(
      ReadUnsigned(*index, "ef_construction", &out->ef_construction));
  PDB_RETURN_IF_ERROR(ReadUnsigned(*index, "ef_search", &out->ef_search));
  PDB_RETURN_IF_ERROR(ReadUnsigned(*index, "nlist", &out->nlist));
  PDB_RETURN_IF_ERROR(ReadUnsigned(*index, "nprobe", &out->nprobe));
  return ReadString(*index, "quantization", &out->quantization);
}

json IndexToJson(const IndexConfig& i) {
  json out{{"algorithm", i.algorithm},
           {"m", i.m},
           {"ef_construction", i.ef_construction},
           {"ef_search", i.ef_search},
           {"quantization", i.quantization}};
  // Only when set (ivf): configurations stored before IVF existed keep
  // their bytes.
  if (i.nlist != 0) out["nlist"] = i.nlist;
  if (i.nprobe != 0) out["nprobe"] = i.nprobe;
  return out;
}

json ColumnsToJson(const std::vector<FilterableColumn>& cols) {
  json out = json::array();
  for (const FilterableColumn& c : cols) {
    out.push_back({{"name", c.name}, {"type", c.type}, {"indexed", c.indexed}});
  }
  return out;
}

// "filterable_columns", absent = none.
Status ReadColumns(const json& obj, std::vector<FilterableColumn>* out) {
  auto it = obj.find("filterable_columns");
  if (it == obj.end()) return Status::OK();
  if (!it->is_array()) return Bad("filterable_columns", "an array");
  for (const json& v : *it) {
    if (!v.is_object()) return Bad("filterable_columns", "an array of objects");
    FilterableColumn c;
    PDB_RETURN_IF_ERROR(ReadString(v, "name", &c.name));
    PDB_RETURN_IF_ERROR(ReadString(v, "type", &c.type));
    std::optional<bool> indexed;
    PDB_RETURN_IF_ERROR(ReadOptBool(v, "indexed", &indexed));
    c.indexed = indexed.value_or(false);
    out->push_back(std::move(c));
  }
  return Status::OK();
}

json LayoutToJson(const LayoutSettings& l) {
  json out{{"index", IndexToJson(l.index)},
           {"storage_strategy", l.storage_strategy},
           {"memtable", l.memtable}};
  // Only when declared: records written before columns existed keep their
  // bytes.
  if (!l.filterable_columns.empty()) {
    out["filterable_columns"] = ColumnsToJson(l.filterable_columns);
  }
  if (l.compression != "none") out["compression"] = l.compression;
  return out;
}

Status ReadLayout(const json& obj, const char* key, LayoutSettings* out) {
  const json* l = nullptr;
  PDB_RETURN_IF_ERROR(ReadObject(obj, key, &l));
  if (l == nullptr) return Bad(key, "present in a migration");
  PDB_RETURN_IF_ERROR(ReadIndex(*l, &out->index));
  PDB_RETURN_IF_ERROR(
      ReadString(*l, "storage_strategy", &out->storage_strategy));
  PDB_RETURN_IF_ERROR(ReadColumns(*l, &out->filterable_columns));
  if (l->contains("compression")) {  // absent (older records): none
    PDB_RETURN_IF_ERROR(ReadString(*l, "compression", &out->compression));
  }
  return ReadString(*l, "memtable", &out->memtable);
}

Status ReadMigration(const json& obj, std::optional<MigrationRecord>* out) {
  const json* m = nullptr;
  PDB_RETURN_IF_ERROR(ReadObject(obj, "migration", &m));
  if (m == nullptr) return Status::OK();
  MigrationRecord r;
  PDB_RETURN_IF_ERROR(ReadString(*m, "id", &r.id));
  PDB_RETURN_IF_ERROR(ReadString(*m, "state", &r.state));
  if (r.state != "running" && r.state != "done" && r.state != "cancelled" &&
      r.state != "failed") {
    return Bad("migration.state", "running, done, cancelled or failed");
  }
  PDB_RETURN_IF_ERROR(ReadUnsigned(*m, "started_unix_ms", &r.started_unix_ms));
  PDB_RETURN_IF_ERROR(
      ReadUnsigned(*m, "finished_unix_ms", &r.finished_unix_ms));
  PDB_RETURN_IF_ERROR(ReadString(*m, "error", &r.error));
  PDB_RETURN_IF_ERROR(ReadLayout(*m, "from", &r.from));
  PDB_RETURN_IF_ERROR(ReadLayout(*m, "to", &r.to));
  *out = std::move(r);
  return Status::OK();
}

Result<CollectionConfig> Decode(const json& j) {
  if (!j.is_object()) {
    return Status::InvalidArgument("collection config must be a JSON object");
  }
  for (const char* required : {"name", "dimension", "metric"}) {
    if (!j.contains(required)) {
      return Status::InvalidArgument("collection config: '" +
                                     std::string(required) + "' is missing");
    }
  }
  CollectionConfig c;
  PDB_RETURN_IF_ERROR(ReadString(j, "name", &c.name));
  PDB_RETURN_IF_ERROR(ReadUnsigned(j, "dimension", &c.dimension));
  std::string metric;
  PDB_RETURN_IF_ERROR(ReadString(j, "metric", &metric));
  PDB_ASSIGN_OR_RETURN(c.metric, ParseMetric(metric));
  if (j.contains("wal_format")) {
    std::string wal;
    PDB_RETURN_IF_ERROR(ReadString(j, "wal_format", &wal));
    PDB_ASSIGN_OR_RETURN(c.wal_format, ParseWalFormat(wal));
  }

  PDB_RETURN_IF_ERROR(ReadIndex(j, &c.index));

  const json* flush = nullptr;
  PDB_RETURN_IF_ERROR(ReadObject(j, "flush", &flush));
  if (flush) {
    FlushPolicy& f = c.flush;
    PDB_RETURN_IF_ERROR(
        ReadOptDouble(*flush, "max_wal_age_hours", &f.max_wal_age_hours));
    PDB_RETURN_IF_ERROR(
        ReadOptDouble(*flush, "max_wal_size_mb", &f.max_wal_size_mb));
    PDB_RETURN_IF_ERROR(
        ReadOptUnsigned(*flush, "max_vector_count", &f.max_vector_count));
    PDB_RETURN_IF_ERROR(
        ReadOptInt(*flush, "flush_priority", &f.flush_priority));
    PDB_RETURN_IF_ERROR(ReadOptBool(*flush, "enable_background_flush",
                                    &f.enable_background_flush));
  }
  const json* tiering = nullptr;
  PDB_RETURN_IF_ERROR(ReadObject(j, "tiering", &tiering));
  if (tiering) {
    TieringPolicy& t = c.tiering;
    PDB_RETURN_IF_ERROR(
        ReadOptDouble(*tiering, "warm_after_hours", &t.warm_after_hours));
    PDB_RETURN_IF_ERROR(
        ReadOptDouble(*tiering, "cold_after_hours", &t.cold_after_hours));
    PDB_RETURN_IF_ERROR(ReadOptUnsigned(*tiering, "cache_mb", &t.cache_mb));
    PDB_RETURN_IF_ERROR(ReadOptBool(*tiering, "wal_archive", &t.wal_archive));
    if (tiering->contains("warm_directory")) {
      std::string d;
      PDB_RETURN_IF_ERROR(ReadString(*tiering, "warm_directory", &d));
      t.warm_directory = std::move(d);
    }
  }
  if (auto it = j.find("sparse_vectors"); it != j.end()) {
    if (!it->is_array()) return Bad("sparse_vectors", "an array of names");
    for (const json& n : *it) {
      if (!n.is_string()) return Bad("sparse_vectors", "an array of names");
      c.sparse_vectors.push_back(n.get<std::string>());
    }
    PDB_RETURN_IF_ERROR(ValidateSparseVectorNames(c.sparse_vectors));
  }
  if (auto it = j.find("vectors"); it != j.end()) {
    if (!it->is_array()) return Bad("vectors", "an array of named vectors");
    for (const json& v : *it) {
      if (!v.is_object()) return Bad("vectors", "an array of named vectors");
      NamedVectorConfig nv;
      std::string m;
      PDB_RETURN_IF_ERROR(ReadString(v, "name", &nv.name));
      PDB_RETURN_IF_ERROR(ReadUnsigned(v, "dimension", &nv.dimension));
      PDB_RETURN_IF_ERROR(ReadString(v, "metric", &m));
      PDB_ASSIGN_OR_RETURN(nv.metric, ParseMetric(m));
      std::optional<bool> multi;
      PDB_RETURN_IF_ERROR(ReadOptBool(v, "multivector", &multi));
      nv.multivector = multi.value_or(false);
      PDB_RETURN_IF_ERROR(ReadIndex(v, &nv.index));  // defaults when absent
      c.vectors.push_back(std::move(nv));
    }
    PDB_RETURN_IF_ERROR(ValidateNamedVectors(c.vectors, c.sparse_vectors));
  }
  if (j.contains("default_ttl_seconds")) {
    PDB_RETURN_IF_ERROR(
        ReadUnsigned(j, "default_ttl_seconds", &c.default_ttl_seconds));
  }
  if (j.contains("storage_strategy")) {
    PDB_RETURN_IF_ERROR(ReadString(j, "storage_strategy", &c.storage_strategy));
  }
  if (j.contains("memtable")) {
    PDB_RETURN_IF_ERROR(ReadString(j, "memtable", &c.memtable));
  }
  PDB_RETURN_IF_ERROR(ReadColumns(j, &c.filterable_columns));
  // Absent: none (collections created before compression existed, viper
  // ones included, keep their segments' format until migrated).
  if (j.contains("compression")) {
    PDB_RETURN_IF_ERROR(ReadString(j, "compression", &c.compression));
  }
  PDB_RETURN_IF_ERROR(ReadMigration(j, &c.migration));
  return c;
}

}  // namespace

nlohmann::json CollectionConfigToJson(const CollectionConfig& c) {
  json flush = json::object();
  const FlushPolicy& f = c.flush;
  if (f.max_wal_age_hours) flush["max_wal_age_hours"] = *f.max_wal_age_hours;
  if (f.max_wal_size_mb) flush["max_wal_size_mb"] = *f.max_wal_size_mb;
  if (f.max_vector_count) flush["max_vector_count"] = *f.max_vector_count;
  if (f.flush_priority) flush["flush_priority"] = *f.flush_priority;
  if (f.enable_background_flush) {
    flush["enable_background_flush"] = *f.enable_background_flush;
  }
  json out{
      {"name", c.name},
      {"dimension", c.dimension},
      {"metric", std::string(MetricName(c.metric))},
      {"index", IndexToJson(c.index)},
      {"flush", std::move(flush)},
      {"wal_format", std::string(WalFormatName(c.wal_format))},
  };
  // Only when set: the configurations stored before tiering existed (and
  // their row checksums) stay byte-identical.
  const TieringPolicy& t = c.tiering;
  if (t != TieringPolicy{}) {
    json tiering = json::object();
    if (t.warm_after_hours) tiering["warm_after_hours"] = *t.warm_after_hours;
    if (t.cold_after_hours) tiering["cold_after_hours"] = *t.cold_after_hours;
    if (t.warm_directory) tiering["warm_directory"] = *t.warm_directory;
    if (t.cache_mb) tiering["cache_mb"] = *t.cache_mb;
    if (t.wal_archive) tiering["wal_archive"] = *t.wal_archive;
    out["tiering"] = std::move(tiering);
  }
  // Likewise only when declared.
  if (!c.sparse_vectors.empty()) out["sparse_vectors"] = c.sparse_vectors;
  if (!c.vectors.empty()) {
    json vs = json::array();
    for (const NamedVectorConfig& v : c.vectors) {
      vs.push_back({{"name", v.name},
                    {"dimension", v.dimension},
                    {"metric", MetricName(v.metric)},
                    {"multivector", v.multivector},
                    {"index", IndexToJson(v.index)}});
    }
    out["vectors"] = std::move(vs);
  }
  if (c.default_ttl_seconds != 0) {
    out["default_ttl_seconds"] = c.default_ttl_seconds;
  }
  if (c.storage_strategy != "standard") {
    out["storage_strategy"] = c.storage_strategy;
  }
  if (c.memtable != "btree") out["memtable"] = c.memtable;
  if (c.compression != "none") out["compression"] = c.compression;
  if (!c.filterable_columns.empty()) {
    out["filterable_columns"] = ColumnsToJson(c.filterable_columns);
  }
  if (c.migration) {
    const MigrationRecord& m = *c.migration;
    json mj{{"id", m.id},
            {"state", m.state},
            {"started_unix_ms", m.started_unix_ms},
            {"finished_unix_ms", m.finished_unix_ms},
            {"from", LayoutToJson(m.from)},
            {"to", LayoutToJson(m.to)}};
    if (!m.error.empty()) mj["error"] = m.error;
    out["migration"] = std::move(mj);
  }
  return out;
}

Result<CollectionConfig> CollectionConfigFromJson(const nlohmann::json& j) {
  // The readers check types before every get<>, but nlohmann may still throw
  // (e.g. on allocation); nothing leaves this module as an exception.
  try {
    return Decode(j);
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("collection config: ") +
                                   e.what());
  }
}

}  // namespace proximadb::catalog
