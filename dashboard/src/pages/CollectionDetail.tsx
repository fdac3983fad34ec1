import { useEffect, useState } from 'react';
import { api, collectionPath, enc, type Collection, type FlushPolicy, type PayloadIndex, type BackgroundIo, type BackgroundTask, type RecallEstimate, type Segment, type Stats } from '../api';
import { ConfirmButton, ErrorBox, JsonView, Notice, href, navigate, useAsync } from '../components';
import { formatBytes, formatDuration, formatNumber } from '../lib/format.js';
import { checkIndexField, checkNumber, type NumRule } from '../lib/validate.js';

export function CollectionDetail({ name }: { name: string }) {
  const info = useAsync(() => api<Collection>('GET', collectionPath(name)), [name]);
  const stats = useAsync(() => api<Stats>('GET', `${collectionPath(name)}/stats`), [name]);
  const segments = useAsync(() => api<{ segments: Segment[] }>('GET', `${collectionPath(name)}/segments`), [name]);
  const [actionMsg, setActionMsg] = useState<string>();
  const [actionError, setActionError] = useState<Error>();
  const [busy, setBusy] = useState<string>();

  const reloadAll = () => {
    info.reload();
    stats.reload();
    segments.reload();
  };

  const run = async (what: 'flush' | 'compact') => {
    setBusy(what);
    setActionMsg(undefined);
    setActionError(undefined);
    try {
      const r = await api<{ status: string }>('POST', `${collectionPath(name)}/${what}`);
      setActionMsg(`${what === 'flush' ? 'Flush' : 'Compaction'} done: ${r.status}.`);
      reloadAll();
    } catch (e) {
      setActionError(e as Error);
    } finally {
      setBusy(undefined);
    }
  };

  if (info.error) {
    return (
      <div>
        <h1>Collection {name}</h1>
        <ErrorBox error={info.error} testid="collection-error" />
        <a href={href(['collections'])}>Back to collections</a>
      </div>
    );
  }
  const c = info.data;
  return (
    <div data-testid="collection-page">
      <div className="title-row">
        <h1>
          Collection <span data-testid="collection-name">{name}</span>
        </h1>
        <div className="actions">
          <a className="button" href={href(['collections', name, 'points'])} data-testid="collection-points-link">
            Browse points
          </a>
          <a className="button" href={href(['search'], { collection: name })} data-testid="collection-search-link">
            Search
          </a>
          <button onClick={() => run('flush')} disabled={!!busy} data-testid="collection-flush">
            {busy === 'flush' ? 'Flushing…' : 'Flush'}
          </button>
          <button onClick={() => run('compact')} disabled={!!busy} data-testid="collection-compact">
            {busy === 'compact' ? 'Compacting…' : 'Compact'}
          </button>
          <button onClick={reloadAll} data-testid="collection-refresh">
            Refresh
          </button>
          <ConfirmButton
            label="Delete"
            question={`Delete ${name} and all its points?`}
            testid="collection-delete"
            onConfirm={async () => {
              try {
                await api('DELETE', collectionPath(name));
                navigate(['collections']);
              } catch (e) {
                setActionError(e as Error);
              }
            }}
          />
        </div>
      </div>
      {actionMsg && <Notice testid="collection-action-message">{actionMsg}</Notice>}
      <ErrorBox error={actionError} testid="collection-action-error" />

      <div className="two-col">
        <section className="panel">
          <h2>Configuration</h2>
          {c ? (
            <dl className="kv" data-testid="collection-config">
              <dt>Dimension</dt>
              <dd data-testid="config-dimension">{c.dimension}</dd>
              <dt>Distance metric</dt>
              <dd data-testid="config-metric">{c.distance_metric}</dd>
              <dt>Index</dt>
              <dd>
                {c.indexing_algorithm}
                {c.index ? ` — ${Object.entries(c.index).filter(([k]) => k !== 'kind').map(([k, v]) => `${k} ${String(v)}`).join(', ')}` : ''}
              </dd>
              <dt>Storage</dt>
              <dd>
                {c.storage_strategy ?? '—'}, memtable {c.memtable ?? '—'}, WAL {c.wal_format ?? '—'}
              </dd>
              <dt>Shards × replicas</dt>
              <dd>
                {c.shard_count ?? 1} × {c.replication_factor ?? 1}
              </dd>
              <dt>Created</dt>
              <dd>{c.created_at ? new Date(c.created_at).toLocaleString() : '—'}</dd>
              <dt>Tiering</dt>
              <dd>{c.tiering ? Object.entries(c.tiering).map(([k, v]) => `${k} ${JSON.stringify(v)}`).join(', ') : '—'}</dd>
            </dl>
          ) : (
            <p className="muted">loading…</p>
          )}
        </section>
        <section className="panel">
          <h2>Stats</h2>
          <ErrorBox error={stats.error} testid="stats-error" />
          {stats.data && (
            <dl className="kv" data-testid="collection-stats">
              <dt>Points</dt>
              <dd data-testid="stats-points">{formatNumber(stats.data.point_count)}</dd>
              <dt>Segments</dt>
              <dd data-testid="stats-segments">{formatNumber(stats.data.segment_count)}</dd>
              <dt>Unflushed points</dt>
              <dd data-testid="stats-memtable">{formatNumber(stats.data.memtable_points)}</dd>
              <dt>WAL</dt>
              <dd>{formatBytes(stats.data.wal_bytes)}</dd>
              <dt>Oldest unflushed write</dt>
              <dd>{stats.data.oldest_unflushed_age_seconds ? formatDuration(stats.data.oldest_unflushed_age_seconds) : 'none'}</dd>
              <dt>Last sequence</dt>
              <dd>{formatNumber(stats.data.last_sequence)}</dd>
              <dt>Recall estimate</dt>
              <dd data-testid="stats-recall">{recallText(stats.data.recall_estimate)}</dd>
              {stats.data.background_io && (
                <>
                  <dt>Background writes</dt>
                  <dd data-testid="stats-background-io">{backgroundText(stats.data.background_io)}</dd>
                  {stats.data.background_io.tasks.map((t, i) => (
                    <FragmentKV key={`task-${i}`} k={`Running: ${t.kind.replace('_', ' ')}`} v={taskText(t)} />
                  ))}
                </>
              )}
              {stats.data.tiers &&
                ['hot', 'warm', 'cold']
                  .filter((tier) => stats.data!.tiers![tier])
                  .map((tier) => {
                    const t = stats.data!.tiers![tier];
                    return <FragmentKV key={tier} k={`Tier ${tier}`} v={`${plural(t.segments, 'segment')}, ${formatBytes(t.bytes)}, ${plural(t.points, 'point')}`} />;
                  })}
            </dl>
          )}
        </section>
      </div>

      {c && <FlushPolicyEditor name={name} policy={c.flush_policy} onSaved={reloadAll} />}

      <section className="panel">
        <h2>Segments</h2>
        <ErrorBox error={segments.error} testid="segments-error" />
        {segments.data && segments.data.segments.length === 0 && (
          <p className="muted" data-testid="segments-empty">
            No segments yet: every point is still in the memtable (flush to write a segment).
          </p>
        )}
        {segments.data && segments.data.segments.length > 0 && (
          <table data-testid="segments-table">
            <thead>
              <tr>
                <th className="num">Id</th>
                <th>Tier</th>
                <th className="num">Points</th>
                <th className="num">Live</th>
                <th className="num">Bytes</th>
                <th className="num">Sequences</th>
                <th>Graph</th>
                <th>Newest write</th>
                <th>Directory</th>
              </tr>
            </thead>
            <tbody>
              {segments.data.segments.map((s) => (
                <tr key={s.id} data-testid={`segment-${s.id}`}>
                  <td className="num">{s.id}</td>
                  <td>
                    <span className={`tier tier-${s.tier}`} data-testid={`segment-${s.id}-tier`}>
                      {s.tier}
                    </span>
                    {s.tier === 'cold' ? (s.cached ? ' (cached)' : ' (not cached)') : ''}
                  </td>
                  <td className="num">{formatNumber(s.points)}</td>
                  <td className="num">{formatNumber(s.live_points)}</td>
                  <td className="num">{formatBytes(s.bytes)}</td>
                  <td className="num">
                    {s.min_seq}–{s.max_seq}
                  </td>
                  <td>{s.graph_loaded ? 'loaded' : 'not loaded'}</td>
                  <td>{s.newest_write_unix_ms ? new Date(s.newest_write_unix_ms).toLocaleString() : 'unknown'}</td>
                  <td className="mono small">{s.directory || '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>

      <PayloadIndexes name={name} />

      {c && (
        <details className="panel">
          <summary>Raw collection JSON</summary>
          <JsonView value={c} />
        </details>
      )}
    </div>
  );
}

function plural(n: number, word: string): string {
  return `${formatNumber(n)} ${word}${n === 1 ? '' : 's'}`;
}

function FragmentKV({ k, v }: { k: string; v: string }) {
  return (
    <>
      <dt>{k}</dt>
      <dd>{v}</dd>
    </>
  );
}

const FLUSH_FIELDS: { key: keyof FlushPolicy; rule: NumRule }[] = [
  { key: 'max_wal_age_hours', rule: { kind: 'number', min: 0, exclusiveMin: true } },
  { key: 'max_wal_size_mb', rule: { kind: 'number', min: 0, exclusiveMin: true } },
  { key: 'max_vector_count', rule: { kind: 'int', min: 1 } },
  { key: 'flush_priority', rule: { kind: 'int', min: 1, max: 100 } },
];

function FlushPolicyEditor({ name, policy, onSaved }: { name: string; policy: FlushPolicy; onSaved: () => void }) {
  const initial = () => ({
    max_wal_age_hours: String(policy.max_wal_age_hours),
    max_wal_size_mb: String(policy.max_wal_size_mb),
    max_vector_count: String(policy.max_vector_count),
    flush_priority: String(policy.flush_priority),
    enable_background_flush: policy.enable_background_flush,
  });
  const [form, setForm] = useState(initial);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [serverError, setServerError] = useState<Error>();
  const [saved, setSaved] = useState<string>();
  const [busy, setBusy] = useState(false);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  useEffect(() => setForm(initial()), [JSON.stringify(policy)]);

  return (
    <form
      className="panel"
      data-testid="flush-policy-form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setSaved(undefined);
        setServerError(undefined);
        const errs: Record<string, string> = {};
        const body: Record<string, unknown> = {};
        for (const { key, rule } of FLUSH_FIELDS) {
          const text = form[key] as string;
          const err = checkNumber(key, text, rule);
          if (err) errs[key] = err;
          else if (Number(text) !== policy[key]) body[key] = Number(text);
        }
        if (form.enable_background_flush !== policy.enable_background_flush) body.enable_background_flush = form.enable_background_flush;
        setErrors(errs);
        if (Object.keys(errs).length) return;
        if (Object.keys(body).length === 0) {
          setSaved('Nothing changed.');
          return;
        }
        setBusy(true);
        try {
          await api<Collection>('PATCH', collectionPath(name), { flush_policy: body });
          setSaved(`Saved: ${Object.keys(body).join(', ')}.`);
          onSaved();
        } catch (err) {
          setServerError(err as Error);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>Flush policy</h2>
      <div className="grid">
        {FLUSH_FIELDS.map(({ key }) => (
          <label className="field" key={key}>
            <span>{key}</span>
            <input
              value={form[key] as string}
              onChange={(e) => setForm({ ...form, [key]: e.target.value })}
              data-testid={`flush-${key}`}
              aria-invalid={!!errors[key]}
            />
            {errors[key] && (
              <span className="field-error" data-testid={`flush-${key}-error`}>
                {errors[key]}
              </span>
            )}
          </label>
        ))}
        <label className="field checkbox">
          <input
            type="checkbox"
            checked={form.enable_background_flush}
            onChange={(e) => setForm({ ...form, enable_background_flush: e.target.checked })}
            data-testid="flush-enable_background_flush"
          />
          <span>background flush</span>
        </label>
      </div>
      <ErrorBox error={serverError} testid="flush-policy-error" />
      {saved && <Notice testid="flush-policy-saved">{saved}</Notice>}
      <button type="submit" disabled={busy} data-testid="flush-policy-save">
        {busy ? 'Saving…' : 'Save flush policy'}
      </button>
    </form>
  );
}

const INDEX_TYPES = ['keyword', 'integer', 'float', 'bool', 'datetime', 'geo', 'text'];

function PayloadIndexes({ name }: { name: string }) {
  const list = useAsync(() => api<{ payload_indexes: PayloadIndex[] }>('GET', `${collectionPath(name)}/index/payload`), [name]);
  const [field, setField] = useState('');
  const [type, setType] = useState('keyword');
  const [error, setError] = useState<Error>();
  const [fieldError, setFieldError] = useState<string>();
  const [indexes, setIndexes] = useState<PayloadIndex[]>();
  const shown = indexes ?? list.data?.payload_indexes;

  return (
    <section className="panel" data-testid="payload-indexes">
      <h2>Payload indexes</h2>
      <ErrorBox error={list.error} testid="payload-indexes-load-error" />
      {shown && shown.length === 0 && <p className="muted">No payload indexes. Filters work without them; indexes make selective filters cheaper.</p>}
      {shown && shown.length > 0 && (
        <table data-testid="payload-indexes-table">
          <thead>
            <tr>
              <th>Field</th>
              <th>Type</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {shown.map((ix) => (
              <tr key={ix.field} data-testid={`payload-index-${ix.field}`}>
                <td className="mono">{ix.field}</td>
                <td>{ix.type}</td>
                <td className="actions">
                  <ConfirmButton
                    label="Drop"
                    question={`Drop the index on ${ix.field}?`}
                    testid={`drop-index-${ix.field}`}
                    onConfirm={async () => {
                      setError(undefined);
                      try {
                        const r = await api<{ payload_indexes: PayloadIndex[] }>('DELETE', `${collectionPath(name)}/index/payload/${enc(ix.field)}`);
                        setIndexes(r.payload_indexes);
                      } catch (e) {
                        setError(e as Error);
                      }
                    }}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <form
        className="inline-form"
        noValidate
        onSubmit={async (e) => {
          e.preventDefault();
          setError(undefined);
          const f = field.trim();
          const fe = checkIndexField(f);
          setFieldError(fe);
          if (fe) return;
          try {
            const r = await api<{ payload_indexes: PayloadIndex[] }>('POST', `${collectionPath(name)}/index/payload`, { field: f, type });
            setIndexes(r.payload_indexes);
            setField('');
          } catch (err) {
            setError(err as Error);
          }
        }}
      >
        <label className="field">
          <span>Field</span>
          <input value={field} onChange={(e) => setField(e.target.value)} placeholder="e.g. category or address.city" data-testid="index-field" />
          {fieldError && (
            <span className="field-error" data-testid="index-field-error">
              {fieldError}
            </span>
          )}
        </label>
        <label className="field">
          <span>Type</span>
          <select value={type} onChange={(e) => setType(e.target.value)} data-testid="index-type">
            {INDEX_TYPES.map((t) => (
              <option key={t}>{t}</option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="index-create">
          Create index
        </button>
      </form>
      <ErrorBox error={error} testid="payload-index-error" />
    </section>
  );
}

// "0.973 (95% 0.951–0.987, 412 samples)": searches the server re-ran
// exactly; "not sampled yet" before any.
function backgroundText(b: BackgroundIo): string {
  const total = Object.values(b.bytes_written).reduce((a, n) => a + n, 0);
  const budget = b.budget_mb_per_s > 0 ? `budget ${b.budget_mb_per_s} MiB/s, waited ${formatDuration(b.throttled_seconds)}` : 'no budget';
  return `${formatBytes(total)} written since opened; ${budget}`;
}

function taskText(t: BackgroundTask): string {
  const done = t.bytes_total ? `${formatBytes(t.bytes_done)} of ${formatBytes(t.bytes_total)}` : formatBytes(t.bytes_done);
  const eta = t.eta_seconds !== null ? `, about ${formatDuration(t.eta_seconds)} left` : '';
  return `${plural(t.segments, 'segment')}, ${done}${eta}`;
}

function recallText(r: RecallEstimate | undefined): string {
  if (!r || r.recall === null || r.samples === 0) {
    return r && r.dropped_total > 0 ? `not measured yet (${formatNumber(r.dropped_total)} samples dropped)` : 'not sampled yet';
  }
  return `${r.recall.toFixed(3)} (95% ${r.ci95[0].toFixed(3)}–${r.ci95[1].toFixed(3)}, ${formatNumber(r.samples)} samples)`;
}
