import type { Call, Endpoint, JsonObject } from "./common.js";

/** How a transport is configured (resolved from the client's options). */
export interface TransportConfig {
  apiKey: string | null;
  /** Per attempt; null: no timeout. */
  timeoutMs: number | null;
  maxRetries: number;
  retryBackoffMs: number;
}

/** Per-call settings. */
export interface CallSettings {
  /** Per attempt; null: no timeout. */
  timeoutMs: number | null;
}

/** Executes {@link Call}s and answers in the REST JSON shape. */
export interface Transport {
  readonly endpoint: Endpoint;
  call(call: Call, settings: CallSettings): Promise<JsonObject>;
  close(): Promise<void>;
}
