// Client-side pieces that need no server: URL parsing, error mapping,
// float32 formatting.

import { describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  CollectionAlreadyExists,
  CollectionNotFound,
  DimensionMismatch,
  InvalidArgument,
  NotFound,
  PayloadTooLarge,
  PermissionDenied,
  PointNotFound,
  ProximaDBClient,
  ProximaDBError,
  ServerError,
  Timeout,
  Unauthorized,
  Unavailable,
  errorFor,
  f32Shortest,
  parseEndpoint,
} from "../dist/index.js";

describe("parseEndpoint", () => {
  it("chooses the transport by the URL's scheme, with default ports", () => {
    assert.deepEqual(parseEndpoint("http://localhost:8080"), { protocol: "rest", baseUrl: "http://localhost:8080", secure: false });
    assert.deepEqual(parseEndpoint("https://db.example/api/v1/"), { protocol: "rest", baseUrl: "https://db.example:8080", secure: true });
    assert.deepEqual(parseEndpoint("grpc://localhost:5678"), { protocol: "grpc", baseUrl: "localhost:5678", secure: false });
    assert.deepEqual(parseEndpoint("grpcs://db"), { protocol: "grpc", baseUrl: "db:5678", secure: true });
    assert.deepEqual(parseEndpoint("grpc://[::1]:7000"), { protocol: "grpc", baseUrl: "[::1]:7000", secure: false });
    assert.deepEqual(parseEndpoint("localhost:9000", "grpc"), { protocol: "grpc", baseUrl: "localhost:9000", secure: false });
    assert.deepEqual(parseEndpoint(undefined), { protocol: "rest", baseUrl: "http://localhost:8080", secure: false });
    assert.throws(() => parseEndpoint("ftp://x"), InvalidArgument);
    assert.throws(() => parseEndpoint("http://x", "grpc"), /contradicts/);
  });

  it("builds a client of the matching protocol", async () => {
    const rest = new ProximaDBClient("http://127.0.0.1:1");
    const grpc = new ProximaDBClient("grpc://127.0.0.1:1");
    assert.equal(rest.protocol, "rest");
    assert.equal(grpc.protocol, "grpc");
    assert.equal(grpc.url, "127.0.0.1:1");
    await grpc.close();
    assert.throws(() => new ProximaDBClient("http://x", { maxRetries: -1 }), InvalidArgument);
    assert.throws(() => new ProximaDBClient("http://x", { timeoutMs: 0 }), InvalidArgument);
  });
});

describe("errorFor", () => {
  it("maps server codes to classes, over both transports alike", () => {
    for (const status of [400, "INVALID_ARGUMENT"]) {
      const e = errorFor("dimension_mismatch", "vector has 2 dimensions, expected 3", status);
      assert.ok(e instanceof DimensionMismatch && e instanceof InvalidArgument && e instanceof ProximaDBError && e instanceof Error);
      assert.equal(e.code, "dimension_mismatch");
      assert.equal(e.status, status);
      assert.equal(e.name, "DimensionMismatch");
    }
    assert.ok(errorFor("already_exists", "taken", 409) instanceof CollectionAlreadyExists);
    assert.ok(errorFor("unauthenticated", "no key", 401) instanceof Unauthorized);
    assert.ok(errorFor("permission_denied", "ro", "PERMISSION_DENIED") instanceof PermissionDenied);
    assert.ok(errorFor("corruption", "bad", 500) instanceof ServerError);
    assert.ok(errorFor("unavailable", "later", 503) instanceof Unavailable);
  });

  it("falls back on the status when no code was sent", () => {
    assert.ok(errorFor(null, "too big", 413) instanceof PayloadTooLarge);
    assert.equal(errorFor(null, "too big", 413).code, "payload_too_large");
    assert.ok(errorFor(null, "x", 502) instanceof ServerError);
    assert.ok(errorFor(null, "x", "DEADLINE_EXCEEDED") instanceof Timeout);
    assert.ok(errorFor(null, "x", "RESOURCE_EXHAUSTED").code === "resource_exhausted");
    assert.equal(errorFor(null, "x", 418).constructor, ProximaDBError);
  });

  it("tells a missing point from a missing collection", () => {
    assert.ok(errorFor("not_found", "point 'a' not found", 404, { pointOp: true }) instanceof PointNotFound);
    assert.ok(errorFor("not_found", "queries[3]: point 'a' not found", 404, { pointOp: true }) instanceof PointNotFound);
    assert.ok(errorFor("not_found", "collection 'c' not found", 404, { pointOp: true }) instanceof CollectionNotFound);
    const admin = errorFor("not_found", "alias 'a' not found", 404, { collectionOp: false });
    assert.ok(admin instanceof NotFound && !(admin instanceof CollectionNotFound));
    assert.match(String(errorFor("not_found", "gone", 404)), /^CollectionNotFound: not_found \[404\]: gone$/);
  });
});

describe("f32Shortest", () => {
  it("gives the shortest decimal of a float32", () => {
    assert.equal(f32Shortest(Math.fround(0.1)), 0.1);
    assert.equal(f32Shortest(Math.fround(1 / 3)), 0.33333334);
    assert.equal(f32Shortest(2), 2);
    assert.ok(Number.isNaN(f32Shortest(NaN)));
  });
});
