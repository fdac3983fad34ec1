#include "index/sparse.h"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <numeric>

#include "util/coding.h"
#include "util/limits.h"

namespace proximadb::index {

namespace {

float LoadFloat(const char* p) {
  float f;
  std::memcpy(&f, p, 4);
  return f;
}

void PutFloat(std::string* dst, float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  PutFixed32(dst, u);
}

void PadTo8(std::string* dst) {
  while (dst->size() % 8 != 0) dst->push_back('\0');
}

constexpr uint32_t kDenseFlag = 0x80000000u;
constexpr uint32_t kMatrixFlag = 0x40000000u;
constexpr uint32_t kLengthMask = 0x3fffffffu;

// Walks a blob's entries in order: false at the end or when malformed
// (*bad set).
class BlobReader {
 public:
  explicit BlobReader(std::string_view blob) : in_(blob) {
    if (in_.empty()) return;
    if (!GetFixed32(&in_, &left_)) bad_ = true;
  }
  bool Next(std::string_view* name, BlobEntry* e) {
    if (bad_ || left_ == 0) return false;
    uint32_t word;
    if (!GetFixed32(&in_, &word)) return Fail();
    const uint32_t len = word & kLengthMask;
    if (len > in_.size()) return Fail();
    *name = in_.substr(0, len);
    in_.remove_prefix(len);
    *e = BlobEntry{};
    e->dense = (word & kDenseFlag) != 0;
    e->matrix = (word & kMatrixFlag) != 0;
    if (!e->dense) {
      if (e->matrix) return Fail();
      uint32_t nnz;
      if (!GetFixed32(&in_, &nnz) || nnz > in_.size() / 8) return Fail();
      e->sparse.nnz = nnz;
      e->sparse.indices = in_.data();
      e->sparse.values = in_.data() + size_t{nnz} * 4;
      in_.remove_prefix(size_t{nnz} * 8);
    } else {
      uint32_t rows, dim;
      if (!GetFixed32(&in_, &rows) || !GetFixed32(&in_, &dim) || rows == 0 ||
          dim == 0 || (!e->matrix && rows != 1) ||
          uint64_t{rows} * dim > in_.size() / 4) {
        return Fail();
      }
      e->dense_ref.values = in_.data();
      e->dense_ref.rows = rows;
      e->dense_ref.dim = dim;
      in_.remove_prefix(size_t{rows} * dim * 4);
    }
    --left_;
    return true;
  }
  // True when the blob was read to its end without a fault.
  bool done() const { return !bad_ && left_ == 0 && in_.empty(); }
  bool bad() const { return bad_; }

