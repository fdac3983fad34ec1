// Small formatting helpers shared by the pages (unit-tested by tests/format.test.mjs).

/**
 * @param {number | undefined | null} n
 * @returns {string}
 */
export function formatBytes(n) {
  if (n === undefined || n === null || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let v = n;
  let u = 0;
  while (Math.abs(v) >= 1024 && u < units.length - 1) {
    v /= 1024;
    u++;
  }
  return u === 0 ? `${v} B` : `${v.toFixed(v >= 100 ? 0 : 1)} ${units[u]}`;
}

/**
 * A duration in seconds as "3d 4h", "2h 5m", "4m 10s" or "12s".
 * @param {number | undefined | null} seconds
 * @returns {string}
 */
export function formatDuration(seconds) {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.floor(seconds);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${sec}s`;
  return `${sec}s`;
}

/**
 * A latency in seconds with a readable unit (µs, ms, s).
 * @param {number | undefined | null} seconds
 * @returns {string}
 */
export function formatLatency(seconds) {
  if (seconds === undefined || seconds === null || !Number.isFinite(seconds)) return '—';
  if (seconds < 1e-3) return `${(seconds * 1e6).toFixed(0)} µs`;
  if (seconds < 1) return `${(seconds * 1e3).toFixed(seconds < 0.01 ? 2 : 1)} ms`;
  return `${seconds.toFixed(2)} s`;
}

/**
 * A number compactly: integers as they are (with thousands separators), others with 3 significant digits.
 * @param {number | undefined | null} n
 * @returns {string}
 */
export function formatNumber(n) {
  if (n === undefined || n === null || Number.isNaN(n)) return '—';
  if (!Number.isFinite(n)) return n > 0 ? '∞' : '-∞';
  if (Number.isInteger(n)) return n.toLocaleString('en-US');
  const a = Math.abs(n);
  if (a >= 100) return n.toFixed(0);
  if (a >= 1) return n.toFixed(2);
  if (a === 0) return '0';
  return n.toPrecision(3);
}

/**
 * Dimension, first values and L2 norm of a vector.
 * @param {number[]} vector
 * @param {number} [first] how many leading values to keep (default 8)
 * @returns {{ dimension: number, first: number[], norm: number }}
 */
export function vectorSummary(vector, first = 8) {
  let sq = 0;
  for (const x of vector) sq += x * x;
  return { dimension: vector.length, first: vector.slice(0, first), norm: Math.sqrt(sq) };
}

/**
 * Parses a vector typed by a person: a JSON array, or numbers separated by
 * commas and/or whitespace. Throws an Error saying what is wrong.
 * @param {string} text
 * @returns {number[]}
 */
export function parseVectorText(text) {
  const t = text.trim();
  if (t === '') throw new Error('the vector is empty');
  /** @type {unknown[]} */
  let items;
  if (t.startsWith('[')) {
    let parsed;
    try {
      parsed = JSON.parse(t);
    } catch (e) {
      throw new Error(`the vector is not valid JSON: ${/** @type {Error} */ (e).message}`);
    }
    if (!Array.isArray(parsed)) throw new Error('the vector must be an array of numbers');
    items = parsed;
  } else {
    items = t.split(/[\s,]+/).filter((x) => x !== '').map((x) => (/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(x) ? Number(x) : x));
  }
  const out = [];
  for (let i = 0; i < items.length; i++) {
    const v = items[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new Error(`value ${i + 1} of the vector is not a finite number: ${JSON.stringify(v)}`);
    }
    out.push(v);
  }
  if (out.length === 0) throw new Error('the vector is empty');
  return out;
}
