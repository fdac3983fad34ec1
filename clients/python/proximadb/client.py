"""The blocking client, ``ProximaDBClient``, over REST or gRPC."""

from __future__ import annotations

from typing import Any, Dict, Iterable, Iterator, List, Optional, Sequence, Union, overload

import time
from datetime import datetime

from . import _ops
from ._common import Call, FeedPosition, Filter, Metadata, parse_endpoint
from .exceptions import ProximaDBError, Unavailable
from .models import (
    Alias,
    RestoredSnapshot,
    Snapshot,
    BatchInsertResult,
    Change,
    Collection,
    CollectionStats,
    FacetValue,
    FilterableColumn,
    HealthStatus,
    MetadataPatchResult,
    Point,
    QuarantineEntry,
    ScrollPage,
    SearchGroups,
    SearchResults,
    Migration,
    Segment,
    TieringPolicy,
)

__all__ = ["ProximaDBClient"]


def _flush_fields(
    max_wal_age_hours: Optional[float],
    max_wal_size_mb: Optional[float],
    max_vector_count: Optional[int],
    flush_priority: Optional[int],
    enable_background_flush: Optional[bool],
) -> Dict[str, Any]:
    fields = {
        "max_wal_age_hours": max_wal_age_hours,
        "max_wal_size_mb": max_wal_size_mb,
        "max_vector_count": max_vector_count,
        "flush_priority": flush_priority,
        "enable_background_flush": enable_background_flush,
    }
    return {k: v for k, v in fields.items() if v is not None}


def make_transport(url: Optional[str], protocol: Optional[str], api_key: Optional[str],
                   timeout: Optional[float], max_retries: int, retry_backoff: float,
                   asynchronous: bool) -> Any:
    """The transport for ``url``/``protocol`` (REST or gRPC, sync or async)."""
    endpoint = parse_endpoint(url, protocol)
    args = (endpoint, api_key, timeout, max_retries, retry_backoff)
    if endpoint.protocol == "grpc":
        from . import _grpc

        return _grpc.AsyncGrpcTransport(*args) if asynchronous else _grpc.GrpcTransport(*args)
    from . import _rest

    return _rest.AsyncRestTransport(*args) if asynchronous else _rest.RestTransport(*args)


