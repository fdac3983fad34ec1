// Opening the catalog: connection settings, the read-only snapshot used to
// check a data directory before anything changes, and schema migrations.
#include <sqlite3.h>

#include <cstdio>
#include <filesystem>
#include <functional>
#include <string>

#include "storage/catalog/catalog.h"
#include "storage/catalog/catalog_sql.h"
#include "storage/catalog/row_checksum.h"
#include "storage/catalog/sqlite_io_hook.h"

namespace proximadb::catalog {

using internal::FromSqlite;

namespace {

// Bump when the schema changes and append a step to kMigrations.
constexpr int kSchemaVersion = 5;

// kMigrations[v] takes a database at user_version v to v + 1 (step 2 -> 3
// also runs Catalog::AddRowChecksums).
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
    // 2 -> 3: a checksum per row (row_checksum.h), filled in for the
    // existing rows by AddRowChecksums; the collections' generation; the
    // segments a committed compaction removed, until their files are gone.
    R"sql(
ALTER TABLE collections ADD COLUMN generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE collections ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE segments ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE payload_indexes ADD COLUMN crc INTEGER NOT NULL DEFAULT 0;
CREATE TABLE obsolete_segments (
  collection_id INTEGER NOT NULL
                REFERENCES collections(id) ON DELETE CASCADE,
  segment_id    INTEGER NOT NULL,
  file_name     TEXT    NOT NULL,
  crc           INTEGER NOT NULL,
  PRIMARY KEY (collection_id, segment_id)
) WITHOUT ROWID;
)sql",
    // 3 -> 4: where things are (catalog.h Placement, wal_root). The
    // defaults are what every earlier row meant: hot, in the main data
    // directory; row checksums stay valid (row_checksum.h).
    R"sql(
ALTER TABLE collections ADD COLUMN wal_root TEXT NOT NULL DEFAULT '';
ALTER TABLE segments ADD COLUMN tier INTEGER NOT NULL DEFAULT 0;
ALTER TABLE segments ADD COLUMN volume TEXT NOT NULL DEFAULT '';
ALTER TABLE segments ADD COLUMN object_size INTEGER NOT NULL DEFAULT 0;
ALTER TABLE segments ADD COLUMN object_crc INTEGER NOT NULL DEFAULT 0;
ALTER TABLE segments ADD COLUMN newest_write_unix_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE obsolete_segments ADD COLUMN tier INTEGER NOT NULL DEFAULT 0;
ALTER TABLE obsolete_segments ADD COLUMN volume TEXT NOT NULL DEFAULT '';
)sql",
    // 4 -> 5: aliases (docs/API.md, "Aliases"), each naming a collection by
    // its row id, so that dropping the collection drops its aliases in the
    // same statement. No earlier row changes.
    R"sql(
CREATE TABLE aliases (
  alias         TEXT    NOT NULL PRIMARY KEY,
  collection_id INTEGER NOT NULL
                REFERENCES collections(id) ON DELETE CASCADE,
  crc           INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX aliases_by_collection ON aliases (collection_id);
)sql",
};

// How long a call waits for a lock held by another connection (another
// process, or a tool inspecting the file) before failing with kIOError.
constexpr int kBusyTimeoutMs = 5000;

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::Open(const std::string& path) {
  sqlite3* db = nullptr;
  int rc = sqlite3_open_v2(path.c_str(), &db,
                           SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                               SQLITE_OPEN_NOMUTEX,  // our mutex serialises
                           SqliteVfsName());         // see sqlite_io_hook.h
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, db, "open catalog " + path);
    sqlite3_close(db);  // a handle is returned even on failure
    return s;
  }
  std::unique_ptr<Catalog> cat(new Catalog(path, db));
  PDB_RETURN_IF_ERROR(cat->Setup(/*in_memory=*/false));
  return cat;
}

