#include "collection/payload_index.h"

#include <algorithm>
#include <cstring>
#include <map>
#include <tuple>

#include "filter/text.h"
#include "util/coding.h"
#include "util/crc32c.h"
#include "util/time_format.h"

namespace proximadb {

namespace {

constexpr char kMagic[8] = {'P', 'D', 'B', 'P', 'I', 'D', 'X', '1'};
// 1: keyword, integer, float, bool. 2 adds datetime and geo fields, 3 text
// fields. Save writes the lowest version that holds every field, so each
// index has one encoding and older builds keep reading the files they could
// always read.
constexpr uint32_t kVersion = 3;

uint32_t VersionFor(PayloadIndexType t) {
  switch (t) {
    case PayloadIndexType::kDatetime:
    case PayloadIndexType::kGeo:
      return 2;
    case PayloadIndexType::kText:
      return 3;
    default:
      return 1;
  }
}

double AsDouble(const filter::Value& v) {
  switch (v.type) {
    case filter::Value::Type::kInt:
      return static_cast<double>(v.i);
    case filter::Value::Type::kUint:
      return static_cast<double>(v.u);
    default:
      return v.d;
  }
}

Status Damaged(const std::string& path, const std::string& what) {
  return Status::Corruption("payload index " + path + ": " + what);
}

}  // namespace

std::shared_ptr<const SegmentPayloadIndex> SegmentPayloadIndex::Build(
    const segment::Segment& seg, const std::vector<PayloadIndexDef>& defs) {
  auto out = std::make_shared<SegmentPayloadIndex>();
  out->rows_ = seg.size();
  std::vector<PayloadIndexDef> sorted = defs;
  std::sort(sorted.begin(), sorted.end(),
            [](const auto& a, const auto& b) { return a.field < b.field; });
  std::vector<std::vector<std::string>> paths;
  // Keys' posting lists; for text fields also how often each row holds the
  // word (counts[j] for rows[j]).
  struct Posting {
    std::vector<uint32_t> rows, counts;
  };
  std::vector<std::map<std::string, Posting, std::less<>>> keyed(sorted.size());
  std::vector<std::vector<std::pair<double, uint32_t>>> nums(sorted.size());
  std::vector<std::vector<std::pair<int64_t, uint32_t>>> times(sorted.size());
  struct Pt {
    double lat, lon;
    uint32_t row;
  };
  std::vector<std::vector<Pt>> points(sorted.size());
  std::string word;
  // text fields: per row, its words.
  std::vector<std::vector<uint32_t>> lengths(sorted.size());
  for (size_t f = 0; f < sorted.size(); ++f) {
    if (sorted[f].type == PayloadIndexType::kText) {
      lengths[f].assign(seg.size(), 0);
    }
  }
  for (const auto& d : sorted) paths.push_back(filter::SplitPath(d.field));

  for (size_t r = 0; r < seg.size(); ++r) {
    auto doc = nlohmann::json::parse(seg.metadata_json(r), nullptr,
                                     /*allow_exceptions=*/false);
    if (doc.is_discarded()) continue;
    const uint32_t row = static_cast<uint32_t>(r);
    for (size_t f = 0; f < sorted.size(); ++f) {
      const PayloadIndexType type = sorted[f].type;
      if (type == PayloadIndexType::kGeo) {
        filter::ForEachGeoPointAtPath(
            doc, paths[f], [&](const filter::GeoPoint& p) {
              points[f].push_back({p.lat, p.lon, row});
            });
        continue;
      }
      filter::ForEachScalarAtPath(doc, paths[f], [&](const filter::Value& v) {
        using T = filter::Value::Type;
        switch (type) {
          case PayloadIndexType::kKeyword:
            if (v.type == T::kString) {
              auto& post = keyed[f][std::string(v.s)].rows;
              if (post.empty() || post.back() != row) post.push_back(row);
            }
            break;
          case PayloadIndexType::kBool:
            if (v.type == T::kBool) {
              auto& post = keyed[f][v.b ? "true" : "false"].rows;
              if (post.empty() || post.back() != row) post.push_back(row);
            }
            break;
          case PayloadIndexType::kText:
            if (v.type == T::kString) {
              filter::WordReader reader(v.s);
              while (reader.Next(&word)) {
                Posting& post = keyed[f].try_emplace(word).first->second;
                if (post.rows.empty() || post.rows.back() != row) {
                  post.rows.push_back(row);
                  post.counts.push_back(0);
                }
                ++post.counts.back();
                ++lengths[f][row];
              }
            }
            break;
          case PayloadIndexType::kDatetime: {
            int64_t t;
            if (v.type == T::kString && ParseRfc3339Instant(v.s, &t)) {
              times[f].push_back({t, row});
            }
            break;
          }
          default:
            // Both numeric types index every number: a filter compares
            // 1 and 1.5 alike, so skipping either would lose matches.
            if (v.is_number()) nums[f].push_back({AsDouble(v), row});
        }
      });
    }
  }
  for (size_t f = 0; f < sorted.size(); ++f) {
    Field field;
    field.def = sorted[f];
    field.offsets.push_back(0);
    for (auto& [key, post] : keyed[f]) {
      field.keys.push_back(key);
      field.rows.insert(field.rows.end(), post.rows.begin(), post.rows.end());
      field.tfs.insert(field.tfs.end(), post.counts.begin(), post.counts.end());
      field.offsets.push_back(static_cast<uint32_t>(field.rows.size()));
    }
    field.lengths = std::move(lengths[f]);
    field.SumLengths();
    std::sort(nums[f].begin(), nums[f].end());
    for (const auto& [v, r] : nums[f]) {
      field.values.push_back(v);
      field.value_rows.push_back(r);
    }
    std::sort(times[f].begin(), times[f].end());
    for (const auto& [t, r] : times[f]) {
      field.times.push_back(t);
      field.time_rows.push_back(r);
    }
    std::sort(points[f].begin(), points[f].end(), [](const Pt& a, const Pt& b) {
      return a.lat < b.lat || (a.lat == b.lat && a.row < b.row);
    });
    for (const Pt& p : points[f]) {
      field.lats.push_back(p.lat);
      field.lons.push_back(p.lon);
      field.geo_rows.push_back(p.row);
    }
    out->fields_.push_back(std::move(field));
  }
  return out;
}

std::vector<PayloadIndexDef> SegmentPayloadIndex::defs() const {
  std::vector<PayloadIndexDef> out;
  for (const auto& f : fields_) out.push_back(f.def);
  return out;
}

const SegmentPayloadIndex::Field* SegmentPayloadIndex::Find(
    std::string_view field) const {
  auto it = std::lower_bound(
      fields_.begin(), fields_.end(), field,
      [](const Field& f, std::string_view name) { return f.def.field < name; });
  return it != fields_.end() && it->def.field == field ? &*it : nullptr;
}

bool SegmentPayloadIndex::Posting(const Field& f, const filter::Value& v,
                                  const uint32_t** begin,
                                  const uint32_t** end) const {
  std::string_view key;
  if (f.def.type == PayloadIndexType::kKeyword &&
      v.type == filter::Value::Type::kString) {
    key = v.s;
  } else if (f.def.type == PayloadIndexType::kBool &&
             v.type == filter::Value::Type::kBool) {
    key = v.b ? "true" : "false";
  } else {
    return false;
  }
  std::tie(*begin, *end) = KeyPosting(f, key);
  return true;
}

std::pair<const uint32_t*, const uint32_t*> SegmentPayloadIndex::KeyPosting(
    const Field& f, std::string_view key) {
  auto it = std::lower_bound(f.keys.begin(), f.keys.end(), key);
  if (it == f.keys.end() || *it != key) return {nullptr, nullptr};
  const size_t i = it - f.keys.begin();
  return {f.rows.data() + f.offsets[i], f.rows.data() + f.offsets[i + 1]};
}

const std::vector<uint32_t>* SegmentPayloadIndex::TextLengths(
    std::string_view field, uint64_t* docs, uint64_t* words) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kText) return nullptr;
  *docs = f->text_docs;
  *words = f->text_words;
  return &f->lengths;
}

