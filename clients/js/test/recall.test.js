// The server's live recall estimate in collection stats, over both
// transports, from a server that re-runs every search exactly
// (recall_sample_rate = 1; docs/API.md, "Live recall estimate").

import { after, before, it } from "node:test";
import assert from "node:assert/strict";

import { ProximaDBClient } from "../dist/index.js";
import { startServer, vec } from "../testlib/helpers.js";

let server;
before(async () => {
  server = await startServer({
    env: { PROXIMADB_MONITORING__RECALL_SAMPLE_RATE: "1", PROXIMADB_MONITORING__RECALL_CPU_SHARE: "1" },
  });
});
after(async () => {
  if (server) await server.stop();
});

it("reports the estimate in stats, the same over REST and gRPC", async () => {
  const rest = new ProximaDBClient(server.url("rest"));
  const grpc = new ProximaDBClient(server.url("grpc"));
  try {
    await rest.createCollection("docs", 8, { distanceMetric: "euclidean" });
    await rest.upsert("docs", Array.from({ length: 500 }, (_, i) => ({ id: `p${i}`, vector: vec(i, 8) })));
    assert.equal((await rest.stats("docs")).recallEstimate, null, "nothing sampled yet");
    for (let i = 0; i < 10; i++) {
      await rest.search("docs", vec(1000 + i, 8), { k: 5 });
      await grpc.search("docs", new Float32Array(vec(2000 + i, 8)), { k: 5 });
      await rest.search("docs", vec(3000 + i, 8), { k: 5, exact: true }); // never sampled
    }
    let est;
    for (const end = Date.now() + 30000; ; ) {
      est = (await rest.stats("docs")).recallEstimate;
      if (est !== null && est.samplesTotal + est.droppedTotal === 20) break;
      assert.ok(Date.now() < end, `20 samples expected, got ${JSON.stringify(est)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.ok(est.samples > 0 && est.samples === est.samplesTotal);
    assert.equal(est.recall, 1); // unflushed points are searched exactly
    assert.ok(est.ci95[0] > 0 && est.ci95[0] < 1);
    assert.deepEqual((await grpc.stats("docs")).recallEstimate, est);
  } finally {
    await rest.close();
    await grpc.close();
  }
});
