#include "api/grpc/grpc_service.h"

#include <chrono>
#include <exception>
#include <string>
#include <utility>

#include "api/grpc/grpc_status.h"
#include "api/grpc/proto_codec.h"

namespace proximadb::grpc_api {

using service::Operation;
using S = ::grpc::Status;

const std::vector<GrpcMethod>& GrpcMethods() {
  static const std::vector<GrpcMethod> methods = {
      {Operation::kHealth, "Health"},
      {Operation::kCreateCollection, "CreateCollection"},
      {Operation::kListCollections, "ListCollections"},
      {Operation::kGetCollection, "GetCollection"},
      {Operation::kUpdateCollection, "UpdateCollection"},
      {Operation::kDeleteCollection, "DeleteCollection"},
      {Operation::kUpsert, "Upsert"},
      {Operation::kBatchUpsert, "BatchUpsert"},
      {Operation::kGet, "Get"},
      {Operation::kDeleteByIds, "DeleteByIds"},
      {Operation::kDeleteByFilter, "DeleteByFilter"},
      {Operation::kUpdateMetadata, "UpdateMetadata"},
      {Operation::kCount, "Count"},
      {Operation::kScroll, "Scroll"},
      {Operation::kSearch, "Search"},
      {Operation::kBatchSearch, "BatchSearch"},
      {Operation::kFlush, "Flush"},
      {Operation::kCompact, "Compact"},
      {Operation::kCollectionStats, "CollectionStats"},
      {Operation::kCreatePayloadIndex, "CreatePayloadIndex"},
      {Operation::kListPayloadIndexes, "ListPayloadIndexes"},
      {Operation::kDeletePayloadIndex, "DeletePayloadIndex"},
      {Operation::kListQuarantine, "ListQuarantine"},
      {Operation::kClearQuarantine, "ClearQuarantine"},
  };
  return methods;
}

namespace {

// The first value of metadata `key` ("" when absent).
std::string_view Metadata(const ::grpc::ServerContext* ctx,
                          std::string_view key) {
  const auto& md = ctx->client_metadata();
  auto it = md.find(::grpc::string_ref(key.data(), key.size()));
  if (it == md.end()) return {};
  return std::string_view(it->second.data(), it->second.size());
}

}  // namespace

S GrpcService::Gated(Operation op, Ctx* ctx, size_t* code) {
  using service::AuthOutcome;
  using service::Protocol;
  using service::RejectReason;
  if (op == Operation::kHealth) return S::OK;  // probes need no key
  if (gates_.api_keys != nullptr) {
    AuthOutcome a = gates_.api_keys->Check(
        service::PresentedKey(Metadata(ctx, "authorization"),
                              Metadata(ctx, "api-key")),
        op);
    if (a != AuthOutcome::kAllowed) {
      const bool unauth = a == AuthOutcome::kUnauthenticated;
      *code = unauth ? service::kCodeUnauthenticated
                     : service::kCodePermissionDenied;
      if (gates_.metrics != nullptr) {
        gates_.metrics->Reject(
            Protocol::kGrpc,
            unauth ? RejectReason::kUnauthenticated : RejectReason::kForbidden);
      }
      ctx->AddTrailingMetadata(
          kErrorMetadataKey, unauth ? "unauthenticated" : "permission_denied");
      return S(unauth ? ::grpc::StatusCode::UNAUTHENTICATED
                      : ::grpc::StatusCode::PERMISSION_DENIED,
               std::string(service::AuthMessage(a)));
    }
  }
  return S::OK;
}

// The transport edge: counts the RPC in flight (for draining on shutdown),
// refuses it once shutdown began, and turns third-party exceptions
// (bad_alloc, a protobuf or json failure) into INTERNAL.
template <typename Body>
S GrpcService::Run(Operation op, Ctx* ctx, Body body) {
  struct InFlight {
    std::atomic<int>& n;
    explicit InFlight(std::atomic<int>& c) : n(c) { n.fetch_add(1); }
    ~InFlight() { n.fetch_sub(1); }
  } guard(in_flight_);
  // Checked after counting, so Stop() never sees zero while a call that
  // passed this check is still running.
  if (stopping_.load()) {
    return ToGrpcStatus(Status::Unavailable("server is shutting down"), ctx);
  }
  const auto start = std::chrono::steady_clock::now();
  size_t code = service::CodeIndex(StatusCode::kOk);
  S result = Gated(op, ctx, &code);
  // Health is never refused for load (liveness probes must get through).
  service::InflightLimit::Slot slot(
      result.ok() && op != Operation::kHealth ? gates_.inflight : nullptr);
  if (!slot.acquired()) {
    if (gates_.metrics != nullptr) {
      gates_.metrics->Reject(service::Protocol::kGrpc,
                             service::RejectReason::kOverloaded);
    }
    Status busy = Status::Unavailable("too many requests in flight (limit " +
                                      std::to_string(gates_.inflight->max()) +
                                      "); retry shortly");
    code = service::CodeIndex(busy.code());
    result = ToGrpcStatus(busy, ctx);
  } else if (result.ok()) {
    Status s;
    try {
      s = body();
    } catch (const std::exception& e) {
      s = Status::Internal(std::string("unexpected error: ") + e.what());
    } catch (...) {
      s = Status::Internal("unexpected error");
    }
    code = service::CodeIndex(s.code());
    result = ToGrpcStatus(s, ctx);
  }
  if (gates_.metrics != nullptr) {
    gates_.metrics->Record(service::Protocol::kGrpc, op, code,
                           std::chrono::duration_cast<std::chrono::nanoseconds>(
                               std::chrono::steady_clock::now() - start));
  }
  return result;
}

S GrpcService::Health(Ctx* ctx, In<v1::HealthRequest>,
                      v1::HealthResponse* out) {
  return Run(Operation::kHealth, ctx, [&]() -> Status {
    service::HealthInfo h = svc_->GetHealth();
    out->set_status(h.status);
    out->set_version(h.version);
    return Status::OK();
  });
}

S GrpcService::CreateCollection(Ctx* ctx, In<v1::CreateCollectionRequest> in,
                                v1::CollectionInfo* out) {
  return Run(Operation::kCreateCollection, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(CollectionConfig config, DecodeCreateCollection(*in));
    PDB_ASSIGN_OR_RETURN(CollectionInfo info, svc_->CreateCollection(config));
    EncodeCollection(info, svc_->flush_defaults(), out);
    return Status::OK();
  });
}