bool SegmentPayloadIndex::TextPosting(std::string_view field,
                                      std::string_view word,
                                      const uint32_t** rows,
                                      const uint32_t** tfs, size_t* n) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kText) return false;
  auto [b, e] = KeyPosting(*f, word);
  *n = e - b;
  *rows = b;
  *tfs = b == nullptr ? nullptr : f->tfs.data() + (b - f->rows.data());
  return true;
}

std::optional<uint64_t> SegmentPayloadIndex::CountText(
    std::string_view field, const std::vector<std::string>& words) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kText) {
    return std::nullopt;
  }
  uint64_t least = rows_;
  for (const auto& w : words) {
    auto [b, e] = KeyPosting(*f, w);
    least = std::min<uint64_t>(least, e - b);
  }
  return least;
}

bool SegmentPayloadIndex::RowsText(std::string_view field,
                                   const std::vector<std::string>& words,
                                   std::vector<uint32_t>* out) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kText) return false;
  // Intersect from the shortest list: every other list only removes rows.
  std::vector<std::pair<const uint32_t*, const uint32_t*>> lists;
  for (const auto& w : words) lists.push_back(KeyPosting(*f, w));
  if (lists.empty()) return true;
  std::sort(lists.begin(), lists.end(), [](const auto& a, const auto& b) {
    return a.second - a.first < b.second - b.first;
  });
  std::vector<uint32_t> rows(lists[0].first, lists[0].second);
  for (size_t i = 1; i < lists.size() && !rows.empty(); ++i) {
    std::vector<uint32_t> kept;
    const uint32_t* p = lists[i].first;
    for (uint32_t r : rows) {
      p = std::lower_bound(p, lists[i].second, r);
      if (p == lists[i].second) break;
      if (*p == r) kept.push_back(r);
    }
    rows.swap(kept);
  }
  out->insert(out->end(), rows.begin(), rows.end());
  return true;
}

