#include "api/grpc/grpc_server.h"

#include <chrono>
#include <exception>
#include <limits>
#include <thread>

#include <grpcpp/grpcpp.h>

#include "api/grpc/grpc_service.h"

namespace proximadb::grpc_api {

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
    grpc::ServerBuilder builder;
    // gRPC sets SO_REUSEPORT by default, which would let a second server
    // share the port silently instead of failing to start.
    builder.AddChannelArgument(GRPC_ARG_ALLOW_REUSEPORT, 0);
    builder.AddListeningPort(where, grpc::InsecureServerCredentials(),
                             &selected);
    int limit = options.max_message_bytes >
                        static_cast<uint64_t>(std::numeric_limits<int>::max())
                    ? std::numeric_limits<int>::max()
                    : static_cast<int>(options.max_message_bytes);
    builder.SetMaxReceiveMessageSize(limit);
    // Answers (a large scroll or batch search) may be bigger than requests.
    builder.SetMaxSendMessageSize(std::numeric_limits<int>::max());
    builder.RegisterService(s->impl_.get());
    s->server_ = builder.BuildAndStart();
    if (s->server_ == nullptr || selected == 0) {
      return Status::Unavailable("cannot listen on " + where +
                                 " (address in use or invalid)");
    }
    s->port_ = static_cast<uint16_t>(selected);
    return s;
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot start gRPC server: ") +
                            e.what());
  }
}

GrpcServer::~GrpcServer() { Stop(); }

void GrpcServer::Stop() {
  if (stopped_ || server_ == nullptr) return;
  stopped_ = true;
  // Drain ourselves rather than through Shutdown(deadline): gRPC would also
  // wait, up to the deadline, for idle client connections to go away, which
  // holds a SIGTERM for seconds when nothing is running.
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
