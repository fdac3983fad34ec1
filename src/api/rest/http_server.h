// RestServer: HTTP/1.1 (Boost.Beast on Asio) front end of the VectorService.
//
// Threading: one io_context run by a fixed pool of N threads (N = hardware
// threads, at least 2). Every connection lives on its own strand, and a
// request is handled synchronously on whichever pool thread completed its read
// — including the blocking engine call (which fsyncs). That thread is then
// busy, but the others keep accepting and serving every other connection, so a
// slow write stalls only its own connection; at most N engine calls run at
// once, which bounds the load the server puts on the disk. We chose this over
// a separate worker pool because it needs no queue (no unbounded buffering, no
// handoff latency) and each handler apart from the engine call is short.
//
// Keep-alive is honoured; reads and writes time out after request_timeout_ms:
// a client that sends half a request (or nothing) is disconnected when it
// runs out, so slow clients cannot hold a connection or a thread forever.
// Bodies larger than body_limit_bytes are refused with 413 by the Beast parser
// (before the body is read), after which the connection is closed gracefully:
// the rest of the upload is drained briefly so that the client sees the 413
// instead of a reset. "Expect: 100-continue" is answered.
//
// Request ids: the client's X-Request-Id when it is a safe token, otherwise
// a new one; echoed in every answer's X-Request-Id and in the access log.
//
// Thread-safety: Start/Stop/port may be called from any one thread.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include "proximadb/status.h"
#include "service/auth.h"
#include "service/inflight_limit.h"
#include "service/metrics.h"
#include "service/service.h"

namespace proximadb::rest {

class DashboardFiles;  // api/rest/dashboard.h

struct RestOptions {
  // Address to listen on; a numeric IPv4/IPv6 address or a host name.
  // Default "0.0.0.0".
  std::string bind_address = "0.0.0.0";
  // TCP port; 0 picks a free one (see RestServer::port()). Default 8080.
  uint16_t port = 8080;
  // Pool threads; 0 = hardware threads, at least 2. Default 0.
  unsigned threads = 0;
  // Largest accepted request body. Default 64 MB.
  uint64_t body_limit_bytes = 64ull << 20;
  // Time allowed to read one request or write one response, and the idle
  // time of a keep-alive connection. Default 30000 ms.
  uint32_t request_timeout_ms = 30000;
  // How long Stop() waits for in-flight requests. Default 10000 ms.
  uint32_t shutdown_grace_ms = 10000;
  // Shared gates (see router.h RequestContext); null = off. They must
  // outlive the server.
  const service::ApiKeys* api_keys = nullptr;
  service::InflightLimit* inflight = nullptr;
  service::Metrics* metrics = nullptr;
  // Serve GET /metrics (needs `metrics`). Default true.
  bool metrics_endpoint = true;
  // The web dashboard's files (api/rest/dashboard.h); null = no dashboard
  // (its paths answer 404). Must outlive the server.
  const DashboardFiles* dashboard = nullptr;
  // One access-log line per request (service/request_log.h). Every answer
  // carries X-Request-Id either way. Default true.
  bool access_log = true;
  // HTTPS: PEM certificate chain and private key; both empty = plain HTTP.
  // TLS 1.2+; a client that does not complete the handshake within
  // request_timeout_ms is dropped.
  std::string tls_cert_pem;
  std::string tls_key_pem;
};

class RestServer {
 public:
  // Binds, listens and starts the pool. Failures (bad address, port in use)
  // come back as kInvalidArgument / kUnavailable with the OS reason; an
  // unusable certificate or key as kInvalidArgument.
  // `service` must outlive the server.
  static Result<std::unique_ptr<RestServer>> Start(
      const RestOptions& options, service::VectorService* service);

  RestServer(const RestServer&) = delete;
  RestServer& operator=(const RestServer&) = delete;
  ~RestServer();  // Stop()s

  // The port actually bound (useful with port 0).
  uint16_t port() const;
  // Stops accepting, lets in-flight requests finish (up to
  // shutdown_grace_ms), closes the remaining connections and joins the
  // pool. Idempotent.
  void Stop();

  class Impl;

 private:
  explicit RestServer(std::shared_ptr<Impl> impl);
  std::shared_ptr<Impl> impl_;
};

}  // namespace proximadb::rest