std::pair<size_t, size_t> SegmentPayloadIndex::Span(const Field& f,
                                                    filter::NumBound lo,
                                                    filter::NumBound hi) const {
  size_t b =
      lo.set ? std::lower_bound(f.values.begin(), f.values.end(), lo.value) -
                   f.values.begin()
             : 0;
  size_t e =
      hi.set ? std::upper_bound(f.values.begin(), f.values.end(), hi.value) -
                   f.values.begin()
             : f.values.size();
  return {b, std::max(b, e)};
}

std::optional<uint64_t> SegmentPayloadIndex::CountEq(
    std::string_view field, const filter::Value& v) const {
  const Field* f = Find(field);
  if (f == nullptr) return std::nullopt;
  if (f->numeric()) {
    if (!v.is_number()) return std::nullopt;
    const double d = AsDouble(v);
    return CountRange(field, {true, d}, {true, d});
  }
  if (f->def.type == PayloadIndexType::kDatetime) {
    // $eq is string equality, and equal strings are equal instants: the
    // rows at that instant are a superset. A string that is not a time
    // is not in the index at all, so the index cannot bound it.
    int64_t t;
    if (v.type != filter::Value::Type::kString ||
        !ParseRfc3339Instant(v.s, &t)) {
      return std::nullopt;
    }
    return CountTimeRange(field, {true, t}, {true, t});
  }
  const uint32_t *b, *e;
  if (!Posting(*f, v, &b, &e)) return std::nullopt;
  return static_cast<uint64_t>(e - b);
}

bool SegmentPayloadIndex::RowsEq(std::string_view field, const filter::Value& v,
                                 std::vector<uint32_t>* out) const {
  const Field* f = Find(field);
  if (f == nullptr) return false;
  if (f->numeric()) {
    if (!v.is_number()) return false;
    const double d = AsDouble(v);
    return RowsRange(field, {true, d}, {true, d}, out);
  }
  if (f->def.type == PayloadIndexType::kDatetime) {
    int64_t t;
    if (v.type != filter::Value::Type::kString ||
        !ParseRfc3339Instant(v.s, &t)) {
      return false;
    }
    return RowsTimeRange(field, {true, t}, {true, t}, out);
  }
  const uint32_t *b, *e;
  if (!Posting(*f, v, &b, &e)) return false;
  out->insert(out->end(), b, e);
  return true;
}

