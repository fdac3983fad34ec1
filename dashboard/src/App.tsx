import { useCallback, useEffect, useState } from 'react';
import { ApiError, checkKey, getApiKey, needsLogin, onUnauthorized, setApiKey } from './api';
import { ErrorBox, href, useRoute } from './components';
import { CollectionDetail } from './pages/CollectionDetail';
import { Collections } from './pages/Collections';
import { Overview } from './pages/Overview';
import { Playground } from './pages/Playground';
import { PointView, Points } from './pages/Points';

type AuthState = { kind: 'checking' } | { kind: 'login'; reason?: string } | { kind: 'ready' } | { kind: 'error'; error: Error };

export function App() {
  const [auth, setAuth] = useState<AuthState>({ kind: 'checking' });
  const [hasKey, setHasKey] = useState(() => !!getApiKey());

  const check = useCallback(() => {
    setAuth({ kind: 'checking' });
    needsLogin()
      .then((need) => setAuth(need ? { kind: 'login', reason: getApiKey() ? 'The server no longer accepts the stored key.' : undefined } : { kind: 'ready' }))
      .catch((error: Error) => setAuth({ kind: 'error', error }));
  }, []);

  useEffect(check, [check]);
  useEffect(
    () =>
      onUnauthorized(() => {
        setApiKey(null);
        setHasKey(false);
        setAuth({ kind: 'login', reason: 'The server answered 401: an API key is needed, or the key was refused.' });
      }),
    [],
  );

  const logout = () => {
    setApiKey(null);
    setHasKey(false);
    check();
  };

  return (
    <div className="app">
      <header className="top">
        <a className="brand" href={href([])}>
          ProximaDB
        </a>
        {auth.kind === 'ready' && <Nav />}
        <div className="spacer" />
        {hasKey && (
          <span className="key-status">
            <span className="muted small" data-testid="key-status">
              API key set
            </span>
            <button onClick={logout} data-testid="logout">
              Log out
            </button>
          </span>
        )}
      </header>
      <main>
        {auth.kind === 'checking' && <p className="muted">Connecting to the server…</p>}
        {auth.kind === 'error' && (
          <div>
            <ErrorBox error={auth.error} testid="connect-error" />
            <button onClick={check}>Retry</button>
          </div>
        )}
        {auth.kind === 'login' && (
          <Login
            reason={auth.reason}
            onLoggedIn={() => {
              setHasKey(true);
              setAuth({ kind: 'ready' });
            }}
          />
        )}
        {auth.kind === 'ready' && <Page />}
      </main>
    </div>
  );
}

function Nav() {
  const { path } = useRoute();
  const at = path[0] ?? '';
  const link = (target: string, label: string) => (
    <a href={href(target ? [target] : [])} className={at === target ? 'active' : ''} data-testid={`nav-${target || 'overview'}`}>
      {label}
    </a>
  );
  return (
    <nav>
      {link('', 'Overview')}
      {link('collections', 'Collections')}
      {link('search', 'Search')}
    </nav>
  );
}

function Page() {
  const { path, query } = useRoute();
  if (path.length === 0 || path[0] === 'overview') return <Overview />;
  if (path[0] === 'collections') {
    if (path.length === 1) return <Collections />;
    const name = path[1];
    if (path.length === 2) return <CollectionDetail key={name} name={name} />;
    if (path[2] === 'points' && path.length === 3) {
      const limit = Number(query.get('limit') ?? '20');
      return <Points key={name} name={name} after={query.get('after') ?? ''} limit={Number.isInteger(limit) && limit > 0 && limit <= 10000 ? limit : 20} filterText={query.get('filter') ?? ''} />;
    }
    if (path[2] === 'points' && path.length === 4) return <PointView key={`${name}/${path[3]}`} name={name} id={path[3]} />;
  }
  if (path[0] === 'search') return <Playground key={`${query.get('collection') ?? ''}/${query.get('id') ?? ''}`} initialCollection={query.get('collection') ?? ''} initialId={query.get('id') ?? ''} />;
  return (
    <div>
      <h1>Not found</h1>
      <p>
        No page at <code>{window.location.hash}</code>. <a href={href([])}>Go to the overview</a>.
      </p>
    </div>
  );
}

function Login({ reason, onLoggedIn }: { reason?: string; onLoggedIn: () => void }) {
  const [key, setKey] = useState('');
  const [error, setError] = useState<Error>();
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="panel login"
      data-testid="login-form"
      onSubmit={async (e) => {
        e.preventDefault();
        setError(undefined);
        const k = key.trim();
        if (!k) return setError(new Error('Enter an API key.'));
        setBusy(true);
        try {
          if (await checkKey(k)) {
            setApiKey(k);
            onLoggedIn();
          } else {
            setError(new ApiError(401, 'unauthenticated', 'The server refused this key.'));
          }
        } catch (err) {
          setError(err as Error);
        } finally {
          setBusy(false);
        }
      }}
    >
      <h1>API key needed</h1>
      <p className="muted">
        This server has API keys on (<code>[api] api_keys</code>). The key is kept in this tab's session storage only and sent as the{' '}
        <code>api-key</code> header. A read-only key can browse and search, not change anything.
      </p>
      {reason && <p className="muted" data-testid="login-reason">{reason}</p>}
      <label className="field">
        <span>API key</span>
        <input type="password" autoComplete="off" value={key} onChange={(e) => setKey(e.target.value)} data-testid="login-key" autoFocus />
      </label>
      <ErrorBox error={error} testid="login-error" />
      <button type="submit" className="primary" disabled={busy} data-testid="login-submit">
        {busy ? 'Checking…' : 'Log in'}
      </button>
    </form>
  );
}
