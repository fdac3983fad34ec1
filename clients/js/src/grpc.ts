/**
 * The gRPC transport (@grpc/grpc-js + @grpc/proto-loader, loading the
 * server's proto from this package's `proto/` directory at run time).
 *
 * It executes the same {@link Call}s as the REST transport: the REST JSON
 * body is encoded into the RPC's request message and the response message is
 * decoded back into the REST JSON shape, so the client above behaves the same
 * over both transports.
 */

import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

import { ADMIN_OPS, POINT_OPS, backoffDelays, f32List, f32Shortest, isPlainObject, sleep } from "./common.js";
import type { Call, Endpoint, Json, JsonObject } from "./common.js";
import { InvalidArgument, ProximaDBError, Timeout, Unavailable, errorFor } from "./errors.js";
import { TIERING_COUNTERS } from "./models.js";
import type { CallSettings, Transport, TransportConfig } from "./transport.js";

export const ERROR_METADATA_KEY = "x-proximadb-error";

const PROTO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "proto");
const PROTO_FILE = join("proximadb", "v1", "proximadb.proto");

type ServiceClient = grpc.Client & Record<string, Function>;
type ServiceCtor = new (address: string, credentials: grpc.ChannelCredentials, options?: object) => ServiceClient;

let serviceCtor: ServiceCtor | undefined;

function loadService(): ServiceCtor {
  if (serviceCtor !== undefined) return serviceCtor;
  if (!existsSync(join(PROTO_ROOT, PROTO_FILE))) {
    throw new Error(`proximadb: ${join(PROTO_ROOT, PROTO_FILE)} is missing; run \`npm run build\` in clients/js`);
  }
  const def = protoLoader.loadSync(PROTO_FILE, {
    includeDirs: [PROTO_ROOT],
    keepCase: true,
    longs: Number,
    enums: String,
    defaults: false,
    arrays: true,
    objects: true,
    oneofs: true,
  });
  const pkg = grpc.loadPackageDefinition(def) as unknown as { proximadb: { v1: { ProximaDB: ServiceCtor } } };
  serviceCtor = pkg.proximadb.v1.ProximaDB;
  return serviceCtor;
}

// ---------------------------------------------------------------------------
// JSON <-> google.protobuf.Struct. protobufjs defines the well-known types
// itself, with camelCase field names (numberValue...), whatever keepCase says.

function toValue(v: Json, what: string, depth: number): JsonObject {
  if (depth > 64) throw new InvalidArgument(`${what} is nested too deeply`);
  if (v === null || v === undefined) return { nullValue: "NULL_VALUE" };
  switch (typeof v) {
    case "number":
      if (!Number.isFinite(v)) throw new InvalidArgument(`${what} holds a non-finite number`);
      return { numberValue: v };
    case "string":
      return { stringValue: v };
    case "boolean":
      return { boolValue: v };
    case "object":
      if (Array.isArray(v)) return { listValue: { values: v.map((x) => toValue(x, what, depth + 1)) } };
      if (ArrayBuffer.isView(v)) {
        return { listValue: { values: Array.from(v as unknown as ArrayLike<number>, (x) => toValue(x, what, depth + 1)) } };
      }
      return { structValue: toStruct(v, what, depth + 1) };
    default:
      throw new InvalidArgument(`${what} cannot be encoded: a ${typeof v} value`);
  }
}

export function toStruct(obj: Json, what: string, depth = 0): JsonObject {
  if (!isPlainObject(obj)) throw new InvalidArgument(`${what} must be a JSON object`);
  const fields: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    fields[k] = toValue(v, what, depth);
  }
  return { fields };
}

function fromValue(v: JsonObject | undefined): Json {
  if (v === undefined || v === null) return null;
  if (v.numberValue !== undefined) return v.numberValue;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.structValue !== undefined) return fromStruct(v.structValue);
  if (v.listValue !== undefined) return ((v.listValue.values ?? []) as JsonObject[]).map(fromValue);
  return null;
}

export function fromStruct(s: JsonObject | undefined): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries((s?.fields ?? {}) as JsonObject)) out[k] = fromValue(v);
  return out;
}

// ---------------------------------------------------------------------------
// Requests

const num = (v: Json): number => (v === undefined || v === null ? 0 : Number(v));

