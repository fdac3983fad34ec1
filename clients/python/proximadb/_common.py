"""Transport-neutral pieces shared by the sync and async clients.

A client method is written once, as a generator that yields :class:`Call`
values (one per server request) and receives each answer in the REST JSON
shape. The sync client drives it with blocking transports, the async client
with awaiting ones, and the REST and gRPC transports both execute a ``Call``
and answer the same JSON shape, so every behaviour is shared.
"""

from __future__ import annotations

import math
from array import array
import random
import struct
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from typing import (
    Any,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
    Union,
)
from urllib.parse import urlsplit

from .exceptions import InvalidArgument, Unavailable
from .models import Point

try:  # numpy is optional
    import numpy as _np
except ImportError:  # pragma: no cover - exercised only without numpy
    _np = None

DEFAULT_REST_PORT = 8080
DEFAULT_GRPC_PORT = 5678
# The server accepts 1..1024 queries per batch search.
MAX_BATCH_SEARCH = 1024
# Ids per GetPoints / PatchMetadata request (the server's kMaxIdsPerCall).
MAX_IDS_PER_CALL = 10000

Vector = Union[Sequence[float], Any]  # a sequence of numbers or a 1-D numpy array
Metadata = Dict[str, Any]
Filter = Dict[str, Any]

# Operations whose not_found may name the point rather than the collection.
# (Search and BatchSearch by the id of a point too.)
POINT_OPS = frozenset({"Get", "UpdateMetadata", "Search", "BatchSearch", "Recommend"})
# Operations on the server rather than on a collection.
ADMIN_OPS = frozenset({"ListQuarantine", "ClearQuarantine", "UpdateAliases", "ListAliases",
                       "CreateDatabaseSnapshot", "GetCluster", "DrainNode"})


class Call(NamedTuple):
    """One server request, independent of the transport.

    ``op`` is the service operation (also the gRPC method name), ``body`` the
    REST JSON body (``None``: no body), ``collection`` and ``point_id`` the
    path parameters.
    """

    op: str
    collection: Optional[str] = None
    body: Optional[Dict[str, Any]] = None
    point_id: Optional[str] = None


@dataclass
class Endpoint:
    """Where and how to connect, parsed from the client's ``url``."""

    protocol: str  # "rest" | "grpc"
    base_url: str  # REST: scheme://host:port ; gRPC: host:port
    secure: bool


def parse_endpoint(url: Optional[str], protocol: Optional[str]) -> Endpoint:
    """Parses ``url`` and ``protocol`` into an :class:`Endpoint`.

    ``http://`` and ``https://`` URLs mean REST, ``grpc://`` and ``grpcs://``
    gRPC; ``protocol`` ("rest" or "grpc") picks the transport for a URL
    without a scheme and may not contradict the scheme. Without a port the
    defaults are 8080 (REST) and 5678 (gRPC).
    """
    if protocol is not None:
        protocol = protocol.lower()
        if protocol in ("http", "https", "json"):
            protocol = "rest"
        if protocol not in ("rest", "grpc"):
            raise ValueError(f"protocol must be 'rest' or 'grpc', not {protocol!r}")
    if url is None:
        url = "grpc://localhost:5678" if protocol == "grpc" else "http://localhost:8080"
    raw = url.strip()
    if "://" not in raw:
        raw = ("grpc://" if protocol == "grpc" else "http://") + raw
    parts = urlsplit(raw)
    scheme = parts.scheme.lower()
    if scheme in ("http", "https"):
        url_protocol = "rest"
    elif scheme in ("grpc", "grpcs"):
        url_protocol = "grpc"
    else:
        raise ValueError(f"unsupported URL scheme {scheme!r} in {url!r}")
    if protocol is not None and protocol != url_protocol:
        raise ValueError(f"protocol={protocol!r} contradicts the URL {url!r}")
    secure = scheme in ("https", "grpcs")
    host = parts.hostname or "localhost"
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    port = parts.port or (DEFAULT_GRPC_PORT if url_protocol == "grpc" else DEFAULT_REST_PORT)
    if url_protocol == "rest":
        path = parts.path.rstrip("/")
        if path.endswith("/api/v1"):
            path = path[: -len("/api/v1")]
        return Endpoint("rest", f"{scheme}://{host}:{port}{path}", secure)
    return Endpoint("grpc", f"{host}:{port}", secure)


