// proximadb-server: configuration, logging, the engine and its two front ends
// (REST and gRPC, both over the one VectorService).
//
// Exit codes: 0 after a clean shutdown (SIGINT/SIGTERM), --help/--version or
// a successful --rebuild-catalog; 1 when startup fails (bad configuration,
// port in use, unreadable or corrupt data directory, a data directory that
// start-up cannot account for), with the reason on stderr.
//
// Logs go to stderr; stdout carries only the machine-readable line
// "proximadb-server ready rest_port=<n> grpc_port=<m>", printed once both
// servers accept requests (tests and scripts wait for it).
//
// Shutdown (SIGINT/SIGTERM): both servers stop accepting and drain their
// in-flight requests (concurrently, so the grace periods do not add up), then
// every collection is flushed.
#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "api/grpc/grpc_server.h"
#include "api/rest/dashboard.h"
#include "api/rest/http_server.h"
#include "cluster/bound_db.h"
#include "cluster/catalog_options.h"
#include "cluster/cluster_db.h"
#include "proximadb/db.h"
#include "server/config.h"
#include "service/admission.h"
#include "service/auth.h"
#include "service/inflight_limit.h"
#include "service/metrics.h"
#include "service/service.h"

namespace {

using proximadb::Status;

int Fail(const std::string& what, const Status& s) {
  std::fprintf(stderr, "proximadb-server: %s: %s\n", what.c_str(),
               s.ToString().c_str());
  return 1;
}

// The whole of a (small) PEM file; a missing or unreadable file is a startup
// error naming the file and the OS reason.
proximadb::Result<std::string> ReadPem(const std::string& what,
                                       const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("cannot read " + what + " '" + path +
                                   "': " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  if (ss.str().empty()) {
    return Status::InvalidArgument(what + " '" + path + "' is empty");
  }
  return ss.str();
}

// --restore-snapshot <id>: offline, into an empty data directory, then exit
// (0 when restored).
int RestoreSnapshot(const proximadb::DBOptions& options,
                    const std::string& data_dir, const std::string& id) {
  spdlog::info("restoring snapshot {} into {}", id, data_dir);
  auto restored = proximadb::DB::RestoreDatabaseSnapshot(options, data_dir, id);
  if (!restored.ok()) {
    return Fail("cannot restore the snapshot", restored.status());
  }
  for (const proximadb::RestoreResult& r : *restored) {
    std::printf(
        "collection %s: sequence %llu, %llu points, %llu files (%llu bytes) "
        "verified\n",
        r.collection.c_str(), static_cast<unsigned long long>(r.sequence),
        static_cast<unsigned long long>(r.points),
        static_cast<unsigned long long>(r.files),
        static_cast<unsigned long long>(r.bytes));
  }
  std::printf(
      "snapshot %s restored into %s: %zu collections; start the server as "
      "usual\n",
      id.c_str(), data_dir.c_str(), restored->size());
  return 0;
}

// --rebuild-catalog: offline, then exit (0 when rebuilt).
int RebuildCatalog(const proximadb::DBOptions& options,
                   const std::string& data_dir, bool force) {
  spdlog::info("rebuilding the catalog of {} from the collections' manifests",
               data_dir);
  auto report = proximadb::DB::RebuildCatalog(options, data_dir, force);
  if (!report.ok()) return Fail("cannot rebuild the catalog", report.status());
  for (const std::string& q : report->quarantined) {
    std::printf("quarantined %s\n", q.c_str());
  }
  for (const auto& c : report->collections) {
    std::printf(
        "collection %s (%s): %llu segments, %llu live points in them, fence "
        "%llu, %llu WAL records to replay at the next start\n",
        c.name.c_str(), c.dir_name.c_str(),
        static_cast<unsigned long long>(c.segments),
        static_cast<unsigned long long>(c.segment_points),
        static_cast<unsigned long long>(c.fenced_seq),
        static_cast<unsigned long long>(c.wal_records));
  }
  for (const auto& a : report->aliases) {
    std::printf("alias %s -> collection %s\n", a.alias.c_str(),
                a.collection.c_str());
  }
  for (const std::string& why : report->skipped_aliases) {
    std::printf("alias not restored: %s\n", why.c_str());
  }
  std::printf(
      "catalog rebuilt: %zu collections, %zu aliases; start the server as "
      "usual\n",
      report->collections.size(), report->aliases.size());
  return 0;
}

namespace srv = proximadb::server;

// The TLS files, read before anything starts so that a wrong path fails
// fast (both empty when TLS is off).
struct TlsPem {
  std::string cert, key;
};
proximadb::Result<TlsPem> ReadTls(const srv::ServerConfig& config) {
  TlsPem tls;
  if (config.api.tls_cert_file.empty()) return tls;
  PDB_ASSIGN_OR_RETURN(
      tls.cert, ReadPem("TLS certificate file", config.api.tls_cert_file));
  PDB_ASSIGN_OR_RETURN(tls.key,
                       ReadPem("TLS key file", config.api.tls_key_file));
  return tls;
}

// Blocks the shutdown signals before any thread starts so that every thread
// inherits the mask and only sigwait() in Serve sees them.
sigset_t BlockShutdownSignals() {
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);
  // A client vanishing mid-write must not kill the process.
  std::signal(SIGPIPE, SIG_IGN);
  return signals;
}

proximadb::rest::RestOptions RestOptionsFor(
    const srv::ServerConfig& config,
    const proximadb::service::AdmissionGates& gates, const TlsPem& tls) {
  proximadb::rest::RestOptions rest;
  rest.bind_address = config.server.bind_address;
  rest.port = static_cast<uint16_t>(config.api.rest_port);
  rest.body_limit_bytes = static_cast<uint64_t>(config.api.max_request_size_mb)
                          << 20;
  rest.request_timeout_ms =
      static_cast<uint32_t>(config.api.request_timeout_ms);
  rest.api_keys = gates.api_keys;
  rest.inflight = gates.inflight;
  rest.metrics = gates.metrics;
  rest.metrics_endpoint = config.monitoring.metrics_enabled;
  rest.access_log = config.monitoring.access_log;
  rest.tls_cert_pem = tls.cert;
  rest.tls_key_pem = tls.key;
  return rest;
}

proximadb::grpc_api::GrpcOptions GrpcOptionsFor(
    const srv::ServerConfig& config,
    const proximadb::service::AdmissionGates& gates, const TlsPem& tls) {
  proximadb::grpc_api::GrpcOptions grpc_options;
  grpc_options.bind_address = config.server.bind_address;
  grpc_options.port = static_cast<uint16_t>(config.api.grpc_port);
  grpc_options.max_message_bytes =
      static_cast<uint64_t>(config.api.max_request_size_mb) << 20;
  grpc_options.gates = gates;
  grpc_options.max_concurrent_streams =
      static_cast<uint32_t>(config.api.grpc_max_concurrent_streams);
  grpc_options.idle_timeout_ms =
      static_cast<uint32_t>(config.api.grpc_idle_timeout_ms);
  grpc_options.access_log = config.monitoring.access_log;
  grpc_options.tls_cert_pem = tls.cert;
  grpc_options.tls_key_pem = tls.key;
  return grpc_options;
}

// The engine's options from the configuration ([storage], [flush],
// [tiering]).
proximadb::DBOptions DbOptionsFor(const srv::ServerConfig& config) {
  proximadb::DBOptions options;
  options.flush_defaults = config.flush;
  options.memtable_size_mb =
      static_cast<uint64_t>(config.storage.memtable_size_mb);
  options.wal_retention_hours =
      static_cast<double>(config.storage.wal_retention_hours);
  options.wal_retention_mb =
      static_cast<uint64_t>(config.storage.wal_retention_mb);
  options.compaction_enabled = config.storage.compaction_enabled;
  options.index_build_threads =
      static_cast<uint32_t>(config.storage.index_build_threads);
  options.viper_graph_min_points =
      static_cast<uint64_t>(config.storage.viper_graph_min_points);
  options.viper_graph_min_age_s =
      static_cast<uint32_t>(config.storage.viper_graph_min_age_s);
  options.viper_graph_calibrate = config.storage.viper_graph_calibrate;
  options.background_io_bytes_per_s =
      static_cast<uint64_t>(config.storage.background_io_mb_per_s) * 1024 *
      1024;
  options.max_unflushed_wal_bytes =
      static_cast<uint64_t>(config.storage.max_unflushed_wal_mb) * 1024 * 1024;
  options.memory_limit_bytes =
      static_cast<uint64_t>(config.storage.memory_limit_mb) * 1024 * 1024;
  options.data_directories = config.storage.data_directories;
  options.wal_directory = config.storage.wal_directory;
  options.tiering = config.tiering;
  options.snapshots = config.snapshots;
  // Fencing and background recovery in single-node mode with the sqlite
  // catalog. In cluster mode and with an external catalog the node's start
  // reads every collection it holds, so a damaged one refuses the start
  // (in a cluster the other replicas serve its shards meanwhile).
  if (config.storage.on_damaged_collection == "fence" &&
      !config.cluster.enabled && config.catalog.backend == "sqlite") {
    options.on_damaged_collection =
        proximadb::DBOptions::OnDamagedCollection::kFence;
    options.recover_in_background = true;
  }
  return options;
}

// One start-up line per storage setting that is not the default. The S3
// access key and secret are never part of it (only whether they are set).
void LogStorage(const srv::ServerConfig& config) {
  for (const proximadb::DataDirectory& d : config.storage.data_directories) {
    spdlog::info("data directory {} (weight {})", d.path, d.weight);
  }
  if (!config.storage.wal_directory.empty()) {
    spdlog::info("WAL directory of new collections: {}",
                 config.storage.wal_directory);
  }
  const proximadb::TieringOptions& t = config.tiering;
  if (!t.s3_bucket.empty()) {
    spdlog::info(
        "cold tier: S3 bucket {} at {} (region {}, prefix '{}', credentials "
        "{})",
        t.s3_bucket, t.s3_endpoint, t.s3_region, t.s3_prefix,
        t.s3_access_key.empty() && t.s3_secret_key.empty() ? "none" : "set");
  } else if (!t.local_object_directory.empty()) {
    spdlog::info("cold tier: local object directory {}",
                 t.local_object_directory);
  }
  if (!t.defaults.warm_directory.empty()) {
    spdlog::info("default warm directory: {}", t.defaults.warm_directory);
  }
}

proximadb::Result<std::unique_ptr<proximadb::DB>> OpenDb(
    const srv::ServerConfig& config) {
  spdlog::info("node {} opening data directory {}", config.server.node_id,
               config.storage.data_directory);
  LogStorage(config);
  const proximadb::DBOptions options = DbOptionsFor(config);
  PDB_ASSIGN_OR_RETURN(
      auto db, proximadb::DB::Open(options, config.storage.data_directory));
  if (config.cluster.enabled) {
    // Cluster mode (docs/CLUSTER.md): the engine holds this node's replicas.
    proximadb::cluster::ClusterOptions o;
    o.enabled = true;
    o.node_id = config.cluster.node_id;
    o.advertise_address = config.cluster.advertise_address;
    const std::string host =
        o.advertise_address.substr(0, o.advertise_address.rfind(':'));
    o.rest_address = host + ":" + std::to_string(config.api.rest_port);
    o.grpc_address = host + ":" + std::to_string(config.api.grpc_port);
    o.rest_tls = !config.api.tls_cert_file.empty();
    o.etcd_endpoints = config.cluster.etcd_endpoints;
    o.nats_urls = config.cluster.nats_urls;
    o.default_shards = config.cluster.default_shards;
    o.default_replication_factor = config.cluster.default_replication_factor;
    o.lease_ttl_seconds = config.cluster.lease_ttl_seconds;
    o.internal_token = config.cluster.internal_token;
    if (o.internal_token.empty()) {
      spdlog::warn(
          "cluster node {}: [cluster] internal_token is not set: the internal "
          "API on {} takes calls from anyone who reaches it (keep it on a "
          "private network, or set the same token on every node)",
          o.node_id, o.advertise_address);
    }
    o.snapshot_interval_entries = config.cluster.snapshot_interval_entries;
    o.stream_retain_entries = config.cluster.stream_retain_entries;
    if (!config.catalog.namespace_.empty()) {
      o.cluster_namespace = config.catalog.namespace_;
    }
    PDB_ASSIGN_OR_RETURN(
        auto node, proximadb::cluster::ClusterNode::Start(
                       o, std::move(db),
                       options.env ? options.env : proximadb::Env::Default(),
                       config.storage.data_directory));
    return std::unique_ptr<proximadb::DB>(
        new proximadb::cluster::ClusterDB(std::move(node)));
  }
  if (config.catalog.backend == "sqlite") return db;
  // An external catalog (docs/CLUSTER.md, "Catalog backends").
  PDB_ASSIGN_OR_RETURN(auto store, proximadb::cluster::OpenCatalogStore(
                                       config.catalog, config.server.node_id,
                                       config.cluster.etcd_endpoints));
  return proximadb::cluster::BoundDB::Open(
      std::move(db), std::move(store), config.storage.data_directory,
      options.env ? options.env : proximadb::Env::Default());
}

// The web dashboard's files: [server] dashboard_dir, else the first
// candidate holding an index.html (api/rest/dashboard.h). A dashboard that
// is missing or unreadable is a warning, never a failed start: /dashboard/
// then says how to build it.
proximadb::rest::DashboardFiles LoadDashboard(const srv::ServerConfig& config) {
  namespace fs = std::filesystem;
  using proximadb::rest::DashboardFiles;
  std::vector<fs::path> candidates;
  if (!config.server.dashboard_dir.empty()) {
    candidates.emplace_back(config.server.dashboard_dir);
  } else {
    std::error_code ec;
    fs::path exe = fs::read_symlink("/proc/self/exe", ec);
    if (!ec) {
      candidates.push_back(exe.parent_path().parent_path() / "share" /
                           "proximadb" / "dashboard");
    }
#ifdef PDB_SOURCE_DASHBOARD_DIR
    candidates.emplace_back(PDB_SOURCE_DASHBOARD_DIR);
#endif
  }
  std::string tried;
  for (const fs::path& dir : candidates) {
    auto d = DashboardFiles::Load(dir);
    if (d.ok()) {
      spdlog::info("dashboard at /dashboard/: {} files, {} bytes from {}",
                   d->file_count(), d->total_bytes(), dir.string());
      return std::move(d).value();
    }
    if (!config.server.dashboard_dir.empty() ||
        d.status().code() != proximadb::StatusCode::kNotFound) {
      spdlog::warn("dashboard: {}", d.status().message());
    }
    tried += tried.empty() ? "" : ", ";
    tried += dir.string();
  }
  std::string reason = "No built dashboard was found (looked in: " +
                       (tried.empty() ? std::string("nowhere") : tried) + ").";
  spdlog::warn(
      "dashboard_enabled = true, but {} /dashboard/ says how to "
      "build it (./scripts/build-dashboard.sh)",
      reason);
  return DashboardFiles::NotBuilt(std::move(reason));
}

// Starts both transports on `service`, waits for SIGINT/SIGTERM, stops
// them and flushes.
int Serve(const srv::ServerConfig& config, const TlsPem& tls,
          const sigset_t& signals, proximadb::service::VectorService& service,
          const proximadb::service::AdmissionGates& gates) {
  std::optional<proximadb::rest::DashboardFiles> dashboard;
  proximadb::rest::RestOptions rest_options =
      RestOptionsFor(config, gates, tls);
  if (config.server.dashboard_enabled) {
    dashboard.emplace(LoadDashboard(config));
    rest_options.dashboard = &*dashboard;
  }
  auto server = proximadb::rest::RestServer::Start(rest_options, &service);
  if (!server.ok()) return Fail("cannot start REST API", server.status());
  uint16_t port = (*server)->port();
  auto grpc_server = proximadb::grpc_api::GrpcServer::Start(
      GrpcOptionsFor(config, gates, tls), &service);
  if (!grpc_server.ok()) {
    (*server)->Stop();
    return Fail("cannot start gRPC API", grpc_server.status());
  }
  uint16_t grpc_port = (*grpc_server)->port();

  const bool with_tls = !tls.cert.empty();
  spdlog::info("REST listening on {}://{}:{}", with_tls ? "https" : "http",
               config.server.bind_address, port);
  spdlog::info("gRPC listening on {}:{}{}", config.server.bind_address,
               grpc_port, with_tls ? " (TLS)" : "");
  std::printf("proximadb-server ready rest_port=%u grpc_port=%u\n", port,
              grpc_port);
  std::fflush(stdout);
  // Collections recover in the background ([storage] on_damaged_collection
  // = "fence"): a second line says when all of them are done (at once when
  // there was nothing to recover). Scripts that need every collection wait
  // for it; /health counts the collections still recovering meanwhile.
  std::thread recovered([&service] {
    service.WaitForRecovery();
    const proximadb::service::HealthInfo h = service.GetHealth();
    std::printf("proximadb-server recovered fenced=%llu\n",
                static_cast<unsigned long long>(h.collections_fenced));
    std::fflush(stdout);
  });

  int sig = 0;
  sigwait(&signals, &sig);
  spdlog::info("received {}, shutting down",
               sig == SIGINT ? "SIGINT" : "SIGTERM");
  std::thread grpc_stop([&] { (*grpc_server)->Stop(); });
  (*server)->Stop();
  grpc_stop.join();
  recovered.join();  // a recovery under way finishes (nothing is lost)
  Status flushed = service.FlushAll();
  if (!flushed.ok()) {
    // Unflushed data is still in the WAL and is replayed on the next start,
    // so this is not data loss; report it and exit cleanly.
    spdlog::error("flush on shutdown failed: {}", flushed.ToString());
  }
  spdlog::info("stopped");
  return 0;
}

int Run(int argc, char** argv) {
  auto cli = srv::ParseCommandLine(argc, argv);
  if (!cli.ok()) return Fail("bad command line", cli.status());
  if (cli->exit_now) {
    std::fputs(cli->output.c_str(), stdout);
    return cli->exit_code;
  }
  auto loaded = srv::LoadConfig(*cli, srv::ProcessEnvironment());
  if (!loaded.ok()) return Fail("bad configuration", loaded.status());
  const srv::ServerConfig& config = *loaded;

  auto logger = spdlog::stderr_color_mt("proximadb");
  spdlog::set_default_logger(logger);
  spdlog::set_level(spdlog::level::from_str(config.log_level));
  if (!cli->restore_snapshot.empty()) {
    return RestoreSnapshot(DbOptionsFor(config), config.storage.data_directory,
                           cli->restore_snapshot);
  }
  if (cli->rebuild_catalog) {
    return RebuildCatalog(DbOptionsFor(config), config.storage.data_directory,
                          cli->force);
  }
  const sigset_t signals = BlockShutdownSignals();
  auto tls = ReadTls(config);
  if (!tls.ok()) return Fail("bad configuration", tls.status());

  auto db = OpenDb(config);
  if (!db.ok()) {
    return Fail(
        "cannot open data directory '" + config.storage.data_directory + "'",
        db.status());
  }
  proximadb::service::VectorService service(std::move(db).value(), config.flush,
                                            config.tiering.defaults);
  proximadb::service::RecallOptions recall;
  recall.sample_rate = config.monitoring.recall_sample_rate;
  recall.cpu_share = config.monitoring.recall_cpu_share;
  service.EnableRecallEstimate(recall);
  service.set_memory_limit_bytes(
      static_cast<uint64_t>(config.storage.memory_limit_mb) * 1024 * 1024);
  // Shared by both transports: one key list, one in-flight bound, one set
  // of request metrics (declared before the servers, which use them).
  auto api_keys = proximadb::service::ApiKeys::Parse(config.api.api_keys);
  if (!api_keys.ok()) return Fail("bad configuration", api_keys.status());
  proximadb::service::InflightLimit inflight(config.api.max_inflight_requests);
  proximadb::service::Metrics metrics;
  if (api_keys->enabled()) {
    spdlog::info("API keys required ({} configured)",
                 config.api.api_keys.size());
  }
  const proximadb::service::AdmissionGates gates{
      api_keys->enabled() ? &*api_keys : nullptr, &inflight, &metrics};
  return Serve(config, *tls, signals, service, gates);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return Run(argc, argv);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "proximadb-server: fatal: %s\n", e.what());
    return 1;
  }
}
