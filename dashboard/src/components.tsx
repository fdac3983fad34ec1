import { useCallback, useEffect, useRef, useState, type ReactNode } from 'react';
import { ApiError } from './api';

// ---- hash routing: #/collections/foo?x=1 (the server has no SPA fallback) ----

export interface Route {
  path: string[];
  query: URLSearchParams;
}

function parseHash(): Route {
  const h = window.location.hash.replace(/^#/, '') || '/';
  const [p, q = ''] = h.split('?', 2);
  const path = p
    .split('/')
    .filter((s) => s !== '')
    .map((s) => {
      try {
        return decodeURIComponent(s);
      } catch {
        return s;
      }
    });
  return { path, query: new URLSearchParams(q) };
}

export function useRoute(): Route {
  const [route, setRoute] = useState(parseHash);
  useEffect(() => {
    const on = () => setRoute(parseHash());
    window.addEventListener('hashchange', on);
    return () => window.removeEventListener('hashchange', on);
  }, []);
  return route;
}

/** Builds an href for the hash router from path segments (each encoded). */
export function href(segments: string[], query?: Record<string, string | undefined>): string {
  const p = '#/' + segments.map((s) => encodeURIComponent(s)).join('/');
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined && v !== '') q.set(k, v);
  const qs = q.toString();
  return qs ? `${p}?${qs}` : p;
}

export function navigate(segments: string[], query?: Record<string, string | undefined>): void {
  window.location.hash = href(segments, query);
}

// ---- loading data ----

export interface Async<T> {
  data?: T;
  error?: Error;
  loading: boolean;
  reload: () => void;
}