def backoff_delays(max_retries: int, base: float, cap: float = 2.0) -> Iterator[float]:
    """The sleeps between attempts: exponential with jitter, ``max_retries`` of them."""
    for attempt in range(max_retries):
        delay = min(cap, base * (2**attempt))
        yield delay * (0.5 + random.random() / 2)


# --------------------------------------------------------------------------
# Vectors, points and batches


def is_numpy(x: Any) -> bool:
    """True for a numpy array."""
    return _np is not None and isinstance(x, _np.ndarray)


def to_vector(v: Any, what: str = "vector") -> List[float]:
    """A vector as a list of Python floats holding float32 values.

    Accepts lists and tuples of numbers and 1-D numpy arrays (any numeric
    dtype). Values are rounded to float32 here, as the server stores them, so
    both transports send exactly the same numbers. Raises
    :class:`InvalidArgument` for anything else and for NaN or infinite values
    (JSON cannot carry them; the server refuses them over gRPC).
    """
    if is_numpy(v):
        if v.ndim != 1:
            raise InvalidArgument(f"{what} must be 1-D, got shape {tuple(v.shape)}")
        return _np_rows(v, what)
    if isinstance(v, (str, bytes, Mapping)) or not isinstance(v, Iterable):
        raise InvalidArgument(f"{what} must be a sequence of numbers, got {type(v).__name__}")
    out: List[float] = []
    for x in v:
        if isinstance(x, bool) or not isinstance(x, (int, float)) and not _is_np_number(x):
            raise InvalidArgument(f"{what} must contain numbers, got {type(x).__name__}")
        out.append(float(x))
    try:
        rounded = array("f", out).tolist()
    except OverflowError:  # pragma: no cover - array('f') saturates to inf on CPython
        rounded = [math.inf]
    for i, x in enumerate(rounded):
        if not math.isfinite(x):
            raise InvalidArgument(f"{what}[{i}] is not a finite float32 number")
    return rounded


def _np_rows(a: Any, what: str) -> Any:
    """A numeric numpy array as (nested) lists of float32 values."""
    return _np_f32(a, what).tolist()


def _np_f32(a: Any, what: str) -> Any:
    """A numeric numpy array as float32, checked to hold only finite values."""
    if a.dtype.kind not in "fiu":
        raise InvalidArgument(f"{what} must be numeric, got dtype {a.dtype}")
    with _np.errstate(over="ignore", invalid="ignore"):
        f32 = a.astype(_np.float32, copy=False)
    bad = ~_np.isfinite(f32)
    if bad.any():
        where = "".join(f"[{int(i)}]" for i in _np.argwhere(bad)[0])
        raise InvalidArgument(f"{what}{where} is not a finite float32 number")
    return f32


def _is_np_number(x: Any) -> bool:
    return _np is not None and isinstance(x, _np.number)


def to_matrix(vs: Any, what: str = "vectors") -> List[Any]:
    """A batch of vectors as rows: a 2-D numpy array's rows stay float32 numpy
    views (gRPC sends their bytes as they are, REST prints them; neither needs
    a list per row), a sequence of vectors becomes lists."""
    if is_numpy(vs):
        if vs.ndim != 2:
            raise InvalidArgument(f"{what} must be 2-D, got shape {tuple(vs.shape)}")
        return list(_np_f32(vs, what))
    return [to_vector(v, f"{what}[{i}]") for i, v in enumerate(vs)]


def named_vector(v: Any, what: str) -> Any:
    """A named vector as the server takes it: one vector (a list of
    numbers), or a multi-vector (a list of vectors, or a 2-D numpy array)."""
    if is_numpy(v):
        return v.tolist()
    if isinstance(v, (list, tuple)) and v and isinstance(v[0], (list, tuple)) \
            or (isinstance(v, (list, tuple)) and v and is_numpy(v[0])):
        return [to_vector(row, f"{what}[{j}]") for j, row in enumerate(v)]
    return to_vector(v, what)


