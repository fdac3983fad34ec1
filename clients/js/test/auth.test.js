// API keys against a real server started with read-write and read-only keys.

import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";

import { PermissionDenied, ProximaDBClient, Unauthorized } from "../dist/index.js";
import { TRANSPORTS, startServer, uniqueName } from "../testlib/helpers.js";

const RW = "rw-key-4f9c2e7d1a8b";
const RO = "ro-key-7d1a8b4f";
let server;

before(async () => {
  server = await startServer({ env: { PROXIMADB_API__API_KEYS: `rw:${RW},ro:${RO}` } });
});
after(async () => {
  if (server) await server.stop();
});

for (const t of TRANSPORTS) {
  describe(`${t}: API keys`, () => {
    it("refuses requests without a key or with an unknown key (Unauthorized), but not health", async () => {
      for (const apiKey of [undefined, "not-a-valid-key"]) {
        const client = new ProximaDBClient(server.url(t), { apiKey });
        try {
          assert.equal((await client.health()).status, "healthy");
          await assert.rejects(client.listCollections(), (e) => {
            assert.ok(e instanceof Unauthorized, `got ${e}`);
            assert.equal(e.code, "unauthenticated");
            assert.equal(e.status, t === "rest" ? 401 : "UNAUTHENTICATED");
            return true;
          });
        } finally {
          await client.close();
        }
      }
    });

    it("lets a read-write key write and a read-only key only read (PermissionDenied)", async () => {
      const rw = new ProximaDBClient(server.url(t), { apiKey: RW });
      const ro = new ProximaDBClient(server.url(t), { apiKey: RO });
      const c = uniqueName("auth");
      try {
        await rw.createCollection(c, 2);
        await rw.upsert(c, [{ id: "a", vector: [1, 2], metadata: { k: "v" } }]);
        assert.equal(await ro.count(c), 1);
        assert.deepEqual((await ro.search(c, [1, 2], { k: 1 })).ids, ["a"]);
        assert.deepEqual((await ro.get(c, "a")).metadata, { k: "v" });
        await assert.rejects(ro.insert(c, "b", [3, 4]), (e) => {
          assert.ok(e instanceof PermissionDenied, `got ${e}`);
          assert.equal(e.code, "permission_denied");
          assert.equal(e.status, t === "rest" ? 403 : "PERMISSION_DENIED");
          return true;
        });
        await assert.rejects(ro.deleteCollection(c), PermissionDenied);
        assert.equal(await rw.deleteCollection(c), true);
      } finally {
        await rw.close();
        await ro.close();
      }
    });
  });
}
