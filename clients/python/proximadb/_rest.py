"""The REST/JSON transport (httpx), blocking and asyncio flavours."""

from __future__ import annotations

import asyncio
import http.client
import json
import select
import socket
import time
from typing import Any, AsyncIterator, Dict, Iterator, Optional, Tuple
from urllib.parse import quote, urlsplit

import httpx

from ._common import ADMIN_OPS, POINT_OPS, Call, Endpoint, backoff_delays, is_numpy
from .exceptions import (
    InvalidArgument,
    ProximaDBError,
    ServerError,
    Timeout,
    Unavailable,
    error_for,
)

_V1 = "/api/v1/collections"

# operation -> (HTTP method, path template). {c} is the collection, {id} the point.
ROUTES: Dict[str, Tuple[str, str]] = {
    "Health": ("GET", "/health"),
    "CreateCollection": ("POST", _V1),
    "ListCollections": ("GET", _V1),
    "GetCollection": ("GET", _V1 + "/{c}"),
    "UpdateCollection": ("PATCH", _V1 + "/{c}"),
    "DeleteCollection": ("DELETE", _V1 + "/{c}"),
    "Upsert": ("POST", _V1 + "/{c}/vectors"),
    "BatchUpsert": ("PUT", _V1 + "/{c}/vectors"),
    "Get": ("GET", _V1 + "/{c}/vectors/{id}"),
    "DeleteByIds": ("DELETE", _V1 + "/{c}/vectors"),
    "DeleteByFilter": ("DELETE", _V1 + "/{c}/vectors"),
    "UpdateMetadata": ("PATCH", _V1 + "/{c}/vectors/{id}"),
    "GetPoints": ("POST", _V1 + "/{c}/vectors/get"),
    "PatchMetadata": ("POST", _V1 + "/{c}/vectors/metadata"),
    "Count": ("POST", _V1 + "/{c}/count"),
    "Scroll": ("POST", _V1 + "/{c}/scroll"),
    "Facet": ("POST", _V1 + "/{c}/facet"),
    "Search": ("POST", _V1 + "/{c}/search"),
    "BatchSearch": ("POST", _V1 + "/{c}/search/batch"),
    "Recommend": ("POST", _V1 + "/{c}/recommend"),
    "Query": ("POST", _V1 + "/{c}/query"),
    "Flush": ("POST", _V1 + "/{c}/flush"),
    "Compact": ("POST", _V1 + "/{c}/compact"),
    "CollectionStats": ("GET", _V1 + "/{c}/stats"),
    "CreatePayloadIndex": ("POST", _V1 + "/{c}/index/payload"),
    "ListPayloadIndexes": ("GET", _V1 + "/{c}/index/payload"),
    # {id} carries the indexed field path here.
    "DeletePayloadIndex": ("DELETE", _V1 + "/{c}/index/payload/{id}"),
    "ListQuarantine": ("GET", "/api/v1/admin/quarantine"),
    # {id} is the entry; without one, every entry.
    "ClearQuarantine": ("DELETE", "/api/v1/admin/quarantine/{id}"),
    "ListSegments": ("GET", _V1 + "/{c}/segments"),
    # {id} is the segment id here.
    "MoveSegment": ("POST", _V1 + "/{c}/segments/{id}/tier"),
    "Migrate": ("POST", _V1 + "/{c}/migrate"),
    "GetMigration": ("GET", _V1 + "/{c}/migration"),
    "CancelMigration": ("DELETE", _V1 + "/{c}/migration"),
    "UpdateAliases": ("POST", "/api/v1/aliases"),
    "ListAliases": ("GET", "/api/v1/aliases"),
    # {id} is the snapshot id here.
    "CreateSnapshot": ("POST", _V1 + "/{c}/snapshots"),
    "ListSnapshots": ("GET", _V1 + "/{c}/snapshots"),
    "GetSnapshot": ("GET", _V1 + "/{c}/snapshots/{id}"),
    "DeleteSnapshot": ("DELETE", _V1 + "/{c}/snapshots/{id}"),
    "RestoreSnapshot": ("POST", _V1 + "/{c}/snapshots/{id}/restore"),
    "RestorePointInTime": ("POST", _V1 + "/{c}/restore"),
    "CreateDatabaseSnapshot": ("POST", "/api/v1/snapshots"),
    "GetCluster": ("GET", "/api/v1/cluster"),
    # {id} is the node id here; DELETE (cancel) instead of POST when the
    # call's body says {"cancel": True}, which is never sent.
    "DrainNode": ("POST", "/api/v1/cluster/nodes/{id}/drain"),
}


