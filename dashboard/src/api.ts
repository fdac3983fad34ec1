// The server's REST API as the dashboard uses it. Every request goes to the
// origin that served the dashboard; the API key (when the server has keys on)
// is kept in sessionStorage only and sent as the `api-key` header.

const KEY_STORAGE = 'proximadb.apiKey';

export class ApiError extends Error {
  status: number;
  code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

type Listener = () => void;
const unauthorizedListeners = new Set<Listener>();

/** Called when any request is answered 401 (no key, or a wrong one). */
export function onUnauthorized(fn: Listener): () => void {
  unauthorizedListeners.add(fn);
  return () => unauthorizedListeners.delete(fn);
}

export function getApiKey(): string | null {
  try {
    return sessionStorage.getItem(KEY_STORAGE);
  } catch {
    return null;
  }
}

export function setApiKey(key: string | null): void {
  if (key === null) sessionStorage.removeItem(KEY_STORAGE);
  else sessionStorage.setItem(KEY_STORAGE, key);
}

async function send(method: string, path: string, body?: unknown, key?: string | null): Promise<Response> {
  const headers: Record<string, string> = { Accept: 'application/json' };
  const k = key === undefined ? getApiKey() : key;
  if (k) headers['api-key'] = k;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  try {
    return await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (e) {
    throw new ApiError(0, 'network', `cannot reach the server (${method} ${path}): ${(e as Error).message}`);
  }
}

async function errorFrom(res: Response, method: string, path: string): Promise<ApiError> {
  const text = await res.text().catch(() => '');
  try {
    const j = JSON.parse(text) as { error?: unknown; message?: unknown };
    if (typeof j.error === 'string') {
      return new ApiError(res.status, j.error, typeof j.message === 'string' && j.message ? j.message : j.error);
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = text.trim().slice(0, 200);
  return new ApiError(res.status, `http_${res.status}`, `${method} ${path}: HTTP ${res.status}${snippet ? `: ${snippet}` : ''}`);
}

/** A JSON request to the server; throws ApiError with the server's message. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const res = await send(method, path, body);
  if (!res.ok) {
    const err = await errorFrom(res, method, path);
    if (res.status === 401) unauthorizedListeners.forEach((fn) => fn());
    throw err;
  }
  const text = await res.text();
  if (text === '') return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError(res.status, 'bad_response', `${method} ${path}: the answer is not JSON`);
  }
}

/** Checks a key against the server without storing it. Resolves true if accepted. */
export async function checkKey(key: string): Promise<boolean> {
  const res = await send('GET', '/api/v1/collections', undefined, key);
  if (res.status === 401) return false;
  if (!res.ok) throw await errorFrom(res, 'GET', '/api/v1/collections');
  return true;
}

/** Whether the server wants a key that we do not have (or that it refuses). */
export async function needsLogin(): Promise<boolean> {
  const res = await send('GET', '/api/v1/collections');
  if (res.status === 401) return true;
  if (!res.ok) throw await errorFrom(res, 'GET', '/api/v1/collections');
  return false;
}

/** GET /metrics (no key needed) as text. */
export async function fetchMetrics(): Promise<string> {
  let res: Response;
  try {
    res = await fetch('/metrics', { headers: { Accept: 'text/plain' } });
  } catch (e) {
    throw new ApiError(0, 'network', `cannot reach the server (GET /metrics): ${(e as Error).message}`);
  }
  if (!res.ok) throw await errorFrom(res, 'GET', '/metrics');
  return res.text();
}

export const enc = encodeURIComponent;
export const collectionPath = (name: string) => `/api/v1/collections/${enc(name)}`;

// ---- shapes of the answers (docs/API.md, api/openapi.yaml) ----

export interface FlushPolicy {
  max_wal_age_hours: number;
  max_wal_size_mb: number;
  max_vector_count: number;
  flush_priority: number;
  enable_background_flush: boolean;
}

export interface TierTotals {
  segments: number;
  bytes: number;
  points: number;
}

export interface Collection {
  name: string;
  dimension: number;
  distance_metric: string;
  indexing_algorithm: string;
  index?: Record<string, unknown>;
  storage_strategy?: string;
  memtable?: string;
  flush_policy: FlushPolicy;
  wal_format?: string;
  point_count: number;
  segment_count: number;
  created_at: number;
  /** serving | recovering (start-up replay) | fenced (damaged); state_message says why. */
  state?: string;
  state_message?: string;
  shard_count?: number;
  replication_factor?: number;
  payload_indexes?: PayloadIndex[];
  tiering?: Record<string, unknown>;
  tiers?: Record<string, TierTotals>;
  [k: string]: unknown;
}

export interface PayloadIndex {
  field: string;
  type: string;
}

export interface Segment {
  id: number;
  tier: string;
  points: number;
  live_points: number;
  bytes: number;
  directory: string;
  min_seq: number;
  max_seq: number;
  graph_loaded: boolean;
  cached: boolean;
  newest_write_unix_ms: number;
  compressed?: boolean;
  unpacked_bytes?: number;
}

export interface Stats {
  name: string;
  point_count: number;
  segment_count: number;
  memtable_points: number;
  wal_bytes: number;
  oldest_unflushed_age_seconds: number;
  last_sequence: number;
  tiers?: Record<string, TierTotals>;
  tiering?: Record<string, number>;
  recall_estimate?: RecallEstimate;
  background_io?: BackgroundIo;
  [k: string]: unknown;
}

/** Background writes and the server's I/O budget (docs/API.md, "Background I/O"). */
export interface BackgroundIo {
  budget_mb_per_s: number;
  bytes_written: Record<string, number>;
  throttled_seconds: number;
  tasks: BackgroundTask[];
}

export interface BackgroundTask {
  kind: string;
  segments: number;
  bytes_done: number;
  bytes_total: number | null;
  seconds: number;
  eta_seconds: number | null;
}

/** The server's live recall estimate (docs/API.md, "Live recall estimate"). */
export interface RecallEstimate {
  recall: number | null;
  samples: number;
  ci95: [number, number];
  samples_total: number;
  dropped_total: number;
}

export interface Point {
  id: string;
  vector?: number[];
  metadata?: Record<string, unknown>;
  [k: string]: unknown;
}

export interface ScrollPage {
  points: Point[];
  next_after_id: string | null;
}

export interface SearchMatch {
  id: string;
  score: number;
  metadata?: Record<string, unknown>;
  vector?: number[];
}

export interface ExplainSource {
  source: string;
  segment_id?: number;
  rows?: number;
  strategy?: string;
  estimated_matches?: number;
  candidates?: number;
  matches?: number;
  ef?: number;
  distances_computed?: number;
  [k: string]: unknown;
}

export interface SearchExplain {
  distances_computed?: number;
  nodes_visited?: number;
  partitions_pruned?: number;
  sources?: ExplainSource[];
  [k: string]: unknown;
}

export interface SearchResponse {
  matches?: SearchMatch[];
  total_count: number;
  explain?: SearchExplain;
}

export interface Health {
  status: string;
  version?: string;
}

export interface ClusterInfo {
  enabled: boolean;
  node_id: string;
  nodes: { id: string; alive: boolean; draining?: boolean; rest_url?: string }[];
}
