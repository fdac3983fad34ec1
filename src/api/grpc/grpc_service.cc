#include "api/grpc/grpc_service.h"

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "api/grpc/grpc_status.h"
#include "api/grpc/proto_codec.h"
#include "api/grpc/request_decode.h"
#include "util/mutex.h"
#include "util/time_format.h"

namespace proximadb::grpc_api {

using service::Operation;
using S = ::grpc::Status;

const std::vector<GrpcMethod>& GrpcMethods() {
  // The method names are the operations' names (service/operations.h).
  static const std::vector<GrpcMethod> methods = [] {
    std::vector<GrpcMethod> out;
    for (const service::OperationInfo& info : service::kOperations) {
      out.push_back({info.op, info.name});
    }
    return out;
  }();
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

GrpcService::GrpcService(service::VectorService* svc, GrpcGates gates)
    : svc_(svc), gates_(gates) {
  using G = GrpcService;
  Add(Operation::kHealth, &G::Health);
  Add(Operation::kCreateCollection, &G::CreateCollection);
  Add(Operation::kListCollections, &G::ListCollections);
  Add(Operation::kGetCollection, &G::GetCollection);
  Add(Operation::kUpdateCollection, &G::UpdateCollection);
  Add(Operation::kDeleteCollection, &G::DeleteCollection);
  Add(Operation::kUpsert, &G::Upsert);
  Add(Operation::kBatchUpsert, &G::BatchUpsert);
  Add(Operation::kGet, &G::Get);
  Add(Operation::kDeleteByIds, &G::DeleteByIds);
  Add(Operation::kDeleteByFilter, &G::DeleteByFilter);
  Add(Operation::kUpdateMetadata, &G::UpdateMetadata);
  Add(Operation::kGetPoints, &G::GetPoints);
  Add(Operation::kPatchMetadata, &G::PatchMetadata);
  Add(Operation::kRecommend, &G::Recommend);
  Add(Operation::kQuery, &G::Query);
  Add(Operation::kCount, &G::Count);
  Add(Operation::kScroll, &G::Scroll);
  Add(Operation::kFacet, &G::Facet);
  Add(Operation::kSearch, &G::Search);
  Add(Operation::kBatchSearch, &G::BatchSearch);
  Add(Operation::kFlush, &G::Flush);
  Add(Operation::kCompact, &G::Compact);
  Add(Operation::kCollectionStats, &G::CollectionStats);
  Add(Operation::kCreatePayloadIndex, &G::CreatePayloadIndex);
  Add(Operation::kListPayloadIndexes, &G::ListPayloadIndexes);
  Add(Operation::kDeletePayloadIndex, &G::DeletePayloadIndex);
  Add(Operation::kListQuarantine, &G::ListQuarantine);
  Add(Operation::kClearQuarantine, &G::ClearQuarantine);
  Add(Operation::kListSegments, &G::ListSegments);
  Add(Operation::kMoveSegment, &G::MoveSegment);
  Add(Operation::kMigrate, &G::Migrate);
  Add(Operation::kGetMigration, &G::GetMigration);
  Add(Operation::kCancelMigration, &G::CancelMigration);
  Add(Operation::kUpdateAliases, &G::UpdateAliases);
  Add(Operation::kListAliases, &G::ListAliases);
  Add(Operation::kCreateSnapshot, &G::CreateSnapshot);
  Add(Operation::kListSnapshots, &G::ListSnapshots);
  Add(Operation::kGetSnapshot, &G::GetSnapshot);
  Add(Operation::kDeleteSnapshot, &G::DeleteSnapshot);
  Add(Operation::kRestoreSnapshot, &G::RestoreSnapshot);
  Add(Operation::kRestorePointInTime, &G::RestorePointInTime);
  Add(Operation::kCreateDatabaseSnapshot, &G::CreateDatabaseSnapshot);
  Add(Operation::kGetCluster, &G::GetCluster);
  Add(Operation::kDrainNode, &G::DrainNode);
  AddChanges();
}

void GrpcService::AddChanges() {
  namespace gi = ::grpc::internal;
  using Handler = gi::ServerStreamingHandler<GrpcService, ::grpc::ByteBuffer,
                                             ::grpc::ByteBuffer>;
  const Operation op = Operation::kChanges;
  paths_.push_back(std::string("/") + v1::ProximaDB::service_full_name() + "/" +
                   std::string(service::OperationName(op)));
  types_.push_back(
      {op, v1::ChangesRequest::descriptor(), v1::ChangeEvent::descriptor()});
  AddMethod(new gi::RpcServiceMethod(
      paths_.back().c_str(), gi::RpcMethod::SERVER_STREAMING,
      new Handler(
          [](GrpcService* self, Ctx* ctx, const ::grpc::ByteBuffer* in,
             ::grpc::ServerWriter<::grpc::ByteBuffer>* out) {
            return self->Changes(ctx, in, out);
          },
          this)));
}

namespace {

// A streaming write the client does not take within this is cut off
// (CANCELLED): a slow consumer never holds the server's memory or thread
// for long; it resumes from its last seq.
constexpr auto kStreamWriteTimeout = std::chrono::seconds(30);
// How long one wait for new writes lasts before the stream checks for
// cancellation and shutdown.
constexpr uint64_t kFollowWaitMs = 200;
constexpr size_t kChangesPerRead = 256;

void EncodeChange(const Change& c, bool with_vectors, v1::ChangeEvent* ev) {
  ev->Clear();
  ev->set_seq(c.seq);
  ev->set_index(c.index);
  ev->set_batch_ops(c.batch_ops);
  ev->set_time_unix_micros(c.time_unix_micros);
  ev->set_op(std::string(ChangeOpName(c.op)));
  ev->set_id(c.id);
  ev->set_expires_at(EncodeExpiresAt(c.expires_at_micros));
  if (with_vectors) {
    ev->mutable_vector()->Add(c.vector.begin(), c.vector.end());
    EncodeSparseVectors(c.sparse_vectors, ev->mutable_sparse_vectors());
    EncodeNamedVectors(c.named_vectors, ev->mutable_vectors());
  }
  if (c.op != Change::Op::kDelete && !c.metadata_json.empty()) {
    nlohmann::json md = nlohmann::json::parse(c.metadata_json, nullptr,
                                              /*allow_exceptions=*/false);
    if (md.is_object()) JsonToStruct(md, ev->mutable_metadata());
  }
}

}  // namespace

S GrpcService::Changes(Ctx* ctx, const ::grpc::ByteBuffer* in,
                       ::grpc::ServerWriter<::grpc::ByteBuffer>* out) {
  // Opening passes the admission chain like any RPC (key, in-flight slot,
  // metrics); the stream itself then runs outside it, so a long-lived feed
  // neither holds a slot nor delays a shutdown's drain.
  v1::ChangesRequest req;
  std::unique_ptr<ChangeReader> reader;
  S opened = Run(Operation::kChanges, ctx, [&]() -> Status {
    if (Status s = DecodeRequest(*in, &req); !s.ok()) {
      ctx->AddTrailingMetadata(kUndecodableMarker, "1");
      return s;
    }
    std::optional<uint64_t> from;
    if (req.has_from_seq()) from = req.from_seq();
    PDB_ASSIGN_OR_RETURN(reader, svc_->OpenChanges(req.collection(), from));
    return Status::OK();
  });
  if (!opened.ok()) return opened;
  const bool follow = !req.has_follow() || req.follow();
  const bool with_vectors = !req.has_with_vectors() || req.with_vectors();

  // The watchdog cancels the call when one Write blocks too long.
  Mutex mu;
  CondVar cv;
  bool done = false;
  std::optional<std::chrono::steady_clock::time_point> writing;
  std::thread watchdog([&] {
    MutexLock lock(&mu);
    while (!done) {
      cv.WaitFor(&mu, std::chrono::seconds(1));
      if (writing &&
          std::chrono::steady_clock::now() - *writing > kStreamWriteTimeout) {
        ctx->TryCancel();
        writing.reset();
      }
    }
  });
  auto stop_watchdog = [&] {
    {
      MutexLock lock(&mu);
      done = true;
      cv.SignalAll();
    }
    watchdog.join();
  };

  std::vector<Change> changes;
  v1::ChangeEvent ev;
  S result = S::OK;
  while (true) {
    if (ctx->IsCancelled()) {
      result = S(::grpc::StatusCode::CANCELLED, "change feed cancelled");
      break;
    }
    if (stopping_.load()) {
      result =
          ToGrpcStatus(Status::Unavailable("server is shutting down"), ctx);
      break;
    }
    changes.clear();
    Status s =
        reader->Next(kChangesPerRead, follow ? kFollowWaitMs : 0, &changes);
    if (!s.ok()) {
      result = ToGrpcStatus(s, ctx);
      break;
    }
    if (changes.empty()) {
      if (!follow) break;
      continue;
    }
    bool ok = true;
    for (const Change& c : changes) {
      EncodeChange(c, with_vectors, &ev);
      ::grpc::ByteBuffer buf;
      bool own = false;
      if (!::grpc::SerializationTraits<v1::ChangeEvent>::Serialize(ev, &buf,
                                                                   &own)
               .ok()) {
        result = ToGrpcStatus(Status::Internal("cannot encode a change"), ctx);
        ok = false;
        break;
      }
      {
        MutexLock lock(&mu);
        writing = std::chrono::steady_clock::now();
      }
      const bool written = out->Write(buf);
      {
        MutexLock lock(&mu);
        writing.reset();
      }
      if (!written) {
        result = S(::grpc::StatusCode::CANCELLED,
                   "change feed: the client stopped reading");
        ok = false;
        break;
      }
    }
    if (!ok) break;
  }
  stop_watchdog();
  return result;
}

template <typename Req, typename Resp>
void GrpcService::Add(Operation op, Body<Req, Resp> body) {
  namespace gi = ::grpc::internal;
  using Handler =
      gi::RpcMethodHandler<GrpcService, ::grpc::ByteBuffer, ::grpc::ByteBuffer>;
  paths_.push_back(std::string("/") + v1::ProximaDB::service_full_name() + "/" +
                   std::string(service::OperationName(op)));
  types_.push_back({op, Req::descriptor(), Resp::descriptor()});
  AddMethod(new gi::RpcServiceMethod(
      paths_.back().c_str(), gi::RpcMethod::NORMAL_RPC,
      new Handler(
          [op, body](GrpcService* self, Ctx* ctx, const ::grpc::ByteBuffer* in,
                     ::grpc::ByteBuffer* out) {
            return self->Unary(op, body, ctx, in, out);
          },
          this)));
}

template <typename Req, typename Resp>
S GrpcService::Unary(Operation op, Body<Req, Resp> body, Ctx* ctx,
                     const ::grpc::ByteBuffer* in, ::grpc::ByteBuffer* out) {
  return Run(op, ctx, [&]() -> Status {
    Req req;
    if (Status s = DecodeRequest(*in, &req); !s.ok()) {
      ctx->AddTrailingMetadata(kUndecodableMarker, "1");
      return s;
    }
    Resp resp;
    PDB_RETURN_IF_ERROR((this->*body)(req, &resp));
    bool own_buffer = false;
    S encoded =
        ::grpc::SerializationTraits<Resp>::Serialize(resp, out, &own_buffer);
    if (!encoded.ok()) {
      return Status::Internal("cannot encode the answer: " +
                              encoded.error_message());
    }
    return Status::OK();
  });
}

// The transport edge: counts the RPC in flight (for draining on shutdown),
// refuses it once shutdown began, then runs the body through the admission
// chain (service/admission.h: key, permission, in-flight slot, metrics,
// exceptions to INTERNAL).
template <typename Fn>
S GrpcService::Run(Operation op, Ctx* ctx, Fn body) {
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
  struct Answer {
    S status;
    size_t code;  // the metrics' code label
  };
  auto answer = [ctx](const Status& s) {
    return Answer{ToGrpcStatus(s, ctx), service::CodeIndex(s.code())};
  };
  auto refused = [&](const service::Refusal& why) {
    using Kind = service::Refusal::Kind;
    if (why.kind == Kind::kOverloaded) {
      return answer(Status::Unavailable(why.message));
    }
    const bool unauth = why.kind == Kind::kUnauthenticated;
    ctx->AddTrailingMetadata(kErrorMetadataKey,
                             unauth ? "unauthenticated" : "permission_denied");
    return Answer{S(unauth ? ::grpc::StatusCode::UNAUTHENTICATED
                           : ::grpc::StatusCode::PERMISSION_DENIED,
                    why.message),
                  why.code};
  };
  const std::string_view key = service::PresentedKey(
      Metadata(ctx, "authorization"), Metadata(ctx, "api-key"));
  return service::Admit(
             gates_, service::Protocol::kGrpc, op, key, start,
             [&] { return answer(body()); }, refused, answer,
             [](const Answer& a) { return a.code; })
      .status;
}

Status GrpcService::Health(const v1::HealthRequest&, v1::HealthResponse* out) {
  service::HealthInfo h = svc_->GetHealth();
  out->set_status(h.status);
  out->set_version(h.version);
  out->set_collections_recovering(h.collections_recovering);
  out->set_collections_fenced(h.collections_fenced);
  return Status::OK();
}

Status GrpcService::CreateCollection(const v1::CreateCollectionRequest& in,
                                     v1::CollectionInfo* out) {
  PDB_ASSIGN_OR_RETURN(CollectionConfig config, DecodeCreateCollection(in));
  PDB_ASSIGN_OR_RETURN(CollectionInfo info, svc_->CreateCollection(config));
  EncodeCollection(info, svc_->flush_defaults(), svc_->tiering_defaults(), out);
  return Status::OK();
}

Status GrpcService::ListCollections(const v1::ListCollectionsRequest&,
                                    v1::ListCollectionsResponse* out) {
  for (const CollectionInfo& info : svc_->ListCollections()) {
    EncodeCollection(info, svc_->flush_defaults(), svc_->tiering_defaults(),
                     out->add_collections());
  }
  out->set_total_count(out->collections_size());
  return Status::OK();
}

Status GrpcService::GetCollection(const v1::GetCollectionRequest& in,
                                  v1::CollectionInfo* out) {
  PDB_ASSIGN_OR_RETURN(CollectionInfo info, svc_->GetCollection(in.name()));
  EncodeCollection(info, svc_->flush_defaults(), svc_->tiering_defaults(), out);
  return Status::OK();
}

Status GrpcService::UpdateCollection(const v1::UpdateCollectionRequest& in,
                                     v1::CollectionInfo* out) {
  PDB_ASSIGN_OR_RETURN(
      CollectionInfo info,
      svc_->UpdateCollection(in.name(), DecodeFlushPolicy(in.flush_policy()),
                             DecodeTieringPolicy(in.tiering())));
  EncodeCollection(info, svc_->flush_defaults(), svc_->tiering_defaults(), out);
  return Status::OK();
}

Status GrpcService::DeleteCollection(const v1::DeleteCollectionRequest& in,
                                     v1::DeleteCollectionResponse* out) {
  PDB_RETURN_IF_ERROR(svc_->DeleteCollection(in.name()));
  out->set_name(in.name());
  out->set_status("deleted");
  return Status::OK();
}

Status GrpcService::Upsert(const v1::UpsertRequest& in,
                           v1::UpsertResponse* out) {
  if (!in.has_point()) {
    return Status::InvalidArgument("missing required field 'point'");
  }
  PDB_ASSIGN_OR_RETURN(Point p, DecodePoint(in.point()));
  std::vector<Point> points;
  points.push_back(std::move(p));
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       svc_->Upsert(in.collection(), std::move(points)));
  if (ids.size() != 1) return Status::Internal("engine returned no id");
  out->set_id(ids[0]);
  out->set_status("ok");
  return Status::OK();
}

Status GrpcService::BatchUpsert(const v1::BatchUpsertRequest& in,
                                v1::BatchUpsertResponse* out) {
  std::vector<Point> points;
  points.reserve(in.points_size());
  for (int i = 0; i < in.points_size(); ++i) {
    Result<Point> p = DecodePoint(in.points(i));
    if (!p.ok()) {
      // Named as in the REST body, so both transports give one message.
      return Status(p.status().code(), "vectors[" + std::to_string(i) +
                                           "]: " + p.status().message());
    }
    points.push_back(std::move(p).value());
  }
  PDB_ASSIGN_OR_RETURN(std::vector<std::string> ids,
                       svc_->BatchUpsert(in.collection(), std::move(points)));
  out->set_total_count(ids.size());
  for (std::string& id : ids) out->add_inserted_ids(std::move(id));
  return Status::OK();
}

Status GrpcService::Get(const v1::GetRequest& in, v1::Point* out) {
  PDB_ASSIGN_OR_RETURN(StoredPoint p, svc_->GetPoint(in.collection(), in.id()));
  EncodeStoredPoint(p, /*include_vector=*/true, out);
  return Status::OK();
}

Status GrpcService::DeleteByIds(const v1::DeleteByIdsRequest& in,
                                v1::DeleteResponse* out) {
  std::vector<std::string> ids(in.ids().begin(), in.ids().end());
  PDB_ASSIGN_OR_RETURN(uint64_t n, svc_->DeleteByIds(in.collection(), ids));
  out->set_deleted_count(n);
  return Status::OK();
}

Status GrpcService::DeleteByFilter(const v1::DeleteByFilterRequest& in,
                                   v1::DeleteResponse* out) {
  PDB_ASSIGN_OR_RETURN(nlohmann::json filter,
                       DecodeFilter(in.has_filter(), in.filter()));
  PDB_ASSIGN_OR_RETURN(uint64_t n,
                       svc_->DeleteByFilter(in.collection(), filter));
  out->set_deleted_count(n);
  return Status::OK();
}

Status GrpcService::UpdateMetadata(const v1::UpdateMetadataRequest& in,
                                   v1::UpdateMetadataResponse* out) {
  if (!in.has_metadata()) {
    return Status::InvalidArgument("missing required field 'metadata'");
  }
  PDB_ASSIGN_OR_RETURN(nlohmann::json metadata, StructToJson(in.metadata()));
  PDB_RETURN_IF_ERROR(
      svc_->UpdateMetadata(in.collection(), in.id(), std::move(metadata)));
  out->set_id(in.id());
  out->set_status("updated");
  return Status::OK();
}

Status GrpcService::GetPoints(const v1::GetPointsRequest& in,
                              v1::GetPointsResponse* out) {
  std::vector<std::string> ids(in.ids().begin(), in.ids().end());
  PDB_ASSIGN_OR_RETURN(std::vector<StoredPoint> points,
                       svc_->GetPoints(in.collection(), ids));
  const bool with_vector = !in.has_include_vector() || in.include_vector();
  const bool with_metadata =
      !in.has_include_metadata() || in.include_metadata();
  for (StoredPoint& p : points) {
    if (!with_metadata) p.metadata = nlohmann::json();
    EncodeStoredPoint(p, with_vector, out->add_points());
  }
  return Status::OK();
}

Status GrpcService::PatchMetadata(const v1::PatchMetadataRequest& in,
                                  v1::PatchMetadataResponse* out) {
  if ((in.ids_size() > 0) == in.has_filter()) {
    return Status::InvalidArgument(
        "give exactly one of 'ids' (an array of ids) or 'filter' (an object)");
  }
  MetadataPatch patch;
  if (in.has_set()) {
    PDB_ASSIGN_OR_RETURN(patch.set, StructToJson(in.set()));
  }
  patch.unset.assign(in.unset().begin(), in.unset().end());
  PatchResult r;
  if (in.has_filter()) {
    PDB_ASSIGN_OR_RETURN(nlohmann::json filter, StructToJson(in.filter()));
    PDB_ASSIGN_OR_RETURN(
        r, svc_->PatchMetadataByFilter(in.collection(), filter, patch));
  } else {
    std::vector<std::string> ids(in.ids().begin(), in.ids().end());
    PDB_ASSIGN_OR_RETURN(r, svc_->PatchMetadata(in.collection(), ids, patch));
  }
  out->set_updated_count(r.updated);
  for (const auto& id : r.not_found) out->add_not_found(id);
  return Status::OK();
}

Status GrpcService::Count(const v1::CountRequest& in, v1::CountResponse* out) {
  PDB_ASSIGN_OR_RETURN(nlohmann::json filter,
                       DecodeFilter(in.has_filter(), in.filter()));
  PDB_ASSIGN_OR_RETURN(uint64_t n, svc_->Count(in.collection(), filter));
  out->set_count(n);
  return Status::OK();
}

Status GrpcService::Scroll(const v1::ScrollRequest& in,
                           v1::ScrollResponse* out) {
  PDB_ASSIGN_OR_RETURN(ScrollRequest req, DecodeScroll(in));
  PDB_ASSIGN_OR_RETURN(ScrollPage page, svc_->Scroll(in.collection(), req));
  EncodeScrollPage(page, req.include_vector, out);
  return Status::OK();
}

Status GrpcService::Facet(const v1::FacetRequest& in, v1::FacetResponse* out) {
  PDB_ASSIGN_OR_RETURN(FacetRequest req, DecodeFacet(in));
  PDB_ASSIGN_OR_RETURN(FacetResult r, svc_->Facet(in.collection(), req));
  EncodeFacet(r, out);
  return Status::OK();
}

Status GrpcService::Search(const v1::SearchRequest& in,
                           v1::SearchResponse* out) {
  PDB_ASSIGN_OR_RETURN(SearchRequest req, DecodeSearch(in));
  PDB_ASSIGN_OR_RETURN(SearchResult r, svc_->Search(in.collection(), req));
  EncodeSearchResult(r, req, out);
  return Status::OK();
}

Status GrpcService::Recommend(const v1::RecommendRequest& in,
                              v1::SearchResponse* out) {
  PDB_ASSIGN_OR_RETURN(RecommendRequest req, DecodeRecommend(in));
  PDB_ASSIGN_OR_RETURN(SearchResult r, svc_->Recommend(in.collection(), req));
  EncodeSearchResult(r, req.query, out);
  return Status::OK();
}

Status GrpcService::Query(const v1::QueryRequest& in, v1::SearchResponse* out) {
  PDB_ASSIGN_OR_RETURN(service::QueryRequest req, DecodeQuery(in));
  PDB_ASSIGN_OR_RETURN(SearchResult r, svc_->Query(in.collection(), req));
  SearchRequest shape;  // what the answer carries
  shape.include_vector = req.include_vector;
  shape.include_metadata = req.include_metadata;
  EncodeSearchResult(r, shape, out);
  return Status::OK();
}

Status GrpcService::BatchSearch(const v1::BatchSearchRequest& in,
                                v1::BatchSearchResponse* out) {
  std::vector<SearchRequest> queries;
  queries.reserve(in.queries_size());
  for (int i = 0; i < in.queries_size(); ++i) {
    Result<SearchRequest> q = DecodeSearch(in.queries(i));
    if (!q.ok()) {
      return Status(q.status().code(), "queries[" + std::to_string(i) +
                                           "]: " + q.status().message());
    }
    queries.push_back(std::move(q).value());
  }
  PDB_ASSIGN_OR_RETURN(std::vector<SearchResult> results,
                       svc_->BatchSearch(in.collection(), queries));
  for (size_t i = 0; i < results.size(); ++i) {
    EncodeSearchResult(results[i], queries[i], out->add_results());
  }
  return Status::OK();
}

Status GrpcService::Flush(const v1::FlushRequest& in, v1::FlushResponse* out) {
  PDB_ASSIGN_OR_RETURN(std::string name, svc_->Resolve(in.collection()));
  PDB_RETURN_IF_ERROR(svc_->Flush(name));
  out->set_name(name);
  out->set_status("flushed");
  return Status::OK();
}

Status GrpcService::Compact(const v1::CompactRequest& in,
                            v1::CompactResponse* out) {
  PDB_ASSIGN_OR_RETURN(std::string name, svc_->Resolve(in.collection()));
  PDB_RETURN_IF_ERROR(svc_->Compact(name));
  out->set_name(name);
  out->set_status("compacted");
  return Status::OK();
}

Status GrpcService::CollectionStats(const v1::CollectionStatsRequest& in,
                                    v1::CollectionStatsResponse* out) {
  PDB_ASSIGN_OR_RETURN(CollectionInfo info,
                       svc_->CollectionStats(in.collection()));
  EncodeStats(info, out);
  return Status::OK();
}

Status GrpcService::CreatePayloadIndex(const v1::CreatePayloadIndexRequest& in,
                                       v1::PayloadIndexesResponse* out) {
  PayloadIndexDef def;
  def.field = in.field();
  PDB_ASSIGN_OR_RETURN(def.type, ParsePayloadIndexType(in.type()));
  PDB_ASSIGN_OR_RETURN(std::string name, svc_->Resolve(in.collection()));
  PDB_ASSIGN_OR_RETURN(auto defs, svc_->CreatePayloadIndex(name, def));
  EncodePayloadIndexes(name, defs, out);
  return Status::OK();
}

Status GrpcService::ListPayloadIndexes(const v1::ListPayloadIndexesRequest& in,
                                       v1::PayloadIndexesResponse* out) {
  PDB_ASSIGN_OR_RETURN(std::string name, svc_->Resolve(in.collection()));
  PDB_ASSIGN_OR_RETURN(auto defs, svc_->ListPayloadIndexes(name));
  EncodePayloadIndexes(name, defs, out);
  return Status::OK();
}

Status GrpcService::DeletePayloadIndex(const v1::DeletePayloadIndexRequest& in,
                                       v1::PayloadIndexesResponse* out) {
  PDB_ASSIGN_OR_RETURN(std::string name, svc_->Resolve(in.collection()));
  PDB_ASSIGN_OR_RETURN(auto defs, svc_->DeletePayloadIndex(name, in.field()));
  EncodePayloadIndexes(name, defs, out);
  return Status::OK();
}

Status GrpcService::ListQuarantine(const v1::ListQuarantineRequest&,
                                   v1::ListQuarantineResponse* out) {
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
}

Status GrpcService::ClearQuarantine(const v1::ClearQuarantineRequest& in,
                                    v1::ClearQuarantineResponse* out) {
  if (in.has_id() && in.id().empty()) {
    return Status::InvalidArgument(
        "field 'id' is empty (leave it unset to clear every entry)");
  }
  PDB_ASSIGN_OR_RETURN(uint64_t n, svc_->ClearQuarantine(in.id()));
  out->set_deleted_count(n);
  return Status::OK();
}

Status GrpcService::ListSegments(const v1::ListSegmentsRequest& in,
                                 v1::ListSegmentsResponse* out) {
  PDB_ASSIGN_OR_RETURN(std::vector<SegmentInfo> segments,
                       svc_->ListSegments(in.collection()));
  for (const SegmentInfo& s : segments) EncodeSegment(s, out->add_segments());
  return Status::OK();
}

Status GrpcService::MoveSegment(const v1::MoveSegmentRequest& in,
                                v1::SegmentInfo* out) {
  PDB_ASSIGN_OR_RETURN(
      SegmentInfo s,
      svc_->MoveSegment(in.collection(), in.segment_id(), in.tier()));
  EncodeSegment(s, out);
  return Status::OK();
}

Status GrpcService::Migrate(const v1::MigrateRequest& in, v1::Migration* out) {
  PDB_ASSIGN_OR_RETURN(MigrationStatus m,
                       svc_->Migrate(in.collection(), DecodeLayout(in.to())));
  EncodeMigration(m, out);
  return Status::OK();
}

Status GrpcService::GetMigration(const v1::GetMigrationRequest& in,
                                 v1::Migration* out) {
  PDB_ASSIGN_OR_RETURN(MigrationStatus m, svc_->GetMigration(in.collection()));
  EncodeMigration(m, out);
  return Status::OK();
}

Status GrpcService::CancelMigration(const v1::CancelMigrationRequest& in,
                                    v1::Migration* out) {
  PDB_ASSIGN_OR_RETURN(MigrationStatus m,
                       svc_->CancelMigration(in.collection()));
  EncodeMigration(m, out);
  return Status::OK();
}

Status GrpcService::UpdateAliases(const v1::UpdateAliasesRequest& in,
                                  v1::AliasesResponse* out) {
  PDB_ASSIGN_OR_RETURN(std::vector<AliasAction> actions,
                       DecodeAliasActions(in));
  PDB_ASSIGN_OR_RETURN(std::vector<AliasInfo> after,
                       svc_->UpdateAliases(actions));
  EncodeAliases(after, out);
  return Status::OK();
}

Status GrpcService::ListAliases(const v1::ListAliasesRequest&,
                                v1::AliasesResponse* out) {
  EncodeAliases(svc_->ListAliases(), out);
  return Status::OK();
}

Status GrpcService::GetCluster(const v1::GetClusterRequest&,
                               v1::ClusterInfo* out) {
  PDB_ASSIGN_OR_RETURN(ClusterInfo info, svc_->GetCluster());
  EncodeClusterInfo(info, out);
  return Status::OK();
}

// cancel = false starts the drain (REST POST .../drain), true cancels it
// (DELETE .../drain): the same typed call.
Status GrpcService::DrainNode(const v1::DrainNodeRequest& in,
                              v1::DrainNodeReply* out) {
  PDB_RETURN_IF_ERROR(svc_->DrainNode(in.node_id(), !in.cancel()));
  out->set_node_id(in.node_id());
  out->set_draining(!in.cancel());
  return Status::OK();
}

// Snapshots: the same typed service functions as REST.
Status GrpcService::CreateSnapshot(const v1::CreateSnapshotRequest& in,
                                   v1::SnapshotResponse* out) {
  PDB_ASSIGN_OR_RETURN(SnapshotInfo s,
                       svc_->CreateSnapshot(in.collection(), in.target()));
  EncodeSnapshot(s, /*with_files=*/false, out->mutable_snapshot());
  return Status::OK();
}

Status GrpcService::CreateDatabaseSnapshot(
    const v1::CreateDatabaseSnapshotRequest& in, v1::SnapshotResponse* out) {
  PDB_ASSIGN_OR_RETURN(SnapshotInfo s,
                       svc_->CreateDatabaseSnapshot(in.target()));
  EncodeSnapshot(s, /*with_files=*/false, out->mutable_snapshot());
  return Status::OK();
}

Status GrpcService::ListSnapshots(const v1::ListSnapshotsRequest& in,
                                  v1::ListSnapshotsResponse* out) {
  PDB_ASSIGN_OR_RETURN(std::vector<SnapshotInfo> all,
                       svc_->ListSnapshots(in.collection()));
  for (const SnapshotInfo& s : all) {
    EncodeSnapshot(s, /*with_files=*/false, out->add_snapshots());
  }
  return Status::OK();
}

Status GrpcService::GetSnapshot(const v1::GetSnapshotRequest& in,
                                v1::SnapshotResponse* out) {
  PDB_ASSIGN_OR_RETURN(SnapshotInfo s,
                       svc_->GetSnapshot(in.collection(), in.id()));
  EncodeSnapshot(s, /*with_files=*/true, out->mutable_snapshot());
  return Status::OK();
}

Status GrpcService::DeleteSnapshot(const v1::DeleteSnapshotRequest& in,
                                   v1::DeleteSnapshotResponse* out) {
  PDB_RETURN_IF_ERROR(svc_->DeleteSnapshot(in.collection(), in.id()));
  out->set_id(in.id());
  out->set_status("deleted");
  return Status::OK();
}

Status GrpcService::RestoreSnapshot(const v1::RestoreSnapshotRequest& in,
                                    v1::RestoreSnapshotResponse* out) {
  RestoreOptions o;
  o.target_collection = in.target_collection();
  o.overwrite = in.overwrite();
  PDB_ASSIGN_OR_RETURN(RestoreResult r,
                       svc_->RestoreSnapshot(in.collection(), in.id(), o));
  EncodeRestoreResult(r, out);
  return Status::OK();
}

Status GrpcService::RestorePointInTime(const v1::RestorePointInTimeRequest& in,
                                       v1::RestoreSnapshotResponse* out) {
  PointInTimeOptions o;
  o.target_collection = in.target_collection();
  o.overwrite = in.overwrite();
  if (in.has_as_of()) {
    PDB_ASSIGN_OR_RETURN(o.as_of_micros, ParseRfc3339(in.as_of(), "as_of"));
  }
  if (in.has_sequence()) o.sequence = in.sequence();
  PDB_ASSIGN_OR_RETURN(RestoreResult r,
                       svc_->RestorePointInTime(in.collection(), o));
  EncodeRestoreResult(r, out);
  return Status::OK();
}

}  // namespace proximadb::grpc_api