def _encode_points(points: Any) -> bytes:
    """The bulk-upsert body, with vectors formatted by hand.

    The vectors hold float32 values (see ``_common.to_vector``), which 9
    significant digits represent exactly; that is about half the bytes of
    ``json.dumps``'s 17-digit doubles and twice as fast to write and parse.
    """
    dumps = json.dumps
    parts = []
    for p in points:
        vec = p["vector"]
        if is_numpy(vec):
            vec = vec.tolist()
        s = '{"vector":[' + ",".join(["%.9g" % x for x in vec]) + "]"
        if "id" in p:
            s += ',"id":' + dumps(p["id"])
        if "metadata" in p:
            s += ',"metadata":' + dumps(p["metadata"], separators=(",", ":"), allow_nan=False)
        if "sparse_vectors" in p:
            s += ',"sparse_vectors":' + dumps(p["sparse_vectors"], separators=(",", ":"),
                                              allow_nan=False)
        if "vectors" in p:
            s += ',"vectors":' + dumps(p["vectors"], separators=(",", ":"), allow_nan=False)
        if "expires_at" in p:
            s += ',"expires_at":' + dumps(p["expires_at"])
        parts.append(s + "}")
    return ('{"vectors":[' + ",".join(parts) + "]}").encode()


def _request_parts(call: Call) -> Tuple[str, str, Optional[bytes]]:
    method, template = ROUTES[call.op]
    if call.op == "ClearQuarantine" and call.point_id is None:
        template = template[: -len("/{id}")]
    if call.op == "DrainNode":
        if (call.body or {}).get("cancel"):
            method = "DELETE"
        call = call._replace(body=None)
    path = template.format(
        c=quote(call.collection or "", safe=""), id=quote(call.point_id or "", safe="")
    )
    content = None
    if call.body is not None:
        try:
            if call.op == "BatchUpsert":
                content = _encode_points(call.body["vectors"])
            else:
                content = json.dumps(call.body, separators=(",", ":"), allow_nan=False).encode()
        except ValueError as e:  # NaN / infinity
            raise InvalidArgument(f"cannot encode the request: {e}") from None
        except TypeError as e:  # not JSON-serializable metadata
            raise InvalidArgument(f"cannot encode the request as JSON: {e}") from None
    return method, path, content


def _error_from(resp: "httpx.Response | _Response", call: Call) -> ProximaDBError:
    code: Optional[str] = None
    message = resp.text
    try:
        data = resp.json()
        if isinstance(data, dict):
            code = data.get("error") if isinstance(data.get("error"), str) else None
            message = str(data.get("message", message))
    except ValueError:
        pass
    return error_for(code, message, resp.status_code, point_op=call.op in POINT_OPS,
                     collection_op=call.op not in ADMIN_OPS)


def _decode(resp: "httpx.Response | _Response", call: Call) -> Dict[str, Any]:
    if not resp.content:
        return {}
    try:
        data = resp.json()
    except ValueError:
        raise ServerError(f"{call.op}: the server answered non-JSON: {resp.text[:200]!r}",
                          status=resp.status_code) from None
    return data if isinstance(data, dict) else {"value": data}


def _retry_after(resp: "httpx.Response | _Response") -> float:
    try:
        return min(float(resp.headers.get("retry-after", 0)), 30.0)
    except ValueError:
        return 0.0


