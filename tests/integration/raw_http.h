// One-shot HTTP/1.1 request over plain TCP or TLS (Boost.Beast), returning
// every response header, for the request-id and TLS integration tests.
// Never throws: a transport failure is status 0 with the reason in `body`.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

namespace proximadb::testing {

struct RawReply {
  unsigned status = 0;  // 0: transport failure (reason in body)
  std::string body;
  std::map<std::string, std::string> headers;  // names lowercased
  std::string header(const std::string& lower_name) const {
    auto it = headers.find(lower_name);
    return it == headers.end() ? "" : it->second;
  }
};

// `ca_pem` non-empty: TLS, verifying the server against that certificate
// (host name "localhost").
inline RawReply RawRequest(
    uint16_t port, const std::string& method, const std::string& target,
    const std::string& body = "",
    const std::vector<std::pair<std::string, std::string>>& headers = {},
    const std::string& ca_pem = "") {
  namespace net = boost::asio;
  namespace ssl = net::ssl;
  namespace beast = boost::beast;
  namespace http = beast::http;
  using tcp = net::ip::tcp;
  RawReply reply;
  try {
    net::io_context ioc;
    tcp::endpoint ep(net::ip::make_address("127.0.0.1"), port);
    http::request<http::string_body> req{http::string_to_verb(method), target,
                                         11};
    req.set(http::field::host, "localhost");
    for (const auto& [n, v] : headers) req.set(n, v);
    if (!body.empty()) {
      req.set(http::field::content_type, "application/json");
      req.body() = body;
    }
    req.prepare_payload();
    req.keep_alive(false);
    http::response<http::string_body> res;
    beast::flat_buffer buf;
    if (ca_pem.empty()) {
      beast::tcp_stream s(ioc);
      s.expires_after(std::chrono::seconds(10));
      s.connect(ep);
      http::write(s, req);
      http::read(s, buf, res);
    } else {
      ssl::context ctx(ssl::context::tls_client);
      ctx.add_certificate_authority(net::buffer(ca_pem));
      ctx.set_verify_mode(ssl::verify_peer);
      beast::ssl_stream<beast::tcp_stream> s(ioc, ctx);
      s.set_verify_callback(ssl::host_name_verification("localhost"));
      beast::get_lowest_layer(s).expires_after(std::chrono::seconds(10));
      beast::get_lowest_layer(s).connect(ep);
      s.handshake(ssl::stream_base::client);
      http::write(s, req);
      http::read(s, buf, res);
    }
    reply.status = res.result_int();
    reply.body = res.body();
    for (const auto& f : res) {
      std::string name(f.name_string());
      for (char& c : name) c = static_cast<char>(std::tolower(c));
      reply.headers[name] = std::string(f.value());
    }
  } catch (const std::exception& e) {
    reply.status = 0;
    reply.body = e.what();
  }
  return reply;
}

}  // namespace proximadb::testing
