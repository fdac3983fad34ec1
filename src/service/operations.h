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
  kGetPoints,
  kPatchMetadata,
  kCount,
  kScroll,
  kFacet,
  kSearch,
  kBatchSearch,
  kRecommend,
  kQuery,
  kFlush,
  kCompact,
  kCollectionStats,
  kCreatePayloadIndex,
  kListPayloadIndexes,
  kDeletePayloadIndex,
  kListQuarantine,
  kClearQuarantine,
  kListSegments,
  kMoveSegment,
  kMigrate,
  kGetMigration,
  kCancelMigration,
  kUpdateAliases,
  kListAliases,
  kChanges,
  kCreateSnapshot,
  kListSnapshots,
  kGetSnapshot,
  kDeleteSnapshot,
  kRestoreSnapshot,
  kRestorePointInTime,
  kCreateDatabaseSnapshot,
  kGetCluster,
  kDrainNode,
};

struct OperationInfo {
  Operation op;
  // The operation's name, which is also its gRPC method name in
  // proximadb.v1.ProximaDB.
  std::string_view name;
  // Changes stored state; a read-only API key may not call it (403 /
  // PERMISSION_DENIED).
  bool write = false;
};

inline constexpr std::array kOperations = {
    OperationInfo{Operation::kHealth, "Health"},
    OperationInfo{Operation::kCreateCollection, "CreateCollection", true},
    OperationInfo{Operation::kListCollections, "ListCollections"},
    OperationInfo{Operation::kGetCollection, "GetCollection"},
    OperationInfo{Operation::kUpdateCollection, "UpdateCollection", true},
    OperationInfo{Operation::kDeleteCollection, "DeleteCollection", true},
    OperationInfo{Operation::kUpsert, "Upsert", true},
    OperationInfo{Operation::kBatchUpsert, "BatchUpsert", true},
    OperationInfo{Operation::kGet, "Get"},
    OperationInfo{Operation::kDeleteByIds, "DeleteByIds", true},
    OperationInfo{Operation::kDeleteByFilter, "DeleteByFilter", true},
    OperationInfo{Operation::kUpdateMetadata, "UpdateMetadata", true},
    OperationInfo{Operation::kGetPoints, "GetPoints"},
    OperationInfo{Operation::kPatchMetadata, "PatchMetadata", true},
    OperationInfo{Operation::kCount, "Count"},
    OperationInfo{Operation::kScroll, "Scroll"},
    OperationInfo{Operation::kFacet, "Facet"},
    OperationInfo{Operation::kSearch, "Search"},
    OperationInfo{Operation::kBatchSearch, "BatchSearch"},
    OperationInfo{Operation::kRecommend, "Recommend"},
    OperationInfo{Operation::kQuery, "Query"},
    OperationInfo{Operation::kFlush, "Flush", true},
    OperationInfo{Operation::kCompact, "Compact", true},
    OperationInfo{Operation::kCollectionStats, "CollectionStats"},
    OperationInfo{Operation::kCreatePayloadIndex, "CreatePayloadIndex", true},
    OperationInfo{Operation::kListPayloadIndexes, "ListPayloadIndexes"},
    OperationInfo{Operation::kDeletePayloadIndex, "DeletePayloadIndex", true},
    OperationInfo{Operation::kListQuarantine, "ListQuarantine"},
    OperationInfo{Operation::kClearQuarantine, "ClearQuarantine", true},
    OperationInfo{Operation::kListSegments, "ListSegments"},
    OperationInfo{Operation::kMoveSegment, "MoveSegment", true},
    OperationInfo{Operation::kMigrate, "Migrate", true},
    OperationInfo{Operation::kGetMigration, "GetMigration"},
    OperationInfo{Operation::kCancelMigration, "CancelMigration", true},
    OperationInfo{Operation::kUpdateAliases, "UpdateAliases", true},
    OperationInfo{Operation::kListAliases, "ListAliases"},
    // Opens the change feed (a stream on both transports).
    OperationInfo{Operation::kChanges, "Changes"},
    OperationInfo{Operation::kCreateSnapshot, "CreateSnapshot", true},
    OperationInfo{Operation::kListSnapshots, "ListSnapshots"},
    OperationInfo{Operation::kGetSnapshot, "GetSnapshot"},
    OperationInfo{Operation::kDeleteSnapshot, "DeleteSnapshot", true},
    OperationInfo{Operation::kRestoreSnapshot, "RestoreSnapshot", true},
    OperationInfo{Operation::kRestorePointInTime, "RestorePointInTime", true},
    OperationInfo{Operation::kCreateDatabaseSnapshot, "CreateDatabaseSnapshot",
                  true},
    // The cluster as this node sees it (docs/API.md, "Cluster status").
    OperationInfo{Operation::kGetCluster, "GetCluster"},
    // Starts or cancels the drain of a cluster node (docs/API.md, "Drain a
    // node"): it changes the cluster's placement, so a write, as aliases.
    OperationInfo{Operation::kDrainNode, "DrainNode", true},
};

// The entry of `op` ("" for a value missing from the table, which the tests
// rule out).
constexpr std::string_view OperationName(Operation op) {
  for (const OperationInfo& info : kOperations) {
    if (info.op == op) return info.name;
  }
  return "";
}

// Whether `op` is a write (see OperationInfo::write).
constexpr bool IsWrite(Operation op) {
  for (const OperationInfo& info : kOperations) {
    if (info.op == op) return info.write;
  }
  return true;  // unknown: treat as the more privileged kind
}

// Position of `op` in kOperations (per-operation metric slots).
constexpr size_t OperationIndex(Operation op) {
  for (size_t i = 0; i < kOperations.size(); ++i) {
    if (kOperations[i].op == op) return i;
  }
  return 0;
}

}  // namespace proximadb::service