/** Copies the keys of `src` that are set (not undefined/null) into `out`. */
function copySet(out: JsonObject, src: JsonObject, keys: readonly string[]): JsonObject {
  for (const k of keys) if (src[k] !== undefined && src[k] !== null) out[k] = src[k];
  return out;
}

const FLUSH_KEYS = ["max_wal_age_hours", "max_wal_size_mb", "max_vector_count", "flush_priority", "enable_background_flush"];
const TIERING_KEYS = ["warm_after_hours", "cold_after_hours", "warm_directory", "cache_mb", "wal_archive"];

function flushPolicy(b: JsonObject): JsonObject {
  const out = copySet({}, b.flush_policy ?? {}, FLUSH_KEYS);
  return copySet(out, b, FLUSH_KEYS);
}

function sparseMap(m: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const [name, sv] of Object.entries(m)) {
    out[name] = { indices: (sv?.indices ?? []).map(Number), values: (sv?.values ?? []).map(Number) };
  }
  return out;
}

/** A named vector (one vector or a matrix) as a NamedVector message. */
function namedMsg(v: Json): JsonObject {
  if (Array.isArray(v) && v.length > 0 && Array.isArray(v[0])) {
    return { values: (v as number[][]).flat(), rows: v.length };
  }
  return { values: Array.from(v as ArrayLike<number>) };
}

function pointMsg(p: JsonObject, what: string): JsonObject {
  const out: JsonObject = { id: p.id ?? "", vector: p.vector };
  if (p.metadata !== undefined && p.metadata !== null) out.metadata = toStruct(p.metadata, `${what}.metadata`);
  if (p.sparse_vectors) out.sparse_vectors = sparseMap(p.sparse_vectors);
  if (p.vectors) {
    out.vectors = {};
    for (const [name, v] of Object.entries(p.vectors as JsonObject)) out.vectors[name] = namedMsg(v);
  }
  if (p.expires_at !== undefined && p.expires_at !== null) out.expires_at = p.expires_at;
  return out;
}

function searchMsg(b: JsonObject, collection: string, what: string): JsonObject {
  const req: JsonObject = { collection, include_vector: Boolean(b.include_vector), exact: Boolean(b.exact) };
  if (b.id !== undefined && b.id !== null) {
    req.id = b.id;
  } else if (b.using !== undefined && b.using !== null && Array.isArray(b.vector) && Array.isArray(b.vector[0])) {
    req.vector = (b.vector as number[][]).flat();
    req.vector_rows = b.vector.length;
  } else if (b.vector !== undefined) {
    req.vector = b.vector;
  }
  copySet(req, b, ["using", "score_threshold", "k", "ef_search", "nprobe", "consistency", "group_by", "group_size"]);
  if (b.offset) req.offset = b.offset;
  if (b.include_metadata !== undefined && b.include_metadata !== null) req.include_metadata = Boolean(b.include_metadata);
  if (b.filter && Object.keys(b.filter).length > 0) req.filter = toStruct(b.filter, `${what}filter`);
  if (b.explain) req.explain = true;
  return req;
}

type Encoder = (c: Call) => JsonObject;
type Decoder = (r: JsonObject) => JsonObject;

const body = (c: Call): JsonObject => c.body ?? {};

// ---------------------------------------------------------------------------
// Responses

function tiersJson(t: JsonObject | undefined): JsonObject {
  const one = (x: JsonObject | undefined): JsonObject => ({
    segments: num(x?.segments),
    bytes: num(x?.bytes),
    points: num(x?.points),
  });
  return { hot: one(t?.hot), warm: one(t?.warm), cold: one(t?.cold) };
}

function columnsJson(cols: JsonObject[] | undefined): JsonObject[] {
  return (cols ?? []).map((x) => ({ name: x.name ?? "", type: x.type ?? "", indexed: Boolean(x.indexed) }));
}

