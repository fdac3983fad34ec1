#include "storage/catalog/catalog.h"

#include <sqlite3.h>

#include <algorithm>
#include <functional>
#include <string_view>

#include "storage/catalog/config_codec.h"
#include "storage/catalog/sqlite_io_hook.h"

namespace proximadb::catalog {
namespace {

// Bump when the schema changes and append a step to kMigrations.
constexpr int kSchemaVersion = 2;

// kMigrations[v] takes a database at user_version v to v + 1.
constexpr const char* kMigrations[kSchemaVersion] = {
    // 0 -> 1: the first schema. Unsigned 64-bit values (sequences, ids) are
    // stored bit-for-bit in SQLite's signed INTEGER.
    R"sql(
CREATE TABLE collections (
  id                 INTEGER PRIMARY KEY,
  name               TEXT    NOT NULL UNIQUE,
  config_json        TEXT    NOT NULL,
  dir_name           TEXT    NOT NULL,
  created_at_unix_ms INTEGER NOT NULL,
  fenced_seq         INTEGER NOT NULL,
  next_segment_id    INTEGER NOT NULL
);
CREATE TABLE segments (
  collection_id  INTEGER NOT NULL
                 REFERENCES collections(id) ON DELETE CASCADE,
  segment_id     INTEGER NOT NULL,
  file_name      TEXT    NOT NULL,
  point_count    INTEGER NOT NULL,
  min_seq        INTEGER NOT NULL,
  max_seq        INTEGER NOT NULL,
  deleted_bitmap BLOB    NOT NULL,
  PRIMARY KEY (collection_id, segment_id)
) WITHOUT ROWID;
)sql",
    // 1 -> 2: payload index definitions (type: PayloadIndexType's value).
    R"sql(
CREATE TABLE payload_indexes (
  collection_id INTEGER NOT NULL
                REFERENCES collections(id) ON DELETE CASCADE,
  field         TEXT    NOT NULL,
  type          INTEGER NOT NULL,
  PRIMARY KEY (collection_id, field)
) WITHOUT ROWID;
)sql",
};

// How long a call waits for a lock held by another connection (another
// process, or a tool inspecting the file) before failing with kIOError.
constexpr int kBusyTimeoutMs = 5000;

Status FromSqlite(int rc, sqlite3* db, const std::string& what) {
  std::string msg =
      what + ": " + (db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
  switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return Status::Corruption(msg);
    case SQLITE_IOERR:
    case SQLITE_FULL:
    case SQLITE_CANTOPEN:
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_READONLY:
    case SQLITE_PERM:
      return Status::IOError(msg);
    default:
      return Status::Internal(msg);
  }
}

int64_t ToSql(uint64_t v) { return static_cast<int64_t>(v); }

}  // namespace

// The prepared statements, owned by the Catalog and used under its mutex.
class Statements {
 public:
  enum Id {
    kBegin,
    kCommit,
    kRollback,
    kInsertCollection,
    kCollectionId,
    kSelectCollection,
    kSelectAll,
    kSelectSegments,
    kDeleteCollection,
    kUpdateConfig,
    kInsertSegment,
    kDeleteSegment,
    kUpdateBitmap,
    kUpdateFence,
    kUpdateNextId,
    kSelectPayloadIndexes,
    kInsertPayloadIndex,
    kDeletePayloadIndex,
    kCount
  };

  ~Statements() {
    for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
  }

