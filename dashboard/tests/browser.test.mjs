// Browser test of the dashboard: the real server (PROXIMADB_SERVER_BINARY)
// serving dist/ at /dashboard/, driven by Debian's headless Chromium through
// playwright-core. No mocks: every page talks to the server's REST API.
//
//   npm run build && PROXIMADB_SERVER_BINARY=/path/to/proximadb-server node --test tests/browser.test.mjs
//
// Env: PDB_CHROMIUM (default /usr/bin/chromium), PDB_ARTIFACTS_DIR (default
// dashboard/test-artifacts/: one PNG per page), PDB_REQUIRE_BROWSER=1 turns a
// missing chromium, dist/ or server binary from a skip into a failure.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const DIST = resolve(here, '..', 'dist');
const CHROMIUM = process.env.PDB_CHROMIUM || '/usr/bin/chromium';
const SERVER = process.env.PROXIMADB_SERVER_BINARY || '';
const ARTIFACTS = resolve(process.env.PDB_ARTIFACTS_DIR || join(here, '..', 'test-artifacts'));
const REQUIRE = !!process.env.PDB_REQUIRE_BROWSER;
const RW_KEY = 'dashboard-test-key-4f9c2e7d';
const RO_KEY = 'dashboard-read-only-7d1a8b4f';

function missingPrerequisites() {
  const missing = [];
  if (!existsSync(join(DIST, 'index.html'))) missing.push(`${DIST}/index.html does not exist (run npm run build)`);
  if (!existsSync(CHROMIUM)) missing.push(`no chromium at ${CHROMIUM} (apt-get install chromium, or set PDB_CHROMIUM)`);
  if (!SERVER) missing.push('PROXIMADB_SERVER_BINARY is not set (the proximadb-server to test against)');
  else if (!existsSync(SERVER)) missing.push(`PROXIMADB_SERVER_BINARY=${SERVER} does not exist`);
  return missing;
}

const missing = missingPrerequisites();
const skip = missing.length && !REQUIRE ? `browser test skipped: ${missing.join('; ')} (set PDB_REQUIRE_BROWSER=1 to make this a failure)` : false;
if (skip) console.log(`# ${skip}`);

/** Starts the server on free loopback ports in a temporary data directory. */
async function startServer({ apiKeys } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'pdb-dashboard-test-'));
  const env = { ...process.env, PROXIMADB_SERVER__DASHBOARD_DIR: DIST };
  delete env.PROXIMADB_API__API_KEYS;
  if (apiKeys) env.PROXIMADB_API__API_KEYS = apiKeys;
  const child = spawn(SERVER, ['--data-dir', join(dir, 'data'), '--rest-port', '0', '--grpc-port', '0', '--bind', '127.0.0.1', '--log-level', 'warn'], {
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => {
    stderr = (stderr + d).slice(-8000);
  });
  const port = await new Promise((resolvePort, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`server not ready after 20 s; stderr:\n${stderr}`)), 20000);
    child.stdout.on('data', (d) => {
      out += d;
      const m = /ready rest_port=(\d+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolvePort(Number(m[1]));
      }
    });
    child.on('exit', (code, sig) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code ?? sig}) before it was ready; stderr:\n${stderr}`));
    });
  });
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    pid: child.pid,
    stderr: () => stderr,
    async stop() {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        process.kill(child.pid, 'SIGTERM');
        const t = setTimeout(() => child.exitCode === null && process.kill(child.pid, 'SIGKILL'), 10000);
        await exited;
        clearTimeout(t);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A REST call from the test itself (not through the browser). */
async function rest(base, method, path, body, key) {
  const headers = { 'content-type': 'application/json' };
  if (key) headers['api-key'] = key;
  const res = await fetch(base + path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status}: ${text}`);
  return text ? JSON.parse(text) : undefined;
}

async function withBrowser(fn) {
  const { chromium } = await import('playwright-core');
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox', '--headless=new'] });
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(10000);
  const pageErrors = [];
  page.on('pageerror', (e) => pageErrors.push(e.message));
  mkdirSync(ARTIFACTS, { recursive: true });
  try {
    await fn(page);
    assert.deepEqual(pageErrors, [], 'uncaught errors in the page');
  } catch (e) {
    await page.screenshot({ path: join(ARTIFACTS, `failure-${Date.now()}.png`), fullPage: true }).catch(() => {});
    throw e;
  } finally {
    await browser.close();
  }
}

