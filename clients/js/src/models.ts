/**
 * Typed results returned by the client, built from the server's answer in
 * the REST JSON shape; the same call returns equal objects over REST and gRPC.
 * Field names are camelCase; metadata is returned exactly as stored.
 */

import type { Json, JsonObject } from "./common.js";

export type Metadata = Record<string, Json>;
/** A metadata filter: `{"user": "alice"}` or the server's filter language (docs/FILTERS.md). */
export type Filter = Record<string, Json>;
export type DistanceMetric = "cosine" | "euclidean" | "dot_product";
export type Consistency = "eventual" | "strong";

const int = (v: Json): number => (v === undefined || v === null ? 0 : Number(v));
const optNum = (v: Json): number | null => (v === undefined || v === null ? null : Number(v));
const str = (v: Json, dflt = ""): string => (v === undefined || v === null ? dflt : String(v));

/** The server's health answer. */
export interface HealthStatus {
  status: string;
  version: string;
  /** True when the server reports itself healthy. */
  healthy: boolean;
}

export function healthFrom(d: JsonObject): HealthStatus {
  const status = str(d.status);
  return { status, version: str(d.version), healthy: ["healthy", "alive", "ready", "ok"].includes(status) };
}

/** A collection's resolved flush policy. */
export interface FlushPolicy {
  maxWalAgeHours: number | null;
  maxWalSizeMb: number | null;
  maxVectorCount: number | null;
  flushPriority: number | null;
  enableBackgroundFlush: boolean | null;
}

function flushPolicyFrom(d: JsonObject | undefined | null): FlushPolicy {
  d = d ?? {};
  return {
    maxWalAgeHours: optNum(d.max_wal_age_hours),
    maxWalSizeMb: optNum(d.max_wal_size_mb),
    maxVectorCount: optNum(d.max_vector_count),
    flushPriority: optNum(d.flush_priority),
    enableBackgroundFlush: d.enable_background_flush ?? null,
  };
}

/** A collection's resolved tiering policy. */
export interface TieringPolicy {
  warmAfterHours: number | null;
  coldAfterHours: number | null;
  warmDirectory: string | null;
  cacheMb: number | null;
  walArchive: boolean | null;
}

function tieringFrom(d: JsonObject | undefined | null): TieringPolicy {
  d = d ?? {};
  return {
    warmAfterHours: optNum(d.warm_after_hours),
    coldAfterHours: optNum(d.cold_after_hours),
    warmDirectory: d.warm_directory === undefined || d.warm_directory === null ? null : String(d.warm_directory),
    cacheMb: optNum(d.cache_mb),
    walArchive: d.wal_archive === undefined || d.wal_archive === null ? null : Boolean(d.wal_archive),
  };
}

export interface TierTotals {
  segments: number;
  bytes: number;
  points: number;
}
export type Tiers = Record<"hot" | "warm" | "cold", TierTotals>;

function tiersFrom(d: JsonObject | undefined | null): Tiers {
  d = d ?? {};
  const one = (t: JsonObject | undefined): TierTotals => ({
    segments: int(t?.segments),
    bytes: int(t?.bytes),
    points: int(t?.points),
  });
  return { hot: one(d.hot), warm: one(d.warm), cold: one(d.cold) };
}

export interface FilterableColumn {
  name: string;
  type: "string" | "int" | "float" | "bool" | "datetime" | string;
  indexed: boolean;
}

function columnsFrom(v: Json): FilterableColumn[] {
  return ((v ?? []) as JsonObject[]).map((c) => ({ name: str(c.name), type: str(c.type), indexed: Boolean(c.indexed) }));
}

/** A collection's configuration and current counts. */
export interface Collection {
  name: string;
  dimension: number;
  distanceMetric: string;
  indexingAlgorithm: string;
  m: number | null;
  efConstruction: number | null;
  efSearch: number | null;
  quantization: string;
  storageStrategy: string;
  memtable: string;
  compression: string;
  nlist: number;
  nprobe: number;
  flushPolicy: FlushPolicy;
  walFormat: string;
  pointCount: number;
  segmentCount: number;
  /** Unix milliseconds. */
  createdAt: number;
  tiering: TieringPolicy;
  tiers: Tiers;
  shardCount: number;
  replicationFactor: number;
  /** Names of the collection's sparse vectors, sorted. */
  sparseVectors: string[];
  /** Named dense vectors: `{"<name>": {"dimension", "distance_metric", "multivector", ...}}`. */
  vectors: Record<string, JsonObject>;
  defaultTtlSeconds: number;
  filterableColumns: FilterableColumn[];
  /**
   * "serving", "recovering" (the server's start is still replaying it:
   * requests fail with 503 / UNAVAILABLE) or "fenced" (start-up found it
   * damaged: 409 / FAILED_PRECONDITION); `stateMessage` says why.
   */
  state: string;
  stateMessage: string;
}

