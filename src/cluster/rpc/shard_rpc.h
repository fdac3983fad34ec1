// The internal API's server (rpc/shard_rpc.proto) and the Status <-> Reply
// mapping both sides use.
#pragma once

#include <memory>
#include <string>

#include "proximadb/status.h"

namespace proximadb::cluster {

class ClusterNode;

namespace rpc {
class Reply;
}

// The gRPC metadata key of the cluster's internal token
// (ClusterOptions::internal_token).
inline constexpr const char* kClusterTokenHeader = "x-proximadb-cluster-token";

// Application errors travel in the Reply (code + message), so that a
// transport failure (gRPC status) and an answer are never confused.
void StatusToReply(const Status& s, rpc::Reply* reply);
Status ReplyToStatus(const rpc::Reply& reply);

class ShardRpcServer {
 public:
  // Listens on `address` (host:port) and serves `node` (which must outlive
  // the server).
  static Result<std::unique_ptr<ShardRpcServer>> Start(
      const std::string& address, ClusterNode* node);
  ~ShardRpcServer();  // stops serving (in-flight calls end first)
  ShardRpcServer(const ShardRpcServer&) = delete;
  ShardRpcServer& operator=(const ShardRpcServer&) = delete;

 private:
  struct Impl;
  explicit ShardRpcServer(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace proximadb::cluster
