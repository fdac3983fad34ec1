#include "server/config.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <exception>
#include <fstream>
#include <functional>
#include <sstream>
#include <variant>

#include <toml++/toml.h>
#include <CLI/CLI.hpp>

#include "service/auth.h"
#include "service/service.h"

extern char** environ;

namespace proximadb::server {

namespace {

// kHours: a number in [min, max] (0 allowed); kDirList: data directories.
enum class Kind {
  kString,
  kBool,
  kInt,
  kDouble,
  kStringList,
  kHours,
  kDirList
};
using Value =
    std::variant<std::string, bool, int64_t, double, std::vector<std::string>,
                 std::vector<DataDirectory>>;

// One configuration key: where it lives, its type and range, and how it is
// stored. The single table below drives the file, the environment and the
// flags alike, so the three can never disagree.
struct KeySpec {
  std::string_view section;
  std::string_view key;
  Kind kind;
  int64_t min = 0;  // kInt: range; kString: 1 = must not be empty
  int64_t max = 0;
  std::function<void(ServerConfig*, const Value&)> set;
  // kString: the form that is stored (and checked), when not the text as
  // given.
  std::function<std::string(std::string_view)> normalize = nullptr;
  // kString: what is wrong with the value ("" = nothing). The message must
  // not quote the value of a secret key.
  std::function<std::string(std::string_view)> check = nullptr;
};

const std::string& S(const Value& v) { return std::get<std::string>(v); }
bool B(const Value& v) { return std::get<bool>(v); }
int64_t I(const Value& v) { return std::get<int64_t>(v); }
double D(const Value& v) { return std::get<double>(v); }
const std::vector<std::string>& L(const Value& v) {
  return std::get<std::vector<std::string>>(v);
}
const std::vector<DataDirectory>& DL(const Value& v) {
  return std::get<std::vector<DataDirectory>>(v);
}

// [tiering] warm_directory: an absolute path, or empty (no warm tier).
std::string AbsoluteOrEmpty(std::string_view path) {
  if (path.empty() || path.front() == '/') return "";
  return "must be an absolute path (or empty), got '" + std::string(path) + "'";
}

// [snapshots] default_target.
std::string SnapshotTargetCheck(std::string_view t) {
  if (t == "local" || t == "s3") return "";
  return "must be \"local\" or \"s3\", got '" + std::string(t) + "'";
}

// [catalog] namespace: empty (the node id) or the collection-name rules.
std::string CatalogNamespaceCheck(std::string_view ns) {
  if (ns.empty()) return "";
  if (ValidateAliasName(std::string(ns)).ok()) return "";
  return "must be 1.." + std::to_string(kMaxCollectionNameBytes) +
         " characters of [A-Za-z0-9_-], got '" + std::string(ns) + "'";
}

// [cluster] advertise_address: empty or host:port with a port.
std::string HostAndPortOrEmpty(std::string_view a) {
  if (a.empty()) return "";
  const size_t colon = a.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == a.size() ||
      a.find_first_not_of("0123456789", colon + 1) != std::string_view::npos) {
    return "must be host:port (the address other nodes reach this node's "
           "internal API at), got '" +
           std::string(a) + "'";
  }
  return "";
}

// Weights of [storage] data_directories.
constexpr int64_t kMinWeight = 1;
constexpr int64_t kMaxWeight = 1000;
// [tiering] ages (hours; 0 = never) and cache (MiB): as a collection's
// tiering policy (util/limits.h).
constexpr int64_t kMaxAgeHours = 876000;
constexpr int64_t kMaxCacheMb = 1048576;

const std::vector<KeySpec>& Keys() {
  using C = ServerConfig;
  constexpr int64_t kHour = 3600000;
  static const std::vector<KeySpec> keys = {
      {"server", "node_id", Kind::kString, 1, 0,
       [](C* c, const Value& v) { c->server.node_id = S(v); }},
      {"server", "bind_address", Kind::kString, 1, 0,
       [](C* c, const Value& v) { c->server.bind_address = S(v); }, HostPart},
      {"server", "dashboard_enabled", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->server.dashboard_enabled = B(v); }},
      {"server", "dashboard_dir", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->server.dashboard_dir = S(v); }},
      {"storage", "data_directory", Kind::kString, 1, 0,
       [](C* c, const Value& v) { c->storage.data_directory = S(v); }},
      {"storage", "memtable_size_mb", Kind::kInt, 1, 65536,
       [](C* c, const Value& v) { c->storage.memtable_size_mb = I(v); }},
      {"storage", "compaction_enabled", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->storage.compaction_enabled = B(v); }},
      {"storage", "data_directories", Kind::kDirList, 0, 0,
       [](C* c, const Value& v) { c->storage.data_directories = DL(v); }},
      {"storage", "wal_directory", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->storage.wal_directory = S(v); }},
      {"storage", "wal_retention_hours", Kind::kInt, 0, 876000,
       [](C* c, const Value& v) { c->storage.wal_retention_hours = I(v); }},
      {"storage", "wal_retention_mb", Kind::kInt, 0, 1048576,
       [](C* c, const Value& v) { c->storage.wal_retention_mb = I(v); }},
      {"storage", "index_build_threads", Kind::kInt, 0, 256,
       [](C* c, const Value& v) { c->storage.index_build_threads = I(v); }},
      {"storage", "viper_graph_min_points", Kind::kInt, 0, 4294967295,
       [](C* c, const Value& v) { c->storage.viper_graph_min_points = I(v); }},
      {"storage", "viper_graph_min_age_s", Kind::kInt, 0, 31536000,
       [](C* c, const Value& v) { c->storage.viper_graph_min_age_s = I(v); }},
      {"storage", "viper_graph_calibrate", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->storage.viper_graph_calibrate = B(v); }},
      {"storage", "background_io_mb_per_s", Kind::kInt, 0, 1048576,
       [](C* c, const Value& v) { c->storage.background_io_mb_per_s = I(v); }},
      {"storage", "max_unflushed_wal_mb", Kind::kInt, 0, 1048576,
       [](C* c, const Value& v) { c->storage.max_unflushed_wal_mb = I(v); }},
      {"storage", "memory_limit_mb", Kind::kInt, 0, 16777216,
       [](C* c, const Value& v) { c->storage.memory_limit_mb = I(v); }},
      {"storage", "on_damaged_collection", Kind::kString, 1, 0,
       [](C* c, const Value& v) { c->storage.on_damaged_collection = S(v); },
       nullptr,
       [](std::string_view v) -> std::string {
         if (v == "fence" || v == "refuse") return "";
         return "must be \"fence\" or \"refuse\", got '" + std::string(v) +
                "'";
       }},
      {"api", "grpc_port", Kind::kInt, 0, 65535,
       [](C* c, const Value& v) { c->api.grpc_port = I(v); }},
      {"api", "rest_port", Kind::kInt, 0, 65535,
       [](C* c, const Value& v) { c->api.rest_port = I(v); }},
      {"api", "request_timeout_ms", Kind::kInt, 1, kHour,
       [](C* c, const Value& v) { c->api.request_timeout_ms = I(v); }},
      {"api", "max_request_size_mb", Kind::kInt, 1, 4096,
       [](C* c, const Value& v) { c->api.max_request_size_mb = I(v); }},
      {"api", "api_keys", Kind::kStringList, 0, 0,
       [](C* c, const Value& v) { c->api.api_keys = L(v); }},
      {"api", "max_inflight_requests", Kind::kInt, 1, 1000000,
       [](C* c, const Value& v) { c->api.max_inflight_requests = I(v); }},
      {"api", "tls_cert_file", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->api.tls_cert_file = S(v); }},
      {"api", "tls_key_file", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->api.tls_key_file = S(v); }},
      {"api", "grpc_max_concurrent_streams", Kind::kInt, 1, 65536,
       [](C* c, const Value& v) { c->api.grpc_max_concurrent_streams = I(v); }},
      {"api", "grpc_idle_timeout_ms", Kind::kInt, 1000, 24 * kHour,
       [](C* c, const Value& v) { c->api.grpc_idle_timeout_ms = I(v); }},
      {"monitoring", "access_log", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->monitoring.access_log = B(v); }},
      {"monitoring", "metrics_enabled", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->monitoring.metrics_enabled = B(v); }},
      {"monitoring", "health_check_interval_ms", Kind::kInt, 1, kHour,
       [](C* c, const Value& v) {
         c->monitoring.health_check_interval_ms = I(v);
       }},
      {"monitoring", "recall_sample_rate", Kind::kHours, 0, 1,
       [](C* c, const Value& v) { c->monitoring.recall_sample_rate = D(v); }},
      {"monitoring", "recall_cpu_share", Kind::kHours, 0, 1,
       [](C* c, const Value& v) { c->monitoring.recall_cpu_share = D(v); }},
      {"flush", "max_wal_age_hours", Kind::kDouble, 0, 0,
       [](C* c, const Value& v) { c->flush.max_wal_age_hours = D(v); }},
      {"flush", "max_wal_size_mb", Kind::kDouble, 0, 0,
       [](C* c, const Value& v) { c->flush.max_wal_size_mb = D(v); }},
      {"flush", "max_vector_count", Kind::kInt, 1,
       std::numeric_limits<int64_t>::max(),
       [](C* c, const Value& v) {
         c->flush.max_vector_count = static_cast<uint64_t>(I(v));
       }},
      {"flush", "flush_priority", Kind::kInt, 1, 100,
       [](C* c, const Value& v) {
         c->flush.flush_priority = static_cast<int>(I(v));
       }},
      {"flush", "enable_background_flush", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->flush.enable_background_flush = B(v); }},
      {"tiering", "s3_endpoint", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->tiering.s3_endpoint = S(v); }},
      {"tiering", "s3_region", Kind::kString, 1, 0,
       [](C* c, const Value& v) { c->tiering.s3_region = S(v); }},
      {"tiering", "s3_bucket", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->tiering.s3_bucket = S(v); }},
      {"tiering", "s3_prefix", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->tiering.s3_prefix = S(v); }},
      {"tiering", "s3_access_key", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->tiering.s3_access_key = S(v); }},
      {"tiering", "s3_secret_key", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->tiering.s3_secret_key = S(v); }},
      {"tiering", "cache_mb", Kind::kInt, 0, kMaxCacheMb,
       [](C* c, const Value& v) {
         c->tiering.defaults.cache_mb = static_cast<uint64_t>(I(v));
       }},
      {"tiering", "upload_concurrency", Kind::kInt, 1, 64,
       [](C* c, const Value& v) {
         c->tiering.upload_concurrency = static_cast<uint32_t>(I(v));
       }},
      {"tiering", "warm_directory", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->tiering.defaults.warm_directory = S(v); },
       nullptr, AbsoluteOrEmpty},
      {"tiering", "warm_after_hours", Kind::kHours, 0, kMaxAgeHours,
       [](C* c, const Value& v) {
         c->tiering.defaults.warm_after_hours = D(v);
       }},
      {"tiering", "cold_after_hours", Kind::kHours, 0, kMaxAgeHours,
       [](C* c, const Value& v) {
         c->tiering.defaults.cold_after_hours = D(v);
       }},
      {"tiering", "local_object_directory", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->tiering.local_object_directory = S(v); }},
      {"snapshots", "default_target", Kind::kString, 1, 0,
       [](C* c, const Value& v) {
         c->snapshots.default_target =
             S(v) == "s3" ? SnapshotTarget::kS3 : SnapshotTarget::kLocal;
       },
       nullptr, SnapshotTargetCheck},
      {"snapshots", "local_directory", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->snapshots.local_directory = S(v); }},
      // The default of each collection's tiering.wal_archive.
      {"snapshots", "wal_archive", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->tiering.defaults.wal_archive = B(v); }},
      {"snapshots", "wal_archive_interval_seconds", Kind::kInt, 1, 86400,
       [](C* c, const Value& v) {
         c->snapshots.wal_archive_interval_seconds =
             static_cast<uint32_t>(I(v));
       }},
      {"snapshots", "wal_archive_retention_hours", Kind::kInt, 0, 876000,
       [](C* c, const Value& v) {
         c->snapshots.wal_archive_retention_hours = static_cast<double>(I(v));
       }},
      {"snapshots", "wal_archive_retention_mb", Kind::kInt, 0, 1073741824,
       [](C* c, const Value& v) {
         c->snapshots.wal_archive_retention_mb = static_cast<uint64_t>(I(v));
       }},
      {"catalog", "backend", Kind::kString, 1, 0,
       [](C* c, const Value& v) { c->catalog.backend = S(v); }, nullptr,
       [](std::string_view b) { return cluster::CatalogBackendCheck(b); }},
      {"catalog", "namespace", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->catalog.namespace_ = S(v); }, nullptr,
       CatalogNamespaceCheck},
      // A secret: messages never quote it.
      {"catalog", "postgresql_url", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->catalog.postgresql_url = S(v); }},
      {"catalog", "timeout_ms", Kind::kInt, 100, 600000,
       [](C* c, const Value& v) { c->catalog.timeout_ms = I(v); }},
      {"cluster", "etcd_endpoints", Kind::kStringList, 0, 0,
       [](C* c, const Value& v) { c->cluster.etcd_endpoints = L(v); }},
      {"cluster", "enabled", Kind::kBool, 0, 0,
       [](C* c, const Value& v) { c->cluster.enabled = B(v); }},
      {"cluster", "node_id", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->cluster.node_id = S(v); }, nullptr,
       CatalogNamespaceCheck},
      {"cluster", "advertise_address", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->cluster.advertise_address = S(v); },
       nullptr, HostAndPortOrEmpty},
      {"cluster", "nats_urls", Kind::kStringList, 0, 0,
       [](C* c, const Value& v) { c->cluster.nats_urls = L(v); }},
      {"cluster", "default_shards", Kind::kInt, 1, kMaxShardCount,
       [](C* c, const Value& v) {
         c->cluster.default_shards = static_cast<uint32_t>(I(v));
       }},
      {"cluster", "default_replication_factor", Kind::kInt, 1,
       kMaxReplicationFactor,
       [](C* c, const Value& v) {
         c->cluster.default_replication_factor = static_cast<uint32_t>(I(v));
       }},
      // A secret: messages never quote it.
      {"cluster", "internal_token", Kind::kString, 0, 0,
       [](C* c, const Value& v) { c->cluster.internal_token = S(v); }},
      {"cluster", "lease_ttl_seconds", Kind::kInt, 2, 60,
       [](C* c, const Value& v) { c->cluster.lease_ttl_seconds = I(v); }},
      {"cluster", "snapshot_interval_entries", Kind::kInt, 0, 1000000000,
       [](C* c, const Value& v) {
         c->cluster.snapshot_interval_entries = static_cast<uint64_t>(I(v));
       }},
      {"cluster", "stream_retain_entries", Kind::kInt, 0, 1000000000,
       [](C* c, const Value& v) {
         c->cluster.stream_retain_entries = static_cast<uint64_t>(I(v));
       }},
  };
  return keys;
}

