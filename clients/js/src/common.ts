/**
 * Transport-neutral pieces: endpoint parsing, input validation, chunking,
 * back-off. A client method builds {@link Call} values (one per server
 * request, its body in the REST JSON shape) and both transports execute them
 * and answer in the REST JSON shape, so every behaviour is shared.
 */

import { InvalidArgument } from "./errors.js";

export const DEFAULT_REST_PORT = 8080;
export const DEFAULT_GRPC_PORT = 5678;
/** The server accepts 1..1024 queries per batch search. */
export const MAX_BATCH_SEARCH = 1024;
/** Ids per GetPoints / PatchMetadata request (the server's kMaxIdsPerCall). */
export const MAX_IDS_PER_CALL = 10000;

// Values in the REST JSON shape (the wire format both transports decode into).
export type Json = any;
export type JsonObject = Record<string, Json>;

/** One server request, independent of the transport. */
export interface Call {
  /** The service operation (also the gRPC method name). */
  op: string;
  /** Path parameter: the collection. */
  collection?: string;
  /** The REST JSON body (undefined: no body). */
  body?: JsonObject;
  /** Path parameter: the point id (or segment / snapshot / field, per op). */
  pointId?: string;
}

/** Operations whose not_found may name the point rather than the collection. */
export const POINT_OPS = new Set(["Get", "UpdateMetadata", "Search", "BatchSearch", "Recommend"]);
/** Operations on the server rather than on a collection. */
export const ADMIN_OPS = new Set([
  "ListQuarantine",
  "ClearQuarantine",
  "UpdateAliases",
  "ListAliases",
  "CreateDatabaseSnapshot",
  "GetCluster",
  "DrainNode",
]);

export interface Endpoint {
  protocol: "rest" | "grpc";
  /** REST: scheme://host:port[/path]; gRPC: host:port. */
  baseUrl: string;
  secure: boolean;
}

/**
 * Parses the client's URL: `http://` and `https://` mean REST, `grpc://`
 * and `grpcs://` gRPC; `protocol` ("rest" | "grpc") picks the transport for
 * a URL without a scheme and may not contradict one. Default ports: 8080
 * (REST), 5678 (gRPC).
 */
export function parseEndpoint(url: string | undefined | null, protocol?: string | null): Endpoint {
  let proto: "rest" | "grpc" | undefined;
  if (protocol != null) {
    let p = protocol.toLowerCase();
    if (p === "http" || p === "https" || p === "json") p = "rest";
    if (p !== "rest" && p !== "grpc") {
      throw new InvalidArgument(`protocol must be 'rest' or 'grpc', not '${protocol}'`);
    }
    proto = p;
  }
  let raw = (url ?? (proto === "grpc" ? "grpc://localhost:5678" : "http://localhost:8080")).trim();
  if (!raw.includes("://")) raw = (proto === "grpc" ? "grpc://" : "http://") + raw;
  const scheme = raw.slice(0, raw.indexOf("://")).toLowerCase();
  let urlProto: "rest" | "grpc";
  if (scheme === "http" || scheme === "https") urlProto = "rest";
  else if (scheme === "grpc" || scheme === "grpcs") urlProto = "grpc";
  else throw new InvalidArgument(`unsupported URL scheme '${scheme}' in '${url}'`);
  if (proto !== undefined && proto !== urlProto) {
    throw new InvalidArgument(`protocol '${proto}' contradicts the URL '${url}'`);
  }
  // WHATWG URL parsing of a non-special scheme keeps the host; parse as http.
  let parsed: URL;
  try {
    parsed = new URL("http" + raw.slice(scheme.length));
  } catch {
    throw new InvalidArgument(`invalid URL '${url}'`);
  }
  const secure = scheme === "https" || scheme === "grpcs";
  const host = parsed.hostname || "localhost"; // IPv6 literals keep their brackets
  const port = parsed.port ? Number(parsed.port) : urlProto === "grpc" ? DEFAULT_GRPC_PORT : DEFAULT_REST_PORT;
  if (urlProto === "rest") {
    let path = parsed.pathname.replace(/\/+$/, "");
    if (path.endsWith("/api/v1")) path = path.slice(0, -"/api/v1".length);
    return { protocol: "rest", baseUrl: `${scheme}://${host}:${port}${path}`, secure };
  }
  return { protocol: "grpc", baseUrl: `${host}:${port}`, secure };
}

