import { useEffect, useMemo, useState } from 'react';
import { api, fetchMetrics, type ClusterInfo, type Health } from '../api';
import { ErrorBox, LineChart, href, type Series } from '../components';
import { formatBytes, formatDuration, formatLatency, formatNumber } from '../lib/format.js';
import {
  counterDelta,
  getValue,
  latencyQuantiles,
  parsePrometheusText,
  requestRates,
  sumByLabel,
  type Scrape,
} from '../lib/prometheus.js';

const POLL_MS = 2000;
const KEEP = 61; // scrapes kept: two minutes of history
const LATENCY_WINDOW = 5; // scrapes: quantiles over the last ~10 s of requests
const MAX_SERIES = 6;

interface Sample {
  t: number;
  scrape: Scrape;
}

export function Overview() {
  const [history, setHistory] = useState<Sample[]>([]);
  const [metricsError, setMetricsError] = useState<Error>();
  const [health, setHealth] = useState<Health>();
  const [healthError, setHealthError] = useState<Error>();
  const [cluster, setCluster] = useState<ClusterInfo>();
  const [clusterError, setClusterError] = useState<Error>();

  useEffect(() => {
    let live = true;
    let timer: number | undefined;
    const poll = async () => {
      const t = Date.now();
      await Promise.all([
        fetchMetrics()
          .then((text) => {
            const scrape = parsePrometheusText(text);
            if (!live) return;
            setMetricsError(undefined);
            setHistory((h) => [...h, { t, scrape }].slice(-KEEP));
          })
          .catch((e: Error) => live && setMetricsError(e)),
        fetch('/health')
          .then(async (r) => {
            if (!r.ok) throw new Error(`GET /health: HTTP ${r.status}`);
            return (await r.json()) as Health;
          })
          .then((h) => {
            if (!live) return;
            setHealth(h);
            setHealthError(undefined);
          })
          .catch((e: Error) => {
            if (!live) return;
            setHealth(undefined);
            setHealthError(e);
          }),
      ]);
      if (live) timer = window.setTimeout(poll, POLL_MS);
    };
    poll();
    api<ClusterInfo>('GET', '/api/v1/cluster')
      .then((c) => live && setCluster(c))
      .catch((e: Error) => live && setClusterError(e));
    return () => {
      live = false;
      window.clearTimeout(timer);
    };
  }, []);

  const latest = history.length ? history[history.length - 1].scrape : undefined;
  const charts = useMemo(() => deriveCharts(history), [history]);

  const uptime = latest ? getValue(latest, 'proximadb_uptime_seconds') : undefined;
  const memory = latest ? getValue(latest, 'process_resident_memory_bytes') : undefined;
  const buildVersion = latest?.samples.find((s) => s.name === 'proximadb_build_info')?.labels.version;
  const collections = latest ? collectionRows(latest) : [];

  return (
    <div>
      <h1>Overview</h1>
      <div className="cards">
        <Card label="Health" testid="overview-health">
          {health ? (
            <span className={health.status === 'healthy' ? 'ok' : 'bad'}>{health.status}</span>
          ) : healthError ? (
            <span className="bad" title={healthError.message}>
              unreachable
            </span>
          ) : (
            '…'
          )}
        </Card>
        <Card label="Version" testid="overview-version">
          {health?.version ?? buildVersion ?? '…'}
        </Card>
        <Card label="Uptime" testid="overview-uptime">
          {!latest ? '…' : uptime === undefined ? <span className="muted">not reported by this server</span> : formatDuration(uptime)}
        </Card>
        <Card label="Node" testid="overview-node">
          {cluster ? (cluster.enabled ? cluster.node_id || '(no id)' : 'single node') : clusterError ? <span className="bad">{clusterError.message}</span> : '…'}
        </Card>
        <Card label="Memory (RSS)" testid="overview-memory">
          {!latest ? '…' : memory === undefined ? <span className="muted">not reported</span> : formatBytes(memory)}
        </Card>
        <Card label="Requests in flight" testid="overview-inflight">
          {latest ? formatNumber(getValue(latest, 'proximadb_inflight_requests')) : '…'}
        </Card>
      </div>
      <ErrorBox error={metricsError} testid="overview-metrics-error" />
      {healthError && <ErrorBox error={healthError} testid="overview-health-error" />}

      <h2>Live activity</h2>
      <p className="muted small">
        From <code>/metrics</code> every {POLL_MS / 1000} s; rates are per second between two scrapes, latency quantiles over the
        requests of the last ~{(LATENCY_WINDOW * POLL_MS) / 1000} s. The dashboard's own polling of <code>/health</code> counts as traffic.
      </p>
      <div className="charts">
        <LineChart title="Requests per second by operation" series={charts.rates} times={charts.times} format={formatRate} testid="chart-request-rate" />
        <LineChart title="p50 latency by operation" series={charts.p50} times={charts.times} format={formatLatency} testid="chart-latency-p50" empty="no requests in the window" />
        <LineChart title="p99 latency by operation" series={charts.p99} times={charts.times} format={formatLatency} testid="chart-latency-p99" empty="no requests in the window" />
        <LineChart title="Flushes and compactions per interval (all collections)" series={charts.storage} times={charts.times} format={(v) => formatNumber(Math.round(v * 100) / 100)} testid="chart-storage" bars />
      </div>

      <h2>Collections</h2>
      {!latest ? (
        <p className="muted">loading…</p>
      ) : collections.length === 0 ? (
        <p className="muted" data-testid="overview-no-collections">
          No collections. <a href={href(['collections'])}>Create one</a>.
        </p>
      ) : (
        <table data-testid="overview-collections">
          <thead>
            <tr>
              <th>Collection</th>
              <th className="num">Points</th>
              <th className="num">Unflushed</th>
              <th className="num">Segments</th>
              <th className="num">Segment bytes</th>
              <th className="num">Flushes</th>
              <th className="num">Compactions</th>
            </tr>
          </thead>
          <tbody>
            {collections.map((c) => (
              <tr key={c.name} data-testid={`overview-collection-${c.name}`}>
                <td>
                  <a href={href(['collections', c.name])}>{c.name}</a>
                </td>
                <td className="num">{formatNumber(c.points)}</td>
                <td className="num">{formatNumber(c.memtable)}</td>
                <td className="num">{formatNumber(c.segments)}</td>
                <td className="num">{formatBytes(c.bytes)}</td>
                <td className="num">{formatNumber(c.flushes)}</td>
                <td className="num">{formatNumber(c.compactions)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

function Card({ label, testid, children }: { label: string; testid: string; children: React.ReactNode }) {
  return (
    <div className="card" data-testid={testid}>
      <div className="card-label">{label}</div>
      <div className="card-value">{children}</div>
    </div>
  );
}

function formatRate(v: number): string {
  if (v === 0) return '0/s';
  if (v < 0.1) return `${v.toFixed(3)}/s`;
  if (v < 10) return `${v.toFixed(2)}/s`;
  return `${v.toFixed(0)}/s`;
}

interface CollectionRow {
  name: string;
  points?: number;
  memtable?: number;
  segments?: number;
  bytes?: number;
  flushes?: number;
  compactions?: number;
}

function collectionRows(s: Scrape): CollectionRow[] {
  const points = sumByLabel(s, 'proximadb_collection_points', 'collection');
  const memtable = sumByLabel(s, 'proximadb_collection_memtable_points', 'collection');
  const segments = sumByLabel(s, 'proximadb_collection_segments', 'collection');
  const bytes = sumByLabel(s, 'proximadb_segment_bytes', 'collection');
  const flushes = sumByLabel(s, 'proximadb_collection_flushes_total', 'collection');
  const compactions = sumByLabel(s, 'proximadb_collection_compactions_total', 'collection');
  const names = new Set([...points.keys(), ...segments.keys()]);
  return [...names]
    .filter((n) => n !== '')
    .sort()
    .map((name) => ({
      name,
      points: points.get(name),
      memtable: memtable.get(name),
      segments: segments.get(name),
      bytes: bytes.get(name),
      flushes: flushes.get(name),
      compactions: compactions.get(name),
    }));
}

function topSeries(byName: Map<string, (number | null)[]>): Series[] {
  const total = (vs: (number | null)[]) => vs.reduce<number>((a, v) => a + (v !== null && Number.isFinite(v) ? v : 0), 0);
  return [...byName.entries()]
    .filter(([, vs]) => vs.some((v) => v !== null && v !== 0))
    .sort((a, b) => total(b[1]) - total(a[1]) || a[0].localeCompare(b[0]))
    .slice(0, MAX_SERIES)
    .map(([name, values]) => ({ name, values }));
}

function deriveCharts(history: Sample[]) {
  const times: number[] = [];
  const rates = new Map<string, (number | null)[]>();
  const p50 = new Map<string, (number | null)[]>();
  const p99 = new Map<string, (number | null)[]>();
  const flushes: number[] = [];
  const compactions: number[] = [];
  const points = history.length - 1;
  const put = (m: Map<string, (number | null)[]>, key: string, i: number, v: number | null) => {
    let arr = m.get(key);
    if (!arr) m.set(key, (arr = new Array<number | null>(points).fill(null)));
    arr[i] = v;
  };
  for (let i = 1; i < history.length; i++) {
    const idx = i - 1;
    const prev = history[i - 1];
    const cur = history[i];
    times.push(cur.t);
    const dt = (cur.t - prev.t) / 1000;
    for (const [op, r] of requestRates(prev.scrape, cur.scrape, dt)) put(rates, op, idx, r);
    const windowStart = history[Math.max(0, i - LATENCY_WINDOW)];
    for (const [op, q] of latencyQuantiles(windowStart.scrape, cur.scrape, [0.5, 0.99])) {
      put(p50, op, idx, q.quantiles[0]);
      put(p99, op, idx, q.quantiles[1]);
    }
    flushes.push(totalDelta(prev.scrape, cur.scrape, 'proximadb_collection_flushes_total'));
    compactions.push(totalDelta(prev.scrape, cur.scrape, 'proximadb_collection_compactions_total'));
  }
  // Operations first seen later have no rate before: that is 0, not unknown.
  for (const arr of rates.values()) for (let i = 0; i < arr.length; i++) if (arr[i] === null) arr[i] = 0;
  const storage: Series[] = times.length
    ? [
        { name: 'flushes', values: flushes },
        { name: 'compactions', values: compactions },
      ]
    : [];
  return { times, rates: topSeries(rates), p50: topSeries(p50), p99: topSeries(p99), storage };
}

function totalDelta(prev: Scrape, cur: Scrape, name: string): number {
  const before = sumByLabel(prev, name, 'collection');
  let sum = 0;
  for (const [k, v] of sumByLabel(cur, name, 'collection')) sum += counterDelta(before.get(k) ?? 0, v);
  return sum;
}
