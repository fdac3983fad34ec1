// What the WAL stores: one atomic client batch per record.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace proximadb::wal {

struct WalOp {
  enum class Type : uint8_t { kUpsert = 1, kDelete = 2, kUpdateMetadata = 3 };
  Type type = Type::kUpsert;
  std::string id;
  std::vector<float> vector;  // kUpsert only (ignored for other types)
  std::string metadata_json;  // kUpsert, kUpdateMetadata (else ignored)

  friend bool operator==(const WalOp&, const WalOp&) = default;
};

// One atomic client batch = one WAL record: after a crash either every op of
// it is replayed or none.
struct WalBatch {
  uint64_t seq = 0;  // assigned by WalWriter::Write
  std::vector<WalOp> ops;

  friend bool operator==(const WalBatch&, const WalBatch&) = default;
};

}  // namespace proximadb::wal
