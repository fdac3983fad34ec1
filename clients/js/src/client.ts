/** `ProximaDBClient`: one API over REST or gRPC. */

import {
  MAX_BATCH_SEARCH,
  MAX_IDS_PER_CALL,
  bodyOf,
  checkId,
  checkName,
  chunks,
  describe,
  isPlainObject,
  isVectorLike,
  namedVector,
  parseEndpoint,
  toVector,
} from "./common.js";
import type { Call, Endpoint, Json, JsonObject, Vector } from "./common.js";
import { CollectionNotFound, InvalidArgument } from "./errors.js";
import { GrpcTransport } from "./grpc.js";
import {
  aliasesFrom,
  batchInsertFrom,
  collectionFrom,
  healthFrom,
  payloadIndexesFrom,
  pointFrom,
  scrollPageFrom,
  searchResultsFrom,
  statsFrom,
} from "./models.js";
import type {
  Alias,
  BatchInsertResult,
  Collection,
  CollectionStats,
  Consistency,
  DistanceMetric,
  FacetValue,
  Filter,
  HealthStatus,
  Metadata,
  MetadataPatchResult,
  PayloadIndex,
  Point,
  ScrollPage,
  SearchResults,
  SparseVector,
} from "./models.js";
import { RestTransport } from "./rest.js";
import type { CallSettings, Transport } from "./transport.js";

export interface ClientOptions {
  /** Sent as the `api-key` header (REST) or metadata (gRPC) when the server requires keys. */
  apiKey?: string | null;
  /** Milliseconds per request attempt (default 30000; null: wait forever). Over it: a {@link Timeout} error. */
  timeoutMs?: number | null;
  /** "rest" or "grpc": picks the transport for a URL without a scheme; must agree with the scheme otherwise. */
  protocol?: "rest" | "grpc" | null;
  /**
   * How many times a request is retried when the server is unavailable
   * (HTTP 503, refused connection, gRPC UNAVAILABLE), with exponential
   * back-off and jitter (REST: at least the server's Retry-After). Other
   * errors are never retried. Default 3.
   */
  maxRetries?: number;
  /** The first back-off in milliseconds (doubles per retry, capped at 2 s). Default 100. */
  retryBackoffMs?: number;
}

/** Options every method takes last. */
export interface RequestOptions {
  /** This call's timeout per attempt, in milliseconds (null: none); default: the client's. */
  timeoutMs?: number | null;
}

export interface CreateCollectionOptions extends RequestOptions {
  /** "cosine" (default), "euclidean" or "dot_product". */
  distanceMetric?: DistanceMetric | string;
  /** "hnsw" (the standard default), "flat", or "ivf" (viper/custom). Unset: the storage strategy's default. */
  indexingAlgorithm?: string;
  maxWalAgeHours?: number;
  maxWalSizeMb?: number;
  maxVectorCount?: number;
  flushPriority?: number;
  enableBackgroundFlush?: boolean;
  /** HNSW parameters. */
  m?: number;
  efConstruction?: number;
  efSearch?: number;
  /** "native" or "avro". */
  walFormat?: string;
  /** Tiering policy keys as the server names them: warm_after_hours, cold_after_hours, warm_directory, cache_mb, wal_archive. */
  tiering?: Record<string, Json>;
  shardCount?: number;
  replicationFactor?: number;
  /** Names of sparse vectors points may carry. */
  sparseVectors?: string[];
  defaultTtlSeconds?: number;
  /** Named dense vectors: `{"<name>": {"dimension": 128, "distance_metric": "cosine", "multivector": false, "index": {...}}}`. */
  vectors?: Record<string, JsonObject>;
  /** "none", "int8", "binary" or "pq". */
  quantization?: string;
  /** "standard", "viper" or "custom". */
  storageStrategy?: string;
  /** "btree" or "hash". */
  memtable?: string;
  nlist?: number;
  nprobe?: number;
  filterableColumns?: { name: string; type: string; indexed?: boolean }[];
  /** "none" or "zstd". */
  compression?: string;
}

export interface UpdateCollectionOptions extends RequestOptions {
  maxWalAgeHours?: number;
  maxWalSizeMb?: number;
  maxVectorCount?: number;
  flushPriority?: number;
  enableBackgroundFlush?: boolean;
  tiering?: Record<string, Json>;
}

/** A point to write. `id` omitted: the server makes a UUID. */
export interface PointInput {
  id?: string | number | null;
  vector: Vector;
  metadata?: Metadata | null;
  sparseVectors?: Record<string, SparseVector>;
  vectors?: Record<string, Vector | Vector[]>;
  /** RFC 3339 string or a Date. */
  expiresAt?: string | Date;
}

export interface UpsertOptions extends RequestOptions {
  /** With bare vectors: their ids, one per vector (null: server-generated). */
  ids?: (string | number | null)[];
  /** With bare vectors: their metadata, one per vector. */
  metadata?: (Metadata | null)[];
  /** Points per request (default 1000); each chunk is atomic, earlier chunks stay stored when a later one fails. */
  chunkSize?: number;
  /** Called after each chunk with (points done, points in all). */
  onProgress?: (done: number, total: number) => void;
}