function collectionJson(c: JsonObject): JsonObject {
  const f: JsonObject = c.flush_policy ?? {};
  const t: JsonObject = c.tiering ?? {};
  const algo = c.indexing_algorithm ?? "";
  const index: JsonObject = {
    kind: algo,
    m: num(c.m),
    ef_construction: num(c.ef_construction),
    ef_search: num(c.ef_search),
    quantization: c.quantization ?? "",
  };
  if (algo === "ivf") {
    index.nlist = num(c.nlist);
    index.nprobe = num(c.nprobe);
  }
  const out: JsonObject = {
    name: c.name ?? "",
    dimension: num(c.dimension),
    distance_metric: c.distance_metric ?? "",
    indexing_algorithm: algo,
    index,
    storage_strategy: c.storage_strategy || "standard",
    memtable: c.memtable || "btree",
    compression: c.compression || "none",
    filterable_columns: columnsJson(c.filterable_columns),
    state: c.state || "serving",
    ...(c.state_message ? { state_message: c.state_message } : {}),
    flush_policy: {
      max_wal_age_hours: f.max_wal_age_hours ?? null,
      max_wal_size_mb: f.max_wal_size_mb ?? null,
      max_vector_count: f.max_vector_count ?? null,
      flush_priority: f.flush_priority ?? null,
      enable_background_flush: f.enable_background_flush ?? null,
    },
    wal_format: c.wal_format ?? "",
    point_count: num(c.point_count),
    segment_count: num(c.segment_count),
    created_at: num(c.created_at),
    tiering: {
      warm_after_hours: t.warm_after_hours ?? null,
      cold_after_hours: t.cold_after_hours ?? null,
      warm_directory: t.warm_directory ?? null,
      cache_mb: t.cache_mb ?? null,
      wal_archive: t.wal_archive ?? null,
    },
    tiers: tiersJson(c.tiers),
    shard_count: num(c.shard_count),
    replication_factor: num(c.replication_factor),
  };
  const sparse = Object.keys(c.sparse_vectors ?? {}).sort();
  if (sparse.length) out.sparse_vectors = Object.fromEntries(sparse.map((n) => [n, {}]));
  if (c.default_ttl_seconds) out.default_ttl_seconds = num(c.default_ttl_seconds);
  const named = Object.keys(c.vectors ?? {}).sort();
  if (named.length) {
    out.vectors = Object.fromEntries(
      named.map((n) => {
        const v: JsonObject = c.vectors[n];
        return [
          n,
          {
            dimension: num(v.dimension),
            distance_metric: v.distance_metric ?? "",
            multivector: Boolean(v.multivector),
            index: {
              indexing_algorithm: v.indexing_algorithm ?? "",
              m: num(v.m),
              ef_construction: num(v.ef_construction),
              ef_search: num(v.ef_search),
              quantization: v.quantization ?? "",
            },
          },
        ];
      }),
    );
  }
  return out;
}

function sparseJson(m: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys(m).sort()) {
    out[name] = { indices: (m[name].indices ?? []).map(Number), values: f32List(m[name].values ?? []) };
  }
  return out;
}

function namedJson(m: JsonObject): JsonObject {
  const out: JsonObject = {};
  for (const name of Object.keys(m).sort()) {
    const values = f32List(m[name].values ?? []);
    const rows = num(m[name].rows);
    if (rows) {
      const dim = values.length / rows;
      out[name] = Array.from({ length: rows }, (_, r) => values.slice(r * dim, (r + 1) * dim));
    } else {
      out[name] = values;
    }
  }
  return out;
}

function pointJson(p: JsonObject): JsonObject {
  const out: JsonObject = { id: p.id ?? "" };
  if (p.vector?.length) out.vector = f32List(p.vector);
  if (p.sparse_vectors && Object.keys(p.sparse_vectors).length) out.sparse_vectors = sparseJson(p.sparse_vectors);
  if (p.vectors && Object.keys(p.vectors).length) out.vectors = namedJson(p.vectors);
  if (p.metadata !== undefined && p.metadata !== null) out.metadata = fromStruct(p.metadata);
  if (p.expires_at) out.expires_at = p.expires_at;
  return out;
}

function matchesJson(ms: JsonObject[] | undefined): JsonObject[] {
  return (ms ?? []).map((m) => {
    const j: JsonObject = { id: m.id ?? "", score: f32Shortest(num(m.score)) };
    if (m.metadata !== undefined && m.metadata !== null) j.metadata = fromStruct(m.metadata);
    if (m.vector?.length) j.vector = f32List(m.vector);
    if (m.sparse_vectors && Object.keys(m.sparse_vectors).length) j.sparse_vectors = sparseJson(m.sparse_vectors);
    if (m.vectors && Object.keys(m.vectors).length) j.vectors = namedJson(m.vectors);
    return j;
  });
}