def _point_dict(p: Any, i: int) -> Dict[str, Any]:
    if isinstance(p, Point):
        src: Mapping[str, Any] = {"id": p.id, "vector": p.vector, "metadata": p.metadata,
                                  "sparse_vectors": p.sparse_vectors,
                                  "vectors": p.vectors,
                                  "expires_at": p.expires_at}
    elif isinstance(p, Mapping):
        src = p
    else:
        raise InvalidArgument(f"vectors[{i}] must be a dict or Point, got {type(p).__name__}")
    vec = src.get("vector")
    if vec is None:
        vec = src.get("values", src.get("embedding"))
    if vec is None:
        raise InvalidArgument(f"vectors[{i}] has no 'vector'")
    out: Dict[str, Any] = {"vector": to_vector(vec, f"vectors[{i}].vector")}
    pid = src.get("id")
    if pid is not None:
        out["id"] = str(pid)
    meta = src.get("metadata", src.get("payload"))
    if meta is not None:
        out["metadata"] = meta
    sparse = src.get("sparse_vectors")
    if sparse:
        out["sparse_vectors"] = {
            name: {"indices": [int(x) for x in sv["indices"]],
                   "values": [float(x) for x in sv["values"]]}
            for name, sv in sparse.items()}
    named = src.get("vectors")
    if named:
        out["vectors"] = {str(name): named_vector(v, f"vectors[{i}].vectors.{name}")
                          for name, v in named.items()}
    expires_at = src.get("expires_at")
    if expires_at is not None:
        out["expires_at"] = to_rfc3339(expires_at, f"vectors[{i}].expires_at")
    return out


def to_rfc3339(when: Any, what: str) -> str:
    """A time as the server takes it: an RFC 3339 string as it is, a
    timezone-aware ``datetime`` by its ``isoformat()``. A naive datetime (no
    time zone) is ambiguous and refused, as is an empty string (which gRPC
    could not tell from none). Raises :class:`InvalidArgument` (a
    ``ValueError``)."""
    if isinstance(when, datetime):
        if when.tzinfo is None or when.utcoffset() is None:
            raise InvalidArgument(f"{what}: a datetime without a time zone is ambiguous; "
                                  "use e.g. datetime.now(timezone.utc) or an RFC 3339 string")
        return when.isoformat()
    if isinstance(when, str):
        if not when:
            raise InvalidArgument(f"{what} must be an RFC 3339 time, not empty")
        return when
    raise InvalidArgument(f"{what} must be an RFC 3339 string or a timezone-aware datetime, "
                          f"got {type(when).__name__}")


def looks_like_point(x: Any) -> bool:
    """True for one point given as a dict with a vector or a :class:`Point`."""
    return isinstance(x, Point) or (
        isinstance(x, Mapping) and any(k in x for k in ("vector", "values", "embedding"))
    )


def to_points(
    vectors: Any,
    ids: Optional[Sequence[Any]] = None,
    metadata: Optional[Sequence[Optional[Metadata]]] = None,
) -> List[Dict[str, Any]]:
    """Normalizes a batch into the server's point dicts.

    ``vectors`` is either a sequence of point dicts (``{"id", "vector",
    "metadata"}``) or :class:`Point` objects, or the vectors alone (2-D numpy
    array or sequence of vectors) with ``ids`` and ``metadata`` as parallel
    sequences (each optional: missing ids are generated by the server).
    """
    if looks_like_point(vectors):
        vectors = [vectors]
    if not is_numpy(vectors) and not isinstance(vectors, (list, tuple)):
        vectors = list(vectors)
    n = len(vectors)
    if ids is not None and len(ids) != n:
        raise InvalidArgument(f"{len(ids)} ids for {n} vectors")
    if metadata is not None and len(metadata) != n:
        raise InvalidArgument(f"{len(metadata)} metadata entries for {n} vectors")
    if n and not is_numpy(vectors) and all(looks_like_point(p) for p in vectors):
        if ids is not None or metadata is not None:
            raise InvalidArgument("ids/metadata are given inside the point dicts, not beside them")
        return [_point_dict(p, i) for i, p in enumerate(vectors)]
    rows = to_matrix(vectors)
    out: List[Dict[str, Any]] = []
    for i, row in enumerate(rows):
        p: Dict[str, Any] = {"vector": row}
        if ids is not None and ids[i] is not None:
            p["id"] = str(ids[i])
        if metadata is not None and metadata[i] is not None:
            p["metadata"] = metadata[i]
        out.append(p)
    return out


