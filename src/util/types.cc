#include "proximadb/types.h"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <limits>
#include <string_view>

#include "util/limits.h"

namespace proximadb {

std::string_view MetricName(Metric m) {
  switch (m) {
    case Metric::kCosine:
      return "cosine";
    case Metric::kEuclidean:
      return "euclidean";
    case Metric::kDotProduct:
      return "dot_product";
  }
  return "unknown";
}

std::string_view CollectionStateName(CollectionState s) {
  switch (s) {
    case CollectionState::kServing:
      return "serving";
    case CollectionState::kRecovering:
      return "recovering";
    case CollectionState::kFenced:
      return "fenced";
  }
  return "unknown";
}

Result<Metric> ParseMetric(std::string_view name) {
  if (name == "cosine") return Metric::kCosine;
  if (name == "euclidean" || name == "l2") return Metric::kEuclidean;
  if (name == "dot_product" || name == "dot") return Metric::kDotProduct;
  return Status::InvalidArgument(
      "unknown distance_metric '" + std::string(name) +
      "' (expected cosine, euclidean or dot_product)");
}

Result<RecommendStrategy> ParseRecommendStrategy(std::string_view name) {
  if (name == "average" || name == "average_vector") {
    return RecommendStrategy::kAverage;
  }
  if (name == "best_score") return RecommendStrategy::kBestScore;
  return Status::InvalidArgument("unknown strategy '" + std::string(name) +
                                 "' (expected average or best_score)");
}

std::string_view WalFormatName(WalFormat f) {
  return f == WalFormat::kAvro ? "avro" : "native";
}

Result<WalFormat> ParseWalFormat(std::string_view name) {
  if (name == "native" || name == "bincode") return WalFormat::kNative;
  if (name == "avro") return WalFormat::kAvro;
  return Status::InvalidArgument("unknown wal_format '" + std::string(name) +
                                 "' (expected native or avro)");
}

EffectiveFlushPolicy Resolve(const FlushPolicy& p, const FlushDefaults& d) {
  return EffectiveFlushPolicy{
      p.max_wal_age_hours.value_or(d.max_wal_age_hours),
      p.max_wal_size_mb.value_or(d.max_wal_size_mb),
      p.max_vector_count.value_or(d.max_vector_count),
      p.flush_priority.value_or(d.flush_priority),
      p.enable_background_flush.value_or(d.enable_background_flush),
  };
}

EffectiveTieringPolicy Resolve(const TieringPolicy& p,
                               const TieringDefaults& d) {
  return EffectiveTieringPolicy{
      p.warm_after_hours.value_or(d.warm_after_hours),
      p.cold_after_hours.value_or(d.cold_after_hours),
      p.warm_directory.value_or(d.warm_directory),
      p.cache_mb.value_or(d.cache_mb),
      p.wal_archive.value_or(d.wal_archive),
  };
}

namespace {
// Shortest form that reads back the same ("900000.5", not "900000.500000").
std::string Shortest(double v) {
  char buf[512];
  auto r = std::to_chars(buf, buf + sizeof(buf), v, std::chars_format::fixed);
  return r.ec == std::errc() ? std::string(buf, r.ptr) : std::to_string(v);
}
}  // namespace

Status ValidateTieringPolicy(const TieringPolicy& t) {
  for (const auto& [name, v] :
       {std::pair{"warm_after_hours", t.warm_after_hours},
        std::pair{"cold_after_hours", t.cold_after_hours}}) {
    if (v && !(std::isfinite(*v) && *v >= 0 && *v <= kMaxTierAgeHours)) {
      return Status::InvalidArgument(
          OutOfRangeMessage(name, 0, kMaxTierAgeHours, Shortest(*v)));
    }
  }
  if (t.cache_mb && *t.cache_mb > kMaxTierCacheMb) {
    return Status::InvalidArgument(OutOfRangeMessage(
        "cache_mb", 0, kMaxTierCacheMb, std::to_string(*t.cache_mb)));
  }
  if (t.warm_directory) {
    const std::string& d = *t.warm_directory;
    if (d.size() > kMaxDirectoryBytes || d.find('\0') != std::string::npos) {
      return Status::InvalidArgument(
          "field 'warm_directory' must be a path of at most " +
          std::to_string(kMaxDirectoryBytes) + " bytes");
    }
    if (!d.empty() && d[0] != '/') {
      return Status::InvalidArgument(
          "field 'warm_directory' must be an absolute path, got '" + d + "'");
    }
  }
  return Status::OK();
}

namespace {
// 1..max characters of [A-Za-z0-9_-].
bool ValidName(const std::string& n, size_t max = kMaxCollectionNameBytes) {
  if (n.empty() || n.size() > max) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}

// The limits and their one wording come from util/limits.h.
Status CheckRange(std::string_view field, uint64_t v, uint64_t lo,
                  uint64_t hi) {
  if (v < lo || v > hi) {
    return Status::InvalidArgument(OutOfRangeMessage(field, lo, hi, v));
  }
  return Status::OK();
}
}  // namespace

void ApplyStrategyDefaults(const LayoutGiven& given,
                           std::string_view storage_strategy,
                           IndexConfig* index, std::string* memtable,
                           std::string* compression) {
  if (storage_strategy != "viper") return;
  if (!given.memtable) *memtable = "hash";
  if (!given.compression) *compression = "zstd";
  if (!given.algorithm) index->algorithm = "ivf";
  if (!given.quantization) index->quantization = "int8";
}

std::vector<PayloadIndexDef> ColumnPayloadIndexes(
    const std::vector<FilterableColumn>& columns) {
  std::vector<PayloadIndexDef> out;
  for (const FilterableColumn& c : columns) {
    if (!c.indexed) continue;
    PayloadIndexType t = PayloadIndexType::kKeyword;
    if (c.type == "int") t = PayloadIndexType::kInteger;
    if (c.type == "float") t = PayloadIndexType::kFloat;
    if (c.type == "bool") t = PayloadIndexType::kBool;
    if (c.type == "datetime") t = PayloadIndexType::kDatetime;
    out.push_back({c.name, t});
  }
  std::sort(out.begin(), out.end(),
            [](const auto& a, const auto& b) { return a.field < b.field; });
  return out;
}

Status ValidateFieldPath(const std::string& field) {
  if (field.empty() || field.size() > kMaxPayloadFieldBytes) {
    return Status::InvalidArgument(
        "field must be 1.." + std::to_string(kMaxPayloadFieldBytes) + " bytes");
  }
  if (field[0] == '$') {
    return Status::InvalidArgument("field '" + field +
                                   "' must not start with '$'");
  }
  size_t segments = 0;
  size_t begin = 0;
  while (true) {
    const size_t dot = field.find('.', begin);
    const size_t end = dot == std::string::npos ? field.size() : dot;
    if (end == begin) {
      return Status::InvalidArgument("field '" + field +
                                     "' has an empty path segment");
    }
    if (++segments > static_cast<size_t>(kMaxFieldPathSegments)) {
      return Status::InvalidArgument("field '" + field + "' has more than " +
                                     std::to_string(kMaxFieldPathSegments) +
                                     " path segments");
    }
    if (dot == std::string::npos) break;
    begin = dot + 1;
  }
  return Status::OK();
}

Status ValidateAliasName(const std::string& alias) {
  if (ValidName(alias)) return Status::OK();
  return Status::InvalidArgument(
      "alias must be 1.." + std::to_string(kMaxCollectionNameBytes) +
      " characters of [A-Za-z0-9_-], got '" + alias + "'");
}

Status ValidateAliasActions(const std::vector<AliasAction>& actions) {
  if (actions.empty() || actions.size() > kMaxAliasActions) {
    return Status::InvalidArgument(
        OutOfRangeMessage("actions", 1, kMaxAliasActions, actions.size()));
  }
  for (size_t i = 0; i < actions.size(); ++i) {
    const AliasAction& a = actions[i];
    const std::string at = "actions[" + std::to_string(i) + "]: ";
    Status s = ValidateAliasName(a.alias);
    if (s.ok() && a.kind == AliasAction::Kind::kCreate &&
        !ValidName(a.collection)) {
      s = Status::InvalidArgument("collection name must be 1.." +
                                  std::to_string(kMaxCollectionNameBytes) +
                                  " characters of [A-Za-z0-9_-], got '" +
                                  a.collection + "'");
    }
    if (!s.ok()) return Status(s.code(), at + s.message());
  }
  return Status::OK();
}

namespace {

// The storage strategy and what it lets a collection choose
// (docs/API.md, "Storage strategies").
Status ValidateStorageStrategy(const CollectionConfig& c) {
  const std::string& s = c.storage_strategy;
  if (s != "standard" && s != "viper" && s != "custom") {
    return Status::InvalidArgument(
        "storage_strategy must be standard, viper or custom, got '" + s + "'");
  }
  if (c.memtable != "btree" && c.memtable != "hash") {
    return Status::InvalidArgument("memtable must be btree or hash, got '" +
                                   c.memtable + "'");
  }
  if (c.compression != "none" && c.compression != "zstd") {
    return Status::InvalidArgument("compression must be none or zstd, got '" +
                                   c.compression + "'");
  }
  const std::string& kind = c.index.algorithm;
  if (kind != "hnsw" && kind != "flat" && kind != "ivf") {
    return Status::InvalidArgument(
        s == "standard"
            ? "indexing_algorithm must be hnsw or flat, got '" + kind + "'"
            : "index kind must be hnsw, ivf or flat, got '" + kind + "'");
  }
  if (s == "standard") {
    if (kind == "ivf") {
      return Status::InvalidArgument(
          "index kind 'ivf' needs storage_strategy 'viper' or 'custom' (the "
          "standard strategy indexes segments with hnsw or flat)");
    }
    if (c.memtable != "btree") {
      return Status::InvalidArgument(
          "memtable '" + c.memtable +
          "' needs storage_strategy 'viper' or 'custom' (the standard "
          "strategy uses btree)");
    }
    if (c.compression != "none") {
      return Status::InvalidArgument(
          "compression '" + c.compression +
          "' needs storage_strategy 'viper' or 'custom' (the standard "
          "strategy stores segments uncompressed)");
    }
  }
  if (s == "viper") {
    // The write-optimised recipe: partitions built at flush, the hash
    // memtable. Other mixes are what "custom" is for.
    if (kind != "ivf") {
      return Status::InvalidArgument(
          "storage_strategy 'viper' indexes segments with kind 'ivf' (its "
          "partitions are built at flush), got '" +
          kind + "'; for another index kind use storage_strategy 'custom'");
    }
    if (c.memtable != "hash") {
      return Status::InvalidArgument(
          "storage_strategy 'viper' uses memtable 'hash', got '" + c.memtable +
          "'; for another memtable use storage_strategy 'custom'");
    }
  }
  if (c.filterable_columns.size() > kMaxFilterableColumns) {
    return Status::InvalidArgument(
        OutOfRangeMessage("filterable_columns", 0, kMaxFilterableColumns,
                          std::to_string(c.filterable_columns.size())));
  }
  if (!c.filterable_columns.empty() && kind != "ivf") {
    return Status::InvalidArgument(
        "filterable_columns need index kind 'ivf' (storage_strategy 'viper', "
        "or 'custom' with kind 'ivf'): their statistics are kept per "
        "partition; for a filter index on another layout create a payload "
        "index");
  }
  for (size_t i = 0; i < c.filterable_columns.size(); ++i) {
    const FilterableColumn& col = c.filterable_columns[i];
    const std::string at = "filterable_columns[" + std::to_string(i) + "]: ";
    Status path = ValidateFieldPath(col.name);
    if (!path.ok()) return Status::InvalidArgument(at + path.message());
    if (col.type != "string" && col.type != "int" && col.type != "float" &&
        col.type != "bool" && col.type != "datetime") {
      return Status::InvalidArgument(
          at + "type must be string, int, float, bool or datetime, got '" +
          col.type + "'");
    }
    for (size_t j = 0; j < i; ++j) {
      if (c.filterable_columns[j].name == col.name) {
        return Status::InvalidArgument(at + "column '" + col.name +
                                       "' is declared twice");
      }
    }
  }
  return Status::OK();
}

}  // namespace

Status ValidateCollectionConfig(const CollectionConfig& c) {
  if (!ValidName(c.name)) {
    return Status::InvalidArgument("collection name must be 1.." +
                                   std::to_string(kMaxCollectionNameBytes) +
                                   " characters of [A-Za-z0-9_-], got '" +
                                   c.name + "'");
  }
  PDB_RETURN_IF_ERROR(
      CheckRange("dimension", c.dimension, kMinDimension, kMaxDimension));
  PDB_RETURN_IF_ERROR(ValidateStorageStrategy(c));
  if (c.index.quantization != "none" && c.index.quantization != "int8" &&
      c.index.quantization != "binary" && c.index.quantization != "pq") {
    return Status::InvalidArgument(
        "quantization must be none, int8, binary or pq, got '" +
        c.index.quantization + "'");
  }
  PDB_RETURN_IF_ERROR(CheckRange("nlist", c.index.nlist, 0, kMaxIvfNlist));
  PDB_RETURN_IF_ERROR(CheckRange("nprobe", c.index.nprobe, 0, kMaxIvfNlist));
  if (c.index.algorithm != "ivf" &&
      (c.index.nlist != 0 || c.index.nprobe != 0)) {
    return Status::InvalidArgument(
        "nlist and nprobe apply to index kind ivf only (this index is '" +
        c.index.algorithm + "')");
  }
  if (c.index.nlist != 0 && c.index.nprobe > c.index.nlist) {
    return Status::InvalidArgument("nprobe (" + std::to_string(c.index.nprobe) +
                                   ") cannot exceed nlist (" +
                                   std::to_string(c.index.nlist) + ")");
  }
  PDB_RETURN_IF_ERROR(CheckRange("m", c.index.m, kMinHnswM, kMaxHnswM));
  PDB_RETURN_IF_ERROR(
      CheckRange("ef_construction", c.index.ef_construction, kMinEf, kMaxEf));
  PDB_RETURN_IF_ERROR(
      CheckRange("ef_search", c.index.ef_search, kMinEf, kMaxEf));
  const FlushPolicy& f = c.flush;
  auto positive = [](const std::optional<double>& v) {
    return !v || (std::isfinite(*v) && *v > 0);
  };
  if (!positive(f.max_wal_age_hours)) {
    return Status::InvalidArgument(
        "field 'max_wal_age_hours' must be a finite number > 0");
  }
  if (!positive(f.max_wal_size_mb)) {
    return Status::InvalidArgument(
        "field 'max_wal_size_mb' must be a finite number > 0");
  }
  if (f.max_vector_count) {
    PDB_RETURN_IF_ERROR(
        CheckRange("max_vector_count", *f.max_vector_count, 1,
                   static_cast<uint64_t>(std::numeric_limits<int64_t>::max())));
  }
  if (f.flush_priority) {
    // Negative values are out of range too (compared as signed first).
    const int p = *f.flush_priority;
    if (p < static_cast<int>(kMinFlushPriority) ||
        p > static_cast<int>(kMaxFlushPriority)) {
      return Status::InvalidArgument(
          OutOfRangeMessage("flush_priority", kMinFlushPriority,
                            kMaxFlushPriority, std::to_string(p)));
    }
  }
  if (c.shard_count > kMaxShardCount) {
    return Status::InvalidArgument(OutOfRangeMessage(
        "shard_count", 1, kMaxShardCount, std::to_string(c.shard_count)));
  }
  if (c.replication_factor > kMaxReplicationFactor) {
    return Status::InvalidArgument(
        OutOfRangeMessage("replication_factor", 1, kMaxReplicationFactor,
                          std::to_string(c.replication_factor)));
  }
  PDB_RETURN_IF_ERROR(ValidateSparseVectorNames(c.sparse_vectors));
  if (!c.sparse_vectors.empty() && c.wal_format != WalFormat::kNative) {
    return Status::InvalidArgument(
        "sparse_vectors need wal_format 'native' (the Avro WAL schema has no "
        "sparse vectors)");
  }
  PDB_RETURN_IF_ERROR(ValidateNamedVectors(c.vectors, c.sparse_vectors));
  if (!c.vectors.empty() && c.wal_format != WalFormat::kNative) {
    return Status::InvalidArgument(
        "vectors (named vectors) need wal_format 'native' (the Avro WAL "
        "schema has no named vectors)");
  }
  if (c.default_ttl_seconds > kMaxTtlSeconds) {
    return Status::InvalidArgument(
        OutOfRangeMessage("default_ttl_seconds", 0, kMaxTtlSeconds,
                          std::to_string(c.default_ttl_seconds)));
  }
  if (c.default_ttl_seconds != 0 && c.wal_format != WalFormat::kNative) {
    return Status::InvalidArgument(
        "default_ttl_seconds needs wal_format 'native' (the Avro WAL schema "
        "has no expiry)");
  }
  return ValidateTieringPolicy(c.tiering);
}

Status ValidateSparseVectorNames(const std::vector<std::string>& names) {
  if (names.size() > kMaxSparseVectorNames) {
    return Status::InvalidArgument(
        OutOfRangeMessage("sparse_vectors", 0, kMaxSparseVectorNames,
                          std::to_string(names.size())));
  }
  for (size_t i = 0; i < names.size(); ++i) {
    const std::string& n = names[i];
    if (!ValidName(n, kMaxSparseVectorNameBytes)) {
      return Status::InvalidArgument("sparse vector names must be 1.." +
                                     std::to_string(kMaxSparseVectorNameBytes) +
                                     " characters of [A-Za-z0-9_-], got '" + n +
                                     "'");
    }
    if (i > 0 && !(names[i - 1] < n)) {
      return Status::InvalidArgument(
          "sparse vector names must be sorted and distinct ('" + n + "')");
    }
  }
  return Status::OK();
}

Status ValidateNamedVectors(const std::vector<NamedVectorConfig>& vectors,
                            const std::vector<std::string>& sparse_names) {
  if (vectors.size() > kMaxNamedVectors) {
    return Status::InvalidArgument(OutOfRangeMessage(
        "vectors", 0, kMaxNamedVectors, std::to_string(vectors.size())));
  }
  for (size_t i = 0; i < vectors.size(); ++i) {
    const NamedVectorConfig& v = vectors[i];
    if (!ValidName(v.name, kMaxSparseVectorNameBytes)) {
      return Status::InvalidArgument("vector names must be 1.." +
                                     std::to_string(kMaxSparseVectorNameBytes) +
                                     " characters of [A-Za-z0-9_-], got '" +
                                     v.name + "'");
    }
    if (i > 0 && !(vectors[i - 1].name < v.name)) {
      return Status::InvalidArgument(
          "vector names must be sorted and distinct ('" + v.name + "')");
    }
    if (std::binary_search(sparse_names.begin(), sparse_names.end(), v.name)) {
      return Status::InvalidArgument("'" + v.name +
                                     "' names both a vector and a sparse "
                                     "vector");
    }
    if (v.dimension < 1 || v.dimension > kMaxDimension) {
      return Status::InvalidArgument(
          OutOfRangeMessage("vectors." + v.name + ".dimension", 1,
                            kMaxDimension, std::to_string(v.dimension)));
    }
    const std::string field = "vectors." + v.name + ".index.";
    if (v.index.algorithm != "hnsw" && v.index.algorithm != "flat") {
      return Status::InvalidArgument(field +
                                     "indexing_algorithm must be hnsw or "
                                     "flat, got '" +
                                     v.index.algorithm + "'");
    }
    if (v.index.nlist != 0 || v.index.nprobe != 0) {
      return Status::InvalidArgument(field +
                                     "nlist and nprobe apply to index kind "
                                     "ivf only");
    }
    if (v.index.quantization != "none") {
      return Status::InvalidArgument(
          field +
          "quantization must be none (named vectors are searched on "
          "their float values), got '" +
          v.index.quantization + "'");
    }
    PDB_RETURN_IF_ERROR(
        CheckRange(field + "m", v.index.m, kMinHnswM, kMaxHnswM));
    PDB_RETURN_IF_ERROR(CheckRange(field + "ef_construction",
                                   v.index.ef_construction, kMinEf, kMaxEf));
    PDB_RETURN_IF_ERROR(
        CheckRange(field + "ef_search", v.index.ef_search, kMinEf, kMaxEf));
  }
  return Status::OK();
}

const NamedVectorConfig* FindNamedVector(
    const std::vector<NamedVectorConfig>& vectors, std::string_view name) {
  for (const NamedVectorConfig& v : vectors) {
    if (v.name == name) return &v;
  }
  return nullptr;
}

}  // namespace proximadb