  Status Prepare(sqlite3* db) {
    static constexpr const char* kSql[kCount] = {
        "BEGIN IMMEDIATE",
        "COMMIT",
        "ROLLBACK",
        "INSERT INTO collections (name, config_json, dir_name, "
        "created_at_unix_ms, fenced_seq, next_segment_id) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        "SELECT id FROM collections WHERE name = ?1",
        "SELECT id, name, config_json, dir_name, created_at_unix_ms, "
        "fenced_seq, next_segment_id FROM collections WHERE name = ?1",
        "SELECT id, name, config_json, dir_name, created_at_unix_ms, "
        "fenced_seq, next_segment_id FROM collections ORDER BY name",
        "SELECT segment_id, file_name, point_count, min_seq, max_seq, "
        "deleted_bitmap FROM segments WHERE collection_id = ?1",
        "DELETE FROM collections WHERE name = ?1",
        "UPDATE collections SET config_json = ?2 WHERE name = ?1",
        "INSERT INTO segments (collection_id, segment_id, file_name, "
        "point_count, min_seq, max_seq, deleted_bitmap) "
        "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        "DELETE FROM segments WHERE collection_id = ?1 AND segment_id = ?2",
        "UPDATE segments SET deleted_bitmap = ?3 "
        "WHERE collection_id = ?1 AND segment_id = ?2",
        "UPDATE collections SET fenced_seq = ?2 WHERE id = ?1",
        "UPDATE collections SET next_segment_id = ?2 WHERE id = ?1",
        "SELECT field, type FROM payload_indexes WHERE collection_id = ?1 "
        "ORDER BY field",
        "INSERT INTO payload_indexes (collection_id, field, type) "
        "VALUES (?1, ?2, ?3)",
        "DELETE FROM payload_indexes WHERE collection_id = ?1 AND field = ?2",
    };
    for (int i = 0; i < kCount; ++i) {
      int rc = sqlite3_prepare_v3(db, kSql[i], -1, SQLITE_PREPARE_PERSISTENT,
                                  &stmts_[i], nullptr);
      if (rc != SQLITE_OK) {
        return FromSqlite(rc, db, std::string("prepare '") + kSql[i] + "'");
      }
    }
    return Status::OK();
  }

  sqlite3_stmt* get(Id id) const { return stmts_[id]; }

 private:
  sqlite3_stmt* stmts_[kCount] = {};
};

namespace {

// One use of a prepared statement: binds, steps, and on destruction resets it
// so that no read transaction is left open between calls.
class Query {
 public:
  Query(sqlite3* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  ~Query() {
    sqlite3_reset(stmt_);
    sqlite3_clear_bindings(stmt_);
  }
  Query(const Query&) = delete;
  Query& operator=(const Query&) = delete;

  Query& Int(int i, uint64_t v) {
    Check(sqlite3_bind_int64(stmt_, i, ToSql(v)));
    return *this;
  }
  Query& Text(int i, std::string_view v) {
    Check(sqlite3_bind_text(stmt_, i, v.data(), static_cast<int>(v.size()),
                            SQLITE_TRANSIENT));
    return *this;
  }
  Query& Blob(int i, std::string_view v) {
    // A null pointer would bind NULL, which the NOT NULL column refuses.
    static constexpr char kEmpty = 0;
    Check(sqlite3_bind_blob(stmt_, i, v.empty() ? &kEmpty : v.data(),
                            static_cast<int>(v.size()), SQLITE_TRANSIENT));
    return *this;
  }

  // true: a row is ready; false: done. Errors land in *status.
  bool Step(Status* status) {
    if (!bind_status_.ok()) {
      *status = bind_status_;
      return false;
    }
    int rc = sqlite3_step(stmt_);
    if (rc == SQLITE_ROW) return true;
    if (rc != SQLITE_DONE) {
      *status = FromSqlite(rc, db_, sqlite3_sql(stmt_));
      last_rc_ = rc;
    }
    return false;
  }
  // For statements that return no rows.
  Status Run() {
    Status s;
    Step(&s);
    return s;
  }
  int last_rc() const { return last_rc_; }

  uint64_t ColumnInt(int i) const {
    return static_cast<uint64_t>(sqlite3_column_int64(stmt_, i));
  }
  std::string ColumnBytes(int i) const {
    const void* p = sqlite3_column_blob(stmt_, i);
    int n = sqlite3_column_bytes(stmt_, i);
    return p ? std::string(static_cast<const char*>(p), n) : std::string();
  }

 private:
  void Check(int rc) {
    if (rc != SQLITE_OK && bind_status_.ok()) {
      bind_status_ = FromSqlite(rc, db_, "bind");
    }
  }

  sqlite3* db_;
  sqlite3_stmt* stmt_;
  Status bind_status_;
  int last_rc_ = SQLITE_OK;
};

bool IsConstraint(int rc) { return (rc & 0xff) == SQLITE_CONSTRAINT; }

}  // namespace

Catalog::Catalog(std::string path, sqlite3* db)
    : path_(std::move(path)), db_(db), stmts_(std::make_unique<Statements>()) {}

Catalog::~Catalog() {
  stmts_.reset();  // statements must be finalized before the connection
  sqlite3_close(db_);
}

Status Catalog::Error(const std::string& what) const {
  return FromSqlite(sqlite3_extended_errcode(db_), db_,
                    "catalog " + path_ + ": " + what);
}

Status Catalog::Exec(const char* sql) {
  int rc = sqlite3_exec(db_, sql, nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return FromSqlite(rc, db_, "catalog " + path_);
  return Status::OK();
}

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_NOMUTEX,  // our mutex serialises
                           SqliteVfsName());  // see sqlite_io_hook.h
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, db, "open catalog " + path);
    sqlite3_close(db);  // a handle is returned even on failure
    return s;
  }
  std::unique_ptr<Catalog> cat(new Catalog(path, db));
  sqlite3_extended_result_codes(db, 1);
  sqlite3_busy_timeout(db, kBusyTimeoutMs);
  // WAL: readers do not block the writer and a commit is one append to the
  // -wal file. synchronous=FULL: in WAL mode NORMAL may lose the last
  // commits on power loss, but a committed flush (new segment, advanced
  // fence) must survive it, or the WAL it replaced might already be gone.
  PDB_RETURN_IF_ERROR(cat->Exec("PRAGMA journal_mode=WAL"));
  PDB_RETURN_IF_ERROR(cat->Exec("PRAGMA synchronous=FULL"));
  PDB_RETURN_IF_ERROR(cat->Exec("PRAGMA foreign_keys=ON"));
  PDB_RETURN_IF_ERROR(cat->Migrate());
  PDB_RETURN_IF_ERROR(cat->stmts_->Prepare(db));
  return cat;
}