namespace {

// "file:" URI of a path: the characters a URI gives meaning to are escaped.
std::string FileUri(const std::string& path, const char* params) {
  std::string uri = "file:";
  for (char c : path) {
    if (c == '%' || c == '?' || c == '#') {
      char buf[4];
      std::snprintf(buf, sizeof(buf), "%%%02x", static_cast<unsigned char>(c));
      uri += buf;
    } else {
      uri += c;
    }
  }
  return uri + "?" + params;
}

bool Exists(const std::string& path) {
  std::error_code ec;
  return std::filesystem::exists(path, ec);
}

// PRAGMA quick_check: SQLite's structural check of every page (b-tree
// order, cell sizes, free list), without the cost of integrity_check's
// index-to-table cross-check. Returns its first complaint, or "".
Result<std::string> QuickCheck(sqlite3* db, const std::string& path) {
  sqlite3_stmt* raw = nullptr;
  int rc = sqlite3_prepare_v2(db, "PRAGMA quick_check(1)", -1, &raw, nullptr);
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, db, "catalog " + path + ": quick_check");
    sqlite3_finalize(raw);
    return s;
  }
  rc = sqlite3_step(raw);
  std::string first;
  if (rc == SQLITE_ROW) {
    const unsigned char* t = sqlite3_column_text(raw, 0);
    first = t ? reinterpret_cast<const char*>(t) : "";
  }
  Status s = rc == SQLITE_ROW || rc == SQLITE_DONE
                 ? Status::OK()
                 : FromSqlite(rc, db, "catalog " + path + ": quick_check");
  sqlite3_finalize(raw);
  if (!s.ok()) return s;
  return first == "ok" ? std::string() : first;
}

}  // namespace

Result<std::unique_ptr<Catalog>> Catalog::OpenSnapshot(
    const std::string& path) {
  if (!Exists(path)) {
    return Status::NotFound("catalog " + path + " does not exist");
  }
  // Without a -wal file the database file is the whole state: immutable=1
  // reads it without creating -wal/-shm files. With one, a read-only
  // connection reads the committed frames (and only rebuilds -shm).
  const std::string uri =
      FileUri(path, Exists(path + "-wal") ? "mode=ro" : "mode=ro&immutable=1");
  sqlite3* src = nullptr;
  int rc = sqlite3_open_v2(uri.c_str(), &src,
                           SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, nullptr);
  auto close_src = [&] {
    sqlite3_close(src);
    src = nullptr;
  };
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, src, "open catalog " + path);
    close_src();
    return s;
  }
  // A read-only connection cannot checkpoint, but say it anyway: closing
  // must leave catalog.db and catalog.db-wal exactly as they were.
  sqlite3_db_config(src, SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, nullptr);
  sqlite3_extended_result_codes(src, 1);
  sqlite3_busy_timeout(src, kBusyTimeoutMs);
  Result<std::string> problem = QuickCheck(src, path);
  if (!problem.ok()) {
    close_src();
    return problem.status();
  }
  if (!problem->empty()) {
    close_src();
    return Status::Corruption("catalog " + path +
                              " fails SQLite's structure check: " + *problem);
  }
  sqlite3* mem = nullptr;
  rc = sqlite3_open_v2(":memory:", &mem,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, mem, "open in-memory catalog copy");
    sqlite3_close(mem);
    close_src();
    return s;
  }
  std::unique_ptr<Catalog> cat(new Catalog(path, mem));
  sqlite3_backup* b = sqlite3_backup_init(mem, "main", src, "main");
  if (b == nullptr) {
    Status s = cat->Error("copy");
    close_src();
    return s;
  }
  sqlite3_backup_step(b, -1);
  rc = sqlite3_backup_finish(b);
  if (rc != SQLITE_OK) {
    Status s = FromSqlite(rc, src, "catalog " + path + ": copy");
    close_src();
    return s;
  }
  close_src();
  PDB_RETURN_IF_ERROR(cat->Setup(/*in_memory=*/true));
  return cat;
}

Status Catalog::Setup(bool in_memory) {
  sqlite3_extended_result_codes(db_, 1);
  sqlite3_busy_timeout(db_, kBusyTimeoutMs);
  if (!in_memory) {
    // WAL: readers do not block the writer and a commit is one append to
    // the -wal file. synchronous=FULL: in WAL mode NORMAL may lose the last
    // commits on power loss, but a committed flush (new segment, advanced
    // fence) must survive it, or the WAL it replaced might already be gone.
    PDB_RETURN_IF_ERROR(Exec("PRAGMA journal_mode=WAL"));
    PDB_RETURN_IF_ERROR(Exec("PRAGMA synchronous=FULL"));
  }
  PDB_RETURN_IF_ERROR(Exec("PRAGMA foreign_keys=ON"));
  PDB_RETURN_IF_ERROR(Migrate());
  return stmts_->Prepare(db_);
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
  original_version_ = version;
  if (version > kSchemaVersion) {
    return fail(Status::FailedPrecondition(
        "catalog " + path_ + " has schema version " + std::to_string(version) +
        ", newer than this build's " + std::to_string(kSchemaVersion)));
  }
  for (int v = version; v < kSchemaVersion; ++v) {
    Status s = Exec(kMigrations[v]);
    if (s.ok() && v == 2) s = AddRowChecksums();
    if (!s.ok()) return fail(s);
  }
  if (version != kSchemaVersion) {
    Status s =
        Exec(("PRAGMA user_version=" + std::to_string(kSchemaVersion)).c_str());
    if (!s.ok()) return fail(s);
  }
  return Exec("COMMIT");
}

