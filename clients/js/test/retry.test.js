// Retries, back-off, Retry-After and timeouts.
//
// The real server gives a real 503 / UNAVAILABLE when its in-flight limit
// ([api] max_inflight_requests = 1 here) is reached. Exact attempt counts and
// the Retry-After wait are checked against small local stand-ins that inject
// the faults deterministically: an HTTP server answering 503 + Retry-After, a
// gRPC server answering UNAVAILABLE, and a TCP server that never answers.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import net from "node:net";
import { fileURLToPath } from "node:url";
import { dirname, join } from "node:path";
import * as grpc from "@grpc/grpc-js";
import * as protoLoader from "@grpc/proto-loader";

import { InvalidArgument, ProximaDBClient, ResourceExhausted, Timeout, Unavailable } from "../dist/index.js";
import { TRANSPORTS, startServer, uniqueName, vec } from "../testlib/helpers.js";

const listen = (srv) => new Promise((resolve) => srv.listen(0, "127.0.0.1", () => resolve(srv.address().port)));
const closeServer = (srv) => new Promise((resolve) => srv.close(() => resolve()));

/** An HTTP server answering the scripted [status, body, headers] in turn (the last one repeats). */
async function httpFake(script) {
  const state = { requests: [], script };
  const srv = http.createServer((req, res) => {
    let body = "";
    req.on("data", (c) => (body += c));
    req.on("end", () => {
      state.requests.push({ method: req.method, url: req.url, headers: req.headers, body, at: Date.now() });
      const [status, payload, headers = {}] = state.script[Math.min(state.requests.length - 1, state.script.length - 1)];
      res.writeHead(status, { "content-type": "application/json", ...headers });
      res.end(JSON.stringify(payload));
    });
  });
  const port = await listen(srv);
  // closeAllConnections: Node 18's close() would wait for fetch's idle keep-alive connections.
  const close = () => {
    const done = closeServer(srv);
    srv.closeAllConnections();
    return done;
  };
  return { state, url: `http://127.0.0.1:${port}`, close };
}

const HEALTHY = { status: "healthy", version: "9.9.9" };
const UNAVAILABLE = { error: "unavailable", message: "too many requests in flight (limit 1); retry shortly" };

describe("REST retries (fault-injecting HTTP stand-in)", () => {
  it("retries a 503, waiting at least its Retry-After, then succeeds", async () => {
    const fake = await httpFake([
      [503, UNAVAILABLE, { "retry-after": "1" }],
      [200, HEALTHY],
    ]);
    const client = new ProximaDBClient(fake.url, { maxRetries: 3, retryBackoffMs: 10 });
    try {
      const t0 = Date.now();
      const h = await client.health();
      assert.equal(h.version, "9.9.9");
      assert.equal(fake.state.requests.length, 2);
      const waited = fake.state.requests[1].at - fake.state.requests[0].at;
      assert.ok(waited >= 950, `waited ${waited} ms, Retry-After asked for 1000`);
      assert.ok(Date.now() - t0 < 3000);
    } finally {
      await fake.close();
    }
  });

  it("gives up after maxRetries with a typed Unavailable carrying the server's code", async () => {
    const fake = await httpFake([[503, UNAVAILABLE, { "retry-after": "0" }]]);
    const client = new ProximaDBClient(fake.url, { maxRetries: 2, retryBackoffMs: 20 });
    try {
      await assert.rejects(client.count("c"), (e) => {
        assert.ok(e instanceof Unavailable);
        assert.equal(e.code, "unavailable");
        assert.equal(e.status, 503);
        assert.equal(e.retryAfter, 0);
        assert.match(e.message, /too many requests in flight/);
        return true;
      });
      assert.equal(fake.state.requests.length, 3, "one attempt + 2 retries");
      // exponential back-off with jitter: 20 ms * [0.5, 1], then 40 ms * [0.5, 1]
      const gap1 = fake.state.requests[1].at - fake.state.requests[0].at;
      const gap2 = fake.state.requests[2].at - fake.state.requests[1].at;
      assert.ok(gap1 >= 9 && gap2 >= 19, `gaps ${gap1} ms, ${gap2} ms`);
    } finally {
      await fake.close();
    }
  });

  it("retries a write too (a refused request changed nothing), and never retries other errors", async () => {
    const fake = await httpFake([
      [503, UNAVAILABLE],
      [200, { inserted_ids: ["a"], total_count: 1 }],
    ]);
    const client = new ProximaDBClient(fake.url, { retryBackoffMs: 1 });
    try {
      assert.deepEqual(await client.upsert("c", [{ id: "a", vector: [1, 2] }]), { insertedIds: ["a"], totalCount: 1 });
      assert.equal(fake.state.requests.length, 2);
      assert.equal(fake.state.requests[1].method, "PUT");
      assert.equal(fake.state.requests[1].body, fake.state.requests[0].body);
    } finally {
      await fake.close();
    }
    const limited = await httpFake([[429, { error: "resource_exhausted", message: "slow down" }, { "retry-after": "0" }]]);
    const client2 = new ProximaDBClient(limited.url, { retryBackoffMs: 1 });
    try {
      await assert.rejects(client2.health(), (e) => e instanceof ResourceExhausted && e.status === 429 && e.code === "resource_exhausted");
      assert.equal(limited.state.requests.length, 1);
    } finally {
      await limited.close();
    }
  });

  it("sends the API key as the api-key header, and no retries with maxRetries 0", async () => {
    const fake = await httpFake([[503, UNAVAILABLE, { "retry-after": "5" }]]);
    const client = new ProximaDBClient(fake.url, { apiKey: "key-12345678", maxRetries: 0 });
    try {
      const t0 = Date.now();
      await assert.rejects(client.health(), Unavailable);
      assert.ok(Date.now() - t0 < 1000, "no wait without a retry");
      assert.equal(fake.state.requests.length, 1);
      assert.equal(fake.state.requests[0].headers["api-key"], "key-12345678");
    } finally {
      await fake.close();
    }
  });
});