class ProximaDBClient:
    """A blocking ProximaDB client.

    The transport follows the URL: ``http://host:8080`` (or ``https://``)
    talks REST/JSON, ``grpc://host:5678`` (or ``grpcs://``) talks gRPC;
    ``protocol="rest"|"grpc"`` picks it for a URL without a scheme. Every
    method behaves the same over both: same arguments, same results, same
    exceptions.

    Args:
        url: the server address; default ``http://localhost:8080``, or
            ``grpc://localhost:5678`` when ``protocol="grpc"``.
        api_key: sent as ``Authorization: Bearer <key>`` (REST header or gRPC
            metadata) when the server requires keys.
        timeout: seconds per request (``None``: wait forever). A request that
            takes longer raises :class:`~proximadb.Timeout`.
        protocol: ``"rest"`` or ``"grpc"``; must agree with the URL's scheme.
        max_retries: how many times a request is retried when the server is
            unavailable (HTTP 503, refused connection, gRPC ``UNAVAILABLE``),
            with exponential back-off; other errors are never retried.
        retry_backoff: the first back-off in seconds (doubles, capped at 2 s).

    Use it as a context manager, or call :meth:`close` when done.
    """

    def __init__(
        self,
        url: Optional[str] = None,
        api_key: Optional[str] = None,
        timeout: Optional[float] = 30.0,
        protocol: Optional[str] = None,
        *,
        max_retries: int = 3,
        retry_backoff: float = 0.1,
    ) -> None:
        self._transport = make_transport(url, protocol, api_key, timeout, max_retries,
                                         retry_backoff, asynchronous=False)
        self.protocol: str = self._transport.endpoint.protocol
        self.url: str = self._transport.endpoint.base_url
        # A feed reconnects more patiently than a call retries: a server
        # restart takes seconds (about 15 s of back-off with the defaults).
        self._feed_retries = max(max_retries, 10)
        self._retry_backoff = retry_backoff

    def _run(self, op: "_ops.Op") -> Any:
        """Drives an operation generator with the blocking transport."""
        response: Any = None
        error: Optional[ProximaDBError] = None
        while True:
            try:
                call: Call = op.throw(error) if error is not None else op.send(response)
            except StopIteration as stop:
                return stop.value
            try:
                response, error = self._transport.call(call), None
            except ProximaDBError as e:
                response, error = None, e

    # -- lifecycle ---------------------------------------------------------

    def close(self) -> None:
        """Closes the underlying connections."""
        self._transport.close()

    def __enter__(self) -> "ProximaDBClient":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"ProximaDBClient(url={self.url!r}, protocol={self.protocol!r})"

    # -- health and collections ---------------------------------------------

    def health(self) -> HealthStatus:
        """Returns the server's health (``.status == "healthy"``, ``.version``)."""
        return self._run(_ops.health())

    def create_collection(
        self,
        name: str,
        dimension: int,
        distance_metric: str = "cosine",
        indexing_algorithm: Optional[str] = None,
        max_wal_age_hours: Optional[float] = None,
        max_wal_size_mb: Optional[float] = None,
        max_vector_count: Optional[int] = None,
        flush_priority: Optional[int] = None,
        enable_background_flush: Optional[bool] = None,
        *,
        m: Optional[int] = None,
        ef_construction: Optional[int] = None,
        ef_search: Optional[int] = None,
        wal_format: Optional[str] = None,
        tiering: Union[Dict[str, Any], TieringPolicy, None] = None,
        shard_count: Optional[int] = None,
        replication_factor: Optional[int] = None,
        sparse_vectors: Optional[Iterable[str]] = None,
        default_ttl_seconds: Optional[int] = None,
        vectors: Optional[Dict[str, Dict[str, Any]]] = None,
        quantization: Optional[str] = None,
        storage_strategy: Optional[str] = None,
        memtable: Optional[str] = None,
        nlist: Optional[int] = None,
        nprobe: Optional[int] = None,
        filterable_columns: Optional[Iterable[Union[FilterableColumn, Dict[str, Any]]]] = None,
        compression: Optional[str] = None,
    ) -> Collection:
        """Creates a collection and returns it.

        Args:
            name: ``[A-Za-z0-9_-]``, 1..128 characters.
            dimension: the vectors' length, 1..65536.
            distance_metric: ``"cosine"``, ``"euclidean"`` or ``"dot_product"``.
            indexing_algorithm: ``"hnsw"`` (the standard default) or
                ``"flat"``; ``"ivf"`` with ``storage_strategy="viper"`` (its
                default) or ``"custom"``. ``None``: the storage strategy's
                default.
            max_wal_age_hours, max_wal_size_mb, max_vector_count,
            flush_priority, enable_background_flush: this collection's flush
                policy; unset keys take the server's ``[flush]`` defaults.
            m, ef_construction, ef_search: HNSW parameters.
            quantization: what the index searches: ``"none"`` (float
                vectors; the default but for viper, whose default is
                ``"int8"``), ``"int8"`` (one byte per
                dimension), ``"binary"`` (one bit per dimension) or
                ``"pq"`` (one byte per 4 dimensions); the compressed kinds
                re-score their best candidates on the floats (API.md
                "Quantization").
            storage_strategy: ``"standard"`` (the default: HNSW or flat
                segments, the ordered memtable), ``"viper"``
                (write-optimised: IVF segments with ``int8`` quantization
                and the ``hash`` memtable, the defaults of the keys left
                out; another index kind or memtable is refused) or
                ``"custom"`` (choose the index kind, quantization and
                memtable yourself); API.md "Storage strategies".
            memtable: ``"btree"`` (the standard default, ordered) or
                ``"hash"`` (faster upserts and lookups, sorted when
                scanned; viper's default, custom).
            compression: how segments store ids and metadata: ``"none"``
                (the default but for viper) or ``"zstd"`` (compressed on
                disk, unpacked in memory when a segment opens; viper's
                default, custom).
            filterable_columns: with index kind ``"ivf"`` (viper, or
                custom + ivf): a list of :class:`FilterableColumn` (or
                dicts of ``name``, ``type`` and optional ``indexed``),
                metadata fields whose per-partition statistics let a
                filtered search skip the IVF partitions that cannot match
                (``search(..., explain=True).explain.partitions_pruned``).
                ``type``: ``"string"``, ``"int"``, ``"float"``, ``"bool"``
                or ``"datetime"``; ``indexed=True`` also creates a payload
                index on the field. API.md "Filterable columns".
            nlist, nprobe: with index kind ``"ivf"`` (viper or custom):
                partitions per segment (``None``: about sqrt(rows)) and
                partitions a search probes by default (``None``: the
                index's default, tuned for recall@10 >= 0.95).
            wal_format: ``"native"`` or ``"avro"``.
            tiering: the collection's tiering policy, a dict (or
                ``TieringPolicy``) of ``warm_after_hours``,
                ``cold_after_hours`` (0 = never), ``warm_directory`` (an
                absolute path on the server) and ``cache_mb``; unset keys
                take the server's ``[tiering]`` defaults.
            shard_count: cluster mode (docs/CLUSTER.md): how many shards the
                points are spread over (1..256); ``None`` or 0 = the node's
                default. The answer's ``.shard_count`` is the effective value
                (1 on a single node).
            replication_factor: cluster mode: replicas per shard (1..5);
                ``None`` or 0 = the node's default. A single-node server
                refuses either above 1 (``InvalidArgument``).
            sparse_vectors: names of sparse vectors points may carry beside
                their vector (``[A-Za-z0-9_-]``, 1..64 characters, at most
                16; needs ``wal_format="native"``). Points then take
                ``"sparse_vectors": {"<name>": {"indices": [...], "values":
                [...]}}`` and ``query()`` takes ``{"sparse_vector": {...},
                "using": "<name>"}`` prefetches.
            default_ttl_seconds: time to live: points written without their
                own ``"expires_at"`` expire this many seconds after the write
                (1..3162240000, i.e. 100 years; ``None`` or 0 = never; needs
                ``wal_format="native"``). A point's ``"expires_at"`` (an RFC
                3339 string or a timezone-aware ``datetime``) sets its own
                time; expired points are invisible to every read.
            vectors: named dense vectors beside the main one, ``{"<name>":
                {"dimension": 128, "distance_metric": "cosine",
                "multivector": False, "index": {"indexing_algorithm":
                "hnsw", "m": 16, "ef_construction": 200, "ef_search":
                64}}}`` (names as for sparse vectors; ``index`` optional,
                these are its defaults, ``"flat"`` for exact scans only;
                needs ``wal_format="native"``). Points then take
                ``"vectors": {"<name>": [...]}`` (a list of vectors for a
                multivector name) and ``search(..., using="<name>")``
                searches one of them (HNSW per segment once built, MaxSim
                re-scored for a multivector).

        Raises:
            CollectionAlreadyExists: the name is taken.
            InvalidArgument: a value is out of range, or ``shard_count`` /
                ``replication_factor`` above 1 on a single-node server.
        """
        flush = _flush_fields(max_wal_age_hours, max_wal_size_mb, max_vector_count,
                              flush_priority, enable_background_flush)
        return self._run(_ops.create_collection(name, dimension, distance_metric,
                                                indexing_algorithm, m, ef_construction,
                                                ef_search, wal_format, flush, tiering,
                                                shard_count, replication_factor,
                                                sparse_vectors, default_ttl_seconds,
                                                vectors, quantization, storage_strategy,
                                                memtable, nlist, nprobe, filterable_columns,
                                                compression))

    def get_collection(self, name: str) -> Collection:
        """Returns the collection with its current counts.

        Raises:
            CollectionNotFound: no such collection.
        """
        return self._run(_ops.get_collection(name))

    def has_collection(self, name: str) -> bool:
        """Returns whether the collection exists."""
        return self._run(_ops.has_collection(name))

    def list_collections(self) -> List[Collection]:
        """Returns every collection."""
        return self._run(_ops.list_collections())

    def update_collection(
        self,
        name: str,
        max_wal_age_hours: Optional[float] = None,
        max_wal_size_mb: Optional[float] = None,
        max_vector_count: Optional[int] = None,
        flush_priority: Optional[int] = None,
        enable_background_flush: Optional[bool] = None,
        *,
        tiering: Union[Dict[str, Any], TieringPolicy, None] = None,
    ) -> Collection:
        """Changes the given keys of the collection's flush policy and, with
        ``tiering`` (a dict or ``TieringPolicy``: ``warm_after_hours``,
        ``cold_after_hours``, ``warm_directory``, ``cache_mb``), of its tiering
        policy; returns the collection.

        Raises:
            InvalidArgument: no key given, or a value out of range.
            CollectionNotFound: no such collection.
        """
        flush = _flush_fields(max_wal_age_hours, max_wal_size_mb, max_vector_count,
                              flush_priority, enable_background_flush)
        return self._run(_ops.update_collection(name, flush, tiering))

    def delete_collection(self, name: str, missing_ok: bool = False) -> bool:
        """Deletes the collection and its files.

        Returns True when it was deleted, False when it did not exist and
        ``missing_ok`` is set.

        Raises:
            CollectionNotFound: no such collection (unless ``missing_ok``).
        """
        return self._run(_ops.delete_collection(name, missing_ok))

    # -- writes --------------------------------------------------------------

    def insert(
        self,
        collection: str,
        id: Optional[str],
        vector: Any,
        metadata: Optional[Metadata] = None,
    ) -> str:
        """Stores one point (replacing a point with the same id); returns its id.

        Args:
            collection: the collection's name.
            id: the point's id, or None for a server-generated UUID.
            vector: a sequence of numbers or a 1-D numpy array.
            metadata: a JSON object.

        Raises:
            DimensionMismatch: the vector's length is not the collection's dimension.
            CollectionNotFound: no such collection.
        """
        return self._run(_ops.insert(collection, id, vector, metadata))

    def batch_insert(
        self,
        collection: str,
        vectors: Any,
        ids: Optional[Sequence[Any]] = None,
        metadata: Optional[Sequence[Optional[Metadata]]] = None,
        *,
        chunk_size: int = 1000,
        show_progress: bool = False,
    ) -> BatchInsertResult:
        """Stores many points, ``chunk_size`` per request.

        ``vectors`` is either a list of dicts ``{"id", "vector", "metadata"}``
        (or :class:`Point` objects), or the vectors alone (2-D numpy array or
        list of vectors) with ``ids`` and ``metadata`` as parallel lists.
        Each chunk is atomic; a failing chunk raises after the earlier chunks
        were stored. ``show_progress`` draws a progress bar on stderr.

        Raises:
            DimensionMismatch, InvalidArgument: a point is invalid (its chunk
                stores nothing).
            CollectionNotFound: no such collection.
        """
        return self._run(_ops.batch_insert(collection, vectors, ids, metadata, chunk_size,
                                           show_progress))

    def upsert(
        self,
        collection: str,
        points: Any,
        ids: Optional[Sequence[Any]] = None,
        metadata: Optional[Sequence[Optional[Metadata]]] = None,
        *,
        chunk_size: int = 1000,
        show_progress: bool = False,
    ) -> BatchInsertResult:
        """Inserts or replaces points: one point dict/:class:`Point` or a batch as for
        :meth:`batch_insert`."""
        return self._run(_ops.batch_insert(collection, points, ids, metadata, chunk_size,
                                           show_progress, label="upsert"))

    def update_metadata(self, collection: str, id: str, metadata: Metadata) -> None:
        """Replaces a point's whole metadata, keeping its vector.

        Raises:
            PointNotFound: no such point.
            CollectionNotFound: no such collection.
        """
        return self._run(_ops.update_metadata(collection, id, metadata))

    def patch_metadata(
        self,
        collection: str,
        ids: Optional[Union[str, Sequence[str]]] = None,
        *,
        filter: Optional[Filter] = None,
        set: Optional[Metadata] = None,
        unset: Optional[Sequence[str]] = None,
    ) -> MetadataPatchResult:
        """Sets and removes top-level metadata keys of points, keeping their
        other keys and their vectors.

        Give ``ids`` (each request of up to 10,000 ids is atomic) or a
        non-empty ``filter`` (every matching point, page by page). ``set``
        writes keys, ``unset`` removes keys; a key may not be in both.

        Returns:
            A :class:`MetadataPatchResult`: ``updated_count`` and, by ids,
            ``not_found`` (the ids that name no point).

        Raises:
            InvalidArgument: both or neither of ids and filter, nothing to
                change, a key in both, or a result nested too deep.
            CollectionNotFound: no such collection.
        """
        return self._run(_ops.patch_metadata(collection, ids, filter, set, unset))

    def delete(self, collection: str, ids: Union[str, Sequence[str]], *,
               chunk_size: int = 1000) -> int:
        """Deletes points by id; returns how many existed. Unknown ids are ignored."""
        return self._run(_ops.delete(collection, ids, chunk_size))

    def delete_by_filter(self, collection: str, filter: Filter) -> int:
        """Deletes the points matching a (non-empty) filter; returns how many."""
        return self._run(_ops.delete_by_filter(collection, filter))

    # -- reads ---------------------------------------------------------------

    @overload
    def get(self, collection: str, ids: str) -> Point: ...

    @overload
    def get(self, collection: str, ids: Sequence[str]) -> List[Point]: ...

    def get(self, collection: str, ids: Union[str, Sequence[str]], *,
            include_vectors: bool = True) -> Any:
        """Reads points with their vectors and metadata.

        Given one id, returns its :class:`Point` or raises
        :class:`PointNotFound`; given a list, returns the points that exist,
        in the order asked, each id once (one request per 10,000 ids;
        ``include_vectors=False`` leaves the vectors out).
        """
        return self._run(_ops.get(collection, ids, include_vectors))

    def count(self, collection: str, filter: Optional[Filter] = None) -> int:
        """Counts the points (matching ``filter`` when given)."""
        return self._run(_ops.count(collection, filter))

    def scroll_page(
        self,
        collection: str,
        after_id: Optional[str] = None,
        limit: int = 100,
        filter: Optional[Filter] = None,
        include_vectors: bool = False,
        *,
        consistency: Optional[str] = None,
        order_by: Optional[str] = None,
        direction: str = "asc",
        after_value: Optional[float] = None,
    ) -> ScrollPage:
        """Reads one page of points in id order, after ``after_id`` (exclusive).

        The page's ``next_after_id`` is the cursor for the next page, or None
        on the last one. ``consistency`` is as for :meth:`search`.

        With ``order_by`` (a numeric metadata field) the page is in that field's
        order (``direction`` ``"asc"`` or ``"desc"``, ties by id; points with no
        number there are left out), and the cursor is the pair
        (``after_value``, ``after_id``) from the page's ``next_after_value`` and
        ``next_after_id``.
        """
        return self._run(_ops.scroll_page(collection, after_id, limit, filter, include_vectors,
                                          consistency, order_by, direction, after_value))

    def scroll(
        self,
        collection: str,
        filter: Optional[Filter] = None,
        batch_size: int = 100,
        include_vectors: bool = False,
        after_id: Optional[str] = None,
        *,
        consistency: Optional[str] = None,
        order_by: Optional[str] = None,
        direction: str = "asc",
    ) -> Iterator[Point]:
        """Iterates over every point (matching ``filter``) in id order.

        Pages of ``batch_size`` are fetched lazily, following ``next_after_id``;
        each page is read with ``consistency`` (as for :meth:`search`). With
        ``order_by``, in that numeric field's order (see :meth:`scroll_page`).
        """
        cursor = after_id
        value: Optional[float] = None
        while True:
            page = self.scroll_page(collection, cursor, batch_size, filter, include_vectors,
                                    consistency=consistency, order_by=order_by,
                                    direction=direction, after_value=value)
            yield from page.points
            if page.next_after_id is None or not page.points:
                return
            cursor, value = page.next_after_id, page.next_after_value

    def facet(
        self,
        collection: str,
        key: str,
        filter: Optional[Filter] = None,
        limit: int = 10,
        *,
        consistency: Optional[str] = None,
    ) -> List[FacetValue]:
        """Counts the points (matching ``filter``) holding each value of ``key``.

        Strings, booleans and integers are counted, a point once per distinct
        value; the ``limit`` most frequent values come back, count descending.
        """
        return self._run(_ops.facet(collection, key, filter, limit, consistency))

    def search(
        self,
        collection: str,
        query_vector: Any = None,
        k: int = 10,
        filter: Optional[Filter] = None,
        include_vectors: bool = False,
        include_metadata: bool = True,
        ef_search: Optional[int] = None,
        exact: bool = False,
        *,
        consistency: Optional[str] = None,
        point_id: Optional[str] = None,
        offset: int = 0,
        score_threshold: Optional[float] = None,
        using: Optional[str] = None,
        nprobe: Optional[int] = None,
        explain: bool = False,
    ) -> SearchResults:
        """Finds the ``k`` nearest points, best first.

        Args:
            query_vector: a sequence of numbers or a 1-D numpy array.
            point_id: instead of ``query_vector``, search with the vector of
                this existing point; the point itself is left out of the
                results (raises :class:`PointNotFound` when it does not exist).
            offset: skip the ``offset`` best matches (paging; k + offset at
                most 10000).
            score_threshold: only matches at least this good: cosine and dot
                product score >= it, euclidean distance <= it.
            using: search this named vector of the collection (see
                ``create_collection(vectors=...)``) instead of its main one;
                exact. ``query_vector`` is then of its dimension, and for a
                multivector name a list of vectors (MaxSim).
            k: 1..10000.
            filter: a metadata filter (``{"user": "alice"}``, or the server's
                filter language).
            include_vectors: also return each match's vector.
            include_metadata: return each match's metadata.
            ef_search: HNSW search breadth for this query (1..4096).
            nprobe: IVF partitions to probe for this query (1..65536; for
                collections with ``indexing_algorithm="ivf"``).
            exact: brute force instead of the index.
            explain: also return how the search was run, as the
                results' ``.explain`` (a :class:`SearchExplain`: a
                ``SourcePlan`` per source, ``distances_computed``,
                ``nodes_visited``, ``partitions_pruned``); ``None`` without.
            consistency: which replica may answer in cluster mode:
                ``"eventual"`` (the server's default when ``None``: any
                replica, which may miss the newest acknowledged writes) or
                ``"strong"`` (one that applied every write acknowledged
                before the request). On a single node both read the one
                copy. Anything else raises ``InvalidArgument``.

        Returns:
            A list of :class:`SearchResult` (``.id``, ``.score``,
            ``.metadata``, ``.vector``) with ``.total_count``.

        Raises:
            DimensionMismatch: the query's length is not the collection's dimension.
            CollectionNotFound: no such collection.
            InvalidArgument: a value is out of range, or an unknown ``consistency``.
        """
        return self._run(_ops.search(collection, query_vector, k, filter, include_vectors,
                                     include_metadata, ef_search, exact, consistency,
                                     point_id, offset, score_threshold,
                                     using, nprobe, explain))

    def search_groups(
        self,
        collection: str,
        query_vector: Any = None,
        group_by: str = "",
        group_size: int = 1,
        k: int = 10,
        filter: Optional[Filter] = None,
        include_vectors: bool = False,
        include_metadata: bool = True,
        ef_search: Optional[int] = None,
        exact: bool = False,
        *,
        consistency: Optional[str] = None,
        point_id: Optional[str] = None,
        offset: int = 0,
        score_threshold: Optional[float] = None,
        using: Optional[str] = None,
    ) -> SearchGroups:
        """Finds the ``k`` best groups of points sharing a value of the
        metadata field ``group_by`` (string and integer values; each element
        of an array), each with its best ``group_size`` hits.

        Groups rank by their best hit; the answer is exact even when a
        group's hits are spread far down the ranking. ``query_vector`` /
        ``point_id``, ``offset`` (groups skipped), ``score_threshold`` and
        the other arguments are as for :meth:`search`; (k + offset) *
        group_size is at most 10000.

        Returns:
            A list of :class:`SearchGroup` (``.id``, ``.hits``: a
            :class:`SearchResults`) with ``.total_count``.
        """
        return self._run(_ops.search_groups(collection, query_vector, group_by, group_size, k,
                                            filter, include_vectors, include_metadata,
                                            ef_search, exact, consistency, point_id, offset,
                                            score_threshold, using))

    def recommend(
        self,
        collection: str,
        positive: Sequence[Any],
        negative: Optional[Sequence[Any]] = None,
        k: int = 10,
        strategy: str = "average",
        filter: Optional[Filter] = None,
        include_vectors: bool = False,
        include_metadata: bool = True,
        ef_search: Optional[int] = None,
        exact: bool = False,
        *,
        consistency: Optional[str] = None,
        offset: int = 0,
        score_threshold: Optional[float] = None,
        using: Optional[str] = None,
    ) -> SearchResults:
        """Finds points like the ``positive`` examples and unlike the
        ``negative`` ones; an example is an existing point's id (left out of
        the results) or a vector; 1..64 examples, at least one positive.

        ``strategy``: ``"average"`` searches with 2 * mean(positive) -
        mean(negative); ``"best_score"`` scores each candidate by its
        nearest positive example and leaves out those at least as near to a
        negative one. ``using`` names one of the collection's (single, not
        multivector) named vectors: examples are then vectors under that name
        (an id example is that point's vector under it), and candidates are
        searched and scored by it. Other arguments are as for :meth:`search`.

        Raises:
            PointNotFound: an example id does not exist.
        """
        return self._run(_ops.recommend(collection, positive, negative, strategy, k, filter,
                                        include_vectors, include_metadata, ef_search, exact,
                                        consistency, offset, score_threshold, using))

    def query(
        self,
        collection: str,
        prefetch: Sequence[Dict[str, Any]],
        fusion: str = "rrf",
        limit: int = 10,
        *,
        rrf_k: Optional[int] = None,
        rescore: Any = None,
        include_vectors: bool = False,
        include_metadata: bool = True,
        consistency: Optional[str] = None,
    ) -> SearchResults:
        """Hybrid retrieval: each ``prefetch`` item is one ranked list, a
        dense search ``{"vector": [...]}``, a sparse search
        ``{"sparse_vector": {"indices": [...], "values": [...]}, "using":
        "<sparse vector name>"}`` (exact dot product) or a BM25 text search
        ``{"text": "words", "using": "<metadata field>"}`` (each with
        optional ``"limit"``, ``"filter"``; vectors also ``"ef_search"``),
        fused into one ranking: ``fusion="rrf"`` (sum of 1 / (rrf_k + rank),
        rrf_k default 60) or ``"dbsf"`` (each list's scores normalised by
        mean +- 3 sd, summed). ``rescore``: a vector that re-ranks the fused
        candidates by the collection's metric. Returns the best ``limit``.
        """
        return self._run(_ops.query(collection, prefetch, fusion, limit, rrf_k, rescore,
                                    include_vectors, include_metadata, consistency))

    def batch_search(
        self,
        collection: str,
        query_vectors: Any,
        k: int = 10,
        filter: Union[Filter, Sequence[Optional[Filter]], None] = None,
        include_vectors: bool = False,
        include_metadata: bool = True,
        ef_search: Optional[int] = None,
        exact: bool = False,
        *,
        chunk_size: int = 1024,
        consistency: Optional[str] = None,
    ) -> List[SearchResults]:
        """Runs many searches; returns one result list per query, in order.

        ``query_vectors`` is a 2-D numpy array or a list of vectors;
        ``filter`` is one filter for every query or a list with one per query.
        Queries are sent ``chunk_size`` (at most 1024) per request, each with
        ``consistency`` (as for :meth:`search`).
        """
        return self._run(_ops.batch_search(collection, query_vectors, k, filter,
                                           include_vectors, include_metadata, ef_search,
                                           exact, chunk_size, consistency))

    # -- maintenance -----------------------------------------------------------

    def flush(self, collection: str) -> None:
        """Writes the collection's memtable to a segment now."""
        return self._run(_ops.flush(collection))

    def compact(self, collection: str) -> None:
        """Merges the collection's segments and drops deleted points now."""
        return self._run(_ops.compact(collection))

    def stats(self, collection: str) -> CollectionStats:
        """Returns the collection's storage statistics."""
        return self._run(_ops.stats(collection))

    def create_payload_index(self, collection: str, field: str,
                             type: str = "keyword") -> List[Dict[str, str]]:
        """Indexes a metadata field (``keyword``, ``integer``, ``float``,
        ``bool``, ``datetime``, ``geo`` or ``text``) so filtered searches on
        it (``text``: ``{"body": {"$text": "words"}}``) are
        planned from the index.
        Idempotent for the same type. Returns every index of the collection
        as ``{"field", "type"}`` dicts."""
        return self._run(_ops.create_payload_index(collection, field, type))

    def list_payload_indexes(self, collection: str) -> List[Dict[str, str]]:
        """The collection's payload indexes, ordered by field."""
        return self._run(_ops.list_payload_indexes(collection))

    def delete_payload_index(self, collection: str, field: str) -> List[Dict[str, str]]:
        """Drops the index on ``field``; returns the remaining ones."""
        return self._run(_ops.delete_payload_index(collection, field))

    # -- segments and tiers ----------------------------------------------------

    def list_segments(self, collection: str) -> List[Segment]:
        """The collection's segments, oldest first, each with its tier
        (``"hot"``, ``"warm"`` or ``"cold"``), size and directory."""
        return self._run(_ops.list_segments(collection))

    def move_segment(self, collection: str, segment_id: int, tier: str) -> Segment:
        """Moves one segment to ``tier`` (``"hot"``, ``"warm"`` or ``"cold"``)
        and returns its entry once the move is committed.

        Raises:
            InvalidArgument: a bad id or tier.
            NotFound: no such collection or segment.
            FailedPrecondition: the tier is not available (no warm
                directory; the server does not serve the cold tier yet).
            Unavailable: the tier's storage cannot be reached (the segment
                stays where it was).
        """
        return self._run(_ops.move_segment(collection, segment_id, tier))

    # -- live migration --------------------------------------------------------

    def migrate(self, collection: str, *, storage_strategy: Optional[str] = None,
                memtable: Optional[str] = None, indexing_algorithm: Optional[str] = None,
                m: Optional[int] = None, ef_construction: Optional[int] = None,
                ef_search: Optional[int] = None, quantization: Optional[str] = None,
                nlist: Optional[int] = None, nprobe: Optional[int] = None,
                filterable_columns: Optional[
                    Iterable[Union[FilterableColumn, Dict[str, Any]]]] = None,
                compression: Optional[str] = None) -> Migration:
        """Changes the collection's storage layout while it serves
        (``POST /api/v1/collections/{name}/migrate``): the target is
        committed at once (new segments and the next memtable use it) and
        each segment's index is rebuilt into it in the background; reads
        and writes go on, and a segment switches when its new index is
        saved. The arguments are the layout as ``create_collection`` takes
        it; those left out take their create defaults (``standard``,
        ``btree``, ``hnsw`` m 16 ..., no filterable columns;
        ``storage_strategy="viper"`` alone: ``hash``, ``ivf``, ``int8``,
        ``zstd``). A change of ``compression`` rewrites each hot segment.
        ``filterable_columns`` (as ``create_collection`` takes them, index
        kind ``ivf`` only) are the target's columns: their statistics are
        rebuilt with each segment's index, and the ``indexed`` ones get
        their payload index when the migration starts. The answer's
        ``from_layout`` / ``to_layout`` list them as ``FilterableColumn``
        under ``"filterable_columns"``. A restart resumes a running
        migration. Poll ``get_migration`` for progress.

        Raises:
            InvalidArgument: a layout ``create_collection`` would refuse.
            FailedPrecondition: a migration is running already, the
                collection has cold segments, or an ``indexed`` column's
                field already has a payload index of another type.
        """
        return self._run(_ops.migrate(collection, storage_strategy, memtable,
                                            indexing_algorithm, m, ef_construction,
                                            ef_search, quantization, nlist, nprobe,
                                            filterable_columns, compression))

    def get_migration(self, collection: str) -> Migration:
        """The collection's last migration and its progress (segments and
        points done and in all, ``eta_seconds``). Raises NotFound when it was
        never migrated."""
        return self._run(_ops.get_migration(collection))

    def cancel_migration(self, collection: str) -> Migration:
        """Cancels the running migration: the layout goes back to the one
        migrated from, and segments already rebuilt are rebuilt back in the
        background. Raises FailedPrecondition when none is running."""
        return self._run(_ops.cancel_migration(collection))

    # -- aliases ---------------------------------------------------------------

    def update_aliases(self, actions: Sequence[Dict[str, Any]]) -> List[Alias]:
        """Applies alias actions atomically (all or none) and returns every
        alias afterwards, ordered by alias.

        Each action is ``{"create": {"alias": a, "collection": c}}`` or
        ``{"delete": {"alias": a}}``; a delete and a create of the same
        alias in one call switch it with no moment in between. Every call
        that takes a collection name accepts an alias. Needs a read-write
        API key when the server has keys.

        Raises:
            AlreadyExists: the alias is a collection's name, or an alias the
                same call did not delete first.
            NotFound: the collection (create) or the alias (delete) does not
                exist.
            InvalidArgument: no action, more than 100, or a bad name.
        """
        return self._run(_ops.update_aliases(list(actions)))

    def list_aliases(self) -> List[Alias]:
        """Every alias, ordered by alias."""
        return self._run(_ops.list_aliases())

    # -- cluster -----------------------------------------------------------------

    def cluster(self) -> Dict[str, Any]:
        """The cluster as the server sees it (``GET /api/v1/cluster``), as a dict:
        ``{"enabled", "node_id", "nodes": [{"id", "node_id", "rest_url",
        "rest_address", "grpc_address", "alive", "draining", "replicas"}],
        "shards": [{"collection", "shard", "stream", "primary",
        "fencing_token", "last_seq", "lag", "first_seq", "snapshot_id",
        "snapshot_node", "snapshot_seq", "snapshot_unix_ms", "replicas":
        [{"node_id", "primary", "reported", "applied_seq", "lag",
        "state"}]}]}``; a node's ``"id"`` and ``"node_id"`` are the same, a
        shard's ``"lag"`` is the most any replica that answered is behind,
        its ``"first_seq"`` the log's first entry still held and its
        ``"snapshot_*"`` its newest snapshot; a node's ``"draining"``: a
        drain was asked for (``drain_node``), its ``"replicas"``: the shard
        replicas the placement gives it.

        A single-node server answers ``{"enabled": False, "node_id": "",
        "nodes": [], "shards": []}``; cluster mode is described in
        docs/CLUSTER.md. A read: a read-only API key may call it.
        """
        return self._run(_ops.cluster())

    def drain_node(self, node_id: str) -> Dict[str, Any]:
        """Starts draining cluster node ``node_id``
        (``POST /api/v1/cluster/nodes/{id}/drain``, gRPC ``DrainNode``): the
        cluster is asked to move the shard replicas its placement gives the
        node to the other nodes, each once its new copy has caught up
        (docs/CLUSTER.md). ``cluster()`` reports each node's ``"draining"``
        and ``"replicas"``.

        Returns the server's answer, ``{"node_id": node_id, "draining": True}``.
        Raises ``InvalidArgument`` for an id that is not 1..128 characters of
        ``[A-Za-z0-9_-]`` (the rules of ``[cluster] node_id``), ``NotFound``
        when the cluster does not know the node (neither live nor holding a
        replica), ``FailedPrecondition`` on a single-node server (draining
        needs cluster mode). Needs a read-write API key.
        """
        return self._run(_ops.drain_node(node_id, cancel=False))

    def cancel_drain(self, node_id: str) -> Dict[str, Any]:
        """Cancels the drain of cluster node ``node_id``
        (``DELETE /api/v1/cluster/nodes/{id}/drain``, gRPC ``DrainNode`` with
        ``cancel``). Cancelling when no drain is on is not an error.

        Returns ``{"node_id": node_id, "draining": False}``. Raises
        ``InvalidArgument`` for a malformed id and ``FailedPrecondition`` on
        a single-node server, as ``drain_node``. Needs a read-write API key.
        """
        return self._run(_ops.drain_node(node_id, cancel=True))

    def create_alias(self, alias: str, collection: str) -> List[Alias]:
        """Creates ``alias`` for ``collection`` (its own name)."""
        return self.update_aliases([{"create": {"alias": alias, "collection": collection}}])

    def delete_alias(self, alias: str) -> List[Alias]:
        """Deletes ``alias`` (``NotFound`` when there is none); the
        collection stays."""
        return self.update_aliases([{"delete": {"alias": alias}}])

    def switch_alias(self, alias: str, collection: str) -> List[Alias]:
        """Points the existing ``alias`` at ``collection`` in one atomic
        request (delete + create): requests through the alias see the old
        collection or the new one, never neither. ``NotFound`` when the
        alias does not exist yet (use ``create_alias``)."""
        return self.update_aliases([
            {"delete": {"alias": alias}},
            {"create": {"alias": alias, "collection": collection}},
        ])

    # -- change feed -----------------------------------------------------------

    def changes(self, collection: str, from_seq: Optional[int] = None, *,
                after: Optional[Change] = None, follow: bool = True,
                with_vectors: bool = True, reconnect: bool = True) -> Iterator[Change]:
        """Iterates over every acknowledged write of ``collection``, in order:
        one :class:`Change` per operation (``upsert``, ``delete``,
        ``update_metadata``).

        Args:
            from_seq: the first sequence to deliver (default: the oldest the
                server retained).
            after: a Change received earlier: continue right after it (the
                rest of its write, if it was not the last operation of it).
            follow: keep waiting for new writes (default); ``False`` stops
                once everything written when it started was delivered.
            with_vectors: include vectors (default).
            reconnect: when the connection breaks or the server cuts a slow
                consumer off, reconnect (with back-off) and continue exactly
                where it stopped: nothing is missed or repeated.

        Raises:
            OutOfRange: ``from_seq`` (or the position reached after a long
                disconnection) is older than what the server retained (see
                ``[storage] wal_retention_hours``); the message names the
                oldest available sequence.
            CollectionNotFound: no such collection (or it was dropped).
        """
        pos = FeedPosition(from_seq, after, self._feed_retries, self._retry_backoff)
        while True:
            error: Optional[Unavailable] = None
            try:
                for line in self._transport.changes(collection, pos.from_seq, follow,
                                                    with_vectors):
                    change = pos.accept(line)
                    if change is not None:
                        yield change
            except Unavailable as e:
                error = e
            delay = pos.ended(follow, error, reconnect)
            if delay is None:
                return
            time.sleep(delay)
    # -- snapshots -------------------------------------------------------------

    def create_snapshot(self, collection: str, target: Optional[str] = None) -> Snapshot:
        """Snapshots ``collection`` (a name or an alias), consistent at one
        WAL sequence, while writes and searches go on.

        ``target`` is ``"local"`` (the server's snapshot directory) or
        ``"s3"`` (the object store of its ``[tiering]`` section); ``None``
        uses the server's ``[snapshots] default_target``. Files an earlier
        snapshot of the collection already holds are re-used:
        ``uploaded_bytes`` says what this one uploaded. Needs a read-write
        API key when the server has keys.

        Raises:
            InvalidArgument: a target other than local or s3.
            FailedPrecondition: ``s3`` without an object store configured.
            CollectionNotFound: no such collection.
        """
        return self._run(_ops.create_snapshot(collection, target))

    def create_database_snapshot(self, target: Optional[str] = None) -> Snapshot:
        """Snapshots every collection (each at its own WAL sequence) and
        every alias under one id (``kind == "database"``). Each collection
        in it is listed and restorable through its own name; the whole is
        restored into an empty data directory with ``proximadb-server
        --restore-snapshot <id>``."""
        return self._run(_ops.create_database_snapshot(target))

    def list_snapshots(self, collection: str) -> List[Snapshot]:
        """The collection's snapshots (also after it was dropped, by its
        name), oldest first, without their files."""
        return self._run(_ops.list_snapshots(collection))

    def get_snapshot(self, collection: str, id: str) -> Snapshot:
        """One snapshot with its files (name, role, size, CRC32C)."""
        return self._run(_ops.get_snapshot(collection, id))

    def delete_snapshot(self, collection: str, id: str) -> None:
        """Deletes the snapshot and the files no other snapshot shares."""
        self._run(_ops.delete_snapshot(collection, id))

    def restore_snapshot(self, collection: str, id: str, target_collection: str,
                         overwrite: bool = False) -> RestoredSnapshot:
        """Restores snapshot ``id`` of ``collection`` as
        ``target_collection``. Every file is downloaded and verified before
        anything is committed; the collection appears whole or not at all.

        Raises:
            AlreadyExists: ``target_collection`` exists and ``overwrite`` is
                false (with ``overwrite`` it is replaced once the restored
                copy is verified).
            NotFound: no such snapshot of ``collection``.
            ProximaDBError: a file of the snapshot is damaged or missing
                (nothing was changed).
        """
        return self._run(_ops.restore_snapshot(collection, id, target_collection, overwrite))

    def restore_point_in_time(self, collection: str, target_collection: str, *,
                              as_of: Union[str, datetime, None] = None,
                              sequence: Optional[int] = None,
                              overwrite: bool = False) -> RestoredSnapshot:
        """Restores ``collection`` as it was at a point, as
        ``target_collection``: every write at or before ``as_of`` (a
        timezone-aware ``datetime`` or an RFC 3339 string), or every write
        up to WAL ``sequence`` (give exactly one). The server takes the
        newest snapshot at or before the point and replays the archived WAL
        after it (the collection's ``tiering.wal_archive``); everything is
        verified before anything is committed.

        Raises:
            OutOfRange: no snapshot precedes the point, or the WAL archive
                does not reach it (the message says what is available).
            InvalidArgument: neither or both points, a bad time, a time in
                the future.
            AlreadyExists: ``target_collection`` exists and ``overwrite`` is
                false.
        """
        return self._run(_ops.restore_point_in_time(collection, target_collection, as_of,
                                                    sequence, overwrite))

    # -- admin -----------------------------------------------------------------

    def list_quarantine(self) -> List[QuarantineEntry]:
        """The server's quarantine, oldest first: what start-up could not
        account for and moved aside instead of deleting."""
        return self._run(_ops.list_quarantine())

    def clear_quarantine(self, id: Optional[str] = None) -> int:
        """Deletes quarantine entry ``id`` (``NotFound`` when there is none),
        or every entry when ``id`` is None; returns how many were deleted.
        Needs a read-write API key when the server has keys."""
        return self._run(_ops.clear_quarantine(id))