export interface GetOptions extends RequestOptions {
  /** Several ids: also return the vectors (default true). */
  includeVectors?: boolean;
}

export interface DeleteOptions extends RequestOptions {
  /** Ids per request (default 1000). */
  chunkSize?: number;
}

export interface PatchMetadataOptions extends RequestOptions {
  filter?: Filter;
  set?: Metadata;
  unset?: string[];
}

export interface ScrollPageOptions extends RequestOptions {
  /** Exclusive cursor (the previous page's nextAfterId). */
  afterId?: string | null;
  /** Points per page, 1..10000 (default 100). */
  limit?: number;
  filter?: Filter | null;
  includeVectors?: boolean;
  consistency?: Consistency;
  /** A numeric metadata field to order by instead of the id. */
  orderBy?: string;
  direction?: "asc" | "desc";
  /** With orderBy: the previous page's nextAfterValue. */
  afterValue?: number | null;
}

export interface ScrollOptions extends RequestOptions {
  filter?: Filter | null;
  /** Points per page (default 100). */
  batchSize?: number;
  includeVectors?: boolean;
  afterId?: string | null;
  consistency?: Consistency;
  orderBy?: string;
  direction?: "asc" | "desc";
}

export interface SearchOptions extends RequestOptions {
  /** 1..10000 (default 10). */
  k?: number;
  filter?: Filter | null;
  includeVectors?: boolean;
  /** Default true. */
  includeMetadata?: boolean;
  /** HNSW search breadth for this query (1..4096). */
  efSearch?: number;
  /** Brute force instead of the index. */
  exact?: boolean;
  consistency?: Consistency;
  /** Instead of a query vector: search with this point's vector (the point itself is left out). */
  pointId?: string;
  /** Skip the `offset` best matches. */
  offset?: number;
  /** Only matches at least this good (cosine/dot: score >= it; euclidean: distance <= it). */
  scoreThreshold?: number;
  /** Search this named vector instead of the main one. */
  using?: string;
  /** IVF partitions to probe. */
  nprobe?: number;
  /** Also return how the search was run (`results.explain`). */
  explain?: boolean;
}

export interface BatchSearchOptions extends RequestOptions {
  k?: number;
  /** One filter for every query, or an array with one per query. */
  filter?: Filter | (Filter | null)[] | null;
  includeVectors?: boolean;
  includeMetadata?: boolean;
  efSearch?: number;
  exact?: boolean;
  consistency?: Consistency;
  /** Queries per request (default and at most 1024). */
  chunkSize?: number;
}

export interface RecommendOptions extends RequestOptions {
  negative?: (string | Vector)[];
  k?: number;
  /** "average" (default) or "best_score". */
  strategy?: string;
  filter?: Filter | null;
  includeVectors?: boolean;
  includeMetadata?: boolean;
  efSearch?: number;
  exact?: boolean;
  consistency?: Consistency;
  offset?: number;
  scoreThreshold?: number;
  using?: string;
}

const DEFAULT_TIMEOUT_MS = 30000;

/**
 * A ProximaDB client. The transport follows the URL: `http://host:8080` (or
 * `https://`) talks REST/JSON, `grpc://host:5678` (or `grpcs://`) talks gRPC.
 * Every method behaves the same over both: same arguments, same results,
 * same errors. Call {@link close} when done.
 */
export class ProximaDBClient {
  /** "rest" or "grpc". */
  readonly protocol: "rest" | "grpc";
  /** The resolved address (REST: scheme://host:port, gRPC: host:port). */
  readonly url: string;
  private readonly transport: Transport;
  private readonly defaultTimeoutMs: number | null;

  constructor(url?: string | null, options: ClientOptions = {}) {
    const endpoint: Endpoint = parseEndpoint(url, options.protocol ?? null);
    const timeoutMs = options.timeoutMs === undefined ? DEFAULT_TIMEOUT_MS : options.timeoutMs;
    if (timeoutMs !== null && !(typeof timeoutMs === "number" && timeoutMs > 0)) {
      throw new InvalidArgument(`timeoutMs must be a positive number or null, got ${timeoutMs}`);
    }
    const maxRetries = options.maxRetries ?? 3;
    if (!Number.isInteger(maxRetries) || maxRetries < 0) {
      throw new InvalidArgument(`maxRetries must be an integer >= 0, got ${maxRetries}`);
    }
    const retryBackoffMs = options.retryBackoffMs ?? 100;
    if (!(typeof retryBackoffMs === "number" && retryBackoffMs >= 0)) {
      throw new InvalidArgument(`retryBackoffMs must be a number >= 0, got ${retryBackoffMs}`);
    }
    const config = { apiKey: options.apiKey ?? null, timeoutMs, maxRetries, retryBackoffMs };
    this.transport = endpoint.protocol === "grpc" ? new GrpcTransport(endpoint, config) : new RestTransport(endpoint, config);
    this.protocol = endpoint.protocol;
    this.url = endpoint.baseUrl;
    this.defaultTimeoutMs = timeoutMs;
  }

