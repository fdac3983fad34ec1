// Background I/O in collection stats over both transports, from a server
// with [storage] background_io_mb_per_s = 8 (docs/API.md, "Background I/O").

import { after, before, it } from "node:test";
import assert from "node:assert/strict";

import { ProximaDBClient } from "../dist/index.js";
import { startServer, vec } from "../testlib/helpers.js";

let server;
before(async () => {
  server = await startServer({ env: { PROXIMADB_STORAGE__BACKGROUND_IO_MB_PER_S: "8" } });
});
after(async () => {
  if (server) await server.stop();
});

it("reports the budget and the bytes flushes wrote, the same over REST and gRPC", async () => {
  const rest = new ProximaDBClient(server.url("rest"));
  const grpc = new ProximaDBClient(server.url("grpc"));
  try {
    await rest.createCollection("io", 32, { distanceMetric: "euclidean", indexingAlgorithm: "flat" });
    await rest.upsert("io", Array.from({ length: 1000 }, (_, i) => ({ id: `p${i}`, vector: vec(i, 32) })));
    await rest.flush("io");
    const io = (await rest.stats("io")).backgroundIo;
    assert.ok(io, "stats carry background_io");
    assert.equal(io.budgetMbPerS, 8);
    assert.ok(io.bytesWritten.flush > 1000 * 32 * 4, `flush bytes ${io.bytesWritten.flush}`);
    assert.equal(io.bytesWritten.compaction, 0);
    assert.equal(typeof io.throttledSeconds, "number");
    // A flat collection builds no index: nothing runs after the flush, and
    // the two transports say the same.
    assert.deepEqual(io.tasks, []);
    assert.deepEqual((await grpc.stats("io")).backgroundIo, io);
  } finally {
    rest.close();
    grpc.close();
  }
});