std::optional<uint64_t> SegmentPayloadIndex::CountRange(
    std::string_view field, filter::NumBound lo, filter::NumBound hi) const {
  const Field* f = Find(field);
  if (f == nullptr || !f->numeric()) return std::nullopt;
  auto [b, e] = Span(*f, lo, hi);
  return e - b;
}

bool SegmentPayloadIndex::RowsRange(std::string_view field, filter::NumBound lo,
                                    filter::NumBound hi,
                                    std::vector<uint32_t>* out) const {
  const Field* f = Find(field);
  if (f == nullptr || !f->numeric()) return false;
  auto [b, e] = Span(*f, lo, hi);
  out->insert(out->end(), f->value_rows.begin() + b, f->value_rows.begin() + e);
  return true;
}

std::pair<size_t, size_t> SegmentPayloadIndex::TimeSpan(
    const Field& f, filter::TimeBound lo, filter::TimeBound hi) const {
  size_t b = lo.set
                 ? std::lower_bound(f.times.begin(), f.times.end(), lo.value) -
                       f.times.begin()
                 : 0;
  size_t e = hi.set
                 ? std::upper_bound(f.times.begin(), f.times.end(), hi.value) -
                       f.times.begin()
                 : f.times.size();
  return {b, std::max(b, e)};
}

std::optional<uint64_t> SegmentPayloadIndex::CountTimeRange(
    std::string_view field, filter::TimeBound lo, filter::TimeBound hi) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kDatetime) {
    return std::nullopt;
  }
  auto [b, e] = TimeSpan(*f, lo, hi);
  return e - b;
}

bool SegmentPayloadIndex::RowsTimeRange(std::string_view field,
                                        filter::TimeBound lo,
                                        filter::TimeBound hi,
                                        std::vector<uint32_t>* out) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kDatetime) return false;
  auto [b, e] = TimeSpan(*f, lo, hi);
  out->insert(out->end(), f->time_rows.begin() + b, f->time_rows.begin() + e);
  return true;
}

// The latitude band of the shape by binary search, then the exact test
// (filter/geo.h, the evaluators' own) on each point in it: exact answers.
template <typename Fn>
void SegmentPayloadIndex::ForEachInShape(const Field& f,
                                         const filter::GeoShape& shape,
                                         const Fn& fn) const {
  double lo, hi;
  filter::GeoLatBand(shape, &lo, &hi);
  const size_t b =
      std::lower_bound(f.lats.begin(), f.lats.end(), lo) - f.lats.begin();
  const size_t e =
      std::upper_bound(f.lats.begin(), f.lats.end(), hi) - f.lats.begin();
  for (size_t i = b; i < e; ++i) {
    if (filter::GeoContains(shape, filter::GeoPoint{f.lats[i], f.lons[i]})) {
      fn(i);
    }
  }
}

std::optional<uint64_t> SegmentPayloadIndex::CountGeo(
    std::string_view field, const filter::GeoShape& shape) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kGeo) {
    return std::nullopt;
  }
  // An exact count tests every point of the shape's latitude band; past
  // kExactGeoBand points the band's size is the (upper) bound instead, so
  // planning a wide shape costs two binary searches, not a haversine per
  // point (at 50 % of 60k points the exact count cost 3x the search).
  constexpr size_t kExactGeoBand = 8192;
  double lo, hi;
  filter::GeoLatBand(shape, &lo, &hi);
  const size_t band =
      (std::upper_bound(f->lats.begin(), f->lats.end(), hi) - f->lats.begin()) -
      (std::lower_bound(f->lats.begin(), f->lats.end(), lo) - f->lats.begin());
  if (band > kExactGeoBand) return band;
  uint64_t n = 0;
  ForEachInShape(*f, shape, [&](size_t) { ++n; });
  return n;
}