describe("gRPC retries (fault-injecting gRPC stand-in)", () => {
  const protoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "proto");
  let server;
  let port;
  const state = { calls: 0, failFirst: 0, metadata: [] };

  before(async () => {
    const def = protoLoader.loadSync("proximadb/v1/proximadb.proto", { includeDirs: [protoRoot], keepCase: true, longs: Number });
    const pkg = grpc.loadPackageDefinition(def);
    server = new grpc.Server();
    server.addService(pkg.proximadb.v1.ProximaDB.service, {
      Health(call, callback) {
        state.calls++;
        state.metadata.push(call.metadata.get("api-key"));
        if (state.calls <= state.failFirst) {
          const md = new grpc.Metadata();
          md.set("x-proximadb-error", "unavailable");
          callback({ code: grpc.status.UNAVAILABLE, details: "too many requests in flight (limit 1); retry shortly", metadata: md });
        } else {
          callback(null, { status: "healthy", version: "9.9.9" });
        }
      },
    });
    port = await new Promise((resolve, reject) =>
      server.bindAsync("127.0.0.1:0", grpc.ServerCredentials.createInsecure(), (e, p) => (e ? reject(e) : resolve(p))),
    );
  });
  after(() => server.forceShutdown());

  it("retries UNAVAILABLE with back-off, then succeeds", async () => {
    Object.assign(state, { calls: 0, failFirst: 2, metadata: [] });
    const client = new ProximaDBClient(`grpc://127.0.0.1:${port}`, { retryBackoffMs: 5, apiKey: "key-12345678" });
    try {
      assert.equal((await client.health()).version, "9.9.9");
      assert.equal(state.calls, 3);
      assert.deepEqual(state.metadata, [["key-12345678"], ["key-12345678"], ["key-12345678"]]);
    } finally {
      await client.close();
    }
  });

  it("gives up after maxRetries with a typed Unavailable", async () => {
    Object.assign(state, { calls: 0, failFirst: 100, metadata: [] });
    const client = new ProximaDBClient(`grpc://127.0.0.1:${port}`, { maxRetries: 1, retryBackoffMs: 5 });
    try {
      await assert.rejects(client.health(), (e) => {
        assert.ok(e instanceof Unavailable);
        assert.equal(e.code, "unavailable");
        assert.equal(e.status, "UNAVAILABLE");
        return true;
      });
      assert.equal(state.calls, 2);
    } finally {
      await client.close();
    }
  });
});

