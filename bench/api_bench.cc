// API benchmark: the real REST and gRPC servers (in this process, on
// loopback sockets, the same RestServer/GrpcServer the binary runs) over a
// durable DB in a temporary directory.
//
//   1. Ingest over gRPC: BatchUpsert of 1,000 x 128-d points per call, from
//      `--ingest-clients` concurrent channels, fsync on (the default).
//   2. Ingest over REST JSON: PUT .../vectors with the same batches as JSON
//      text (numbers as a client's float->double dump prints them).
//   3. Search on `--points` x 128-d (the gRPC-ingested collection, flushed,
//      HNSW graph built): ef_search is raised from 64 until recall@10
//      against exact search reaches 0.95; then p50/p99 latency over gRPC at
//      1, 8, 32 concurrent clients (own channel each), over REST driven by
//      `wrk` (Lua script POSTing search bodies) at the same connection
//      counts, and the in-process VectorService::Search time beside them.
//
// Usage: api_bench [--points N] [--batch N] [--ingest-clients N]
//                  [--seconds S] [--wrk PATH] [--dir DIR] [--no-access-log]
// Logs go to stderr; results to stdout.
//
// Load mode (bench/server_scaling.py drives it): no server in this process;
// `--clients` gRPC clients (own channel each) search collection NAME of the
// server on 127.0.0.1:PORT for `--seconds`, cycling through the queries in
// FILE (raw float32 rows of `--dim` values), and one JSON line reports QPS,
// p50 / p99 latency and this process's CPU seconds:
//   api_bench --connect PORT --collection NAME --queries FILE --dim D
//             --ef E [--clients 8] [--seconds S]
#include <stdlib.h>
#include <sys/resource.h>
#include <sys/wait.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <random>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <grpcpp/grpcpp.h>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>
#include <boost/asio.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <nlohmann/json.hpp>

#include "api/grpc/grpc_server.h"
#include "api/rest/http_server.h"
#include "proximadb/db.h"
#include "proximadb/v1/proximadb.grpc.pb.h"
#include "service/inflight_limit.h"
#include "service/json_codec.h"
#include "service/json_points_fast.h"
#include "service/metrics.h"
#include "service/service.h"

namespace {

using namespace proximadb;
namespace pb = ::proximadb::v1;
using Clock = std::chrono::steady_clock;
using nlohmann::json;

constexpr uint32_t kDim = 128;

struct Args {
  size_t points = 100000;
  size_t batch = 1000;
  int ingest_clients = 2;
  double seconds = 5;
  std::string wrk = "/usr/bin/wrk";
  std::string dir;
  bool access_log = true;
  // Load mode (--connect).
  uint16_t connect = 0;
  std::string collection;
  std::string queries;
  uint32_t dim = 0;
  uint32_t ef = 0;
  int clients = 8;
};

double Seconds(Clock::duration d) {
  return std::chrono::duration<double>(d).count();
}

double Percentile(std::vector<double> v, double p) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  size_t i = static_cast<size_t>(p * (v.size() - 1) + 0.5);
  return v[std::min(i, v.size() - 1)];
}

// Clustered data (a mixture of Gaussians), closer to real embeddings than
// uniform noise, on which no ANN method reaches useful recall.
class Data {
 public:
  explicit Data(uint64_t seed) : rng_(seed) {
    std::normal_distribution<float> n(0, 1);
    centers_.resize(256 * kDim);
    for (float& c : centers_) c = n(rng_);
  }
  std::vector<float> Next() {
    std::uniform_int_distribution<size_t> pick(0, 255);
    std::normal_distribution<float> n(0, 0.35f);
    const float* c = &centers_[pick(rng_) * kDim];
    std::vector<float> v(kDim);
    for (uint32_t d = 0; d < kDim; ++d) v[d] = c[d] + n(rng_);
    return v;
  }

 private:
  std::mt19937_64 rng_;
  std::vector<float> centers_;
};

std::string PointId(size_t i) { return "p" + std::to_string(i); }

// ---------------------------------------------------------------- gRPC ----

