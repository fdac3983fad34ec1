#include "api/grpc/grpc_listener.h"

#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <grpcpp/server.h>
#include <grpcpp/server_posix.h>
#include <spdlog/spdlog.h>

namespace proximadb::grpc_api {

namespace {

std::string Errno(int e) { return std::strerror(e); }

// Accept errors that mean "no resources now" rather than a problem with
// one connection.
bool OutOfResources(int e) {
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}

}  // namespace

Result<std::unique_ptr<GrpcListener>> GrpcListener::Bind(
    const std::string& host, uint16_t port) {
  const std::string where = host + ":" + std::to_string(port);
  addrinfo hints{};
  hints.ai_family = AF_UNSPEC;
  hints.ai_socktype = SOCK_STREAM;
  hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
  addrinfo* found = nullptr;
  const std::string service = std::to_string(port);
  if (int rc = getaddrinfo(host.c_str(), service.c_str(), &hints, &found);
      rc != 0 || found == nullptr) {
    return Status::Unavailable("cannot listen on " + where + ": " +
                               gai_strerror(rc));
  }
  std::unique_ptr<GrpcListener> l(new GrpcListener());
  const addrinfo& a = *found;
  l->fd_ = socket(a.ai_family, a.ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC,
                  a.ai_protocol);
  Status failed;
  if (l->fd_ < 0) {
    failed = Status::Unavailable("cannot open socket for " + where + ": " +
                                 Errno(errno));
  } else {
    int one = 1, zero = 0;
    setsockopt(l->fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    // Dual stack on "::", as gRPC's own listener.
    if (a.ai_family == AF_INET6) {
      setsockopt(l->fd_, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
    }
    if (bind(l->fd_, a.ai_addr, a.ai_addrlen) != 0 ||
        listen(l->fd_, SOMAXCONN) != 0) {
      failed =
          Status::Unavailable("cannot listen on " + where + ": " +
                              Errno(errno) + " (address in use or invalid)");
    }
  }
  freeaddrinfo(found);
  if (!failed.ok()) return failed;
  sockaddr_storage bound{};
  socklen_t len = sizeof bound;
  if (getsockname(l->fd_, reinterpret_cast<sockaddr*>(&bound), &len) != 0) {
    return Status::Unavailable("cannot read the bound port: " + Errno(errno));
  }
  l->port_ = ntohs(bound.ss_family == AF_INET6
                       ? reinterpret_cast<sockaddr_in6*>(&bound)->sin6_port
                       : reinterpret_cast<sockaddr_in*>(&bound)->sin_port);
  if (pipe2(l->wake_, O_CLOEXEC | O_NONBLOCK) != 0) {
    return Status::Unavailable("cannot create a pipe: " + Errno(errno));
  }
  return l;
}

GrpcListener::~GrpcListener() {
  Stop();
  for (int fd : {fd_, wake_[0], wake_[1]}) {
    if (fd >= 0) close(fd);
  }
}

void GrpcListener::Start(grpc::Server* server) {
  server_ = server;
  thread_ = std::thread([this] { Loop(); });
}

void GrpcListener::Stop() {
  if (!thread_.joinable()) return;
  const char byte = 0;
  while (write(wake_[1], &byte, 1) < 0 && errno == EINTR) {
  }
  thread_.join();
}

bool GrpcListener::Pause(std::chrono::milliseconds d) {
  pollfd p{wake_[0], POLLIN, 0};
  return poll(&p, 1, static_cast<int>(d.count())) == 0;
}

void GrpcListener::Loop() {
  uint64_t refused = 0;  // accepts refused for lack of resources, this episode
  for (;;) {
    pollfd p[2] = {{fd_, POLLIN, 0}, {wake_[0], POLLIN, 0}};
    if (poll(p, 2, -1) < 0) {
      if (errno == EINTR) continue;
      spdlog::error("gRPC: poll on the listening socket failed: {}",
                    Errno(errno));
      if (!Pause(kAcceptRetry)) return;
      continue;
    }
    if (p[1].revents != 0) return;
    // Accept everything pending, then wait for more.
    for (;;) {
      const int c =
          accept4(fd_, nullptr, nullptr, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (c >= 0) {
        if (refused > 0) {
          spdlog::info(
              "gRPC: accepting connections again ({} attempts refused)",
              refused);
          refused = 0;
        }
        int one = 1;
        setsockopt(c, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        grpc::AddInsecureChannelFromFd(server_, c);  // gRPC owns c now
        continue;
      }
      const int e = errno;
      if (e == EINTR) continue;
      if (e == EAGAIN || e == EWOULDBLOCK || e == ECONNABORTED) break;
      if (refused++ == 0) {  // once per episode
        if (OutOfResources(e)) {
          spdlog::error(
              "gRPC: cannot accept connections: {}; open connections are "
              "still served, accepting is retried every {} ms (raise the "
              "open-files limit, ulimit -n, if this recurs)",
              Errno(e), kAcceptRetry.count());
        } else {
          spdlog::warn("gRPC: accept failed: {}; retrying", Errno(e));
        }
      }
      // Retrying at once would fail at once and spin a core.
      if (!Pause(kAcceptRetry)) return;
    }
  }
}

}  // namespace proximadb::grpc_api
