#include "api/grpc/grpc_server.h"

#include <chrono>
#include <exception>
#include <limits>
#include <thread>

#include <grpcpp/ext/proto_server_reflection_plugin.h>
#include <grpcpp/grpcpp.h>
#include <grpcpp/health_check_service_interface.h>
#include <grpcpp/support/server_interceptor.h>

#include "api/grpc/grpc_service.h"
#include "api/grpc/grpc_status.h"
#include "service/request_log.h"

namespace proximadb::grpc_api {

namespace {

namespace gx = ::grpc::experimental;
using Hook = gx::InterceptionHookPoints;

// The code label of a finished RPC: the service's x-proximadb-error when it
// set one, else gRPC's own code in lowercase (a message over the size limit
// is gRPC's RESOURCE_EXHAUSTED, not the service's).
std::string CodeLabel(const ::grpc::Status& status,
                      const std::multimap<std::string, std::string>* trailer) {
  if (status.ok()) return "ok";
  if (trailer != nullptr) {
    auto it = trailer->find(std::string(kErrorMetadataKey));
    if (it != trailer->end()) return it->second;
  }
  static const char* const kNames[] = {"ok",
                                       "cancelled",
                                       "unknown",
                                       "invalid_argument",
                                       "deadline_exceeded",
                                       "not_found",
                                       "already_exists",
                                       "permission_denied",
                                       "resource_exhausted",
                                       "failed_precondition",
                                       "aborted",
                                       "out_of_range",
                                       "unimplemented",
                                       "internal",
                                       "unavailable",
                                       "data_loss",
                                       "unauthenticated"};
  const int c = static_cast<int>(status.error_code());
  return c >= 0 && c < 17 ? kNames[c] : "unknown";
}

// Request id and access log for one RPC (see grpc_server.h).
class AccessInterceptor final : public gx::Interceptor {
 public:
  // `undecodable` rate-limits the lines of requests that could not be
  // decoded (kUndecodableMarker); it outlives every interceptor.
  AccessInterceptor(gx::ServerRpcInfo* info, bool log,
                    service::LogLimiter* undecodable)
      : log_(log),
        undecodable_(undecodable),
        start_(std::chrono::steady_clock::now()) {
    std::string_view m = info->method() != nullptr ? info->method() : "";
    method_ = std::string(m.substr(m.rfind('/') + 1));
  }

  void Intercept(gx::InterceptorBatchMethods* b) override {
    if (b->QueryInterceptionHookPoint(Hook::POST_RECV_INITIAL_METADATA)) {
      const auto* md = b->GetRecvInitialMetadata();
      std::string_view presented;
      if (md != nullptr) {
        auto it =
            md->find(::grpc::string_ref(service::kRequestIdMetadata.data(),
                                        service::kRequestIdMetadata.size()));
        if (it != md->end()) {
          presented = std::string_view(it->second.data(), it->second.size());
        }
      }
      id_ = service::RequestIdOrNew(presented);
    }
    if (b->QueryInterceptionHookPoint(Hook::PRE_SEND_INITIAL_METADATA)) {
      b->GetSendInitialMetadata()->emplace(service::kRequestIdMetadata, Id());
    }
    if (log_ && b->QueryInterceptionHookPoint(Hook::PRE_SEND_MESSAGE)) {
      // Serialises the answer here instead of a moment later: no extra work.
      if (::grpc::ByteBuffer* buf = b->GetSerializedSendMessage()) {
        bytes_out_ += buf->Length();
      }
    }
    if (b->QueryInterceptionHookPoint(Hook::PRE_SEND_STATUS)) {
      auto* trailer = b->GetSendTrailingMetadata();
      bool undecodable = false;
      if (trailer != nullptr) {
        // The service's marker is for this log only, never for the client.
        auto marker = trailer->find(kUndecodableMarker);
        if (marker != trailer->end()) {
          undecodable = true;
          trailer->erase(marker);
        }
        trailer->emplace(service::kRequestIdMetadata, Id());
      }
      if (log_) {
        const ::grpc::Status status = b->GetSendStatus();
        const std::string code = CodeLabel(status, trailer);
        // error_message() returns a copy and AccessRecord holds views: keep
        // the copy alive until the line is written.
        const std::string message = status.error_message();
        service::AccessRecord a;
        a.request_id = Id();
        a.protocol = "grpc";
        a.operation = method_;
        a.status = static_cast<unsigned>(status.error_code());
        a.code = code;
        a.latency_ms = std::chrono::duration<double, std::milli>(
                           std::chrono::steady_clock::now() - start_)
                           .count();
        a.bytes_out = bytes_out_;
        a.message = message;
        if (undecodable) {
          service::LogAccessLimited(a, undecodable_);
        } else {
          service::LogAccess(a);
        }
      }
    }
    b->Proceed();
  }

 private:
  const std::string& Id() {
    if (id_.empty()) id_ = service::NewRequestId();
    return id_;
  }