std::shared_ptr<grpc::Channel> Channel(uint16_t port, int index) {
  grpc::ChannelArguments args;
  // Distinct args = a connection of its own (gRPC shares subchannels
  // between channels with equal arguments).
  args.SetInt("proximadb.bench.client", index);
  args.SetMaxReceiveMessageSize(-1);
  args.SetMaxSendMessageSize(-1);
  return grpc::CreateCustomChannel("127.0.0.1:" + std::to_string(port),
                                   grpc::InsecureChannelCredentials(), args);
}

// Upserts `batches` over `clients` channels; returns vectors per second.
double GrpcIngest(uint16_t port, const std::string& coll,
                  const std::vector<pb::BatchUpsertRequest>& batches,
                  int clients) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = pb::ProximaDB::NewStub(Channel(port, 1000 + c));
      for (size_t i; (i = next.fetch_add(1)) < batches.size();) {
        grpc::ClientContext ctx;
        pb::BatchUpsertResponse out;
        grpc::Status s = stub->BatchUpsert(&ctx, batches[i], &out);
        if (!s.ok()) {
          std::fprintf(stderr, "grpc upsert: %s\n", s.error_message().c_str());
          failed = true;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = Seconds(Clock::now() - start);
  if (failed) return 0;
  size_t n = 0;
  for (const auto& b : batches) n += b.points_size();
  (void)coll;
  return n / secs;
}

// ---------------------------------------------------------------- REST ----

// A keep-alive HTTP/1.1 connection.
class Http {
 public:
  explicit Http(uint16_t port) : socket_(ioc_) {
    socket_.connect(boost::asio::ip::tcp::endpoint(
        boost::asio::ip::make_address("127.0.0.1"), port));
    socket_.set_option(boost::asio::ip::tcp::no_delay(true));
  }
  unsigned Send(const char* method, const std::string& target,
                const std::string& body, std::string* out = nullptr) {
    namespace http = boost::beast::http;
    http::request<http::string_body> req{http::string_to_verb(method), target,
                                         11};
    req.set(http::field::host, "127.0.0.1");
    req.set(http::field::content_type, "application/json");
    req.body() = body;
    req.prepare_payload();
    http::write(socket_, req);
    http::response<http::string_body> res;
    http::read(socket_, buf_, res);
    if (out != nullptr) *out = std::move(res.body());
    return res.result_int();
  }

 private:
  boost::asio::io_context ioc_;
  boost::asio::ip::tcp::socket socket_;
  boost::beast::flat_buffer buf_;
};

double RestIngest(uint16_t port, const std::string& coll,
                  const std::vector<std::string>& bodies, size_t per_body,
                  int clients) {
  std::atomic<size_t> next{0};
  std::atomic<bool> failed{false};
  const std::string target = "/api/v1/collections/" + coll + "/vectors";
  auto start = Clock::now();
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&] {
      Http h(port);
      for (size_t i; (i = next.fetch_add(1)) < bodies.size();) {
        std::string answer;
        if (h.Send("PUT", target, bodies[i], &answer) != 200) {
          std::fprintf(stderr, "rest upsert: %s\n", answer.c_str());
          failed = true;
          return;
        }
      }
    });
  }
  for (auto& t : threads) t.join();
  double secs = Seconds(Clock::now() - start);
  return failed ? 0 : bodies.size() * per_body / secs;
}

// ------------------------------------------------------------- search -----

struct Latency {
  double p50_ms = 0, p99_ms = 0, qps = 0;
};

