// ServerConfig: the server's settings, from (later wins)
//   1. the defaults below,
//   2. a TOML file (--config <file>, else ./config.toml when it exists),
//   3. environment variables PROXIMADB_<SECTION>__<KEY> (e.g.
//      PROXIMADB_API__REST_PORT=9000; section and key are case-insensitive),
//   4. command-line flags (--data-dir, --rest-port, --grpc-port, --bind,
//      --log-level, --max-request-size-mb).
// Unknown sections or keys (in the file or in PROXIMADB_*__* variables) and
// values of the wrong type or out of range are errors naming the key, so a
// typo never silently runs the server on a default.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "cluster/catalog_options.h"
#include "proximadb/db.h"
#include "proximadb/status.h"
#include "proximadb/types.h"

namespace proximadb::server {

struct ServerConfig {
  struct Server {
    std::string node_id = "node-1";
    // Host part only; "0.0.0.0:5678" in a file is accepted and read as
    // "0.0.0.0" (the ports live in [api]).
    std::string bind_address = "0.0.0.0";
    // The web dashboard at /dashboard/ (api/rest/dashboard.h); off = 404.
    bool dashboard_enabled = true;
    // The built dashboard (dashboard/dist); empty = the first of
    // <binary's dir>/../share/proximadb/dashboard (the Debian package) and
    // the source tree's dashboard/dist that holds an index.html.
    std::string dashboard_dir;
    bool operator==(const Server&) const = default;
  } server;
  struct Storage {
    std::string data_directory = "./data";
    int64_t memtable_size_mb = 128;  // 1..65536
    bool compaction_enabled = true;
    // Where new segments go (several disks), each with a weight 1..1000;
    // empty = the data directory. In the file: an array of paths or of
    // { path = "...", weight = N }; in the environment: comma-separated
    // paths (weight 1). Paths non-empty and distinct.
    std::vector<DataDirectory> data_directories;
    // Where new collections' WALs go; empty = the data directory.
    std::string wal_directory;
    // WAL kept after a flush for the change feed (and point-in-time
    // restore): files younger than the hours, up to the megabytes per
    // collection; either 0 = none kept.
    int64_t wal_retention_hours = 24;  // 0..876000
    int64_t wal_retention_mb = 256;    // 0..1048576
    // Threads building one segment's graph; 0 = one per core.
    int64_t index_build_threads = 0;  // 0..256
    // viper collections: a segment of at least this many rows whose newest
    // write is this old gets an HNSW graph (0 = never).
    int64_t viper_graph_min_points = 1000000;  // 0..4294967295
    int64_t viper_graph_min_age_s = 3600;      // 0..31536000
    bool viper_graph_calibrate = true;
    // What flushes, compactions, index builds and tier moves may write,
    // all collections together, in MiB per second; 0 = no limit.
    int64_t background_io_mb_per_s = 0;  // 0..1048576
    // A collection with this much WAL after its last flush refuses writes
    // (503) until the flush catches up: what a restart replays at most.
    // 0 = no cap.
    int64_t max_unflushed_wal_mb = 1024;  // 0..1048576
    // "fence": a damaged collection is fenced while the others serve, and
    // collections recover in the background (single-node, sqlite catalog);
    // "refuse": a damaged collection refuses the start.
    std::string on_damaged_collection = "fence";
    // What collections may hold in process memory, MiB; 0 = no budget.
    int64_t memory_limit_mb = 0;  // 0..16777216
    bool operator==(const Storage&) const = default;
  } storage;
  struct Api {
    int64_t grpc_port = 5678;            // 0..65535; 0 = any free port
    int64_t rest_port = 8080;            // 0..65535; 0 = any free port
    int64_t request_timeout_ms = 30000;  // 1..3600000
    int64_t max_request_size_mb = 64;    // 1..4096
    // "ro:<key>", "rw:<key>" or "<key>" (read-write); empty = no auth. In
    // the environment: comma-separated. Validated by service::ApiKeys.
    std::vector<std::string> api_keys;
    int64_t max_inflight_requests = 256;  // 1..1000000, both protocols
    // PEM files; both set = TLS on both ports, both empty = plaintext.
    std::string tls_cert_file;
    std::string tls_key_file;
    int64_t grpc_max_concurrent_streams = 100;  // 1..65536, per connection
    // A gRPC connection without RPCs this long is closed (GOAWAY).
    int64_t grpc_idle_timeout_ms = 300000;  // 1000..86400000
    bool operator==(const Api&) const = default;
  } api;
  struct Monitoring {
    bool access_log = true;  // one log line per request, with its id
    bool metrics_enabled = true;
    int64_t health_check_interval_ms = 5000;  // 1..3600000
    // The live recall estimate (service/recall_estimator.h): the share of
    // searches re-run exactly (0..1; 0 = off) and the most of one core the
    // re-runs may use (0..1, > 0 while the rate is).
    double recall_sample_rate = 0.01;
    double recall_cpu_share = 0.05;
    bool operator==(const Monitoring&) const = default;
  } monitoring;
  // [flush]: global defaults of every collection's flush policy.
  FlushDefaults flush;
  // [tiering]: the object store of the cold tier and the defaults of every
  // collection's tiering policy. s3_access_key and s3_secret_key are
  // secrets: no log line or error message ever contains them.
  TieringOptions tiering;
  // [snapshots]: default_target ("local" | "s3") and local_directory
  // (proximadb/snapshot.h).
  SnapshotOptions snapshots;
  // [catalog]: where the catalog lives (cluster/catalog_options.h).
  // postgresql_url is a secret, like the S3 keys.
  cluster::CatalogOptions catalog;
  // [cluster]: cluster mode (docs/CLUSTER.md). etcd_endpoints
  // ("host:port") also serve [catalog] backend = "etcd".
  struct Cluster {
    std::vector<std::string> etcd_endpoints;
    bool enabled = false;
    std::string node_id;  // default: [server] node_id
    std::string advertise_address;
    std::vector<std::string> nats_urls;
    uint32_t default_shards = 1;
    uint32_t default_replication_factor = 1;
    std::string internal_token;     // a secret (cluster_options.h)
    int64_t lease_ttl_seconds = 3;  // membership lease (cluster_options.h)
    // Shard snapshots and stream retention (cluster_options.h).
    uint64_t snapshot_interval_entries = 10000;
    uint64_t stream_retain_entries = 10000;
    bool operator==(const Cluster&) const = default;
  } cluster;
  // Not part of the file: --log-level only (trace, debug, info, warn, error,
  // critical, off). Default "info".
  std::string log_level = "info";