S GrpcService::ListCollections(Ctx* ctx, In<v1::ListCollectionsRequest>,
                               v1::ListCollectionsResponse* out) {
  return Run(Operation::kListCollections, ctx, [&]() -> Status {
    for (const CollectionInfo& info : svc_->ListCollections()) {
      EncodeCollection(info, svc_->flush_defaults(), out->add_collections());
    }
    out->set_total_count(out->collections_size());
    return Status::OK();
  });
}

S GrpcService::GetCollection(Ctx* ctx, In<v1::GetCollectionRequest> in,
                             v1::CollectionInfo* out) {
  return Run(Operation::kGetCollection, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(CollectionInfo info, svc_->GetCollection(in->name()));
    EncodeCollection(info, svc_->flush_defaults(), out);
    return Status::OK();
  });
}

S GrpcService::UpdateCollection(Ctx* ctx, In<v1::UpdateCollectionRequest> in,
                                v1::CollectionInfo* out) {
  return Run(Operation::kUpdateCollection, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(
        CollectionInfo info,
        svc_->UpdateCollection(in->name(),
                               DecodeFlushPolicy(in->flush_policy())));
    EncodeCollection(info, svc_->flush_defaults(), out);
    return Status::OK();
  });
}

S GrpcService::DeleteCollection(Ctx* ctx, In<v1::DeleteCollectionRequest> in,
                                v1::DeleteCollectionResponse* out) {
  return Run(Operation::kDeleteCollection, ctx, [&]() -> Status {
    PDB_RETURN_IF_ERROR(svc_->DeleteCollection(in->name()));
    out->set_name(in->name());
    out->set_status("deleted");
    return Status::OK();
  });
}

S GrpcService::Upsert(Ctx* ctx, In<v1::UpsertRequest> in,
                      v1::UpsertResponse* out) {
  return Run(Operation::kUpsert, ctx, [&]() -> Status {
    if (!in->has_point()) {
      return Status::InvalidArgument("missing required field 'point'");
    }
    PDB_ASSIGN_OR_RETURN(Point p, DecodePoint(in->point()));
    std::vector<Point> points;
    points.push_back(std::move(p));
    PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                         svc_->Upsert(in->collection(), std::move(points)));
    if (ids.size() != 1) return Status::Internal("engine returned no id");
    out->set_id(ids[0]);
    out->set_status("ok");
    return Status::OK();
  });
}