Latency GrpcSearch(uint16_t port, const std::string& coll,
                   const std::vector<std::vector<float>>& queries, uint32_t ef,
                   int clients, double seconds) {
  std::vector<std::vector<double>> lat(clients);
  std::atomic<bool> stop{false};
  std::vector<std::thread> threads;
  for (int c = 0; c < clients; ++c) {
    threads.emplace_back([&, c] {
      auto stub = pb::ProximaDB::NewStub(Channel(port, c));
      size_t q = static_cast<size_t>(c) * 7919;
      while (!stop.load(std::memory_order_relaxed)) {
        pb::SearchRequest req;
        req.set_collection(coll);
        const auto& v = queries[q++ % queries.size()];
        req.mutable_vector()->Assign(v.begin(), v.end());
        req.set_k(10);
        req.set_ef_search(ef);
        req.set_include_metadata(false);
        grpc::ClientContext ctx;
        pb::SearchResponse out;
        auto t0 = Clock::now();
        grpc::Status s = stub->Search(&ctx, req, &out);
        double ms = Seconds(Clock::now() - t0) * 1e3;
        if (!s.ok()) {
          std::fprintf(stderr, "grpc search: %s\n", s.error_message().c_str());
          return;
        }
        lat[c].push_back(ms);
      }
    });
  }
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto& t : threads) t.join();
  std::vector<double> all;
  for (auto& l : lat) all.insert(all.end(), l.begin(), l.end());
  return {Percentile(all, 0.5), Percentile(all, 0.99), all.size() / seconds};
}

std::string SearchBody(const std::vector<float>& v, uint32_t ef) {
  json body = {
      {"vector", v}, {"k", 10}, {"ef_search", ef}, {"include_metadata", false}};
  return body.dump();
}

// wrk's "50%  1.23ms" / "99%  12.00us" lines and "Requests/sec:".
double WrkMs(const std::string& text, const std::string& label) {
  size_t at = text.find("\n" + label);
  if (at == std::string::npos) return -1;
  double value = 0;
  char unit[8] = {0};
  if (std::sscanf(text.c_str() + at + 1 + label.size(), " %lf%7s", &value,
                  unit) != 2) {
    return -1;
  }
  std::string u = unit;
  if (u == "us") return value / 1e3;
  if (u == "ms") return value;
  if (u == "s") return value * 1e3;
  return -1;
}

Latency WrkSearch(const Args& a, uint16_t port, const std::string& coll,
                  const std::vector<std::vector<float>>& queries, uint32_t ef,
                  int connections, const std::string& dir) {
  const std::string script = dir + "/search.lua";
  {
    std::ofstream lua(script);
    lua << "wrk.method = \"POST\"\n"
        << "wrk.headers[\"Content-Type\"] = \"application/json\"\n"
        << "local bodies = {\n";
    for (size_t i = 0; i < std::min<size_t>(queries.size(), 200); ++i) {
      lua << "[[" << SearchBody(queries[i], ef) << "]],\n";
    }
    lua << "}\nlocal n = 0\n"
        << "request = function()\n  n = n % #bodies + 1\n"
        << "  return wrk.format(nil, nil, nil, bodies[n])\nend\n"
        << "local failed = 0\n"
        << "response = function(status, headers, body)\n"
        << "  if status ~= 200 then failed = failed + 1 end\nend\n";
  }
  const int threads = std::min(connections, 2);
  const std::string out = dir + "/wrk.out";
  const std::string cmd =
      a.wrk + " -t" + std::to_string(threads) + " -c" +
      std::to_string(connections) + " -d" +
      std::to_string(static_cast<int>(a.seconds)) + "s --latency -s " + script +
      " http://127.0.0.1:" + std::to_string(port) + "/api/v1/collections/" +
      coll + "/search > " + out + " 2>&1";
  int rc = std::system(cmd.c_str());
  std::ifstream in(out);
  std::string text((std::istreambuf_iterator<char>(in)),
                   std::istreambuf_iterator<char>());
  if (rc != 0) {
    std::fprintf(stderr, "wrk failed (%d): %s\n", rc, text.c_str());
    return {-1, -1, 0};
  }
  if (text.find("Non-2xx") != std::string::npos) {
    std::fprintf(stderr, "wrk saw errors:\n%s\n", text.c_str());
  }
  Latency l;
  l.p50_ms = WrkMs(text, "     50%");
  l.p99_ms = WrkMs(text, "     99%");
  size_t at = text.find("Requests/sec:");
  if (at != std::string::npos) l.qps = std::atof(text.c_str() + at + 13);
  return l;
}

// This process's user + system CPU seconds.
double CpuSeconds() {
  rusage u{};
  ::getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec +
         (u.ru_utime.tv_usec + u.ru_stime.tv_usec) / 1e6;
}

