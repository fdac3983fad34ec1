// The list of API operations: one entry per VectorService operation.
//
// Both transports register their handlers against these values (the REST
// route table in api/rest/routes.cc, the gRPC method table in
// api/grpc/grpc_service.cc), and tests check that every operation here is
// served by both and that neither serves anything else. Adding an operation
// means adding it here, which fails those tests until both transports have
// it.
#pragma once

#include <array>
#include <cstddef>
#include <string_view>

namespace proximadb::service {

enum class Operation {
  kHealth,
  kCreateCollection,
  kListCollections,
  kGetCollection,
  kUpdateCollection,
  kDeleteCollection,
  kUpsert,
  kBatchUpsert,
  kGet,
  kDeleteByIds,
  kDeleteByFilter,
  kUpdateMetadata,
  kCount,
  kScroll,
  kSearch,
  kBatchSearch,
  kFlush,
  kCompact,
  kCollectionStats,
};

struct OperationInfo {
  Operation op;
  // The operation's name, which is also its gRPC method name in
  // proximadb.v1.ProximaDB.
  std::string_view name;
};

inline constexpr std::array kOperations = {
    OperationInfo{Operation::kHealth, "Health"},
    OperationInfo{Operation::kCreateCollection, "CreateCollection"},
    OperationInfo{Operation::kListCollections, "ListCollections"},
    OperationInfo{Operation::kGetCollection, "GetCollection"},
    OperationInfo{Operation::kUpdateCollection, "UpdateCollection"},
    OperationInfo{Operation::kDeleteCollection, "DeleteCollection"},
    OperationInfo{Operation::kUpsert, "Upsert"},
    OperationInfo{Operation::kBatchUpsert, "BatchUpsert"},
    OperationInfo{Operation::kGet, "Get"},
    OperationInfo{Operation::kDeleteByIds, "DeleteByIds"},
    OperationInfo{Operation::kDeleteByFilter, "DeleteByFilter"},
    OperationInfo{Operation::kUpdateMetadata, "UpdateMetadata"},
    OperationInfo{Operation::kCount, "Count"},
    OperationInfo{Operation::kScroll, "Scroll"},
    OperationInfo{Operation::kSearch, "Search"},
    OperationInfo{Operation::kBatchSearch, "BatchSearch"},
    OperationInfo{Operation::kFlush, "Flush"},
    OperationInfo{Operation::kCompact, "Compact"},
    OperationInfo{Operation::kCollectionStats, "CollectionStats"},
};

// The entry of `op` ("" for a value missing from the table, which the tests
// rule out).
constexpr std::string_view OperationName(Operation op) {
  for (const OperationInfo& info : kOperations) {
    if (info.op == op) return info.name;
  }
  return "";
}

}  // namespace proximadb::service