  private run(call: Call, opts?: RequestOptions): Promise<JsonObject> {
    let timeoutMs = this.defaultTimeoutMs;
    if (opts?.timeoutMs !== undefined) {
      if (opts.timeoutMs !== null && !(typeof opts.timeoutMs === "number" && opts.timeoutMs > 0)) {
        return Promise.reject(new InvalidArgument(`timeoutMs must be a positive number or null, got ${opts.timeoutMs}`));
      }
      timeoutMs = opts.timeoutMs;
    }
    const settings: CallSettings = { timeoutMs };
    return this.transport.call(call, settings);
  }

  /** Closes the underlying connections (gRPC channel). */
  async close(): Promise<void> {
    await this.transport.close();
  }

  toString(): string {
    return `ProximaDBClient(url=${this.url}, protocol=${this.protocol})`;
  }

  // -- health and collections ---------------------------------------------

  /** The server's health (`status === "healthy"`, `version`). */
  async health(opts?: RequestOptions): Promise<HealthStatus> {
    return healthFrom(await this.run({ op: "Health" }, opts));
  }

  /**
   * Creates a collection and returns it.
   * @throws CollectionAlreadyExists the name is taken.
   * @throws InvalidArgument a value is out of range.
   */
  async createCollection(name: string, dimension: number, opts: CreateCollectionOptions = {}): Promise<Collection> {
    checkName(name, "name");
    const body = bodyOf({
      name,
      dimension,
      distance_metric: opts.distanceMetric ?? "cosine",
      indexing_algorithm: opts.indexingAlgorithm,
      m: opts.m,
      ef_construction: opts.efConstruction,
      ef_search: opts.efSearch,
      quantization: opts.quantization,
      storage_strategy: opts.storageStrategy,
      memtable: opts.memtable,
      compression: opts.compression,
      nlist: opts.nlist,
      nprobe: opts.nprobe,
      wal_format: opts.walFormat,
      shard_count: opts.shardCount,
      replication_factor: opts.replicationFactor,
      ...flushFields(opts),
    });
    if (opts.tiering !== undefined) body.tiering = bodyOf(opts.tiering);
    if (opts.filterableColumns !== undefined) {
      body.filterable_columns = opts.filterableColumns.map((c, i) => {
        if (!isPlainObject(c) || typeof c.name !== "string" || typeof c.type !== "string") {
          throw new InvalidArgument(`filterableColumns[${i}] must be {name, type, indexed?}`);
        }
        return { name: c.name, type: c.type, indexed: Boolean(c.indexed) };
      });
    }
    if (opts.sparseVectors?.length) body.sparse_vectors = Object.fromEntries(opts.sparseVectors.map((n) => [n, {}]));
    if (opts.vectors && Object.keys(opts.vectors).length) body.vectors = { ...opts.vectors };
    if (opts.defaultTtlSeconds !== undefined) {
      if (!Number.isInteger(opts.defaultTtlSeconds) || opts.defaultTtlSeconds < 0) {
        throw new InvalidArgument(`defaultTtlSeconds must be a non-negative integer, got ${opts.defaultTtlSeconds}`);
      }
      body.default_ttl_seconds = opts.defaultTtlSeconds;
    }
    return collectionFrom(await this.run({ op: "CreateCollection", body }, opts));
  }

  /**
   * The collection with its current counts.
   * @throws CollectionNotFound no such collection.
   */
  async getCollection(name: string, opts?: RequestOptions): Promise<Collection> {
    return collectionFrom(await this.run({ op: "GetCollection", collection: checkName(name, "name") }, opts));
  }

  /** Whether the collection exists. */
  async hasCollection(name: string, opts?: RequestOptions): Promise<boolean> {
    try {
      await this.run({ op: "GetCollection", collection: checkName(name, "name") }, opts);
      return true;
    } catch (e) {
      if (e instanceof CollectionNotFound) return false;
      throw e;
    }
  }

  /** Every collection. */
  async listCollections(opts?: RequestOptions): Promise<Collection[]> {
    const resp = await this.run({ op: "ListCollections" }, opts);
    return ((resp.collections ?? []) as JsonObject[]).map(collectionFrom);
  }

  /**
   * Changes the given keys of the collection's flush policy and (with
   * `tiering`) its tiering policy; returns the collection.
   * @throws InvalidArgument no key given, or a value out of range.
   */
  async updateCollection(name: string, opts: UpdateCollectionOptions = {}): Promise<Collection> {
    const body = bodyOf(flushFields(opts));
    if (opts.tiering !== undefined) body.tiering = bodyOf(opts.tiering);
    return collectionFrom(await this.run({ op: "UpdateCollection", collection: checkName(name, "name"), body }, opts));
  }