/** Runs `load` on mount and whenever `deps` change; `reload()` runs it again. */
export function useAsync<T>(load: () => Promise<T>, deps: unknown[]): Async<T> {
  const [state, setState] = useState<{ data?: T; error?: Error; loading: boolean }>({ loading: true });
  const [tick, setTick] = useState(0);
  const loadRef = useRef(load);
  loadRef.current = load;
  useEffect(() => {
    let live = true;
    setState((s) => ({ ...s, loading: true }));
    loadRef
      .current()
      .then((data) => live && setState({ data, loading: false }))
      .catch((error: Error) => live && setState({ error, loading: false }));
    return () => {
      live = false;
    };
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((t) => t + 1), []);
  return { ...state, reload };
}

// ---- small UI pieces ----

export function ErrorBox({ error, testid }: { error: unknown; testid?: string }) {
  if (!error) return null;
  const e = error as Error;
  const code = error instanceof ApiError && error.code !== 'network' ? error.code : undefined;
  return (
    <div className="error" role="alert" data-testid={testid ?? 'error'}>
      {code && <span className="error-code">{code}</span>}
      {e.message ?? String(error)}
    </div>
  );
}

export function Notice({ children, testid }: { children: ReactNode; testid?: string }) {
  return (
    <div className="notice" data-testid={testid}>
      {children}
    </div>
  );
}

/** A button that asks for confirmation inline before running `onConfirm`. */
export function ConfirmButton(props: {
  label: string;
  question: string;
  onConfirm: () => Promise<void> | void;
  testid: string;
  disabled?: boolean;
}) {
  const [asking, setAsking] = useState(false);
  const [busy, setBusy] = useState(false);
  if (!asking) {
    return (
      <button className="danger" data-testid={props.testid} disabled={props.disabled} onClick={() => setAsking(true)}>
        {props.label}
      </button>
    );
  }
  return (
    <span className="confirm" data-testid={`${props.testid}-confirm-box`}>
      <span>{props.question}</span>
      <button
        className="danger"
        data-testid={`${props.testid}-confirm`}
        disabled={busy}
        onClick={async () => {
          setBusy(true);
          try {
            await props.onConfirm();
          } finally {
            setBusy(false);
            setAsking(false);
          }
        }}
      >
        Yes, {props.label.toLowerCase()}
      </button>
      <button data-testid={`${props.testid}-cancel`} disabled={busy} onClick={() => setAsking(false)}>
        Cancel
      </button>
    </span>
  );
}

export function JsonView({ value, testid }: { value: unknown; testid?: string }) {
  return (
    <pre className="json" data-testid={testid}>
      {JSON.stringify(value, null, 2)}
    </pre>
  );
}

// ---- SVG line chart (no chart library) ----

export interface Series {
  name: string;
  values: (number | null)[];
}

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#d97706', '#7c3aed', '#0891b2', '#db2777', '#4b5563'];

const colorIndex = new Map<string, number>();

/** One color per series name, the same in every chart (first come, first served). */
export function colorOf(name: string): string {
  let i = colorIndex.get(name);
  if (i === undefined) colorIndex.set(name, (i = colorIndex.size));
  return COLORS[i % COLORS.length];
}

function niceMax(v: number): number {
  if (!(v > 0)) return 1;
  const p = Math.pow(10, Math.floor(Math.log10(v)));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

/**
 * A line chart of several series over the same sample times. `data-samples`
 * counts the samples drawn and `data-nonzero` the non-zero values, so a test
 * can see the chart move.
 */
export function LineChart(props: {
  title: string;
  series: Series[];
  times: number[];
  format: (v: number) => string;
  testid: string;
  empty?: string;
  /** Draw side-by-side bars per sample instead of lines (for counts per interval). */
  bars?: boolean;
}) {
  const W = 560;
  const H = 170;
  const L = 64;
  const R = 10;
  const T = 10;
  const B = 22;
  const { series, times } = props;
  let max = 0;
  let nonzero = 0;
  for (const s of series)
    for (const v of s.values)
      if (v !== null && Number.isFinite(v)) {
        if (v > max) max = v;
        if (v !== 0) nonzero++;
      }
  const top = niceMax(max);
  const n = times.length;
  const x = (i: number) => L + (n <= 1 ? 0 : (i / (n - 1)) * (W - L - R));
  const y = (v: number) => T + (1 - v / top) * (H - T - B);
  const span = n >= 2 ? Math.round((times[n - 1] - times[0]) / 1000) : 0;
  return (
    <figure className="chart" data-testid={props.testid} data-samples={n} data-nonzero={nonzero} data-series={series.map((s) => s.name).join(',')}>
      <figcaption>{props.title}</figcaption>
      <svg viewBox={`0 0 ${W} ${H}`} role="img" aria-label={props.title}>
        {[0, 0.5, 1].map((f) => (
          <g key={f}>
            <line x1={L} x2={W - R} y1={y(top * f)} y2={y(top * f)} className="grid" />
            <text x={L - 6} y={y(top * f) + 4} textAnchor="end" className="axis">
              {props.format(top * f)}
            </text>
          </g>
        ))}
        <text x={L} y={H - 5} className="axis">
          {span > 0 ? `−${span}s` : ''}
        </text>
        <text x={W - R} y={H - 5} textAnchor="end" className="axis">
          now
        </text>
        {props.bars &&
          series.map((s, si) => {
            const slot = n <= 1 ? W - L - R : (W - L - R) / (n - 1);
            const bw = Math.max(1, Math.min(14, (slot * 0.8) / series.length));
            return (
              <g key={s.name}>
                {s.values.map((v, i) =>
                  v === null || !Number.isFinite(v) || v === 0 ? null : (
                    <rect key={i} x={x(i) - (bw * series.length) / 2 + si * bw} y={y(v)} width={bw} height={y(0) - y(v)} fill={colorOf(s.name)} />
                  ),
                )}
              </g>
            );
          })}
        {!props.bars && series.map((s) => {
          // Break the line where a value is missing (null).
          const parts: string[] = [];
          let cur = '';
          s.values.forEach((v, i) => {
            if (v === null || !Number.isFinite(v)) {
              if (cur) parts.push(cur);
              cur = '';
              return;
            }
            cur += `${cur ? 'L' : 'M'}${x(i).toFixed(1)},${y(v).toFixed(1)}`;
          });
          if (cur) parts.push(cur);
          return (
            <g key={s.name}>
              {parts.map((d, k) =>
                d.includes('L') ? (
                  <path key={k} d={d} fill="none" stroke={colorOf(s.name)} strokeWidth={1.8} />
                ) : (
                  <circle key={k} cx={d.slice(1).split(',')[0]} cy={d.split(',')[1]} r={2} fill={colorOf(s.name)} />
                ),
              )}
            </g>
          );
        })}
      </svg>
      {series.length === 0 ? (
        <div className="chart-empty">{props.empty ?? 'no data yet'}</div>
      ) : (
        <ul className="legend">
          {series.map((s) => {
            const last = [...s.values].reverse().find((v) => v !== null && Number.isFinite(v));
            return (
              <li key={s.name}>
                <span className="swatch" style={{ background: colorOf(s.name) }} />
                {s.name} <span className="muted">{last === undefined || last === null ? '—' : props.format(last)}</span>
              </li>
            );
          })}
        </ul>
      )}
    </figure>
  );
}