std::string Name(const KeySpec& k) {
  return "[" + std::string(k.section) + "] " + std::string(k.key);
}

std::string_view KindName(Kind k) {
  switch (k) {
    case Kind::kString:
      return "a string";
    case Kind::kBool:
      return "a boolean";
    case Kind::kInt:
      return "an integer";
    case Kind::kDouble:
      return "a number";
    case Kind::kStringList:
      return "an array of strings";
    case Kind::kHours:
      return "a number";
    case Kind::kDirList:
      return "an array of paths or of { path = \"...\", weight = N } tables";
  }
  return "?";
}

const KeySpec* FindKey(std::string_view section, std::string_view key) {
  for (const KeySpec& k : Keys()) {
    if (k.section == section && k.key == key) return &k;
  }
  return nullptr;
}

bool SectionExists(std::string_view section) {
  for (const KeySpec& k : Keys()) {
    if (k.section == section) return true;
  }
  return false;
}

// Range checks shared by every source; `where` says which source it was.
Status Store(const KeySpec& k, Value v, const std::string& where,
             ServerConfig* c) {
  std::string given;
  if (k.kind == Kind::kString && k.normalize) {
    given = S(v);
    v = k.normalize(given);
  }
  if (k.kind == Kind::kInt && (I(v) < k.min || I(v) > k.max)) {
    return Status::InvalidArgument(
        where + ": " + Name(k) + " must be in " + std::to_string(k.min) + ".." +
        std::to_string(k.max) + ", got " + std::to_string(I(v)));
  }
  if (k.kind == Kind::kDouble && !(std::isfinite(D(v)) && D(v) > 0)) {
    return Status::InvalidArgument(where + ": " + Name(k) +
                                   " must be a finite number > 0");
  }
  if (k.kind == Kind::kHours &&
      !(std::isfinite(D(v)) && D(v) >= static_cast<double>(k.min) &&
        D(v) <= static_cast<double>(k.max))) {
    std::ostringstream got;
    got << D(v);
    return Status::InvalidArgument(
        where + ": " + Name(k) + " must be in " + std::to_string(k.min) + ".." +
        std::to_string(k.max) + ", got " + got.str());
  }
  if (k.kind == Kind::kString && k.check) {
    if (std::string why = k.check(S(v)); !why.empty()) {
      return Status::InvalidArgument(where + ": " + Name(k) + " " + why);
    }
  }
  if (k.kind == Kind::kDirList) {
    const std::vector<DataDirectory>& dirs = DL(v);
    for (size_t i = 0; i < dirs.size(); ++i) {
      const std::string at =
          where + ": " + Name(k) + "[" + std::to_string(i) + "]";
      if (dirs[i].path.empty()) {
        return Status::InvalidArgument(at + ": the path must not be empty");
      }
      if (dirs[i].weight < kMinWeight || dirs[i].weight > kMaxWeight) {
        return Status::InvalidArgument(at + ": weight must be in " +
                                       std::to_string(kMinWeight) + ".." +
                                       std::to_string(kMaxWeight) + ", got " +
                                       std::to_string(dirs[i].weight));
      }
      for (size_t j = 0; j < i; ++j) {
        if (dirs[j].path == dirs[i].path) {
          return Status::InvalidArgument(at + ": '" + dirs[i].path +
                                         "' is listed twice (also at [" +
                                         std::to_string(j) + "])");
        }
      }
    }
  }
  // Empty is meaningful for some strings (no TLS file = plaintext).
  if (k.kind == Kind::kString && k.min > 0 && S(v).empty()) {
    // Checked on the stored form: ":5678" has no host to bind.
    return Status::InvalidArgument(
        where + ": " + Name(k) + " must not be empty" +
        (given.empty() ? "" : " (no host in '" + given + "')"));
  }
  if (k.kind == Kind::kStringList) {
    // Key entries are secrets: the error names the entry's position only.
    Result<service::ApiKeys> keys = service::ApiKeys::Parse(L(v));
    if (!keys.ok()) {
      return Status::InvalidArgument(where + ": " + Name(k) + ": " +
                                     keys.status().message());
    }
  }
  k.set(c, v);
  return Status::OK();
}

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& ch : out) {
    ch = static_cast<char>(std::tolower(static_cast<unsigned char>(ch)));
  }
  return out;
}

