// The compatibility data set: what tests/compat/make_compat_data writes into
// tests/data/v<version>/ and what tests/compat/compat_test.cc expects to read
// back from it. The script below is a pure function of nothing: the generator
// replays it against the engine, the test replays it against a std::map
// model, so both agree on every id, vector and metadata value without either
// reading the other's output.
//
// Once a directory is checked in, the script that wrote it must not change:
// a new format gets a new directory (and, if needed, a new script beside this
// one) while the old directory keeps being opened by the test.
#pragma once

#include <cmath>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/types.h"

namespace proximadb::compat {

// One step of the script. Flush and Compact act on the collection; the rest
// are the client writes, one WAL record (batch) each, except DeleteByFilter,
// which the service runs as scroll + delete pages (VectorService::
// DeleteByFilter) and the generator runs the same way.
struct Step {
  enum class Kind {
    kUpsert,          // `points`, as one batch (one point: a single upsert)
    kDelete,          // `ids`, as one batch
    kDeleteByFilter,  // `filter`
    kUpdateMetadata,  // `ids[0]` gets `metadata`
    kCreatePayloadIndex,
    kFlush,
    kCompact,
  };
  Kind kind;
  std::vector<Point> points;
  std::vector<std::string> ids;
  nlohmann::json filter;
  nlohmann::json metadata;
  PayloadIndexDef index;
};

// A point's vector: a pure function of its id and the dimension, with
// distinct distances to the query below (no ties in search results).
inline std::vector<float> VectorOf(const std::string& id, uint32_t dim) {
  uint32_t h = 2166136261u;  // FNV-1a of the id
  for (unsigned char ch : id) h = (h ^ ch) * 16777619u;
  std::vector<float> v(dim);
  for (uint32_t d = 0; d < dim; ++d) {
    h = h * 1103515245u + 12345u;
    v[d] = static_cast<float>((h >> 8) % 20001) / 1000.0f - 10.0f;
  }
  return v;
}

inline Point MakePoint(const std::string& prefix, int i, uint32_t dim) {
  Point p;
  p.id = prefix + (i < 10 ? "0" : "") + std::to_string(i);
  p.vector = VectorOf(p.id, dim);
  p.metadata = {{"tag", "t" + std::to_string(i % 3)},
                {"n", i},
                {"x", i * 0.25},
                {"even", i % 2 == 0},
                {"group", i % 10 == 7 ? "doomed" : "kept"},
                {"nested", {{"prefix", prefix}, {"list", {i, "s"}}}}};
  return p;
}

inline std::vector<Point> Range(const std::string& prefix, int from, int to,
                                uint32_t dim) {
  std::vector<Point> out;
  for (int i = from; i < to; ++i) out.push_back(MakePoint(prefix, i, dim));
  return out;
}

// A collection of the data set: its configuration and its script.
struct CompatCollection {
  CollectionConfig config;
  std::vector<Step> steps;
};

inline Step Upsert(std::vector<Point> points) {
  return Step{Step::Kind::kUpsert, std::move(points), {}, {}, {}, {}};
}
inline Step Delete(std::vector<std::string> ids) {
  return Step{Step::Kind::kDelete, {}, std::move(ids), {}, {}, {}};
}
inline Step DeleteByFilter(nlohmann::json filter) {
  return Step{Step::Kind::kDeleteByFilter, {}, {}, std::move(filter), {}, {}};
}
inline Step UpdateMetadata(std::string id, nlohmann::json metadata) {
  return Step{
      Step::Kind::kUpdateMetadata, {}, {std::move(id)}, {}, metadata, {}};
}
inline Step CreateIndex(std::string field, PayloadIndexType type) {
  return Step{Step::Kind::kCreatePayloadIndex,        {}, {}, {}, {},
              PayloadIndexDef{std::move(field), type}};
}
inline Step Flush() { return Step{Step::Kind::kFlush, {}, {}, {}, {}, {}}; }
inline Step Compact() { return Step{Step::Kind::kCompact, {}, {}, {}, {}, {}}; }

// The script of one collection: two flushed segments compacted into one
// (the compaction result, with the deletes dropped), a segment with a delete
// in the catalog's bitmap and one after it, payload indexes of every type,
// then a WAL holding unflushed writes of every op type.
inline std::vector<Step> Script(uint32_t dim) {
  return {
      CreateIndex("tag", PayloadIndexType::kKeyword),
      CreateIndex("n", PayloadIndexType::kInteger),
      Upsert(Range("a", 0, 30, dim)),
      Flush(),  // segment 1
      Upsert(Range("b", 0, 30, dim)),
      Delete({"a05", "b11"}),
      Flush(),    // segment 2; a05 in segment 1's bitmap
      Compact(),  // segments 1 and 2 -> 3, without a05 and b11
      CreateIndex("x", PayloadIndexType::kFloat),
      CreateIndex("even", PayloadIndexType::kBool),
      Upsert(Range("c", 0, 20, dim)),
      Flush(),  // segment 4
      Delete({"c03"}),
      Upsert(Range("d", 0, 5, dim)),
      Flush(),  // segment 5; c03 in segment 4's bitmap
      // The WAL from here on.
      UpdateMetadata("a20", {{"updated", 1}}),
      Upsert({MakePoint("w", 0, dim)}),       // a single upsert
      Upsert(Range("w", 1, 8, dim)),          // a batch
      Upsert({MakePoint("b", 3, dim)}),       // overwrites a segment row
      Delete({"a10", "w02", "missing"}),      // segment, WAL, absent ids
      DeleteByFilter({{"group", "doomed"}}),  // a07, a17, ..., w07
      UpdateMetadata("w01", {{"tag", "t9"}, {"n", 100}}),
      UpdateMetadata("c04", {{"tag", "t2"}}),
  };
}

// The data set: one collection per WAL format, HNSW with int8 codes (the
// graph file with its quantizer sections) and a flat one.
inline std::vector<CompatCollection> DataSet() {
  std::vector<CompatCollection> out;
  {
    CompatCollection c;
    c.config.name = "hnsw_native";
    c.config.dimension = 8;
    c.config.metric = Metric::kEuclidean;
    c.config.index.algorithm = "hnsw";
    c.config.index.m = 8;
    c.config.index.ef_construction = 64;
    c.config.index.ef_search = 128;
    c.config.index.quantization = "int8";
    c.config.wal_format = WalFormat::kNative;
    c.config.flush.max_vector_count = 100000;
    c.config.flush.enable_background_flush = false;
    c.steps = Script(c.config.dimension);
    out.push_back(std::move(c));
  }
  {
    CompatCollection c;
    c.config.name = "flat_avro";
    c.config.dimension = 3;
    c.config.metric = Metric::kCosine;
    c.config.index.algorithm = "flat";
    c.config.wal_format = WalFormat::kAvro;
    c.config.flush.flush_priority = 70;
    c.steps = Script(c.config.dimension);
    out.push_back(std::move(c));
  }
  return out;
}

// The live points a script leaves, by id.
inline std::map<std::string, Point> Model(const std::vector<Step>& steps) {
  std::map<std::string, Point> m;
  for (const Step& s : steps) {
    switch (s.kind) {
      case Step::Kind::kUpsert:
        for (const Point& p : s.points) m[p.id] = p;
        break;
      case Step::Kind::kDelete:
        for (const std::string& id : s.ids) m.erase(id);
        break;
      case Step::Kind::kDeleteByFilter: {
        // Only {"field": scalar} filters on top-level fields are used.
        for (auto it = m.begin(); it != m.end();) {
          bool match = true;
          for (const auto& [k, v] : s.filter.items()) {
            match = match && it->second.metadata.contains(k) &&
                    it->second.metadata[k] == v;
          }
          it = match ? m.erase(it) : std::next(it);
        }
        break;
      }
      case Step::Kind::kUpdateMetadata:
        if (auto it = m.find(s.ids[0]); it != m.end()) {
          it->second.metadata = s.metadata;
        }
        break;
      case Step::Kind::kCreatePayloadIndex:
      case Step::Kind::kFlush:
      case Step::Kind::kCompact:
        break;
    }
  }
  return m;
}

// The payload indexes a script leaves, ordered by field (as Info lists
// them).
inline std::vector<PayloadIndexDef> Indexes(const std::vector<Step>& steps) {
  std::map<std::string, PayloadIndexDef> m;
  for (const Step& s : steps) {
    if (s.kind == Step::Kind::kCreatePayloadIndex) m[s.index.field] = s.index;
  }
  std::vector<PayloadIndexDef> out;
  for (auto& [f, d] : m) out.push_back(d);
  return out;
}

}  // namespace proximadb::compat
