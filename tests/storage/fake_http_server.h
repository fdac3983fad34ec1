// FakeHttpServer: a loopback HTTP/1.1 server on a kernel-chosen port that
// answers each request with the next canned response (the last one
// repeats), one request per connection; a response of status kForward relays
// that connection to a real server instead. The S3 store's retry, refusal and
// truncation paths are tested against it: a real server will not answer 503
// or cut a body short on demand.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cctype>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace proximadb::test_util {

struct FakeResponse {
  FakeResponse(int st, std::string hdrs = "", std::string b = "",
               size_t send = std::string::npos)
      : status(st),
        headers(std::move(hdrs)),
        body(std::move(b)),
        send_bytes(send) {}
  int status = 200;
  std::string headers;  // extra "Name: value\r\n" lines
  std::string body;
  // Send only this many body bytes (after announcing all of them), then
  // close: a connection lost mid-body.
  size_t send_bytes = std::string::npos;
};

class FakeHttpServer {
 public:
  // A response with this status relays the request to `upstream_port` on
  // loopback instead (a flaky proxy in front of a real server).
  static constexpr int kForward = 0;

  explicit FakeHttpServer(std::vector<FakeResponse> responses,
                          int upstream_port = 0)
      : responses_(std::move(responses)), upstream_port_(upstream_port) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    ::setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = 0;
    ::bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    ::listen(fd_, 16);
    socklen_t len = sizeof(addr);
    ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  FakeHttpServer(const FakeHttpServer&) = delete;
  FakeHttpServer& operator=(const FakeHttpServer&) = delete;
  ~FakeHttpServer() {
    stop_ = true;
    thread_.join();
    ::close(fd_);
  }

  int port() const { return port_; }
  std::string endpoint() const {
    return "http://127.0.0.1:" + std::to_string(port_);
  }
  int requests() const { return requests_.load(); }
  // The request lines received ("GET /bucket/key HTTP/1.1").
  std::vector<std::string> request_lines() const {
    std::lock_guard<std::mutex> l(mu_);
    return lines_;
  }

  // A port nothing listens on (bound, then closed).
  static int ClosedPort() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    socklen_t len = sizeof(addr);
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    ::close(fd);
    return ntohs(addr.sin_port);
  }

 private:
  void Serve() {
    while (!stop_) {
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, 20) <= 0) continue;
      int c = ::accept(fd_, nullptr, nullptr);
      if (c < 0) continue;
      Handle(c);
      ::close(c);
    }
  }

  void Handle(int c) {
    std::string in;
    char buf[65536];
    size_t head_end;
    while ((head_end = in.find("\r\n\r\n")) == std::string::npos) {
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) return;
      in.append(buf, static_cast<size_t>(n));
    }
    int i = requests_.fetch_add(1);
    {
      std::lock_guard<std::mutex> l(mu_);
      lines_.push_back(in.substr(0, in.find("\r\n")));
    }
    const FakeResponse& r =
        responses_[std::min<size_t>(i, responses_.size() - 1)];
    if (r.status == kForward) return Forward(c, in);
    // Read (and drop) a request body so the client is not cut off.
    size_t want = 0;
    std::string lower = in.substr(0, head_end);
    for (char& ch : lower) ch = static_cast<char>(std::tolower(ch));
    size_t cl = lower.find("content-length:");
    if (cl != std::string::npos) want = std::stoul(lower.substr(cl + 15));
    if (lower.find("expect: 100-continue") != std::string::npos) {
      SendAll(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    }
    size_t have = in.size() - head_end - 4;
    while (have < want) {
      ssize_t n = ::recv(c, buf, sizeof(buf), 0);
      if (n <= 0) break;
      have += static_cast<size_t>(n);
    }
    bool head = in.rfind("HEAD ", 0) == 0;
    std::string out =
        "HTTP/1.1 " + std::to_string(r.status) +
        " Fake\r\nContent-Length: " + std::to_string(r.body.size()) +
        "\r\nConnection: close\r\n" + r.headers + "\r\n";
    if (!head) out += r.body.substr(0, r.send_bytes);
    size_t off = 0;
    while (off < out.size()) {
      ssize_t n = ::send(c, out.data() + off, out.size() - off, MSG_NOSIGNAL);
      if (n <= 0) break;
      off += static_cast<size_t>(n);
    }
  }

  static bool SendAll(int fd, const char* p, size_t n) {
    while (n > 0) {
      ssize_t w = ::send(fd, p, n, MSG_NOSIGNAL);
      if (w <= 0) return false;
      p += w;
      n -= static_cast<size_t>(w);
    }
    return true;
  }

  // Relays the connection to 127.0.0.1:upstream_port_ byte for byte (so a
  // signed request stays valid) until the client closes.
  void Forward(int c, const std::string& already_read) {
    int u = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    addr.sin_port = htons(static_cast<uint16_t>(upstream_port_));
    if (::connect(u, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
        !SendAll(u, already_read.data(), already_read.size())) {
      ::close(u);
      return;
    }
    char buf[65536];
    bool upstream_open = true;
    while (!stop_) {
      pollfd p[2] = {{c, POLLIN, 0}, {u, POLLIN, 0}};
      if (::poll(p, upstream_open ? 2 : 1, 50) <= 0) continue;
      if (p[0].revents != 0) {
        ssize_t n = ::recv(c, buf, sizeof(buf), 0);
        if (n <= 0) break;  // the client is done
        if (upstream_open && !SendAll(u, buf, static_cast<size_t>(n))) break;
      }
      if (upstream_open && p[1].revents != 0) {
        ssize_t n = ::recv(u, buf, sizeof(buf), 0);
        if (n <= 0) {
          upstream_open = false;
          ::shutdown(c, SHUT_WR);
        } else if (!SendAll(c, buf, static_cast<size_t>(n))) {
          break;
        }
      }
    }
    ::close(u);
  }

  std::vector<FakeResponse> responses_;
  int upstream_port_ = 0;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::atomic<int> requests_{0};
  mutable std::mutex mu_;  // guards lines_
  std::vector<std::string> lines_;
  std::thread thread_;
};

}  // namespace proximadb::test_util