  /**
   * Deletes the collection and its files. Returns true when it was deleted,
   * false when it did not exist and `missingOk` is set.
   * @throws CollectionNotFound no such collection (unless missingOk).
   */
  async deleteCollection(name: string, opts: { missingOk?: boolean } & RequestOptions = {}): Promise<boolean> {
    try {
      await this.run({ op: "DeleteCollection", collection: checkName(name, "name") }, opts);
      return true;
    } catch (e) {
      if (opts.missingOk && e instanceof CollectionNotFound) return false;
      throw e;
    }
  }

  // -- writes --------------------------------------------------------------

  /**
   * Stores one point (replacing a point with the same id); returns its id.
   * `id` null/undefined: the server makes a UUID.
   * @throws DimensionMismatch the vector's length is not the collection's dimension.
   */
  async insert(collection: string, id: string | number | null | undefined, vector: Vector, metadata?: Metadata | null, opts?: RequestOptions): Promise<string> {
    const body: JsonObject = { vector: toVector(vector) };
    if (id !== null && id !== undefined) body.id = checkId(id);
    if (metadata !== null && metadata !== undefined) body.metadata = checkMetadata(metadata, "metadata");
    const resp = await this.run({ op: "Upsert", collection: checkName(collection), body }, opts);
    return String(resp.id);
  }

  /**
   * Inserts or replaces points: one point object, an array of point objects
   * (`{id, vector, metadata}`), or the vectors alone (arrays / Float32Arrays)
   * with `ids` and `metadata` as parallel arrays in the options. Sent
   * `chunkSize` (default 1000) points per request; each chunk is atomic, and
   * a failing chunk throws after the earlier chunks were stored.
   */
  async upsert(collection: string, points: PointInput | PointInput[] | Vector[], opts: UpsertOptions = {}): Promise<BatchInsertResult> {
    checkName(collection);
    const list = toPoints(points, opts.ids, opts.metadata, this.protocol === "rest");
    if (list.length === 0) throw new InvalidArgument("the batch is empty");
    const result: BatchInsertResult = { insertedIds: [], totalCount: 0 };
    let done = 0;
    for (const chunk of chunks(list, opts.chunkSize ?? 1000)) {
      const resp = await this.run({ op: "BatchUpsert", collection, body: { vectors: chunk } }, opts);
      const r = batchInsertFrom(resp);
      result.insertedIds.push(...r.insertedIds);
      result.totalCount += r.totalCount;
      done += chunk.length;
      opts.onProgress?.(done, list.length);
    }
    return result;
  }

  /** Alias of {@link upsert} (the Python client's `batch_insert`). */
  batchInsert(collection: string, points: PointInput[] | Vector[], opts: UpsertOptions = {}): Promise<BatchInsertResult> {
    return this.upsert(collection, points, opts);
  }

  /**
   * Replaces a point's whole metadata, keeping its vector.
   * @throws PointNotFound no such point.
   */
  async updateMetadata(collection: string, id: string, metadata: Metadata, opts?: RequestOptions): Promise<void> {
    await this.run(
      { op: "UpdateMetadata", collection: checkName(collection), pointId: checkId(id), body: { metadata: checkMetadata(metadata, "metadata") } },
      opts,
    );
  }

  /**
   * Sets and removes top-level metadata keys of points, keeping their other
   * keys and their vectors. Give `ids` (requests of up to 10,000 ids) or,
   * with `ids` null, a non-empty `filter` in the options.
   */
  async patchMetadata(collection: string, ids: string | string[] | null, opts: PatchMetadataOptions = {}): Promise<MetadataPatchResult> {
    checkName(collection);
    const hasFilter = opts.filter !== undefined && opts.filter !== null;
    if ((ids === null || ids === undefined) === !hasFilter) throw new InvalidArgument("give either ids or filter, not both");
    const base: JsonObject = {};
    if (opts.set && Object.keys(opts.set).length) base.set = checkMetadata(opts.set, "set");
    if (opts.unset?.length) base.unset = opts.unset.map(String);
    const result: MetadataPatchResult = { updatedCount: 0, notFound: [] };
    const add = (r: JsonObject): void => {
      result.updatedCount += Number(r.updated_count ?? 0);
      result.notFound.push(...((r.not_found ?? []) as Json[]).map(String));
    };
    if (hasFilter) {
      add(await this.run({ op: "PatchMetadata", collection, body: { filter: opts.filter, ...base } }, opts));
      return result;
    }
    const idList = typeof ids === "string" ? [ids] : (ids as string[]).map((i) => checkId(i));
    if (idList.length === 0) throw new InvalidArgument("ids is empty");
    for (const chunk of chunks(idList, MAX_IDS_PER_CALL)) {
      add(await this.run({ op: "PatchMetadata", collection, body: { ids: chunk, ...base } }, opts));
    }
    return result;
  }

