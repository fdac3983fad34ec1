// The catalog: the durable list of collections and of the segments that make
// up each one, in a SQLite database (schema: docs/FORMATS.md, "Catalog
// (SQLite)"). A flush or compaction becomes visible by one catalog
// transaction (ApplySegmentChange).
//
// Every row that matters carries a CRC32C of its fields (row_checksum.h),
// verified whenever the row is read: a flipped bit is kCorruption naming the
// collection (and segment) and the fields as read, never served as truth.
// Every segment and payload-index row must belong to a collection.
//
// Thread-safety: safe for concurrent use; calls are serialised by an internal
// mutex. I/O goes through SQLite's VFS, not Env, so `path` must be on a real
// file system.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "proximadb/status.h"
#include "proximadb/types.h"
#include "util/mutex.h"
#include "util/thread_annotations.h"

struct sqlite3;

namespace proximadb::catalog {

// Where a segment's files are (docs/FORMATS.md, "Catalog (SQLite)").
struct Placement {
  Tier tier = Tier::kHot;
  // Hot and warm: the directory the files are under, as
  // <volume>/collections/<dir_name>/segments/<file_name>; "" = the main data
  // directory (every segment written before data_directories existed).
  // Cold: "" (the object's key follows from the names, FORMATS.md).
  std::string volume;
  // Cold: the object's size and CRC32C, checked on every fetch.
  uint64_t object_size = 0;
  uint32_t object_crc32c = 0;
  bool operator==(const Placement&) const = default;
};

struct SegmentRecord {
  uint64_t segment_id = 0;
  // The file's bare name inside the collection's segments/ directory
  // ("seg-<id, 20 digits>.pdb"), never a path: recovery refuses a row whose
  // name is not the one its segment_id gives, and a rebuild refuses a
  // manifest entry holding a '/'. Its .hnsw and .pidx siblings share the
  // stem.
  std::string file_name;
  uint64_t point_count = 0;
  uint64_t min_seq = 0;
  uint64_t max_seq = 0;
  // Current deletion state: little-endian u64 words, bit i = row i dead.
  std::string deleted_bitmap;
  Placement placement;
  // When the newest write in it was flushed (a compaction keeps its
  // inputs' newest); 0 = unknown (written before schema 4): the tiering
  // policy never moves such a segment by age.
  uint64_t newest_write_unix_ms = 0;
};

// A segment removed by a committed change whose files may still exist.
struct ObsoleteSegment {
  uint64_t segment_id = 0;
  std::string file_name;
  Placement placement;
  bool operator==(const ObsoleteSegment&) const = default;
};

struct CollectionRecord {
  CollectionConfig config;
  std::string
      dir_name;  // "<name>-<8 hex>", inside <data_directory>/collections/
  uint64_t created_at_unix_ms = 0;
  // WAL records with a sequence <= fenced_seq are in segments; replay starts
  // after it.
  uint64_t fenced_seq = 0;
  uint64_t next_segment_id = 0;
  // How many segment changes (ApplySegmentChange) have been committed: the
  // collection manifest (manifest.h) is compared with the catalog by it.
  uint64_t generation = 0;
  std::vector<SegmentRecord> segments;           // ordered by segment_id
  std::vector<PayloadIndexDef> payload_indexes;  // ordered by field
  // Segments removed by a committed change (a compaction) whose files may
  // not have been deleted yet: segment id -> file name. Not part of the
  // manifest.
  std::vector<ObsoleteSegment> obsolete_segments;
  // Where the collection's WAL is: <wal_root>/collections/<dir_name>/wal;
  // "" = the main data directory. Set at creation from [storage]
  // wal_directory; start-up refuses a configuration that moved it.
  std::string wal_root;
};

// Applied in ONE transaction: all of it or (on any error) none of it.
// Order: added, then removed, then bitmaps, then the two counters; the
// collection's generation goes up by one.
struct SegmentChange {
  std::vector<SegmentRecord> added;
  // Each must exist (kNotFound otherwise); each becomes an obsolete segment
  // (CollectionRecord::obsolete_segments) in the same transaction.
  std::vector<uint64_t> removed;
  // segment_id -> new deleted_bitmap; the segment must exist after the
  // additions and removals.
  std::vector<std::pair<uint64_t, std::string>> bitmaps;
  std::optional<uint64_t> fenced_seq;
  std::optional<uint64_t> next_segment_id;
  // segment_id -> its new placement (a tier move); applied after the
  // bitmaps. The segment must exist.
  std::vector<std::pair<uint64_t, Placement>> placements;
};

namespace internal {
class Statements;
}  // namespace internal
struct CollectionRow;
struct SegmentRow;

class Catalog {
 public:
  Catalog(const Catalog&) = delete;
  Catalog& operator=(const Catalog&) = delete;
  ~Catalog();

