#include <algorithm>
#include <cmath>

#include "proximadb/types.h"

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

Result<Metric> ParseMetric(std::string_view name) {
  if (name == "cosine") return Metric::kCosine;
  if (name == "euclidean" || name == "l2") return Metric::kEuclidean;
  if (name == "dot_product" || name == "dot") return Metric::kDotProduct;
  return Status::InvalidArgument(
      "unknown distance_metric '" + std::string(name) +
      "' (expected cosine, euclidean or dot_product)");
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

namespace {
bool ValidName(const std::string& n) {
  if (n.empty() || n.size() > 128) return false;
  return std::all_of(n.begin(), n.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '_' || c == '-';
  });
}
}  // namespace

Status ValidateCollectionConfig(const CollectionConfig& c) {
  if (!ValidName(c.name)) {
    return Status::InvalidArgument(
        "collection name must be 1..128 characters of [A-Za-z0-9_-], got '" +
        c.name + "'");
  }
  if (c.dimension < 1 || c.dimension > 65536) {
    return Status::InvalidArgument("dimension must be in 1..65536, got " +
                                   std::to_string(c.dimension));
  }
  if (c.index.algorithm != "hnsw" && c.index.algorithm != "flat") {
    return Status::InvalidArgument(
        "indexing_algorithm must be hnsw or flat, got '" + c.index.algorithm +
        "'");
  }
  if (c.index.quantization != "none" && c.index.quantization != "int8") {
    return Status::InvalidArgument("quantization must be none or int8, got '" +
                                   c.index.quantization + "'");
  }
  if (c.index.m < 2 || c.index.m > 128) {
    return Status::InvalidArgument("m must be in 2..128");
  }
  if (c.index.ef_construction < 1 || c.index.ef_construction > 4096 ||
      c.index.ef_search < 1 || c.index.ef_search > 4096) {
    return Status::InvalidArgument(
        "ef_construction and ef_search must be in 1..4096");
  }
  const FlushPolicy& f = c.flush;
  auto positive = [](const std::optional<double>& v) {
    return !v || (std::isfinite(*v) && *v > 0);
  };
  if (!positive(f.max_wal_age_hours)) {
    return Status::InvalidArgument("max_wal_age_hours must be > 0");
  }
  if (!positive(f.max_wal_size_mb)) {
    return Status::InvalidArgument("max_wal_size_mb must be > 0");
  }
  if (f.max_vector_count && *f.max_vector_count == 0) {
    return Status::InvalidArgument("max_vector_count must be > 0");
  }
  if (f.flush_priority && (*f.flush_priority < 1 || *f.flush_priority > 100)) {
    return Status::InvalidArgument("flush_priority must be in 1..100");
  }
  return Status::OK();
}

}  // namespace proximadb