export function collectionFrom(d: JsonObject): Collection {
  const index: JsonObject = d.index ?? {};
  return {
    name: str(d.name),
    dimension: int(d.dimension),
    distanceMetric: str(d.distance_metric, "cosine"),
    indexingAlgorithm: str(d.indexing_algorithm, "hnsw"),
    m: optNum(index.m ?? d.m),
    efConstruction: optNum(index.ef_construction ?? d.ef_construction),
    efSearch: optNum(index.ef_search ?? d.ef_search),
    quantization: str(index.quantization) || "none",
    storageStrategy: str(d.storage_strategy) || "standard",
    memtable: str(d.memtable) || "btree",
    compression: str(d.compression) || "none",
    nlist: int(index.nlist),
    nprobe: int(index.nprobe),
    flushPolicy: flushPolicyFrom(d.flush_policy),
    walFormat: str(d.wal_format, "native"),
    pointCount: int(d.point_count),
    segmentCount: int(d.segment_count),
    createdAt: int(d.created_at),
    tiering: tieringFrom(d.tiering),
    tiers: tiersFrom(d.tiers),
    shardCount: int(d.shard_count) || 1,
    replicationFactor: int(d.replication_factor) || 1,
    sparseVectors: Object.keys(d.sparse_vectors ?? {}).sort(),
    vectors: { ...(d.vectors ?? {}) },
    defaultTtlSeconds: int(d.default_ttl_seconds),
    filterableColumns: columnsFrom(d.filterable_columns),
    state: str(d.state) || "serving",
    stateMessage: str(d.state_message),
  };
}

export interface SparseVector {
  indices: number[];
  values: number[];
}

/** A stored point: its id, vector (when asked for) and metadata. */
export interface Point {
  id: string;
  vector: number[] | null;
  metadata: Metadata | null;
  sparseVectors: Record<string, SparseVector> | null;
  vectors: Record<string, number[] | number[][]> | null;
  /** RFC 3339 expiry time, or null: never. */
  expiresAt: string | null;
}

export function pointFrom(d: JsonObject): Point {
  return {
    id: str(d.id),
    vector: d.vector ?? null,
    metadata: d.metadata ?? null,
    sparseVectors: d.sparse_vectors ?? null,
    vectors: d.vectors ?? null,
    expiresAt: d.expires_at ?? null,
  };
}

/**
 * One search match. `score` is a cosine similarity or inner product (higher
 * is better) or an L2 distance for euclidean collections (lower is better).
 */
export interface SearchResult {
  id: string;
  score: number;
  /** null when includeMetadata is false. */
  metadata: Metadata | null;
  /** null unless includeVectors is true. */
  vector: number[] | null;
  sparseVectors: Record<string, SparseVector> | null;
  vectors: Record<string, number[] | number[][]> | null;
}

/** How one source of a search was run (docs/API.md, Search explain). */
export interface SourcePlan {
  source: string;
  strategy: string;
  segmentId: number;
  rows: number;
  estimatedMatches: number;
  candidates: number;
  matches: number;
  ef: number;
  distancesComputed: number;
}

export interface SearchExplain {
  sources: SourcePlan[];
  distancesComputed: number;
  nodesVisited: number;
  partitionsPruned: number;
}

/** The matches of one query, best first, plus the total count and (when asked for) the explain. */
export interface SearchResults {
  matches: SearchResult[];
  totalCount: number;
  /** The ids of the matches, best first. */
  ids: string[];
  explain: SearchExplain | null;
}

function matchFrom(d: JsonObject): SearchResult {
  return {
    id: str(d.id),
    score: Number(d.score),
    metadata: d.metadata ?? null,
    vector: d.vector ?? null,
    sparseVectors: d.sparse_vectors ?? null,
    vectors: d.vectors ?? null,
  };
}