const shot = (page, name) => page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
const tid = (page, id) => page.getByTestId(id);

/** Deterministic 4-d vectors: the angle grows with i, so neighbours are by index. */
function vec(i) {
  const a = (i / 40) * Math.PI;
  return [Math.cos(a), Math.sin(a), 0.5 + (i % 5) / 10, 1 - (i % 7) / 10];
}

test('dashboard against a real server: collections, points, search playground, live charts', { skip, timeout: 60000 }, async () => {
  if (missing.length) throw new Error(`PDB_REQUIRE_BROWSER is set but: ${missing.join('; ')}`);
  const server = await startServer();
  try {
    const { base } = server;
    // The server serves the built files; /dashboard redirects to /dashboard/.
    const redirect = await fetch(`${base}/dashboard`, { redirect: 'manual' });
    assert.ok([301, 302, 307, 308].includes(redirect.status), `GET /dashboard: ${redirect.status}`);
    assert.equal(redirect.headers.get('location'), '/dashboard/');

    await withBrowser(async (page) => {
      // ---- overview ----
      await page.goto(`${base}/dashboard/`);
      await assertText(tid(page, 'overview-health'), /healthy/);
      await assertText(tid(page, 'overview-node'), /single node/);
      await assertText(tid(page, 'overview-version'), /\d+\.\d+/);
      await assertText(tid(page, 'overview-memory'), /[KMG]iB/);
      await assertText(tid(page, 'overview-uptime'), /\d+s|not reported/);
      await tid(page, 'overview-no-collections').waitFor();

      // ---- collections: client-side validation, create, server error ----
      await tid(page, 'nav-collections').click();
      await tid(page, 'collections-empty').waitFor();
      await tid(page, 'create-name').fill('bad name!');
      await tid(page, 'create-dimension').fill('0');
      await tid(page, 'create-flush_priority').fill('101');
      await tid(page, 'create-submit').click();
      await assertText(tid(page, 'create-name-error'), /only letters, digits/);
      await assertText(tid(page, 'create-dimension-error'), /at least 1/);
      await assertText(tid(page, 'create-flush_priority-error'), /at most 100/);

      await tid(page, 'create-name').fill('docs');
      await tid(page, 'create-dimension').fill('4');
      await tid(page, 'create-distance_metric').selectOption('cosine');
      await tid(page, 'create-flush_priority').fill('60');
      await tid(page, 'create-max_wal_age_hours').fill('2');
      await tid(page, 'create-submit').click();
      // Created: the page of the new collection.
      await assertText(tid(page, 'collection-name'), /^docs$/);
      await assertText(tid(page, 'config-dimension'), /^4$/);
      const created = await rest(base, 'GET', '/api/v1/collections/docs');
      assert.equal(created.flush_policy.flush_priority, 60);
      assert.equal(created.flush_policy.max_wal_age_hours, 2);

      // The same name again: the server's own message is shown.
      await tid(page, 'nav-collections').click();
      await tid(page, 'collection-row-docs').waitFor();
      await tid(page, 'create-name').fill('docs');
      await tid(page, 'create-dimension').fill('4');
      await tid(page, 'create-submit').click();
      await assertText(tid(page, 'create-server-error'), /already_exists.*docs/s);
      await shot(page, 'collections');

      // ---- points inserted through the REST API, seen in the UI ----
      const vectors = [];
      for (let i = 0; i < 30; i++) {
        vectors.push({ id: `p${String(i).padStart(3, '0')}`, vector: vec(i), metadata: { category: i % 3 === 0 ? 'news' : 'sport', n: i, tags: ['a', `t${i % 4}`] } });
      }
      await rest(base, 'PUT', '/api/v1/collections/docs/vectors', { vectors });

      await page.goto(`${base}/dashboard/#/collections/docs/points`);
      await assertText(tid(page, 'points-count'), /^30 points; page 1/);
      assert.equal(await tid(page, 'point-row').count(), 20);
      assert.equal(await tid(page, 'point-row').first().getAttribute('data-point-id'), 'p000');
      await tid(page, 'points-next').click();
      await assertText(tid(page, 'points-count'), /page 2/);
      await waitCount(tid(page, 'point-row'), 10);
      assert.equal(await tid(page, 'point-row').first().getAttribute('data-point-id'), 'p020');
      assert.ok(await tid(page, 'points-next').isDisabled(), 'the last page has no next');
      await tid(page, 'points-prev').click();
      await waitCount(tid(page, 'point-row'), 20);
      // A filter on the scroll.
      await tid(page, 'points-filter').fill('{"category": "news"}');
      await tid(page, 'points-apply').click();
      await assertText(tid(page, 'points-count'), /^10 points match the filter/);
      await waitCount(tid(page, 'point-row'), 10);
      await tid(page, 'points-filter').fill('{category');
      await tid(page, 'points-apply').click();
      await assertText(tid(page, 'points-filter-error'), /not valid JSON/);
      await tid(page, 'points-filter').fill('');
      await tid(page, 'points-apply').click();
      await assertText(tid(page, 'points-count'), /^30 points/);
      await shot(page, 'points');

      // One point: vector summary and metadata.
      await tid(page, 'point-link-p003').click();
      await assertText(tid(page, 'point-id'), /^p003$/);
      await assertText(tid(page, 'point-dimension'), /^4$/);
      const v3 = vec(3);
      const norm = Math.sqrt(v3.reduce((a, x) => a + x * x, 0));
      await assertText(tid(page, 'point-norm'), new RegExp(`^${norm.toPrecision(6).replace('.', '\\.')}$`));
      await assertText(tid(page, 'point-metadata'), /"category": "news"/);
      await shot(page, 'point');

      // Delete a point through the UI (with confirmation).
      await page.goto(`${base}/dashboard/#/collections/docs/points/p029`);
      await tid(page, 'point-delete').click();
      await tid(page, 'point-delete-confirm').click();
      await assertText(tid(page, 'points-count'), /^29 points/);
      await assert.rejects(rest(base, 'GET', '/api/v1/collections/docs/vectors/p029'), /HTTP 404/);

      // ---- collection page: flush, segments, payload index, flush policy ----
      await page.goto(`${base}/dashboard/#/collections/docs`);
      await tid(page, 'segments-empty').waitFor();
      await tid(page, 'collection-flush').click();
      await assertText(tid(page, 'collection-action-message'), /flushed/);
      await assertText(tid(page, 'segment-1-tier'), /^hot$/);
      await assertText(tid(page, 'stats-points'), /^29$/);
      await assertText(tid(page, 'stats-recall'), /^(not sampled yet|not measured yet .*|[01]\.\d{3} \(95% .* samples\))$/);
      await assertText(tid(page, 'stats-background-io'), /^[\d.]+ \w*B written since opened; (no budget|budget .* MiB\/s, waited .*)$/);
      await tid(page, 'index-field').fill('category');
      await tid(page, 'index-type').selectOption('keyword');
      await tid(page, 'index-create').click();
      await tid(page, 'payload-index-category').waitFor();
      assert.deepEqual((await rest(base, 'GET', '/api/v1/collections/docs/index/payload')).payload_indexes, [{ field: 'category', type: 'keyword' }]);
      // The same field with another type: the server's 409.
      await tid(page, 'index-field').fill('category');
      await tid(page, 'index-type').selectOption('integer');
      await tid(page, 'index-create').click();
      await assertText(tid(page, 'payload-index-error'), /already_exists/);
      await tid(page, 'flush-flush_priority').fill('500');
      await tid(page, 'flush-policy-save').click();
      await assertText(tid(page, 'flush-flush_priority-error'), /at most 100/);
      await tid(page, 'flush-flush_priority').fill('80');
      await tid(page, 'flush-policy-save').click();
      await assertText(tid(page, 'flush-policy-saved'), /flush_priority/);
      assert.equal((await rest(base, 'GET', '/api/v1/collections/docs')).flush_policy.flush_priority, 80);
      await shot(page, 'collection');

      // ---- search playground ----
      await tid(page, 'collection-search-link').click();
      await tid(page, 'search-mode-id').check();
      await tid(page, 'search-point-id').fill('p010');
      await tid(page, 'search-k').fill('5');
      await tid(page, 'search-submit').click();
      await waitCount(tid(page, 'search-result'), 5);
      // Searching with p010's own vector: p010 is the best match, then its neighbours.
      assert.equal(await tid(page, 'search-result').first().getAttribute('data-point-id'), 'p010');
      await assertText(tid(page, 'explain-strategy').first(), /^(exact_scan|index_scan|hnsw|hnsw_filtered|quantized_scan)$/);
      await assertText(tid(page, 'explain-distances'), /^[1-9]/);

      // Filtered by a pasted vector.
      await tid(page, 'search-mode-vector').check();
      await tid(page, 'search-vector').fill(JSON.stringify(vec(7)));
      await tid(page, 'search-filter').fill('{"category": "news"}');
      await tid(page, 'search-submit').click();
      await waitInPage(page, () => {
        const rows = [...document.querySelectorAll('[data-testid="search-result"]')];
        return rows.length === 5 && rows.every((r) => r.textContent.includes('"category":"news"'));
      });
      const ids = await tid(page, 'search-result').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-point-id')));
      for (const id of ids) assert.equal(Number(id.slice(1)) % 3, 0, `${id} is not a news point`);
      await assertText(tid(page, 'explain-sources'), /segment/);
      await shot(page, 'search');

      // A filter the server refuses: its message is shown.
      await tid(page, 'search-filter').fill('{"category": {"$bad": 1}}');
      await tid(page, 'search-submit').click();
      await assertText(tid(page, 'search-error'), /invalid_argument.*unknown operator \$bad/s);
      assert.equal(await tid(page, 'search-result').count(), 0, 'no stale results next to the error');
      await shot(page, 'search-error');
      // Not JSON at all: refused before the request.
      await tid(page, 'search-filter').fill('{category: news}');
      await tid(page, 'search-submit').click();
      await assertText(tid(page, 'search-input-error'), /not valid JSON/);

      // ---- overview charts move after traffic ----
      await tid(page, 'nav-overview').click();
      await tid(page, 'overview-collection-docs').waitFor();
      await waitInPage(page, () => Number(document.querySelector('[data-testid="chart-request-rate"]')?.getAttribute('data-samples')) >= 1);
      const storageBefore = Number(await tid(page, 'chart-storage').getAttribute('data-nonzero'));
      assert.equal(storageBefore, 0, 'no flush or compaction while the overview was open');
      for (let i = 0; i < 25; i++) await rest(base, 'POST', '/api/v1/collections/docs/search', { vector: vec(i), k: 3 });
      await rest(base, 'POST', '/api/v1/collections/docs/vectors', { id: 'late', vector: vec(31) });
      await rest(base, 'POST', '/api/v1/collections/docs/flush');
      await rest(base, 'POST', '/api/v1/collections/docs/compact');
      await waitInPage(
        page,
        () => {
          const rate = document.querySelector('[data-testid="chart-request-rate"]');
          const p99 = document.querySelector('[data-testid="chart-latency-p99"]');
          const storage = document.querySelector('[data-testid="chart-storage"]');
          return (
            rate?.getAttribute('data-series')?.split(',').includes('Search') &&
            Number(rate.getAttribute('data-nonzero')) > 0 &&
            p99?.getAttribute('data-series')?.split(',').includes('Search') &&
            Number(storage?.getAttribute('data-nonzero')) > 0
          );
        },
        undefined,
        12000,
      );
      // Two more samples so the lines have some length in the screenshot.
      const n = Number(await tid(page, 'chart-request-rate').getAttribute('data-samples'));
      await waitInPage(page, (n0) => Number(document.querySelector('[data-testid="chart-request-rate"]')?.getAttribute('data-samples')) >= n0 + 2, n, 8000);
      await assertText(tid(page, 'overview-collection-docs'), /docs\s*30/);
      await shot(page, 'overview');

      // ---- delete the collection with confirmation ----
      await tid(page, 'nav-collections').click();
      await tid(page, 'delete-docs').click();
      await tid(page, 'delete-docs-cancel').click();
      await tid(page, 'collection-row-docs').waitFor();
      await tid(page, 'delete-docs').click();
      await tid(page, 'delete-docs-confirm').click();
      await assertText(tid(page, 'collections-message'), /Deleted collection docs/);
      await tid(page, 'collections-empty').waitFor();
      assert.equal((await rest(base, 'GET', '/api/v1/collections')).total_count, 0);
    });
  } catch (e) {
    e.message += `\n--- server stderr (last lines) ---\n${server.stderr().split('\n').slice(-20).join('\n')}`;
    throw e;
  } finally {
    await server.stop();
  }
});