  const bool log_;
  service::LogLimiter* const undecodable_;
  const std::chrono::steady_clock::time_point start_;
  std::string method_;
  std::string id_;
  uint64_t bytes_out_ = 0;
};

class AccessInterceptorFactory final
    : public gx::ServerInterceptorFactoryInterface {
 public:
  explicit AccessInterceptorFactory(bool log) : log_(log) {}
  gx::Interceptor* CreateServerInterceptor(gx::ServerRpcInfo* info) override {
    return new AccessInterceptor(info, log_, &undecodable_);
  }

 private:
  const bool log_;
  // One line per second at most for undecodable requests.
  service::LogLimiter undecodable_;
};

int ClampInt(uint64_t v) {
  return v > static_cast<uint64_t>(std::numeric_limits<int>::max())
             ? std::numeric_limits<int>::max()
             : static_cast<int>(v);
}

}  // namespace

Result<std::unique_ptr<GrpcServer>> GrpcServer::Start(
    const GrpcOptions& options, service::VectorService* service) {
  try {
    std::unique_ptr<GrpcServer> s(new GrpcServer());
    s->options_ = options;
    s->impl_ = std::make_unique<GrpcService>(service, options.gates);
    // An IPv6 literal needs brackets in a gRPC target.
    const std::string host = options.bind_address.find(':') != std::string::npos
                                 ? "[" + options.bind_address + "]"
                                 : options.bind_address;
    const std::string where = host + ":" + std::to_string(options.port);
    int selected = 0;
    // The standard services (grpc_server.h): process-wide switches that the
    // builder reads when it is made.
    grpc::EnableDefaultHealthCheckService(true);
    grpc::reflection::InitProtoReflectionServerBuilderPlugin();
    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which would let a second server
    // share the port silently instead of failing to start.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    const bool tls =
        !options.tls_cert_pem.empty() || !options.tls_key_pem.empty();
    std::shared_ptr<grpc::ServerCredentials> creds;
    if (tls) {
      if (options.tls_cert_pem.empty() || options.tls_key_pem.empty()) {
        return Status::InvalidArgument(
            "TLS needs both a certificate and a private key");
      }
      grpc::SslServerCredentialsOptions ssl;
      ssl.pem_key_cert_pairs.push_back(
          {options.tls_key_pem, options.tls_cert_pem});
      creds = grpc::SslServerCredentials(ssl);
      builder.AddListeningPort(where, creds, &selected);
    } else {
      // Our listener hands connections to the server (grpc_listener.h).
      PDB_ASSIGN_OR_RETURN(
          s->listener_, GrpcListener::Bind(options.bind_address, options.port));
      selected = s->listener_->port();
    }
    builder.SetMaxReceiveMessageSize(ClampInt(options.max_message_bytes));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONCURRENT_STREAMS,
                               ClampInt(options.max_concurrent_streams));
    builder.AddChannelArgument(GRPC_ARG_MAX_CONNECTION_IDLE_MS,
                               ClampInt(options.idle_timeout_ms));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIME_MS,
                               ClampInt(options.keepalive_time_ms));
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_TIMEOUT_MS,
                               ClampInt(options.keepalive_timeout_ms));
    // Clients may ping as well (some keep channels warm that way), but not
    // more often than every 10 s without data, which gRPC would otherwise
    // punish with GOAWAY after two strikes.
    builder.AddChannelArgument(GRPC_ARG_KEEPALIVE_PERMIT_WITHOUT_CALLS, 1);
    builder.AddChannelArgument(
        GRPC_ARG_HTTP2_MIN_RECV_PING_INTERVAL_WITHOUT_DATA_MS, 10000);
    std::vector<std::unique_ptr<gx::ServerInterceptorFactoryInterface>>
        interceptors;
    interceptors.push_back(
        std::make_unique<AccessInterceptorFactory>(options.access_log));
    builder.experimental().SetInterceptorCreators(std::move(interceptors));
    // Answers (a large scroll or batch search) may be bigger than requests.
    builder.SetMaxSendMessageSize(std::numeric_limits<int>::max());
    builder.RegisterService(s->impl_.get());
    s->server_ = builder.BuildAndStart();
    if (s->server_ == nullptr || selected == 0) {
      // gRPC only logs why; a bad key pair is the likely cause with TLS.
      return Status::Unavailable(
          "cannot listen on " + where +
          (tls ? " (address in use or invalid, or the TLS certificate and "
                 "key are not a usable pair)"
               : " (address in use or invalid)"));
    }
    s->port_ = static_cast<uint16_t>(selected);
    if (grpc::HealthCheckServiceInterface* health =
            s->server_->GetHealthCheckService()) {
      health->SetServingStatus(true);  // the server as a whole ("")
      health->SetServingStatus(ServiceName(), true);
    }
    if (s->listener_ != nullptr) s->listener_->Start(s->server_.get());
    return s;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot start gRPC server: ") +
                            e.what());
  }
}

std::string GrpcServer::ServiceName() {
  return ::proximadb::v1::ProximaDB::service_full_name();
}

GrpcServer::~GrpcServer() { Stop(); }

void GrpcServer::Stop() {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  // Probes and balancers watching the health service move away first.
  if (grpc::HealthCheckServiceInterface* health =
          server_->GetHealthCheckService()) {
    health->SetServingStatus(false);
  }
  // Drain ourselves rather than through Shutdown(deadline): gRPC would also
  // wait, up to the deadline, for idle client connections to go away, which
  // holds a SIGTERM for seconds when nothing is running.
  if (listener_ != nullptr) listener_->Stop();  // no new connections
  impl_->StopAccepting();
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(options_.shutdown_grace_ms);
  while (impl_->in_flight() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  server_->Shutdown(std::chrono::system_clock::now());
  server_->Wait();
}

}  // namespace proximadb::grpc_api