def _headers(api_key: Optional[str]) -> Dict[str, str]:
    h = {"Accept": "application/json", "Content-Type": "application/json",
         "User-Agent": "proximadb-python"}
    if api_key:
        h["Authorization"] = f"Bearer {api_key}"
    return h


_NODELAY = [(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)]



def _retryable_transport_error(e: httpx.TransportError, call: Call,
                               endpoint: Endpoint) -> ProximaDBError:
    """Maps a transport failure: returns the error to retry on (a refused
    connection) or raises the ones that are final (timeouts, other faults)."""
    if isinstance(e, httpx.TimeoutException):
        raise Timeout(f"{call.op}: {e or 'timed out'}") from None
    if isinstance(e, httpx.ConnectError):
        return Unavailable(f"{call.op}: cannot connect to {endpoint.base_url}: {e}")
    raise Unavailable(f"{call.op}: transport error: {e}") from None


def _response_outcome(resp: "httpx.Response | _Response",
                      call: Call) -> Tuple[Any, Optional[ProximaDBError], float]:
    """(decoded body, None, 0) on success; (None, error, Retry-After seconds)
    for a 503, which is retried; raises every other error."""
    if resp.status_code < 400:
        return _decode(resp, call), None, 0.0
    err = _error_from(resp, call)
    if resp.status_code != 503:
        raise err
    return None, err, _retry_after(resp)

class _NoDelayBackend:
    """Wraps httpcore's blocking network backend to set TCP_NODELAY.

    httpx writes a request's headers and body with separate send() calls;
    with Nagle's algorithm on, the body then waits for the server's delayed
    ACK (~40 ms per request on Linux). The asyncio backend (anyio) already
    sets TCP_NODELAY; the blocking one of httpcore < 0.17 does not.
    """

    def __init__(self, inner: Any) -> None:
        self._inner = inner

    def connect_tcp(self, *args: Any, **kwargs: Any) -> Any:
        stream = self._inner.connect_tcp(*args, **kwargs)
        sock = stream.get_extra_info("socket")
        if sock is not None:
            try:
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            except OSError:  # pragma: no cover - not a TCP socket
                pass
        return stream

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)


def _sync_transport() -> httpx.HTTPTransport:
    try:
        return httpx.HTTPTransport(socket_options=_NODELAY)  # type: ignore[call-arg]  # httpx >= 0.24
    except TypeError:
        pass
    transport = httpx.HTTPTransport()
    pool = getattr(transport, "_pool", None)
    backend = getattr(pool, "_network_backend", None)
    if backend is not None:
        pool._network_backend = _NoDelayBackend(backend)  # type: ignore[union-attr]
    return transport


class _Response:
    """What the error mapping reads of a response, under httpx.Response's names."""

    def __init__(self, status: int, headers: Any, content: bytes) -> None:
        self.status_code = status
        self.headers = headers  # http.client.HTTPMessage: case-insensitive get
        self.content = content

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)


class _ConnectFailed(Exception):
    """The TCP connection could not be opened (retried like a 503)."""


class _KeepAliveHttp:
    """One blocking HTTP/1.1 keep-alive connection (``http.client``).

    Used for plain ``http://`` endpoints: it costs a third of httpx's time per
    request (no URL normalisation, header validation or h11 state machine),
    which is most of a small request's round trip on loopback. TCP_NODELAY,
    as for httpx. A connection the server closed while idle is noticed
    before the next request is written (the socket reads as ready) and
    replaced, so no request is ever sent twice.
    """

    def __init__(self, base_url: str, headers: Dict[str, str],
                 timeout: Optional[float]) -> None:
        parts = urlsplit(base_url)
        self._host = parts.hostname or "localhost"
        self._port = parts.port or 80
        self._headers = headers
        self._timeout = timeout
        self._conn: Optional[http.client.HTTPConnection] = None

    def _connection(self) -> http.client.HTTPConnection:
        conn = self._conn
        if conn is not None and conn.sock is not None:
            readable, _, _ = select.select([conn.sock], [], [], 0)
            if not readable:
                return conn
            self.close()  # closed by the server (or stray bytes): start afresh
        conn = http.client.HTTPConnection(self._host, self._port, timeout=self._timeout)
        try:
            conn.connect()
        except (ConnectionRefusedError, socket.gaierror) as e:
            raise _ConnectFailed(str(e)) from None
        conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self._conn = conn
        return conn

    def request(self, method: str, path: str, content: Optional[bytes]) -> _Response:
        conn = self._connection()
        try:
            conn.request(method, path, body=content, headers=self._headers)
            r = conn.getresponse()
            body = r.read()
        except BaseException:
            self.close()
            raise
        if r.will_close:
            self.close()
        return _Response(r.status, r.headers, body)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