function searchJson(r: JsonObject): JsonObject {
  const out: JsonObject = r.groups?.length
    ? {
        groups: (r.groups as JsonObject[]).map((g) => ({ id: fromValue(g.id), hits: matchesJson(g.hits) })),
        total_count: num(r.total_count),
      }
    : { matches: matchesJson(r.matches), total_count: num(r.total_count) };
  if (r.explain) {
    const e = r.explain as JsonObject;
    out.explain = {
      sources: ((e.sources ?? []) as JsonObject[]).map((p) => ({
        source: p.source ?? "",
        rows: num(p.rows),
        strategy: p.strategy ?? "",
        estimated_matches: num(p.estimated_matches),
        matches: num(p.matches),
        distances_computed: num(p.distances_computed),
        segment_id: num(p.segment_id),
        candidates: num(p.candidates),
        ef: num(p.ef),
      })),
      distances_computed: num(e.distances_computed),
      nodes_visited: num(e.nodes_visited),
      partitions_pruned: num(e.partitions_pruned),
    };
  }
  return out;
}

function layoutJson(l: JsonObject | undefined): JsonObject {
  l = l ?? {};
  const index: JsonObject = {
    kind: l.indexing_algorithm ?? "",
    m: num(l.m),
    ef_construction: num(l.ef_construction),
    ef_search: num(l.ef_search),
    quantization: l.quantization ?? "",
  };
  if (l.indexing_algorithm === "ivf") {
    index.nlist = num(l.nlist);
    index.nprobe = num(l.nprobe);
  }
  return {
    storage_strategy: l.storage_strategy ?? "",
    memtable: l.memtable ?? "",
    compression: l.compression || "none",
    index,
    filterable_columns: columnsJson(l.filterable_columns),
  };
}

function migrationJson(r: JsonObject): JsonObject {
  const eta = num(r.eta_seconds);
  const out: JsonObject = {
    id: r.id ?? "",
    state: r.state ?? "",
    started_unix_ms: num(r.started_unix_ms),
    finished_unix_ms: num(r.finished_unix_ms),
    segments_done: num(r.segments_done),
    segments_total: num(r.segments_total),
    points_done: num(r.points_done),
    points_total: num(r.points_total),
    eta_seconds: eta >= 0 ? eta : null,
    from: layoutJson(r.from),
    to: layoutJson(r.to),
  };
  if (r.error) out.error = r.error;
  return out;
}

function statsJson(r: JsonObject): JsonObject {
  const out: JsonObject = {
    name: r.name ?? "",
    point_count: num(r.point_count),
    segment_count: num(r.segment_count),
    memtable_points: num(r.memtable_points),
    wal_bytes: num(r.wal_bytes),
    oldest_unflushed_age_seconds: num(r.oldest_unflushed_age_seconds),
    last_sequence: num(r.last_sequence),
    tiers: tiersJson(r.tiers),
    tiering: Object.fromEntries(TIERING_COUNTERS.map((k) => [k, num(r.tiering?.[k])])),
  };
  if (r.migration) out.migration = migrationJson(r.migration);
  if (r.recall_estimate) {
    const e = r.recall_estimate;
    const samples = num(e.samples);
    out.recall_estimate = {
      recall: samples > 0 ? num(e.recall) : null,
      samples,
      ci95: [num(e.ci_lower), num(e.ci_upper)],
      samples_total: num(e.samples_total),
      dropped_total: num(e.dropped_total),
    };
  }
  if (r.background_io) {
    const b = r.background_io;
    out.background_io = {
      budget_mb_per_s: num(b.budget_bytes_per_s) / (1024 * 1024),
      bytes_written: Object.fromEntries(Object.entries((b.bytes_written ?? {}) as JsonObject).map(([k, v]) => [k, num(v)])),
      throttled_seconds: num(b.throttled_seconds),
      tasks: ((b.tasks ?? []) as JsonObject[]).map((t) => ({
        kind: t.kind ?? "",
        segments: num(t.segments),
        bytes_done: num(t.bytes_done),
        bytes_total: num(t.bytes_total) > 0 ? num(t.bytes_total) : null,
        seconds: num(t.seconds),
        eta_seconds: num(t.eta_seconds) >= 0 ? num(t.eta_seconds) : null,
      })),
    };
  }
  if (r.recovery) {
    out.recovery = { seconds: num(r.recovery.seconds), wal_records: num(r.recovery.wal_records), wal_bytes: num(r.recovery.wal_bytes) };
  }
  if (r.memory) {
    const m = r.memory;
    out.memory = {
      memtables: num(m.memtables),
      graphs: num(m.graphs),
      payload_indexes: num(m.payload_indexes),
      unpacked_segments: num(m.unpacked_segments),
      total: num(m.total),
    };
  }
  return out;
}

