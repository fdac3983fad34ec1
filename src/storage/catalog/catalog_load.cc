// Reading the catalog: every row's checksum is verified before any of it is
// used, and every segment and payload-index row must belong to a collection
// (a flipped collection_id would otherwise make a segment vanish silently).
#include <sqlite3.h>

#include <algorithm>
#include <cstdio>
#include <map>

#include "storage/catalog/catalog.h"
#include "storage/catalog/catalog_sql.h"
#include "storage/catalog/config_codec.h"

namespace proximadb::catalog {

using internal::Query;
using internal::Statements;

namespace internal {
namespace {

std::string Hex(uint32_t v) {
  char buf[16];
  std::snprintf(buf, sizeof(buf), "0x%08x", v);
  return buf;
}

// A field as read, quoted and cut short: it may be the damaged part.
std::string Quoted(const std::string& s) {
  constexpr size_t kMax = 120;
  std::string out = "'";
  for (char c : s.substr(0, kMax)) {
    out += (c >= 0x20 && c < 0x7f) ? c : '?';
  }
  return out + (s.size() > kMax ? "...'" : "'");
}

Status Mismatch(const std::string& path, const std::string& what,
                uint32_t stored, uint32_t computed, const std::string& fields) {
  return Status::Corruption(
      "catalog " + path + ": " + what + ": row checksum mismatch (stored " +
      Hex(stored) + ", computed " + Hex(computed) +
      "): the row was damaged or changed outside ProximaDB and is not used; "
      "the row as read: " +
      fields);
}

}  // namespace

CollectionRow ReadCollection(const Query& q) {
  // Column 8 is the crc; wal_root (schema 4) follows it.
  return CollectionRow{q.ColumnInt(0),   q.ColumnBytes(1), q.ColumnBytes(2),
                       q.ColumnBytes(3), q.ColumnInt(4),   q.ColumnInt(5),
                       q.ColumnInt(6),   q.ColumnInt(7),   q.ColumnBytes(9)};
}

SegmentRow ReadSegment(const Query& q) {
  // Column 7 is the crc; the placement (schema 4) follows it.
  return SegmentRow{q.ColumnInt(0),   q.ColumnInt(1),  q.ColumnBytes(2),
                    q.ColumnInt(3),   q.ColumnInt(4),  q.ColumnInt(5),
                    q.ColumnBytes(6), q.ColumnInt(8),  q.ColumnBytes(9),
                    q.ColumnInt(10),  q.ColumnInt(11), q.ColumnInt(12)};
}

void SetPlacement(SegmentRow* row, const Placement& p) {
  row->tier = static_cast<uint64_t>(p.tier);
  row->volume = p.volume;
  row->object_size = p.object_size;
  row->object_crc = p.object_crc32c;
}

Placement GetPlacement(const SegmentRow& row) {
  return Placement{static_cast<Tier>(row.tier), row.volume, row.object_size,
                   static_cast<uint32_t>(row.object_crc)};
}

PayloadIndexRow ReadPayloadIndex(const Query& q) {
  return PayloadIndexRow{q.ColumnInt(0), q.ColumnBytes(1), q.ColumnInt(2)};
}

ObsoleteSegmentRow ReadObsolete(const Query& q) {
  // Column 3 is the crc.
  return ObsoleteSegmentRow{q.ColumnInt(0), q.ColumnInt(1), q.ColumnBytes(2),
                            q.ColumnInt(4), q.ColumnBytes(5)};
}

Status CheckRow(const std::string& path, const ObsoleteSegmentRow& r,
                uint32_t stored, const std::string& collection) {
  const uint32_t computed = RowCrc(r);
  if (computed == stored) return Status::OK();
  return Mismatch(path,
                  "obsolete segment " + std::to_string(r.segment_id) +
                      " of collection " + Quoted(collection),
                  stored, computed, "file_name " + Quoted(r.file_name));
}

Status CheckRow(const std::string& path, const CollectionRow& r,
                uint32_t stored) {
  const uint32_t computed = RowCrc(r);
  if (computed == stored) return Status::OK();
  return Mismatch(
      path,
      "collection " + Quoted(r.name) + " (row id " + std::to_string(r.id) + ")",
      stored, computed,
      "dir_name " + Quoted(r.dir_name) + ", fenced_seq " +
          std::to_string(r.fenced_seq) + ", next_segment_id " +
          std::to_string(r.next_segment_id) + ", generation " +
          std::to_string(r.generation) + ", created_at_unix_ms " +
          std::to_string(r.created_at_unix_ms) + ", config_json " +
          Quoted(r.config_json));
}

Status CheckRow(const std::string& path, const SegmentRow& r, uint32_t stored,
                const std::string& collection) {
  const uint32_t computed = RowCrc(r);
  if (computed == stored) return Status::OK();
  return Mismatch(path,
                  "segment " + std::to_string(r.segment_id) +
                      " of collection " + Quoted(collection),
                  stored, computed,
                  "file_name " + Quoted(r.file_name) + ", point_count " +
                      std::to_string(r.point_count) + ", min_seq " +
                      std::to_string(r.min_seq) + ", max_seq " +
                      std::to_string(r.max_seq) + ", deleted_bitmap of " +
                      std::to_string(r.deleted_bitmap.size()) + " bytes");
}

Status CheckRow(const std::string& path, const PayloadIndexRow& r,
                uint32_t stored, const std::string& collection) {
  const uint32_t computed = RowCrc(r);
  if (computed == stored) return Status::OK();
  return Mismatch(path,
                  "payload index " + Quoted(r.field) + " of collection " +
                      Quoted(collection),
                  stored, computed, "type " + std::to_string(r.type));
}

}  // namespace internal

namespace {

struct Loaded {
  CollectionRecord rec;
  uint64_t id = 0;
};

}  // namespace

Result<std::vector<CollectionRecord>> Catalog::LoadAll() {
  MutexLock lock(&mu_);
  return LoadLocked(nullptr);
}

Result<CollectionRecord> Catalog::Load(const std::string& name) {
  MutexLock lock(&mu_);
  PDB_ASSIGN_OR_RETURN(std::vector<CollectionRecord> one, LoadLocked(&name));
  if (one.empty()) {
    return Status::NotFound("collection '" + name + "' does not exist");
  }
  return std::move(one.front());
}

Result<std::vector<CollectionRecord>> Catalog::LoadLocked(
    const std::string* only) {
  std::vector<Loaded> rows;
  std::map<uint64_t, size_t> by_id;
  Status s;
  {
    Query q(db_, stmts_->get(only ? Statements::kSelectCollection
                                  : Statements::kSelectAll));
    if (only) q.Text(1, *only);
    while (q.Step(&s)) {
      CollectionRow row = internal::ReadCollection(q);
      PDB_RETURN_IF_ERROR(internal::CheckRow(
          path_, row, static_cast<uint32_t>(q.ColumnInt(8))));
      auto config = CollectionConfigFromJson(
          nlohmann::json::parse(row.config_json, nullptr, false));
      if (!config.ok()) {
        return Status::Corruption("catalog " + path_ + ": collection '" +
                                  row.name + "': " + config.status().message());
      }
      Loaded l;
      l.id = row.id;
      l.rec.config = std::move(config).value();
      l.rec.dir_name = row.dir_name;
      l.rec.created_at_unix_ms = row.created_at_unix_ms;
      l.rec.fenced_seq = row.fenced_seq;
      l.rec.next_segment_id = row.next_segment_id;
      l.rec.generation = row.generation;
      l.rec.wal_root = row.wal_root;
      by_id[row.id] = rows.size();
      rows.push_back(std::move(l));
    }
  }
  if (!s.ok()) return s;
  if (only && rows.empty()) return std::vector<CollectionRecord>();

  // Segments and payload indexes: of one collection, or every row of the
  // table (each must find its collection).
  auto owner = [&](uint64_t cid, const std::string& what) -> Result<Loaded*> {
    auto it = by_id.find(cid);
    if (it == by_id.end()) {
      return Status::Corruption("catalog " + path_ + ": " + what +
                                " belongs to collection row id " +
                                std::to_string(cid) + ", which does not exist");
    }
    return &rows[it->second];
  };
  {
    Query q(db_, stmts_->get(only ? Statements::kSelectSegments
                                  : Statements::kSelectAllSegments));
    if (only) q.Int(1, rows.front().id);
    while (q.Step(&s)) {
      SegmentRow row = internal::ReadSegment(q);
      PDB_ASSIGN_OR_RETURN(
          Loaded * l, owner(row.collection_id,
                            "segment row " + std::to_string(row.segment_id)));
      PDB_RETURN_IF_ERROR(
          internal::CheckRow(path_, row, static_cast<uint32_t>(q.ColumnInt(7)),
                             l->rec.config.name));
      if (row.tier > static_cast<uint64_t>(Tier::kCold)) {
        return Status::Corruption(
            "catalog " + path_ + ": segment " + std::to_string(row.segment_id) +
            " has unknown tier " + std::to_string(row.tier));
      }
      Placement placement = internal::GetPlacement(row);
      l->rec.segments.push_back(SegmentRecord{
          row.segment_id, std::move(row.file_name), row.point_count,
          row.min_seq, row.max_seq, std::move(row.deleted_bitmap),
          std::move(placement), row.newest_write_unix_ms});
    }
  }
  if (!s.ok()) return s;
  {
    Query q(db_, stmts_->get(only ? Statements::kSelectPayloadIndexes
                                  : Statements::kSelectAllPayloadIndexes));
    if (only) q.Int(1, rows.front().id);
    while (q.Step(&s)) {
      PayloadIndexRow row = internal::ReadPayloadIndex(q);
      PDB_ASSIGN_OR_RETURN(
          Loaded * l,
          owner(row.collection_id, "payload index '" + row.field + "' row"));
      PDB_RETURN_IF_ERROR(
          internal::CheckRow(path_, row, static_cast<uint32_t>(q.ColumnInt(3)),
                             l->rec.config.name));
      if (row.type > static_cast<uint64_t>(PayloadIndexType::kText)) {
        return Status::Corruption("catalog " + path_ + ": payload index '" +
                                  row.field + "' has unknown type " +
                                  std::to_string(row.type));
      }
      l->rec.payload_indexes.push_back(PayloadIndexDef{
          std::move(row.field), static_cast<PayloadIndexType>(row.type)});
    }
  }
  if (!s.ok()) return s;
  {
    Query q(db_, stmts_->get(only ? Statements::kSelectObsolete
                                  : Statements::kSelectAllObsolete));
    if (only) q.Int(1, rows.front().id);
    while (q.Step(&s)) {
      ObsoleteSegmentRow row = internal::ReadObsolete(q);
      PDB_ASSIGN_OR_RETURN(
          Loaded * l,
          owner(row.collection_id,
                "obsolete segment row " + std::to_string(row.segment_id)));
      PDB_RETURN_IF_ERROR(
          internal::CheckRow(path_, row, static_cast<uint32_t>(q.ColumnInt(3)),
                             l->rec.config.name));
      if (row.tier > static_cast<uint64_t>(Tier::kCold)) {
        return Status::Corruption("catalog " + path_ + ": obsolete segment " +
                                  std::to_string(row.segment_id) +
                                  " has unknown tier " +
                                  std::to_string(row.tier));
      }
      l->rec.obsolete_segments.push_back(ObsoleteSegment{
          row.segment_id, std::move(row.file_name),
          Placement{static_cast<Tier>(row.tier), std::move(row.volume)}});
    }
  }
  if (!s.ok()) return s;

  std::vector<CollectionRecord> out;
  out.reserve(rows.size());
  for (Loaded& l : rows) {
    // Sorted here, as unsigned, rather than by SQLite's signed ORDER BY.
    std::sort(l.rec.segments.begin(), l.rec.segments.end(),
              [](const auto& a, const auto& b) {
                return a.segment_id < b.segment_id;
              });
    std::sort(l.rec.payload_indexes.begin(), l.rec.payload_indexes.end(),
              [](const auto& a, const auto& b) { return a.field < b.field; });
    out.push_back(std::move(l.rec));
  }
  return out;
}

}  // namespace proximadb::catalog