class RestTransport:
    """Blocking REST transport: one keep-alive connection (``http.client`` for
    ``http://``, ``httpx.Client`` for ``https://`` and the change feed)."""

    def __init__(self, endpoint: Endpoint, api_key: Optional[str], timeout: Optional[float],
                 max_retries: int, retry_backoff: float) -> None:
        self.endpoint = endpoint
        self._max_retries = max_retries
        self._backoff = retry_backoff
        self._timeout = timeout
        headers = _headers(api_key)
        self._client = httpx.Client(base_url=endpoint.base_url, headers=headers,
                                    timeout=httpx.Timeout(timeout), transport=_sync_transport())
        self._plain = (None if endpoint.secure else
                       _KeepAliveHttp(endpoint.base_url, headers, timeout))

    def _request(self, call: Call, method: str, path: str,
                 content: Optional[bytes]) -> Tuple[Any, Optional[ProximaDBError]]:
        """(response, None), or (None, the error to retry on) for a refused
        connection; raises the transport faults that are final."""
        if self._plain is None:
            try:
                return self._client.request(method, path, content=content), None
            except httpx.TransportError as e:
                return None, _retryable_transport_error(e, call, self.endpoint)
        try:
            return self._plain.request(method, path, content), None
        except _ConnectFailed as e:
            return None, Unavailable(
                f"{call.op}: cannot connect to {self.endpoint.base_url}: {e}")
        except (socket.timeout, TimeoutError) as e:
            raise Timeout(f"{call.op}: {e or 'timed out'}") from None
        except (OSError, http.client.HTTPException) as e:
            raise Unavailable(f"{call.op}: transport error: {e or type(e).__name__}") from None

    def call(self, call: Call) -> Dict[str, Any]:
        """Runs one request, retrying 503s and refused connections with back-off."""
        method, path, content = _request_parts(call)
        delays = backoff_delays(self._max_retries, self._backoff)
        while True:
            resp, err = self._request(call, method, path, content)
            wait = 0.0
            if resp is not None:
                value, err, wait = _response_outcome(resp, call)
                if err is None:
                    return value
            delay = next(delays, None)
            if delay is None:
                raise err
            time.sleep(max(delay, wait))

    def changes(self, collection: str, from_seq: Optional[int], follow: bool,
                with_vectors: bool) -> Iterator[Dict[str, Any]]:
        """The change feed's lines as dicts (one connection; no resuming)."""
        return _changes_sync(self._client, self._timeout, collection, from_seq, follow,
                             with_vectors)

    def close(self) -> None:
        """Closes the connections."""
        if self._plain is not None:
            self._plain.close()
        self._client.close()


def _changes_request(collection: str, from_seq: Optional[int], follow: bool,
                     with_vectors: bool) -> Tuple[str, Dict[str, str]]:
    params = {"follow": "true" if follow else "false",
              "with_vectors": "true" if with_vectors else "false"}
    if from_seq is not None:
        params["from_seq"] = str(from_seq)
    return _V1 + "/" + quote(collection, safe="") + "/changes", params


