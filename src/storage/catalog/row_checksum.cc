#include "storage/catalog/row_checksum.h"

#include <string_view>

#include "util/coding.h"
#include "util/crc32c.h"

namespace proximadb::catalog {
namespace {

class RowEncoder {
 public:
  explicit RowEncoder(std::string_view table) { Bytes(table); }
  RowEncoder& Int(uint64_t v) {
    PutFixed64(&buf_, v);
    return *this;
  }
  RowEncoder& Bytes(std::string_view v) {
    PutFixed32(&buf_, static_cast<uint32_t>(v.size()));
    buf_.append(v);
    return *this;
  }
  // Fields a later schema added: hashed only when `present` (any of them is
  // not its default), so older rows keep their checksums.
  template <typename F>
  RowEncoder& Tail(bool present, F&& encode) {
    if (present) encode(*this);
    return *this;
  }
  uint32_t Crc() const {
    return crc32c::Mask(crc32c::Value(buf_.data(), buf_.size()));
  }

 private:
  std::string buf_;
};

}  // namespace

uint32_t RowCrc(const CollectionRow& r) {
  return RowEncoder("collections")
      .Int(r.id)
      .Bytes(r.name)
      .Bytes(r.config_json)
      .Bytes(r.dir_name)
      .Int(r.created_at_unix_ms)
      .Int(r.fenced_seq)
      .Int(r.next_segment_id)
      .Int(r.generation)
      .Tail(!r.wal_root.empty(), [&](RowEncoder& e) { e.Bytes(r.wal_root); })
      .Crc();
}

uint32_t RowCrc(const SegmentRow& r) {
  return RowEncoder("segments")
      .Int(r.collection_id)
      .Int(r.segment_id)
      .Bytes(r.file_name)
      .Int(r.point_count)
      .Int(r.min_seq)
      .Int(r.max_seq)
      .Bytes(r.deleted_bitmap)
      .Tail(r.tier != 0 || !r.volume.empty() || r.object_size != 0 ||
                r.object_crc != 0 || r.newest_write_unix_ms != 0,
            [&](RowEncoder& e) {
              e.Int(r.tier)
                  .Bytes(r.volume)
                  .Int(r.object_size)
                  .Int(r.object_crc)
                  .Int(r.newest_write_unix_ms);
            })
      .Crc();
}

uint32_t RowCrc(const PayloadIndexRow& r) {
  return RowEncoder("payload_indexes")
      .Int(r.collection_id)
      .Bytes(r.field)
      .Int(r.type)
      .Crc();
}

uint32_t RowCrc(const ObsoleteSegmentRow& r) {
  return RowEncoder("obsolete_segments")
      .Int(r.collection_id)
      .Int(r.segment_id)
      .Bytes(r.file_name)
      .Tail(r.tier != 0 || !r.volume.empty(),
            [&](RowEncoder& e) { e.Int(r.tier).Bytes(r.volume); })
      .Crc();
}

uint32_t RowCrc(const AliasRow& r) {
  return RowEncoder("aliases").Bytes(r.alias).Int(r.collection_id).Crc();
}

}  // namespace proximadb::catalog
