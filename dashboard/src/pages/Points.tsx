import { useState } from 'react';
import { api, collectionPath, enc, type Point, type ScrollPage } from '../api';
import { ConfirmButton, ErrorBox, JsonView, Notice, href, navigate, useAsync } from '../components';
import { formatNumber, vectorSummary } from '../lib/format.js';
import { parseFilterText } from '../lib/validate.js';

const PAGE_SIZES = [10, 20, 50, 100];

/**
 * Points of a collection, by id, through the scroll cursor. The cursor of the
 * page shown is in the route (`?after=`), the cursors of the pages before it
 * in `trail` (so Previous works without the server going backwards).
 */
export function Points({ name, after, limit, filterText }: { name: string; after: string; limit: number; filterText: string }) {
  const [trail, setTrail] = useState<string[]>([]);
  const [filterDraft, setFilterDraft] = useState(filterText);
  const [filterError, setFilterError] = useState<string>();
  const [message, setMessage] = useState<string>();
  const [deleteError, setDeleteError] = useState<Error>();

  const page = useAsync(async () => {
    const body: Record<string, unknown> = { limit, include_vector: false };
    if (after) body.after_id = after;
    const filter = parseFilterText(filterText);
    if (filter) body.filter = filter;
    const [p, count] = await Promise.all([
      api<ScrollPage>('POST', `${collectionPath(name)}/scroll`, body),
      api<{ count: number }>('POST', `${collectionPath(name)}/count`, filter ? { filter } : {}),
    ]);
    return { ...p, count: count.count };
  }, [name, after, limit, filterText]);

  const go = (nextAfter: string, nextLimit = limit, filter = filterText) =>
    navigate(['collections', name, 'points'], { after: nextAfter || undefined, limit: String(nextLimit), filter: filter.trim() || undefined });

  return (
    <div data-testid="points-page">
      <div className="title-row">
        <h1>
          Points of <a href={href(['collections', name])}>{name}</a>
        </h1>
        <div className="actions">
          <a className="button" href={href(['search'], { collection: name })}>
            Search
          </a>
          <button onClick={page.reload} data-testid="points-refresh">
            Refresh
          </button>
        </div>
      </div>
      <form
        className="inline-form"
        onSubmit={(e) => {
          e.preventDefault();
          try {
            parseFilterText(filterDraft);
          } catch (err) {
            setFilterError((err as Error).message);
            return;
          }
          setFilterError(undefined);
          setTrail([]);
          go('', limit, filterDraft);
        }}
      >
        <label className="field grow">
          <span>Filter (JSON, optional)</span>
          <input value={filterDraft} onChange={(e) => setFilterDraft(e.target.value)} placeholder='{"category": "news"}' data-testid="points-filter" className="mono" />
        </label>
        <label className="field">
          <span>Page size</span>
          <select
            value={limit}
            onChange={(e) => {
              setTrail([]);
              go('', Number(e.target.value));
            }}
            data-testid="points-limit"
          >
            {PAGE_SIZES.map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" data-testid="points-apply">
          Apply
        </button>
      </form>
      {filterError && <div className="error" data-testid="points-filter-error">{filterError}</div>}
      <ErrorBox error={page.error} testid="points-error" />
      <ErrorBox error={deleteError} testid="points-delete-error" />
      {message && <Notice testid="points-message">{message}</Notice>}
      {page.data && (
        <>
          <p className="muted" data-testid="points-count">
            {formatNumber(page.data.count)} point{page.data.count === 1 ? '' : 's'}
            {filterText.trim() ? ' match the filter' : ''}; page {trail.length + 1}
            {page.loading ? ' (loading…)' : ''}
          </p>
          {page.data.points.length === 0 ? (
            <p className="muted" data-testid="points-empty">
              No points{after ? ' after this cursor' : ''}.
            </p>
          ) : (
            <table data-testid="points-table">
              <thead>
                <tr>
                  <th>Id</th>
                  <th>Metadata</th>
                  <th />
                </tr>
              </thead>
              <tbody>
                {page.data.points.map((p) => (
                  <tr key={p.id} data-testid="point-row" data-point-id={p.id}>
                    <td className="mono">
                      <a href={href(['collections', name, 'points', p.id])} data-testid={`point-link-${p.id}`}>
                        {p.id}
                      </a>
                    </td>
                    <td className="mono small metadata-cell">{p.metadata && Object.keys(p.metadata).length ? JSON.stringify(p.metadata) : <span className="muted">—</span>}</td>
                    <td className="actions">
                      <ConfirmButton
                        label="Delete"
                        question={`Delete ${p.id}?`}
                        testid={`delete-point-${p.id}`}
                        onConfirm={async () => {
                          setDeleteError(undefined);
                          try {
                            await api('DELETE', `${collectionPath(name)}/vectors/${enc(p.id)}`);
                            setMessage(`Deleted point ${p.id}.`);
                            page.reload();
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
          <div className="pager">
            <button
              disabled={trail.length === 0}
              data-testid="points-prev"
              onClick={() => {
                const t = [...trail];
                const prev = t.pop() ?? '';
                setTrail(t);
                go(prev);
              }}
            >
              ← Previous
            </button>
            <button
              disabled={!page.data.next_after_id}
              data-testid="points-next"
              onClick={() => {
                setTrail([...trail, after]);
                go(page.data!.next_after_id ?? '');
              }}
            >
              Next →
            </button>
          </div>
        </>
      )}
    </div>
  );
}

export function PointView({ name, id }: { name: string; id: string }) {
  const point = useAsync(() => api<Point>('GET', `${collectionPath(name)}/vectors/${enc(id)}`), [name, id]);
  const [error, setError] = useState<Error>();
  const p = point.data;
  const summary = p?.vector ? vectorSummary(p.vector, 8) : undefined;
  return (
    <div data-testid="point-page">
      <div className="title-row">
        <h1>
          Point <span className="mono" data-testid="point-id">{id}</span>
        </h1>
        <div className="actions">
          <a className="button" href={href(['collections', name, 'points'])}>
            All points of {name}
          </a>
          <a className="button" href={href(['search'], { collection: name, id })} data-testid="point-similar">
            Find similar
          </a>
          <ConfirmButton
            label="Delete"
            question={`Delete point ${id}?`}
            testid="point-delete"
            onConfirm={async () => {
              setError(undefined);
              try {
                await api('DELETE', `${collectionPath(name)}/vectors/${enc(id)}`);
                navigate(['collections', name, 'points']);
              } catch (e) {
                setError(e as Error);
              }
            }}
          />
        </div>
      </div>
      <ErrorBox error={point.error} testid="point-error" />
      <ErrorBox error={error} testid="point-delete-error" />
      {p && (
        <div className="two-col">
          <section className="panel">
            <h2>Vector</h2>
            {summary ? (
              <dl className="kv" data-testid="point-vector">
                <dt>Dimension</dt>
                <dd data-testid="point-dimension">{summary.dimension}</dd>
                <dt>L2 norm</dt>
                <dd data-testid="point-norm">{summary.norm.toPrecision(6)}</dd>
                <dt>First values</dt>
                <dd className="mono" data-testid="point-first-values">
                  [{summary.first.map((v) => Number(v.toPrecision(6))).join(', ')}
                  {summary.dimension > summary.first.length ? ', …' : ''}]
                </dd>
              </dl>
            ) : (
              <p className="muted">The answer carried no vector.</p>
            )}
          </section>
          <section className="panel">
            <h2>Metadata</h2>
            <JsonView value={p.metadata ?? {}} testid="point-metadata" />
          </section>
        </div>
      )}
    </div>
  );
}
