// LanceDB (embedded, npm @lancedb/lancedb 0.31.0) as the end-to-end peer of
// bench/e2e_bench.py, which prepares the data and runs this script beside
// ProximaDB in the same rounds (docs/BENCHMARKS.md, "End to end against
// LanceDB"). Reads raw little-endian files written by the driver:
//
//   node lancedb_bench.mjs --data PREFIX --dim D --dir DIR
//        [--ef 16,32,64,128,256] [--m 16] [--ef-construction 200]
//        [--partitions 1] [--refine 0]
//
// PREFIX.base.f32 (n x D float32), PREFIX.queries.f32 (q x D float32),
// PREFIX.gt.u32 (q x 10 uint32: the exact 10 nearest base rows). Creates a
// table in DIR (a fresh directory), ingests every row in one Arrow batch
// (the fastest way in: no per-row JS objects), builds an IVF_HNSW_SQ index
// (m / ef_construction as given; --partitions IVF partitions, 1 = one HNSW
// graph over everything, LanceDB's advice for tables this size) and waits
// until it covers every row, then for each ef runs every query one at a
// time, three passes, and reports the median pass. Prints one JSON object.
import * as fs from "node:fs";
import * as path from "node:path";

import * as lancedb from "@lancedb/lancedb";
import { createRequire } from "node:module";

// The CommonJS build of apache-arrow, the one @lancedb/lancedb itself loads
// (the ES module build's classes are different objects: LanceDB would not
// recognise its Table).
const { Field, FixedSizeList, Float32, makeData, makeVector, Table } =
  createRequire(import.meta.url)("apache-arrow");

function args() {
  const a = {
    ef: "16,32,64,128,256",
    m: 16,
    "ef-construction": 200,
    partitions: 1,
    refine: 0,
  };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i += 2) {
    if (!v[i].startsWith("--") || i + 1 >= v.length) {
      throw new Error(`bad argument ${v[i]}`);
    }
    a[v[i].slice(2)] = v[i + 1];
  }
  for (const k of ["data", "dim", "dir"]) {
    if (!a[k]) throw new Error(`--${k} is required`);
  }
  a.dim = Number(a.dim);
  a.m = Number(a.m);
  a["ef-construction"] = Number(a["ef-construction"]);
  a.partitions = Number(a.partitions);
  a.refine = Number(a.refine);
  a.ef = a.ef.split(",").map(Number);
  return a;
}

function readF32(file) {
  const b = fs.readFileSync(file);
  return new Float32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

function readU32(file) {
  const b = fs.readFileSync(file);
  return new Uint32Array(b.buffer, b.byteOffset, b.byteLength / 4);
}

// One Arrow batch of (id int32, vector fixed_size_list<float32>[dim]) built
// over the file's buffer: no copy per row.
function arrowTable(base, n, dim) {
  const vecType = new FixedSizeList(dim, new Field("item", new Float32(), true));
  const ids = Int32Array.from({ length: n }, (_, i) => i);
  const values = makeData({ type: new Float32(), length: n * dim, data: base });
  return new Table({
    id: makeVector(ids),
    vector: makeVector(makeData({ type: vecType, length: n, child: values })),
  });
}

function duBytes(dir) {
  let total = 0;
  for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    total += e.isDirectory() ? duBytes(p) : fs.statSync(p).size;
  }
  return total;
}

function pct(sorted, p) {
  return sorted[Math.min(sorted.length - 1, Math.round((p / 100) * (sorted.length - 1)))];
}

async function main() {
  const a = args();
  const base = readF32(`${a.data}.base.f32`);
  const queries = readF32(`${a.data}.queries.f32`);
  const gt = readU32(`${a.data}.gt.u32`);
  const n = base.length / a.dim;
  const nq = queries.length / a.dim;
  fs.mkdirSync(a.dir, { recursive: true });
  const db = await lancedb.connect(a.dir);

  let t = performance.now();
  const table = await db.createTable("bench", arrowTable(base, n, a.dim));
  const ingest_s = (performance.now() - t) / 1000;

  t = performance.now();
  await table.createIndex("vector", {
    config: lancedb.Index.hnswSq({
      distanceType: "l2",
      numPartitions: a.partitions,
      m: a.m,
      efConstruction: a["ef-construction"],
    }),
  });
  // createIndex returns once the index is built here (embedded), but wait
  // until it covers every row, so "searchable" means what it says.
  for (;;) {
    const stats = await table.indexStats("vector_idx");
    if (stats && stats.numUnindexedRows === 0) break;
    await new Promise((r) => setTimeout(r, 50));
  }
  const index_s = (performance.now() - t) / 1000;

  const qs = [];
  for (let i = 0; i < nq; ++i) qs.push(queries.subarray(i * a.dim, (i + 1) * a.dim));
  const query = (q, ef) => {
    let b = table.vectorSearch(q).select(["id", "_distance"]).limit(10).ef(ef).nprobes(a.partitions);
    if (a.refine > 0) b = b.refineFactor(a.refine);
    return b.toArray();
  };
  for (let i = 0; i < Math.min(100, nq); ++i) await query(qs[i], a.ef[0]);  // warm-up

  const curve = [];
  for (const ef of a.ef) {
    const passes = [];
    let recall = 0;
    for (let pass = 0; pass < 3; ++pass) {
      const lat = [];
      let hits = 0;
      const t0 = performance.now();
      for (let i = 0; i < nq; ++i) {
        const s = performance.now();
        const rows = await query(qs[i], ef);
        lat.push(performance.now() - s);
        const truth = new Set(gt.subarray(i * 10, i * 10 + 10));
        for (const r of rows) hits += truth.has(r.id) ? 1 : 0;
      }
      const secs = (performance.now() - t0) / 1000;
      lat.sort((x, y) => x - y);
      recall = hits / (10 * nq);
      passes.push({ qps: nq / secs, p50_ms: pct(lat, 50), p99_ms: pct(lat, 99) });
    }
    passes.sort((x, y) => x.qps - y.qps);
    curve.push({ ef, recall, ...passes[1] });
  }
  const out = {
    peer: "lancedb",
    version: JSON.parse(
      fs.readFileSync(new URL("./node_modules/@lancedb/lancedb/package.json", import.meta.url)),
    ).version,
    index: `IVF_HNSW_SQ partitions ${a.partitions} m ${a.m} ef_construction ${a["ef-construction"]}` +
      (a.refine > 0 ? ` refine ${a.refine}` : ""),
    rows: n,
    ingest_s,
    index_s,
    disk_bytes: duBytes(a.dir),
    curve,
  };
  process.stdout.write(JSON.stringify(out) + "\n");
}

main().catch((e) => {
  process.stderr.write(`${e.stack || e}\n`);
  process.exit(1);
});
