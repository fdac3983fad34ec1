// Validation of points (collection/point_check.h).
#include "collection/point_check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>

#include "filter/filter.h"
#include "filter/index_plan.h"
#include "filter/text.h"
#include "index/distance.h"
#include "index/sparse.h"
#include "util/json_depth.h"
#include "util/limits.h"
#include "util/uuid.h"

namespace proximadb {

namespace {
// True when every value is finite and the squared norm, summed in double,
// is at most kMaxSquaredNorm (util/limits.h: then no score between two
// accepted vectors overflows float). One pass: an infinity or NaN makes the
// sum non-finite, so `!(sum <= bound)` catches both. Four independent sums
// keep the loop from waiting on one add chain; this runs over every float
// of every batch.
bool FiniteAndBounded(const float* v, size_t n) {
  double s[4] = {0, 0, 0, 0};
  size_t i = 0;
  for (; i + 4 <= n; i += 4) {
    for (size_t j = 0; j < 4; ++j) s[j] += double(v[i + j]) * double(v[i + j]);
  }
  for (; i < n; ++i) s[0] += double(v[i]) * double(v[i]);
  return (s[0] + s[1]) + (s[2] + s[3]) <= kMaxSquaredNorm;
}
}  // namespace
// `what` + `suffix` names the field; they are joined only for an error, so
// the per-point check of a large batch allocates nothing.
Status CheckPointMetadata(const nlohmann::json& m, std::string_view what,
                          std::string_view suffix) {
  auto name = [&] { return std::string(what) + std::string(suffix); };
  if (!m.is_null() && !m.is_object()) {
    return Status::InvalidArgument(name() + " must be a JSON object");
  }
  if (JsonDeeperThan(m, kMaxJsonDepth)) {
    return Status::InvalidArgument(name() + " is nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  return Status::OK();
}

Status CheckMetadataPatch(const std::vector<std::string>& ids,
                          const MetadataPatch& patch) {
  if (ids.empty() || ids.size() > kMaxIdsPerCall) {
    return Status::InvalidArgument("field 'ids' must hold 1.." +
                                   std::to_string(kMaxIdsPerCall) +
                                   " ids, got " + std::to_string(ids.size()));
  }
  for (const auto& id : ids) {
    if (id.empty() || id.size() > kMaxIdBytes) {
      return Status::InvalidArgument("ids must be 1.." +
                                     std::to_string(kMaxIdBytes) + " bytes");
    }
  }
  if (!patch.set.is_object()) {
    return Status::InvalidArgument("field 'set' must be a JSON object");
  }
  if (JsonDeeperThan(patch.set, kMaxJsonDepth)) {
    return Status::InvalidArgument("field 'set' is nested deeper than " +
                                   std::to_string(kMaxJsonDepth) + " levels");
  }
  if (patch.set.empty() && patch.unset.empty()) {
    return Status::InvalidArgument(
        "a metadata update needs keys to 'set' or to 'unset'");
  }
  for (const auto& key : patch.unset) {
    if (key.empty() || key.size() > kMaxPayloadFieldBytes) {
      return Status::InvalidArgument("keys in 'unset' must be 1.." +
                                     std::to_string(kMaxPayloadFieldBytes) +
                                     " bytes");
    }
    if (patch.set.contains(key)) {
      return Status::InvalidArgument("key '" + key +
                                     "' is both in 'set' and in 'unset'");
    }
  }
  return Status::OK();
}

Result<nlohmann::json> ApplyMetadataPatch(const nlohmann::json& current,
                                          const MetadataPatch& patch) {
  nlohmann::json out = current.is_object() ? current : nlohmann::json::object();
  for (const auto& key : patch.unset) out.erase(key);
  for (const auto& [key, value] : patch.set.items()) out[key] = value;
  PDB_RETURN_IF_ERROR(CheckPointMetadata(out, "metadata"));
  return out;
}

Result<wal::WalOp> PatchedPointOp(std::string id, StoredPoint p,
                                  const MetadataPatch& patch) {
  Result<nlohmann::json> merged = ApplyMetadataPatch(p.metadata, patch);
  if (!merged.ok()) {
    return Status(merged.status().code(),
                  "point '" + id + "': " + merged.status().message());
  }
  return wal::WalOp{
      wal::WalOp::Type::kUpdateMetadata,
      std::move(id),
      std::move(p.vector),
      DumpPointMetadata(*merged),
      index::EncodePointVectors(p.sparse_vectors, p.named_vectors),
      p.expires_at_micros};
}

std::string DumpPointMetadata(const nlohmann::json& m) {
  // Replace invalid UTF-8 rather than throw: metadata from the embedded API
  // is not pre-validated by a JSON parser.
  return m.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Status CheckPointVector(const std::string& collection, uint32_t dimension,
                        Metric metric, std::span<const float> v,
                        const char* what) {
  if (v.empty()) {
    return Status::InvalidArgument(std::string(what) + " must not be empty");
  }
  if (v.size() != dimension) {
    return Status::DimensionMismatch(
        std::string(what) + " has " + std::to_string(v.size()) +
        " values but collection '" + collection + "' has dimension " +
        std::to_string(dimension));
  }
  if (!FiniteAndBounded(v.data(), v.size())) {  // then find out which failed
    for (size_t i = 0; i < v.size(); ++i) {
      if (!std::isfinite(v[i])) {
        return Status::InvalidArgument(std::string(what) + "[" +
                                       std::to_string(i) +
                                       "] is not a finite number");
      }
    }
    char bound[32];
    std::snprintf(bound, sizeof bound, "%.4g", kMaxSquaredNorm);
    return Status::InvalidArgument(
        std::string(what) +
        " is too large: the sum of its squared values must be at most " +
        bound + " (FLT_MAX/8) so that every score stays finite");
  }
  if (metric == Metric::kCosine && index::Norm(v.data(), v.size()) == 0) {
    return Status::InvalidArgument(
        std::string(what) +
        " is all zeros: cosine similarity is undefined for a zero vector");
  }
  return Status::OK();
}

// Field paths follow the filter language's path rules, so any field a
// filter can name can be indexed and nothing else.
Status CheckPayloadIndexField(const std::string& field) {
  return ValidateFieldPath(field);
}

static Status NamedField(const std::string& field, std::string_view name) {
  Status st = CheckPayloadIndexField(field);
  if (st.ok()) return st;
  return Status::InvalidArgument(std::string(name) + ": " + st.message());
}

Status CheckScrollOrder(const ScrollRequest& r) {
  if (!r.order_by) {
    if (r.after_value) {
      return Status::InvalidArgument("after_value needs order_by");
    }
    return Status::OK();
  }
  PDB_RETURN_IF_ERROR(NamedField(r.order_by->key, "order_by.key"));
  if (r.after_value && !std::isfinite(*r.after_value)) {
    return Status::InvalidArgument("after_value must be a finite number");
  }
  if (!r.after_id.empty() && !r.after_value) {
    return Status::InvalidArgument(
        "after_id with order_by needs after_value (the cursor is the last "
        "point's sort value and id: next_after_value, next_after_id)");
  }
  return Status::OK();
}

Status CheckFacetRequest(const FacetRequest& r) {
  PDB_RETURN_IF_ERROR(NamedField(r.key, "key"));
  if (r.limit > kMaxFacetLimit) {
    return Status::InvalidArgument("limit must be in 1.." +
                                   std::to_string(kMaxFacetLimit) + ", got " +
                                   std::to_string(r.limit));
  }
  return Status::OK();
}

Status CheckTextSearchRequest(const TextSearchRequest& r) {
  PDB_RETURN_IF_ERROR(NamedField(r.field, "field"));
  PDB_RETURN_IF_ERROR(
      filter::CheckWordCount("text", filter::DistinctWords(r.query).size()));
  if (r.k < 1 || r.k > kMaxK) {
    return Status::InvalidArgument("limit must be in 1.." +
                                   std::to_string(kMaxK) + ", got " +
                                   std::to_string(r.k));
  }
  if (r.stats &&
      r.stats->doc_freq.size() != filter::Bm25QueryWords(r.query).size()) {
    return Status::InvalidArgument(
        "text statistics do not match the query's words");
  }
  return Status::OK();
}

Result<wal::WalOp> PointToUpsertOp(const PointRules& rules, uint64_t now_micros,
                                   size_t i, Point* p) {
  const std::string what = "vectors[" + std::to_string(i) + "]";
  PDB_RETURN_IF_ERROR(CheckPointVector(rules.collection, rules.dimension,
                                       rules.metric, p->vector, what.c_str()));
  if (p->id.size() > kMaxIdBytes) {
    return Status::InvalidArgument(what + ".id is longer than " +
                                   std::to_string(kMaxIdBytes) + " bytes");
  }
  PDB_RETURN_IF_ERROR(CheckPointMetadata(p->metadata, what, ".metadata"));
  PDB_RETURN_IF_ERROR(
      CheckSparseVectors(rules.sparse_names, &p->sparse_vectors, what));
  PDB_RETURN_IF_ERROR(CheckNamedVectors(rules.vectors, p->named_vectors, what));
  if (p->expires_at_micros != 0 && rules.wal_format != WalFormat::kNative) {
    return Status::InvalidArgument(
        what +
        ".expires_at: the collection's wal_format 'avro' has no "
        "expiry (create it with wal_format 'native')");
  }
  if (p->id.empty()) p->id = NewUuidV4();
  wal::WalOp op;
  op.type = wal::WalOp::Type::kUpsert;
  op.id = std::move(p->id);
  op.vector = std::move(p->vector);
  op.metadata_json = p->metadata.is_null() ? std::string("{}")
                                           : DumpPointMetadata(p->metadata);
  op.sparse = index::EncodePointVectors(p->sparse_vectors, p->named_vectors);
  op.expires_at = p->expires_at_micros;
  if (op.expires_at == 0 && rules.default_ttl_seconds != 0) {
    op.expires_at = now_micros + rules.default_ttl_seconds * 1000000;
  }
  return op;
}

Status CheckSparseVectors(const std::vector<std::string>& names,
                          SparseVectors* v, const std::string& what) {
  for (auto& [name, sv] : *v) {
    if (!std::binary_search(names.begin(), names.end(), name)) {
      return Status::InvalidArgument(
          what + ".sparse_vectors: the collection has no sparse vector '" +
          name + "'" +
          (names.empty() ? std::string(" (it declares none)") : std::string()));
    }
    PDB_RETURN_IF_ERROR(
        index::CanonicalizeSparse(&sv, what + ".sparse_vectors." + name));
  }
  return Status::OK();
}

namespace {
// The vectors of a named vector's matrix (or its one vector), each as a
// point's vector is checked; `what` names it.
Status CheckMatrix(const std::string& collection, const NamedVectorConfig& c,
                   const std::vector<float>& values, uint32_t rows, bool matrix,
                   const std::string& what) {
  if (matrix != c.multivector) {
    return Status::InvalidArgument(
        what + (c.multivector
                    ? " must be a list of vectors (the vector is a multivector)"
                    : " must be one vector, not a list (the vector is not a "
                      "multivector)"));
  }
  if (rows < 1 || rows > kMaxMultiVectorRows) {
    return Status::InvalidArgument(what + " must hold 1.." +
                                   std::to_string(kMaxMultiVectorRows) +
                                   " vectors, got " + std::to_string(rows));
  }
  if (values.size() != size_t{rows} * c.dimension) {
    return Status::DimensionMismatch(
        what + " has " + std::to_string(values.size() / rows) +
        " values but vector '" + c.name + "' has dimension " +
        std::to_string(c.dimension));
  }
  const std::span<const float> all(values);
  for (uint32_t r = 0; r < rows; ++r) {
    const std::string name =
        matrix ? what + "[" + std::to_string(r) + "]" : what;
    PDB_RETURN_IF_ERROR(CheckPointVector(
        collection, c.dimension, c.metric,
        all.subspan(size_t{r} * c.dimension, c.dimension), name.c_str()));
  }
  return Status::OK();
}
}  // namespace

Status CheckNamedVectors(const std::vector<NamedVectorConfig>& vectors,
                         const NamedVectors& v, const std::string& what) {
  for (const auto& [name, nv] : v) {
    const NamedVectorConfig* c = FindNamedVector(vectors, name);
    if (c == nullptr) {
      return Status::InvalidArgument(
          what + ".vectors: the collection has no vector named '" + name + "'" +
          (vectors.empty() ? std::string(" (it declares none)")
                           : std::string()));
    }
    PDB_RETURN_IF_ERROR(CheckMatrix("", *c, nv.values, nv.rows, nv.matrix,
                                    what + ".vectors." + name));
  }
  return Status::OK();
}

Status CheckNamedQuery(const std::vector<NamedVectorConfig>& vectors,
                       const SearchRequest& r) {
  const NamedVectorConfig* c = FindNamedVector(vectors, r.using_vector);
  if (c == nullptr) {
    return Status::InvalidArgument(
        "using: the collection has no vector named '" + r.using_vector + "'" +
        (vectors.empty() ? std::string(" (it declares none)") : std::string()));
  }
  if (r.vector.empty()) {
    return Status::InvalidArgument("query vector must not be empty");
  }
  const bool matrix = r.vector_rows != 0;
  PDB_RETURN_IF_ERROR(CheckMatrix("", *c, r.vector, matrix ? r.vector_rows : 1,
                                  matrix, "query vector"));
  if (r.k < 1 || r.k > kMaxK) {
    return Status::InvalidArgument("k must be in 1.." + std::to_string(kMaxK) +
                                   ", got " + std::to_string(r.k));
  }
  return Status::OK();
}

Status CheckSparseSearchRequest(const std::vector<std::string>& names,
                                SparseSearchRequest* r) {
  if (!std::binary_search(names.begin(), names.end(), r->name)) {
    return Status::InvalidArgument(
        "using: the collection has no sparse vector '" + r->name + "'" +
        (names.empty() ? std::string(" (it declares none)") : std::string()));
  }
  PDB_RETURN_IF_ERROR(index::CanonicalizeSparse(&r->vector, "sparse_vector"));
  if (r->vector.indices.empty()) {
    return Status::InvalidArgument("sparse_vector must not be empty");
  }
  if (r->k < 1 || r->k > kMaxK) {
    return Status::InvalidArgument("k must be in 1.." + std::to_string(kMaxK) +
                                   ", got " + std::to_string(r->k));
  }
  return Status::OK();
}

}  // namespace proximadb