const payloadIndexesJson: Decoder = (r) => ({
  name: r.name ?? "",
  payload_indexes: ((r.payload_indexes ?? []) as JsonObject[]).map((d) => ({ field: d.field ?? "", type: d.type ?? "" })),
});

const aliasesJson: Decoder = (r) => ({
  aliases: ((r.aliases ?? []) as JsonObject[]).map((a) => ({ alias: a.alias ?? "", collection: a.collection ?? "" })),
});

const nameStatus: Decoder = (r) => ({ name: r.name ?? "", status: r.status ?? "" });
const deleted: Decoder = (r) => ({ deleted_count: num(r.deleted_count) });

// ---------------------------------------------------------------------------
// operation -> [request encoder, response decoder]

export const CODECS: Record<string, [Encoder, Decoder]> = {
  Health: [() => ({}), (r) => ({ status: r.status ?? "", version: r.version ?? "" })],
  CreateCollection: [
    (c) => {
      const b = body(c);
      const req: JsonObject = {
        name: b.name ?? "",
        dimension: b.dimension ?? 0,
        distance_metric: b.distance_metric ?? "",
        indexing_algorithm: b.indexing_algorithm ?? "",
        quantization: b.quantization ?? "",
        storage_strategy: b.storage_strategy ?? "",
        memtable: b.memtable ?? "",
        compression: b.compression ?? "",
        wal_format: b.wal_format ?? "",
        flush_policy: flushPolicy(b),
      };
      copySet(req, b, ["m", "ef_construction", "ef_search", "shard_count", "replication_factor", "nlist", "nprobe", "default_ttl_seconds"]);
      if (b.tiering) req.tiering = copySet({}, b.tiering, TIERING_KEYS);
      if (b.sparse_vectors) req.sparse_vectors = Object.fromEntries(Object.keys(b.sparse_vectors).map((n) => [n, {}]));
      if (b.vectors) {
        req.vectors = {};
        for (const [name, cfg] of Object.entries(b.vectors as JsonObject)) {
          const one = copySet({}, cfg ?? {}, ["dimension", "distance_metric", "multivector"]);
          copySet(one, cfg?.index ?? {}, ["indexing_algorithm", "quantization", "m", "ef_construction", "ef_search"]);
          req.vectors[name] = one;
        }
      }
      if (b.filterable_columns) req.filterable_columns = columnsJson(b.filterable_columns);
      return req;
    },
    collectionJson,
  ],
  ListCollections: [
    () => ({}),
    (r) => ({ collections: ((r.collections ?? []) as JsonObject[]).map(collectionJson), total_count: num(r.total_count) }),
  ],
  GetCollection: [(c) => ({ name: c.collection }), collectionJson],
  UpdateCollection: [
    (c) => {
      const b = body(c);
      const req: JsonObject = { name: c.collection, flush_policy: flushPolicy(b) };
      if (b.tiering) req.tiering = copySet({}, b.tiering, TIERING_KEYS);
      return req;
    },
    collectionJson,
  ],
  DeleteCollection: [(c) => ({ name: c.collection }), nameStatus],
  Upsert: [(c) => ({ collection: c.collection, point: pointMsg(body(c), "point") }), (r) => ({ id: r.id ?? "", status: r.status ?? "" })],
  BatchUpsert: [
    (c) => ({ collection: c.collection, points: (body(c).vectors as JsonObject[]).map((p, i) => pointMsg(p, `vectors[${i}]`)) }),
    (r) => ({ inserted_ids: r.inserted_ids ?? [], total_count: num(r.total_count) }),
  ],
  Get: [(c) => ({ collection: c.collection, id: c.pointId }), pointJson],
  DeleteByIds: [(c) => ({ collection: c.collection, ids: body(c).ids }), deleted],
  DeleteByFilter: [(c) => ({ collection: c.collection, filter: toStruct(body(c).filter, "filter") }), deleted],
  UpdateMetadata: [
    (c) => ({ collection: c.collection, id: c.pointId, metadata: toStruct(body(c).metadata, "metadata") }),
    (r) => ({ id: r.id ?? "", status: r.status ?? "" }),
  ],
  GetPoints: [
    (c) => copySet({ collection: c.collection, ids: body(c).ids }, body(c), ["include_vector", "include_metadata"]),
    (r) => ({ points: ((r.points ?? []) as JsonObject[]).map(pointJson) }),
  ],
  PatchMetadata: [
    (c) => {
      const b = body(c);
      const req: JsonObject = { collection: c.collection, ids: b.ids ?? [], unset: b.unset ?? [] };
      if (b.filter) req.filter = toStruct(b.filter, "filter");
      if (b.set) req.set = toStruct(b.set, "set");
      return req;
    },
    (r) => ({ updated_count: num(r.updated_count), not_found: r.not_found ?? [] }),
  ],
  Count: [
    (c) => {
      const req: JsonObject = { collection: c.collection };
      if (c.body?.filter) req.filter = toStruct(c.body.filter, "filter");
      return req;
    },
    (r) => ({ count: num(r.count) }),
  ],
  Scroll: [
    (c) => {
      const b = body(c);
      const req: JsonObject = { collection: c.collection, after_id: b.after_id ?? "", include_vector: Boolean(b.include_vector) };
      copySet(req, b, ["limit", "consistency", "after_value"]);
      if (b.filter) req.filter = toStruct(b.filter, "filter");
      if (b.order_by) req.order_by = copySet({ key: b.order_by.key ?? "" }, b.order_by, ["direction"]);
      return req;
    },
    (r) => ({
      points: ((r.points ?? []) as JsonObject[]).map(pointJson),
      next_after_id: r.next_after_id ?? null,
      next_after_value: r.next_after_value ?? null,
    }),
  ],
  Facet: [
    (c) => {
      const b = body(c);
      const req: JsonObject = copySet({ collection: c.collection, key: b.key ?? "" }, b, ["limit", "consistency"]);
      if (b.filter) req.filter = toStruct(b.filter, "filter");
      return req;
    },
    (r) => ({ values: ((r.values ?? []) as JsonObject[]).map((v) => ({ value: fromValue(v.value), count: num(v.count) })) }),
  ],
  Search: [(c) => searchMsg(body(c), c.collection ?? "", ""), searchJson],
  BatchSearch: [
    (c) => ({
      collection: c.collection,
      queries: (body(c).queries as JsonObject[]).map((q, i) => searchMsg(q, "", `queries[${i}].`)),
    }),
    (r) => ({ results: ((r.results ?? []) as JsonObject[]).map(searchJson) }),
  ],
  Recommend: [
    (c) => {
      const b = { ...body(c) };
      const example = (e: Json): JsonObject => (typeof e === "string" ? { id: e } : { vector: e });
      const req: JsonObject = {
        collection: c.collection,
        positive: (b.positive ?? []).map(example),
        negative: (b.negative ?? []).map(example),
      };
      if (b.strategy !== undefined) req.strategy = b.strategy;
      const using = b.using;
      delete b.positive;
      delete b.negative;
      delete b.strategy;
      delete b.using;
      req.query = searchMsg({ ...b, vector: [] }, "", "");
      if (using !== undefined) req.query.using = using;
      return req;
    },
    searchJson,
  ],
  Flush: [(c) => ({ collection: c.collection }), nameStatus],
  Compact: [(c) => ({ collection: c.collection }), nameStatus],
  CollectionStats: [(c) => ({ collection: c.collection }), statsJson],
  CreatePayloadIndex: [(c) => ({ collection: c.collection, field: body(c).field ?? "", type: body(c).type ?? "" }), payloadIndexesJson],
  ListPayloadIndexes: [(c) => ({ collection: c.collection }), payloadIndexesJson],
  DeletePayloadIndex: [(c) => ({ collection: c.collection, field: c.pointId ?? "" }), payloadIndexesJson],
  UpdateAliases: [
    (c) => ({
      actions: ((body(c).actions ?? []) as JsonObject[]).map((a) =>
        a.create
          ? { create_alias: { alias: a.create.alias, collection: a.create.collection } }
          : { delete_alias: { alias: a.delete?.alias } },
      ),
    }),
    aliasesJson,
  ],
  ListAliases: [() => ({}), aliasesJson],
};

