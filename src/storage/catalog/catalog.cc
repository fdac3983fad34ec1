// The catalog's statements and writes; opening and migrating are in
// catalog_open.cc, reading and verifying in catalog_load.cc.
#include "storage/catalog/catalog.h"

#include <sqlite3.h>

#include <string>

#include "storage/catalog/catalog_sql.h"
#include "storage/catalog/config_codec.h"
#include "storage/catalog/row_checksum.h"

namespace proximadb::catalog {

using internal::FromSqlite;
using internal::IsConstraint;
using internal::Query;
using internal::Statements;

namespace internal {

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

Statements::~Statements() {
  for (sqlite3_stmt* s : stmts_) sqlite3_finalize(s);
}

Status Statements::Prepare(sqlite3* db) {
  static constexpr const char* kSql[kCount] = {
      "BEGIN IMMEDIATE",
      "COMMIT",
      "ROLLBACK",
      "INSERT INTO collections (name, config_json, dir_name, "
      "created_at_unix_ms, fenced_seq, next_segment_id) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      "SELECT id FROM collections WHERE name = ?1",
      "SELECT id, name, config_json, dir_name, created_at_unix_ms, "
      "fenced_seq, next_segment_id, generation, crc, wal_root FROM "
      "collections WHERE name = ?1",
      "SELECT id, name, config_json, dir_name, created_at_unix_ms, "
      "fenced_seq, next_segment_id, generation, crc, wal_root FROM "
      "collections ORDER BY name",
      "SELECT collection_id, segment_id, file_name, point_count, min_seq, "
      "max_seq, deleted_bitmap, crc, tier, volume, object_size, object_crc, "
      "newest_write_unix_ms FROM segments WHERE collection_id = ?1",
      "SELECT collection_id, segment_id, file_name, point_count, min_seq, "
      "max_seq, deleted_bitmap, crc, tier, volume, object_size, object_crc, "
      "newest_write_unix_ms FROM segments",
      "SELECT collection_id, segment_id, file_name, point_count, min_seq, "
      "max_seq, deleted_bitmap, crc, tier, volume, object_size, object_crc, "
      "newest_write_unix_ms FROM segments "
      "WHERE collection_id = ?1 AND segment_id = ?2",
      "DELETE FROM collections WHERE name = ?1",
      "UPDATE collections SET name = ?2, config_json = ?3, dir_name = ?4, "
      "created_at_unix_ms = ?5, fenced_seq = ?6, next_segment_id = ?7, "
      "generation = ?8, crc = ?9, wal_root = ?10 WHERE id = ?1",
      "INSERT INTO segments (collection_id, segment_id, file_name, "
      "point_count, min_seq, max_seq, deleted_bitmap, crc, tier, volume, "
      "object_size, object_crc, newest_write_unix_ms) "
      "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
      "DELETE FROM segments WHERE collection_id = ?1 AND segment_id = ?2",
      "UPDATE segments SET deleted_bitmap = ?3, crc = ?4, tier = ?5, "
      "volume = ?6, object_size = ?7, object_crc = ?8 "
      "WHERE collection_id = ?1 AND segment_id = ?2",
      "SELECT collection_id, field, type, crc FROM payload_indexes "
      "WHERE collection_id = ?1 ORDER BY field",
      "SELECT collection_id, field, type, crc FROM payload_indexes",
      "INSERT INTO payload_indexes (collection_id, field, type, crc) "
      "VALUES (?1, ?2, ?3, ?4)",
      "DELETE FROM payload_indexes WHERE collection_id = ?1 AND field = ?2",
      "SELECT collection_id, segment_id, file_name, crc, tier, volume FROM "
      "obsolete_segments WHERE collection_id = ?1",
      "SELECT collection_id, segment_id, file_name, crc, tier, volume FROM "
      "obsolete_segments",
      "INSERT OR REPLACE INTO obsolete_segments (collection_id, segment_id, "
      "file_name, crc, tier, volume) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
      "DELETE FROM obsolete_segments WHERE collection_id = ?1 AND "
      "segment_id = ?2",
      // The owner by LEFT JOIN: a row whose collection is gone (a flipped
      // collection_id) must be found, not skipped.
      "SELECT a.alias, a.collection_id, a.crc, c.name FROM aliases a "
      "LEFT JOIN collections c ON c.id = a.collection_id ORDER BY a.alias",
      "SELECT a.alias, a.collection_id, a.crc, c.name FROM aliases a "
      "LEFT JOIN collections c ON c.id = a.collection_id WHERE a.alias = ?1",
      "INSERT INTO aliases (alias, collection_id, crc) VALUES (?1, ?2, ?3)",
      "DELETE FROM aliases WHERE alias = ?1",
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

}  // namespace internal

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

Result<int64_t> Catalog::CollectionId(const std::string& name) {
  Query q(db_, stmts_->get(Statements::kCollectionId));
  q.Text(1, name);
  Status s;
  if (q.Step(&s)) return static_cast<int64_t>(q.ColumnInt(0));
  if (!s.ok()) return s;
  return Status::NotFound("collection '" + name + "' does not exist");
}

Result<CollectionRow> Catalog::ReadCollectionRow(const std::string& name) {
  Query q(db_, stmts_->get(Statements::kSelectCollection));
  q.Text(1, name);
  Status s;
  if (q.Step(&s)) {
    CollectionRow row = internal::ReadCollection(q);
    PDB_RETURN_IF_ERROR(
        internal::CheckRow(path_, row, static_cast<uint32_t>(q.ColumnInt(8))));
    return row;
  }
  if (!s.ok()) return s;
  return Status::NotFound("collection '" + name + "' does not exist");
}

Status Catalog::WriteCollectionRow(const CollectionRow& row) {
  Query q(db_, stmts_->get(Statements::kUpdateCollection));
  q.Int(1, row.id)
      .Text(2, row.name)
      .Text(3, row.config_json)
      .Text(4, row.dir_name)
      .Int(5, row.created_at_unix_ms)
      .Int(6, row.fenced_seq)
      .Int(7, row.next_segment_id)
      .Int(8, row.generation)
      .Int(9, RowCrc(row))
      .Text(10, row.wal_root);
  return q.Run();
}

Status Catalog::AddPayloadIndex(const std::string& name,
                                const PayloadIndexDef& def) {
  MutexLock lock(&mu_);
  PDB_ASSIGN_OR_RETURN(int64_t id, CollectionId(name));
  PayloadIndexRow row{static_cast<uint64_t>(id), def.field,
                      static_cast<uint64_t>(def.type)};
  Query q(db_, stmts_->get(Statements::kInsertPayloadIndex));
  q.Int(1, row.collection_id)
      .Text(2, row.field)
      .Int(3, row.type)
      .Int(4, RowCrc(row));
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
  MutexLock lock(&mu_);
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
  MutexLock lock(&mu_);
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
    mu_.AssertHeld();  // this lambda runs at once, under the lock
    {
      // One namespace for collections and aliases.
      PDB_ASSIGN_OR_RETURN(std::optional<AliasInfo> alias,
                           ReadAliasLocked(rec.config.name));
      if (alias) {
        return Status::AlreadyExists(
            "'" + rec.config.name + "' is an alias (of collection '" +
            alias->collection +
            "'); aliases and collections share one namespace");
      }
    }
    {
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
    }
    // The row's checksum covers its id, which SQLite has just assigned.
    CollectionRow row{static_cast<uint64_t>(sqlite3_last_insert_rowid(db_)),
                      rec.config.name,
                      config,
                      rec.dir_name,
                      rec.created_at_unix_ms,
                      rec.fenced_seq,
                      rec.next_segment_id,
                      rec.generation,
                      rec.wal_root};
    PDB_RETURN_IF_ERROR(WriteCollectionRow(row));
    for (const PayloadIndexDef& def : rec.payload_indexes) {
      PayloadIndexRow p{row.id, def.field, static_cast<uint64_t>(def.type)};
      Query q(db_, stmts_->get(Statements::kInsertPayloadIndex));
      q.Int(1, p.collection_id)
          .Text(2, p.field)
          .Int(3, p.type)
          .Int(4, RowCrc(p));
      PDB_RETURN_IF_ERROR(q.Run());
    }
    SegmentChange initial;
    initial.added = rec.segments;
    return ApplyLocked(rec.config.name, initial, /*count_generation=*/false);
  }();
  Query end(db_,
            stmts_->get(s.ok() ? Statements::kCommit : Statements::kRollback));
  Status e = end.Run();
  return s.ok() ? e : s;
}

Status Catalog::ForgetObsoleteSegments(const std::string& name,
                                       const std::vector<uint64_t>& ids) {
  MutexLock lock(&mu_);
  PDB_ASSIGN_OR_RETURN(int64_t id, CollectionId(name));
  for (uint64_t seg_id : ids) {
    Query q(db_, stmts_->get(Statements::kDeleteObsolete));
    q.Int(1, static_cast<uint64_t>(id)).Int(2, seg_id);
    PDB_RETURN_IF_ERROR(q.Run());
  }
  return Status::OK();
}

Status Catalog::DropCollection(const std::string& name) {
  MutexLock lock(&mu_);
  // ON DELETE CASCADE removes the segment, payload index, obsolete segment
  // and alias rows in the same statement.
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
  MutexLock lock(&mu_);
  // Read, verify, rewrite: a row damaged since it was loaded must not get a
  // fresh checksum over its damage.
  PDB_ASSIGN_OR_RETURN(CollectionRow row, ReadCollectionRow(name));
  row.config_json = std::move(json);
  return WriteCollectionRow(row);
}

Status Catalog::ApplySegmentChange(const std::string& name,
                                   const SegmentChange& change) {
  MutexLock lock(&mu_);
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
                            const SegmentChange& change,
                            bool count_generation) {
  PDB_ASSIGN_OR_RETURN(CollectionRow coll, ReadCollectionRow(name));
  const uint64_t cid = coll.id;
  for (const SegmentRecord& seg : change.added) {
    SegmentRow row{
        cid, seg.segment_id, seg.file_name, seg.point_count, seg.min_seq,
        seg.max_seq, seg.deleted_bitmap,
        /*tier, volume, object_size, object_crc, newest_write_unix_ms: */
        0, "", 0, 0, 0};
    internal::SetPlacement(&row, seg.placement);
    row.newest_write_unix_ms = seg.newest_write_unix_ms;
    Query q(db_, stmts_->get(Statements::kInsertSegment));
    q.Int(1, cid)
        .Int(2, row.segment_id)
        .Text(3, row.file_name)
        .Int(4, row.point_count)
        .Int(5, row.min_seq)
        .Int(6, row.max_seq)
        .Blob(7, row.deleted_bitmap)
        .Int(8, RowCrc(row))
        .Int(9, row.tier)
        .Text(10, row.volume)
        .Int(11, row.object_size)
        .Int(12, row.object_crc)
        .Int(13, row.newest_write_unix_ms);
    Status s = q.Run();
    if (IsConstraint(q.last_rc())) {
      return Status::AlreadyExists("collection '" + name +
                                   "' already has segment " +
                                   std::to_string(seg.segment_id));
    }
    PDB_RETURN_IF_ERROR(s);
  }
  for (uint64_t seg_id : change.removed) {
    // The removed segment's file becomes obsolete: its deletion is decided
    // by this commit, and recorded so that a crash before it is done lets
    // the next start finish it (ForgetObsoleteSegments once done).
    ObsoleteSegmentRow gone{cid, seg_id, "", /*tier=*/0, /*volume=*/""};
    {
      PDB_ASSIGN_OR_RETURN(SegmentRow row,
                           ReadSegmentLocked(name, cid, seg_id, "remove"));
      gone.file_name = std::move(row.file_name);
      gone.tier = row.tier;
      gone.volume = std::move(row.volume);
    }
    Query del(db_, stmts_->get(Statements::kDeleteSegment));
    del.Int(1, cid).Int(2, seg_id);
    PDB_RETURN_IF_ERROR(del.Run());
    Query ins(db_, stmts_->get(Statements::kInsertObsolete));
    ins.Int(1, cid)
        .Int(2, seg_id)
        .Text(3, gone.file_name)
        .Int(4, RowCrc(gone))
        .Int(5, gone.tier)
        .Text(6, gone.volume);
    PDB_RETURN_IF_ERROR(ins.Run());
  }
  for (const auto& [seg_id, bitmap] : change.bitmaps) {
    PDB_RETURN_IF_ERROR(UpdateSegmentLocked(
        name, cid, seg_id,
        [&](SegmentRow* row) { row->deleted_bitmap = bitmap; }));
  }
  for (const auto& [seg_id, placement] : change.placements) {
    PDB_RETURN_IF_ERROR(UpdateSegmentLocked(
        name, cid, seg_id,
        [&](SegmentRow* row) { internal::SetPlacement(row, placement); }));
  }
  if (!count_generation) return Status::OK();
  if (change.fenced_seq) coll.fenced_seq = *change.fenced_seq;
  if (change.next_segment_id) coll.next_segment_id = *change.next_segment_id;
  ++coll.generation;
  return WriteCollectionRow(coll);
}

Result<SegmentRow> Catalog::ReadSegmentLocked(const std::string& name,
                                              uint64_t cid, uint64_t seg_id,
                                              const char* to_what) {
  Query q(db_, stmts_->get(Statements::kSelectSegment));
  q.Int(1, cid).Int(2, seg_id);
  Status s;
  if (!q.Step(&s)) {
    PDB_RETURN_IF_ERROR(s);
    return Status::NotFound("collection '" + name + "' has no segment " +
                            std::to_string(seg_id) + " to " + to_what);
  }
  SegmentRow row = internal::ReadSegment(q);
  PDB_RETURN_IF_ERROR(internal::CheckRow(
      path_, row, static_cast<uint32_t>(q.ColumnInt(7)), name));
  return row;
}

// Read, verify, change, rewrite one segment row (inside the caller's
// transaction).
Status Catalog::UpdateSegmentLocked(
    const std::string& name, uint64_t cid, uint64_t seg_id,
    const std::function<void(SegmentRow*)>& change) {
  PDB_ASSIGN_OR_RETURN(SegmentRow row,
                       ReadSegmentLocked(name, cid, seg_id, "update"));
  change(&row);
  Query q(db_, stmts_->get(Statements::kUpdateBitmap));
  q.Int(1, cid)
      .Int(2, seg_id)
      .Blob(3, row.deleted_bitmap)
      .Int(4, RowCrc(row))
      .Int(5, row.tier)
      .Text(6, row.volume)
      .Int(7, row.object_size)
      .Int(8, row.object_crc);
  return q.Run();
}

}  // namespace proximadb::catalog