def check_id(id: str) -> str:
    """A point id as sent: 1..256 bytes (an empty id cannot be addressed in a REST path)."""
    n = len(id.encode("utf-8"))
    if not 1 <= n <= 256:
        raise InvalidArgument(f"point id must be 1..256 bytes, got {n}")
    return id


def chunks(items: Sequence[Any], size: int) -> Iterator[Sequence[Any]]:
    """Splits ``items`` into consecutive slices of at most ``size``."""
    if size < 1:
        raise InvalidArgument(f"chunk_size must be >= 1, got {size}")
    for start in range(0, len(items), size):
        yield items[start : start + size]


class Progress:
    """A minimal progress line on stderr (no dependency)."""

    def __init__(self, total: int, label: str, enabled: bool) -> None:
        self.total = total
        self.done = 0
        self.label = label
        self.enabled = enabled
        self.start = time.monotonic()
        if enabled:
            self._draw()

    def update(self, n: int) -> None:
        """Records ``n`` more items done."""
        self.done += n
        if self.enabled:
            self._draw()

    def close(self) -> None:
        """Ends the line."""
        if self.enabled:
            sys.stderr.write("\n")
            sys.stderr.flush()

    def _draw(self) -> None:
        width = 30
        frac = self.done / self.total if self.total else 1.0
        bar = "#" * int(frac * width)
        rate = self.done / max(time.monotonic() - self.start, 1e-9)
        sys.stderr.write(
            f"\r{self.label} [{bar:<{width}}] {self.done}/{self.total} ({frac:4.0%}) {rate:,.0f}/s"
        )
        sys.stderr.flush()


# --------------------------------------------------------------------------
# float32 values read over gRPC


def f32_shortest(x: float) -> float:
    """The double with the shortest decimal form that rounds to float32 ``x``.

    The REST API prints float32 values in their shortest form (``0.1``, not
    ``0.10000000149011612``); gRPC carries raw float32s. Converting them the
    same way makes both transports return equal Python floats.
    """
    if not math.isfinite(x):
        return x
    target = _F32.unpack(_F32.pack(x))[0]
    for digits in range(6, 10):
        y = float(f"{target:.{digits}g}")
        if _F32.unpack(_F32.pack(y))[0] == target:
            return y
    return target


_F32 = struct.Struct("<f")


def f32_list(values: Iterable[float]) -> List[float]:
    """:func:`f32_shortest` over a sequence (vectorised with numpy when present)."""
    if _np is not None:
        arr = _np.asarray(values, dtype=_np.float32)
        return [float(str(v)) if math.isfinite(v) else float(v) for v in arr]
    return [f32_shortest(v) for v in values]


def body_of(**fields: Any) -> Dict[str, Any]:
    """A JSON body with the ``None`` fields left out."""
    return {k: v for k, v in fields.items() if v is not None}


def search_body(
    query_vector: Any,
    k: int,
    filter: Optional[Filter],
    include_vectors: bool,
    include_metadata: bool,
    ef_search: Optional[int],
    exact: bool,
    what: str = "query_vector",
    consistency: Optional[str] = None,
    point_id: Optional[str] = None,
    offset: int = 0,
    score_threshold: Optional[float] = None,
    using: Optional[str] = None,
) -> Dict[str, Any]:
    """The REST body of one search query: by ``query_vector``, or by the
    vector of the existing point ``point_id``; of the named vector
    ``using`` when given (a list of vectors for a multivector name)."""
    if (query_vector is None) == (point_id is None):
        raise InvalidArgument("give either a query vector or point_id, not both")
    body: Dict[str, Any] = {
        "k": k,
        "include_vector": bool(include_vectors),
        "include_metadata": bool(include_metadata),
    }
    if point_id is not None:
        body["id"] = check_id(str(point_id))
    elif using is not None:
        body["vector"] = named_vector(query_vector, what)
    else:
        body["vector"] = to_vector(query_vector, what)
    if using is not None:
        body["using"] = str(using)
    return add_query_fields(body, filter, ef_search, exact, consistency, offset, score_threshold)


