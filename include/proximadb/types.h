// Value types of the embeddable API: collection configuration, points, search
// requests and results.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "proximadb/status.h"

namespace proximadb {

enum class Metric : uint32_t {
  kCosine = 0,      // score = cosine similarity, higher is better
  kEuclidean = 1,   // score = L2 distance, lower is better
  kDotProduct = 2,  // score = inner product, higher is better
};
std::string_view MetricName(
    Metric m);  // "cosine" | "euclidean" | "dot_product"
Result<Metric> ParseMetric(std::string_view name);

// How WAL records are serialised, chosen per collection at creation.
enum class WalFormat : uint32_t {
  kNative = 0,  // compact little-endian binary (default)
  kAvro = 1,    // Avro binary encoding (schema in docs/FORMATS.md)
};
std::string_view WalFormatName(WalFormat f);  // "native" | "avro"
Result<WalFormat> ParseWalFormat(std::string_view name);

struct IndexConfig {
  // "hnsw" | "flat" | "ivf" (the index kind; "ivf" only with the storage
  // strategy "custom": docs/API.md, "Storage strategies").
  std::string algorithm = "hnsw";
  uint32_t m = 16;                 // HNSW graph degree
  uint32_t ef_construction = 200;  // HNSW build beam width
  uint32_t ef_search = 64;         // default search beam width
  // "none" | "int8" | "binary" | "pq": HNSW walks int8 codes (binary: 1 bit
  // per dimension; pq: one byte per 4 dimensions) held in RAM and re-scores
  // the best candidates with the full-precision vectors; a flat collection
  // scans the codes of every point and re-scores the best max(ef_search, k).
  // Default "none".
  std::string quantization = "none";
  // ivf only: partitions per segment (0: about sqrt(rows) of the segment)
  // and partitions a search probes unless it sets its own nprobe (0: the
  // index's default, index::IvfIndex::DefaultNprobe). At most
  // kMaxIvfNlist; nprobe <= nlist when both are set.
  uint32_t nlist = 0;
  uint32_t nprobe = 0;
  bool operator==(const IndexConfig&) const = default;
};

// A metadata field a viper (or custom ivf) collection keeps typed
// statistics of, per partition of each segment, so that a filter on it
// skips the partitions that cannot match (docs/API.md, "Filterable
// columns"). `name` is a field path as filters write it ("a.b"); `type` is
// "string" | "int" | "float" | "bool" | "datetime" (RFC 3339 strings);
// `indexed` also keeps a payload index on the field (of the matching type:
// keyword, integer, float, bool, datetime).
struct FilterableColumn {
  std::string name;
  std::string type;
  bool indexed = false;
  bool operator==(const FilterableColumn&) const = default;
};

// A collection's storage layout: the index, the storage strategy, the
// memtable kind and the filterable columns, the part of its configuration a
// live migration changes (Collection::Migrate; docs/API.md, "Live
// migration").
struct LayoutSettings {
  IndexConfig index;
  std::string storage_strategy = "standard";
  std::string memtable = "btree";
  std::vector<FilterableColumn> filterable_columns = {};
  std::string compression = "none";
  bool operator==(const LayoutSettings&) const = default;
};

// Which of the layout's choices a request named; the others take the
// storage strategy's defaults (ApplyStrategyDefaults).
struct LayoutGiven {
  bool memtable = false;
  bool algorithm = false;
  bool quantization = false;
  bool compression = false;
};
// The defaults of a storage strategy for the choices a request left out:
// viper takes memtable "hash", index kind "ivf", quantization "int8" and
// compression "zstd"; standard and custom keep IndexConfig's and
// LayoutSettings' defaults (btree, hnsw, no quantization, no compression).
// Called by every parser of a create or a migration target, after reading
// the request.
void ApplyStrategyDefaults(const LayoutGiven& given,
                           std::string_view storage_strategy,
                           IndexConfig* index, std::string* memtable,
                           std::string* compression);
// A field path as filters and payload indexes take it ("a.b.c"): 1..
// kMaxPayloadFieldBytes bytes, not starting with '$', at most
// kMaxFieldPathSegments non-empty segments.
Status ValidateFieldPath(const std::string& field);

// The collection's last live migration, kept in its configuration (so that
// a restart resumes it): its layouts before and after, and where it is.
struct MigrationRecord {
  std::string id;     // "mig-<started_unix_ms>"
  std::string state;  // "running" | "done" | "cancelled" | "failed"
  uint64_t started_unix_ms = 0;
  uint64_t finished_unix_ms = 0;  // 0 while running
  std::string error;              // why it failed
  LayoutSettings from;
  LayoutSettings to;
  bool operator==(const MigrationRecord&) const = default;
};

// A migration and its progress (Collection::GetMigration). Segments are done
// when their index has the collection's current layout (after a cancel: the
// layout migrated from, which they are rebuilt back to).
struct MigrationStatus {
  MigrationRecord record;
  uint64_t segments_done = 0;
  uint64_t segments_total = 0;
  uint64_t points_done = 0;  // rows of the segments done
  uint64_t points_total = 0;
  // Seconds left at the rate so far; negative while unknown.
  double eta_seconds = -1;
};

// Per-collection flush policy. Unset fields fall back to the server's [flush]
// defaults (FlushDefaults) at the moment the policy is evaluated.
struct FlushPolicy {
  std::optional<double> max_wal_age_hours;      // age of oldest unflushed write
  std::optional<double> max_wal_size_mb;        // bytes in the live WAL
  std::optional<uint64_t> max_vector_count;     // points in the memtable
  std::optional<int> flush_priority;            // 1..100, higher goes first
  std::optional<bool> enable_background_flush;  // false: manual flush only
  bool operator==(const FlushPolicy&) const = default;
};

// Global defaults, the [flush] section of config.toml.
struct FlushDefaults {
  double max_wal_age_hours = 24.0;
  double max_wal_size_mb = 128.0;
  uint64_t max_vector_count = 1000000;
  int flush_priority = 50;
  bool enable_background_flush = true;
  bool operator==(const FlushDefaults&) const = default;
};

// A policy with every field resolved.
struct EffectiveFlushPolicy {
  double max_wal_age_hours;
  double max_wal_size_mb;
  uint64_t max_vector_count;
  int flush_priority;
  bool enable_background_flush;
};
EffectiveFlushPolicy Resolve(const FlushPolicy& p, const FlushDefaults& d);

// A collection's tiering policy (create, and PATCH like the flush policy).
// Unset fields take the server's [tiering] defaults (TieringDefaults).
// A segment moves to the warm tier when its newest write is older than
// warm_after_hours, to the cold tier (the object store) when older than
// cold_after_hours; 0 = never. Defaults keep everything hot and local.
struct TieringPolicy {
  std::optional<double> warm_after_hours;  // 0..876000
  std::optional<double> cold_after_hours;  // 0..876000
  // Where warm segments go (a directory on a slower disk); empty = none.
  std::optional<std::string> warm_directory;
  // Byte budget of this collection's cache of cold segments, in MiB.
  std::optional<uint64_t> cache_mb;  // 0..1048576
  // Copy sealed WAL files to the WAL archive (the [snapshots]
  // default_target repository) for point-in-time restore.
  std::optional<bool> wal_archive;
  bool operator==(const TieringPolicy&) const = default;
};

// [tiering] defaults for the policy fields a collection leaves unset.
struct TieringDefaults {
  double warm_after_hours = 0;
  double cold_after_hours = 0;
  std::string warm_directory;
  uint64_t cache_mb = 1024;
  bool wal_archive = false;  // [snapshots] wal_archive
  bool operator==(const TieringDefaults&) const = default;
};

// A policy with every field resolved.
struct EffectiveTieringPolicy {
  double warm_after_hours;
  double cold_after_hours;
  std::string warm_directory;
  uint64_t cache_mb;
  bool wal_archive;
};
EffectiveTieringPolicy Resolve(const TieringPolicy& p,
                               const TieringDefaults& d);
// Ranges: ages 0..876000 hours, cache_mb 0..1048576, warm_directory an
// absolute path (or empty). ValidateCollectionConfig includes it.
Status ValidateTieringPolicy(const TieringPolicy& t);

// One named dense vector of a collection: its own dimension, metric and
// index; a multivector name holds a matrix of vectors per point (late
// interaction, scored by MaxSim).
struct NamedVectorConfig {
  std::string name;        // [A-Za-z0-9_-], 1..kMaxSparseVectorNameBytes
  uint32_t dimension = 0;  // 1..kMaxDimension
  Metric metric = Metric::kCosine;
  bool multivector = false;
  // "hnsw" (default): each segment gets an HNSW graph over the name's
  // vectors (for a multivector name, over every row of every matrix), built
  // in the background; "flat": exact scans only. m, ef_construction and
  // ef_search as for the collection's own index; quantization must be
  // "none" (named vectors are searched on their float values).
  IndexConfig index = {};
  bool operator==(const NamedVectorConfig&) const = default;
};

// A collection's configuration. Everything but `flush` is fixed when the
// collection is created (the engine keeps that part const and reads it
// without a lock); `flush` is the one part that changes, through
// Collection::SetFlushPolicy (REST PATCH / gRPC UpdateCollection).
struct CollectionConfig {
  std::string name;        // [A-Za-z0-9_-], 1..128 chars
  uint32_t dimension = 0;  // 1..65536
  Metric metric = Metric::kCosine;
  IndexConfig index;
  FlushPolicy flush;
  WalFormat wal_format = WalFormat::kNative;
  // Changes like `flush` (Collection::SetTieringPolicy).
  TieringPolicy tiering;
  // Cluster mode (docs/CLUSTER.md): how many shards the collection's points
  // are spread over (by the hash of the id) and how many replicas each
  // shard has. 0 = the node's default ([cluster] default_shards /
  // default_replication_factor; 1 in single-node mode, where only 0 and 1
  // are accepted). Fixed at create.
  uint32_t shard_count = 0;
  uint32_t replication_factor = 0;
  // Names of the collection's sparse vectors (docs/API.md, "Sparse
  // vectors"), sorted, each [A-Za-z0-9_-] 1..64 chars; at most
  // kMaxSparseVectorNames. Fixed at create. Points may carry a sparse
  // vector under any of these names beside their dense vector.
  std::vector<std::string> sparse_vectors;
  // The collection's named dense vectors (docs/API.md, "Named vectors and
  // multi-vectors"), sorted by name, beside its main (unnamed) vector; at
  // most kMaxNamedVectors, names as for sparse vectors and distinct from
  // them. Fixed at create.
  std::vector<NamedVectorConfig> vectors = {};
  // Time to live (docs/API.md, "Expiry"): points written without their
  // own expires_at expire this many seconds after the write; 0 = never
  // (at most kMaxTtlSeconds). Fixed at create.
  uint64_t default_ttl_seconds = 0;
  // How segments are laid out and indexed (docs/API.md, "Storage
  // strategies"): "standard" (row segments, an HNSW graph or a flat scan,
  // the ordered memtable) or "custom" (the index kind, quantization and
  // memtable chosen by the user). Fixed at create.
  std::string storage_strategy = "standard";
  // The memtable kind: "btree" (ordered) or "hash" (fastest upserts, sorted
  // when scanned or flushed); only "custom" may choose "hash".
  std::string memtable = "btree";
  // The last live migration of the layout (index, storage_strategy,
  // memtable), if any; set only by Collection::Migrate and
  // CancelMigration, never by a create.
  std::optional<MigrationRecord> migration;
  // Metadata fields with per-partition statistics (FilterableColumn); only
  // with storage_strategy "viper", or "custom" with index kind "ivf"; at
  // most kMaxFilterableColumns, names distinct. Changed by a migration.
  std::vector<FilterableColumn> filterable_columns = {};
  // How segments store their ids and metadata: "none" (as is, served from
  // the mapped file) or "zstd" (compressed on disk, unpacked into memory
  // when a segment is opened); only "viper" (its default) and "custom" may
  // choose "zstd". Changed by a migration (segments are then rewritten).
  std::string compression = "none";
  LayoutSettings layout() const {
    return {index, storage_strategy, memtable, filterable_columns, compression};
  }
  void set_layout(const LayoutSettings& l) {
    index = l.index;
    storage_strategy = l.storage_strategy;
    memtable = l.memtable;
    filterable_columns = l.filterable_columns;
    compression = l.compression;
  }
};
// Checks name, dimension, index and flush-policy ranges.
Status ValidateCollectionConfig(const CollectionConfig& c);
// Sparse vector names: at most kMaxSparseVectorNames, each 1..64 characters
// of [A-Za-z0-9_-], sorted and distinct (parsers sort what they read).
Status ValidateSparseVectorNames(const std::vector<std::string>& names);
// Named vectors: at most kMaxNamedVectors, names as for sparse vectors
// (sorted, distinct, none also a sparse vector name), dimension
// 1..kMaxDimension.
Status ValidateNamedVectors(const std::vector<NamedVectorConfig>& vectors,
                            const std::vector<std::string>& sparse_names);
// The named vector `name` of `c`, or null.
const NamedVectorConfig* FindNamedVector(
    const std::vector<NamedVectorConfig>& vectors, std::string_view name);

// Aliases (docs/API.md, "Aliases"): a second name for a collection, in the
// same namespace as collection names, resolved wherever a collection name is
// accepted. A switch is a delete and a create of the same alias in one
// DB::UpdateAliases call.
struct AliasAction {
  enum class Kind { kCreate, kDelete };
  Kind kind = Kind::kCreate;
  std::string alias;       // the collection-name rules
  std::string collection;  // kCreate: the collection's own name
  bool operator==(const AliasAction&) const = default;
};
struct AliasInfo {
  std::string alias;
  std::string collection;
  bool operator==(const AliasInfo&) const = default;
};
// An alias name follows the collection-name rules (util/limits.h).
Status ValidateAliasName(const std::string& alias);
// Every action's names (and that there is at least one action, at most
// kMaxAliasActions): the checks that need no state.
Status ValidateAliasActions(const std::vector<AliasAction>& actions);

// A payload index: the values at one metadata path, indexed in every
// segment so the search planner can count and list matching rows without
// reading metadata (docs/FILTERS.md, "Payload indexes").
enum class PayloadIndexType : uint32_t {
  kKeyword = 0,   // strings: posting list per distinct value
  kInteger = 1,   // numbers: sorted (value, row) pairs for ranges
  kFloat = 2,     // numbers: same structure as kInteger
  kBool = 3,      // booleans: two posting lists
  kDatetime = 4,  // RFC 3339 strings: sorted (instant, row) pairs for ranges
  kGeo = 5,       // {"lat", "lon"} points: sorted by latitude for shapes
  kText = 6,      // strings split into words: posting list per word ($text)
};
inline std::string_view PayloadIndexTypeName(PayloadIndexType t) {
  switch (t) {
    case PayloadIndexType::kKeyword:
      return "keyword";
    case PayloadIndexType::kInteger:
      return "integer";
    case PayloadIndexType::kFloat:
      return "float";
    case PayloadIndexType::kBool:
      return "bool";
    case PayloadIndexType::kDatetime:
      return "datetime";
    case PayloadIndexType::kGeo:
      return "geo";
    case PayloadIndexType::kText:
      return "text";
  }
  return "unknown";
}
inline Result<PayloadIndexType> ParsePayloadIndexType(std::string_view name) {
  for (auto t : {PayloadIndexType::kKeyword, PayloadIndexType::kInteger,
                 PayloadIndexType::kFloat, PayloadIndexType::kBool,
                 PayloadIndexType::kDatetime, PayloadIndexType::kGeo,
                 PayloadIndexType::kText}) {
    if (PayloadIndexTypeName(t) == name) return t;
  }
  return Status::InvalidArgument(
      "unknown payload index type '" + std::string(name) +
      "' (expected keyword, integer, float, bool, datetime, geo or text)");
}

// Where a segment's bytes live (docs/ARCHITECTURE.md, "Tiers and
// placement"): hot = a data directory ([storage] data_directories), warm =
// the collection's warm directory, cold = the object store ([tiering]),
// served through a local cache.
enum class Tier : uint32_t {
  kHot = 0,
  kWarm = 1,
  kCold = 2,
};

inline std::string_view TierName(Tier t) {
  switch (t) {
    case Tier::kHot:
      return "hot";
    case Tier::kWarm:
      return "warm";
    case Tier::kCold:
      return "cold";
  }
  return "?";
}

inline std::optional<Tier> ParseTier(std::string_view name) {
  for (Tier t : {Tier::kHot, Tier::kWarm, Tier::kCold}) {
    if (TierName(t) == name) return t;
  }
  return std::nullopt;
}

struct PayloadIndexDef {
  std::string field;  // dotted metadata path, as in filters ("a.b")
  PayloadIndexType type = PayloadIndexType::kKeyword;
  bool operator==(const PayloadIndexDef&) const = default;
};
// The payload indexes of the columns declared `indexed`, by field: string
// -> keyword, int -> integer, float -> float, bool -> bool, datetime ->
// datetime. The columns must be valid (ValidateCollectionConfig).
std::vector<PayloadIndexDef> ColumnPayloadIndexes(
    const std::vector<FilterableColumn>& columns);

// One immutable segment, as GET /collections/{name}/segments lists it.
struct SegmentInfo {
  uint64_t id = 0;
  Tier tier = Tier::kHot;
  uint64_t points = 0;       // rows in the segment, dead ones included
  uint64_t live_points = 0;  // rows not deleted or overwritten since
  uint64_t bytes = 0;        // the segment file (or object) size
  // Hot/warm: the directory holding it ("" = the main data directory).
  std::string directory;
  uint64_t min_seq = 0, max_seq = 0;
  bool graph_loaded = false;  // HNSW graph built/loaded (false for flat)
  // Cold: whether the local cache holds it now.
  bool cached = false;
  // When its newest write was flushed (0 = unknown, before this was kept):
  // what warm_after_hours / cold_after_hours are counted from.
  uint64_t newest_write_unix_ms = 0;
  // Its ids and metadata are stored zstd-compressed (the collection's
  // compression when it was written), and the bytes they take unpacked in
  // the server's memory while the segment is open (0 when not compressed).
  bool compressed = false;
  uint64_t unpacked_bytes = 0;
};

// Per-tier totals of a collection's segments (CollectionInfo::tiers).
struct TierTotals {
  uint64_t segments = 0;
  uint64_t bytes = 0;
  uint64_t points = 0;  // live points
};

// Since the collection was opened: tier moves and the cold tier's traffic.
struct TieringCounters {
  uint64_t moves = 0, move_failures = 0;
  uint64_t uploads = 0, upload_bytes = 0;
  uint64_t downloads = 0, download_bytes = 0;
  uint64_t retries = 0, failures = 0;  // object store requests
  uint64_t cache_hits = 0, cache_misses = 0, cache_evictions = 0;
  uint64_t cache_bytes = 0;  // bytes cached now
};

// The live recall estimate of a collection's searches: a sampled share of
// them re-run exactly in the background (src/service/recall_estimator.h).
struct RecallEstimate {
  double recall = 0;     // mean recall@k over the samples (0 when none)
  uint64_t samples = 0;  // samples in the estimate (the newest, a window)
  // The 95% Wilson score interval of `recall` (0..1 when no samples).
  double ci_lower = 0;
  double ci_upper = 1;
  uint64_t samples_total = 0;  // samples run since the server started
  uint64_t dropped_total = 0;  // sampled but dropped: the worker was busy
  bool operator==(const RecallEstimate&) const = default;
};

// The kinds of background work as stats and /metrics name them: a running
// task is one of the first kBackgroundTaskKinds; "other" counts writes
// made outside any task.
inline constexpr std::string_view kBackgroundKindNames[] = {
    "flush",         "compaction", "index_build",
    "payload_index", "tier_move",  "other"};
inline constexpr size_t kBackgroundTaskKinds = 5;

// One background write of a collection running now (docs/API.md,
// "Background I/O").
struct BackgroundTask {
  // flush | compaction | index_build | payload_index | tier_move
  std::string kind;
  uint64_t segments = 0;     // segments it reads or writes
  uint64_t bytes_done = 0;   // bytes it has written so far
  uint64_t bytes_total = 0;  // what it will write, estimated; 0 = not known
  double seconds = 0;        // since it began
  double eta_seconds = -1;   // until it has written bytes_total; -1 = not known
  bool operator==(const BackgroundTask&) const = default;
};

// A collection's background writes: flush, compaction, index and payload
// index builds, tier moves (not the WAL, not the catalog).
struct BackgroundIo {
  // The server's budget for them ([storage] background_io_mb_per_s, in
  // bytes per second); 0 = none.
  uint64_t budget_bytes_per_s = 0;
  // Since the collection was opened, by kind (the kinds of BackgroundTask,
  // and "other").
  std::map<std::string, uint64_t> bytes_written;
  // Since opened: time its writers waited for the budget.
  double throttled_seconds = 0;
  std::vector<BackgroundTask> tasks;  // running now, oldest first
  bool operator==(const BackgroundIo&) const = default;
};

// How this process's start recovered a collection (docs/OPERATIONS.md,
// "Recovery time").
struct RecoveryInfo {
  // Checking its manifest, segments and WAL, replaying the WAL after its
  // last flush, then starting it (collections recover in parallel).
  double seconds = 0;
  uint64_t wal_records = 0;  // WAL records replayed
  uint64_t wal_bytes = 0;    // bytes of the WAL after its last flush
  bool operator==(const RecoveryInfo&) const = default;
};

// The process memory (anonymous, not the page cache of mmapped files) a
// collection's parts hold, as the memory budget counts it ([storage]
// memory_limit_mb; docs/OPERATIONS.md, "Memory budget").
struct MemoryUsage {
  uint64_t memtables = 0;  // the memtable and the one being flushed
  uint64_t graphs = 0;     // HNSW graphs built in memory (not mmapped from
                           // their file), IVF indexes, quantized codes,
                           // named-vector graphs with their vectors
  uint64_t payload_indexes = 0;
  uint64_t unpacked_segments = 0;  // compressed sections held unpacked
  uint64_t total() const {
    return memtables + graphs + payload_indexes + unpacked_segments;
  }
  bool operator==(const MemoryUsage&) const = default;
};
// The names of MemoryUsage's parts in /metrics and the stats ("memtables",
// "graphs", "payload_indexes", "unpacked_segments"), in its order.
inline constexpr std::string_view kMemoryComponentNames[] = {
    "memtables", "graphs", "payload_indexes", "unpacked_segments"};
inline constexpr uint64_t MemoryUsage::*kMemoryComponents[] = {
    &MemoryUsage::memtables, &MemoryUsage::graphs,
    &MemoryUsage::payload_indexes, &MemoryUsage::unpacked_segments};

// Whether a listed collection serves (DBOptions::on_damaged_collection,
// recover_in_background).
enum class CollectionState { kServing, kRecovering, kFenced };
std::string_view CollectionStateName(CollectionState s);

struct CollectionInfo {
  CollectionConfig config;
  // Not kServing: only config, created_at_unix_ms and state_message are
  // set; the message says why (the damage found, or since when it has been
  // recovering).
  CollectionState state = CollectionState::kServing;
  std::string state_message;
  uint64_t point_count = 0;                 // live points
  uint64_t segment_count = 0;               // immutable segments on disk
  uint64_t memtable_points = 0;             // points not yet flushed
  uint64_t wal_bytes = 0;                   // bytes in live WAL files
  double oldest_unflushed_age_seconds = 0;  // 0 when nothing is unflushed
  uint64_t last_sequence = 0;
  uint64_t created_at_unix_ms = 0;
  // Since the collection was opened by this process (Prometheus counters):
  // committed flushes and compactions, bytes of the segment files they
  // wrote, and wall time spent in them.
  uint64_t flush_count = 0;
  uint64_t flush_bytes = 0;
  double flush_seconds = 0;
  uint64_t compaction_count = 0;
  uint64_t compaction_bytes = 0;
  double compaction_seconds = 0;
  // Since opened: segments whose adaptive graph (viper) the calibration
  // kept, and those it declined (they keep their IVF index).
  uint64_t adaptive_graphs_kept = 0;
  uint64_t adaptive_graphs_declined = 0;
  std::vector<PayloadIndexDef> payload_indexes;  // ordered by field
  TierTotals tiers[3];  // indexed by Tier: hot, warm, cold
  TieringCounters tiering;
  // The last migration with its progress (none when never migrated).
  std::optional<MigrationStatus> migration;
  // Filled by the server's service when its recall estimate is on and
  // the collection had a sampled search (none from the engine itself).
  std::optional<RecallEstimate> recall;
  BackgroundIo background_io;
  // Set for collections this process recovered at its start (none for one
  // created or restored since).
  std::optional<RecoveryInfo> recovery;
  MemoryUsage memory;
};

// A sparse vector: the dimensions that are not zero and their values.
// Indices are distinct (any order on input; stored and returned sorted),
// values finite; at most kMaxSparseNonZeros of them. Scored by the dot
// product over the shared dimensions.
struct SparseVector {
  std::vector<uint32_t> indices;
  std::vector<float> values;
  bool operator==(const SparseVector&) const = default;
};
// A point's sparse vectors by name (names declared by the collection).
using SparseVectors = std::map<std::string, SparseVector, std::less<>>;
// A point's vector under one of the collection's named vectors: one vector
// (rows 1), or under a multivector name a matrix of `rows` vectors of the
// name's dimension, row after row (`matrix`: given as a list of vectors).
struct NamedVector {
  std::vector<float> values;
  uint32_t rows = 1;
  bool matrix = false;
  bool operator==(const NamedVector&) const = default;
};
// A point's named vectors by name (names declared by the collection).
using NamedVectors = std::map<std::string, NamedVector, std::less<>>;

// A point as written by a client. An empty id asks the engine for a UUID v4.
struct Point {
  std::string id;
  std::vector<float> vector;
  nlohmann::json metadata = nlohmann::json::object();
  SparseVectors sparse_vectors = {};
  NamedVectors named_vectors = {};  // JSON "vectors"
  // When the point expires (unix microseconds; docs/API.md, "Expiry"):
  // invisible from then on, removed by compaction. 0: the collection's
  // default_ttl_seconds after the write, or never.
  uint64_t expires_at_micros = 0;
};

// A point as read back.
struct StoredPoint {
  std::string id;
  std::vector<float> vector;
  nlohmann::json metadata;
  uint64_t version = 0;  // sequence number of the write that produced it
  // Filled with `vector` (when the vectors are asked for).
  SparseVectors sparse_vectors = {};
  NamedVectors named_vectors = {};
  uint64_t expires_at_micros = 0;  // 0: never
};

// One change of a collection's change feed: one operation of an
// acknowledged write, as the WAL logged it. The operations of one atomic
// write share its `seq` and are numbered by `index` (0..batch_ops-1).
struct Change {
  enum class Op : uint8_t { kUpsert, kDelete, kUpdateMetadata };
  uint64_t seq = 0;
  uint32_t index = 0;
  uint32_t batch_ops = 0;
  uint64_t time_unix_micros = 0;  // when it was logged; 0: before times
  Op op = Op::kUpsert;
  std::string id;
  // Upsert: the point's vector; update_metadata: the vector the point had
  // (empty for updates logged before 2026-11-29); delete: empty.
  std::vector<float> vector;
  // Upsert and update_metadata: the metadata (compact JSON); delete: empty.
  std::string metadata_json;
  // Upsert and update_metadata: the point's sparse vectors (may be empty).
  SparseVectors sparse_vectors;
  NamedVectors named_vectors = {};
  // Upsert and update_metadata: when the point expires (unix
  // microseconds; 0: never).
  uint64_t expires_at_micros = 0;
};
inline std::string_view ChangeOpName(Change::Op op) {
  switch (op) {
    case Change::Op::kUpsert:
      return "upsert";
    case Change::Op::kDelete:
      return "delete";
    case Change::Op::kUpdateMetadata:
      return "update_metadata";
  }
  return "upsert";
}

// A partial metadata update: the top-level keys of `set` are written (each
// replaces that key's value), the keys in `unset` removed, every other key
// of the point's metadata kept. A key may not be in both.
struct MetadataPatch {
  nlohmann::json set = nlohmann::json::object();
  std::vector<std::string> unset;
};

// What a partial metadata update did: the points updated, and the ids asked
// for that name no point (nothing was written for them).
struct PatchResult {
  uint64_t updated = 0;
  std::vector<std::string> not_found;
};

// Which replica of a shard a read may use (cluster mode; single-node mode
// has one copy, and both are the same).
//   kEventual: any replica (the nearest; may miss the newest acknowledged
//              writes while the replica catches up).
//   kStrong:   a replica that has applied every write acknowledged before
//              the request started.
enum class ReadConsistency : uint8_t { kEventual = 0, kStrong = 1 };
inline std::string_view ReadConsistencyName(ReadConsistency c) {
  return c == ReadConsistency::kStrong ? "strong" : "eventual";
}

struct SearchRequest {
  std::vector<float> vector;
  uint32_t k = 10;
  // A filter in the language of docs/FILTERS.md: a map of equalities (the
  // seed's {"user": "alice"}) and/or operators ($eq $ne $gt $gte $lt $lte
  // $in $nin $exists, $and $or $not), compiled and checked
  // once per request (src/filter/filter.h). Null or {}: no filter.
  nlohmann::json filter;
  bool include_vector = false;
  bool include_metadata = true;
  std::optional<uint32_t> ef_search;  // per-query override (HNSW)
  // Per-query override of the partitions an IVF index probes (1..
  // kMaxIvfNlist; more than a segment has probes all of them).
  std::optional<uint32_t> nprobe;
  bool exact = false;    // force brute force
  bool explain = false;  // fill SearchResult::explain with per-source plans
  ReadConsistency consistency = ReadConsistency::kEventual;
  // Search one of the collection's named vectors instead of the main one
  // (its graph per segment, or a scan; every candidate scored exactly);
  // `vector` is then of that name's dimension, and for a multivector name
  // a matrix of `vector_rows` query vectors, row after row, scored by
  // MaxSim (docs/API.md).
  std::string using_vector = {};
  uint32_t vector_rows = 0;  // 0: `vector` is one vector
  // Conveniences around one search, applied by the service
  // (src/service/search_options.h); a Collection's own Search ignores them.
  //   point_id: search with the vector of this existing point instead of
  //     `vector` (which must then be empty); the point is left out of the
  //     hits ("more like this").
  //   offset: skip the `offset` best hits (paging; k + offset <= kMaxK).
  //   score_threshold: keep only hits at least this good (cosine and dot:
  //     score >= threshold; euclidean: distance <= threshold).
  //   group_by: group the hits by this metadata field (a path as in
  //     filters; string and integer values, each element of an array): the
  //     answer is SearchResult::groups, the best `k` groups (after `offset`
  //     skipped groups) ranked by their best hit, each with its best
  //     `group_size` hits (src/service/search_groups.h).
  std::string point_id;
  uint32_t offset = 0;
  std::optional<float> score_threshold;
  std::string group_by;
  uint32_t group_size = 1;
};

struct SearchHit {
  std::string id;
  float score = 0;  // see Metric for the meaning and order
  nlohmann::json metadata;
  std::vector<float> vector;  // filled when include_vector
  // Filled with `vector`: the point's sparse and named vectors.
  SparseVectors sparse_vectors = {};
  NamedVectors named_vectors = {};
};

struct SearchStats {
  uint64_t distances_computed = 0;
  uint64_t points_scanned = 0;
  uint64_t nodes_visited = 0;     // graph nodes expanded (HNSW)
  uint64_t sources_searched = 0;  // memtables + segments
  // IVF partitions skipped by their filterable-column statistics.
  uint64_t partitions_pruned = 0;
};

// How one source was searched (explain: true).
struct SourcePlan {
  std::string source;       // "memtable" | "frozen_memtable" | "segment"
  uint64_t segment_id = 0;  // segments only
  uint64_t rows = 0;        // rows in the source (live and dead)
  std::string strategy;     // "exact_scan" | "index_scan" | "hnsw" |
                            // "hnsw_filtered" | "quantized_scan" | "ivf"
  // estimated_matches: upper bound on matching rows from the payload
  // indexes (= rows when no index applies); candidates: rows the indexes
  // listed (index_scan only); matches: for index_scan every live row that
  // passed the filter, otherwise the hits the source returned (at most k).
  uint64_t estimated_matches = 0;
  uint64_t candidates = 0;
  uint64_t matches = 0;
  uint32_t ef = 0;  // HNSW beam width used; quantized_scan: rows re-scored
                    // (at most); 0 for the other scans
  uint64_t distances_computed = 0;
};

// One group of a grouped search: the field value shared by its hits.
struct SearchGroup {
  nlohmann::json id;            // a string or an integer
  std::vector<SearchHit> hits;  // best first, at most group_size
};

struct SearchResult {
  std::vector<SearchHit> hits;  // best first
  // Set (and `hits` empty) when the request had a group_by: best first.
  std::optional<std::vector<SearchGroup>> groups;
  SearchStats stats;
  std::vector<SourcePlan> explain;  // empty unless the request asked
};

// POST /collections/{name}/recommend: points like the positive examples
// and unlike the negative ones (src/service/recommend.h). An example is an
// existing point's id or a vector; examples given by id are left out of
// the answer.
struct RecommendExample {
  std::string id;             // either this
  std::vector<float> vector;  // or this
};
enum class RecommendStrategy : uint32_t {
  // One search with 2 * mean(positive) - mean(negative) (mean(positive)
  // when there are no negatives); cosine examples are normalised first.
  kAverage = 0,
  // Each candidate scored by its nearest positive example; candidates
  // nearer to some negative example than to every positive one are left
  // out.
  kBestScore = 1,
};
// "average" (or Qdrant's "average_vector") | "best_score".
Result<RecommendStrategy> ParseRecommendStrategy(std::string_view name);

struct RecommendRequest {
  std::vector<RecommendExample> positive;  // 1..kMaxRecommendExamples in all
  std::vector<RecommendExample> negative;
  RecommendStrategy strategy = RecommendStrategy::kAverage;
  // k, filter, ef_search, exact, include_*, consistency, offset,
  // score_threshold as for a search; no vector, point_id or group_by.
  SearchRequest query;
};

// Scroll in the order of a numeric or datetime metadata field instead of by
// id (docs/API.md, "Scroll"). A point's sort value is the smallest number at
// `key` when ascending and the largest when descending (an array holds
// several; an RFC 3339 string is its instant in microseconds since the
// epoch); points with neither there are not listed. Ties go by id.
struct ScrollOrder {
  std::string key;  // dotted metadata path, as in filters
  bool descending = false;
  bool operator==(const ScrollOrder&) const = default;
};

struct ScrollRequest {
  std::string after_id;  // exclusive; empty = from the start
  uint32_t limit = 100;
  nlohmann::json filter;  // as SearchRequest::filter
  bool include_vector = false;
  ReadConsistency consistency = ReadConsistency::kEventual;
  std::optional<ScrollOrder> order_by;
  // With order_by, the cursor is (after_value, after_id): the page starts
  // after the point with that sort value and id. Both or neither.
  std::optional<double> after_value;
};

struct ScrollPage {
  // Ordered by id (bytewise), or as order_by asks.
  std::vector<StoredPoint> points;
  std::string next_after_id;  // empty when this was the last page
  // With order_by: the last point's sort value, the rest of the cursor.
  std::optional<double> next_after_value;
};

// Okapi BM25 over the words of one metadata text field (docs/API.md,
// "Hybrid queries"): the `text` prefetch of POST /collections/{name}/query,
// and Collection::TextSearch. Words are split as `$text` splits them
// (src/filter/text.h); English stop words are left out of the query unless
// it has nothing else.
//
// The statistics BM25 weighs words with: over the rows a collection stores
// (like Lucene's, they include rows deleted or overwritten since their
// segment was written, until compaction drops them), `docs` rows that hold
// some word at the field, `words` words they hold in all, and per query
// word (in the order of filter::Bm25QueryWords) the rows holding it.
struct TextCorpusStats {
  uint64_t docs = 0;
  uint64_t words = 0;
  std::vector<uint64_t> doc_freq;
};

struct TextSearchRequest {
  std::string field;  // dotted metadata path ("body")
  std::string query;  // words
  uint32_t k = 10;
  nlohmann::json filter;  // as SearchRequest::filter
  bool include_vector = false;
  bool include_metadata = true;
  ReadConsistency consistency = ReadConsistency::kEventual;
  // Set by a cluster's coordinator to the whole collection's statistics,
  // so every shard scores as one collection would; unset, the
  // collection's own.
  std::optional<TextCorpusStats> stats;
};

// A search by one of the collection's sparse vectors (the `sparse_vector`
// prefetch of POST /collections/{name}/query, and Collection::SparseSearch):
// exact, every point whose sparse vector under `name` shares a dimension
// with `vector`, scored by the dot product (higher is better), best k,
// ties by id.
struct SparseSearchRequest {
  std::string name;  // a sparse vector name the collection declares
  SparseVector vector;
  uint32_t k = 10;
  nlohmann::json filter;  // as SearchRequest::filter
  bool include_vector = false;
  bool include_metadata = true;
  ReadConsistency consistency = ReadConsistency::kEventual;
};

// POST /collections/{name}/facet: how many points (matching the filter)
// hold each value of a metadata field. Strings, booleans and integers are
// counted; a point counts once per distinct value it holds there.
struct FacetRequest {
  std::string key;        // dotted metadata path
  nlohmann::json filter;  // as SearchRequest::filter
  uint32_t limit = 10;    // values returned, most frequent first; 0 = all
  ReadConsistency consistency = ReadConsistency::kEventual;
};

struct FacetValue {
  nlohmann::json value;  // a string, boolean or integer
  uint64_t count = 0;
  bool operator==(const FacetValue&) const = default;
};

struct FacetResult {
  // Count descending, then value ascending (booleans before integers
  // before strings).
  std::vector<FacetValue> values;
};

// GET /api/v1/cluster (docs/CLUSTER.md): the cluster as this node sees it.
struct ClusterNodeInfo {
  std::string node_id;
  std::string rest_address;  // host:port of its REST API
  std::string grpc_address;  // host:port of its gRPC API
  bool alive = false;        // its membership lease is held
  // An operator asked to drain it (POST /api/v1/cluster/nodes/{id}/drain):
  // the rebalancer moves its replicas to the other nodes.
  bool draining = false;
  uint32_t replicas = 0;  // shard replicas the placement gives it
  std::string rest_url;   // http(s)://host:port of its REST API
};
struct ClusterReplicaInfo {
  std::string node_id;
  bool primary = false;
  // What the node reported for this replica; `reported` false when it could
  // not be asked (then the numbers are 0).
  bool reported = false;
  uint64_t applied_seq = 0;  // the last log entry it applied
  uint64_t lag = 0;          // log entries behind the log's end
  std::string state;         // "following" | "error: ..." | "unreachable"
};
struct ClusterShardInfo {
  std::string collection;
  uint32_t shard = 0;
  std::string stream;          // the shard's JetStream stream
  std::string primary;         // node id; empty while there is none
  uint64_t fencing_token = 0;  // the primary's term
  uint64_t last_seq = 0;       // the log's last acknowledged entry
  // The log's first entry still held (entries before it were removed once
  // a snapshot held them); 0 when the log is empty.
  uint64_t first_seq = 0;
  // The most log entries any replica of the placement that answered is
  // behind (a moving replica's excluded).
  uint64_t lag = 0;
  // The shard's newest snapshot (docs/CLUSTER.md, "Snapshots and stream
  // retention"): its id, the node whose repository holds it, the log
  // entry it holds everything up to, and when it was taken; empty / 0
  // when there is none.
  std::string snapshot_id;
  std::string snapshot_node;
  uint64_t snapshot_seq = 0;
  uint64_t snapshot_unix_ms = 0;
  std::vector<ClusterReplicaInfo> replicas;
};
struct ClusterInfo {
  bool enabled = false;  // false: single-node mode (the rest is empty)
  std::string node_id;   // the node that answered
  std::vector<ClusterNodeInfo> nodes;
  std::vector<ClusterShardInfo> shards;  // by collection, then shard
};

// One entry of the data directory's quarantine (<data>/quarantine/<id>/):
// a file or directory start-up could not account for, moved aside instead
// of deleted, or a copy of bytes it had to cut off (a torn WAL tail).
struct QuarantineEntry {
  std::string id;             // "<UTC yyyymmddThhmmssZ>-<n>", the entry's dir
  std::string original_path;  // relative to the data directory
  std::string reason;
  uint64_t time_unix_ms = 0;  // when it was quarantined
  uint64_t bytes = 0;         // size of what the entry holds
};

}  // namespace proximadb
