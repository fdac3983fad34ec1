// GrpcService: the proximadb.v1.ProximaDB service. Each RPC checks the API
// key, decodes its request bytes (request_decode, then proto_codec), calls
// one VectorService typed operation — the same one the REST route calls —
// and encodes the answer; errors map through grpc_status. A request that
// cannot be decoded is INVALID_ARGUMENT with the reason. No exception leaves
// an RPC: anything thrown becomes INTERNAL.
//
// Thread-safety: as the VectorService (safe for concurrent use); gRPC runs
// RPCs on its own thread pool, and engine calls block on fsync there.
#pragma once

#include <atomic>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include <grpcpp/grpcpp.h>

#include "proximadb/v1/proximadb.grpc.pb.h"
#include "service/admission.h"
#include "service/auth.h"
#include "service/inflight_limit.h"
#include "service/metrics.h"
#include "service/operations.h"
#include "service/service.h"

namespace proximadb::grpc_api {

// Which RPC serves which service operation; tests check that it covers
// service::kOperations and the methods of the generated service descriptor
// one to one.
struct GrpcMethod {
  service::Operation op;
  std::string_view rpc;  // method name in proximadb.v1.ProximaDB
};
const std::vector<GrpcMethod>& GrpcMethods();

// The gates every RPC passes (null = off), shared with the REST transport
// through the one admission chain (service/admission.h): API key
// (UNAUTHENTICATED / PERMISSION_DENIED; Health is always open), a slot of
// the in-flight bound (UNAVAILABLE when full), and metrics.
using GrpcGates = service::AdmissionGates;

// Trailing metadata that marks an RPC refused because its request could not
// be decoded. The access-log interceptor removes it before the trailer is
// sent and writes such lines through a rate limit: a client sending garbage
// in a loop must not be able to flood the log.
inline constexpr const char* kUndecodableMarker = "x-proximadb-undecodable";

// What a registered method takes and returns (for the test that checks
// them against the generated descriptor).
struct GrpcMethodTypes {
  service::Operation op;
  const google::protobuf::Descriptor* request;
  const google::protobuf::Descriptor* response;
};

// Every method is registered raw (bytes in, bytes out) and decodes its own
// request (request_decode.h): gRPC's generated decoding would answer any
// undecodable request INTERNAL with no message, before the API-key check.
class GrpcService final : public ::grpc::Service {
 public:
  // `svc` and the gates must outlive this object.
  explicit GrpcService(service::VectorService* svc, GrpcGates gates = {});

  // After this, new RPCs fail with UNAVAILABLE without reaching the service
  // (GrpcServer::Stop drains the ones in flight, then shuts gRPC down).
  void StopAccepting() { stopping_.store(true); }
  // RPCs currently inside the service.
  int in_flight() const { return in_flight_.load(); }
  // The methods registered, in registration order.
  const std::vector<GrpcMethodTypes>& method_types() const { return types_; }

 private:
  using Ctx = ::grpc::ServerContext;
  using S = ::grpc::Status;
  template <typename Req, typename Resp>
  using Body = Status (GrpcService::*)(const Req&, Resp*);

  // Registers `body` as the RPC named after `op`.
  template <typename Req, typename Resp>
  void Add(service::Operation op, Body<Req, Resp> body);
  // One call of a registered method: gates, decode, body, encode.
  template <typename Req, typename Resp>
  S Unary(service::Operation op, Body<Req, Resp> body, Ctx* ctx,
          const ::grpc::ByteBuffer* in, ::grpc::ByteBuffer* out);
  // The change feed, a server-streaming RPC (registered by hand).
  void AddChanges();
  S Changes(Ctx* ctx, const ::grpc::ByteBuffer* in,
            ::grpc::ServerWriter<::grpc::ByteBuffer>* out);
  // Runs one RPC body through the admission chain (see grpc_service.cc).
  template <typename Fn>
  S Run(service::Operation op, Ctx* ctx, Fn body);