export function searchResultsFrom(d: JsonObject): SearchResults {
  const matches = ((d.matches ?? []) as JsonObject[]).map(matchFrom);
  const e: JsonObject | undefined = d.explain ?? undefined;
  return {
    matches,
    totalCount: d.total_count === undefined || d.total_count === null ? matches.length : Number(d.total_count),
    ids: matches.map((m) => m.id),
    explain: e
      ? {
          sources: ((e.sources ?? []) as JsonObject[]).map((s) => ({
            source: str(s.source),
            strategy: str(s.strategy),
            segmentId: int(s.segment_id),
            rows: int(s.rows),
            estimatedMatches: int(s.estimated_matches),
            candidates: int(s.candidates),
            matches: int(s.matches),
            ef: int(s.ef),
            distancesComputed: int(s.distances_computed),
          })),
          distancesComputed: int(e.distances_computed),
          nodesVisited: int(e.nodes_visited),
          partitionsPruned: int(e.partitions_pruned),
        }
      : null,
  };
}

/** What a (possibly chunked) batch upsert stored. */
export interface BatchInsertResult {
  insertedIds: string[];
  totalCount: number;
}

export function batchInsertFrom(d: JsonObject): BatchInsertResult {
  const ids = ((d.inserted_ids ?? []) as Json[]).map(String);
  return { insertedIds: ids, totalCount: d.total_count === undefined ? ids.length : int(d.total_count) };
}

/** What a partial metadata update did. */
export interface MetadataPatchResult {
  updatedCount: number;
  /** By ids: the ids that name no point. */
  notFound: string[];
}

/** One page of a scroll. */
export interface ScrollPage {
  points: Point[];
  /** The cursor of the next page; null on the last page. */
  nextAfterId: string | null;
  /** With orderBy: the last point's sort value, the other half of the cursor. */
  nextAfterValue: number | null;
}

export function scrollPageFrom(d: JsonObject): ScrollPage {
  return {
    points: ((d.points ?? []) as JsonObject[]).map(pointFrom),
    nextAfterId: d.next_after_id ?? null,
    nextAfterValue: d.next_after_value ?? null,
  };
}

export const TIERING_COUNTERS = [
  "moves",
  "move_failures",
  "uploads",
  "upload_bytes",
  "downloads",
  "download_bytes",
  "retries",
  "failures",
  "cache_hits",
  "cache_misses",
  "cache_evictions",
  "cache_bytes",
] as const;

/** A collection's storage statistics. */
export interface CollectionStats {
  name: string;
  pointCount: number;
  segmentCount: number;
  memtablePoints: number;
  walBytes: number;
  oldestUnflushedAgeSeconds: number;
  lastSequence: number;
  tiers: Tiers;
  /** Tier moves and object-store counters, by their server names (`moves`, `cache_hits`, ...). */
  tiering: Record<string, number>;
  /** The last live migration (REST JSON shape), or null when never migrated. */
  migration: JsonObject | null;
  /** The server's live recall estimate of this collection's searches; null when it is off or nothing was sampled yet. */
  recallEstimate: RecallEstimate | null;
  /** Background writes (flush, compaction, index builds, tier moves) and the server's I/O budget for them. */
  backgroundIo: BackgroundIo | null;
  /** How this server's start recovered the collection; null when it was created or restored since. */
  recovery: { seconds: number; walRecords: number; walBytes: number } | null;
  /** Bytes held in process memory, as `[storage] memory_limit_mb` counts them. */
  memory: { memtables: number; graphs: number; payloadIndexes: number; unpackedSegments: number; total: number };
}

/** A collection's background writes and the server's budget for them. */
export interface BackgroundIo {
  /** `[storage] background_io_mb_per_s`; 0 = no limit. */
  budgetMbPerS: number;
  /** Bytes written since the collection was opened, by kind (`flush`, `compaction`, `index_build`, `payload_index`, `tier_move`, `other`). */
  bytesWritten: Record<string, number>;
  /** Time its writers waited for the budget since opened. */
  throttledSeconds: number;
  /** Running now, oldest first. */
  tasks: BackgroundTask[];
}