Status Catalog::Migrate() {
  PDB_RETURN_IF_ERROR(Exec("BEGIN IMMEDIATE"));
  auto fail = [&](Status s) {
    (void)Exec("ROLLBACK");  // `s` is the error to report
    return s;
  };
  sqlite3_stmt* raw = nullptr;
  if (sqlite3_prepare_v2(db_, "PRAGMA user_version", -1, &raw, nullptr) !=
      SQLITE_OK) {
    return fail(Error("read user_version"));
  }
  int version = -1;
  if (sqlite3_step(raw) == SQLITE_ROW) version = sqlite3_column_int(raw, 0);
  sqlite3_finalize(raw);
  if (version < 0) return fail(Error("read user_version"));
  if (version > kSchemaVersion) {
    return fail(Status::FailedPrecondition(
        "catalog " + path_ + " has schema version " + std::to_string(version) +
        ", newer than this build's " + std::to_string(kSchemaVersion)));
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    Status s = Exec(kMigrations[v]);
    if (!s.ok()) return fail(s);
  }
  if (version != kSchemaVersion) {
    Status s =
        Exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
    if (!s.ok()) return fail(s);
  }
  return Exec("COMMIT");
}

Result<int64_t> Catalog::CollectionId(const std::string& name) {
  Query q(db_, stmts_->get(Statements::kCollectionId));
  q.Text(1, name);
  Status s;
  if (q.Step(&s)) return static_cast<int64_t>(q.ColumnInt(0));
  if (!s.ok()) return s;
  return Status::NotFound("collection '" + name + "' does not exist");
}

Result<std::vector<SegmentRecord>> Catalog::LoadSegments(int64_t id) {
  Query q(db_, stmts_->get(Statements::kSelectSegments));
  q.Int(1, static_cast<uint64_t>(id));
  std::vector<SegmentRecord> out;
  Status s;
  while (q.Step(&s)) {
    out.push_back(SegmentRecord{q.ColumnInt(0), q.ColumnBytes(1),
                                q.ColumnInt(2), q.ColumnInt(3), q.ColumnInt(4),
                                q.ColumnBytes(5)});
  }
  if (!s.ok()) return s;
  // Sorted here, as unsigned, rather than by SQLite's signed ORDER BY.
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) {
    return a.segment_id < b.segment_id;
  });
  return out;
}

Result<std::vector<PayloadIndexDef>> Catalog::LoadPayloadIndexes(int64_t id) {
  Query q(db_, stmts_->get(Statements::kSelectPayloadIndexes));
  q.Int(1, static_cast<uint64_t>(id));
  std::vector<PayloadIndexDef> out;
  Status s;
  while (q.Step(&s)) {
    const uint64_t type = q.ColumnInt(1);
    if (type > static_cast<uint64_t>(PayloadIndexType::kBool)) {
      return Status::Corruption("catalog " + path_ + ": payload index '" +
                                q.ColumnBytes(0) + "' has unknown type " +
                                std::to_string(type));
    }
    out.push_back(
        PayloadIndexDef{q.ColumnBytes(0), static_cast<PayloadIndexType>(type)});
  }
  if (!s.ok()) return s;
  return out;
}

