// Internal to the catalog: the SQLite helpers shared by catalog.cc (open,
// migrate, writes) and catalog_load.cc (reads and checksum verification).
#pragma once

#include <sqlite3.h>

#include <cstdint>
#include <string>
#include <string_view>

#include "proximadb/status.h"
#include "storage/catalog/catalog.h"
#include "storage/catalog/row_checksum.h"

namespace proximadb::catalog::internal {

Status FromSqlite(int rc, sqlite3* db, const std::string& what);

inline int64_t ToSql(uint64_t v) { return static_cast<int64_t>(v); }

inline bool IsConstraint(int rc) { return (rc & 0xff) == SQLITE_CONSTRAINT; }

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
    kSelectAllSegments,
    kSelectSegment,
    kDeleteCollection,
    kUpdateCollection,
    kInsertSegment,
    kDeleteSegment,
    kUpdateBitmap,
    kSelectPayloadIndexes,
    kSelectAllPayloadIndexes,
    kInsertPayloadIndex,
    kDeletePayloadIndex,
    kSelectObsolete,
    kSelectAllObsolete,
    kInsertObsolete,
    kDeleteObsolete,
    kSelectAliases,
    kSelectAlias,
    kInsertAlias,
    kDeleteAlias,
    kCount
  };

  Statements() = default;
  Statements(const Statements&) = delete;
  Statements& operator=(const Statements&) = delete;
  ~Statements();

  Status Prepare(sqlite3* db);
  sqlite3_stmt* get(Id id) const { return stmts_[id]; }

 private:
  sqlite3_stmt* stmts_[kCount] = {};
};

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
  sqlite3_stmt* stmt() const { return stmt_; }

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

// Row <-> record forms of a placement.
void SetPlacement(SegmentRow* row, const Placement& p);
Placement GetPlacement(const SegmentRow& row);

// The row at the current step of a statement whose columns are those of the
// table in order, followed by `crc` (catalog_load.cc).
CollectionRow ReadCollection(const Query& q);
SegmentRow ReadSegment(const Query& q);
PayloadIndexRow ReadPayloadIndex(const Query& q);
ObsoleteSegmentRow ReadObsolete(const Query& q);

// kCorruption naming the row, the two checksums and the fields as read when
// `stored` is not the row's checksum.
Status CheckRow(const std::string& path, const CollectionRow& row,
                uint32_t stored);
Status CheckRow(const std::string& path, const SegmentRow& row, uint32_t stored,
                const std::string& collection);
Status CheckRow(const std::string& path, const PayloadIndexRow& row,
                uint32_t stored, const std::string& collection);
Status CheckRow(const std::string& path, const ObsoleteSegmentRow& row,
                uint32_t stored, const std::string& collection);
Status CheckRow(const std::string& path, const AliasRow& row, uint32_t stored);

}  // namespace proximadb::catalog::internal
