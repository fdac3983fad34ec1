import { useState } from 'react';
import { api, collectionPath, type Collection } from '../api';
import { ConfirmButton, ErrorBox, Notice, href, navigate, useAsync } from '../components';
import { formatNumber } from '../lib/format.js';
import { checkCollectionName, checkNumber, type NumRule } from '../lib/validate.js';

export function Collections() {
  const list = useAsync(() => api<{ collections: Collection[]; total_count: number }>('GET', '/api/v1/collections'), []);
  const [deleteError, setDeleteError] = useState<Error>();
  const [message, setMessage] = useState<string>();

  return (
    <div>
      <h1>Collections</h1>
      <ErrorBox error={list.error} testid="collections-error" />
      <ErrorBox error={deleteError} testid="collections-delete-error" />
      {message && <Notice testid="collections-message">{message}</Notice>}
      {list.data && list.data.collections.length === 0 && (
        <p className="muted" data-testid="collections-empty">
          No collections yet: create one below.
        </p>
      )}
      {list.data && list.data.collections.length > 0 && (
        <table data-testid="collections-table">
          <thead>
            <tr>
              <th>Name</th>
              <th className="num">Dimension</th>
              <th>Metric</th>
              <th>Index</th>
              <th className="num">Points</th>
              <th className="num">Segments</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {[...list.data.collections]
              .sort((a, b) => a.name.localeCompare(b.name))
              .map((c) => (
                <tr key={c.name} data-testid={`collection-row-${c.name}`}>
                  <td>
                    <a href={href(['collections', c.name])} data-testid={`collection-link-${c.name}`}>
                      {c.name}
                    </a>
                    {c.state && c.state !== 'serving' ? (
                      <span
                        className={`tier state-${c.state}`}
                        title={c.state_message}
                        data-testid={`collection-state-${c.name}`}
                      >
                        {c.state}
                      </span>
                    ) : null}
                  </td>
                  <td className="num">{c.dimension}</td>
                  <td>{c.distance_metric}</td>
                  <td>
                    {c.indexing_algorithm}
                    {c.index && typeof c.index.quantization === 'string' && c.index.quantization !== 'none' ? ` (${c.index.quantization})` : ''}
                  </td>
                  <td className="num">{formatNumber(c.point_count)}</td>
                  <td className="num">{formatNumber(c.segment_count)}</td>
                  <td className="actions">
                    <a href={href(['collections', c.name, 'points'])}>points</a>
                    <a href={href(['search'], { collection: c.name })}>search</a>
                    <ConfirmButton
                      label="Delete"
                      question={`Delete collection ${c.name} and all its points?`}
                      testid={`delete-${c.name}`}
                      onConfirm={async () => {
                        setDeleteError(undefined);
                        setMessage(undefined);
                        try {
                          await api('DELETE', collectionPath(c.name));
                          setMessage(`Deleted collection ${c.name}.`);
                          list.reload();
                        } catch (e) {
                          setDeleteError(e as Error);
                        }
                      }}
                    />
                  </td>
                </tr>
              ))}
          </tbody>
        </table>
      )}
      <CreateCollection onCreated={(name) => navigate(['collections', name])} />
    </div>
  );
}

interface FormState {
  name: string;
  dimension: string;
  distance_metric: string;
  indexing_algorithm: string;
  m: string;
  ef_construction: string;
  ef_search: string;
  quantization: string;
  max_wal_age_hours: string;
  max_wal_size_mb: string;
  max_vector_count: string;
  flush_priority: string;
  enable_background_flush: string; // '' = server default, 'true', 'false'
}

const EMPTY: FormState = {
  name: '',
  dimension: '',
  distance_metric: 'cosine',
  indexing_algorithm: 'hnsw',
  m: '',
  ef_construction: '',
  ef_search: '',
  quantization: 'none',
  max_wal_age_hours: '',
  max_wal_size_mb: '',
  max_vector_count: '',
  flush_priority: '',
  enable_background_flush: '',
};


// The limits of docs/API.md (src/util/limits.h); the server checks them again.
const NUMERIC: Partial<Record<keyof FormState, NumRule>> = {
  dimension: { kind: 'int', min: 1, max: 65536 },
  m: { kind: 'int', min: 2, max: 128 },
  ef_construction: { kind: 'int', min: 1, max: 4096 },
  ef_search: { kind: 'int', min: 1, max: 4096 },
  max_wal_age_hours: { kind: 'number', min: 0, exclusiveMin: true },
  max_wal_size_mb: { kind: 'number', min: 0, exclusiveMin: true },
  max_vector_count: { kind: 'int', min: 1 },
  flush_priority: { kind: 'int', min: 1, max: 100 },
};

