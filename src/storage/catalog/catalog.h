// The catalog: the durable list of collections and of the segments that make
// up each one, in a SQLite database (schema: docs/FORMATS.md, "Catalog
// (SQLite)"). A flush or compaction becomes visible by one catalog
// transaction (ApplySegmentChange); segment files not listed here are
// garbage.
//
// Thread-safety: safe for concurrent use; calls are serialised by an internal
// mutex. I/O goes through SQLite's VFS, not Env, so `path` must be on a real
// file system.
#pragma once

#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proximadb/status.h"
#include "proximadb/types.h"

struct sqlite3;

namespace proximadb::catalog {

struct SegmentRecord {
  uint64_t segment_id = 0;
  std::string file_name;  // relative to the collection's directory
  uint64_t point_count = 0;
  uint64_t min_seq = 0;
  uint64_t max_seq = 0;
  // Current deletion state: little-endian u64 words, bit i = row i dead.
  std::string deleted_bitmap;
};

struct CollectionRecord {
  CollectionConfig config;
  std::string dir_name;  // relative to the data directory
  uint64_t created_at_unix_ms = 0;
  // WAL records with a sequence <= fenced_seq are in segments; replay starts
  // after it.
  uint64_t fenced_seq = 0;
  uint64_t next_segment_id = 0;
  std::vector<SegmentRecord> segments;           // ordered by segment_id
  std::vector<PayloadIndexDef> payload_indexes;  // ordered by field
};

// Applied in ONE transaction: all of it or (on any error) none of it.
// Order: added, then removed, then bitmaps, then the two counters.
struct SegmentChange {
  std::vector<SegmentRecord> added;
  std::vector<uint64_t> removed;  // each must exist (kNotFound otherwise)
  // segment_id -> new deleted_bitmap; the segment must exist after the
  // additions and removals.
  std::vector<std::pair<uint64_t, std::string>> bitmaps;
  std::optional<uint64_t> fenced_seq;
  std::optional<uint64_t> next_segment_id;
};

class Statements;

class Catalog {
 public:
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;
  ~Catalog();

  // Opens or creates the database at `path` (e.g. <data>/catalog.db) and
  // migrates its schema to the current version.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path);

  // kAlreadyExists when a collection of that name exists.
  Status CreateCollection(const CollectionRecord& rec);
  // Every collection, ordered by name, each with its segments.
  Result<std::vector<CollectionRecord>> LoadAll();
  Result<CollectionRecord> Load(const std::string& name);
  // kNotFound if missing; removes its segment rows too.
  Status DropCollection(const std::string& name);
  Status UpdateConfig(const std::string& name, const CollectionConfig& config);
  Status ApplySegmentChange(const std::string& name,
                            const SegmentChange& change);
  // kAlreadyExists when the field already has an index (of any type);
  // kNotFound when the collection does not exist.
  Status AddPayloadIndex(const std::string& name, const PayloadIndexDef& def);
  // kNotFound when the collection or the field's index does not exist.
  Status DropPayloadIndex(const std::string& name, const std::string& field);

 private:
  Catalog(std::string path, sqlite3* db);

  Status Exec(const char* sql);
  Status Migrate();
  Status PrepareAll();
  Result<int64_t> CollectionId(const std::string& name);
  Result<std::vector<SegmentRecord>> LoadSegments(int64_t collection_id);
  Result<std::vector<PayloadIndexDef>> LoadPayloadIndexes(
      int64_t collection_id);
  Status ApplyLocked(const std::string& name, const SegmentChange& change);
  Status Error(const std::string& what) const;

  const std::string path_;
  std::mutex mu_;  // guards every use of db_ and stmts_
  sqlite3* db_;
  std::unique_ptr<Statements> stmts_;
};

}  // namespace proximadb::catalog
