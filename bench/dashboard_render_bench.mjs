// Time to first render of the dashboard's pages against a collection of
// many points (docs/BENCHMARKS.md, "Dashboard"). A benchmark, not a test.
//
//   node bench/dashboard_render_bench.mjs --binary build/src/server/proximadb-server \
//     [--points 1000000] [--dim 128] [--runs 3]
//
// Starts the server (the binary given; it serves dashboard/dist, which must
// be built: scripts/build-dashboard.sh), fills collection "big" with
// --points uniform random vectors (fixed seed) over gRPC with the
// JavaScript client (clients/js/dist), flushes, waits until no graph build
// runs, then for each of --runs cold loads (a new browser context: no
// cache) times, from navigation, until each page shows its data:
//   overview    the collection's row with its point count,
//   collection  its stats (points),
//   points      the first page of 20 points,
//   search      the results of a k=10 search by a stored point's id (from
//               the click).
// Chromium is Debian's (PDB_CHROMIUM, default /usr/bin/chromium) driven by
// the dashboard's playwright-core. Also prints the size of dist/ (raw and
// gzip -9 of its scripts and styles).
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const DIST = join(ROOT, 'dashboard', 'dist');
const { chromium } = createRequire(join(ROOT, 'dashboard', 'package.json'))('playwright-core');
const { ProximaDBClient } = await import(join(ROOT, 'clients', 'js', 'dist', 'index.js'));

const args = Object.fromEntries(
  process.argv.slice(2).reduce((acc, a, i, all) => (a.startsWith('--') ? [...acc, [a.slice(2), all[i + 1]]] : acc), []),
);
if (!args.binary) throw new Error('--binary is required');
const N = Number(args.points ?? 1000000);
const DIM = Number(args.dim ?? 128);
const RUNS = Number(args.runs ?? 3);

function distSize() {
  let raw = 0, gz = 0;
  const walk = (d) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else {
        raw += statSync(p).size;
        if (/\.(js|css|html)$/.test(e.name)) gz += gzipSync(readFileSync(p), { level: 9 }).length;
      }
    }
  };
  walk(DIST);
  return { raw, gz };
}

async function startServer() {
  const dir = mkdtempSync(join(tmpdir(), 'pdb-dashboard-bench-'));
  const child = spawn(args.binary, ['--data-dir', join(dir, 'data'), '--rest-port', '0', '--grpc-port', '0', '--bind', '127.0.0.1', '--log-level', 'warn'], {
    env: { ...process.env, PROXIMADB_SERVER__DASHBOARD_DIR: DIST, PROXIMADB_MONITORING__ACCESS_LOG: 'false' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const ports = await new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready rest_port=(\d+) grpc_port=(\d+)/.exec(out);
      if (m) ok({ rest: Number(m[1]), grpc: Number(m[2]) });
    });
    child.on('exit', (c) => fail(new Error(`server exited (${c})`)));
  });
  return { child, dir, ...ports };
}

// xorshift32: the same vectors every run.
function fill(seed, out) {
  let s = seed >>> 0 || 1;
  for (let i = 0; i < out.length; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = s / 4294967296 * 2 - 1;
  }
}

async function until(cond, what, ms = 60000) {
  const end = performance.now() + ms;
  while (!(await cond())) {
    if (performance.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const server = await startServer();
const base = `http://127.0.0.1:${server.rest}`;
const client = new ProximaDBClient(`grpc://127.0.0.1:${server.grpc}`);
try {
  await client.createCollection('big', DIM, { distanceMetric: 'cosine' });
  const t0 = performance.now();
  const CHUNK = 10000;
  const vec = new Float32Array(CHUNK * DIM);
  for (let s = 0; s < N; s += CHUNK) {
    const n = Math.min(CHUNK, N - s);
    fill(s + 1, vec);
    const points = [];
    for (let i = 0; i < n; i++) points.push({ id: `p${s + i}`, vector: vec.subarray(i * DIM, (i + 1) * DIM), metadata: { i: s + i, tag: `t${(s + i) % 10}` } });
    await client.upsert('big', points, { chunkSize: 1000 });
  }
  await client.flush('big');
  console.log(`ingested ${N} x ${DIM} in ${((performance.now() - t0) / 1000).toFixed(1)} s; waiting for graph builds`);
  for (;;) {
    const segs = await (await fetch(`${base}/api/v1/collections/big/segments`)).json();
    const list = segs.segments ?? [];
    if (list.length > 0 && list.every((g) => g.graph_loaded === true)) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  console.log(`ready after ${((performance.now() - t0) / 1000).toFixed(1)} s`);

  const browser = await chromium.launch({ executablePath: process.env.PDB_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox', '--headless=new'] });
  const times = { overview: [], collection: [], points: [], search: [] };
  for (let run = 0; run < RUNS; run++) {
    const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    const page = await ctx.newPage();
    const tid = (id) => page.locator(`[data-testid="${id}"]`);
    let t = performance.now();
    await page.goto(`${base}/dashboard/#/`);
    await tid('overview-collection-big').filter({ hasText: N.toLocaleString('en-US') }).or(tid('overview-collection-big').filter({ hasText: String(N) })).first().waitFor();
    times.overview.push(performance.now() - t);
    t = performance.now();
    await page.goto(`${base}/dashboard/#/collections/big`);
    await tid('stats-points').filter({ hasText: /\d/ }).waitFor();
    times.collection.push(performance.now() - t);
    t = performance.now();
    await page.goto(`${base}/dashboard/#/collections/big/points`);
    // (page.waitForFunction needs eval, which the page's CSP forbids.)
    await until(async () => (await tid('point-row').count()) === 20, 'the first page of points');
    times.points.push(performance.now() - t);
    await page.goto(`${base}/dashboard/#/search?collection=big`);
    await tid('search-mode-id').check();
    await tid('search-point-id').fill(`p${Math.floor(N / 2)}`);
    await tid('search-k').fill('10');
    t = performance.now();
    await tid('search-submit').click();
    await until(async () => (await tid('search-result').count()) === 10, 'the search results');
    times.search.push(performance.now() - t);
    await ctx.close();
  }
  await browser.close();
  const size = distSize();
  console.log(`dist: ${size.raw} bytes; scripts, styles and html gzip -9: ${size.gz} bytes`);
  console.log(`| page | median ms (${RUNS} cold loads) | runs |`);
  console.log('|---|---|---|');
  for (const [k, v] of Object.entries(times)) console.log(`| ${k} | ${median(v).toFixed(0)} | ${v.map((x) => x.toFixed(0)).join(', ')} |`);
} finally {
  await client.close();
  server.child.kill('SIGTERM');
  await new Promise((r) => server.child.on('exit', r));
  rmSync(server.dir, { recursive: true, force: true });
}
