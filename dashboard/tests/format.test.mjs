// Unit tests of the formatting and vector helpers (pure JS).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatBytes, formatDuration, formatLatency, formatNumber, vectorSummary, parseVectorText } from '../src/lib/format.js';

test('formats bytes, durations, latencies and numbers', () => {
  assert.equal(formatBytes(512), '512 B');
  assert.equal(formatBytes(30859264), '29.4 MiB');
  assert.equal(formatBytes(undefined), '—');
  assert.equal(formatDuration(59.9), '59s');
  assert.equal(formatDuration(3725), '1h 2m');
  assert.equal(formatDuration(90061), '1d 1h');
  assert.equal(formatLatency(0.000412), '412 µs');
  assert.equal(formatLatency(0.0055), '5.50 ms');
  assert.equal(formatLatency(2.5), '2.50 s');
  assert.equal(formatLatency(NaN), '—');
  assert.equal(formatNumber(1234567), '1,234,567');
  assert.equal(formatNumber(0.93094), '0.931');
});

test('summarises a vector', () => {
  const s = vectorSummary([3, 4, 0, 0, 0, 0, 0, 0, 0, 1], 3);
  assert.equal(s.dimension, 10);
  assert.deepEqual(s.first, [3, 4, 0]);
  assert.ok(Math.abs(s.norm - Math.sqrt(26)) < 1e-12);
});

test('parses typed vectors and says what is wrong', () => {
  assert.deepEqual(parseVectorText('[1, 2.5, -3e-1]'), [1, 2.5, -0.3]);
  assert.deepEqual(parseVectorText(' 1, 2 3\n4 '), [1, 2, 3, 4]);
  assert.throws(() => parseVectorText(''), /empty/);
  assert.throws(() => parseVectorText('[1, 2'), /not valid JSON/);
  assert.throws(() => parseVectorText('1, x, 3'), /value 2 of the vector is not a finite number: "x"/);
  assert.throws(() => parseVectorText('{"a": 1}'), /not a finite number|array/);
  assert.throws(() => parseVectorText('[1, "2"]'), /value 2/);
});