  // Opens or creates the database at `path` (e.g. <data>/catalog.db) and
  // migrates its schema to the current version.
  static Result<std::unique_ptr<Catalog>> Open(const std::string& path);

  // A private in-memory copy of the existing database at `path`, for
  // checking it before anything is changed: the file is opened read-only
  // (SQLite's own -shm index aside, nothing on disk changes; a database
  // without a -wal file is opened immutable, so not even that), its
  // structure is checked (PRAGMA quick_check), it is copied and the copy is
  // migrated. Writes to the snapshot change only the copy. kNotFound when
  // `path` does not exist; kCorruption when it is not a readable database.
  static Result<std::unique_ptr<Catalog>> OpenSnapshot(const std::string& path);

  // kAlreadyExists when a collection or an alias of that name exists
  // (one namespace). Inserts the
  // record's segments and payload index definitions too.
  Status CreateCollection(const CollectionRecord& rec);
  // Every collection, ordered by name, each with its segments, every row's
  // checksum verified (kCorruption otherwise).
  Result<std::vector<CollectionRecord>> LoadAll();
  Result<CollectionRecord> Load(const std::string& name);
  // The schema version the file had before this process migrated it (0 for
  // a new, empty database).
  int original_schema_version() const { return original_version_; }
  const std::string& path() const { return path_; }
  // kNotFound if missing; removes its segment rows and aliases too.
  Status DropCollection(const std::string& name);
  Status UpdateConfig(const std::string& name, const CollectionConfig& config);
  Status ApplySegmentChange(const std::string& name,
                            const SegmentChange& change);
  // kAlreadyExists when the field already has an index (of any type);
  // kNotFound when the collection does not exist.
  Status AddPayloadIndex(const std::string& name, const PayloadIndexDef& def);
  // kNotFound when the collection or the field's index does not exist.
  Status DropPayloadIndex(const std::string& name, const std::string& field);
  // The obsolete segments' files are deleted: drop their records.
  Status ForgetObsoleteSegments(const std::string& name,
                                const std::vector<uint64_t>& segment_ids);

  // Aliases (docs/API.md, "Aliases"; catalog_alias.cc). Every alias with
  // its collection's name, ordered by alias, each row's checksum verified
  // (kCorruption otherwise, as for a row whose collection does not exist).
  Result<std::vector<AliasInfo>> LoadAliases();
  // Applies `actions` in order in ONE transaction: all of them or (on any
  // refusal or error) none. create: kAlreadyExists when the alias is a
  // collection's name or an existing alias (one deleted earlier in the
  // same call is free again: that is the atomic switch), kNotFound when
  // the collection does not exist (an alias cannot name an alias); delete:
  // kNotFound when the alias does not exist. Messages start with
  // "actions[<i>]: ". Names are checked at the edge
  // (ValidateAliasActions), not here. Dropping a collection drops its
  // aliases (ON DELETE CASCADE, in DropCollection's statement).
  Status UpdateAliases(const std::vector<AliasAction>& actions);

 private:
  Catalog(std::string path, sqlite3* db);

  Status Exec(const char* sql);
  // Connection settings, schema migration and statements, for Open and
  // OpenSnapshot.
  Status Setup(bool in_memory);
  Status Migrate();
  // Schema 2 -> 3: computes the checksum of every existing row.
  Status AddRowChecksums();
  Result<int64_t> CollectionId(const std::string& name);
  // The collection row, its checksum verified.
  Result<CollectionRow> ReadCollectionRow(const std::string& name);
  Status WriteCollectionRow(const CollectionRow& row);
  // Collection rows -> records with their segments and payload indexes,
  // every row verified (catalog_load.cc).
  Result<std::vector<CollectionRecord>> LoadLocked(const std::string* only)
      REQUIRES(mu_);
  Status ApplyLocked(const std::string& name, const SegmentChange& change,
                     bool count_generation = true) REQUIRES(mu_);
  // One segment row, its checksum verified; kNotFound says what the caller
  // wanted `to_what` it for.
  Result<SegmentRow> ReadSegmentLocked(const std::string& name, uint64_t cid,
                                       uint64_t seg_id, const char* to_what)
      REQUIRES(mu_);
  Status UpdateSegmentLocked(const std::string& name, uint64_t cid,
                             uint64_t seg_id,
                             const std::function<void(SegmentRow*)>& change)
      REQUIRES(mu_);
  Status Error(const std::string& what) const;
  // The alias row named `alias`, its checksum verified; nullopt if none.
  Result<std::optional<AliasInfo>> ReadAliasLocked(const std::string& alias)
      REQUIRES(mu_);
  Status ApplyAliasActionLocked(const AliasAction& action, size_t index)
      REQUIRES(mu_);

  const std::string path_;
  Mutex mu_;  // guards every use of db_ and stmts_
  sqlite3* db_;
  std::unique_ptr<internal::Statements> stmts_;
  int original_version_ = 0;
};

}  // namespace proximadb::catalog
