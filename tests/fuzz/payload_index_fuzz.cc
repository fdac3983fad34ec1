// Fuzz target: SegmentPayloadIndex::Load (the .pidx file, docs/FORMATS.md
// "Payload index file") on arbitrary bytes in an in-memory Env.
//
// Input: flags byte, then the file.
//   flags bit 0: re-seal the trailing CRC first, so the fuzzer reaches the
//                structural checks behind it.
//   flags bit 1: claim a segment one row larger than the file says (the
//                "outdated file" case).
// Invariants on an index that loads:
//   * Save writes back exactly the bytes that were loaded (the format has
//     one encoding per index), and they load again;
//   * every lookup (equality on each key, on numbers, ranges, datetime
//     ranges, geo shapes) lists only rows below rows(), as many as the
//     matching Count says.
// Anything else must be kCorruption.
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "collection/payload_index.h"
#include "filter/value.h"
#include "fuzz_util.h"

namespace proximadb::fuzz {
namespace {

constexpr char kPath[] = "/pidx/in.pidx";

void CheckEq(const SegmentPayloadIndex& idx, const std::string& field,
             const filter::Value& v) {
  std::vector<uint32_t> rows;
  const bool answered = idx.RowsEq(field, v, &rows);
  const auto count = idx.CountEq(field, v);
  FUZZ_CHECK(answered == count.has_value(), "RowsEq and CountEq disagree");
  if (!answered) return;
  FUZZ_CHECK(rows.size() == *count, "RowsEq and CountEq disagree");
  for (uint32_t r : rows) FUZZ_CHECK(r < idx.rows(), "row out of range");
}

void CheckRange(const SegmentPayloadIndex& idx, const std::string& field,
                filter::NumBound lo, filter::NumBound hi) {
  std::vector<uint32_t> rows;
  const bool answered = idx.RowsRange(field, lo, hi, &rows);
  const auto count = idx.CountRange(field, lo, hi);
  FUZZ_CHECK(answered == count.has_value(), "RowsRange and CountRange");
  if (!answered) return;
  FUZZ_CHECK(rows.size() == *count, "RowsRange and CountRange disagree");
  for (uint32_t r : rows) FUZZ_CHECK(r < idx.rows(), "row out of range");
}

void CheckTime(const SegmentPayloadIndex& idx, const std::string& field,
               filter::TimeBound lo, filter::TimeBound hi) {
  std::vector<uint32_t> rows;
  const bool answered = idx.RowsTimeRange(field, lo, hi, &rows);
  const auto count = idx.CountTimeRange(field, lo, hi);
  FUZZ_CHECK(answered == count.has_value(), "RowsTimeRange, CountTimeRange");
  if (!answered) return;
  FUZZ_CHECK(rows.size() == *count, "RowsTimeRange and CountTimeRange");
  for (uint32_t r : rows) FUZZ_CHECK(r < idx.rows(), "row out of range");
}

void CheckGeo(const SegmentPayloadIndex& idx, const std::string& field,
              const filter::GeoShape& shape) {
  std::vector<uint32_t> rows;
  const bool answered = idx.RowsGeo(field, shape, &rows);
  const auto count = idx.CountGeo(field, shape);
  FUZZ_CHECK(answered == count.has_value(), "RowsGeo and CountGeo disagree");
  if (!answered) return;
  // Exact, or past 8192 points in the latitude band its size: a bound.
  FUZZ_CHECK(rows.size() <= *count, "CountGeo is below RowsGeo");
  for (uint32_t r : rows) FUZZ_CHECK(r < idx.rows(), "row out of range");
}

void CheckText(const SegmentPayloadIndex& idx, const std::string& field,
               const std::vector<std::string>& words) {
  std::vector<uint32_t> rows;
  const bool answered = idx.RowsText(field, words, &rows);
  const auto count = idx.CountText(field, words);
  FUZZ_CHECK(answered == count.has_value(), "RowsText and CountText disagree");
  if (!answered) return;
  FUZZ_CHECK(rows.size() <= *count, "CountText is below RowsText");
  for (size_t i = 0; i < rows.size(); ++i) {
    FUZZ_CHECK(rows[i] < idx.rows(), "row out of range");
    FUZZ_CHECK(i == 0 || rows[i - 1] < rows[i], "text rows not ascending");
  }
}

void CheckLookups(const SegmentPayloadIndex& idx) {
  using filter::Value;
  const std::vector<PayloadIndexDef> defs = idx.defs();
  for (size_t i = 1; i < defs.size(); ++i) {
    FUZZ_CHECK(defs[i - 1].field < defs[i].field, "defs not ordered");
  }
  const double inf = std::numeric_limits<double>::infinity();
  for (const PayloadIndexDef& d : defs) {
    for (const Value& v :
         {Value::String(""), Value::String("a"), Value::String(d.field),
          Value::Bool(true), Value::Bool(false), Value::Int(-1), Value::Uint(0),
          Value::Double(0.5), Value::Null()}) {
      CheckEq(idx, d.field, v);
    }
    for (double lo : {-inf, -1.0, 0.0, 1e300}) {
      for (double hi : {-1.0, 0.0, 2.5, inf}) {
        CheckRange(idx, d.field, {true, lo}, {true, hi});
      }
      CheckRange(idx, d.field, {true, lo}, {});
    }
    CheckRange(idx, d.field, {}, {});
    constexpr int64_t kMin = std::numeric_limits<int64_t>::min();
    constexpr int64_t kMax = std::numeric_limits<int64_t>::max();
    for (int64_t lo : {kMin, int64_t{-1}, int64_t{0}, kMax}) {
      for (int64_t hi : {kMin, int64_t{0}, kMax}) {
        CheckTime(idx, d.field, {true, lo}, {true, hi});
      }
    }
    CheckTime(idx, d.field, {}, {});
    CheckEq(idx, d.field, Value::String("2026-01-01T00:00:00Z"));
    filter::GeoShape radius;  // kRadius
    radius.meters = 1e6;
    CheckGeo(idx, d.field, radius);
    radius.meters = 3e7;  // the whole sphere
    CheckGeo(idx, d.field, radius);
    filter::GeoShape box;
    box.kind = filter::GeoShape::Kind::kBox;
    box.top = 90;
    box.bottom = -90;
    box.left = 170;
    box.right = -170;  // across the antimeridian
    CheckGeo(idx, d.field, box);
    CheckText(idx, d.field, {"fox"});
    CheckText(idx, d.field, {"fox", "quick"});
    CheckText(idx, d.field, {"a", d.field});
  }
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  std::string_view in = AsView(data, size);
  const uint8_t flags = TakeFlags(&in);
  std::string bytes(in);
  if ((flags & 1) && bytes.size() >= 4) {
    SealCrc(&bytes, 0, bytes.size() - 4, bytes.size() - 4);
  }
  uint64_t rows = bytes.size() >= 24 ? DecodeFixed64(bytes.data() + 16) : 0;
  if (flags & 2) ++rows;

  Env* env = MemEnvWithDir("/pidx");
  PutFile(env, kPath, bytes);
  auto idx = SegmentPayloadIndex::Load(env, kPath, rows);
  if (!idx.ok()) {
    FUZZ_CHECK(idx.status().IsCorruption(), idx.status());
    return 0;
  }
  FUZZ_CHECK((*idx)->rows() == rows);
  CheckLookups(**idx);

  Status s = (*idx)->Save(env, "/pidx/saved.pidx");
  FUZZ_CHECK(s.ok(), s);
  auto saved = env->ReadFileToString("/pidx/saved.pidx");
  FUZZ_CHECK(saved.ok() && *saved == bytes, "Save(Load(x)) != x");
  auto again = SegmentPayloadIndex::Load(env, "/pidx/saved.pidx", rows);
  FUZZ_CHECK(again.ok(), again.status());
  return 0;
}
