// GrpcServer: the gRPC front end of the VectorService (synchronous gRPC
// server; gRPC's own thread pool runs the RPCs, which block on fsync like
// the REST handlers do).
//
// Around every RPC an interceptor gives it a request id (the client's
// `x-request-id` metadata when valid, else a new one), returns it in the
// initial and trailing metadata `x-request-id`, and writes the access-log
// line (service/request_log.h).
//
// Limits: messages over max_message_bytes are refused by gRPC
// (RESOURCE_EXHAUSTED); each connection may carry at most
// max_concurrent_streams RPCs at once (further ones wait in the client);
// a connection without RPCs for idle_timeout_ms is closed with GOAWAY
// (clients reconnect transparently); the server pings a connection after
// keepalive_time_ms without traffic and drops it when no answer comes within
// keepalive_timeout_ms, so a vanished client's RPCs and buffers are freed.
//
// Beside the API (ServiceName()) the port serves the standard services that
// operators and generic tools call (docs/API.md, "gRPC health and
// reflection"), without an API key, as REST's /health:
//  * grpc.health.v1.Health (gRPC's default health service): SERVING for ""
//    and for ServiceName() from the start, NOT_SERVING for both from the
//    moment Stop begins (watchers are told); any other name is NOT_FOUND;
//  * server reflection, grpc.reflection.v1alpha.ServerReflection: the
//    services and the descriptors of proximadb.proto, so that grpcurl and
//    the like list and call the API without the .proto file.
//
// Plaintext connections are accepted by a GrpcListener of ours, which
// survives running out of file descriptors (gRPC 1.51's own listener stops
// accepting for good on the first EMFILE); see grpc_listener.h.
//
// Thread-safety: Start/Stop/port may be called from any one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "api/grpc/grpc_listener.h"
#include "api/grpc/grpc_service.h"
#include "proximadb/status.h"
#include "service/service.h"

namespace grpc {
class Server;
}

namespace proximadb::grpc_api {

class GrpcService;

struct GrpcOptions {
  // Host to listen on (numeric IPv4/IPv6 or a name). Default "0.0.0.0".
  std::string bind_address = "0.0.0.0";
  // TCP port; 0 picks a free one (see GrpcServer::port()). Default 5678.
  uint16_t port = 5678;
  // Largest accepted request message; larger ones fail with
  // RESOURCE_EXHAUSTED before reaching the service (the REST 413).
  // Default 64 MB.
  uint64_t max_message_bytes = 64ull << 20;
  // How long Stop() lets in-flight RPCs finish. Default 10000 ms.
  uint32_t shutdown_grace_ms = 10000;
  // API keys, in-flight bound and metrics (see GrpcGates); default off.
  GrpcGates gates;
  // HTTP/2 streams (RPCs) at once per connection. Default 100.
  uint32_t max_concurrent_streams = 100;
  // A connection with no RPC for this long is closed. Default 300000 ms.
  uint32_t idle_timeout_ms = 300000;
  // Keepalive ping after this much silence, and how long its answer may
  // take. Defaults 60000 / 20000 ms.
  uint32_t keepalive_time_ms = 60000;
  uint32_t keepalive_timeout_ms = 20000;
  // One access-log line per RPC. Default true.
  bool access_log = true;
  // TLS: PEM certificate chain and private key; both empty = plaintext.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

class GrpcServer {
 public:
  // Binds and starts serving. A bad address or a port in use is
  // kUnavailable; only one of the TLS PEMs, or PEMs gRPC cannot use, is
  // kInvalidArgument. `service` must outlive the server.
  static Result<std::unique_ptr<GrpcServer>> Start(
      const GrpcOptions& options, service::VectorService* service);

  GrpcServer(const GrpcServer&) = delete;
  GrpcServer& operator=(const GrpcServer&) = delete;
  ~GrpcServer();  // Stop()s

  uint16_t port() const { return port_; }
  // The API's full gRPC service name, "proximadb.v1.ProximaDB".
  static std::string ServiceName();
  // Refuses new RPCs (UNAVAILABLE), waits up to shutdown_grace_ms for the
  // ones in flight, then shuts gRPC down (cancelling any still running).
  // Idempotent.
  void Stop();

 private:
  GrpcServer() = default;

  GrpcOptions options_;
  std::unique_ptr<GrpcService> impl_;
  // Plaintext only (see grpc_listener.h); with TLS gRPC listens itself.
  std::unique_ptr<GrpcListener> listener_;
  std::unique_ptr<grpc::Server> server_;
  uint16_t port_ = 0;
  bool stopped_ = false;
};

}  // namespace proximadb::grpc_api