# A followed feed sends a keep-alive newline after 15 s of silence: four
# missed ones mean the connection is gone.
_FOLLOW_READ_TIMEOUT = 60.0


def _change_line(line: str, call: Call) -> Optional[Dict[str, Any]]:
    """One line of the feed: a change, None for a keep-alive, or raises the
    error that ended the stream."""
    if not line.strip():
        return None
    try:
        d = json.loads(line)
    except ValueError:
        raise ServerError(f"Changes: malformed line from the server: {line[:200]!r}") from None
    if "seq" not in d and "error" in d:
        raise error_for(str(d.get("error")), str(d.get("message", "")), None,
                        collection_op=True)
    return d


def _stream_timeout(timeout: Optional[float], follow: bool) -> httpx.Timeout:
    return httpx.Timeout(timeout, read=_FOLLOW_READ_TIMEOUT if follow else timeout)


def _interrupted(e: Exception) -> Unavailable:
    return Unavailable(f"Changes: the stream was interrupted: {e or type(e).__name__}")


def _changes_sync(client: httpx.Client, timeout: Optional[float], collection: str,
                  from_seq: Optional[int], follow: bool, with_vectors: bool) -> Iterator[Dict[str, Any]]:
    call = Call("Changes", collection)
    path, params = _changes_request(collection, from_seq, follow, with_vectors)
    try:
        with client.stream("GET", path, params=params,
                           timeout=_stream_timeout(timeout, follow)) as resp:
            if resp.status_code >= 400:
                resp.read()
                raise _error_from(resp, call)
            for line in resp.iter_lines():
                d = _change_line(line, call)
                if d is not None:
                    yield d
    except httpx.TransportError as e:
        raise _interrupted(e) from None


class AsyncRestTransport:
    """asyncio REST transport over one ``httpx.AsyncClient`` (made on first use)."""

    def __init__(self, endpoint: Endpoint, api_key: Optional[str], timeout: Optional[float],
                 max_retries: int, retry_backoff: float) -> None:
        self.endpoint = endpoint
        self._max_retries = max_retries
        self._backoff = retry_backoff
        self._headers = _headers(api_key)
        self._timeout = httpx.Timeout(timeout)
        self._client: Optional[httpx.AsyncClient] = None

    def _get_client(self) -> httpx.AsyncClient:
        if self._client is None:
            self._client = httpx.AsyncClient(base_url=self.endpoint.base_url,
                                             headers=self._headers, timeout=self._timeout)
        return self._client

    async def call(self, call: Call) -> Dict[str, Any]:
        """Runs one request, retrying 503s and refused connections with back-off."""
        method, path, content = _request_parts(call)
        client = self._get_client()
        delays = backoff_delays(self._max_retries, self._backoff)
        while True:
            try:
                resp = await client.request(method, path, content=content)
            except httpx.TransportError as e:
                err, wait = _retryable_transport_error(e, call, self.endpoint), 0.0
            else:
                value, err, wait = _response_outcome(resp, call)
                if err is None:
                    return value
            delay = next(delays, None)
            if delay is None:
                raise err
            await asyncio.sleep(max(delay, wait))

    async def changes(self, collection: str, from_seq: Optional[int], follow: bool,
                      with_vectors: bool) -> AsyncIterator[Dict[str, Any]]:
        """The change feed's lines as dicts (one connection; no resuming)."""
        call = Call("Changes", collection)
        path, params = _changes_request(collection, from_seq, follow, with_vectors)
        try:
            async with self._get_client().stream(
                    "GET", path, params=params,
                    timeout=_stream_timeout(self._timeout.read, follow)) as resp:
                if resp.status_code >= 400:
                    await resp.aread()
                    raise _error_from(resp, call)
                async for line in resp.aiter_lines():
                    d = _change_line(line, call)
                    if d is not None:
                        yield d
        except httpx.TransportError as e:
            raise _interrupted(e) from None

    async def close(self) -> None:
        """Closes the connection pool."""
        if self._client is not None:
            await self._client.aclose()
            self._client = None
