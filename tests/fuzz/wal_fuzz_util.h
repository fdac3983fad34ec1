// Batch comparison shared by the two WAL targets.
#pragma once

#include <cstring>
#include <string>

#include "storage/wal/wal_batch.h"

namespace proximadb::fuzz {

// The fields a decoder must reproduce: an op's vector only matters for an
// upsert and its metadata only for an upsert or a metadata update (the
// codecs write nothing, or an empty value, for the others).
inline wal::WalBatch Normalized(wal::WalBatch b) {
  for (wal::WalOp& op : b.ops) {
    if (!wal::WalOp::HasVector(op.type)) op.vector.clear();
    if (op.type == wal::WalOp::Type::kDelete) op.metadata_json.clear();
  }
  return b;
}

// Bitwise on the floats, so NaN payloads must survive too.
inline bool SameBatch(const wal::WalBatch& a, const wal::WalBatch& b) {
  if (a.seq != b.seq || a.ops.size() != b.ops.size()) return false;
  for (size_t i = 0; i < a.ops.size(); ++i) {
    const wal::WalOp &x = a.ops[i], &y = b.ops[i];
    if (x.type != y.type || x.id != y.id ||
        x.metadata_json != y.metadata_json || x.sparse != y.sparse ||
        x.expires_at != y.expires_at || x.vector.size() != y.vector.size() ||
        (!x.vector.empty() &&
         std::memcmp(x.vector.data(), y.vector.data(),
                     x.vector.size() * sizeof(float)) != 0)) {
      return false;
    }
  }
  return true;
}

inline std::string Describe(const wal::WalBatch& b) {
  std::string s = "batch seq " + std::to_string(b.seq) + ", " +
                  std::to_string(b.ops.size()) + " ops:";
  for (const wal::WalOp& op : b.ops) {
    s += " [type " + std::to_string(static_cast<int>(op.type)) + " id " +
         std::to_string(op.id.size()) + "B dim " +
         std::to_string(op.vector.size()) + " meta " +
         std::to_string(op.metadata_json.size()) + "B]";
  }
  return s;
}

}  // namespace proximadb::fuzz