  /** Deletes points by id (one id or many, `chunkSize` per request); returns how many existed. Unknown ids are ignored. */
  async delete(collection: string, ids: string | string[], opts: DeleteOptions = {}): Promise<number> {
    checkName(collection);
    const idList = typeof ids === "string" ? [checkId(ids)] : Array.isArray(ids) ? ids.map((i) => checkId(i)) : null;
    if (idList === null) throw new InvalidArgument(`ids must be a string or an array of strings, got ${describe(ids)}`);
    if (idList.length === 0) throw new InvalidArgument("ids is empty");
    let deleted = 0;
    for (const chunk of chunks(idList, opts.chunkSize ?? 1000)) {
      const resp = await this.run({ op: "DeleteByIds", collection, body: { ids: chunk } }, opts);
      deleted += Number(resp.deleted_count ?? 0);
    }
    return deleted;
  }

  /** Deletes the points matching a (non-empty) filter; returns how many. */
  async deleteByFilter(collection: string, filter: Filter, opts?: RequestOptions): Promise<number> {
    if (!isPlainObject(filter)) throw new InvalidArgument(`filter must be an object, got ${describe(filter)}`);
    const resp = await this.run({ op: "DeleteByFilter", collection: checkName(collection), body: { filter } }, opts);
    return Number(resp.deleted_count ?? 0);
  }

  // -- reads ---------------------------------------------------------------

  /**
   * Reads points with their vectors and metadata. Given one id, returns its
   * Point or throws PointNotFound; given an array, returns the points that
   * exist, in the order asked, each id once (10,000 ids per request;
   * `includeVectors: false` leaves the vectors out).
   */
  get(collection: string, ids: string, opts?: GetOptions): Promise<Point>;
  get(collection: string, ids: string[], opts?: GetOptions): Promise<Point[]>;
  async get(collection: string, ids: string | string[], opts: GetOptions = {}): Promise<Point | Point[]> {
    checkName(collection);
    if (typeof ids === "string") {
      return pointFrom(await this.run({ op: "Get", collection, pointId: checkId(ids) }, opts));
    }
    if (!Array.isArray(ids)) throw new InvalidArgument(`ids must be a string or an array of strings, got ${describe(ids)}`);
    const idList = ids.map((i) => checkId(i));
    const found: Point[] = [];
    for (const chunk of chunks(idList, MAX_IDS_PER_CALL)) {
      const resp = await this.run({ op: "GetPoints", collection, body: { ids: chunk, include_vector: opts.includeVectors ?? true } }, opts);
      found.push(...((resp.points ?? []) as JsonObject[]).map(pointFrom));
    }
    return found;
  }

  /** Counts the points (matching `filter` when given). */
  async count(collection: string, filter?: Filter | null, opts?: RequestOptions): Promise<number> {
    const call: Call = { op: "Count", collection: checkName(collection) };
    if (filter && Object.keys(filter).length) call.body = { filter };
    const resp = await this.run(call, opts);
    return Number(resp.count ?? 0);
  }

  /**
   * Reads one page of points in id order, after `afterId` (exclusive). The
   * page's `nextAfterId` is the cursor of the next page, or null on the last.
   */
  async scrollPage(collection: string, opts: ScrollPageOptions = {}): Promise<ScrollPage> {
    const body: JsonObject = { limit: opts.limit ?? 100, include_vector: Boolean(opts.includeVectors) };
    if (opts.afterId) body.after_id = opts.afterId;
    if (opts.filter && Object.keys(opts.filter).length) body.filter = opts.filter;
    if (opts.consistency !== undefined) body.consistency = opts.consistency;
    if (opts.orderBy !== undefined) body.order_by = { key: opts.orderBy, direction: opts.direction ?? "asc" };
    if (opts.afterValue !== undefined && opts.afterValue !== null) body.after_value = opts.afterValue;
    return scrollPageFrom(await this.run({ op: "Scroll", collection: checkName(collection), body }, opts));
  }

  /**
   * Iterates over every point (matching `filter`) in id order (or `orderBy`
   * order), fetching pages of `batchSize` lazily:
   * `for await (const p of client.scroll("docs")) ...`
   */
  async *scroll(collection: string, opts: ScrollOptions = {}): AsyncGenerator<Point, void, undefined> {
    let cursor: string | null = opts.afterId ?? null;
    let value: number | null = null;
    for (;;) {
      const pageOpts: ScrollPageOptions = {
        afterId: cursor,
        limit: opts.batchSize ?? 100,
        includeVectors: opts.includeVectors ?? false,
        afterValue: value,
      };
      if (opts.filter) pageOpts.filter = opts.filter;
      if (opts.consistency !== undefined) pageOpts.consistency = opts.consistency;
      if (opts.orderBy !== undefined) pageOpts.orderBy = opts.orderBy;
      if (opts.direction !== undefined) pageOpts.direction = opts.direction;
      if (opts.timeoutMs !== undefined) pageOpts.timeoutMs = opts.timeoutMs;
      const page = await this.scrollPage(collection, pageOpts);
      yield* page.points;
      if (page.nextAfterId === null || page.points.length === 0) return;
      cursor = page.nextAfterId;
      value = page.nextAfterValue;
    }
  }

