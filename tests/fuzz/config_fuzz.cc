// Fuzz target: the server configuration parsers (server/config.h): the TOML
// file (ApplyToml) and the PROXIMADB_<SECTION>__<KEY> environment entries
// (ApplyEnv).
//
// Input: TOML text. The same text is also read as environment entries, one
// per line (lines not starting with PROXIMADB_ are ignored, as in environ),
// so a seed such as "#env\nPROXIMADB_API__REST_PORT=1" exercises ApplyEnv.
// Invariants:
//   * neither parser throws; a refusal is kInvalidArgument;
//   * an accepted configuration, written back as TOML and read into a
//     default configuration, gives the same configuration: so everything
//     accepted is in range (re-reading checks the ranges again) and
//     survives the file format.
#include <charconv>
#include <cstdio>
#include <sstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "fuzz_util.h"
#include "server/config.h"

namespace proximadb::fuzz {
namespace {

using server::ServerConfig;

// A TOML basic string: quotes, backslashes and control characters escaped.
// (toml++'s own writer is not used: for a string holding both a newline and
// three single quotes it writes a multi-line literal string that no TOML
// parser reads.)
std::string Quote(std::string_view s) {
  std::string out = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      out += '\\';
      out += ch;
    } else if (c < 0x20 || c == 0x7f) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", c);
      out += buf;
    } else {
      out += ch;
    }
  }
  return out + "\"";
}

// The shortest round-trip form; a TOML float needs a '.' or an exponent.
std::string Float(double d) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof buf, d);
  std::string s(buf, end);
  if (s.find_first_of(".e") == std::string::npos) s += ".0";
  return s;
}

const char* Bool(bool b) { return b ? "true" : "false"; }

std::string List(const std::vector<std::string>& items) {
  std::string out = "[";
  for (const std::string& k : items) {
    out += (out.size() > 1 ? ", " : "") + Quote(k);
  }
  return out + "]";
}