describe("unreachable servers and timeouts", () => {
  let closedPort;
  let blackHole;
  let blackHolePort;
  const sockets = new Set();

  before(async () => {
    const tmp = net.createServer();
    closedPort = await listen(tmp);
    await closeServer(tmp); // nothing listens there now
    blackHole = net.createServer((s) => {
      sockets.add(s); // accept, never answer
      s.on("error", () => {});
    });
    blackHolePort = await listen(blackHole);
  });
  after(async () => {
    for (const s of sockets) s.destroy();
    await closeServer(blackHole);
  });

  for (const t of TRANSPORTS) {
    const scheme = t === "grpc" ? "grpc" : "http";

    it(`${t}: a refused connection is retried, then Unavailable`, async () => {
      const client = new ProximaDBClient(`${scheme}://127.0.0.1:${closedPort}`, { maxRetries: 2, retryBackoffMs: 10, timeoutMs: 5000 });
      try {
        const t0 = Date.now();
        await assert.rejects(client.health(), (e) => e instanceof Unavailable && e.code === "unavailable");
        assert.ok(Date.now() - t0 < 4000);
      } finally {
        await client.close();
      }
    });

    it(`${t}: a server that never answers raises Timeout, not retried`, async () => {
      const client = new ProximaDBClient(`${scheme}://127.0.0.1:${blackHolePort}`, { timeoutMs: 300, maxRetries: 3, retryBackoffMs: 1000 });
      try {
        const t0 = Date.now();
        await assert.rejects(client.listCollections(), (e) => {
          assert.ok(e instanceof Timeout, `got ${e}`);
          assert.equal(e.code, "timeout");
          assert.equal(e.status, t === "grpc" ? "DEADLINE_EXCEEDED" : null);
          return true;
        });
        const took = Date.now() - t0;
        assert.ok(took >= 280 && took < 1200, `took ${took} ms`);

        // A per-call timeout overrides the client's.
        const t1 = Date.now();
        await assert.rejects(client.count("c", null, { timeoutMs: 100 }), Timeout);
        assert.ok(Date.now() - t1 < 280);
        await assert.rejects(client.count("c", null, { timeoutMs: -1 }), InvalidArgument);
      } finally {
        await client.close();
      }
    });
  }
});

describe("real server: 503 / UNAVAILABLE at the in-flight limit", () => {
  let server;
  before(async () => {
    server = await startServer({ env: { PROXIMADB_API__MAX_INFLIGHT_REQUESTS: "1" } });
  });
  after(async () => {
    if (server) await server.stop();
  });

  for (const t of TRANSPORTS) {
    it(`${t}: a request refused while the one slot is busy is typed, and a retrying client gets through`, async () => {
      const noRetry = new ProximaDBClient(server.url(t), { maxRetries: 0 });
      const retrying = new ProximaDBClient(server.url(t), { maxRetries: 6, retryBackoffMs: 50 });
      const c = uniqueName("busy");
      await noRetry.createCollection(c, 64);
      try {
        const points = Array.from({ length: 20000 }, (_, i) => ({ id: `p${i}`, vector: vec(i, 64) }));
        let refused = null;
        let retried = null;
        // Hold the slot with a large batch upsert and ask for a count meanwhile;
        // a busy machine may finish the upsert first, so try a few rounds.
        for (let round = 0; round < 4 && refused === null; round++) {
          let busy = true;
          const slow = noRetry.upsert(c, points, { chunkSize: points.length }).finally(() => (busy = false));
          slow.catch(() => {});
          while (busy && refused === null) {
            try {
              await noRetry.count(c);
            } catch (e) {
              if (!(e instanceof Unavailable)) throw e;
              refused = e;
              retried = retrying.count(c); // starts while the slot is still held
            }
          }
          await slow;
        }
        assert.ok(refused !== null, "no request was ever refused at the in-flight limit");
        assert.equal(refused.code, "unavailable");
        assert.match(refused.message, /in flight/);
        if (t === "rest") {
          assert.equal(refused.status, 503);
          assert.equal(refused.retryAfter, 1);
        } else {
          assert.equal(refused.status, "UNAVAILABLE");
        }
        assert.equal(await retried, 20000);
      } finally {
        await noRetry.deleteCollection(c, { missingOk: true });
        await noRetry.close();
        await retrying.close();
      }
    });
  }
});