Status Catalog::AddPayloadIndex(const std::string& name,
                                const PayloadIndexDef& def) {
  std::lock_guard<std::mutex> lock(mu_);
  PDB_ASSIGN_OR_RETURN(int64_t id, CollectionId(name));
  Query q(db_, stmts_->get(Statements::kInsertPayloadIndex));
  q.Int(1, static_cast<uint64_t>(id))
      .Text(2, def.field)
      .Int(3, static_cast<uint64_t>(def.type));
  Status s = q.Run();
  if (IsConstraint(q.last_rc())) {
    return Status::AlreadyExists("collection '" + name +
                                 "' already has a payload index on '" +
                                 def.field + "'");
  }
  return s;
}

Status Catalog::DropPayloadIndex(const std::string& name,
                                 const std::string& field) {
  std::lock_guard<std::mutex> lock(mu_);
  PDB_ASSIGN_OR_RETURN(int64_t id, CollectionId(name));
  Query q(db_, stmts_->get(Statements::kDeletePayloadIndex));
  q.Int(1, static_cast<uint64_t>(id)).Text(2, field);
  PDB_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return Status::NotFound("collection '" + name +
                            "' has no payload index on '" + field + "'");
  }
  return Status::OK();
}

Status Catalog::CreateCollection(const CollectionRecord& rec) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string config;
  try {
    config = CollectionConfigToJson(rec.config).dump();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("collection config: ") +
                                   e.what());
  }
  {
    Query begin(db_, stmts_->get(Statements::kBegin));
    PDB_RETURN_IF_ERROR(begin.Run());
  }
  Status s = [&]() -> Status {
    Query q(db_, stmts_->get(Statements::kInsertCollection));
    q.Text(1, rec.config.name)
        .Text(2, config)
        .Text(3, rec.dir_name)
        .Int(4, rec.created_at_unix_ms)
        .Int(5, rec.fenced_seq)
        .Int(6, rec.next_segment_id);
    Status st = q.Run();
    if (IsConstraint(q.last_rc())) {
      return Status::AlreadyExists("collection '" + rec.config.name +
                                   "' already exists");
    }
    PDB_RETURN_IF_ERROR(st);
    SegmentChange initial;
    initial.added = rec.segments;
    return ApplyLocked(rec.config.name, initial);
  }();
  Query end(db_,
            stmts_->get(s.ok() ? Statements::kCommit : Statements::kRollback));
  Status e = end.Run();
  return s.ok() ? e : s;
}

Result<std::vector<CollectionRecord>> Catalog::LoadAll() {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::pair<int64_t, CollectionRecord>> rows;
  Status s;
  {
    Query q(db_, stmts_->get(Statements::kSelectAll));
    while (q.Step(&s)) {
      CollectionRecord rec;
      auto config = CollectionConfigFromJson(
          nlohmann::json::parse(q.ColumnBytes(2), nullptr, false));
      if (!config.ok()) {
        return Status::Corruption("catalog " + path_ + ": collection '" +
                                  q.ColumnBytes(1) +
                                  "': " + config.status().message());
      }
      rec.config = std::move(config).value();
      rec.dir_name = q.ColumnBytes(3);
      rec.created_at_unix_ms = q.ColumnInt(4);
      rec.fenced_seq = q.ColumnInt(5);
      rec.next_segment_id = q.ColumnInt(6);
      rows.emplace_back(static_cast<int64_t>(q.ColumnInt(0)), std::move(rec));
    }
  }
  if (!s.ok()) return s;
  std::vector<CollectionRecord> out;
  for (auto& [id, rec] : rows) {
    PDB_ASSIGN_OR_RETURN(rec.segments, LoadSegments(id));
    PDB_ASSIGN_OR_RETURN(rec.payload_indexes, LoadPayloadIndexes(id));
    out.push_back(std::move(rec));
  }
  return out;
}

Result<CollectionRecord> Catalog::Load(const std::string& name) {
  // Small catalogs: reuse the full load rather than a second decoder.
  PDB_ASSIGN_OR_RETURN(std::vector<CollectionRecord> all, LoadAll());
  for (CollectionRecord& rec : all) {
    if (rec.config.name == name) return std::move(rec);
  }
  return Status::NotFound("collection '" + name + "' does not exist");
}

