#include "api/rest/http_server.h"

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <exception>
#include <optional>
#include <thread>
#include <type_traits>
#include <vector>

#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/asio/ssl.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl.hpp>

#include "api/rest/router.h"
#include "service/request_log.h"

namespace proximadb::rest {

namespace net = boost::asio;
namespace ssl = net::ssl;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;
using TlsStream = beast::ssl_stream<beast::tcp_stream>;

// State shared by the acceptor and every session.
class RestServer::Impl {
 public:
  Impl(const RestOptions& o, service::VectorService* svc)
      : options(o),
        service(svc),
        acceptor(net::make_strand(ioc)),
        accept_retry(acceptor.get_executor()) {}
  // Reached without Stop() only when Start() failed half-way: never leave a
  // joinable thread behind (that would std::terminate).
  ~Impl() {
    ioc.stop();
    for (std::thread& t : threads) {
      if (t.joinable()) t.join();
    }
  }

  RestOptions options;
  service::VectorService* service;
  net::io_context ioc;
  // Set when TLS is on; every connection then starts with a handshake.
  std::optional<ssl::context> tls;
  tcp::acceptor acceptor;
  // Re-arms accepting after the process ran out of file descriptors. It and
  // the two counters below live on the acceptor's strand.
  net::steady_timer accept_retry;
  uint64_t refused_accepts = 0;  // in the current episode
  std::vector<std::thread> threads;
  std::atomic<bool> stopping{false};
  std::atomic<int> in_flight{0};
  uint16_t bound_port = 0;
  bool stopped = false;  // only touched by Stop()

  void DoAccept();
  // After an accept failed for lack of descriptors or memory: log once per
  // episode and try again a little later instead of at once.
  void BackOffAccept(const beast::error_code& ec);
  Status SetUpTls();
};

namespace {

constexpr auto kDrainTime = std::chrono::seconds(3);
// How long accepting pauses when the process is out of file descriptors.
// Accepting again at once would fail at once: the loop would spin a core
// while the pending connection waits in the backlog anyway.
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);

// Accept errors that mean "no resources now" (EMFILE, ENFILE, ENOBUFS,
// ENOMEM) rather than a problem with one connection.
bool OutOfResources(const beast::error_code& ec) {
  if (ec.category() != boost::system::system_category()) return false;
  const int e = ec.value();
  return e == EMFILE || e == ENFILE || e == ENOBUFS || e == ENOMEM;
}
// A streamed body (ResponseStream) with nothing to send is asked again
// after kStreamPoll; after kStreamKeepAlive of silence a newline goes out,
// so a client that went away is noticed (the write fails) and proxies keep
// the connection open.
constexpr auto kStreamPoll = std::chrono::milliseconds(20);
constexpr auto kStreamKeepAlive = std::chrono::seconds(15);
constexpr size_t kSmallBuffer = 16 * 1024;
constexpr size_t kBigBuffer = 64 * 1024;

// Stream is beast::tcp_stream (plain HTTP) or TlsStream (HTTPS); the
// timeouts and socket operations act on the TCP layer underneath either.
template <class Stream>
class Session : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... TlsContext>
  Session(tcp::socket socket, RestServer::Impl* server, TlsContext&... tls)
      : stream_(std::move(socket), tls...),
        server_(server),
        poll_timer_(stream_.get_executor()) {}