  // The RPC bodies, on decoded requests.
  Status Health(const v1::HealthRequest&, v1::HealthResponse*);
  Status CreateCollection(const v1::CreateCollectionRequest&,
                          v1::CollectionInfo*);
  Status ListCollections(const v1::ListCollectionsRequest&,
                         v1::ListCollectionsResponse*);
  Status GetCollection(const v1::GetCollectionRequest&, v1::CollectionInfo*);
  Status UpdateCollection(const v1::UpdateCollectionRequest&,
                          v1::CollectionInfo*);
  Status DeleteCollection(const v1::DeleteCollectionRequest&,
                          v1::DeleteCollectionResponse*);
  Status Upsert(const v1::UpsertRequest&, v1::UpsertResponse*);
  Status BatchUpsert(const v1::BatchUpsertRequest&, v1::BatchUpsertResponse*);
  Status Get(const v1::GetRequest&, v1::Point*);
  Status DeleteByIds(const v1::DeleteByIdsRequest&, v1::DeleteResponse*);
  Status DeleteByFilter(const v1::DeleteByFilterRequest&, v1::DeleteResponse*);
  Status UpdateMetadata(const v1::UpdateMetadataRequest&,
                        v1::UpdateMetadataResponse*);
  Status GetPoints(const v1::GetPointsRequest&, v1::GetPointsResponse*);
  Status Recommend(const v1::RecommendRequest&, v1::SearchResponse*);
  Status Query(const v1::QueryRequest&, v1::SearchResponse*);
  Status PatchMetadata(const v1::PatchMetadataRequest&,
                       v1::PatchMetadataResponse*);
  Status Count(const v1::CountRequest&, v1::CountResponse*);
  Status Scroll(const v1::ScrollRequest&, v1::ScrollResponse*);
  Status Facet(const v1::FacetRequest&, v1::FacetResponse*);
  Status Search(const v1::SearchRequest&, v1::SearchResponse*);
  Status BatchSearch(const v1::BatchSearchRequest&, v1::BatchSearchResponse*);
  Status Flush(const v1::FlushRequest&, v1::FlushResponse*);
  Status Compact(const v1::CompactRequest&, v1::CompactResponse*);
  Status CollectionStats(const v1::CollectionStatsRequest&,
                         v1::CollectionStatsResponse*);
  Status CreatePayloadIndex(const v1::CreatePayloadIndexRequest&,
                            v1::PayloadIndexesResponse*);
  Status ListPayloadIndexes(const v1::ListPayloadIndexesRequest&,
                            v1::PayloadIndexesResponse*);
  Status DeletePayloadIndex(const v1::DeletePayloadIndexRequest&,
                            v1::PayloadIndexesResponse*);
  Status ListQuarantine(const v1::ListQuarantineRequest&,
                        v1::ListQuarantineResponse*);
  Status ClearQuarantine(const v1::ClearQuarantineRequest&,
                         v1::ClearQuarantineResponse*);
  Status ListSegments(const v1::ListSegmentsRequest&,
                      v1::ListSegmentsResponse*);
  Status MoveSegment(const v1::MoveSegmentRequest&, v1::SegmentInfo*);
  Status Migrate(const v1::MigrateRequest&, v1::Migration*);
  Status GetMigration(const v1::GetMigrationRequest&, v1::Migration*);
  Status CancelMigration(const v1::CancelMigrationRequest&, v1::Migration*);
  Status UpdateAliases(const v1::UpdateAliasesRequest&, v1::AliasesResponse*);
  Status ListAliases(const v1::ListAliasesRequest&, v1::AliasesResponse*);
  Status CreateSnapshot(const v1::CreateSnapshotRequest&,
                        v1::SnapshotResponse*);
  Status ListSnapshots(const v1::ListSnapshotsRequest&,
                       v1::ListSnapshotsResponse*);
  Status GetSnapshot(const v1::GetSnapshotRequest&, v1::SnapshotResponse*);
  Status DeleteSnapshot(const v1::DeleteSnapshotRequest&,
                        v1::DeleteSnapshotResponse*);
  Status RestoreSnapshot(const v1::RestoreSnapshotRequest&,
                         v1::RestoreSnapshotResponse*);
  Status RestorePointInTime(const v1::RestorePointInTimeRequest&,
                            v1::RestoreSnapshotResponse*);
  Status CreateDatabaseSnapshot(const v1::CreateDatabaseSnapshotRequest&,
                                v1::SnapshotResponse*);
  Status GetCluster(const v1::GetClusterRequest&, v1::ClusterInfo*);
  Status DrainNode(const v1::DrainNodeRequest&, v1::DrainNodeReply*);

  service::VectorService* svc_;
  GrpcGates gates_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0};
  // Method paths ("/proximadb.v1.ProximaDB/Upsert"): gRPC keeps pointers to
  // them, and a deque never moves its elements.
  std::deque<std::string> paths_;
  std::vector<GrpcMethodTypes> types_;
};

}  // namespace proximadb::grpc_api
