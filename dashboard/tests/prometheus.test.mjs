// Unit tests of the Prometheus text parser and the quantile/rate computations
// (pure JS, no browser, no server).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  parsePrometheusText,
  parseValue,
  getValue,
  sumByLabel,
  counterDelta,
  histogramQuantile,
  histogramBuckets,
  bucketsDelta,
  requestRates,
  latencyQuantiles,
} from '../src/lib/prometheus.js';

const SCRAPE_A = `# HELP proximadb_requests_total Requests served, by protocol, operation and result code.
# TYPE proximadb_requests_total counter
proximadb_requests_total{protocol="rest",operation="Search",code="ok"} 10
proximadb_requests_total{protocol="rest",operation="Search",code="invalid_argument"} 1
proximadb_requests_total{protocol="grpc",operation="Search",code="ok"} 4
proximadb_requests_total{protocol="rest",operation="Upsert",code="ok"} 3
# TYPE proximadb_request_duration_seconds histogram
proximadb_request_duration_seconds_bucket{protocol="rest",operation="Search",le="0.001"} 5
proximadb_request_duration_seconds_bucket{protocol="rest",operation="Search",le="0.01"} 10
proximadb_request_duration_seconds_bucket{protocol="rest",operation="Search",le="+Inf"} 11
proximadb_request_duration_seconds_sum{protocol="rest",operation="Search"} 0.05
proximadb_request_duration_seconds_count{protocol="rest",operation="Search"} 11
proximadb_request_duration_seconds_bucket{protocol="grpc",operation="Search",le="0.001"} 4
proximadb_request_duration_seconds_bucket{protocol="grpc",operation="Search",le="0.01"} 4
proximadb_request_duration_seconds_bucket{protocol="grpc",operation="Search",le="+Inf"} 4
proximadb_inflight_requests 0
process_resident_memory_bytes 3.0859264e7
`;

// 2 s later: 20 more Search requests, all in the 0.001..0.01 bucket, none of Upsert.
const SCRAPE_B = SCRAPE_A
  .replace('code="ok"} 10', 'code="ok"} 30')
  .replace('operation="Search",le="0.01"} 10', 'operation="Search",le="0.01"} 30')
  .replace('operation="Search",le="+Inf"} 11', 'operation="Search",le="+Inf"} 31');

test('parses names, labels, values and metadata', () => {
  const s = parsePrometheusText(SCRAPE_A);
  assert.equal(s.types.proximadb_requests_total, 'counter');
  assert.equal(s.types.proximadb_request_duration_seconds, 'histogram');
  assert.match(s.help.proximadb_requests_total, /^Requests served/);
  assert.equal(s.samples.length, 14);
  assert.deepEqual(s.samples[0], {
    name: 'proximadb_requests_total',
    labels: { protocol: 'rest', operation: 'Search', code: 'ok' },
    value: 10,
  });
  assert.equal(getValue(s, 'proximadb_inflight_requests'), 0);
  assert.equal(getValue(s, 'process_resident_memory_bytes'), 30859264);
  assert.equal(getValue(s, 'proximadb_uptime_seconds'), undefined);
  assert.equal(getValue(s, 'proximadb_requests_total', { protocol: 'grpc' }), 4);
});

test('label values with escapes, spaces, timestamps and special values', () => {
  const s = parsePrometheusText(
    'm{a="x\\"y",b="back\\\\slash",c="line\\nbreak", d = "sp ace" ,} 1 1700000000000\n' +
      'inf_metric +Inf\nneg -Inf\nnan NaN\nsci 1.5e-3\n',
  );
  assert.deepEqual(s.samples[0].labels, { a: 'x"y', b: 'back\\slash', c: 'line\nbreak', d: 'sp ace' });
  assert.equal(s.samples[0].value, 1);
  assert.equal(getValue(s, 'inf_metric'), Infinity);
  assert.equal(getValue(s, 'neg'), -Infinity);
  assert.ok(Number.isNaN(getValue(s, 'nan')));
  assert.equal(getValue(s, 'sci'), 0.0015);
});