// Text (environment or flag) -> a value of the key's type.
Result<Value> ParseText(const KeySpec& k, const std::string& text,
                        const std::string& where) {
  auto bad = [&]() {
    return Status::InvalidArgument(where + ": " + Name(k) + " must be " +
                                   std::string(KindName(k.kind)) + ", got '" +
                                   text + "'");
  };
  switch (k.kind) {
    case Kind::kString:
      return Value(text);
    case Kind::kBool: {
      std::string t = Lower(text);
      if (t == "true" || t == "1" || t == "yes" || t == "on")
        return Value(true);
      if (t == "false" || t == "0" || t == "no" || t == "off") {
        return Value(false);
      }
      return bad();
    }
    case Kind::kStringList: {
      // Comma-separated; blanks around entries are dropped, an empty text
      // is an empty list (auth off).
      std::vector<std::string> items;
      std::string_view rest = text;
      while (!rest.empty()) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        size_t b = item.find_first_not_of(" \t");
        size_t e = item.find_last_not_of(" \t");
        if (b != std::string_view::npos) {
          items.emplace_back(item.substr(b, e - b + 1));
        }
        rest = comma == std::string_view::npos ? std::string_view()
                                               : rest.substr(comma + 1);
      }
      return Value(std::move(items));
    }
    case Kind::kDirList: {
      // Comma-separated paths, each with weight 1; an empty text is an
      // empty list (the data directory only). An empty entry ("a,,b") is
      // kept so that Store refuses it.
      std::vector<DataDirectory> dirs;
      if (text.find_first_not_of(" \t") == std::string::npos) {
        return Value(std::move(dirs));
      }
      std::string_view rest = text;
      for (;;) {
        size_t comma = rest.find(',');
        std::string_view item = rest.substr(0, comma);
        size_t b = item.find_first_not_of(" \t");
        size_t e = item.find_last_not_of(" \t");
        dirs.push_back(
            DataDirectory{b == std::string_view::npos
                              ? ""
                              : std::string(item.substr(b, e - b + 1)),
                          1});
        if (comma == std::string_view::npos) break;
        rest = rest.substr(comma + 1);
      }
      return Value(std::move(dirs));
    }
    case Kind::kInt: {
      int64_t x = 0;
      auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), x);
      if (ec != std::errc() || p != text.data() + text.size() || text.empty()) {
        return bad();
      }
      return Value(x);
    }
    case Kind::kDouble:
    case Kind::kHours: {
      if (text.empty()) return bad();
      char* end = nullptr;
      errno = 0;
      double x = std::strtod(text.c_str(), &end);
      if (errno != 0 || end != text.c_str() + text.size()) return bad();
      return Value(x);
    }
  }
  return bad();
}