  void Start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (kTls) {
        self->Handshake();
      } else {
        self->ReadHeader();
      }
    });
  }

 private:
  using std::enable_shared_from_this<Session<Stream>>::shared_from_this;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  beast::tcp_stream& Tcp() { return beast::get_lowest_layer(stream_); }

  // A client that opens a connection and never completes the handshake
  // (or speaks plain HTTP) is dropped after the request timeout or at its
  // first wrong byte.
  void Handshake() {
    Tcp().expires_after(Timeout());
    if constexpr (kTls) {
      stream_.async_handshake(
          ssl::stream_base::server,
          [self = shared_from_this()](beast::error_code ec) {
            if (ec) return self->Close();
            self->ReadHeader();
          });
    }
  }

  std::chrono::milliseconds Timeout() const {
    return std::chrono::milliseconds(server_->options.request_timeout_ms);
  }

  void ReadHeader() {
    if (server_->stopping.load()) return Close();
    // Idle keep-alive connections hold no large buffer (see ReadBody).
    if (buffer_.size() == 0 && buffer_.capacity() > kSmallBuffer) {
      buffer_.shrink_to_fit();
    }
    parser_.emplace();
    parser_->body_limit(server_->options.body_limit_bytes);
    Tcp().expires_after(Timeout());
    http::async_read_header(
        stream_, buffer_, *parser_,
        [self = shared_from_this()](beast::error_code ec, size_t) {
          self->OnHeader(ec);
        });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) return OnReadError(ec);
    auto expect = parser_->get()[http::field::expect];
    if (beast::iequals(expect, "100-continue")) {
      // Clients such as curl wait for this before sending large bodies.
      auto cont = std::make_shared<http::response<http::empty_body>>(
          http::status::continue_, parser_->get().version());
      http::async_write(
          stream_, *cont,
          [self = shared_from_this(), cont](beast::error_code e, size_t) {
            if (e) return self->Close();
            self->ReadBody();
          });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    // Beast reads at most the buffer's free capacity per call (512 bytes
    // when it is empty), so an idle-sized buffer turns a 2.5 MB upload into
    // thousands of tiny reads, each with its timer and strand hop: 40 ms of
    // overhead, more than parsing and writing the batch. Large bodies get a
    // 64 KiB buffer (Beast's largest read), released once idle again.
    auto length = parser_->content_length();
    if (length && *length > kSmallBuffer && buffer_.capacity() < kBigBuffer) {
      buffer_.reserve(kBigBuffer);
    }
    Tcp().expires_after(Timeout());
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) {
                       if (ec) return self->OnReadError(ec);
                       self->Handle();
                     });
  }

  void OnReadError(beast::error_code ec) {
    if (ec == http::error::end_of_stream || ec == beast::error::timeout ||
        ec == net::error::operation_aborted || ec == net::error::eof ||
        ec == net::error::connection_reset) {
      return Close();
    }
    if (ec == http::error::body_limit) {
      RestResponse r = ErrorResponse(
          413, "payload_too_large",
          "request body exceeds the limit of " +
              std::to_string(server_->options.body_limit_bytes) + " bytes");
      Refused(r);
      return Send(r, /*keep_alive=*/false, /*drain=*/true);
    }
    if (ec.category() ==
        http::make_error_code(http::error::bad_method).category()) {
      RestResponse r = ErrorResponse(400, "invalid_argument",
                                     "malformed HTTP request: " + ec.message());
      Refused(r);
      return Send(r, false, /*drain=*/false);
    }
    Close();
  }

  // A request refused before routing (too large, malformed) still gets an
  // id and an access-log line.
  void Refused(RestResponse& r) {
    std::string_view presented, method, target;
    if (parser_ && parser_->is_header_done()) {
      const auto& h = parser_->get();
      presented = h[service::kRequestIdHeader];
      method = h.method_string();
      target = h.target();
    }
    const std::string id = service::RequestIdOrNew(presented);
    r.headers.emplace_back(std::string(service::kRequestIdHeader), id);
    if (!server_->options.access_log) return;
    service::AccessRecord a;
    a.request_id = id;
    a.protocol = "rest";
    a.method = method;
    a.target = target;
    a.status = r.status;
    a.code = r.error;
    a.bytes_out = r.body.size();
    a.message = r.message;
    service::LogAccess(a);
  }

  void Handle() {
    server_->in_flight.fetch_add(1);
    counted_ = true;
    http::request<http::string_body> req = parser_->release();
    const RestOptions& o = server_->options;
    RequestContext ctx;
    ctx.presented_key =
        service::PresentedKey(req[http::field::authorization], req["api-key"]);
    ctx.api_keys = o.api_keys;
    ctx.inflight = o.inflight;
    ctx.metrics = o.metrics;
    ctx.metrics_endpoint = o.metrics_endpoint;
    ctx.dashboard = o.dashboard;
    ctx.if_none_match = req[http::field::if_none_match];
    const std::string request_id =
        service::RequestIdOrNew(req[service::kRequestIdHeader]);
    ctx.request_id = request_id;
    ctx.access_log = o.access_log;
    RestResponse r = HandleRequest(*server_->service, req.method_string(),
                                   req.target(), req.body(), ctx);
    version_ = req.version();
    if (r.stream != nullptr) return SendStream(std::move(r));
    Send(r, req.keep_alive() && !server_->stopping.load(), false);
  }

  // A streamed body: the header, then a chunk per piece the stream hands
  // out, each written before the next is asked for (so a slow client holds
  // one piece at most; one that takes longer than the request timeout to
  // accept a piece is cut off). The connection closes when it ends. A
  // stream does not count as in flight: Stop() does not wait for it.
  void SendStream(RestResponse r) {
    body_stream_ = std::move(r.stream);
    auto head = std::make_shared<http::response<http::empty_body>>(
        static_cast<http::status>(r.status), version_);
    head->set(http::field::server, "proximadb");
    head->set(http::field::content_type,
              r.content_type.empty() ? "application/json" : r.content_type);
    for (const auto& [name, value] : r.headers) head->set(name, value);
    head->keep_alive(false);
    head->chunked(true);
    auto sr =
        std::make_shared<http::response_serializer<http::empty_body>>(*head);
    Tcp().expires_after(Timeout());
    http::async_write_header(
        stream_, *sr,
        [self = shared_from_this(), head, sr](beast::error_code ec, size_t) {
          self->Done();
          if (ec) return self->Close();
          self->Pump();
        });
  }

  void Pump() {
    if (server_->stopping.load()) return Close();
    chunk_.clear();
    bool finished = true;
    try {
      finished = body_stream_->Next(&chunk_);
    } catch (const std::exception& e) {
      spdlog::error("REST: streamed body failed: {}", e.what());
      return Close();
    }
    if (chunk_.empty() && !finished) {
      if (std::chrono::steady_clock::now() - last_piece_ < kStreamKeepAlive) {
        Tcp().expires_never();
        poll_timer_.expires_after(kStreamPoll);
        poll_timer_.async_wait(
            [self = shared_from_this()](beast::error_code ec) {
              if (ec) return self->Close();
              self->Pump();
            });
        return;
      }
      chunk_ = "\n";
    }
    if (chunk_.empty()) return FinishStream();
    last_piece_ = std::chrono::steady_clock::now();
    Tcp().expires_after(Timeout());
    net::async_write(
        stream_, http::make_chunk(net::buffer(chunk_)),
        [self = shared_from_this(), finished](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          if (finished) return self->FinishStream();
          self->Pump();
        });
  }

  void FinishStream() {
    Tcp().expires_after(Timeout());
    net::async_write(stream_, http::make_chunk_last(),
                     [self = shared_from_this()](beast::error_code, size_t) {
                       self->body_stream_.reset();
                       self->Close();
                     });
  }

  void Send(const RestResponse& r, bool keep_alive, bool drain) {
    res_ = {};
    res_.result(r.status);
    res_.version(version_);
    res_.set(http::field::server, "proximadb");
    res_.set(http::field::content_type,
             r.content_type.empty() ? "application/json" : r.content_type);
    if (!r.allow.empty()) res_.set(http::field::allow, r.allow);
    for (const auto& [name, value] : r.headers) res_.set(name, value);
    res_.keep_alive(keep_alive);
    res_.body() = r.body;
    res_.prepare_payload();
    Tcp().expires_after(Timeout());
    http::async_write(stream_, res_,
                      [self = shared_from_this(), keep_alive, drain](
                          beast::error_code ec, size_t) {
                        self->Done();
                        if (ec) return self->Close();
                        if (drain) return self->Drain();
                        if (!keep_alive) return self->Close();
                        self->ReadHeader();
                      });
  }

  void Done() {
    if (counted_) {
      counted_ = false;
      server_->in_flight.fetch_sub(1);
    }
  }

  // Lingering close: stop sending, swallow what the client is still
  // uploading (bounded in time) so that it reads our answer, then close.
  void Drain() {
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_send, ec);
    Tcp().expires_after(kDrainTime);
    DrainMore();
  }

  void DrainMore() {
    stream_.async_read_some(
        net::buffer(discard_),
        [self = shared_from_this()](beast::error_code ec, size_t) {
          if (ec) return self->Close();
          self->DrainMore();
        });
  }

  void Close() {
    beast::error_code ec;
    Tcp().socket().shutdown(tcp::socket::shutdown_both, ec);
    Tcp().close();
  }

  Stream stream_;
  RestServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  http::response<http::string_body> res_;
  unsigned version_ = 11;
  bool counted_ = false;
  // A streamed body in progress (SendStream) and its state.
  std::shared_ptr<ResponseStream> body_stream_;
  std::string chunk_;
  net::steady_timer poll_timer_;
  std::chrono::steady_clock::time_point last_piece_ =
      std::chrono::steady_clock::now();
  std::array<char, 64 * 1024> discard_;
};

}  // namespace