  /**
   * Counts the points (matching `filter`) holding each value of `key`; the
   * `limit` (default 10) most frequent values, count descending.
   */
  async facet(collection: string, key: string, opts: { filter?: Filter | null; limit?: number; consistency?: Consistency } & RequestOptions = {}): Promise<FacetValue[]> {
    const body: JsonObject = { key, limit: opts.limit ?? 10 };
    if (opts.filter && Object.keys(opts.filter).length) body.filter = opts.filter;
    if (opts.consistency !== undefined) body.consistency = opts.consistency;
    const resp = await this.run({ op: "Facet", collection: checkName(collection), body }, opts);
    return ((resp.values ?? []) as JsonObject[]).map((v) => ({ value: v.value, count: Number(v.count ?? 0) }));
  }

  /**
   * Finds the `k` (default 10) nearest points, best first. Give a query
   * vector, or `null` and `pointId` in the options to search by an existing
   * point's vector.
   * @throws DimensionMismatch the query's length is not the collection's dimension.
   */
  async search(collection: string, queryVector: Vector | Vector[] | null | undefined, opts: SearchOptions = {}): Promise<SearchResults> {
    const body = searchBody(queryVector, opts, "query_vector");
    if (opts.nprobe !== undefined) body.nprobe = opts.nprobe;
    if (opts.explain) body.explain = true;
    return searchResultsFrom(await this.run({ op: "Search", collection: checkName(collection), body }, opts));
  }

  /**
   * Runs many searches; returns one SearchResults per query, in order.
   * `filter` is one filter for every query or an array with one per query;
   * queries are sent `chunkSize` (at most 1024) per request.
   */
  async batchSearch(collection: string, queryVectors: Vector[], opts: BatchSearchOptions = {}): Promise<SearchResults[]> {
    checkName(collection);
    if (!Array.isArray(queryVectors)) throw new InvalidArgument(`queryVectors must be an array of vectors, got ${describe(queryVectors)}`);
    if (queryVectors.length === 0) throw new InvalidArgument("query_vectors is empty");
    let filters: (Filter | null | undefined)[];
    if (Array.isArray(opts.filter)) {
      if (opts.filter.length !== queryVectors.length) {
        throw new InvalidArgument(`${opts.filter.length} filters for ${queryVectors.length} queries`);
      }
      filters = opts.filter;
    } else {
      filters = queryVectors.map(() => opts.filter as Filter | null | undefined);
    }
    const bodies = queryVectors.map((q, i) => {
      const one: SearchOptions = { ...opts, filter: filters[i] ?? null };
      return searchBody(q, one, `query_vectors[${i}]`);
    });
    const size = Math.min(Math.max(opts.chunkSize ?? MAX_BATCH_SEARCH, 1), MAX_BATCH_SEARCH);
    const results: SearchResults[] = [];
    for (const chunk of chunks(bodies, size)) {
      const resp = await this.run({ op: "BatchSearch", collection, body: { queries: chunk } }, opts);
      results.push(...((resp.results ?? []) as JsonObject[]).map(searchResultsFrom));
    }
    return results;
  }

  /**
   * Finds points like the `positive` examples and unlike the `negative`
   * ones; an example is an existing point's id (left out of the results) or
   * a vector.
   */
  async recommend(collection: string, positive: (string | Vector)[], opts: RecommendOptions = {}): Promise<SearchResults> {
    const body: JsonObject = {
      positive: examples(positive, "positive"),
      negative: examples(opts.negative ?? [], "negative"),
      strategy: opts.strategy ?? "average",
      k: opts.k ?? 10,
      include_vector: Boolean(opts.includeVectors),
      include_metadata: opts.includeMetadata ?? true,
    };
    addQueryFields(body, opts);
    if (opts.using !== undefined) body.using = opts.using;
    return searchResultsFrom(await this.run({ op: "Recommend", collection: checkName(collection), body }, opts));
  }

  // -- maintenance ---------------------------------------------------------

  /** Writes the collection's memtable to a segment now. */
  async flush(collection: string, opts?: RequestOptions): Promise<void> {
    await this.run({ op: "Flush", collection: checkName(collection) }, opts);
  }

  /** Merges the collection's segments and drops deleted points now. */
  async compact(collection: string, opts?: RequestOptions): Promise<void> {
    await this.run({ op: "Compact", collection: checkName(collection) }, opts);
  }

  /** The collection's storage statistics. */
  async stats(collection: string, opts?: RequestOptions): Promise<CollectionStats> {
    return statsFrom(await this.run({ op: "CollectionStats", collection: checkName(collection) }, opts));
  }

  /** Indexes a metadata field (keyword, integer, float, bool, datetime, geo or text); returns every index of the collection. */
  async createPayloadIndex(collection: string, field: string, type = "keyword", opts?: RequestOptions): Promise<PayloadIndex[]> {
    return payloadIndexesFrom(await this.run({ op: "CreatePayloadIndex", collection: checkName(collection), body: { field, type } }, opts));
  }