S GrpcService::BatchUpsert(Ctx* ctx, In<v1::BatchUpsertRequest> in,
                           v1::BatchUpsertResponse* out) {
  return Run(Operation::kBatchUpsert, ctx, [&]() -> Status {
    std::vector<Point> points;
    points.reserve(in->points_size());
    for (int i = 0; i < in->points_size(); ++i) {
      Result<Point> p = DecodePoint(in->points(i));
      if (!p.ok()) {
        return Status(p.status().code(), "points[" + std::to_string(i) +
                                             "]: " + p.status().message());
      }
      points.push_back(std::move(p).value());
    }
    PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                         svc_->Upsert(in->collection(), std::move(points)));
    out->set_total_count(ids.size());
    for (std::string& id : ids) out->add_inserted_ids(std::move(id));
    return Status::OK();
  });
}

S GrpcService::Get(Ctx* ctx, In<v1::GetRequest> in, v1::Point* out) {
  return Run(Operation::kGet, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(StoredPoint p,
                         svc_->GetPoint(in->collection(), in->id()));
    EncodeStoredPoint(p, /*include_vector=*/true, out);
    return Status::OK();
  });
}

S GrpcService::DeleteByIds(Ctx* ctx, In<v1::DeleteByIdsRequest> in,
                           v1::DeleteResponse* out) {
  return Run(Operation::kDeleteByIds, ctx, [&]() -> Status {
    std::vector<std::string> ids(in->ids().begin(), in->ids().end());
    PDB_ASSIGN_OR_RETURN(uint64_t n, svc_->DeleteByIds(in->collection(), ids));
    out->set_deleted_count(n);
    return Status::OK();
  });
}

S GrpcService::DeleteByFilter(Ctx* ctx, In<v1::DeleteByFilterRequest> in,
                              v1::DeleteResponse* out) {
  return Run(Operation::kDeleteByFilter, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(nlohmann::json filter,
                         DecodeFilter(in->has_filter(), in->filter()));
    PDB_ASSIGN_OR_RETURN(uint64_t n,
                         svc_->DeleteByFilter(in->collection(), filter));
    out->set_deleted_count(n);
    return Status::OK();
  });
}

S GrpcService::UpdateMetadata(Ctx* ctx, In<v1::UpdateMetadataRequest> in,
                              v1::UpdateMetadataResponse* out) {
  return Run(Operation::kUpdateMetadata, ctx, [&]() -> Status {
    if (!in->has_metadata()) {
      return Status::InvalidArgument("missing required field 'metadata'");
    }
    PDB_ASSIGN_OR_RETURN(nlohmann::json metadata, StructToJson(in->metadata()));
    PDB_RETURN_IF_ERROR(
        svc_->UpdateMetadata(in->collection(), in->id(), std::move(metadata)));
    out->set_id(in->id());
    out->set_status("updated");
    return Status::OK();
  });
}

S GrpcService::Count(Ctx* ctx, In<v1::CountRequest> in,
                     v1::CountResponse* out) {
  return Run(Operation::kCount, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(nlohmann::json filter,
                         DecodeFilter(in->has_filter(), in->filter()));
    PDB_ASSIGN_OR_RETURN(uint64_t n, svc_->Count(in->collection(), filter));
    out->set_count(n);
    return Status::OK();
  });
}

S GrpcService::Scroll(Ctx* ctx, In<v1::ScrollRequest> in,
                      v1::ScrollResponse* out) {
  return Run(Operation::kScroll, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(ScrollRequest req, DecodeScroll(*in));
    PDB_ASSIGN_OR_RETURN(ScrollPage page, svc_->Scroll(in->collection(), req));
    EncodeScrollPage(page, req.include_vector, out);
    return Status::OK();
  });
}

S GrpcService::Search(Ctx* ctx, In<v1::SearchRequest> in,
                      v1::SearchResponse* out) {
  return Run(Operation::kSearch, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(SearchRequest req, DecodeSearch(*in));
    PDB_ASSIGN_OR_RETURN(SearchResult r, svc_->Search(in->collection(), req));
    EncodeSearchResult(r, req, out);
    return Status::OK();
  });
}