std::string Render(const ServerConfig& c) {
  const std::string keys = List(c.api.api_keys);
  std::string dirs = "[";
  for (const DataDirectory& d : c.storage.data_directories) {
    dirs += (dirs.size() > 1 ? ", " : "") + std::string("{ path = ") +
            Quote(d.path) + ", weight = " + std::to_string(d.weight) + " }";
  }
  dirs += "]";
  const auto& a = c.api;
  const TieringOptions& t = c.tiering;
  std::ostringstream o;
  o << "[server]\n"
    << "node_id = " << Quote(c.server.node_id) << "\n"
    << "bind_address = " << Quote(c.server.bind_address) << "\n"
    << "dashboard_enabled = " << Bool(c.server.dashboard_enabled) << "\n"
    << "dashboard_dir = " << Quote(c.server.dashboard_dir) << "\n"
    << "[storage]\n"
    << "data_directory = " << Quote(c.storage.data_directory) << "\n"
    << "memtable_size_mb = " << c.storage.memtable_size_mb << "\n"
    << "compaction_enabled = " << Bool(c.storage.compaction_enabled) << "\n"
    << "data_directories = " << dirs << "\n"
    << "wal_directory = " << Quote(c.storage.wal_directory) << "\n"
    << "wal_retention_hours = " << c.storage.wal_retention_hours << "\n"
    << "wal_retention_mb = " << c.storage.wal_retention_mb << "\n"
    << "index_build_threads = " << c.storage.index_build_threads << "\n"
    << "viper_graph_min_points = " << c.storage.viper_graph_min_points << "\n"
    << "viper_graph_min_age_s = " << c.storage.viper_graph_min_age_s << "\n"
    << "viper_graph_calibrate = " << Bool(c.storage.viper_graph_calibrate)
    << "\n"
    << "background_io_mb_per_s = " << c.storage.background_io_mb_per_s << "\n"
    << "max_unflushed_wal_mb = " << c.storage.max_unflushed_wal_mb << "\n"
    << "memory_limit_mb = " << c.storage.memory_limit_mb << "\n"
    << "on_damaged_collection = " << Quote(c.storage.on_damaged_collection)
    << "\n"
    << "[api]\n"
    << "grpc_port = " << a.grpc_port << "\n"
    << "rest_port = " << a.rest_port << "\n"
    << "request_timeout_ms = " << a.request_timeout_ms << "\n"
    << "max_request_size_mb = " << a.max_request_size_mb << "\n"
    << "api_keys = " << keys << "\n"
    << "max_inflight_requests = " << a.max_inflight_requests << "\n"
    << "tls_cert_file = " << Quote(a.tls_cert_file) << "\n"
    << "tls_key_file = " << Quote(a.tls_key_file) << "\n"
    << "grpc_max_concurrent_streams = " << a.grpc_max_concurrent_streams << "\n"
    << "grpc_idle_timeout_ms = " << a.grpc_idle_timeout_ms << "\n"
    << "[monitoring]\n"
    << "access_log = " << Bool(c.monitoring.access_log) << "\n"
    << "metrics_enabled = " << Bool(c.monitoring.metrics_enabled) << "\n"
    << "health_check_interval_ms = " << c.monitoring.health_check_interval_ms
    << "\n"
    << "recall_sample_rate = " << Float(c.monitoring.recall_sample_rate) << "\n"
    << "recall_cpu_share = " << Float(c.monitoring.recall_cpu_share) << "\n"
    << "[flush]\n"
    << "max_wal_age_hours = " << Float(c.flush.max_wal_age_hours) << "\n"
    << "max_wal_size_mb = " << Float(c.flush.max_wal_size_mb) << "\n"
    << "max_vector_count = " << c.flush.max_vector_count << "\n"
    << "flush_priority = " << c.flush.flush_priority << "\n"
    << "enable_background_flush = " << Bool(c.flush.enable_background_flush)
    << "\n"
    << "[tiering]\n"
    << "s3_endpoint = " << Quote(t.s3_endpoint) << "\n"
    << "s3_region = " << Quote(t.s3_region) << "\n"
    << "s3_bucket = " << Quote(t.s3_bucket) << "\n"
    << "s3_prefix = " << Quote(t.s3_prefix) << "\n"
    << "s3_access_key = " << Quote(t.s3_access_key) << "\n"
    << "s3_secret_key = " << Quote(t.s3_secret_key) << "\n"
    << "cache_mb = " << t.defaults.cache_mb << "\n"
    << "upload_concurrency = " << t.upload_concurrency << "\n"
    << "warm_directory = " << Quote(t.defaults.warm_directory) << "\n"
    << "warm_after_hours = " << Float(t.defaults.warm_after_hours) << "\n"
    << "cold_after_hours = " << Float(t.defaults.cold_after_hours) << "\n"
    << "local_object_directory = " << Quote(t.local_object_directory) << "\n"
    << "[snapshots]\n"
    << "default_target = "
    << Quote(c.snapshots.default_target == SnapshotTarget::kS3 ? "s3" : "local")
    << "\n"
    << "local_directory = " << Quote(c.snapshots.local_directory) << "\n"
    << "wal_archive = " << Bool(t.defaults.wal_archive) << "\n"
    << "wal_archive_interval_seconds = "
    << c.snapshots.wal_archive_interval_seconds << "\n"
    << "wal_archive_retention_hours = "
    << static_cast<int64_t>(c.snapshots.wal_archive_retention_hours) << "\n"
    << "wal_archive_retention_mb = " << c.snapshots.wal_archive_retention_mb
    << "\n"
    << "[catalog]\n"
    << "backend = " << Quote(c.catalog.backend) << "\n"
    << "namespace = " << Quote(c.catalog.namespace_) << "\n"
    << "postgresql_url = " << Quote(c.catalog.postgresql_url) << "\n"
    << "timeout_ms = " << c.catalog.timeout_ms << "\n"
    << "[cluster]\n"
    << "etcd_endpoints = " << List(c.cluster.etcd_endpoints) << "\n"
    << "enabled = " << Bool(c.cluster.enabled) << "\n"
    << "node_id = " << Quote(c.cluster.node_id) << "\n"
    << "advertise_address = " << Quote(c.cluster.advertise_address) << "\n"
    << "nats_urls = " << List(c.cluster.nats_urls) << "\n"
    << "default_shards = " << c.cluster.default_shards << "\n"
    << "default_replication_factor = " << c.cluster.default_replication_factor
    << "\n"
    << "internal_token = " << Quote(c.cluster.internal_token) << "\n"
    << "lease_ttl_seconds = " << c.cluster.lease_ttl_seconds << "\n"
    << "snapshot_interval_entries = " << c.cluster.snapshot_interval_entries
    << "\n"
    << "stream_retain_entries = " << c.cluster.stream_retain_entries << "\n";
  return o.str();
}

