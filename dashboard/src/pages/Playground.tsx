import { useEffect, useState } from 'react';
import { api, collectionPath, enc, type Collection, type Point, type SearchResponse } from '../api';
import { ErrorBox, href, useAsync } from '../components';
import { formatNumber, parseVectorText, vectorSummary } from '../lib/format.js';
import { parseFilterText } from '../lib/validate.js';

type Mode = 'id' | 'vector';

interface LastRun {
  request: Record<string, unknown>;
  response: SearchResponse;
  ms: number;
  from?: string;
}

export function Playground({ initialCollection, initialId }: { initialCollection: string; initialId: string }) {
  const collections = useAsync(() => api<{ collections: Collection[] }>('GET', '/api/v1/collections'), []);
  const [collection, setCollection] = useState(initialCollection);
  const [mode, setMode] = useState<Mode>(initialId ? 'id' : 'vector');
  const [pointId, setPointId] = useState(initialId);
  const [vectorText, setVectorText] = useState('');
  const [k, setK] = useState('10');
  const [ef, setEf] = useState('');
  const [filterText, setFilterText] = useState('');
  const [explain, setExplain] = useState(true);
  const [exact, setExact] = useState(false);
  const [inputError, setInputError] = useState<string>();
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  const [last, setLast] = useState<LastRun>();

  const names = (collections.data?.collections ?? []).map((c) => c.name).sort();
  const info = collections.data?.collections.find((c) => c.name === collection);
  useEffect(() => {
    if (!collection && names.length) setCollection(names[0]);
  }, [collection, names.join('\n')]); // eslint-disable-line react-hooks/exhaustive-deps

  const run = async () => {
    setInputError(undefined);
    setError(undefined);
    setLast(undefined); // never show the results of an earlier request next to a new error
    if (!collection) return setInputError('choose a collection');
    const kn = Number(k);
    if (!Number.isInteger(kn) || kn < 1 || kn > 10000) return setInputError('k must be a whole number in 1..10000');
    const body: Record<string, unknown> = { k: kn, explain };
    if (ef.trim()) {
      const e = Number(ef);
      if (!Number.isInteger(e) || e < 1 || e > 4096) return setInputError('ef_search must be a whole number in 1..4096');
      body.ef_search = e;
    }
    if (exact) body.exact = true;
    try {
      const f = parseFilterText(filterText);
      if (f) body.filter = f;
    } catch (e) {
      return setInputError((e as Error).message);
    }
    setBusy(true);
    try {
      let from: string | undefined;
      if (mode === 'id') {
        const id = pointId.trim();
        if (!id) {
          setInputError('enter the id of an existing point');
          return;
        }
        // Fetch the point's vector and search with it (the point itself is then the best match).
        const p = await api<Point>('GET', `${collectionPath(collection)}/vectors/${enc(id)}`);
        if (!p.vector) throw new Error(`point ${id} came back without a vector`);
        body.vector = p.vector;
        setVectorText(JSON.stringify(p.vector));
        from = id;
      } else {
        try {
          body.vector = parseVectorText(vectorText);
        } catch (e) {
          setInputError((e as Error).message);
          return;
        }
        if (info && (body.vector as number[]).length !== info.dimension) {
          setInputError(`the vector has ${(body.vector as number[]).length} values; ${collection} has dimension ${info.dimension}`);
          return;
        }
      }
      const t0 = performance.now();
      const response = await api<SearchResponse>('POST', `${collectionPath(collection)}/search`, body);
      setLast({ request: body, response, ms: performance.now() - t0, from });
    } catch (e) {
      setError(e as Error);
    } finally {
      setBusy(false);
    }
  };

  const better = info?.distance_metric === 'euclidean' ? 'lower is better (L2 distance)' : 'higher is better';
  return (
    <div data-testid="playground-page">
      <h1>Search playground</h1>
      <ErrorBox error={collections.error} testid="playground-collections-error" />
      <form
        className="panel"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          run();
        }}
      >
        <div className="grid">
          <label className="field">
            <span>Collection</span>
            <select value={collection} onChange={(e) => setCollection(e.target.value)} data-testid="search-collection">
              {!names.includes(collection) && <option value={collection}>{collection || '(choose)'}</option>}
              {names.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
            {info && (
              <span className="muted small">
                dimension {info.dimension}, {info.distance_metric}, {formatNumber(info.point_count)} points
              </span>
            )}
          </label>
          <label className="field">
            <span>k</span>
            <input value={k} onChange={(e) => setK(e.target.value)} data-testid="search-k" />
          </label>
          <label className="field">
            <span>ef_search</span>
            <input value={ef} onChange={(e) => setEf(e.target.value)} placeholder="collection default" data-testid="search-ef" />
          </label>
          <label className="field checkbox">
            <input type="checkbox" checked={explain} onChange={(e) => setExplain(e.target.checked)} data-testid="search-explain" />
            <span>explain</span>
          </label>
          <label className="field checkbox">
            <input type="checkbox" checked={exact} onChange={(e) => setExact(e.target.checked)} data-testid="search-exact" />
            <span>exact (brute force)</span>
          </label>
        </div>
        <div className="mode">
          <label>
            <input type="radio" name="mode" checked={mode === 'id'} onChange={() => setMode('id')} data-testid="search-mode-id" /> By an existing point's id
          </label>
          <label>
            <input type="radio" name="mode" checked={mode === 'vector'} onChange={() => setMode('vector')} data-testid="search-mode-vector" /> By a vector
          </label>
        </div>
        {mode === 'id' ? (
          <label className="field">
            <span>Point id (its vector is fetched and searched with)</span>
            <input value={pointId} onChange={(e) => setPointId(e.target.value)} className="mono" data-testid="search-point-id" />
          </label>
        ) : (
          <label className="field">
            <span>Vector (JSON array, or numbers separated by commas or spaces)</span>
            <textarea value={vectorText} onChange={(e) => setVectorText(e.target.value)} rows={3} className="mono" data-testid="search-vector" placeholder="[0.1, 0.2, 0.3, 0.4]" />
          </label>
        )}
        <label className="field">
          <span>
            Filter (JSON object, optional; see docs/FILTERS.md), e.g. <code>{'{"category": "news", "price": {"$lt": 20}}'}</code>
          </span>
          <textarea value={filterText} onChange={(e) => setFilterText(e.target.value)} rows={3} className="mono" data-testid="search-filter" />
        </label>
        {inputError && (
          <div className="error" role="alert" data-testid="search-input-error">
            {inputError}
          </div>
        )}
        <ErrorBox error={error} testid="search-error" />
        <button type="submit" className="primary" disabled={busy} data-testid="search-submit">
          {busy ? 'Searching…' : 'Search'}
        </button>
      </form>

      {last && <Results last={last} collection={collection} better={better} />}
    </div>
  );
}