test('malformed lines are errors naming the line', () => {
  assert.throws(() => parsePrometheusText('ok 1\nbad{a="x} 1\n'), /metrics line 2: unterminated value of label a/);
  assert.throws(() => parsePrometheusText('m{a="x"} abc'), /metrics line 1: not a number: 'abc'/);
  assert.throws(() => parsePrometheusText('m{a=x} 1'), /expected '"' for label a/);
  assert.throws(() => parsePrometheusText('m'), /no value/);
  assert.throws(() => parsePrometheusText('{a="b"} 1'), /no metric name/);
  assert.throws(() => parseValue('1x'), /not a number/);
});

test('sums by label and counter deltas with resets', () => {
  const s = parsePrometheusText(SCRAPE_A);
  const byOp = sumByLabel(s, 'proximadb_requests_total', 'operation');
  assert.deepEqual([...byOp.entries()], [['Search', 15], ['Upsert', 3]]);
  assert.equal(counterDelta(5, 8), 3);
  assert.equal(counterDelta(8, 2), 2, 'a restarted counter counts from 0');
  assert.equal(counterDelta(undefined, 7), 7);
});

test('histogram quantile interpolates like Prometheus', () => {
  const b = [
    { le: 0.1, count: 10 },
    { le: 0.2, count: 20 },
    { le: 0.4, count: 40 },
    { le: Infinity, count: 40 },
  ];
  assert.equal(histogramQuantile(0.5, b), 0.2); // rank 20 ends bucket 0.2
  assert.ok(Math.abs(histogramQuantile(0.75, b) - 0.3) < 1e-12); // rank 30: half-way in 0.2..0.4
  assert.ok(Math.abs(histogramQuantile(0.1, b) - 0.04) < 1e-12); // first bucket starts at 0
  assert.equal(histogramQuantile(0, b), 0);
  // Order of input does not matter.
  assert.equal(histogramQuantile(0.5, [...b].reverse()), 0.2);
  // Rank in the +Inf bucket: the highest finite bound.
  const tail = [{ le: 1, count: 1 }, { le: Infinity, count: 10 }];
  assert.equal(histogramQuantile(0.99, tail), 1);
  // Empty, or without +Inf: NaN.
  assert.ok(Number.isNaN(histogramQuantile(0.5, [{ le: 1, count: 0 }, { le: Infinity, count: 0 }])));
  assert.ok(Number.isNaN(histogramQuantile(0.5, [{ le: 1, count: 3 }])));
  assert.equal(histogramQuantile(-1, b), -Infinity);
  assert.equal(histogramQuantile(2, b), Infinity);
});

test('histogram buckets sum over protocols; deltas handle resets', () => {
  const s = parsePrometheusText(SCRAPE_A);
  const h = histogramBuckets(s, 'proximadb_request_duration_seconds', 'operation');
  assert.deepEqual(h.get('Search'), [
    { le: 0.001, count: 9 },
    { le: 0.01, count: 14 },
    { le: Infinity, count: 15 },
  ]);
  const prev = [{ le: 1, count: 5 }, { le: Infinity, count: 6 }];
  assert.deepEqual(bucketsDelta(prev, [{ le: 1, count: 7 }, { le: Infinity, count: 9 }]), [
    { le: 1, count: 2 },
    { le: Infinity, count: 3 },
  ]);
  assert.deepEqual(bucketsDelta(prev, [{ le: 1, count: 1 }, { le: Infinity, count: 1 }]), [
    { le: 1, count: 1 },
    { le: Infinity, count: 1 },
  ]);
});

test('request rates and latency quantiles over the window between two scrapes', () => {
  const a = parsePrometheusText(SCRAPE_A);
  const b = parsePrometheusText(SCRAPE_B);
  const rates = requestRates(a, b, 2);
  assert.equal(rates.get('Search'), 10);
  assert.equal(rates.get('Upsert'), 0);
  const lat = latencyQuantiles(a, b, [0.5, 0.99]);
  assert.deepEqual([...lat.keys()], ['Search'], 'operations without requests in the window are left out');
  const search = lat.get('Search');
  assert.equal(search.count, 20);
  // All 20 in (0.001, 0.01]: p50 at rank 10 is half-way, p99 near the top.
  assert.ok(Math.abs(search.quantiles[0] - 0.0055) < 1e-12, String(search.quantiles[0]));
  assert.ok(Math.abs(search.quantiles[1] - (0.001 + 0.009 * 0.99)) < 1e-12, String(search.quantiles[1]));
});