void CheckRoundTrip(const ServerConfig& c) {
  // Every key is written, so a key added to the parser must be added to
  // Render too, or the comparison below would miss it.
  FUZZ_CHECK(server::ConfigKeyNames().size() == 72,
             "config_fuzz.cc: render the new configuration key");
  const std::string text = Render(c);
  ServerConfig back;
  Status s = server::ApplyToml(text, "rendered", &back);
  FUZZ_CHECK(s.ok(), s, text);
  // bind_address is stored as its host part; taking it twice may shorten a
  // malformed address again ("[a:b]c" -> "a:b" -> "a").
  back.server.bind_address = c.server.bind_address;
  FUZZ_CHECK(back == c, "configuration changed through TOML", text);
}

// TOML text is UTF-8, so only a configuration whose strings are can be
// written back. (Environment values may hold any bytes; they are paths, a
// name for the logs and API keys compared bytewise, so that is harmless.)
bool AllUtf8(const ServerConfig& c) {
  const TieringOptions& t = c.tiering;
  std::vector<std::string> all = {c.server.node_id,
                                  c.server.bind_address,
                                  c.server.dashboard_dir,
                                  c.storage.data_directory,
                                  c.storage.wal_directory,
                                  c.api.tls_cert_file,
                                  c.api.tls_key_file,
                                  t.s3_endpoint,
                                  t.s3_region,
                                  t.s3_bucket,
                                  t.s3_prefix,
                                  t.s3_access_key,
                                  t.s3_secret_key,
                                  t.defaults.warm_directory,
                                  t.local_object_directory,
                                  c.snapshots.local_directory,
                                  c.catalog.backend,
                                  c.catalog.namespace_,
                                  c.catalog.postgresql_url,
                                  c.cluster.node_id,
                                  c.cluster.advertise_address,
                                  c.cluster.internal_token};
  all.insert(all.end(), c.api.api_keys.begin(), c.api.api_keys.end());
  all.insert(all.end(), c.cluster.etcd_endpoints.begin(),
             c.cluster.etcd_endpoints.end());
  all.insert(all.end(), c.cluster.nats_urls.begin(), c.cluster.nats_urls.end());
  for (const DataDirectory& d : c.storage.data_directories) {
    all.push_back(d.path);
  }
  try {
    for (const std::string& s : all) (void)nlohmann::json(s).dump();
  } catch (const nlohmann::json::type_error&) {
    return false;
  }
  return true;
}

std::vector<std::string> Lines(std::string_view in) {
  std::vector<std::string> out;
  while (!in.empty()) {
    const size_t nl = in.find('\n');
    out.emplace_back(in.substr(0, nl));
    in = nl == in.npos ? "" : in.substr(nl + 1);
  }
  return out;
}

}  // namespace
}  // namespace proximadb::fuzz

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace proximadb;
  using namespace proximadb::fuzz;
  const std::string_view in = AsView(data, size);
  {
    ServerConfig c;
    Status s = server::ApplyToml(in, "fuzz.toml", &c);
    FUZZ_CHECK(s.ok() || s.code() == StatusCode::kInvalidArgument, s);
    if (s.ok()) CheckRoundTrip(c);
  }
  {
    ServerConfig c;
    Status s = server::ApplyEnv(Lines(in), &c);
    FUZZ_CHECK(s.ok() || s.code() == StatusCode::kInvalidArgument, s);
    if (s.ok() && AllUtf8(c)) CheckRoundTrip(c);
  }
  return 0;
}