void RestServer::Impl::DoAccept() {
  acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec,
                                                      tcp::socket socket) {
    if (stopping.load() || !acceptor.is_open()) return;
    if (OutOfResources(ec)) {
      BackOffAccept(ec);
      return;
    }
    if (!ec && refused_accepts > 0) {
      spdlog::info("REST: accepting connections again ({} attempts refused)",
                   refused_accepts);
      refused_accepts = 0;
    }
    if (!ec) {
      // Responses are written whole; without TCP_NODELAY a client that
      // sends its body in a second segment waits for a delayed ACK
      // (~40 ms) on every request.
      beast::error_code ignored;
      socket.set_option(tcp::no_delay(true), ignored);
      if (tls) {
        std::make_shared<Session<TlsStream>>(std::move(socket), this, *tls)
            ->Start();
      } else {
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), this)
            ->Start();
      }
    }
    // Other errors (a connection reset before it was accepted) concern one
    // connection only: keep accepting.
    DoAccept();
  });
}

void RestServer::Impl::BackOffAccept(const beast::error_code& ec) {
  if (refused_accepts++ == 0) {
    spdlog::error(
        "REST: cannot accept connections: {}; open connections are still "
        "served, accepting is retried every {} ms (raise the open-files "
        "limit, ulimit -n, if this recurs)",
        ec.message(), kAcceptRetry.count());
  }
  accept_retry.expires_after(kAcceptRetry);
  accept_retry.async_wait([this](beast::error_code wait_ec) {
    if (wait_ec || stopping.load() || !acceptor.is_open()) return;
    DoAccept();
  });
}

