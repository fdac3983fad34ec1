// Checksums of catalog rows (docs/FORMATS.md, "Catalog (SQLite)"): SQLite
// keeps no checksum of its pages, so a flipped bit in a row would be served
// as truth. Every row that matters carries a masked CRC32C over all of its
// fields (column `crc`), checked whenever the row is read.
//
// The encoding hashed is: the table name, then each field in column order,
// integers as u64 little-endian and text/blobs as u32 length + bytes. The
// table name keeps a row of one table from passing for another's. Fields
// added by schema 4 (placement, wal_root) are appended only when one of them
// differs from its default, so rows written before keep their checksums.
#pragma once

#include <cstdint>
#include <string>

namespace proximadb::catalog {

struct CollectionRow {
  uint64_t id = 0;
  std::string name;
  std::string config_json;
  std::string dir_name;
  uint64_t created_at_unix_ms = 0;
  uint64_t fenced_seq = 0;
  uint64_t next_segment_id = 0;
  uint64_t generation = 0;
  std::string wal_root;  // schema 4
};

struct SegmentRow {
  uint64_t collection_id = 0;
  uint64_t segment_id = 0;
  std::string file_name;
  uint64_t point_count = 0;
  uint64_t min_seq = 0;
  uint64_t max_seq = 0;
  std::string deleted_bitmap;
  // Schema 4: the placement (catalog.h Placement).
  uint64_t tier = 0;
  std::string volume;
  uint64_t object_size = 0;
  uint64_t object_crc = 0;
  uint64_t newest_write_unix_ms = 0;
};

struct PayloadIndexRow {
  uint64_t collection_id = 0;
  std::string field;
  uint64_t type = 0;
};

struct ObsoleteSegmentRow {
  uint64_t collection_id = 0;
  uint64_t segment_id = 0;
  std::string file_name;
  // Schema 4: where its files are.
  uint64_t tier = 0;
  std::string volume;
};

// Schema 5: one alias (docs/API.md, "Aliases") of the collection whose row
// id is collection_id.
struct AliasRow {
  std::string alias;
  uint64_t collection_id = 0;
};

// Masked CRC32C of the row's fields (the value stored in its `crc` column).
uint32_t RowCrc(const CollectionRow& row);
uint32_t RowCrc(const SegmentRow& row);
uint32_t RowCrc(const PayloadIndexRow& row);
uint32_t RowCrc(const ObsoleteSegmentRow& row);
uint32_t RowCrc(const AliasRow& row);

}  // namespace proximadb::catalog