Status ApplyText(const KeySpec& k, const std::string& text,
                 const std::string& where, ServerConfig* c) {
  PDB_ASSIGN_OR_RETURN(Value v, ParseText(k, text, where));
  return Store(k, v, where, c);
}

// [storage] data_directories from TOML: each entry a path, or an inline
// table { path = "...", weight = N } (weight default 1). Ranges and
// duplicates are Store's.
Result<Value> DirList(const KeySpec& k, const toml::array& a,
                      const std::string& where) {
  std::vector<DataDirectory> dirs;
  for (size_t i = 0; i < a.size(); ++i) {
    const toml::node& e = *a.get(i);
    const std::string at =
        where + ": " + Name(k) + "[" + std::to_string(i) + "]";
    if (e.is_string()) {
      dirs.push_back(DataDirectory{*e.value<std::string>(), 1});
      continue;
    }
    const toml::table* t = e.as_table();
    if (t == nullptr) {
      return Status::InvalidArgument(
          at + " must be a path or a { path = \"...\", weight = N } table");
    }
    DataDirectory d;
    bool has_path = false;
    for (auto&& [key, value] : *t) {
      if (key.str() == "path" && value.is_string()) {
        d.path = *value.value<std::string>();
        has_path = true;
      } else if (key.str() == "weight" && value.is_integer()) {
        int64_t w = *value.value<int64_t>();
        if (w < kMinWeight || w > kMaxWeight) {
          return Status::InvalidArgument(
              at + ": weight must be in " + std::to_string(kMinWeight) + ".." +
              std::to_string(kMaxWeight) + ", got " + std::to_string(w));
        }
        d.weight = static_cast<uint32_t>(w);
      } else if (key.str() == "path" || key.str() == "weight") {
        return Status::InvalidArgument(at + ": " + std::string(key.str()) +
                                       (key.str() == "path"
                                            ? " must be a string"
                                            : " must be an integer"));
      } else {
        return Status::InvalidArgument(at + ": unknown key '" +
                                       std::string(key.str()) +
                                       "' (expected path, weight)");
      }
    }
    if (!has_path) {
      return Status::InvalidArgument(at + ": missing path");
    }
    dirs.push_back(std::move(d));
  }
  return Value(std::move(dirs));
}