test('dashboard with API keys on: login with the key field, logout', { skip, timeout: 40000 }, async () => {
  if (missing.length) throw new Error(`PDB_REQUIRE_BROWSER is set but: ${missing.join('; ')}`);
  const server = await startServer({ apiKeys: `rw:${RW_KEY},ro:${RO_KEY}` });
  const key = RW_KEY;
  try {
    const { base } = server;
    const r = await fetch(`${base}/api/v1/collections`);
    assert.equal(r.status, 401, 'the server must require a key');
    await rest(base, 'POST', '/api/v1/collections', { name: 'secret', dimension: 3 }, key);

    await withBrowser(async (page) => {
      await page.goto(`${base}/dashboard/`);
      await tid(page, 'login-form').waitFor();
      await shot(page, 'login');
      await tid(page, 'login-key').fill('not-the-right-key');
      await tid(page, 'login-submit').click();
      await assertText(tid(page, 'login-error'), /refused this key/);
      // A read-only key browses, and its writes show the server's refusal.
      await tid(page, 'login-key').fill(RO_KEY);
      await tid(page, 'login-submit').click();
      await assertText(tid(page, 'overview-health'), /healthy/);
      await tid(page, 'nav-collections').click();
      await tid(page, 'collection-row-secret').waitFor();
      await tid(page, 'create-name').fill('not_allowed');
      await tid(page, 'create-dimension').fill('3');
      await tid(page, 'create-submit').click();
      await assertText(tid(page, 'create-server-error'), /permission_denied/);
      await tid(page, 'logout').click();
      await tid(page, 'login-form').waitFor();

      // Logging in again stays on the page the session was on.
      await tid(page, 'login-key').fill(key);
      await tid(page, 'login-submit').click();
      await tid(page, 'collection-row-secret').waitFor();
      await tid(page, 'nav-overview').click();
      await assertText(tid(page, 'overview-health'), /healthy/);
      await assertText(tid(page, 'overview-node'), /single node/);
      assert.equal(await page.evaluate(() => sessionStorage.getItem('proximadb.apiKey')), key);
      assert.equal(await page.evaluate(() => localStorage.length), 0, 'the key is not kept in localStorage');

      // Pages load with the key, and writes go through.
      await tid(page, 'nav-collections').click();
      await tid(page, 'collection-row-secret').waitFor();
      await tid(page, 'create-name').fill('made_in_ui');
      await tid(page, 'create-dimension').fill('3');
      await tid(page, 'create-submit').click();
      await assertText(tid(page, 'collection-name'), /^made_in_ui$/);
      assert.equal((await rest(base, 'GET', '/api/v1/collections/made_in_ui', undefined, key)).dimension, 3);

      // A reload keeps the session's key.
      await page.reload();
      await assertText(tid(page, 'collection-name'), /^made_in_ui$/);

      await tid(page, 'logout').click();
      await tid(page, 'login-form').waitFor();
      assert.equal(await page.evaluate(() => sessionStorage.getItem('proximadb.apiKey')), null);
    });
  } catch (e) {
    e.message += `\n--- server stderr (last lines) ---\n${server.stderr().split('\n').slice(-20).join('\n')}`;
    throw e;
  } finally {
    await server.stop();
  }
});

/** Waits until the locator's text matches (Playwright's expect is not in playwright-core). */
async function assertText(locator, re, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let last = '';
  for (;;) {
    try {
      last = (await locator.first().textContent({ timeout: Math.max(100, deadline - Date.now()) })) ?? '';
      if (re.test(last.trim())) return;
    } catch (e) {
      if (Date.now() >= deadline) throw e;
    }
    if (Date.now() >= deadline) assert.fail(`expected text ${re} in ${locator}, got: ${JSON.stringify(last.trim())}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls fn in the page until it returns true. (page.waitForFunction compiles
 * its predicate with new Function, which the server's CSP rightly forbids.)
 */
async function waitInPage(page, fn, arg, timeout = 10000) {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (await page.evaluate(fn, arg)) return;
    await new Promise((r) => setTimeout(r, 150));
  }
  assert.fail(`timed out after ${timeout} ms waiting for ${fn.toString().slice(0, 300)}`);
}

async function waitCount(locator, n, timeout = 10000) {
  const deadline = Date.now() + timeout;
  let c = -1;
  while (Date.now() < deadline) {
    c = await locator.count();
    if (c === n) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  assert.fail(`expected ${n} of ${locator}, found ${c}`);
}
