// Prometheus text format (0.0.4) parser and the few computations the dashboard
// makes from two scrapes: counter deltas, per-operation request rates and
// latency quantiles from histogram bucket deltas. Plain JavaScript (type-checked
// by tsc through JSDoc) so that `node --test` runs its unit tests without a build.

/**
 * @typedef {{ name: string, labels: Record<string, string>, value: number }} Sample
 * @typedef {{ samples: Sample[], types: Record<string, string>, help: Record<string, string> }} Scrape
 * @typedef {{ le: number, count: number }} Bucket
 */

const NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*/;

/**
 * Parses a float as the text format writes it (`+Inf`, `-Inf`, `NaN` included).
 * @param {string} text
 * @returns {number}
 */
export function parseValue(text) {
  switch (text) {
    case '+Inf':
    case 'Inf':
      return Infinity;
    case '-Inf':
      return -Infinity;
    case 'NaN':
      return NaN;
  }
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) {
    throw new Error(`not a number: '${text}'`);
  }
  return Number(text);
}

/**
 * Parses the Prometheus text exposition format.
 * Throws an Error naming the line for a malformed sample line.
 * @param {string} text
 * @returns {Scrape}
 */
export function parsePrometheusText(text) {
  /** @type {Sample[]} */
  const samples = [];
  /** @type {Record<string, string>} */
  const types = {};
  /** @type {Record<string, string>} */
  const help = {};
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const m = /^#\s+(HELP|TYPE)\s+([a-zA-Z_:][a-zA-Z0-9_:]*)\s*(.*)$/.exec(line);
      if (m) {
        if (m[1] === 'TYPE') types[m[2]] = m[3].trim();
        else help[m[2]] = m[3];
      }
      continue;
    }
    try {
      samples.push(parseSampleLine(line));
    } catch (e) {
      throw new Error(`metrics line ${i + 1}: ${/** @type {Error} */ (e).message}: ${line}`);
    }
  }
  return { samples, types, help };
}

/**
 * @param {string} line
 * @returns {Sample}
 */
function parseSampleLine(line) {
  const nm = NAME_RE.exec(line);
  if (!nm) throw new Error('no metric name');
  const name = nm[0];
  let pos = name.length;
  /** @type {Record<string, string>} */
  const labels = {};
  if (line[pos] === '{') {
    pos++;
    for (;;) {
      while (line[pos] === ' ') pos++;
      if (line[pos] === '}') {
        pos++;
        break;
      }
      const ln = LABEL_NAME_RE.exec(line.slice(pos));
      if (!ln) throw new Error('bad label name');
      pos += ln[0].length;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '=') throw new Error(`expected '=' after label ${ln[0]}`);
      pos++;
      while (line[pos] === ' ') pos++;
      if (line[pos] !== '"') throw new Error(`expected '"' for label ${ln[0]}`);
      pos++;
      let value = '';
      for (;;) {
        if (pos >= line.length) throw new Error(`unterminated value of label ${ln[0]}`);
        const c = line[pos];
        if (c === '\\') {
          const n = line[pos + 1];
          if (n === 'n') value += '\n';
          else if (n === '\\') value += '\\';
          else if (n === '"') value += '"';
          else throw new Error(`bad escape in label ${ln[0]}`);
          pos += 2;
        } else if (c === '"') {
          pos++;
          break;
        } else {
          value += c;
          pos++;
        }
      }
      labels[ln[0]] = value;
      while (line[pos] === ' ') pos++;
      if (line[pos] === ',') pos++;
      else if (line[pos] !== '}') throw new Error(`expected ',' or '}' after label ${ln[0]}`);
    }
  }
  const rest = line.slice(pos).trim().split(/\s+/);
  if (rest.length < 1 || rest[0] === '') throw new Error('no value');
  if (rest.length > 2) throw new Error('trailing text');
  const value = parseValue(rest[0]);
  return { name, labels, value };
}

/**
 * The value of the first sample with this name (and these labels), or undefined.
 * @param {Scrape} scrape
 * @param {string} name
 * @param {Record<string, string>} [labels]
 * @returns {number | undefined}
 */
export function getValue(scrape, name, labels) {
  for (const s of scrape.samples) {
    if (s.name !== name) continue;
    if (labels && !Object.entries(labels).every(([k, v]) => s.labels[k] === v)) continue;
    return s.value;
  }
  return undefined;
}

/**
 * Sums the samples of one metric grouped by one label's value.
 * @param {Scrape} scrape
 * @param {string} name
 * @param {string} label
 * @returns {Map<string, number>}
 */
export function sumByLabel(scrape, name, label) {
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const s of scrape.samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out.set(key, (out.get(key) ?? 0) + s.value);
  }
  return out;
}

/**
 * The increase of a counter between two readings; a smaller current value
 * means the counter restarted (server restart), so the increase is the value.
 * @param {number | undefined} prev
 * @param {number} cur
 * @returns {number}
 */
export function counterDelta(prev, cur) {
  if (prev === undefined || !Number.isFinite(prev)) return cur;
  return cur < prev ? cur : cur - prev;
}

/**
 * Per-key counter increases between two grouped readings.
 * @param {Map<string, number>} prev
 * @param {Map<string, number>} cur
 * @returns {Map<string, number>}
 */