 private:
  bool Fail() {
    bad_ = true;
    return false;
  }
  std::string_view in_;
  uint32_t left_ = 0;
  bool bad_ = false;
};

Status Corrupt(const std::string& what) {
  return Status::Corruption("point vectors: " + what);
}

}  // namespace

std::string EncodePointVectors(const SparseVectors& sparse,
                               const NamedVectors& dense) {
  std::string out;
  if (sparse.empty() && dense.empty()) return out;
  PutFixed32(&out, static_cast<uint32_t>(sparse.size() + dense.size()));
  // Both maps are sorted and their names distinct (the collection keeps
  // the two namespaces apart): merge them into one ascending list.
  auto s = sparse.begin();
  auto d = dense.begin();
  while (s != sparse.end() || d != dense.end()) {
    if (d == dense.end() || (s != sparse.end() && s->first < d->first)) {
      const auto& [name, sv] = *s++;
      PutFixed32(&out, static_cast<uint32_t>(name.size()));
      out += name;
      PutFixed32(&out, static_cast<uint32_t>(sv.indices.size()));
      for (uint32_t i : sv.indices) PutFixed32(&out, i);
      for (float f : sv.values) PutFloat(&out, f);
    } else {
      const auto& [name, nv] = *d++;
      PutFixed32(&out, static_cast<uint32_t>(name.size()) | kDenseFlag |
                           (nv.matrix ? kMatrixFlag : 0));
      out += name;
      const uint32_t rows = nv.rows == 0 ? 1 : nv.rows;
      PutFixed32(&out, rows);
      PutFixed32(&out, static_cast<uint32_t>(nv.values.size() / rows));
      for (float f : nv.values) PutFloat(&out, f);
    }
  }
  return out;
}

std::string EncodeSparseVectors(const SparseVectors& v) {
  return EncodePointVectors(v, {});
}

Status DecodePointVectors(std::string_view blob, SparseVectors* sparse,
                          NamedVectors* dense) {
  sparse->clear();
  if (dense != nullptr) dense->clear();
  BlobReader r(blob);
  std::string_view name;
  BlobEntry e;
  std::string prev;
  bool first = true;
  while (r.Next(&name, &e)) {
    if (!first && !(prev < name)) return Corrupt("names out of order");
    first = false;
    prev.assign(name);
    if (e.dense) {
      if (dense == nullptr) continue;
      NamedVector& nv = (*dense)[std::string(name)];
      nv.rows = e.dense_ref.rows;
      nv.matrix = e.matrix;
      nv.values.resize(size_t{e.dense_ref.rows} * e.dense_ref.dim);
      std::memcpy(nv.values.data(), e.dense_ref.values, nv.values.size() * 4);
      continue;
    }
    const SparseRef& ref = e.sparse;
    SparseVector& sv = (*sparse)[std::string(name)];
    sv.indices.resize(ref.nnz);
    sv.values.resize(ref.nnz);
    for (uint32_t j = 0; j < ref.nnz; ++j) {
      sv.indices[j] = DecodeFixed32(ref.indices + 4 * j);
      sv.values[j] = LoadFloat(ref.values + 4 * j);
      if (j > 0 && sv.indices[j] <= sv.indices[j - 1]) {
        return Corrupt("indices of '" + prev + "' not ascending");
      }
    }
  }
  if (!r.done()) return Corrupt("malformed blob");
  return Status::OK();
}

Status DecodeSparseVectors(std::string_view blob, SparseVectors* out) {
  return DecodePointVectors(blob, out, nullptr);
}

bool ValidPointVectorsBlob(std::string_view blob) {
  BlobReader r(blob);
  std::string_view name, prev;
  BlobEntry e;
  bool first = true;
  while (r.Next(&name, &e)) {
    if (!first && !(prev < name)) return false;
    first = false;
    prev = name;
    const SparseRef& ref = e.sparse;
    for (uint32_t j = 1; !e.dense && j < ref.nnz; ++j) {
      if (DecodeFixed32(ref.indices + 4 * j) <=
          DecodeFixed32(ref.indices + 4 * (j - 1))) {
        return false;
      }
    }
  }
  return r.done();
}

Status CanonicalizeSparse(SparseVector* v, const std::string& what) {
  if (v->indices.size() != v->values.size()) {
    return Status::InvalidArgument(
        what + " has " + std::to_string(v->indices.size()) + " indices but " +
        std::to_string(v->values.size()) + " values");
  }
  if (v->indices.size() > kMaxSparseNonZeros) {
    return Status::InvalidArgument(
        what + " has " + std::to_string(v->indices.size()) +
        " dimensions, more than " + std::to_string(kMaxSparseNonZeros));
  }
  for (size_t i = 0; i < v->values.size(); ++i) {
    if (!std::isfinite(v->values[i])) {
      return Status::InvalidArgument(what + ".values[" + std::to_string(i) +
                                     "] is not a finite number");
    }
  }
  if (!std::is_sorted(v->indices.begin(), v->indices.end())) {
    std::vector<uint32_t> order(v->indices.size());
    std::iota(order.begin(), order.end(), 0);
    std::sort(order.begin(), order.end(), [&](uint32_t a, uint32_t b) {
      return v->indices[a] < v->indices[b];
    });
    SparseVector sorted;
    sorted.indices.reserve(order.size());
    sorted.values.reserve(order.size());
    for (uint32_t o : order) {
      sorted.indices.push_back(v->indices[o]);
      sorted.values.push_back(v->values[o]);
    }
    *v = std::move(sorted);
  }
  for (size_t i = 1; i < v->indices.size(); ++i) {
    if (v->indices[i] == v->indices[i - 1]) {
      return Status::InvalidArgument(what + " repeats index " +
                                     std::to_string(v->indices[i]));
    }
  }
  return Status::OK();
}

namespace {
bool FindEntry(std::string_view blob, std::string_view name, BlobEntry* e) {
  BlobReader r(blob);
  std::string_view n;
  while (r.Next(&n, e)) {
    if (n == name) return true;
    if (name < n) return false;  // names ascend
  }
  return false;
}
}  // namespace

bool FindSparse(std::string_view blob, std::string_view name, SparseRef* out) {
  BlobEntry e;
  if (!FindEntry(blob, name, &e) || e.dense) return false;
  *out = e.sparse;
  return true;
}

bool FindDense(std::string_view blob, std::string_view name, DenseRef* out) {
  BlobEntry e;
  if (!FindEntry(blob, name, &e) || !e.dense) return false;
  *out = e.dense_ref;
  return true;
}

bool SparseDot(const SparseRef& row, const SparseVector& query, double* dot) {
  double sum = 0;
  bool any = false;
  size_t i = 0, j = 0;
  const size_t nq = query.indices.size();
  while (i < row.nnz && j < nq) {
    const uint32_t a = DecodeFixed32(row.indices + 4 * i);
    const uint32_t b = query.indices[j];
    if (a < b) {
      ++i;
    } else if (b < a) {
      ++j;
    } else {
      sum += double(LoadFloat(row.values + 4 * i)) * double(query.values[j]);
      any = true;
      ++i;
      ++j;
    }
  }
  *dot = sum;
  return any;
}

void SparseIndexBuilder::AddRow(uint32_t row, std::string_view blob) {
  BlobReader r(blob);
  std::string_view name;
  BlobEntry e;
  while (r.Next(&name, &e)) {
    if (e.dense) continue;  // named dense vectors have no postings
    const SparseRef& ref = e.sparse;
    auto it = std::lower_bound(
        names_.begin(), names_.end(), name,
        [](const auto& e, std::string_view n) { return e.first < n; });
    if (it == names_.end() || it->first != name) {
      it = names_.insert(it, {std::string(name), {}});
    }
    for (uint32_t j = 0; j < ref.nnz; ++j) {
      it->second.push_back({DecodeFixed32(ref.indices + 4 * j), row,
                            LoadFloat(ref.values + 4 * j)});
    }
  }
}

std::string SparseIndexBuilder::Encode() const {
  std::string out;
  if (names_.empty()) return out;
  PutFixed64(&out, names_.size());
  for (const auto& [name, entries] : names_) {
    std::vector<Entry> e = entries;
    // Rows were added ascending: a stable sort by term keeps them so.
    std::stable_sort(e.begin(), e.end(), [](const Entry& a, const Entry& b) {
      return a.term < b.term;
    });
    std::vector<uint32_t> terms;
    std::vector<uint64_t> offsets;
    for (size_t i = 0; i < e.size(); ++i) {
      if (i == 0 || e[i].term != e[i - 1].term) {
        terms.push_back(e[i].term);
        offsets.push_back(i);
      }
    }
    offsets.push_back(e.size());
    PutFixed64(&out, name.size());
    out += name;
    PadTo8(&out);
    PutFixed64(&out, terms.size());
    PutFixed64(&out, e.size());
    for (uint32_t t : terms) PutFixed32(&out, t);
    PadTo8(&out);
    for (uint64_t o : offsets) PutFixed64(&out, o);
    for (const Entry& x : e) PutFixed32(&out, x.row);
    PadTo8(&out);
    for (const Entry& x : e) PutFloat(&out, x.value);
    PadTo8(&out);
  }
  return out;
}

Result<SparseIndex> SparseIndex::Parse(std::string_view section,
                                       uint64_t row_count) {
  SparseIndex idx;
  if (section.empty()) return idx;
  if (reinterpret_cast<uintptr_t>(section.data()) % 8 != 0) {
    return Corrupt("index section not 8-byte aligned");
  }
  const char* base = section.data();
  size_t at = 0;
  const size_t size = section.size();
  auto take = [&](uint64_t bytes, const char** p) {
    bytes = (bytes + 7) / 8 * 8;
    if (bytes > size - at) return false;
    *p = base + at;
    at += bytes;
    return true;
  };
  const char* p;
  if (!take(8, &p)) return Corrupt("index truncated");
  const uint64_t count = DecodeFixed64(p);
  if (count > kMaxSparseVectorNames) return Corrupt("index: too many names");
  for (uint64_t n = 0; n < count; ++n) {
    Name nm;
    if (!take(8, &p)) return Corrupt("index truncated");
    const uint64_t len = DecodeFixed64(p);
    if (len > kMaxSparseVectorNameBytes || !take(len, &p)) {
      return Corrupt("index: bad name");
    }
    nm.name = std::string_view(p, len);
    if (!idx.names_.empty() && !(idx.names_.back().name < nm.name)) {
      return Corrupt("index: names out of order");
    }
    if (!take(16, &p)) return Corrupt("index truncated");
    nm.term_count = DecodeFixed64(p);
    nm.posting_count = DecodeFixed64(p + 8);
    // Bound both counts by the bytes left before multiplying.
    if (nm.term_count > size / 4 || nm.posting_count > size / 4) {
      return Corrupt("index: implausible counts");
    }
    if (!take(nm.term_count * 4, &p)) return Corrupt("index truncated");
    nm.terms = reinterpret_cast<const uint32_t*>(p);
    if (!take((nm.term_count + 1) * 8, &p)) return Corrupt("index truncated");
    nm.offsets = reinterpret_cast<const uint64_t*>(p);
    if (!take(nm.posting_count * 4, &p)) return Corrupt("index truncated");
    nm.rows = reinterpret_cast<const uint32_t*>(p);
    if (!take(nm.posting_count * 4, &p)) return Corrupt("index truncated");
    nm.values = reinterpret_cast<const float*>(p);
    if (nm.offsets[0] != 0 || nm.offsets[nm.term_count] != nm.posting_count) {
      return Corrupt("index: bad offsets");
    }
    for (uint64_t t = 0; t < nm.term_count; ++t) {
      if (t > 0 && nm.terms[t] <= nm.terms[t - 1]) {
        return Corrupt("index: terms out of order");
      }
      const uint64_t from = nm.offsets[t], to = nm.offsets[t + 1];
      if (to <= from || to > nm.posting_count) {
        return Corrupt("index: bad offsets");
      }
      for (uint64_t j = from; j < to; ++j) {
        if (nm.rows[j] >= row_count ||
            (j > from && nm.rows[j] <= nm.rows[j - 1])) {
          return Corrupt("index: bad posting rows");
        }
      }
    }
    idx.names_.push_back(nm);
  }
  if (at != size) return Corrupt("index: trailing bytes");
  return idx;
}

const SparseIndex::Name* SparseIndex::FindName(std::string_view name) const {
  for (const Name& n : names_) {
    if (n.name == name) return &n;
  }
  return nullptr;
}

void SparseIndex::Score(std::string_view name, const SparseVector& query,
                        std::vector<std::pair<uint32_t, double>>* out) const {
  out->clear();
  const Name* n = FindName(name);
  if (n == nullptr) return;
  // (row, contribution) in ascending query dimension; a stable sort by row
  // then keeps each row's contributions in that order, so the sums are
  // SparseDot's.
  std::vector<std::pair<uint32_t, double>> parts;
  const uint32_t* terms_end = n->terms + n->term_count;
  for (size_t j = 0; j < query.indices.size(); ++j) {
    const uint32_t* t = std::lower_bound(n->terms, terms_end, query.indices[j]);
    if (t == terms_end || *t != query.indices[j]) continue;
    const size_t ti = t - n->terms;
    for (uint64_t k = n->offsets[ti]; k < n->offsets[ti + 1]; ++k) {
      parts.emplace_back(n->rows[k],
                         double(n->values[k]) * double(query.values[j]));
    }
  }
  std::stable_sort(
      parts.begin(), parts.end(),
      [](const auto& a, const auto& b) { return a.first < b.first; });
  for (size_t i = 0; i < parts.size();) {
    const uint32_t row = parts[i].first;
    double sum = 0;
    for (; i < parts.size() && parts[i].first == row; ++i) {
      sum += parts[i].second;
    }
    out->emplace_back(row, sum);
  }
}

}  // namespace proximadb::index