// Load mode: searches an external server's collection (see the top).
int Load(const Args& a) {
  if (a.collection.empty() || a.queries.empty() || a.dim == 0 || a.ef == 0) {
    std::fprintf(stderr,
                 "--connect needs --collection, --queries, --dim and --ef\n");
    return 2;
  }
  std::ifstream in(a.queries, std::ios::binary);
  std::vector<float> row(a.dim);
  std::vector<std::vector<float>> queries;
  while (in.read(reinterpret_cast<char*>(row.data()), a.dim * sizeof(float))) {
    queries.push_back(row);
  }
  if (queries.empty()) {
    std::fprintf(stderr, "no %u-float rows in %s\n", a.dim, a.queries.c_str());
    return 2;
  }
  const double cpu0 = CpuSeconds();
  Latency l =
      GrpcSearch(a.connect, a.collection, queries, a.ef, a.clients, a.seconds);
  const double cpu = CpuSeconds() - cpu0;
  std::printf(
      "{\"qps\": %.1f, \"p50_ms\": %.4f, \"p99_ms\": %.4f, "
      "\"client_cpu_s\": %.3f, \"seconds\": %.3f}\n",
      l.qps, l.p50_ms, l.p99_ms, cpu, a.seconds);
  return l.qps > 0 ? 0 : 1;
}