/** The sleeps between attempts, in ms: exponential with jitter, `maxRetries` of them. */
export function* backoffDelays(maxRetries: number, baseMs: number, capMs = 2000): Generator<number> {
  for (let attempt = 0; attempt < maxRetries; attempt++) {
    const delay = Math.min(capMs, baseMs * 2 ** attempt);
    yield delay * (0.5 + Math.random() / 2);
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// Vectors

/** A vector: a plain array of numbers or any typed array of numbers (Float32Array...). */
export type Vector = ArrayLike<number>;

function isNumericTypedArray(v: unknown): v is ArrayLike<number> {
  return ArrayBuffer.isView(v) && !(v instanceof DataView) && !(v instanceof BigInt64Array) && !(v instanceof BigUint64Array);
}

/**
 * A vector as an array of float32 values. Accepts number arrays and numeric
 * typed arrays. Values are rounded to float32 here, as the server stores
 * them, so both transports send the same numbers. Throws InvalidArgument
 * for anything else and for NaN or infinite values (also values that
 * overflow float32).
 */
/**
 * A vector as float32 values in plain numbers, checked finite. `shortest`
 * writes each as its 9-significant-digit decimal (REST: a JSON body a third
 * smaller); without it each is the float32's exact double (gRPC, which sends
 * float32 anyway: the decimal would be work for nothing).
 */
export function toVector(v: unknown, what = "vector", shortest = true): number[] {
  let f32: Float32Array;
  if (v instanceof Float32Array) {
    f32 = v;
  } else if (isNumericTypedArray(v)) {
    f32 = Float32Array.from(v);
  } else if (Array.isArray(v)) {
    for (let i = 0; i < v.length; i++) {
      const x = v[i];
      if (typeof x !== "number") {
        throw new InvalidArgument(`${what} must contain numbers, got ${describe(x)} at [${i}]`);
      }
    }
    f32 = Float32Array.from(v as number[]);
  } else {
    throw new InvalidArgument(`${what} must be an array of numbers or a Float32Array, got ${describe(v)}`);
  }
  const out = new Array<number>(f32.length);
  for (let i = 0; i < f32.length; i++) {
    const x = f32[i]!;
    if (!Number.isFinite(x)) throw new InvalidArgument(`${what}[${i}] is not a finite float32 number`);
    // 9 significant digits name every float32 exactly: the same float32, a
    // shorter JSON number than the double's 17 digits.
    out[i] = shortest ? Number(x.toPrecision(9)) : x;
  }
  return out;
}

/** True for a value that can be a vector (an array of numbers or a typed array). */
export function isVectorLike(v: unknown): boolean {
  return isNumericTypedArray(v) || (Array.isArray(v) && (v.length === 0 || typeof v[0] === "number"));
}

/** A named vector: one vector, or a multi-vector (an array of vectors). */
export function namedVector(v: unknown, what: string): number[] | number[][] {
  if (Array.isArray(v) && v.length > 0 && (Array.isArray(v[0]) || isNumericTypedArray(v[0]))) {
    return v.map((row, j) => toVector(row, `${what}[${j}]`));
  }
  return toVector(v, what);
}

export function describe(x: unknown): string {
  if (x === null) return "null";
  if (Array.isArray(x)) return "array";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}

/** A point id as sent: 1..256 bytes of UTF-8 (an empty id cannot be addressed in a REST path). */
export function checkId(id: unknown, what = "point id"): string {
  if (typeof id !== "string" && typeof id !== "number") {
    throw new InvalidArgument(`${what} must be a string, got ${describe(id)}`);
  }
  const s = String(id);
  const n = Buffer.byteLength(s, "utf8");
  if (n < 1 || n > 256) throw new InvalidArgument(`${what} must be 1..256 bytes, got ${n}`);
  return s;
}

/** Splits `items` into consecutive slices of at most `size`. */
export function* chunks<T>(items: readonly T[], size: number, what = "chunkSize"): Generator<T[]> {
  if (!Number.isInteger(size) || size < 1) throw new InvalidArgument(`${what} must be an integer >= 1, got ${size}`);
  for (let start = 0; start < items.length; start += size) yield items.slice(start, start + size);
}

/** Checks a collection name is a non-empty string (the server checks its form). */
export function checkName(name: unknown, what = "collection"): string {
  if (typeof name !== "string" || name.length === 0) {
    throw new InvalidArgument(`${what} must be a non-empty string, got ${describe(name)}`);
  }
  return name;
}

// ---------------------------------------------------------------------------
// float32 values read over gRPC

/**
 * The double with the shortest decimal form that rounds to float32 `x`.
 * REST prints float32 values in their shortest form (`0.1`); gRPC carries
 * raw float32s (0.10000000149011612 as a double). Converting them the same
 * way makes both transports return equal numbers.
 */
export function f32Shortest(x: number): number {
  if (!Number.isFinite(x)) return x;
  const target = Math.fround(x);
  for (let digits = 6; digits < 10; digits++) {
    const y = Number(target.toPrecision(digits));
    if (Math.fround(y) === target) return y;
  }
  return target;
}

export function f32List(values: ArrayLike<number>): number[] {
  const out = new Array<number>(values.length);
  for (let i = 0; i < values.length; i++) out[i] = f32Shortest(values[i]!);
  return out;
}

/** A body with the undefined/null fields left out. */
export function bodyOf(fields: Record<string, unknown>): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(fields)) if (v !== undefined && v !== null) out[k] = v;
  return out;
}

export function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x) && !ArrayBuffer.isView(x);
}