def add_query_fields(
    body: Dict[str, Any],
    filter: Optional[Filter],
    ef_search: Optional[int],
    exact: bool,
    consistency: Optional[str],
    offset: int,
    score_threshold: Optional[float],
) -> Dict[str, Any]:
    """Adds the optional fields a search and a recommendation share to
    ``body`` (those left at their defaults are not sent)."""
    if offset:
        body["offset"] = int(offset)
    if score_threshold is not None:
        body["score_threshold"] = float(score_threshold)
    if filter:
        body["filter"] = filter
    if ef_search is not None:
        body["ef_search"] = ef_search
    if exact:
        body["exact"] = True
    if consistency is not None:
        body["consistency"] = consistency
    return body


def recommend_examples(examples: Any, what: str) -> List[Any]:
    """The REST form of recommendation examples: point ids (str) as they
    are, anything else as a vector."""
    if examples is None:
        return []
    if isinstance(examples, str) or is_numpy(examples) and examples.ndim == 1:
        raise InvalidArgument(f"{what} must be a list of point ids or vectors")
    out: List[Any] = []
    for i, e in enumerate(examples):
        out.append(check_id(e) if isinstance(e, str) else to_vector(e, f"{what}[{i}]"))
    return out


def split_filters(filter: Any, n: int) -> List[Optional[Filter]]:
    """One filter per query: a single dict (or None) applies to all of them."""
    if filter is None or isinstance(filter, Mapping):
        return [filter] * n  # type: ignore[list-item]
    filters = list(filter)
    if len(filters) != n:
        raise InvalidArgument(f"{len(filters)} filters for {n} queries")
    return filters



# --------------------------------------------------------------------------
# The change feed's position, shared by both clients


class FeedPosition:
    """Where a change-feed consumer is: the ``from_seq`` to (re)connect
    with, and the operations of an unfinished write it already has, which a
    reconnection delivers again and this skips."""

    def __init__(self, from_seq: Optional[int], after: Any, retries: int,
                 backoff: float) -> None:
        self._retries, self._backoff = retries, backoff
        self._delays = backoff_delays(retries, backoff)
        if from_seq is not None and after is not None:
            raise ValueError("give from_seq or after, not both")
        if from_seq is not None and (isinstance(from_seq, bool) or int(from_seq) < 1):
            raise ValueError(f"from_seq must be an integer >= 1, got {from_seq!r}")
        self.from_seq: Optional[int] = int(from_seq) if from_seq is not None else None
        self._skip: Optional[Tuple[int, int]] = None  # (seq, last index had)
        if after is not None:
            self._advance(after)

    def _advance(self, change: Any) -> None:
        self.from_seq = change.resume_seq
        self._skip = None if change.complete else (change.seq, change.index)

    def accept(self, line: Dict[str, Any]) -> Any:
        """The Change of a line, or None when it was delivered already."""
        from .models import Change  # models has no dependency on this module

        change = Change.from_dict(line)
        if self._skip is not None and change.seq == self._skip[0] \
                and change.index <= self._skip[1]:
            return None
        self._advance(change)
        self._delays = backoff_delays(self._retries, self._backoff)  # progress
        return change

    def ended(self, follow: bool, error: Optional[BaseException],
              reconnect: bool) -> Optional[float]:
        """After a connection ended (``error`` None: normally): None when the
        feed is done, else the seconds to wait before reconnecting; raises
        when it may not reconnect (any more)."""
        if error is None:
            if not follow:
                return None
            error = Unavailable("Changes: the server ended the stream")
        if not reconnect:
            raise error
        delay = next(self._delays, None)
        if delay is None:
            raise error
        return delay
