// The catalog's aliases (docs/API.md, "Aliases"; docs/FORMATS.md, "Catalog
// (SQLite)"): table `aliases`, one row per alias naming a collection by its
// row id, each row checksummed like the others.
#include <sqlite3.h>

#include <cstdio>
#include <string>

#include "storage/catalog/catalog.h"
#include "storage/catalog/catalog_sql.h"
#include "storage/catalog/row_checksum.h"

namespace proximadb::catalog {

using internal::Query;
using internal::Statements;

namespace internal {

Status CheckRow(const std::string& path, const AliasRow& r, uint32_t stored) {
  const uint32_t computed = RowCrc(r);
  if (computed == stored) return Status::OK();
  char buf[64];
  std::snprintf(buf, sizeof(buf), "stored 0x%08x, computed 0x%08x", stored,
                computed);
  return Status::Corruption(
      "catalog " + path + ": alias '" + r.alias + "': row checksum mismatch (" +
      buf +
      "): the row was damaged or changed outside ProximaDB and is not used; "
      "the row as read: collection row id " +
      std::to_string(r.collection_id));
}

}  // namespace internal

namespace {

// The row at the current step of kSelectAliases / kSelectAlias (alias,
// collection_id, crc, the owner's name or NULL), verified.
Result<AliasInfo> ReadAliasRow(const std::string& path, const Query& q) {
  AliasRow row{q.ColumnBytes(0), q.ColumnInt(1)};
  PDB_RETURN_IF_ERROR(
      internal::CheckRow(path, row, static_cast<uint32_t>(q.ColumnInt(2))));
  if (sqlite3_column_type(q.stmt(), 3) == SQLITE_NULL) {
    return Status::Corruption("catalog " + path + ": alias '" + row.alias +
                              "' belongs to collection row id " +
                              std::to_string(row.collection_id) +
                              ", which does not exist");
  }
  return AliasInfo{std::move(row.alias), q.ColumnBytes(3)};
}

}  // namespace

Result<std::vector<AliasInfo>> Catalog::LoadAliases() {
  MutexLock lock(&mu_);
  std::vector<AliasInfo> out;
  Query q(db_, stmts_->get(Statements::kSelectAliases));
  Status s;
  while (q.Step(&s)) {
    PDB_ASSIGN_OR_RETURN(AliasInfo a, ReadAliasRow(path_, q));
    out.push_back(std::move(a));
  }
  PDB_RETURN_IF_ERROR(s);
  // SQLite's ORDER BY on TEXT is bytewise (BINARY), as std::string's <.
  return out;
}

Result<std::optional<AliasInfo>> Catalog::ReadAliasLocked(
    const std::string& alias) {
  Query q(db_, stmts_->get(Statements::kSelectAlias));
  q.Text(1, alias);
  Status s;
  if (!q.Step(&s)) {
    PDB_RETURN_IF_ERROR(s);
    return std::optional<AliasInfo>();
  }
  PDB_ASSIGN_OR_RETURN(AliasInfo a, ReadAliasRow(path_, q));
  return std::optional<AliasInfo>(std::move(a));
}

Status Catalog::ApplyAliasActionLocked(const AliasAction& a, size_t index) {
  const std::string at = "actions[" + std::to_string(index) + "]: ";
  if (a.kind == AliasAction::Kind::kDelete) {
    Query q(db_, stmts_->get(Statements::kDeleteAlias));
    q.Text(1, a.alias);
    PDB_RETURN_IF_ERROR(q.Run());
    if (sqlite3_changes(db_) == 0) {
      return Status::NotFound(at + "alias '" + a.alias + "' not found");
    }
    return Status::OK();
  }
  // create: one namespace for aliases and collections.
  Result<int64_t> clash = CollectionId(a.alias);
  if (clash.ok()) {
    return Status::AlreadyExists(
        at + "'" + a.alias +
        "' is the name of a collection; aliases and collections share one "
        "namespace");
  }
  if (!clash.status().IsNotFound()) return clash.status();
  PDB_ASSIGN_OR_RETURN(std::optional<AliasInfo> existing,
                       ReadAliasLocked(a.alias));
  if (existing) {
    return Status::AlreadyExists(
        at + "alias '" + a.alias + "' already exists (for collection '" +
        existing->collection +
        "'); to switch it, delete it earlier in the same request");
  }
  Result<int64_t> target = CollectionId(a.collection);
  if (!target.ok()) {
    if (!target.status().IsNotFound()) return target.status();
    PDB_ASSIGN_OR_RETURN(std::optional<AliasInfo> chained,
                         ReadAliasLocked(a.collection));
    if (chained) {
      return Status::NotFound(at + "collection '" + a.collection +
                              "' not found: it is an alias (of collection '" +
                              chained->collection +
                              "'), and an alias names a collection");
    }
    return Status::NotFound(at + "collection '" + a.collection + "' not found");
  }
  AliasRow row{a.alias, static_cast<uint64_t>(*target)};
  Query q(db_, stmts_->get(Statements::kInsertAlias));
  q.Text(1, row.alias).Int(2, row.collection_id).Int(3, RowCrc(row));
  return q.Run();
}

Status Catalog::UpdateAliases(const std::vector<AliasAction>& actions) {
  MutexLock lock(&mu_);
  {
    Query begin(db_, stmts_->get(Statements::kBegin));
    PDB_RETURN_IF_ERROR(begin.Run());
  }
  Status s;
  for (size_t i = 0; i < actions.size() && s.ok(); ++i) {
    s = ApplyAliasActionLocked(actions[i], i);
  }
  Query end(db_,
            stmts_->get(s.ok() ? Statements::kCommit : Statements::kRollback));
  Status e = end.Run();
  if (!s.ok()) return s;
  if (!e.ok() && !sqlite3_get_autocommit(db_)) {
    // As ApplySegmentChange: never leave a failed commit's transaction open.
    (void)Exec("ROLLBACK");
  }
  return e;
}

}  // namespace proximadb::catalog
