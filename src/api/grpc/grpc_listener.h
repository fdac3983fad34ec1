// GrpcListener: our own TCP listener for the plaintext gRPC port; each
// accepted connection is handed to the grpc::Server.
//
// Why not gRPC's listener: in gRPC 1.51 (Debian 12) a failed accept4() other
// than EAGAIN — EMFILE when the process is out of file descriptors — makes
// the listener give up for good: the port stays bound but no connection is
// ever accepted again, although the server keeps serving the open ones.
// Here such an accept pauses for kAcceptRetry and tries again, logging once
// per episode, like the REST listener (api/rest/http_server.cc).
//
// gRPC only takes connections over file descriptors for plaintext
// (grpc::AddInsecureChannelFromFd), so with TLS gRPC's own listener is used
// and keeps that limitation.
//
// Thread-safety: Start/Stop/port from one thread; the accept loop runs on
// its own thread.
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <thread>

#include "proximadb/status.h"

namespace grpc {
class Server;
}

namespace proximadb::grpc_api {

class GrpcListener {
 public:
  // How long accepting pauses after the process ran out of descriptors.
  static constexpr std::chrono::milliseconds kAcceptRetry{100};

  // Binds and listens on host:port (port 0 picks a free one; an IPv6
  // address accepts IPv4 too). Failures are kUnavailable with the reason.
  static Result<std::unique_ptr<GrpcListener>> Bind(const std::string& host,
                                                    uint16_t port);

  GrpcListener(const GrpcListener&) = delete;
  GrpcListener& operator=(const GrpcListener&) = delete;
  ~GrpcListener();  // Stop()s and closes the socket

  uint16_t port() const { return port_; }
  // Starts accepting; every connection goes to `server`, which must stay
  // alive until Stop() returns.
  void Start(grpc::Server* server);
  // Stops accepting and joins the accept thread. Idempotent.
  void Stop();

 private:
  GrpcListener() = default;
  void Loop();
  // Sleeps up to `d`; false when Stop() woke it.
  bool Pause(std::chrono::milliseconds d);

  int fd_ = -1;
  int wake_[2] = {-1, -1};  // a pipe: Stop() writes to end the loop
  uint16_t port_ = 0;
  grpc::Server* server_ = nullptr;
  std::thread thread_;
};

}  // namespace proximadb::grpc_api