  // Field-by-field; the README-reference test compares defaults with it.
  bool operator==(const ServerConfig&) const = default;
};

// Every key the parser accepts, as "section.key", in table order. The README's
// configuration reference is checked against this list by a test.
std::vector<std::string> ConfigKeyNames();

// Removes a ":port" suffix: "0.0.0.0:5678" -> "0.0.0.0", "[::1]:80" -> "::1".
// A bare IPv6 address ("::") is returned unchanged. Empty when the address
// is malformed (a port that is not digits, brackets around something that
// is not IPv6, characters no host or address has), which the configuration
// refuses as "no host".
std::string HostPart(std::string_view address);

// Applies a TOML document on top of `*config`. `source` names the file in
// error messages.
Status ApplyToml(std::string_view toml_text, std::string_view source,
                 ServerConfig* config);

// Applies every PROXIMADB_<SECTION>__<KEY> entry of `env` ("NAME=value"
// strings, as in `environ`). Other variables are ignored.
Status ApplyEnv(const std::vector<std::string>& env, ServerConfig* config);

// The flags, as parsed from the command line.
struct CommandLine {
  std::string config_file;  // empty: ./config.toml if present
  std::vector<std::pair<std::string, std::string>> overrides;  // key, value
  std::string log_level;
  // --rebuild-catalog: rebuild <data>/catalog.db from the collections'
  // manifests and exit (DB::RebuildCatalog); --force: even over a valid
  // catalog (only with --rebuild-catalog).
  bool rebuild_catalog = false;
  bool force = false;
  // --restore-snapshot <id>: restore snapshot <id> (a database snapshot:
  // every collection and alias; a collection snapshot: its collection)
  // into the empty data directory from the configured repositories, then
  // exit (DB::RestoreDatabaseSnapshot).
  std::string restore_snapshot;
  bool exit_now = false;  // --help / --version was handled
  int exit_code = 0;
  std::string output;  // text to print when exit_now (help, version)
};

// Parses argv with CLI11. Usage errors are kInvalidArgument with the usage
// message.
Result<CommandLine> ParseCommandLine(int argc, const char* const* argv);

// The whole chain: defaults, file, environment, flags.
Result<ServerConfig> LoadConfig(const CommandLine& cli,
                                const std::vector<std::string>& env);

// The process environment as "NAME=value" strings.
std::vector<std::string> ProcessEnvironment();

}  // namespace proximadb::server