Status Catalog::DropCollection(const std::string& name) {
  std::lock_guard<std::mutex> lock(mu_);
  // ON DELETE CASCADE removes the segment rows in the same statement.
  Query q(db_, stmts_->get(Statements::kDeleteCollection));
  q.Text(1, name);
  PDB_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return Status::NotFound("collection '" + name + "' does not exist");
  }
  return Status::OK();
}

Status Catalog::UpdateConfig(const std::string& name,
                             const CollectionConfig& config) {
  if (config.name != name) {
    return Status::InvalidArgument("collections cannot be renamed ('" + name +
                                   "' -> '" + config.name + "')");
  }
  std::string json;
  try {
    json = CollectionConfigToJson(config).dump();
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("collection config: ") +
                                   e.what());
  }
  std::lock_guard<std::mutex> lock(mu_);
  Query q(db_, stmts_->get(Statements::kUpdateConfig));
  q.Text(1, name).Text(2, json);
  PDB_RETURN_IF_ERROR(q.Run());
  if (sqlite3_changes(db_) == 0) {
    return Status::NotFound("collection '" + name + "' does not exist");
  }
  return Status::OK();
}

Status Catalog::ApplySegmentChange(const std::string& name,
                                   const SegmentChange& change) {
  std::lock_guard<std::mutex> lock(mu_);
  {
    Query begin(db_, stmts_->get(Statements::kBegin));
    PDB_RETURN_IF_ERROR(begin.Run());
  }
  Status s = ApplyLocked(name, change);
  Query end(db_,
            stmts_->get(s.ok() ? Statements::kCommit : Statements::kRollback));
  Status e = end.Run();
  if (!s.ok()) return s;
  if (!e.ok()) {
    // A failed COMMIT can leave the transaction open; close it so the next
    // call starts clean and this change is not half-applied later.
    if (!sqlite3_get_autocommit(db_)) (void)Exec("ROLLBACK");
  }
  return e;
}

// Runs inside a transaction opened by the caller.
Status Catalog::ApplyLocked(const std::string& name,
                            const SegmentChange& change) {
  PDB_ASSIGN_OR_RETURN(int64_t id, CollectionId(name));
  const auto cid = static_cast<uint64_t>(id);
  for (const SegmentRecord& seg : change.added) {
    Query q(db_, stmts_->get(Statements::kInsertSegment));
    q.Int(1, cid)
        .Int(2, seg.segment_id)
        .Text(3, seg.file_name)
        .Int(4, seg.point_count)
        .Int(5, seg.min_seq)
        .Int(6, seg.max_seq)
        .Blob(7, seg.deleted_bitmap);
    Status s = q.Run();
    if (IsConstraint(q.last_rc())) {
      return Status::AlreadyExists("collection '" + name +
                                   "' already has segment " +
                                   std::to_string(seg.segment_id));
    }
    PDB_RETURN_IF_ERROR(s);
  }
  for (uint64_t seg_id : change.removed) {
    Query q(db_, stmts_->get(Statements::kDeleteSegment));
    q.Int(1, cid).Int(2, seg_id);
    PDB_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(db_) == 0) {
      return Status::NotFound("collection '" + name + "' has no segment " +
                              std::to_string(seg_id) + " to remove");
    }
  }
  for (const auto& [seg_id, bitmap] : change.bitmaps) {
    Query q(db_, stmts_->get(Statements::kUpdateBitmap));
    q.Int(1, cid).Int(2, seg_id).Blob(3, bitmap);
    PDB_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(db_) == 0) {
      return Status::NotFound("collection '" + name + "' has no segment " +
                              std::to_string(seg_id) + " to update");
    }
  }
  if (change.fenced_seq) {
    Query q(db_, stmts_->get(Statements::kUpdateFence));
    q.Int(1, cid).Int(2, *change.fenced_seq);
    PDB_RETURN_IF_ERROR(q.Run());
  }
  if (change.next_segment_id) {
    Query q(db_, stmts_->get(Statements::kUpdateNextId));
    q.Int(1, cid).Int(2, *change.next_segment_id);
    PDB_RETURN_IF_ERROR(q.Run());
  }
  return Status::OK();
}

}  // namespace proximadb::catalog
