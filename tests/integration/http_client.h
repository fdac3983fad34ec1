// A small synchronous HTTP/1.1 client (Boost.Beast) for the integration tests.
// One HttpClient keeps one keep-alive connection and reconnects when the
// server closed it. Never throws: transport failures come back as status 0
// with the reason in `body`.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

namespace proximadb::testing {

struct HttpReply {
  unsigned status = 0;  // 0: transport failure
  std::string body;
  std::string allow;       // Allow header
  std::string connection;  // Connection header
  std::string content_type;
  std::string retry_after;
  bool keep_alive = false;

  // The body as JSON (discarded value when it is not JSON).
  nlohmann::json json() const {
    return nlohmann::json::parse(body, nullptr, /*allow_exceptions=*/false);
  }
  // The "error" field of an error body, or "".
  std::string error() const {
    nlohmann::json j = json();
    if (j.is_object() && j.contains("error") && j["error"].is_string()) {
      return j["error"].get<std::string>();
    }
    return "";
  }
};

class HttpClient {
 public:
  explicit HttpClient(uint16_t port) : port_(port) {}

  // `headers`: extra request headers (name, value).
  HttpReply Request(
      const std::string& method, const std::string& target,
      const std::string& body = "",
      const std::vector<std::pair<std::string, std::string>>& headers = {}) {
    namespace beast = boost::beast;
    namespace http = beast::http;
    using tcp = boost::asio::ip::tcp;
    HttpReply reply;
    try {
      if (!socket_ || !socket_->is_open()) {
        socket_.emplace(ioc_);
        socket_->connect(
            tcp::endpoint(boost::asio::ip::make_address("127.0.0.1"), port_));
      }
      http::request<http::string_body> req;
      req.method_string(method);
      req.target(target);
      req.version(11);
      req.set(http::field::host, "127.0.0.1");
      req.keep_alive(true);
      for (const auto& [name, value] : headers) req.set(name, value);
      if (!body.empty() || method == "POST") {
        req.set(http::field::content_type, "application/json");
        req.body() = body;
      }
      req.prepare_payload();
      http::write(*socket_, req);
      beast::flat_buffer buffer;
      http::response_parser<http::string_body> parser;
      parser.body_limit(1ull << 30);
      http::read(*socket_, buffer, parser);
      auto res = parser.release();
      reply.status = res.result_int();
      reply.body = res.body();
      reply.allow = std::string(res[http::field::allow]);
      reply.connection = std::string(res[http::field::connection]);
      reply.content_type = std::string(res[http::field::content_type]);
      reply.retry_after = std::string(res[http::field::retry_after]);
      reply.keep_alive = res.keep_alive();
      if (!reply.keep_alive) Reset();
    } catch (const std::exception& e) {
      Reset();
      reply.status = 0;
      reply.body = e.what();
    }
    return reply;
  }

  HttpReply Get(const std::string& target) { return Request("GET", target); }
  HttpReply Delete(const std::string& target) {
    return Request("DELETE", target);
  }
  HttpReply Post(const std::string& target, const std::string& body) {
    return Request("POST", target, body);
  }
  HttpReply Post(const std::string& target, const nlohmann::json& body) {
    return Request("POST", target, body.dump());
  }

  void Reset() {
    if (socket_) {
      boost::system::error_code ec;
      socket_->close(ec);
    }
    socket_.reset();
  }

 private:
  uint16_t port_;
  boost::asio::io_context ioc_;
  std::optional<boost::asio::ip::tcp::socket> socket_;
};

}  // namespace proximadb::testing