S GrpcService::BatchSearch(Ctx* ctx, In<v1::BatchSearchRequest> in,
                           v1::BatchSearchResponse* out) {
  return Run(Operation::kBatchSearch, ctx, [&]() -> Status {
    std::vector<SearchRequest> queries;
    queries.reserve(in->queries_size());
    for (int i = 0; i < in->queries_size(); ++i) {
      Result<SearchRequest> q = DecodeSearch(in->queries(i));
      if (!q.ok()) {
        return Status(q.status().code(), "queries[" + std::to_string(i) +
                                             "]: " + q.status().message());
      }
      queries.push_back(std::move(q).value());
    }
    PDB_ASSIGN_OR_RETURN(std::vector<SearchResult> results,
                         svc_->BatchSearch(in->collection(), queries));
    for (size_t i = 0; i < results.size(); ++i) {
      EncodeSearchResult(results[i], queries[i], out->add_results());
    }
    return Status::OK();
  });
}

S GrpcService::Flush(Ctx* ctx, In<v1::FlushRequest> in,
                     v1::FlushResponse* out) {
  return Run(Operation::kFlush, ctx, [&]() -> Status {
    PDB_RETURN_IF_ERROR(svc_->Flush(in->collection()));
    out->set_name(in->collection());
    out->set_status("flushed");
    return Status::OK();
  });
}

S GrpcService::Compact(Ctx* ctx, In<v1::CompactRequest> in,
                       v1::CompactResponse* out) {
  return Run(Operation::kCompact, ctx, [&]() -> Status {
    PDB_RETURN_IF_ERROR(svc_->Compact(in->collection()));
    out->set_name(in->collection());
    out->set_status("compacted");
    return Status::OK();
  });
}

S GrpcService::CollectionStats(Ctx* ctx, In<v1::CollectionStatsRequest> in,
                               v1::CollectionStatsResponse* out) {
  return Run(Operation::kCollectionStats, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(CollectionInfo info,
                         svc_->CollectionStats(in->collection()));
    EncodeStats(info, out);
    return Status::OK();
  });
}

S GrpcService::CreatePayloadIndex(Ctx* ctx,
                                  In<v1::CreatePayloadIndexRequest> in,
                                  v1::PayloadIndexesResponse* out) {
  return Run(Operation::kCreatePayloadIndex, ctx, [&]() -> Status {
    PayloadIndexDef def;
    def.field = in->field();
    PDB_ASSIGN_OR_RETURN(def.type, ParsePayloadIndexType(in->type()));
    PDB_ASSIGN_OR_RETURN(auto defs,
                         svc_->CreatePayloadIndex(in->collection(), def));
    EncodePayloadIndexes(in->collection(), defs, out);
    return Status::OK();
  });
}

S GrpcService::ListPayloadIndexes(Ctx* ctx,
                                  In<v1::ListPayloadIndexesRequest> in,
                                  v1::PayloadIndexesResponse* out) {
  return Run(Operation::kListPayloadIndexes, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(auto defs, svc_->ListPayloadIndexes(in->collection()));
    EncodePayloadIndexes(in->collection(), defs, out);
    return Status::OK();
  });
}

S GrpcService::DeletePayloadIndex(Ctx* ctx,
                                  In<v1::DeletePayloadIndexRequest> in,
                                  v1::PayloadIndexesResponse* out) {
  return Run(Operation::kDeletePayloadIndex, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(
        auto defs, svc_->DeletePayloadIndex(in->collection(), in->field()));
    EncodePayloadIndexes(in->collection(), defs, out);
    return Status::OK();
  });
}

S GrpcService::ListQuarantine(Ctx* ctx, In<v1::ListQuarantineRequest>,
                              v1::ListQuarantineResponse* out) {
  return Run(Operation::kListQuarantine, ctx, [&]() -> Status {
    PDB_ASSIGN_OR_RETURN(std::vector<QuarantineEntry> entries,
                         svc_->ListQuarantine());
    for (const QuarantineEntry& e : entries) {
      v1::QuarantineEntry* o = out->add_entries();
      o->set_id(e.id);
      o->set_original_path(e.original_path);
      o->set_reason(e.reason);
      o->set_time_unix_ms(e.time_unix_ms);
      o->set_bytes(e.bytes);
    }
    out->set_total_count(entries.size());
    return Status::OK();
  });
}

S GrpcService::ClearQuarantine(Ctx* ctx, In<v1::ClearQuarantineRequest> in,
                               v1::ClearQuarantineResponse* out) {
  return Run(Operation::kClearQuarantine, ctx, [&]() -> Status {
    if (in->has_id() && in->id().empty()) {
      return Status::InvalidArgument(
          "field 'id' is empty (leave it unset to clear every entry)");
    }
    PDB_ASSIGN_OR_RETURN(uint64_t n, svc_->ClearQuarantine(in->id()));
    out->set_deleted_count(n);
    return Status::OK();
  });
}

}  // namespace proximadb::grpc_api