bool SegmentPayloadIndex::RowsGeo(std::string_view field,
                                  const filter::GeoShape& shape,
                                  std::vector<uint32_t>* out) const {
  const Field* f = Find(field);
  if (f == nullptr || f->def.type != PayloadIndexType::kGeo) return false;
  ForEachInShape(*f, shape, [&](size_t i) { out->push_back(f->geo_rows[i]); });
  return true;
}

Status SegmentPayloadIndex::Save(Env* env, const std::string& path) const {
  uint32_t version = 1;
  for (const Field& f : fields_) {
    version = std::max(version, VersionFor(f.def.type));
  }
  std::string buf(kMagic, sizeof(kMagic));
  PutFixed32(&buf, version);
  PutFixed32(&buf, static_cast<uint32_t>(fields_.size()));
  PutFixed64(&buf, rows_);
  auto put_u32s = [&](const std::vector<uint32_t>& v) {
    const size_t at = buf.size();
    buf.resize(at + v.size() * 4);
    for (size_t i = 0; i < v.size(); ++i) EncodeFixed32(&buf[at + 4 * i], v[i]);
  };
  auto put_f64s = [&](const std::vector<double>& v) {
    for (double d : v) {
      uint64_t bits;
      std::memcpy(&bits, &d, 8);
      PutFixed64(&buf, bits);
    }
  };
  for (const Field& f : fields_) {
    PutFixed32(&buf, static_cast<uint32_t>(f.def.type));
    PutFixed32(&buf, static_cast<uint32_t>(f.def.field.size()));
    buf += f.def.field;
    if (f.def.type == PayloadIndexType::kDatetime) {
      PutFixed32(&buf, static_cast<uint32_t>(f.times.size()));
      for (int64_t t : f.times) PutFixed64(&buf, static_cast<uint64_t>(t));
      put_u32s(f.time_rows);
    } else if (f.def.type == PayloadIndexType::kGeo) {
      PutFixed32(&buf, static_cast<uint32_t>(f.lats.size()));
      put_f64s(f.lats);
      put_f64s(f.lons);
      put_u32s(f.geo_rows);
    } else if (f.numeric()) {
      PutFixed32(&buf, static_cast<uint32_t>(f.values.size()));
      for (double d : f.values) {
        uint64_t bits;
        std::memcpy(&bits, &d, 8);
        PutFixed64(&buf, bits);
      }
      put_u32s(f.value_rows);
    } else {
      PutFixed32(&buf, static_cast<uint32_t>(f.keys.size()));
      for (const auto& k : f.keys) {
        PutFixed32(&buf, static_cast<uint32_t>(k.size()));
        buf += k;
      }
      put_u32s(f.offsets);
      put_u32s(f.rows);
      if (f.def.type == PayloadIndexType::kText) {
        put_u32s(f.tfs);
        put_u32s(f.lengths);
      }
    }
  }
  PutFixed32(&buf, crc32c::Mask(crc32c::Value(buf.data(), buf.size())));
  return env->WriteFileAtomically(path, buf);
}

