/** The REST/JSON transport, over Node's built-in fetch. */

import { ADMIN_OPS, POINT_OPS, backoffDelays, sleep } from "./common.js";
import type { Call, Endpoint, JsonObject } from "./common.js";
import { InvalidArgument, ProximaDBError, ServerError, Timeout, Unavailable, errorFor } from "./errors.js";
import type { CallSettings, Transport, TransportConfig } from "./transport.js";

const V1 = "/api/v1/collections";

/** operation -> [HTTP method, path template]; {c} is the collection, {id} the point (or field/segment/snapshot). */
export const ROUTES: Record<string, [string, string]> = {
  Health: ["GET", "/health"],
  CreateCollection: ["POST", V1],
  ListCollections: ["GET", V1],
  GetCollection: ["GET", V1 + "/{c}"],
  UpdateCollection: ["PATCH", V1 + "/{c}"],
  DeleteCollection: ["DELETE", V1 + "/{c}"],
  Upsert: ["POST", V1 + "/{c}/vectors"],
  BatchUpsert: ["PUT", V1 + "/{c}/vectors"],
  Get: ["GET", V1 + "/{c}/vectors/{id}"],
  DeleteByIds: ["DELETE", V1 + "/{c}/vectors"],
  DeleteByFilter: ["DELETE", V1 + "/{c}/vectors"],
  UpdateMetadata: ["PATCH", V1 + "/{c}/vectors/{id}"],
  GetPoints: ["POST", V1 + "/{c}/vectors/get"],
  PatchMetadata: ["POST", V1 + "/{c}/vectors/metadata"],
  Count: ["POST", V1 + "/{c}/count"],
  Scroll: ["POST", V1 + "/{c}/scroll"],
  Facet: ["POST", V1 + "/{c}/facet"],
  Search: ["POST", V1 + "/{c}/search"],
  BatchSearch: ["POST", V1 + "/{c}/search/batch"],
  Recommend: ["POST", V1 + "/{c}/recommend"],
  Query: ["POST", V1 + "/{c}/query"],
  Flush: ["POST", V1 + "/{c}/flush"],
  Compact: ["POST", V1 + "/{c}/compact"],
  CollectionStats: ["GET", V1 + "/{c}/stats"],
  CreatePayloadIndex: ["POST", V1 + "/{c}/index/payload"],
  ListPayloadIndexes: ["GET", V1 + "/{c}/index/payload"],
  DeletePayloadIndex: ["DELETE", V1 + "/{c}/index/payload/{id}"],
  UpdateAliases: ["POST", "/api/v1/aliases"],
  ListAliases: ["GET", "/api/v1/aliases"],
};

/** The longest Retry-After honoured, in seconds. */
const MAX_RETRY_AFTER_S = 30;

function requestParts(call: Call): { method: string; path: string; body: string | undefined } {
  const route = ROUTES[call.op];
  if (route === undefined) throw new InvalidArgument(`${call.op} is not supported over REST by this client`);
  const [method, template] = route;
  const path = template
    .replace("{c}", encodeURIComponent(call.collection ?? ""))
    .replace("{id}", encodeURIComponent(call.pointId ?? ""));
  let body: string | undefined;
  if (call.body !== undefined) {
    try {
      body = JSON.stringify(call.body);
    } catch (e) {
      throw new InvalidArgument(`cannot encode the request as JSON: ${(e as Error).message}`);
    }
  }
  return { method, path, body };
}

/** Retry-After in seconds (delta-seconds form), capped; null when absent or malformed. */
export function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  const s = Number(value.trim());
  if (!Number.isFinite(s) || s < 0) return null;
  return Math.min(s, MAX_RETRY_AFTER_S);
}

function errorFromResponse(status: number, text: string, retryAfter: number | null, call: Call): ProximaDBError {
  let code: string | null = null;
  let message = text;
  try {
    const data = JSON.parse(text);
    if (data !== null && typeof data === "object" && !Array.isArray(data)) {
      if (typeof data.error === "string") code = data.error;
      if (data.message !== undefined) message = String(data.message);
    }
  } catch {
    // not JSON: the text is the message
  }
  return errorFor(code, message, status, {
    pointOp: POINT_OPS.has(call.op),
    collectionOp: !ADMIN_OPS.has(call.op),
    retryAfter,
  });
}

