// The client against a real proximadb-server, every test on both transports.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import {
  CollectionAlreadyExists,
  CollectionNotFound,
  DimensionMismatch,
  InvalidArgument,
  NotFound,
  PointNotFound,
  ProximaDBClient,
  ProximaDBError,
} from "../dist/index.js";
import { TRANSPORTS, startServer, uniqueName, vec } from "../testlib/helpers.js";

let server;
const clients = {};

before(async () => {
  server = await startServer();
  for (const t of TRANSPORTS) clients[t] = new ProximaDBClient(server.url(t));
});

after(async () => {
  for (const c of Object.values(clients)) await c.close();
  if (server) await server.stop();
});

/** Status of a transport-level error: the HTTP code over REST, the gRPC name over gRPC. */
const statusOf = (t, http, grpc) => (t === "rest" ? http : grpc);

for (const t of TRANSPORTS) {
  describe(`${t} transport`, () => {
    const client = () => clients[t];

    it("reports health", async () => {
      const h = await client().health();
      assert.equal(h.status, "healthy");
      assert.equal(h.healthy, true);
      assert.match(h.version, /^\d+\.\d+/);
      assert.equal(client().protocol, t);
    });

    it("creates, gets, lists, updates and deletes collections", async () => {
      const name = uniqueName("coll");
      const c = await client().createCollection(name, 4, { distanceMetric: "euclidean", m: 8, efConstruction: 50, flushPriority: 7 });
      assert.equal(c.name, name);
      assert.equal(c.dimension, 4);
      assert.equal(c.distanceMetric, "euclidean");
      assert.equal(c.indexingAlgorithm, "hnsw");
      assert.equal(c.m, 8);
      assert.equal(c.efConstruction, 50);
      assert.equal(c.flushPolicy.flushPriority, 7);
      assert.equal(c.pointCount, 0);

      const got = await client().getCollection(name);
      assert.deepEqual(got, c);
      assert.equal(await client().hasCollection(name), true);
      assert.equal(await client().hasCollection(uniqueName("missing")), false);
      assert.ok((await client().listCollections()).some((x) => x.name === name));

      const updated = await client().updateCollection(name, { flushPriority: 9, maxVectorCount: 5000 });
      assert.equal(updated.flushPolicy.flushPriority, 9);
      assert.equal(updated.flushPolicy.maxVectorCount, 5000);

      await assert.rejects(client().createCollection(name, 4), (e) => {
        assert.ok(e instanceof CollectionAlreadyExists);
        assert.equal(e.code, "already_exists");
        assert.equal(e.status, statusOf(t, 409, "ALREADY_EXISTS"));
        return true;
      });

      assert.equal(await client().deleteCollection(name), true);
      assert.equal(await client().deleteCollection(name, { missingOk: true }), false);
      await assert.rejects(client().deleteCollection(name), CollectionNotFound);
      await assert.rejects(client().getCollection(name), (e) => {
        assert.ok(e instanceof CollectionNotFound && e instanceof NotFound && e instanceof ProximaDBError);
        assert.equal(e.code, "not_found");
        assert.equal(e.status, statusOf(t, 404, "NOT_FOUND"));
        assert.match(e.message, /not found/);
        return true;
      });
    });

    describe("points", () => {
      const name = uniqueName("pts");
      before(async () => {
        await client().createCollection(name, 3);
      });
      after(async () => {
        await client().deleteCollection(name, { missingOk: true });
      });

      it("inserts and gets one point, with a Float32Array or a number[]", async () => {
        assert.equal(await client().insert(name, "a", new Float32Array([0.1, 0.2, 0.3]), { tag: "x", n: 1, nested: { l: [1, "two", null, true] } }), "a");
        const p = await client().get(name, "a");
        assert.equal(p.id, "a");
        assert.deepEqual(p.vector, [0.1, 0.2, 0.3]);
        assert.deepEqual(p.metadata, { tag: "x", n: 1, nested: { l: [1, "two", null, true] } });

        const generated = await client().insert(name, null, [1, 0, 0]);
        assert.match(generated, /^[0-9a-f-]{36}$/);
        assert.deepEqual((await client().get(name, generated)).vector, [1, 0, 0]);
        await client().delete(name, generated);
      });

      it("gets several points in the order asked, skipping unknown ids", async () => {
        await client().upsert(name, [
          { id: "g1", vector: [1, 2, 3], metadata: { i: 1 } },
          { id: "g2", vector: [3, 2, 1], metadata: { i: 2 } },
        ]);
        const pts = await client().get(name, ["g2", "nope", "g1"]);
        assert.deepEqual(pts.map((p) => p.id), ["g2", "g1"]);
        assert.deepEqual(pts[0].vector, [3, 2, 1]);
        const noVec = await client().get(name, ["g1"], { includeVectors: false });
        assert.equal(noVec[0].vector, null);
        assert.deepEqual(noVec[0].metadata, { i: 1 });
        await client().delete(name, ["g1", "g2"]);
      });

      it("throws PointNotFound for an unknown point", async () => {
        await assert.rejects(client().get(name, "missing-point"), (e) => {
          assert.ok(e instanceof PointNotFound);
          assert.equal(e.code, "not_found");
          assert.equal(e.status, statusOf(t, 404, "NOT_FOUND"));
          return true;
        });
        await assert.rejects(client().updateMetadata(name, "missing-point", { a: 1 }), PointNotFound);
        await assert.rejects(client().get(uniqueName("nocoll"), "a"), CollectionNotFound);
      });

      it("updates and patches metadata", async () => {
        await client().upsert(name, [
          { id: "m1", vector: [1, 0, 0], metadata: { a: 1, b: 2 } },
          { id: "m2", vector: [0, 1, 0], metadata: { a: 1, b: 3 } },
        ]);
        await client().updateMetadata(name, "m1", { only: "this" });
        const m1 = await client().get(name, "m1");
        assert.deepEqual(m1.metadata, { only: "this" });
        assert.deepEqual(m1.vector, [1, 0, 0]);

        const byIds = await client().patchMetadata(name, ["m1", "ghost"], { set: { c: true }, unset: ["only"] });
        assert.deepEqual(byIds, { updatedCount: 1, notFound: ["ghost"] });
        assert.deepEqual((await client().get(name, "m1")).metadata, { c: true });

        const byFilter = await client().patchMetadata(name, null, { filter: { b: 3 }, set: { d: "x" } });
        assert.equal(byFilter.updatedCount, 1);
        assert.deepEqual((await client().get(name, "m2")).metadata, { a: 1, b: 3, d: "x" });
        await assert.rejects(client().patchMetadata(name, ["m1"], { filter: { a: 1 }, set: { x: 1 } }), InvalidArgument);
        await client().delete(name, ["m1", "m2"]);
      });

      it("deletes by ids and by filter, and counts", async () => {
        const c = uniqueName("del");
        await client().createCollection(c, 2);
        try {
          await client().upsert(c, Array.from({ length: 10 }, (_, i) => [i, 1]), {
            ids: Array.from({ length: 10 }, (_, i) => `d${i}`),
            metadata: Array.from({ length: 10 }, (_, i) => ({ even: i % 2 === 0, i })),
          });
          assert.equal(await client().count(c), 10);
          assert.equal(await client().count(c, { even: true }), 5);
          assert.equal(await client().delete(c, ["d0", "d1", "unknown"]), 2);
          assert.equal(await client().delete(c, "d2"), 1);
          assert.equal(await client().deleteByFilter(c, { even: false }), 4); // d3 d5 d7 d9
          assert.equal(await client().count(c), 3);
          assert.equal(await client().delete(c, ["d4", "d6", "d8", "x"], { chunkSize: 2 }), 3);
          assert.equal(await client().count(c), 0);
        } finally {
          await client().deleteCollection(c);
        }
      });
    });

    it("upserts a batch in chunks beyond one chunk, reporting progress", async () => {
      const c = uniqueName("chunk");
      await client().createCollection(c, 8);
      try {
        const n = 2500;
        const points = Array.from({ length: n }, (_, i) => ({
          id: `p${String(i).padStart(5, "0")}`,
          vector: i % 2 ? new Float32Array(vec(i, 8)) : vec(i, 8),
          metadata: { i },
        }));
        const progress = [];
        const r = await client().upsert(c, points, { chunkSize: 1000, onProgress: (done, total) => progress.push([done, total]) });
        assert.deepEqual(progress, [
          [1000, n],
          [2000, n],
          [2500, n],
        ]);
        assert.equal(r.totalCount, n);
        assert.equal(r.insertedIds.length, n);
        assert.equal(r.insertedIds[1234], "p01234");
        assert.equal(await client().count(c), n);
        const p = await client().get(c, "p00007");
        assert.deepEqual(p.vector.map(Math.fround), Array.from(new Float32Array(vec(7, 8))));
        assert.deepEqual(p.metadata, { i: 7 });
      } finally {
        await client().deleteCollection(c);
      }
    });

    it("stores the chunks before a failing one, then throws its error", async () => {
      const c = uniqueName("chunkfail");
      await client().createCollection(c, 4);
      try {
        const points = Array.from({ length: 5 }, (_, i) => ({ id: `f${i}`, vector: i === 3 ? [1, 2, 3] : [1, 2, 3, 4] }));
        await assert.rejects(client().upsert(c, points, { chunkSize: 2 }), (e) => {
          assert.ok(e instanceof DimensionMismatch && e instanceof InvalidArgument);
          assert.equal(e.code, "dimension_mismatch");
          assert.equal(e.status, statusOf(t, 400, "INVALID_ARGUMENT"));
          return true;
        });
        assert.equal(await client().count(c), 2); // chunk [f0, f1] stored, [f2, f3] refused whole
      } finally {
        await client().deleteCollection(c);
      }
    });

    it("scrolls over several pages with the async iterator and page by page", async () => {
      const c = uniqueName("scroll");
      await client().createCollection(c, 2);
      try {
        const ids = Array.from({ length: 25 }, (_, i) => `s${String(i).padStart(2, "0")}`);
        await client().upsert(
          c,
          ids.map((id, i) => ({ id, vector: [i + 1, 1], metadata: { odd: i % 2 === 1 } })),
        );
        const seen = [];
        for await (const p of client().scroll(c, { batchSize: 10 })) {
          assert.equal(p.vector, null);
          seen.push(p.id);
        }
        assert.deepEqual(seen, ids);

        const odd = [];
        for await (const p of client().scroll(c, { batchSize: 4, filter: { odd: true }, includeVectors: true })) {
          assert.equal(p.vector.length, 2);
          odd.push(p.id);
        }
        assert.deepEqual(odd, ids.filter((_, i) => i % 2 === 1));

        const page1 = await client().scrollPage(c, { limit: 10 });
        assert.equal(page1.points.length, 10);
        assert.equal(page1.nextAfterId, "s09");
        const page3 = await client().scrollPage(c, { limit: 10, afterId: "s19" });
        assert.deepEqual(page3.points.map((p) => p.id), ids.slice(20));
        assert.equal(page3.nextAfterId, null);

        // Breaking out of the loop early stops fetching.
        let n = 0;
        for await (const _ of client().scroll(c, { batchSize: 3 })) if (++n === 5) break;
        assert.equal(n, 5);
      } finally {
        await client().deleteCollection(c);
      }
    });

    describe("search", () => {
      const c = uniqueName("search");
      before(async () => {
        await client().createCollection(c, 3);
        await client().upsert(c, [
          { id: "x", vector: [1, 0, 0], metadata: { axis: "x", n: 1 } },
          { id: "y", vector: [0, 1, 0], metadata: { axis: "y", n: 2 } },
          { id: "z", vector: [0, 0, 1], metadata: { axis: "z", n: 3 } },
          { id: "xy", vector: [1, 1, 0], metadata: { axis: "xy", n: 4 } },
        ]);
      });
      after(async () => {
        await client().deleteCollection(c, { missingOk: true });
      });

      it("finds the nearest points, best first", async () => {
        const r = await client().search(c, new Float32Array([1, 0.1, 0]), { k: 2 });
        assert.deepEqual(r.ids, ["x", "xy"]);
        assert.equal(r.matches.length, 2);
        assert.ok(r.matches[0].score > r.matches[1].score);
        assert.deepEqual(r.matches[0].metadata, { axis: "x", n: 1 });
        assert.equal(r.matches[0].vector, null);
        assert.equal(r.explain, null);
      });

      it("applies filters, includeVectors, includeMetadata, exact and pointId", async () => {
        const f = await client().search(c, [1, 0, 0], { k: 10, filter: { n: { $gte: 2 } }, includeVectors: true, includeMetadata: false, exact: true });
        assert.deepEqual(f.ids, ["xy", "y", "z"]);
        assert.deepEqual(f.matches[0].vector, [1, 1, 0]);
        assert.equal(f.matches[0].metadata, null);
        const byId = await client().search(c, null, { pointId: "x", k: 1 });
        assert.deepEqual(byId.ids, ["xy"]);
        await assert.rejects(client().search(c, null, { pointId: "ghost" }), PointNotFound);
        await assert.rejects(client().search(c, [1, 0, 0], { pointId: "x" }), InvalidArgument);
      });

      it("runs a batch search with one filter per query, in chunks", async () => {
        const rs = await client().batchSearch(c, [[1, 0, 0], new Float32Array([0, 1, 0]), [0, 0, 1]], {
          k: 1,
          filter: [null, { axis: "xy" }, null],
          chunkSize: 2,
        });
        assert.equal(rs.length, 3);
        assert.deepEqual(rs.map((r) => r.ids), [["x"], ["xy"], ["z"]]);
        const shared = await client().batchSearch(c, [[1, 0, 0], [0, 1, 0]], { k: 5, filter: { axis: "z" } });
        assert.deepEqual(shared.map((r) => r.ids), [["z"], ["z"]]);
        await assert.rejects(client().batchSearch(c, [[1, 0, 0]], { filter: [{}, {}] }), /2 filters for 1 queries/);
      });

      it("refuses a query of the wrong dimension and out-of-range arguments", async () => {
        await assert.rejects(client().search(c, [1, 0]), (e) => {
          assert.ok(e instanceof DimensionMismatch);
          assert.equal(e.code, "dimension_mismatch");
          return true;
        });
        await assert.rejects(client().search(c, [1, 0, 0], { k: 0 }), (e) => {
          assert.ok(e instanceof InvalidArgument && !(e instanceof DimensionMismatch));
          assert.equal(e.code, "invalid_argument");
          assert.equal(e.status, statusOf(t, 400, "INVALID_ARGUMENT"));
          assert.match(e.message, /field 'k' must be in 1\.\.10000, got 0/);
          return true;
        });
      });

      it("recommends, facets, and manages payload indexes", async () => {
        const rec = await client().recommend(c, ["x"], { negative: [[0, 0, 1]], k: 1 });
        assert.deepEqual(rec.ids, ["xy"]);
        const facets = await client().facet(c, "axis", { limit: 2 });
        assert.equal(facets.length, 2);
        assert.equal(facets[0].count, 1);
        assert.deepEqual(await client().createPayloadIndex(c, "axis"), [{ field: "axis", type: "keyword" }]);
        assert.deepEqual(await client().listPayloadIndexes(c), [{ field: "axis", type: "keyword" }]);
        assert.deepEqual(await client().deletePayloadIndex(c, "axis"), []);
      });
    });

    it("flushes, compacts and reports stats", async () => {
      const c = uniqueName("maint");
      await client().createCollection(c, 2);
      try {
        await client().upsert(c, [[1, 2], [3, 4], [5, 6]]);
        let s = await client().stats(c);
        assert.equal(s.name, c);
        assert.equal(s.pointCount, 3);
        assert.equal(s.memtablePoints, 3);
        assert.ok(s.lastSequence >= 1);
        await client().flush(c);
        s = await client().stats(c);
        assert.equal(s.memtablePoints, 0);
        assert.ok(s.segmentCount >= 1);
        await client().upsert(c, [[7, 8]]);
        await client().flush(c);
        await client().compact(c);
        s = await client().stats(c);
        assert.equal(s.pointCount, 4);
        assert.equal(s.segmentCount, 1);
        assert.equal(s.tiers.hot.points, 4);
      } finally {
        await client().deleteCollection(c);
      }
    });

    it("manages aliases", async () => {
      const c = uniqueName("aliased");
      const a = uniqueName("alias");
      await client().createCollection(c, 2);
      try {
        const list = await client().createAlias(a, c);
        assert.ok(list.some((x) => x.alias === a && x.collection === c));
        await client().insert(a, "p", [1, 2]);
        assert.equal(await client().count(c), 1);
        assert.ok((await client().listAliases()).some((x) => x.alias === a));
        await client().deleteAlias(a);
        assert.ok(!(await client().listAliases()).some((x) => x.alias === a));
      } finally {
        await client().deleteCollection(c);
      }
    });

    it("validates input before sending anything", async () => {
      const c = uniqueName("never-created");
      const local = (e) => {
        assert.ok(e instanceof InvalidArgument);
        assert.equal(e.status, null, "refused by the client, not the server");
        assert.equal(e.code, "invalid_argument");
        return true;
      };
      await assert.rejects(client().insert(c, "a", [1, NaN, 2]), (e) => local(e) && /vector\[1\] is not a finite/.test(e.message));
      await assert.rejects(client().insert(c, "a", new Float32Array([Infinity])), local);
      await assert.rejects(client().insert(c, "a", [1e39]), local); // overflows float32
      await assert.rejects(client().insert(c, "a", ["1", 2]), local);
      await assert.rejects(client().insert(c, "", [1, 2]), (e) => local(e) && /1\.\.256 bytes, got 0/.test(e.message));
      await assert.rejects(client().insert(c, "x".repeat(257), [1, 2]), local);
      await assert.rejects(client().get(c, ""), local);
      await assert.rejects(client().delete(c, []), local);
      await assert.rejects(client().delete(c, ["ok", ""]), local);
      await assert.rejects(client().insert(c, "a", [1, 2], { bad: NaN }), local);
      await assert.rejects(client().upsert(c, []), (e) => local(e) && /empty/.test(e.message));
      await assert.rejects(client().upsert(c, [[1, 2]], { ids: ["a", "b"] }), local);
      await assert.rejects(client().upsert(c, [{ id: "a", vector: [1, 2] }], { chunkSize: 0 }), local);
      await assert.rejects(client().search(c, null), local);
      await assert.rejects(client().batchSearch(c, []), local);
      await assert.rejects(client().getCollection(""), local);
    });
  });
}