function validate(f: FormState): { errors: Partial<Record<keyof FormState, string>>; body: Record<string, unknown> } {
  const errors: Partial<Record<keyof FormState, string>> = {};
  const body: Record<string, unknown> = {};
  const name = f.name.trim();
  const nameError = checkCollectionName(name);
  if (nameError) errors.name = nameError;
  body.name = name;
  if (f.dimension.trim() === '') errors.dimension = 'dimension is required';
  body.distance_metric = f.distance_metric;
  body.indexing_algorithm = f.indexing_algorithm;
  if (f.quantization !== 'none') body.quantization = f.quantization;
  for (const [key, rule] of Object.entries(NUMERIC) as [keyof FormState, NumRule][]) {
    const text = f[key];
    if (text.trim() === '') continue; // optional: the server's default
    const err = checkNumber(key, text, rule);
    if (err) errors[key] = err;
    else body[key] = Number(text);
  }
  if (f.enable_background_flush !== '') body.enable_background_flush = f.enable_background_flush === 'true';
  return { errors, body };
}

function CreateCollection({ onCreated }: { onCreated: (name: string) => void }) {
  const [form, setForm] = useState<FormState>(EMPTY);
  const [errors, setErrors] = useState<Partial<Record<keyof FormState, string>>>({});
  const [serverError, setServerError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const set = (k: keyof FormState) => (e: { target: { value: string } }) => setForm({ ...form, [k]: e.target.value });

  const field = (k: keyof FormState, label: string, hint?: string) => (
    <label className="field">
      <span>{label}</span>
      <input value={form[k]} onChange={set(k)} data-testid={`create-${k}`} placeholder={hint} aria-invalid={!!errors[k]} />
      {errors[k] && (
        <span className="field-error" data-testid={`create-${k}-error`}>
          {errors[k]}
        </span>
      )}
    </label>
  );

  return (
    <form
      className="panel"
      data-testid="create-collection-form"
      noValidate
      onSubmit={async (e) => {
        e.preventDefault();
        setServerError(undefined);
        const { errors: errs, body } = validate(form);
        setErrors(errs);
        if (Object.keys(errs).length) return;
        setBusy(true);
        try {
          const c = await api<Collection>('POST', '/api/v1/collections', body);
          setForm(EMPTY);
          onCreated(c.name);
        } catch (err) {
          setServerError(err as Error);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h2>Create a collection</h2>
      <div className="grid">
        {field('name', 'Name', 'letters, digits, _ and -')}
        {field('dimension', 'Dimension', '1..65536')}
        <label className="field">
          <span>Distance metric</span>
          <select value={form.distance_metric} onChange={set('distance_metric')} data-testid="create-distance_metric">
            <option value="cosine">cosine</option>
            <option value="euclidean">euclidean</option>
            <option value="dot_product">dot_product</option>
          </select>
        </label>
      </div>
      <h3>Index</h3>
      <div className="grid">
        <label className="field">
          <span>Algorithm</span>
          <select value={form.indexing_algorithm} onChange={set('indexing_algorithm')} data-testid="create-indexing_algorithm">
            <option value="hnsw">hnsw</option>
            <option value="flat">flat</option>
          </select>
        </label>
        {field('m', 'HNSW m', 'default 16 (2..128)')}
        {field('ef_construction', 'ef_construction', 'default 200')}
        {field('ef_search', 'ef_search', 'default 64 (1..4096)')}
        <label className="field">
          <span>Quantization</span>
          <select value={form.quantization} onChange={set('quantization')} data-testid="create-quantization">
            <option value="none">none</option>
            <option value="int8">int8</option>
            <option value="binary">binary</option>
            <option value="pq">pq</option>
          </select>
        </label>
      </div>
      <h3>Flush policy</h3>
      <p className="muted small">Empty fields take the server's [flush] defaults.</p>
      <div className="grid">
        {field('max_wal_age_hours', 'max_wal_age_hours', '> 0')}
        {field('max_wal_size_mb', 'max_wal_size_mb', '> 0')}
        {field('max_vector_count', 'max_vector_count', '≥ 1')}
        {field('flush_priority', 'flush_priority', '1..100')}
        <label className="field">
          <span>Background flush</span>
          <select value={form.enable_background_flush} onChange={set('enable_background_flush')} data-testid="create-enable_background_flush">
            <option value="">server default</option>
            <option value="true">on</option>
            <option value="false">off</option>
          </select>
        </label>
      </div>
      <ErrorBox error={serverError} testid="create-server-error" />
      <button type="submit" className="primary" disabled={busy} data-testid="create-submit">
        {busy ? 'Creating…' : 'Create collection'}
      </button>
    </form>
  );
}