/** One background write running now. */
export interface BackgroundTask {
  kind: string;
  /** Segments it reads or writes. */
  segments: number;
  bytesDone: number;
  /** Estimated; null when not known. */
  bytesTotal: number | null;
  /** Since it began. */
  seconds: number;
  /** Null when not known. */
  etaSeconds: number | null;
}

function backgroundIoFrom(d: JsonObject | undefined | null): BackgroundIo | null {
  if (d === undefined || d === null) return null;
  const bytesWritten: Record<string, number> = {};
  for (const [k, v] of Object.entries((d.bytes_written ?? {}) as JsonObject)) bytesWritten[k] = int(v);
  return {
    budgetMbPerS: Number(d.budget_mb_per_s ?? 0),
    bytesWritten,
    throttledSeconds: Number(d.throttled_seconds ?? 0),
    tasks: ((d.tasks ?? []) as JsonObject[]).map((t) => ({
      kind: str(t.kind),
      segments: int(t.segments),
      bytesDone: int(t.bytes_done),
      bytesTotal: t.bytes_total === null || t.bytes_total === undefined ? null : int(t.bytes_total),
      seconds: Number(t.seconds ?? 0),
      etaSeconds: t.eta_seconds === null || t.eta_seconds === undefined ? null : Number(t.eta_seconds),
    })),
  };
}

/** Recall@k of a collection's searches, estimated by the server from a sampled share of them re-run exactly. */
export interface RecallEstimate {
  /** Mean over `samples`; null when there are none. */
  recall: number | null;
  /** Samples in the estimate (the newest ones). */
  samples: number;
  /** The 95% Wilson score interval of `recall`. */
  ci95: [number, number];
  /** Samples run since the server started. */
  samplesTotal: number;
  /** Sampled but dropped: the server's estimator was busy. */
  droppedTotal: number;
}

function recallFrom(d: JsonObject | undefined | null): RecallEstimate | null {
  if (d === undefined || d === null) return null;
  const ci = Array.isArray(d.ci95) ? d.ci95 : [0, 1];
  return {
    recall: d.recall === null || d.recall === undefined ? null : Number(d.recall),
    samples: int(d.samples),
    ci95: [Number(ci[0]), Number(ci[1])],
    samplesTotal: int(d.samples_total),
    droppedTotal: int(d.dropped_total),
  };
}

export function statsFrom(d: JsonObject): CollectionStats {
  const tiering: Record<string, number> = {};
  for (const k of TIERING_COUNTERS) tiering[k] = int(d.tiering?.[k]);
  return {
    name: str(d.name),
    pointCount: int(d.point_count),
    segmentCount: int(d.segment_count),
    memtablePoints: int(d.memtable_points),
    walBytes: int(d.wal_bytes),
    oldestUnflushedAgeSeconds: Number(d.oldest_unflushed_age_seconds ?? 0),
    lastSequence: int(d.last_sequence),
    tiers: tiersFrom(d.tiers),
    tiering,
    migration: d.migration ?? null,
    recallEstimate: recallFrom(d.recall_estimate),
    backgroundIo: backgroundIoFrom(d.background_io),
    recovery: d.recovery
      ? { seconds: Number(d.recovery.seconds ?? 0), walRecords: int(d.recovery.wal_records), walBytes: int(d.recovery.wal_bytes) }
      : null,
    memory: {
      memtables: int(d.memory?.memtables),
      graphs: int(d.memory?.graphs),
      payloadIndexes: int(d.memory?.payload_indexes),
      unpackedSegments: int(d.memory?.unpacked_segments),
      total: int(d.memory?.total),
    },
  };
}

/** One value of a facet answer and how many points hold it. */
export interface FacetValue {
  value: string | number | boolean;
  count: number;
}

/** An alias: another name for a collection. */
export interface Alias {
  alias: string;
  collection: string;
}

export function aliasesFrom(d: JsonObject): Alias[] {
  return ((d.aliases ?? []) as JsonObject[]).map((a) => ({ alias: str(a.alias), collection: str(a.collection) }));
}

/** A payload index of a collection. */
export interface PayloadIndex {
  field: string;
  type: string;
}

export function payloadIndexesFrom(d: JsonObject): PayloadIndex[] {
  return ((d.payload_indexes ?? []) as JsonObject[]).map((x) => ({ field: str(x.field), type: str(x.type) }));
}