it("returns the same results over REST and gRPC", async () => {
  const c = uniqueName("parity");
  const rest = clients.rest;
  const grpc = clients.grpc;
  await rest.createCollection(c, 5, { distanceMetric: "dot_product" });
  try {
    await grpc.upsert(
      c,
      Array.from({ length: 50 }, (_, i) => ({ id: `q${i}`, vector: vec(i, 5), metadata: { i, name: `n${i}`, f: i / 3, tags: ["a", i] } })),
    );
    const q = vec(999, 5);
    const opts = { k: 7, includeVectors: true, filter: { i: { $lt: 40 } } };
    assert.deepEqual(await grpc.search(c, q, opts), await rest.search(c, q, opts));
    assert.deepEqual(await grpc.get(c, ["q3", "q17"]), await rest.get(c, ["q3", "q17"]));
    assert.deepEqual(await grpc.scrollPage(c, { limit: 9, includeVectors: true }), await rest.scrollPage(c, { limit: 9, includeVectors: true }));
    assert.deepEqual(await grpc.getCollection(c), await rest.getCollection(c));
    const { oldestUnflushedAgeSeconds: _g, ...gs } = await grpc.stats(c);
    const { oldestUnflushedAgeSeconds: _r, ...rs } = await rest.stats(c);
    assert.deepEqual(gs, rs); // all but the age, which grows between the calls
    assert.deepEqual(await grpc.batchSearch(c, [q, vec(5, 5)], { k: 3 }), await rest.batchSearch(c, [q, vec(5, 5)], { k: 3 }));
  } finally {
    await rest.deleteCollection(c);
  }
});