// A TOML node -> a value of the key's type (integers are accepted for
// floating-point keys: max_wal_size_mb = 32).
Result<Value> FromToml(const KeySpec& k, const toml::node& n,
                       const std::string& where) {
  switch (k.kind) {
    case Kind::kString:
      if (auto s = n.value<std::string>(); s && n.is_string()) return Value(*s);
      break;
    case Kind::kBool:
      if (n.is_boolean()) return Value(*n.value<bool>());
      break;
    case Kind::kInt:
      if (n.is_integer()) return Value(*n.value<int64_t>());
      break;
    case Kind::kDouble:
    case Kind::kHours:
      if (n.is_floating_point() || n.is_integer()) {
        return Value(*n.value<double>());
      }
      break;
    case Kind::kDirList:
      if (const toml::array* a = n.as_array()) return DirList(k, *a, where);
      break;
    case Kind::kStringList:
      if (const toml::array* a = n.as_array()) {
        std::vector<std::string> items;
        for (const toml::node& e : *a) {
          if (!e.is_string()) {
            return Status::InvalidArgument(where + ": " + Name(k) +
                                           " must hold only strings");
          }
          items.push_back(*e.value<std::string>());
        }
        return Value(std::move(items));
      }
      break;
  }
  return Status::InvalidArgument(where + ": " + Name(k) + " must be " +
                                 std::string(KindName(k.kind)));
}