int Main(const Args& a) {
  namespace fs = std::filesystem;
  // Logs (the access log included) to stderr, as the server does; stdout
  // carries only the results.
  spdlog::set_default_logger(spdlog::stderr_color_mt("api_bench"));
  std::string dir = a.dir;
  if (dir.empty()) {
    char tmpl[] = "/tmp/pdb_api_bench_XXXXXX";
    if (mkdtemp(tmpl) == nullptr) return 1;
    dir = tmpl;
  }
  DBOptions options;  // durable: every write group is fdatasync'ed
  auto db = DB::Open(options, dir + "/db");
  if (!db.ok()) {
    std::fprintf(stderr, "open: %s\n", db.status().ToString().c_str());
    return 1;
  }
  service::VectorService svc(std::move(db).value(), options.flush_defaults);
  service::InflightLimit inflight(256);
  service::Metrics metrics;
  rest::RestOptions ro;
  ro.bind_address = "127.0.0.1";
  ro.port = 0;
  ro.inflight = &inflight;
  ro.metrics = &metrics;
  ro.access_log = a.access_log;
  auto rest_server = rest::RestServer::Start(ro, &svc);
  grpc_api::GrpcOptions go;
  go.bind_address = "127.0.0.1";
  go.port = 0;
  go.gates = {nullptr, &inflight, &metrics};
  go.access_log = a.access_log;
  auto grpc_server = grpc_api::GrpcServer::Start(go, &svc);
  if (!rest_server.ok() || !grpc_server.ok()) {
    std::fprintf(stderr, "cannot start servers\n");
    return 1;
  }
  const uint16_t rest_port = (*rest_server)->port();
  const uint16_t grpc_port = (*grpc_server)->port();

  for (const char* name : {"bench_grpc", "bench_rest"}) {
    CollectionConfig c;
    c.name = name;
    c.dimension = kDim;
    c.metric = Metric::kEuclidean;
    auto created = svc.CreateCollection(c);
    if (!created.ok()) return 1;
  }

  // ---- ingest ----
  Data data(42);
  const size_t nbatches = (a.points + a.batch - 1) / a.batch;
  std::vector<std::vector<float>> vectors;
  vectors.reserve(nbatches * a.batch);
  std::vector<pb::BatchUpsertRequest> grpc_batches(nbatches);
  for (size_t b = 0; b < nbatches; ++b) {
    grpc_batches[b].set_collection("bench_grpc");
    for (size_t i = 0; i < a.batch; ++i) {
      vectors.push_back(data.Next());
      pb::Point* p = grpc_batches[b].add_points();
      p->set_id(PointId(b * a.batch + i));
      p->mutable_vector()->Assign(vectors.back().begin(), vectors.back().end());
    }
  }
  std::printf(
      "api_bench: %zu x %u-d points, batches of %zu, %d ingest "
      "clients, durable (fdatasync per write group), access log %s\n",
      vectors.size(), kDim, a.batch, a.ingest_clients,
      a.access_log ? "on" : "off");
  double grpc_rate =
      GrpcIngest(grpc_port, "bench_grpc", grpc_batches, a.ingest_clients);
  grpc_batches.clear();
  std::printf("ingest grpc: %.0f vectors/s\n", grpc_rate);

  // REST: a fifth of the points is enough for a stable rate.
  const size_t rest_batches = std::max<size_t>(nbatches / 5, 4);
  std::vector<std::string> rest_bodies;
  for (size_t b = 0; b < rest_batches && b < nbatches; ++b) {
    json items = json::array();
    for (size_t i = 0; i < a.batch; ++i) {
      const auto& v = vectors[b * a.batch + i];
      json vec = json::array();
      for (float f : v) vec.push_back(static_cast<double>(f));
      items.push_back({{"id", PointId(b * a.batch + i)},
                       {"vector", std::move(vec)},
                       {"metadata", {{"batch", b}}}});
    }
    rest_bodies.push_back(json{{"vectors", items}}.dump());
  }
  double rest_rate = RestIngest(rest_port, "bench_rest", rest_bodies, a.batch,
                                a.ingest_clients);
  std::printf("ingest rest: %.0f vectors/s (body %.2f MB per batch)\n",
              rest_rate, rest_bodies[0].size() / 1e6);
  // Parsing one body in process: the simdjson path the route uses, and the
  // nlohmann DOM path it replaced (medians of 5).
  {
    std::vector<double> fast_ms, dom_ms;
    bool fast_ok = true;
    for (int i = 0; i < 5; ++i) {
      auto t0 = Clock::now();
      fast_ok &= service::ParseBatchPointsFast(rest_bodies[0]).has_value();
      fast_ms.push_back(Seconds(Clock::now() - t0) * 1e3);
      t0 = Clock::now();
      auto parsed = service::ParseJsonBody(rest_bodies[0]);
      auto points = service::ParseBatch(*parsed, kDim, "bench_rest");
      dom_ms.push_back(Seconds(Clock::now() - t0) * 1e3);
      if (!points.ok()) return 1;
    }
    std::printf(
        "parse one batch body in process: simdjson %.2f ms%s, "
        "nlohmann DOM %.2f ms\n",
        Percentile(fast_ms, 0.5), fast_ok ? "" : " (FELL BACK)",
        Percentile(dom_ms, 0.5));
    // The engine's share: upserting one parsed batch (same ids again).
    std::vector<double> upsert_ms;
    for (int i = 0; i < 5; ++i) {
      auto points = service::ParseBatchPointsFast(rest_bodies[i % 2]);
      auto t0 = Clock::now();
      if (!svc.Upsert("bench_rest", std::move(*points)).ok()) return 1;
      upsert_ms.push_back(Seconds(Clock::now() - t0) * 1e3);
    }
    std::printf(
        "upsert one parsed batch in process (1 thread, durable): "
        "%.2f ms\n",
        Percentile(upsert_ms, 0.5));
  }
  rest_bodies.clear();

  // ---- search ----
  auto flush_start = Clock::now();
  if (!svc.Flush("bench_grpc").ok()) return 1;
  // Wait for the segment's graph: HNSW searches visit graph nodes.
  Data qdata(7);
  std::vector<std::vector<float>> queries;
  for (int i = 0; i < 500; ++i) queries.push_back(qdata.Next());
  for (;;) {
    SearchRequest r;
    r.vector = queries[0];
    auto res = svc.Search("bench_grpc", r);
    if (res.ok() && res->stats.nodes_visited > 0) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
  }
  std::printf("flush + graph build: %.1f s\n",
              Seconds(Clock::now() - flush_start));

  // Ground truth and recall.
  const size_t nrecall = 200;
  std::vector<std::set<std::string>> truth(nrecall);
  for (size_t q = 0; q < nrecall; ++q) {
    SearchRequest r;
    r.vector = queries[q];
    r.exact = true;
    r.include_metadata = false;
    auto res = svc.Search("bench_grpc", r);
    if (!res.ok()) return 1;
    for (const auto& h : res->hits) truth[q].insert(h.id);
  }
  uint32_t ef = 64;
  double recall = 0;
  // 64, 96, 128, 192, 256, 384, ...
  for (;; ef = ef % 3 == 0 ? ef / 3 * 4 : ef / 2 * 3) {
    size_t found = 0;
    for (size_t q = 0; q < nrecall; ++q) {
      SearchRequest r;
      r.vector = queries[q];
      r.ef_search = ef;
      r.include_metadata = false;
      auto res = svc.Search("bench_grpc", r);
      if (!res.ok()) return 1;
      for (const auto& h : res->hits) found += truth[q].count(h.id);
    }
    recall = double(found) / (nrecall * 10);
    std::printf("recall@10 at ef_search=%u: %.3f\n", ef, recall);
    if (recall >= 0.95 || ef >= 1024) break;
  }

  // In-process: the engine's search time without any transport.
  std::vector<double> inproc;
  {
    auto until = Clock::now() + std::chrono::duration<double>(a.seconds / 2);
    for (size_t q = 0; Clock::now() < until; ++q) {
      SearchRequest r;
      r.vector = queries[q % queries.size()];
      r.ef_search = ef;
      r.include_metadata = false;
      auto t0 = Clock::now();
      auto res = svc.Search("bench_grpc", r);
      inproc.push_back(Seconds(Clock::now() - t0) * 1e3);
      if (!res.ok()) return 1;
    }
  }
  std::printf("in-process search (1 thread): p50 %.3f ms  p99 %.3f ms\n",
              Percentile(inproc, 0.5), Percentile(inproc, 0.99));
  std::printf("%-8s %-8s %10s %10s %10s\n", "proto", "clients", "p50 ms",
              "p99 ms", "qps");
  for (int clients : {1, 8, 32}) {
    Latency g =
        GrpcSearch(grpc_port, "bench_grpc", queries, ef, clients, a.seconds);
    std::printf("%-8s %-8d %10.3f %10.3f %10.0f\n", "grpc", clients, g.p50_ms,
                g.p99_ms, g.qps);
    Latency w =
        WrkSearch(a, rest_port, "bench_grpc", queries, ef, clients, dir);
    std::printf("%-8s %-8d %10.3f %10.3f %10.0f   (rest/grpc p50 %.2fx)\n",
                "rest", clients, w.p50_ms, w.p99_ms, w.qps,
                g.p50_ms > 0 ? w.p50_ms / g.p50_ms : 0.0);
    std::fflush(stdout);
  }

  (*grpc_server)->Stop();
  (*rest_server)->Stop();
  if (a.dir.empty()) {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    std::string k = argv[i];
    auto next = [&]() -> std::string { return i + 1 < argc ? argv[++i] : ""; };
    if (k == "--points") {
      a.points = std::stoul(next());
    } else if (k == "--batch") {
      a.batch = std::stoul(next());
    } else if (k == "--ingest-clients") {
      a.ingest_clients = std::stoi(next());
    } else if (k == "--seconds") {
      a.seconds = std::stod(next());
    } else if (k == "--wrk") {
      a.wrk = next();
    } else if (k == "--dir") {
      a.dir = next();
    } else if (k == "--no-access-log") {
      a.access_log = false;
    } else if (k == "--connect") {
      a.connect = static_cast<uint16_t>(std::stoul(next()));
    } else if (k == "--collection") {
      a.collection = next();
    } else if (k == "--queries") {
      a.queries = next();
    } else if (k == "--dim") {
      a.dim = static_cast<uint32_t>(std::stoul(next()));
    } else if (k == "--ef") {
      a.ef = static_cast<uint32_t>(std::stoul(next()));
    } else if (k == "--clients") {
      a.clients = std::stoi(next());
    } else {
      std::fprintf(stderr, "unknown argument %s\n", k.c_str());
      return 2;
    }
  }
  return a.connect != 0 ? Load(a) : Main(a);
}
