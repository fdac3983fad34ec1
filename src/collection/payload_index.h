// The payload indexes of one immutable segment: for each indexed metadata
// field, keyword and bool values as posting lists (sorted row numbers per
// distinct value), the words of text fields as posting lists (per word,
// filter/text.h), numbers as (value, row) pairs sorted by value, RFC 3339
// strings as (instant, row) pairs sorted by instant, and geo points as
// (lat, lon, row) sorted by latitude, so the planner can count and list the
// rows an equality, range or geo shape can match without reading any
// metadata. Dead rows are included (deletions change
// after the segment is written); the search skips them.
//
// Persisted beside the segment as seg-<id>.pidx (docs/FORMATS.md, "Payload
// index file"); derived data like the graph: a missing, damaged or outdated
// file (fields differ from the collection's definitions) is rebuilt.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "filter/index_plan.h"
#include "proximadb/env.h"
#include "proximadb/types.h"
#include "storage/segment/segment.h"

namespace proximadb {

class SegmentPayloadIndex final : public filter::RowIndex {
 public:
  // Indexes every row of `seg` (metadata that is not valid JSON indexes
  // nothing, as it matches nothing).
  static std::shared_ptr<const SegmentPayloadIndex> Build(
      const segment::Segment& seg, const std::vector<PayloadIndexDef>& defs);
  // Reads and fully validates a file written by Save; Corruption on any
  // damage, or when it was built for a segment of another size.
  static Result<std::shared_ptr<const SegmentPayloadIndex>> Load(
      Env* env, const std::string& path, uint64_t segment_rows);
  // temp file, fsync, rename, directory fsync.
  Status Save(Env* env, const std::string& path) const;

  // The definitions this index was built for, ordered by field.
  std::vector<PayloadIndexDef> defs() const;
  uint64_t rows() const { return rows_; }
  // The process memory it holds (what the memory budget counts).
  size_t MemoryBytes() const;

  std::optional<uint64_t> CountEq(std::string_view field,
                                  const filter::Value& v) const override;
  bool RowsEq(std::string_view field, const filter::Value& v,
              std::vector<uint32_t>* out) const override;
  std::optional<uint64_t> CountRange(std::string_view field,
                                     filter::NumBound lo,
                                     filter::NumBound hi) const override;
  bool RowsRange(std::string_view field, filter::NumBound lo,
                 filter::NumBound hi,
                 std::vector<uint32_t>* out) const override;
  std::optional<uint64_t> CountTimeRange(std::string_view field,
                                         filter::TimeBound lo,
                                         filter::TimeBound hi) const override;
  bool RowsTimeRange(std::string_view field, filter::TimeBound lo,
                     filter::TimeBound hi,
                     std::vector<uint32_t>* out) const override;
  std::optional<uint64_t> CountGeo(
      std::string_view field, const filter::GeoShape& shape) const override;
  bool RowsGeo(std::string_view field, const filter::GeoShape& shape,
               std::vector<uint32_t>* out) const override;
  std::optional<uint64_t> CountText(
      std::string_view field,
      const std::vector<std::string>& words) const override;
  bool RowsText(std::string_view field, const std::vector<std::string>& words,
                std::vector<uint32_t>* out) const override;

  // BM25 inputs of a text field. TextLengths: the words each row holds at
  // `field` (indexed by row), with the rows holding some word (*docs) and
  // the words in all (*words); null when `field` has no text index here.
  const std::vector<uint32_t>* TextLengths(std::string_view field,
                                           uint64_t* docs,
                                           uint64_t* words) const;
  // The rows holding `word` (ascending) and how often each holds it, both
  // of length *n (0 when absent); false when `field` has no text index.
  bool TextPosting(std::string_view field, std::string_view word,
                   const uint32_t** rows, const uint32_t** tfs,
                   size_t* n) const;

 private:
  struct Field {
    PayloadIndexDef def;
    // keyword / bool ("false", "true") / text (words): keys sorted,
    // postings of key i are rows[offsets[i], offsets[i+1]), each ascending
    // and duplicate-free.
    std::vector<std::string> keys;
    std::vector<uint32_t> offsets;
    std::vector<uint32_t> rows;
    // text only, for BM25: tfs[j] = how often key i occurs in rows[j] (over
    // every string at the path), and lengths[r] = the words row r holds there.
    std::vector<uint32_t> tfs;
    std::vector<uint32_t> lengths;
    uint64_t text_docs = 0, text_words = 0;  // derived from lengths
    // integer / float: every number reached, ascending by value.
    std::vector<double> values;
    std::vector<uint32_t> value_rows;
    // datetime: every RFC 3339 string reached, as unix microseconds
    // (exact), ascending.
    std::vector<int64_t> times;
    std::vector<uint32_t> time_rows;
    // geo: every point reached, ascending by latitude.
    std::vector<double> lats, lons;
    std::vector<uint32_t> geo_rows;

    void SumLengths() {
      text_docs = text_words = 0;
      for (uint32_t len : lengths) {
        text_docs += len > 0;
        text_words += len;
      }
    }
    bool numeric() const {
      return def.type == PayloadIndexType::kInteger ||
             def.type == PayloadIndexType::kFloat;
    }
  };

  const Field* Find(std::string_view field) const;
  // The posting list of `v` in a keyword/bool field; false when the field
  // cannot answer for a value of v's type.
  bool Posting(const Field& f, const filter::Value& v, const uint32_t** begin,
               const uint32_t** end) const;
  // The posting list of `key` in f's keys (empty when absent).
  static std::pair<const uint32_t*, const uint32_t*> KeyPosting(
      const Field& f, std::string_view key);
  // [first, last) of f.values inside [lo, hi].
  std::pair<size_t, size_t> Span(const Field& f, filter::NumBound lo,
                                 filter::NumBound hi) const;
  // [first, last) of f.times inside [lo, hi].
  std::pair<size_t, size_t> TimeSpan(const Field& f, filter::TimeBound lo,
                                     filter::TimeBound hi) const;
  // Calls fn(i) for every point i of a geo field inside `shape`.
  template <typename Fn>
  void ForEachInShape(const Field& f, const filter::GeoShape& shape,
                      const Fn& fn) const;

  uint64_t rows_ = 0;
  std::vector<Field> fields_;  // ordered by def.field
};

}  // namespace proximadb