// ---------------------------------------------------------------------------
// Errors

function errorFromStatus(e: grpc.ServiceError, call: Call): ProximaDBError {
  let code: string | null = null;
  const values = e.metadata?.get(ERROR_METADATA_KEY) ?? [];
  if (values.length > 0) code = String(values[values.length - 1]);
  const statusName = grpc.status[e.code] ?? "UNKNOWN";
  return errorFor(code, e.details ?? e.message ?? "", statusName, {
    pointOp: POINT_OPS.has(call.op),
    collectionOp: !ADMIN_OPS.has(call.op),
  });
}

const CHANNEL_OPTIONS = {
  "grpc.max_send_message_length": -1,
  "grpc.max_receive_message_length": -1,
};

export class GrpcTransport implements Transport {
  readonly endpoint: Endpoint;
  private client: ServiceClient | undefined;
  private readonly metadata: grpc.Metadata;

  constructor(endpoint: Endpoint, private readonly config: TransportConfig) {
    this.endpoint = endpoint;
    this.metadata = new grpc.Metadata();
    if (config.apiKey) this.metadata.set("api-key", config.apiKey);
  }

  private stub(): ServiceClient {
    if (this.client === undefined) {
      const Ctor = loadService();
      const creds = this.endpoint.secure ? grpc.credentials.createSsl() : grpc.credentials.createInsecure();
      this.client = new Ctor(this.endpoint.baseUrl, creds, CHANNEL_OPTIONS);
    }
    return this.client;
  }