Status RestServer::Impl::SetUpTls() {
  if (options.tls_cert_pem.empty() || options.tls_key_pem.empty()) {
    return Status::InvalidArgument(
        "TLS needs both a certificate and a private key");
  }
  tls.emplace(ssl::context::tls_server);
  // TLS 1.2 and later only; no renegotiation-era protocols.
  tls->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 |
                   ssl::context::no_sslv3 | ssl::context::no_tlsv1 |
                   ssl::context::no_tlsv1_1 | ssl::context::single_dh_use);
  beast::error_code ec;
  tls->use_certificate_chain(net::buffer(options.tls_cert_pem), ec);
  if (ec) {
    return Status::InvalidArgument("TLS certificate is not usable PEM: " +
                                   ec.message());
  }
  tls->use_private_key(net::buffer(options.tls_key_pem),
                       ssl::context::file_format::pem, ec);
  if (ec) {
    return Status::InvalidArgument(
        "TLS private key is not usable PEM or does not match the "
        "certificate: " +
        ec.message());
  }
  return Status::OK();
}

RestServer::RestServer(std::shared_ptr<Impl> impl) : impl_(std::move(impl)) {}

RestServer::~RestServer() { Stop(); }

uint16_t RestServer::port() const { return impl_->bound_port; }

Result<std::unique_ptr<RestServer>> RestServer::Start(
    const RestOptions& options, service::VectorService* service) {
  try {
    auto impl = std::make_shared<Impl>(options, service);
    if (!options.tls_cert_pem.empty() || !options.tls_key_pem.empty()) {
      PDB_RETURN_IF_ERROR(impl->SetUpTls());
    }
    const std::string where =
        options.bind_address + ":" + std::to_string(options.port);
    beast::error_code ec;
    tcp::resolver resolver(impl->ioc);
    auto results =
        resolver.resolve(options.bind_address, std::to_string(options.port),
                         tcp::resolver::passive, ec);
    if (ec || results.empty()) {
      return Status::InvalidArgument("cannot resolve bind address '" +
                                     options.bind_address +
                                     "': " + ec.message());
    }
    tcp::endpoint endpoint = results.begin()->endpoint();
    tcp::acceptor& a = impl->acceptor;
    if (a.open(endpoint.protocol(), ec); ec) {
      return Status::Unavailable("cannot open socket for " + where + ": " +
                                 ec.message());
    }
    a.set_option(net::socket_base::reuse_address(true), ec);
    if (a.bind(endpoint, ec); ec) {
      return Status::Unavailable("cannot listen on " + where + ": " +
                                 ec.message());
    }
    if (a.listen(net::socket_base::max_listen_connections, ec); ec) {
      return Status::Unavailable("cannot listen on " + where + ": " +
                                 ec.message());
    }
    impl->bound_port = a.local_endpoint().port();
    impl->DoAccept();
    unsigned n = options.threads != 0 ? options.threads
                                      : std::thread::hardware_concurrency();
    n = std::max(n, 2u);
    for (unsigned i = 0; i < n; ++i) {
      impl->threads.emplace_back([raw = impl.get()] {
        // A handler that throws would otherwise end the thread; the router
        // catches everything, so this is a last resort that keeps the pool
        // at full size.
        for (;;) {
          try {
            raw->ioc.run();
            return;
          } catch (const std::exception&) {
          }
        }
      });
    }
    return std::unique_ptr<RestServer>(new RestServer(std::move(impl)));
  } catch (const std::exception& e) {
    return Status::Internal(std::string("cannot start REST server: ") +
                            e.what());
  }
}

void RestServer::Stop() {
  Impl& s = *impl_;
  if (s.stopped) return;
  s.stopped = true;
  s.stopping.store(true);
  // The acceptor belongs to its strand: close it there.
  net::post(s.acceptor.get_executor(), [&s] {
    beast::error_code ec;
    s.acceptor.close(ec);
    s.accept_retry.cancel();
  });
  auto deadline = std::chrono::steady_clock::now() +
                  std::chrono::milliseconds(s.options.shutdown_grace_ms);
  while (s.in_flight.load() > 0 &&
         std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  // Idle keep-alive connections are simply dropped with the io_context.
  s.ioc.stop();
  for (std::thread& t : s.threads) {
    if (t.joinable()) t.join();
  }
}

}  // namespace proximadb::rest