function Results({ last, collection, better }: { last: LastRun; collection: string; better: string }) {
  const matches = last.response.matches ?? [];
  const v = Array.isArray(last.request.vector) ? vectorSummary(last.request.vector as number[], 4) : undefined;
  return (
    <>
      <section className="panel" data-testid="search-results">
        <h2>
          Results <span className="muted small">({matches.length} match{matches.length === 1 ? '' : 'es'}, {last.ms.toFixed(1)} ms round trip; score: {better})</span>
        </h2>
        {last.from && <p className="muted small">Query: the vector of point {last.from}{v ? `, dimension ${v.dimension}, norm ${v.norm.toPrecision(4)}` : ''}.</p>}
        {matches.length === 0 ? (
          <p className="muted" data-testid="search-no-results">
            No matches.
          </p>
        ) : (
          <table data-testid="search-results-table">
            <thead>
              <tr>
                <th className="num">#</th>
                <th>Id</th>
                <th className="num">Score</th>
                <th>Metadata</th>
              </tr>
            </thead>
            <tbody>
              {matches.map((m, i) => (
                <tr key={m.id} data-testid="search-result" data-point-id={m.id}>
                  <td className="num">{i + 1}</td>
                  <td className="mono">
                    <a href={href(['collections', collection, 'points', m.id])}>{m.id}</a>
                  </td>
                  <td className="num mono">{m.score.toPrecision(6)}</td>
                  <td className="mono small metadata-cell">{m.metadata ? JSON.stringify(m.metadata) : ''}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      {last.response.explain && <Explain explain={last.response.explain} />}
    </>
  );
}

function Explain({ explain }: { explain: NonNullable<SearchResponse['explain']> }) {
  const sources = explain.sources ?? [];
  const cols: [string, string][] = [
    ['source', 'Source'],
    ['segment_id', 'Segment'],
    ['strategy', 'Strategy'],
    ['rows', 'Rows'],
    ['estimated_matches', 'Est. matches'],
    ['candidates', 'Candidates'],
    ['ef', 'ef'],
    ['matches', 'Matches'],
    ['distances_computed', 'Distances'],
  ];
  return (
    <section className="panel" data-testid="search-explain-plan">
      <h2>Plan (explain)</h2>
      <p>
        Distances computed <b data-testid="explain-distances">{formatNumber(explain.distances_computed)}</b>, graph nodes visited{' '}
        <b>{formatNumber(explain.nodes_visited)}</b>
        {explain.partitions_pruned ? (
          <>
            , IVF partitions pruned <b>{formatNumber(explain.partitions_pruned)}</b>
          </>
        ) : null}
        .
      </p>
      <table data-testid="explain-sources">
        <thead>
          <tr>
            {cols.map(([, label]) => (
              <th key={label}>{label}</th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sources.map((s, i) => (
            <tr key={i} data-testid="explain-source">
              {cols.map(([key]) => (
                <td key={key} className={key === 'source' || key === 'strategy' ? '' : 'num'} data-testid={key === 'strategy' ? 'explain-strategy' : undefined}>
                  {s[key] === undefined ? '' : typeof s[key] === 'number' ? formatNumber(s[key] as number) : String(s[key])}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