  /** The collection's payload indexes, ordered by field. */
  async listPayloadIndexes(collection: string, opts?: RequestOptions): Promise<PayloadIndex[]> {
    return payloadIndexesFrom(await this.run({ op: "ListPayloadIndexes", collection: checkName(collection) }, opts));
  }

  /** Drops the index on `field`; returns the remaining ones. */
  async deletePayloadIndex(collection: string, field: string, opts?: RequestOptions): Promise<PayloadIndex[]> {
    return payloadIndexesFrom(
      await this.run({ op: "DeletePayloadIndex", collection: checkName(collection), pointId: checkName(field, "field") }, opts),
    );
  }

  // -- aliases ---------------------------------------------------------------

  /**
   * Applies alias actions atomically (`{create: {alias, collection}}` or
   * `{delete: {alias}}`) and returns every alias afterwards.
   */
  async updateAliases(
    actions: ({ create: { alias: string; collection: string } } | { delete: { alias: string } })[],
    opts?: RequestOptions,
  ): Promise<Alias[]> {
    actions.forEach((a, i) => {
      const keys = isPlainObject(a) ? Object.keys(a) : [];
      if (keys.length !== 1 || (keys[0] !== "create" && keys[0] !== "delete")) {
        throw new InvalidArgument(`actions[${i}] must be {create: {alias, collection}} or {delete: {alias}}`);
      }
    });
    return aliasesFrom(await this.run({ op: "UpdateAliases", body: { actions } }, opts));
  }

  /** Every alias, ordered by alias. */
  async listAliases(opts?: RequestOptions): Promise<Alias[]> {
    return aliasesFrom(await this.run({ op: "ListAliases" }, opts));
  }

  /** Creates `alias` for `collection`. */
  createAlias(alias: string, collection: string, opts?: RequestOptions): Promise<Alias[]> {
    return this.updateAliases([{ create: { alias, collection } }], opts);
  }

  /** Deletes `alias` (NotFound when there is none); the collection stays. */
  deleteAlias(alias: string, opts?: RequestOptions): Promise<Alias[]> {
    return this.updateAliases([{ delete: { alias } }], opts);
  }

  /** Points the existing `alias` at `collection` in one atomic request. */
  switchAlias(alias: string, collection: string, opts?: RequestOptions): Promise<Alias[]> {
    return this.updateAliases([{ delete: { alias } }, { create: { alias, collection } }], opts);
  }
}

// ---------------------------------------------------------------------------
// helpers

function flushFields(o: {
  maxWalAgeHours?: number;
  maxWalSizeMb?: number;
  maxVectorCount?: number;
  flushPriority?: number;
  enableBackgroundFlush?: boolean;
}): JsonObject {
  return bodyOf({
    max_wal_age_hours: o.maxWalAgeHours,
    max_wal_size_mb: o.maxWalSizeMb,
    max_vector_count: o.maxVectorCount,
    flush_priority: o.flushPriority,
    enable_background_flush: o.enableBackgroundFlush,
  });
}

function checkMetadata(m: unknown, what: string): Metadata {
  if (!isPlainObject(m)) throw new InvalidArgument(`${what} must be a JSON object, got ${describe(m)}`);
  checkJson(m, what, 0);
  return m as Metadata;
}

/** Refuses values JSON (and protobuf Struct) cannot carry the same way: non-finite numbers, functions, bigints... */
function checkJson(v: unknown, what: string, depth: number): void {
  if (depth > 64) throw new InvalidArgument(`${what} is nested too deeply`);
  switch (typeof v) {
    case "number":
      if (!Number.isFinite(v)) throw new InvalidArgument(`${what} holds a non-finite number (${v})`);
      return;
    case "string":
    case "boolean":
      return;
    case "object":
      if (v === null) return;
      if (Array.isArray(v)) {
        v.forEach((x, i) => checkJson(x, `${what}[${i}]`, depth + 1));
        return;
      }
      if (!isPlainObject(v)) throw new InvalidArgument(`${what} holds a ${describe(v)}, which is not JSON`);
      for (const [k, x] of Object.entries(v)) checkJson(x, `${what}.${k}`, depth + 1);
      return;
    default:
      throw new InvalidArgument(`${what} holds a ${typeof v}, which is not JSON`);
  }
}

function toRfc3339(when: unknown, what: string): string {
  if (when instanceof Date) {
    if (Number.isNaN(when.getTime())) throw new InvalidArgument(`${what} is an invalid Date`);
    return when.toISOString();
  }
  if (typeof when === "string" && when.length > 0) return when;
  throw new InvalidArgument(`${what} must be an RFC 3339 string or a Date, got ${describe(when)}`);
}

function looksLikePoint(x: unknown): boolean {
  return isPlainObject(x) && ("vector" in x || "values" in x || "embedding" in x);
}