Result<std::shared_ptr<const SegmentPayloadIndex>> SegmentPayloadIndex::Load(
    Env* env, const std::string& path, uint64_t segment_rows) {
  PDB_ASSIGN_OR_RETURN(std::string data, env->ReadFileToString(path));
  if (data.size() < sizeof(kMagic) + 20 ||
      std::memcmp(data.data(), kMagic, sizeof(kMagic)) != 0) {
    return Damaged(path, "bad magic or too short");
  }
  const size_t body = data.size() - 4;
  if (crc32c::Unmask(DecodeFixed32(data.data() + body)) !=
      crc32c::Value(data.data(), body)) {
    return Damaged(path, "checksum mismatch");
  }
  std::string_view in(data.data() + sizeof(kMagic), body - sizeof(kMagic));
  uint32_t version = 0, count = 0;
  uint64_t rows = 0;
  GetFixed32(&in, &version);
  GetFixed32(&in, &count);
  GetFixed64(&in, &rows);
  if (version < 1 || version > kVersion) {
    return Damaged(path, "unsupported version " + std::to_string(version));
  }
  const uint32_t max_type =
      static_cast<uint32_t>(version == 1   ? PayloadIndexType::kBool
                            : version == 2 ? PayloadIndexType::kGeo
                                           : PayloadIndexType::kText);
  if (rows != segment_rows) {
    return Damaged(path, "built for " + std::to_string(rows) +
                             " rows, segment has " +
                             std::to_string(segment_rows));
  }
  auto out = std::make_shared<SegmentPayloadIndex>();
  out->rows_ = rows;
  auto get_u32s = [&](size_t n, std::vector<uint32_t>* v) {
    if (in.size() / 4 < n) return false;
    v->resize(n);
    for (size_t i = 0; i < n; ++i) (*v)[i] = DecodeFixed32(in.data() + 4 * i);
    in.remove_prefix(4 * n);
    return true;
  };
  auto get_str = [&](std::string* s) {
    uint32_t len;
    if (!GetFixed32(&in, &len) || in.size() < len) return false;
    s->assign(in.data(), len);
    in.remove_prefix(len);
    return true;
  };
  for (uint32_t i = 0; i < count; ++i) {
    Field f;
    uint32_t type, n;
    if (!GetFixed32(&in, &type) || type > max_type || !get_str(&f.def.field) ||
        !GetFixed32(&in, &n)) {
      return Damaged(path, "truncated field header");
    }
    f.def.type = static_cast<PayloadIndexType>(type);
    if (!out->fields_.empty() && out->fields_.back().def.field >= f.def.field) {
      return Damaged(path, "fields out of order");
    }
    auto get_f64s = [&](std::vector<double>* v) {
      if (in.size() / 8 < n) return false;
      v->resize(n);
      for (uint32_t j = 0; j < n; ++j) {
        uint64_t bits = DecodeFixed64(in.data() + 8 * j);
        std::memcpy(&(*v)[j], &bits, 8);
      }
      in.remove_prefix(8 * size_t(n));
      return true;
    };
    auto rows_in_range = [&](const std::vector<uint32_t>& v) {
      return std::all_of(v.begin(), v.end(),
                         [&](uint32_t r) { return r < rows; });
    };
    if (f.def.type == PayloadIndexType::kDatetime) {
      if (in.size() / 8 < n) return Damaged(path, "truncated times");
      f.times.resize(n);
      for (uint32_t j = 0; j < n; ++j) {
        f.times[j] = static_cast<int64_t>(DecodeFixed64(in.data() + 8 * j));
      }
      in.remove_prefix(8 * size_t(n));
      if (!get_u32s(n, &f.time_rows)) return Damaged(path, "truncated rows");
      if (!std::is_sorted(f.times.begin(), f.times.end())) {
        return Damaged(path, "times out of order");
      }
      if (!rows_in_range(f.time_rows)) return Damaged(path, "row out of range");
    } else if (f.def.type == PayloadIndexType::kGeo) {
      if (!get_f64s(&f.lats) || !get_f64s(&f.lons)) {
        return Damaged(path, "truncated points");
      }
      if (!get_u32s(n, &f.geo_rows)) return Damaged(path, "truncated rows");
      // The band search relies on order; the evaluators only ever index
      // points in range (no NaN).
      if (!std::is_sorted(f.lats.begin(), f.lats.end()) ||
          !std::all_of(f.lats.begin(), f.lats.end(), filter::ValidLat) ||
          !std::all_of(f.lons.begin(), f.lons.end(), filter::ValidLon)) {
        return Damaged(path, "points out of order or out of range");
      }
      if (!rows_in_range(f.geo_rows)) return Damaged(path, "row out of range");
    } else if (f.numeric()) {
      if (in.size() / 8 < n) return Damaged(path, "truncated values");
      f.values.resize(n);
      for (uint32_t j = 0; j < n; ++j) {
        uint64_t bits = DecodeFixed64(in.data() + 8 * j);
        std::memcpy(&f.values[j], &bits, 8);
      }
      in.remove_prefix(8 * size_t(n));
      if (!get_u32s(n, &f.value_rows)) return Damaged(path, "truncated rows");
      // NaN never enters (JSON has none); the search relies on order.
      if (!std::is_sorted(f.values.begin(), f.values.end()) ||
          std::any_of(f.values.begin(), f.values.end(),
                      [](double d) { return d != d; })) {
        return Damaged(path, "values out of order");
      }
      for (uint32_t r : f.value_rows) {
        if (r >= rows) return Damaged(path, "row out of range");
      }
    } else {
      // Every key takes at least its 4-byte length: a larger count cannot
      // be genuine, and must not size an allocation.
      if (in.size() / 4 < n) return Damaged(path, "truncated keys");
      f.keys.resize(n);
      for (uint32_t j = 0; j < n; ++j) {
        if (!get_str(&f.keys[j])) return Damaged(path, "truncated keys");
        if (j > 0 && f.keys[j - 1] >= f.keys[j]) {
          return Damaged(path, "keys out of order");
        }
      }
      if (!get_u32s(size_t(n) + 1, &f.offsets)) {
        return Damaged(path, "truncated offsets");
      }
      if (f.offsets[0] != 0 ||
          !std::is_sorted(f.offsets.begin(), f.offsets.end())) {
        return Damaged(path, "offsets out of order");
      }
      if (!get_u32s(f.offsets.back(), &f.rows)) {
        return Damaged(path, "truncated postings");
      }
      for (uint32_t k = 0; k < n; ++k) {
        for (uint32_t j = f.offsets[k]; j < f.offsets[k + 1]; ++j) {
          if (f.rows[j] >= rows ||
              (j > f.offsets[k] && f.rows[j - 1] >= f.rows[j])) {
            return Damaged(path, "posting list out of order");
          }
        }
      }
      if (f.def.type == PayloadIndexType::kText) {
        if (!get_u32s(f.rows.size(), &f.tfs) || !get_u32s(rows, &f.lengths)) {
          return Damaged(path, "truncated word counts");
        }
        // A row holds each of its words at least once, and its length is
        // the sum of its words' counts.
        std::vector<uint64_t> sum(rows, 0);
        for (size_t j = 0; j < f.rows.size(); ++j) {
          if (f.tfs[j] == 0) return Damaged(path, "zero word count");
          sum[f.rows[j]] += f.tfs[j];
        }
        for (uint64_t r = 0; r < rows; ++r) {
          if (sum[r] != f.lengths[r]) {
            return Damaged(path, "row length differs from its word counts");
          }
        }
        f.SumLengths();
      }
    }
    out->fields_.push_back(std::move(f));
  }
  if (!in.empty()) return Damaged(path, "trailing bytes");
  // Save writes the lowest version that holds the fields: one encoding per
  // index.
  uint32_t needed = 1;
  for (const Field& f : out->fields_) {
    needed = std::max(needed, VersionFor(f.def.type));
  }
  if (version != needed) {
    return Damaged(path, "version " + std::to_string(version) +
                             " where its fields need version " +
                             std::to_string(needed));
  }
  return std::shared_ptr<const SegmentPayloadIndex>(std::move(out));
}

size_t SegmentPayloadIndex::MemoryBytes() const {
  auto vec = [](const auto& v) { return v.capacity() * sizeof(v[0]); };
  size_t bytes = sizeof(*this) + vec(fields_);
  for (const Field& f : fields_) {
    bytes += vec(f.keys) + vec(f.offsets) + vec(f.rows) + vec(f.tfs) +
             vec(f.lengths) + vec(f.values) + vec(f.value_rows) + vec(f.times) +
             vec(f.time_rows) + vec(f.lats) + vec(f.lons) + vec(f.geo_rows);
    for (const std::string& k : f.keys) {
      if (k.capacity() > 15) bytes += k.capacity() + 1;  // past SSO
    }
  }
  return bytes;
}

}  // namespace proximadb