Result<std::string> ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    return Status::InvalidArgument("cannot read config file '" + path +
                                   "': " + std::strerror(errno));
  }
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace

namespace {
// A host name, an IPv4 address or an IPv6 one (with a zone: "fe80::1%eth0").
bool HostChars(std::string_view host) {
  return std::all_of(host.begin(), host.end(), [](char ch) {
    return std::isalnum(static_cast<unsigned char>(ch)) || ch == '.' ||
           ch == '-' || ch == '_' || ch == ':' || ch == '%';
  });
}
bool PortSuffix(std::string_view rest) {  // "" or ":digits"
  if (rest.empty()) return true;
  return rest.size() > 1 && rest.front() == ':' &&
         std::all_of(rest.begin() + 1, rest.end(), [](char ch) {
           return std::isdigit(static_cast<unsigned char>(ch));
         });
}
}  // namespace

std::string HostPart(std::string_view address) {
  std::string_view host = address;
  if (!address.empty() && address.front() == '[') {
    size_t close = address.find(']');
    if (close == std::string_view::npos ||
        !PortSuffix(address.substr(close + 1))) {
      return "";
    }
    host = address.substr(1, close - 1);
    // Brackets are for an IPv6 address only (two colons at least, so the
    // stored form reads back as a bare IPv6 address).
    if (std::count(host.begin(), host.end(), ':') < 2) return "";
  } else {
    size_t colon = address.find(':');
    // Exactly one colon: host:port. More than one: a bare IPv6 address.
    if (colon != std::string_view::npos &&
        address.find(':', colon + 1) == std::string_view::npos) {
      if (!PortSuffix(address.substr(colon))) return "";
      host = address.substr(0, colon);
    }
  }
  return HostChars(host) ? std::string(host) : "";
}