namespace {

// Runs `select`, and for each row `update` bound by `bind` (which returns
// the row's checksum bound as the last parameter).
Status ForEachRow(
    sqlite3* db, const char* select, const char* update,
    const std::function<void(sqlite3_stmt* row, sqlite3_stmt* upd)>& bind) {
  sqlite3_stmt* sel = nullptr;
  sqlite3_stmt* upd = nullptr;
  int rc = sqlite3_prepare_v2(db, select, -1, &sel, nullptr);
  if (rc == SQLITE_OK) rc = sqlite3_prepare_v2(db, update, -1, &upd, nullptr);
  while (rc == SQLITE_OK) {
    rc = sqlite3_step(sel);
    if (rc != SQLITE_ROW) break;
    bind(sel, upd);
    rc = sqlite3_step(upd);
    sqlite3_reset(upd);
    rc = rc == SQLITE_DONE ? SQLITE_OK : rc;
  }
  Status s = rc == SQLITE_DONE || rc == SQLITE_OK
                 ? Status::OK()
                 : FromSqlite(rc, db, "catalog migration: row checksums");
  sqlite3_finalize(sel);
  sqlite3_finalize(upd);
  return s;
}

uint64_t U64(sqlite3_stmt* s, int i) {
  return static_cast<uint64_t>(sqlite3_column_int64(s, i));
}

std::string Bytes(sqlite3_stmt* s, int i) {
  const void* p = sqlite3_column_blob(s, i);
  return p ? std::string(static_cast<const char*>(p),
                         sqlite3_column_bytes(s, i))
           : std::string();
}

}  // namespace

// The rows written before checksums existed are trusted once, here: the
// migration computes each one's checksum from the row as it reads it.
Status Catalog::AddRowChecksums() {
  PDB_RETURN_IF_ERROR(ForEachRow(
      db_,
      "SELECT id, name, config_json, dir_name, created_at_unix_ms, "
      "fenced_seq, next_segment_id, generation FROM collections",
      "UPDATE collections SET crc = ?2 WHERE id = ?1",
      [](sqlite3_stmt* r, sqlite3_stmt* u) {
        CollectionRow row{U64(r, 0),      Bytes(r, 1), Bytes(r, 2), Bytes(r, 3),
                          U64(r, 4),      U64(r, 5),   U64(r, 6),   U64(r, 7),
                          /*wal_root=*/""};
        sqlite3_bind_int64(u, 1, sqlite3_column_int64(r, 0));
        sqlite3_bind_int64(u, 2, RowCrc(row));
      }));
  PDB_RETURN_IF_ERROR(ForEachRow(
      db_,
      "SELECT collection_id, segment_id, file_name, point_count, min_seq, "
      "max_seq, deleted_bitmap FROM segments",
      "UPDATE segments SET crc = ?3 WHERE collection_id = ?1 AND "
      "segment_id = ?2",
      [](sqlite3_stmt* r, sqlite3_stmt* u) {
        SegmentRow row{U64(r, 0),         U64(r, 1),
                       Bytes(r, 2),       U64(r, 3),
                       U64(r, 4),         U64(r, 5),
                       Bytes(r, 6),
                       /*tier=*/0,        /*volume=*/"",
                       /*object_size=*/0,
                       /*object_crc=*/0,  /*newest_write_unix_ms=*/0};
        sqlite3_bind_int64(u, 1, sqlite3_column_int64(r, 0));
        sqlite3_bind_int64(u, 2, sqlite3_column_int64(r, 1));
        sqlite3_bind_int64(u, 3, RowCrc(row));
      }));
  return ForEachRow(
      db_, "SELECT collection_id, field, type FROM payload_indexes",
      "UPDATE payload_indexes SET crc = ?3 WHERE collection_id = ?1 AND "
      "field = ?2",
      [](sqlite3_stmt* r, sqlite3_stmt* u) {
        PayloadIndexRow row{U64(r, 0), Bytes(r, 1), U64(r, 2)};
        sqlite3_bind_int64(u, 1, sqlite3_column_int64(r, 0));
        sqlite3_bind_text(u, 2, row.field.data(),
                          static_cast<int>(row.field.size()), SQLITE_TRANSIENT);
        sqlite3_bind_int64(u, 3, RowCrc(row));
      });
}

}  // namespace proximadb::catalog
