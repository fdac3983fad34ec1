// The JavaScript client's side of bench/client_ingest_bench.py (see there):
//   node bench/js_client_ingest.mjs URL COLLECTION DATA_FILE N DIM CHUNK
// Reads N float32 vectors of DIM from DATA_FILE (little-endian, row after
// row), upserts them with ids "p<i>" and metadata {i, tag} through the
// client built in clients/js/dist (REST for http://, gRPC for grpc://),
// CHUNK points per request, and prints {"seconds": ...} of the upsert alone.
import { readFileSync } from 'node:fs';
import { ProximaDBClient } from '../clients/js/dist/index.js';

const [url, collection, file, nArg, dimArg, chunkArg] = process.argv.slice(2);
const n = Number(nArg), dim = Number(dimArg), chunkSize = Number(chunkArg);
const bytes = readFileSync(file);
if (bytes.length !== n * dim * 4) {
  throw new Error(`${file} holds ${bytes.length} bytes, not ${n} x ${dim} float32`);
}
const all = new Float32Array(bytes.buffer, bytes.byteOffset, n * dim);
const points = [];
for (let i = 0; i < n; i++) {
  points.push({
    id: `p${i}`,
    vector: all.subarray(i * dim, (i + 1) * dim),
    metadata: { i, tag: `t${i % 10}` },
  });
}
const client = new ProximaDBClient(url);
const t0 = process.hrtime.bigint();
const r = await client.upsert(collection, points, { chunkSize });
const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
await client.close();
if (r.totalCount !== n) throw new Error(`upserted ${r.totalCount} of ${n}`);
console.log(JSON.stringify({ seconds }));
