// What the WAL stores: one atomic client batch per record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace proximadb::wal {

struct WalOp {
  enum class Type : uint8_t {
    kUpsert = 1,
    kDelete = 2,
    // Written by builds before 2026-11-29: new metadata only, so its replay
    // depended on finding the point's previous copy, which a later flush or
    // compaction may have removed. Still read; never written.
    kUpdateMetadataNoVector = 3,
    // A metadata update logged as the whole resulting point (the vector the
    // point had when the update was applied, plus the new metadata): its
    // replay is an upsert and depends on no other state.
    kUpdateMetadata = 4,
  };
  Type type = Type::kUpsert;
  std::string id;
  std::vector<float> vector;  // kUpsert, kUpdateMetadata (else ignored)
  std::string metadata_json;  // every type but kDelete (else ignored)
  // kUpsert, kUpdateMetadata: the point's sparse and named vectors,
  // encoded as index/sparse.h's point vectors blob; empty = none.
  std::string sparse = {};
  // kUpsert, kUpdateMetadata: when the point expires (unix microseconds;
  // docs/API.md, "Expiry"); 0 = never.
  uint64_t expires_at = 0;

  // True for the types that carry a vector.
  static bool HasVector(Type t) {
    return t == Type::kUpsert || t == Type::kUpdateMetadata;
  }

  friend bool operator==(const WalOp&, const WalOp&) = default;
};

// One atomic client batch = one WAL record: after a crash either every op of
// it is replayed or none.
struct WalBatch {
  uint64_t seq = 0;  // assigned by WalWriter::Write
  // When it was logged (wall clock, microseconds since the Unix epoch),
  // assigned by WalWriter::Write with the seq; non-decreasing along the
  // log. 0: a record written before records carried a time (type 1).
  uint64_t time_unix_micros = 0;
  std::vector<WalOp> ops;

  friend bool operator==(const WalBatch&, const WalBatch&) = default;
};

}  // namespace proximadb::wal