function pointDict(p: Record<string, unknown>, i: number, shortest: boolean): JsonObject {
  const vec = p.vector ?? p.values ?? p.embedding;
  if (vec === undefined || vec === null) throw new InvalidArgument(`vectors[${i}] has no 'vector'`);
  const out: JsonObject = { vector: toVector(vec, `vectors[${i}].vector`, shortest) };
  if (p.id !== undefined && p.id !== null) out.id = checkId(p.id, `vectors[${i}].id`);
  const meta = p.metadata ?? p.payload;
  if (meta !== undefined && meta !== null) out.metadata = checkMetadata(meta, `vectors[${i}].metadata`);
  const sparse = (p.sparseVectors ?? p.sparse_vectors) as Record<string, SparseVector> | undefined;
  if (sparse && Object.keys(sparse).length) {
    out.sparse_vectors = Object.fromEntries(
      Object.entries(sparse).map(([name, sv]) => [name, { indices: Array.from(sv.indices, Number), values: toVector(sv.values, `vectors[${i}].sparse_vectors.${name}.values`) }]),
    );
  }
  const named = p.vectors as Record<string, unknown> | undefined;
  if (named && Object.keys(named).length) {
    out.vectors = Object.fromEntries(Object.entries(named).map(([name, v]) => [name, namedVector(v, `vectors[${i}].vectors.${name}`)]));
  }
  const expires = p.expiresAt ?? p.expires_at;
  if (expires !== undefined && expires !== null) out.expires_at = toRfc3339(expires, `vectors[${i}].expires_at`);
  return out;
}

/**
 * Normalises a batch (point objects, or bare vectors with parallel
 * ids/metadata) into the server's point dicts; `shortest` as for toVector.
 */
function toPoints(points: unknown, ids: (string | number | null)[] | undefined, metadata: (Metadata | null)[] | undefined, shortest: boolean): JsonObject[] {
  const list: unknown[] = looksLikePoint(points) ? [points] : Array.isArray(points) ? points : [];
  if (!looksLikePoint(points) && !Array.isArray(points)) {
    throw new InvalidArgument(`points must be a point, an array of points or an array of vectors, got ${describe(points)}`);
  }
  const n = list.length;
  if (ids !== undefined && ids.length !== n) throw new InvalidArgument(`${ids.length} ids for ${n} vectors`);
  if (metadata !== undefined && metadata.length !== n) throw new InvalidArgument(`${metadata.length} metadata entries for ${n} vectors`);
  if (n > 0 && list.every(looksLikePoint)) {
    if (ids !== undefined || metadata !== undefined) throw new InvalidArgument("ids/metadata are given inside the point objects, not beside them");
    return list.map((p, i) => pointDict(p as Record<string, unknown>, i, shortest));
  }
  return list.map((v, i) => {
    if (!isVectorLike(v)) throw new InvalidArgument(`vectors[${i}] must be a vector or a point object, got ${describe(v)}`);
    const p: JsonObject = { vector: toVector(v, `vectors[${i}]`, shortest) };
    const id = ids?.[i];
    if (id !== undefined && id !== null) p.id = checkId(id, `ids[${i}]`);
    const m = metadata?.[i];
    if (m !== undefined && m !== null) p.metadata = checkMetadata(m, `metadata[${i}]`);
    return p;
  });
}

function addQueryFields(body: JsonObject, o: { filter?: Filter | null; efSearch?: number; exact?: boolean; consistency?: Consistency; offset?: number; scoreThreshold?: number }): void {
  if (o.offset) body.offset = o.offset;
  if (o.scoreThreshold !== undefined && o.scoreThreshold !== null) body.score_threshold = o.scoreThreshold;
  if (o.filter && Object.keys(o.filter).length) body.filter = o.filter;
  if (o.efSearch !== undefined) body.ef_search = o.efSearch;
  if (o.exact) body.exact = true;
  if (o.consistency !== undefined) body.consistency = o.consistency;
}

function searchBody(queryVector: unknown, o: SearchOptions, what: string): JsonObject {
  const hasVector = queryVector !== null && queryVector !== undefined;
  const hasId = o.pointId !== undefined && o.pointId !== null;
  if (hasVector === hasId) throw new InvalidArgument("give either a query vector or pointId, not both");
  const body: JsonObject = {
    k: o.k ?? 10,
    include_vector: Boolean(o.includeVectors),
    include_metadata: o.includeMetadata ?? true,
  };
  if (hasId) body.id = checkId(o.pointId);
  else if (o.using !== undefined) body.vector = namedVector(queryVector, what);
  else body.vector = toVector(queryVector, what);
  if (o.using !== undefined) body.using = String(o.using);
  addQueryFields(body, o);
  return body;
}

function examples(list: unknown, what: string): Json[] {
  if (!Array.isArray(list)) throw new InvalidArgument(`${what} must be an array of point ids or vectors`);
  return list.map((e, i) => (typeof e === "string" ? checkId(e, `${what}[${i}]`) : toVector(e, `${what}[${i}]`)));
}