  /** Runs one RPC, retrying UNAVAILABLE with back-off. */
  async call(call: Call, settings: CallSettings): Promise<JsonObject> {
    const codec = CODECS[call.op];
    if (codec === undefined) throw new InvalidArgument(`${call.op} is not supported over gRPC by this client`);
    const [encode, decode] = codec;
    const request = encode(call);
    const stub = this.stub();
    const method = stub[call.op];
    if (typeof method !== "function") throw new InvalidArgument(`the server's proto has no RPC ${call.op}`);
    const delays = backoffDelays(this.config.maxRetries, this.config.retryBackoffMs);
    for (;;) {
      let err: ProximaDBError;
      try {
        const response = await this.unary(method, stub, request, settings.timeoutMs);
        return decode(response);
      } catch (e) {
        if (e instanceof ProximaDBError) throw e;
        const se = e as grpc.ServiceError;
        if (typeof se?.code !== "number") throw e;
        err = errorFromStatus(se, call);
        if (err instanceof Timeout) {
          throw new Timeout(
            settings.timeoutMs !== null ? `${call.op}: no answer within ${settings.timeoutMs} ms` : err.message,
            { status: err.status, code: err.code, cause: e },
          );
        }
        if (!(err instanceof Unavailable)) throw err;
      }
      const next = delays.next();
      if (next.done) throw err;
      await sleep(next.value);
    }
  }

  private unary(method: Function, stub: ServiceClient, request: JsonObject, timeoutMs: number | null): Promise<JsonObject> {
    return new Promise((resolve, reject) => {
      const options: grpc.CallOptions = {};
      if (timeoutMs !== null) options.deadline = new Date(Date.now() + timeoutMs);
      try {
        method.call(stub, request, this.metadata, options, (e: grpc.ServiceError | null, r: JsonObject) => {
          if (e) reject(e);
          else resolve(r);
        });
      } catch (e) {
        // protobufjs refused the request object (a value of the wrong type)
        reject(new InvalidArgument(`cannot encode the request: ${(e as Error).message}`, { cause: e }));
      }
    });
  }

  async close(): Promise<void> {
    this.client?.close();
    this.client = undefined;
  }
}