/** The network error's code (ECONNREFUSED, ...), looking through fetch's `cause`. */
function networkCode(e: unknown): string | undefined {
  let cur: unknown = e;
  for (let i = 0; i < 4 && cur !== null && typeof cur === "object"; i++) {
    const code = (cur as { code?: unknown }).code;
    if (typeof code === "string") return code;
    cur = (cur as { cause?: unknown }).cause;
  }
  return undefined;
}

/** Connection failures where nothing reached the server: retried like a 503. */
const RETRYABLE_NETWORK = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH", "ENETUNREACH"]);

export class RestTransport implements Transport {
  readonly endpoint: Endpoint;
  private readonly headers: Record<string, string>;

  constructor(endpoint: Endpoint, private readonly config: TransportConfig) {
    this.endpoint = endpoint;
    this.headers = { accept: "application/json", "content-type": "application/json", "user-agent": "proximadb-js" };
    if (config.apiKey) this.headers["api-key"] = config.apiKey;
  }

  /** Runs one request, retrying 503s and refused connections with back-off (honouring Retry-After). */
  async call(call: Call, settings: CallSettings): Promise<JsonObject> {
    const { method, path, body } = requestParts(call);
    const url = this.endpoint.baseUrl + path;
    const delays = backoffDelays(this.config.maxRetries, this.config.retryBackoffMs);
    for (;;) {
      let err: ProximaDBError;
      let waitMs = 0;
      const attempt = await this.attempt(call, method, url, body, settings.timeoutMs);
      if (attempt.ok) return attempt.value;
      err = attempt.error;
      if (err.retryAfter !== null) waitMs = err.retryAfter * 1000;
      const next = delays.next();
      if (next.done) throw err;
      await sleep(Math.max(next.value, waitMs));
    }
  }

  /** One attempt: the decoded answer, or an error to retry on; throws final errors. */
  private async attempt(
    call: Call,
    method: string,
    url: string,
    body: string | undefined,
    timeoutMs: number | null,
  ): Promise<{ ok: true; value: JsonObject } | { ok: false; error: ProximaDBError }> {
    const controller = new AbortController();
    let timedOut = false;
    const timer =
      timeoutMs !== null
        ? setTimeout(() => {
            timedOut = true;
            controller.abort();
          }, timeoutMs)
        : undefined;
    try {
      let resp: Response;
      try {
        const init: RequestInit = { method, headers: this.headers, signal: controller.signal };
        if (body !== undefined) init.body = body;
        resp = await fetch(url, init);
      } catch (e) {
        if (timedOut) throw new Timeout(`${call.op}: no answer within ${timeoutMs} ms`, { cause: e });
        const code = networkCode(e);
        const msg = `${call.op}: cannot reach ${this.endpoint.baseUrl}: ${code ?? (e as Error).message}`;
        if (code !== undefined && RETRYABLE_NETWORK.has(code)) return { ok: false, error: new Unavailable(msg, { cause: e }) };
        throw new Unavailable(msg, { cause: e });
      }
      let text: string;
      try {
        text = await resp.text();
      } catch (e) {
        if (timedOut) throw new Timeout(`${call.op}: no complete answer within ${timeoutMs} ms`, { cause: e });
        throw new Unavailable(`${call.op}: the answer was interrupted: ${(e as Error).message}`, { cause: e });
      }
      if (resp.status >= 400) {
        const error = errorFromResponse(resp.status, text, parseRetryAfter(resp.headers.get("retry-after")), call);
        if (resp.status === 503) return { ok: false, error };
        throw error;
      }
      if (text.length === 0) return { ok: true, value: {} };
      let data: unknown;
      try {
        data = JSON.parse(text);
      } catch {
        throw new ServerError(`${call.op}: the server answered non-JSON: ${JSON.stringify(text.slice(0, 200))}`, {
          status: resp.status,
        });
      }
      const value = data !== null && typeof data === "object" && !Array.isArray(data) ? (data as JsonObject) : { value: data };
      return { ok: true, value };
    } finally {
      if (timer !== undefined) clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    // fetch's connection pool is global to the process; nothing to release.
  }
}
