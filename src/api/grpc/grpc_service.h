// GrpcService: the proximadb.v1.ProximaDB service. Each RPC decodes its
// request (proto_codec), calls one VectorService typed operation — the same
// one the REST route calls — and encodes the answer; errors map through
// grpc_status. No exception leaves an RPC: anything thrown becomes INTERNAL.
//
// Thread-safety: as the VectorService (safe for concurrent use); gRPC runs
// RPCs on its own thread pool, and engine calls block on fsync there.
#pragma once

#include <atomic>
#include <string_view>
#include <vector>

#include "proximadb/v1/proximadb.grpc.pb.h"
#include "service/auth.h"
#include "service/limits.h"
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

// The gates every RPC passes (null = off), shared with the REST transport:
// API key (UNAUTHENTICATED / PERMISSION_DENIED; Health is always open), a
// slot of the in-flight bound (UNAVAILABLE when full), and metrics.
struct GrpcGates {
  const service::ApiKeys* api_keys = nullptr;
  service::InflightLimit* inflight = nullptr;
  service::Metrics* metrics = nullptr;
};

class GrpcService final : public ::proximadb::v1::ProximaDB::Service {
 public:
  // `svc` and the gates must outlive this object.
  explicit GrpcService(service::VectorService* svc, GrpcGates gates = {})
      : svc_(svc), gates_(gates) {}

  // After this, new RPCs fail with UNAVAILABLE without reaching the service
  // (GrpcServer::Stop drains the ones in flight, then shuts gRPC down).
  void StopAccepting() { stopping_.store(true); }
  // RPCs currently inside the service.
  int in_flight() const { return in_flight_.load(); }

  using Ctx = ::grpc::ServerContext;
  using S = ::grpc::Status;
  template <typename T>
  using In = const T*;

  S Health(Ctx*, In<v1::HealthRequest>, v1::HealthResponse*) override;
  S CreateCollection(Ctx*, In<v1::CreateCollectionRequest>,
                     v1::CollectionInfo*) override;
  S ListCollections(Ctx*, In<v1::ListCollectionsRequest>,
                    v1::ListCollectionsResponse*) override;
  S GetCollection(Ctx*, In<v1::GetCollectionRequest>,
                  v1::CollectionInfo*) override;
  S UpdateCollection(Ctx*, In<v1::UpdateCollectionRequest>,
                     v1::CollectionInfo*) override;
  S DeleteCollection(Ctx*, In<v1::DeleteCollectionRequest>,
                     v1::DeleteCollectionResponse*) override;
  S Upsert(Ctx*, In<v1::UpsertRequest>, v1::UpsertResponse*) override;
  S BatchUpsert(Ctx*, In<v1::BatchUpsertRequest>,
                v1::BatchUpsertResponse*) override;
  S Get(Ctx*, In<v1::GetRequest>, v1::Point*) override;
  S DeleteByIds(Ctx*, In<v1::DeleteByIdsRequest>, v1::DeleteResponse*) override;
  S DeleteByFilter(Ctx*, In<v1::DeleteByFilterRequest>,
                   v1::DeleteResponse*) override;
  S UpdateMetadata(Ctx*, In<v1::UpdateMetadataRequest>,
                   v1::UpdateMetadataResponse*) override;
  S Count(Ctx*, In<v1::CountRequest>, v1::CountResponse*) override;
  S Scroll(Ctx*, In<v1::ScrollRequest>, v1::ScrollResponse*) override;
  S Search(Ctx*, In<v1::SearchRequest>, v1::SearchResponse*) override;
  S BatchSearch(Ctx*, In<v1::BatchSearchRequest>,
                v1::BatchSearchResponse*) override;
  S Flush(Ctx*, In<v1::FlushRequest>, v1::FlushResponse*) override;
  S Compact(Ctx*, In<v1::CompactRequest>, v1::CompactResponse*) override;
  S CollectionStats(Ctx*, In<v1::CollectionStatsRequest>,
                    v1::CollectionStatsResponse*) override;
  S CreatePayloadIndex(Ctx*, In<v1::CreatePayloadIndexRequest>,
                       v1::PayloadIndexesResponse*) override;
  S ListPayloadIndexes(Ctx*, In<v1::ListPayloadIndexesRequest>,
                       v1::PayloadIndexesResponse*) override;
  S DeletePayloadIndex(Ctx*, In<v1::DeletePayloadIndexRequest>,
                       v1::PayloadIndexesResponse*) override;
  S ListQuarantine(Ctx*, In<v1::ListQuarantineRequest>,
                   v1::ListQuarantineResponse*) override;
  S ClearQuarantine(Ctx*, In<v1::ClearQuarantineRequest>,
                    v1::ClearQuarantineResponse*) override;

 private:
  // Runs one RPC body (see grpc_service.cc).
  template <typename Body>
  S Run(service::Operation op, Ctx* ctx, Body body);
  // The API-key check; not OK = refused, with *code set to the metrics'
  // code label.
  S Gated(service::Operation op, Ctx* ctx, size_t* code);

  service::VectorService* svc_;
  GrpcGates gates_;
  std::atomic<bool> stopping_{false};
  std::atomic<int> in_flight_{0};
};

}  // namespace proximadb::grpc_api
