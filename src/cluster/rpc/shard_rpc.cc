#include "cluster/rpc/shard_rpc.h"

#include <grpcpp/grpcpp.h>

#include "cluster/cluster_node.h"
#include "cluster/shard_entry.h"
#include "shard_rpc.grpc.pb.h"
#include "util/constant_time.h"

namespace proximadb::cluster {

void StatusToReply(const Status& s, rpc::Reply* reply) {
  reply->set_code(static_cast<int32_t>(s.code()));
  reply->set_message(s.message());
}

Status ReplyToStatus(const rpc::Reply& reply) {
  if (reply.code() == 0) return Status::OK();
  if (reply.code() < 0 ||
      reply.code() > static_cast<int32_t>(StatusCode::kOutOfRange)) {
    return Status::Internal("a node answered an unknown status code " +
                            std::to_string(reply.code()) + ": " +
                            reply.message());
  }
  return Status(static_cast<StatusCode>(reply.code()), reply.message());
}

// Named (not anonymous): ShardRpcServer::Impl holds one.
namespace shard_rpc_service {

class Service final : public rpc::ShardRpc::Service {
 public:
  explicit Service(ClusterNode* node) : node_(node) {}

  ::grpc::Status Write(::grpc::ServerContext* ctx, const rpc::WriteRequest* req,
                       rpc::Reply* reply) override {
    if (::grpc::Status a = Authenticate(ctx); !a.ok()) return a;
    WriteKind kind = WriteKind::kBatch;
    if (req->kind() == rpc::WriteRequest::DELETE_COUNTED) {
      kind = WriteKind::kDeleteCounted;
    } else if (req->kind() == rpc::WriteRequest::UPDATE_METADATA) {
      kind = WriteKind::kUpdateMetadata;
    } else if (req->kind() == rpc::WriteRequest::PATCH_METADATA) {
      kind = WriteKind::kPatchMetadata;
    }
    wal::WalBatch batch;
    if (kind == WriteKind::kUpdateMetadata) {
      wal::WalOp op;
      op.type = wal::WalOp::Type::kUpdateMetadata;
      op.id = req->id();
      op.metadata_json = req->metadata_json();
      batch.ops.push_back(std::move(op));
    } else if (kind == WriteKind::kPatchMetadata) {
      for (const auto& id : req->ids()) {
        wal::WalOp op;
        op.type = wal::WalOp::Type::kUpdateMetadata;
        op.id = id;
        op.metadata_json = req->metadata_json();
        batch.ops.push_back(std::move(op));
      }
    } else {
      Result<ShardEntry> entry = DecodeShardEntry(req->entry());
      if (!entry.ok()) {
        StatusToReply(entry.status(), reply);
        return ::grpc::Status::OK;
      }
      batch = std::move(entry->batch);
    }
    bool not_stored = false;
    Result<WriteOutcome> out =
        node_->LocalWrite(req->shard().uid(), req->shard().shard(), kind,
                          std::move(batch), req->timeout_ms(), &not_stored);
    if (!out.ok()) {
      StatusToReply(out.status(), reply);
      reply->set_not_stored(not_stored);
    } else {
      reply->set_seq(out->seq);
      reply->set_count(out->count);
      for (const auto& id : out->not_found) reply->add_not_found(id);
    }
    return ::grpc::Status::OK;
  }

  ::grpc::Status Call(::grpc::ServerContext* ctx, const rpc::CallRequest* req,
                      rpc::Reply* reply) override {
    if (::grpc::Status a = Authenticate(ctx); !a.ok()) return a;
    Result<std::string> out =
        node_->LocalCall(req->shard().uid(), req->shard().shard(), req->op(),
                         req->body(), req->strong(), req->timeout_ms());
    if (!out.ok()) {
      StatusToReply(out.status(), reply);
    } else {
      reply->set_body(std::move(out).value());
    }
    return ::grpc::Status::OK;
  }

  ::grpc::Status NodeStatus(::grpc::ServerContext* ctx,
                            const rpc::StatusRequest*,
                            rpc::StatusReply* reply) override {
    if (::grpc::Status a = Authenticate(ctx); !a.ok()) return a;
    reply->set_node_id(node_->options().node_id);
    for (const auto& r : node_->LocalReplicas()) {
      rpc::ReplicaStatus* s = reply->add_replicas();
      s->set_uid(r.uid);
      s->set_shard(r.shard);
      s->set_applied_seq(r.applied_seq);
      s->set_primary(r.primary);
      s->set_state(r.state);
    }
    return ::grpc::Status::OK;
  }

 private:
  // The caller's token is this node's ([cluster] internal_token), when
  // there is one.
  ::grpc::Status Authenticate(::grpc::ServerContext* ctx) const {
    const std::string& want = node_->options().internal_token;
    if (want.empty()) return ::grpc::Status::OK;
    const auto& md = ctx->client_metadata();
    auto it = md.find(kClusterTokenHeader);
    if (it != md.end() &&
        ConstantTimeEquals(
            std::string_view(it->second.data(), it->second.size()), want)) {
      return ::grpc::Status::OK;
    }
    return ::grpc::Status(::grpc::StatusCode::UNAUTHENTICATED,
                          "node " + node_->options().node_id +
                              " refused an internal call: the caller's "
                              "[cluster] internal_token is missing or "
                              "differs from this node's");
  }

  ClusterNode* const node_;
};

}  // namespace shard_rpc_service

struct ShardRpcServer::Impl {
  std::unique_ptr<shard_rpc_service::Service> service;
  std::unique_ptr<::grpc::Server> server;
};

ShardRpcServer::ShardRpcServer(std::unique_ptr<Impl> impl)
    : impl_(std::move(impl)) {}

ShardRpcServer::~ShardRpcServer() {
  if (impl_ && impl_->server) {
    impl_->server->Shutdown(std::chrono::system_clock::now() +
                            std::chrono::seconds(5));
  }
}

Result<std::unique_ptr<ShardRpcServer>> ShardRpcServer::Start(
    const std::string& address, ClusterNode* node) {
  auto impl = std::make_unique<Impl>();
  impl->service = std::make_unique<shard_rpc_service::Service>(node);
  ::grpc::ServerBuilder builder;
  int port = 0;
  builder.AddListeningPort(address, ::grpc::InsecureServerCredentials(), &port);
  builder.RegisterService(impl->service.get());
  builder.SetMaxReceiveMessageSize(256 << 20);
  builder.SetMaxSendMessageSize(256 << 20);
  // The other nodes ping every 2 s (ChannelTo, cluster_node.cc) to notice a
  // stopped node; gRPC's default would answer such pings with GOAWAY
  // (too_many_pings).
  builder.AddChannelArgument(
      GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 500);
  builder.AddChannelArgument(GRPC_ARG_HTTP2_MAX_PING_STRIKES, 0);
  impl->server = builder.BuildAndStart();
  if (!impl->server || port == 0) {
    return Status::Unavailable(
        "cannot listen for the cluster's internal API "
        "on " +
        address + " ([cluster] advertise_address)");
  }
  return std::unique_ptr<ShardRpcServer>(new ShardRpcServer(std::move(impl)));
}

}  // namespace proximadb::cluster
