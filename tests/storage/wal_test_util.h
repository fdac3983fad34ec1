// Shared helpers for the WAL tests.
#pragma once

#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "proximadb/env.h"
#include "storage/wal/wal_batch.h"
#include "storage/wal/wal_reader.h"
#include "storage/wal/wal_writer.h"
#include "util/temp_dir.h"

namespace proximadb::wal::testing {

// A deterministic batch mixing every op type.
inline WalBatch MakeBatch(uint32_t i, size_t dim = 8) {
  WalBatch b;
  WalOp up;
  up.type = WalOp::Type::kUpsert;
  up.id = "point-" + std::to_string(i);
  for (size_t d = 0; d < dim; ++d) up.vector.push_back(i * 0.5f + d);
  up.metadata_json = R"({"i":)" + std::to_string(i) + "}";
  b.ops.push_back(up);
  if (i % 3 == 0) {
    b.ops.push_back(
        {WalOp::Type::kDelete, "gone-" + std::to_string(i), {}, ""});
  }
  if (i % 5 == 0) {
    b.ops.push_back(
        {WalOp::Type::kUpdateMetadata, up.id, up.vector, R"({"tag":"ü"})"});
  }
  if (i % 7 == 0) {  // the older update format, still read
    b.ops.push_back(
        {WalOp::Type::kUpdateMetadataNoVector, up.id, {}, R"({"old":1})"});
  }
  return b;
}

inline std::vector<WalBatch> ReplayAll(Env* env, const std::string& dir,
                                       WalFormat fmt, uint64_t after_seq,
                                       WalReplayInfo* info,
                                       Status* status = nullptr) {
  std::vector<WalBatch> out;
  Status s = ReplayWal(
      env, dir, fmt, after_seq,
      [&](const WalBatch& b) {
        out.push_back(b);
        return Status::OK();
      },
      info);
  if (status != nullptr) {
    *status = s;
  } else {
    EXPECT_TRUE(s.ok()) << s.ToString();
  }
  return out;
}

using test_util::TempDir;  // tests/util/temp_dir.h

// A WalWriter::Write callback that applies nothing.
inline const WalWriter::ApplyFn kNoApply = [](const WalBatch&) {};

// The base of the WAL tests run once per format: fmt() is the one under test.
class PerFormatTest : public ::testing::TestWithParam<WalFormat> {
 protected:
  WalFormat fmt() const { return GetParam(); }
};

inline const char* FormatName(WalFormat f) {
  return f == WalFormat::kAvro ? "Avro" : "Native";
}

}  // namespace proximadb::wal::testing