export function deltaByKey(prev, cur) {
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const [k, v] of cur) out.set(k, counterDelta(prev.get(k) ?? 0, v));
  return out;
}

/**
 * Quantile q (0..1) of a cumulative histogram, as Prometheus'
 * histogram_quantile(): linear interpolation inside the bucket holding the
 * rank, the first bucket starting at 0, and the highest finite bound when the
 * rank falls in the +Inf bucket. Returns NaN when the histogram is empty or
 * has no +Inf bucket.
 * @param {number} q
 * @param {Bucket[]} buckets cumulative counts by upper bound `le`
 * @returns {number}
 */
export function histogramQuantile(q, buckets) {
  if (Number.isNaN(q)) return NaN;
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const sorted = [...buckets].sort((a, b) => a.le - b.le);
  if (sorted.length < 2 || sorted[sorted.length - 1].le !== Infinity) return NaN;
  // Cumulative counts must not decrease; repair as Prometheus does.
  for (let i = 1; i < sorted.length; i++) {
    if (sorted[i].count < sorted[i - 1].count) sorted[i] = { le: sorted[i].le, count: sorted[i - 1].count };
  }
  const total = sorted[sorted.length - 1].count;
  if (!(total > 0)) return NaN;
  const rank = q * total;
  let b = sorted.findIndex((bk) => bk.count >= rank);
  if (b < 0) b = sorted.length - 1;
  if (b === sorted.length - 1) return sorted[sorted.length - 2].le;
  if (b === 0 && sorted[0].le <= 0) return sorted[0].le;
  const lower = b === 0 ? 0 : sorted[b - 1].le;
  const below = b === 0 ? 0 : sorted[b - 1].count;
  const inBucket = sorted[b].count - below;
  if (inBucket <= 0) return sorted[b].le;
  return lower + (sorted[b].le - lower) * ((rank - below) / inBucket);
}

/**
 * Buckets of a histogram metric (`<name>_bucket`) grouped by one label,
 * summed over the other labels (e.g. both protocols of an operation).
 * @param {Scrape} scrape
 * @param {string} name histogram name without the `_bucket` suffix
 * @param {string} label
 * @returns {Map<string, Bucket[]>}
 */
export function histogramBuckets(scrape, name, label) {
  /** @type {Map<string, Map<number, number>>} */
  const acc = new Map();
  const bucketName = `${name}_bucket`;
  for (const s of scrape.samples) {
    if (s.name !== bucketName || s.labels.le === undefined) continue;
    const key = s.labels[label] ?? '';
    const le = parseValue(s.labels.le);
    let m = acc.get(key);
    if (!m) acc.set(key, (m = new Map()));
    m.set(le, (m.get(le) ?? 0) + s.value);
  }
  /** @type {Map<string, Bucket[]>} */
  const out = new Map();
  for (const [k, m] of acc) {
    out.set(k, [...m.entries()].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le));
  }
  return out;
}

/**
 * Bucket-wise increase between two readings of one histogram. When any
 * bucket decreased the histogram restarted, and the current counts are the
 * increase.
 * @param {Bucket[] | undefined} prev
 * @param {Bucket[]} cur
 * @returns {Bucket[]}
 */
export function bucketsDelta(prev, cur) {
  if (!prev) return cur.map((b) => ({ ...b }));
  const before = new Map(prev.map((b) => [b.le, b.count]));
  const reset = cur.some((b) => b.count < (before.get(b.le) ?? 0));
  if (reset) return cur.map((b) => ({ ...b }));
  return cur.map((b) => ({ le: b.le, count: b.count - (before.get(b.le) ?? 0) }));
}

/**
 * Request rates (per second) by operation between two scrapes, summed over
 * protocols and result codes, from `proximadb_requests_total`.
 * @param {Scrape} prev
 * @param {Scrape} cur
 * @param {number} seconds time between the scrapes
 * @returns {Map<string, number>}
 */
export function requestRates(prev, cur, seconds) {
  const d = deltaByKey(
    sumByLabel(prev, 'proximadb_requests_total', 'operation'),
    sumByLabel(cur, 'proximadb_requests_total', 'operation'),
  );
  /** @type {Map<string, number>} */
  const out = new Map();
  for (const [op, n] of d) out.set(op, seconds > 0 ? n / seconds : 0);
  return out;
}

/**
 * Latency quantiles by operation over the requests made between two scrapes,
 * from `proximadb_request_duration_seconds`. Operations without requests in
 * the window are left out.
 * @param {Scrape} prev
 * @param {Scrape} cur
 * @param {number[]} qs quantiles, e.g. [0.5, 0.99]
 * @returns {Map<string, { count: number, quantiles: number[] }>}
 */
export function latencyQuantiles(prev, cur, qs) {
  const before = histogramBuckets(prev, 'proximadb_request_duration_seconds', 'operation');
  const after = histogramBuckets(cur, 'proximadb_request_duration_seconds', 'operation');
  /** @type {Map<string, { count: number, quantiles: number[] }>} */
  const out = new Map();
  for (const [op, buckets] of after) {
    const delta = bucketsDelta(before.get(op), buckets);
    const inf = delta.find((b) => b.le === Infinity);
    const count = inf ? inf.count : 0;
    if (count <= 0) continue;
    out.set(op, { count, quantiles: qs.map((q) => histogramQuantile(q, delta)) });
  }
  return out;
}