Status ApplyToml(std::string_view toml_text, std::string_view source,
                 ServerConfig* config) {
  const std::string src(source);
  toml::table root;
  try {
    root = toml::parse(toml_text, src);
  } catch (const toml::parse_error& e) {
    return Status::InvalidArgument(src + ":" +
                                   std::to_string(e.source().begin.line) + ":" +
                                   std::to_string(e.source().begin.column) +
                                   ": " + std::string(e.description()));
  } catch (const std::exception& e) {
    return Status::InvalidArgument(src + ": " + e.what());
  }
  for (auto&& [section_key, section_node] : root) {
    std::string section(section_key.str());
    if (!SectionExists(section)) {
      return Status::InvalidArgument(src + ": unknown section [" + section +
                                     "]");
    }
    const toml::table* table = section_node.as_table();
    if (table == nullptr) {
      return Status::InvalidArgument(src + ": '" + section +
                                     "' must be a [section]");
    }
    for (auto&& [key, node] : *table) {
      const KeySpec* spec = FindKey(section, key.str());
      if (spec == nullptr) {
        return Status::InvalidArgument(src + ": unknown key '" +
                                       std::string(key.str()) +
                                       "' in section [" + section + "]");
      }
      PDB_ASSIGN_OR_RETURN(Value v, FromToml(*spec, node, src));
      PDB_RETURN_IF_ERROR(Store(*spec, v, src, config));
    }
  }
  return Status::OK();
}

Status ApplyEnv(const std::vector<std::string>& env, ServerConfig* config) {
  constexpr std::string_view kPrefix = "PROXIMADB_";
  for (const std::string& entry : env) {
    if (entry.rfind(kPrefix, 0) != 0) continue;
    size_t eq = entry.find('=');
    if (eq == std::string::npos) continue;
    std::string name = entry.substr(0, eq);
    std::string rest = name.substr(kPrefix.size());
    size_t sep = rest.find("__");
    if (sep == std::string::npos) continue;  // not a config override
    const KeySpec* spec =
        FindKey(Lower(rest.substr(0, sep)), Lower(rest.substr(sep + 2)));
    if (spec == nullptr) {
      return Status::InvalidArgument("environment variable " + name +
                                     " names no configuration key");
    }
    PDB_RETURN_IF_ERROR(
        ApplyText(*spec, entry.substr(eq + 1), "environment " + name, config));
  }
  return Status::OK();
}

Result<CommandLine> ParseCommandLine(int argc, const char* const* argv) {
  CommandLine cli;
  try {
    CLI::App app{"ProximaDB vector database server", "proximadb-server"};
    app.set_version_flag("--version", service::kVersion);
    std::string data_dir, rest_port, grpc_port, bind, max_request;
    app.add_option("-c,--config", cli.config_file,
                   "TOML configuration file (default: ./config.toml if it "
                   "exists)");
    app.add_option("--data-dir", data_dir, "[storage] data_directory");
    app.add_option("--rest-port", rest_port,
                   "[api] rest_port (0 = pick a free port)");
    app.add_option("--grpc-port", grpc_port,
                   "[api] grpc_port (0 = pick a free port)");
    app.add_option("--bind", bind, "[server] bind_address");
    app.add_option("--max-request-size-mb", max_request,
                   "[api] max_request_size_mb");
    app.add_option("--log-level", cli.log_level,
                   "trace|debug|info|warn|error|critical|off (default info)");
    app.add_flag("--rebuild-catalog", cli.rebuild_catalog,
                 "rebuild <data>/catalog.db from the collections' manifests, "
                 "then exit (the server does not start)");
    app.add_flag("--force", cli.force,
                 "with --rebuild-catalog: rebuild even over a valid catalog");
    app.add_option("--restore-snapshot", cli.restore_snapshot,
                   "restore snapshot <id> (every collection and alias of a "
                   "database snapshot) into the empty data directory from "
                   "[snapshots] local_directory or the [tiering] object "
                   "store, then exit (the server does not start)");
    try {
      app.parse(argc, argv);
    } catch (const CLI::ParseError& e) {
      std::ostringstream out, err;
      int code = app.exit(e, out, err);
      if (code == 0) {  // --help or --version
        cli.exit_now = true;
        cli.output = out.str() + err.str();
        return cli;
      }
      return Status::InvalidArgument(err.str() + out.str());
    }
    if (!cli.restore_snapshot.empty() && cli.rebuild_catalog) {
      return Status::InvalidArgument(
          "--restore-snapshot and --rebuild-catalog cannot be combined");
    }
    if (cli.force && !cli.rebuild_catalog) {
      return Status::InvalidArgument(
          "--force is only valid with --rebuild-catalog");
    }
    if (app.count("--data-dir")) {
      cli.overrides.emplace_back("storage.data_directory", data_dir);
    }
    if (app.count("--rest-port")) {
      cli.overrides.emplace_back("api.rest_port", rest_port);
    }
    if (app.count("--grpc-port")) {
      cli.overrides.emplace_back("api.grpc_port", grpc_port);
    }
    if (app.count("--bind")) {
      cli.overrides.emplace_back("server.bind_address", bind);
    }
    if (app.count("--max-request-size-mb")) {
      cli.overrides.emplace_back("api.max_request_size_mb", max_request);
    }
  } catch (const std::exception& e) {
    return Status::InvalidArgument(std::string("command line: ") + e.what());
  }
  return cli;
}

Result<ServerConfig> LoadConfig(const CommandLine& cli,
                                const std::vector<std::string>& env) {
  ServerConfig config;
  std::string file = cli.config_file;
  if (file.empty()) {
    std::ifstream probe("config.toml");
    if (probe.good()) file = "config.toml";
  }
  if (!file.empty()) {
    PDB_ASSIGN_OR_RETURN(std::string text, ReadFile(file));
    PDB_RETURN_IF_ERROR(ApplyToml(text, file, &config));
  }
  PDB_RETURN_IF_ERROR(ApplyEnv(env, &config));
  for (const auto& [dotted, value] : cli.overrides) {
    size_t dot = dotted.find('.');
    const KeySpec* spec =
        FindKey(dotted.substr(0, dot), dotted.substr(dot + 1));
    if (spec == nullptr) return Status::Internal("no key " + dotted);
    PDB_RETURN_IF_ERROR(ApplyText(*spec, value, "command line", &config));
  }
  if (!cli.log_level.empty()) {
    static const char* kLevels[] = {"trace", "debug",    "info", "warn",
                                    "error", "critical", "off"};
    std::string level = Lower(cli.log_level);
    if (std::find(std::begin(kLevels), std::end(kLevels), level) ==
        std::end(kLevels)) {
      return Status::InvalidArgument(
          "--log-level must be one of trace, "
          "debug, info, warn, error, critical, "
          "off; got '" +
          cli.log_level + "'");
    }
    config.log_level = level;
  }
  if (!config.tiering.s3_bucket.empty() && config.tiering.s3_endpoint.empty()) {
    return Status::InvalidArgument(
        "[tiering] s3_bucket is set but s3_endpoint is empty: the cold tier "
        "needs the S3 endpoint (e.g. s3_endpoint = \"http://127.0.0.1:7480\")");
  }
  if (config.monitoring.recall_sample_rate > 0 &&
      config.monitoring.recall_cpu_share <= 0) {
    return Status::InvalidArgument(
        "[monitoring] recall_cpu_share must be > 0 while recall_sample_rate "
        "is > 0 (set recall_sample_rate = 0 to turn the recall estimate "
        "off)");
  }
  if (config.snapshots.default_target == SnapshotTarget::kS3 &&
      config.tiering.s3_bucket.empty() &&
      config.tiering.local_object_directory.empty()) {
    return Status::InvalidArgument(
        "[snapshots] default_target = \"s3\" needs the object store of "
        "[tiering]: set s3_bucket (with s3_endpoint) or "
        "local_object_directory");
  }
  if (config.cluster.enabled) {
    if (config.cluster.node_id.empty()) {
      // [server] node_id has no rule of its own; a cluster node's id is a
      // key in etcd and a path segment of the API (drain), so it follows
      // [cluster] node_id's.
      config.cluster.node_id = config.server.node_id;
      if (std::string why = CatalogNamespaceCheck(config.cluster.node_id);
          !why.empty()) {
        return Status::InvalidArgument(
            "[server] node_id is this cluster node's id (no [cluster] "
            "node_id is set), which " +
            why);
      }
    }
    if (config.cluster.advertise_address.empty() ||
        config.cluster.etcd_endpoints.empty() ||
        config.cluster.nats_urls.empty()) {
      return Status::InvalidArgument(
          "[cluster] enabled = true needs advertise_address (host:port of "
          "this node's internal API), etcd_endpoints and nats_urls "
          "(docs/CLUSTER.md)");
    }
    if (config.catalog.backend != "sqlite") {
      return Status::InvalidArgument(
          "[catalog] backend must stay \"sqlite\" in cluster mode: the "
          "cluster's catalog is in etcd, and each node's engine keeps its "
          "replicas in its own");
    }
    if (config.api.rest_port == 0 || config.api.grpc_port == 0) {
      return Status::InvalidArgument(
          "cluster mode needs fixed [api] rest_port and grpc_port (the other "
          "nodes list them)");
    }
  }
  if (config.api.tls_cert_file.empty() != config.api.tls_key_file.empty()) {
    return Status::InvalidArgument(
        "[api] tls_cert_file and tls_key_file must be set together (TLS "
        "needs both the certificate and its private key)");
  }
  return config;
}

std::vector<std::string> ConfigKeyNames() {
  std::vector<std::string> out;
  for (const KeySpec& k : Keys()) {
    out.push_back(std::string(k.section) + "." + std::string(k.key));
  }
  return out;
}

std::vector<std::string> ProcessEnvironment() {
  std::vector<std::string> out;
  for (char** e = environ; e != nullptr && *e != nullptr; ++e) {
    out.emplace_back(*e);
  }
  return out;
}

}  // namespace proximadb::server
