"""The asyncio client, ``AsyncProximaDBClient``, over REST (httpx) or gRPC (grpc.aio)."""

from __future__ import annotations

from typing import Any, AsyncIterator, Dict, Iterable, List, Optional, Sequence, Union, overload

import asyncio
from datetime import datetime

from . import _ops
from ._common import Call, FeedPosition, Filter, Metadata
from .exceptions import ProximaDBError, Unavailable
from .client import _flush_fields, make_transport
from .models import (
    Change,
    Alias,
    RestoredSnapshot,
    Snapshot,
    BatchInsertResult,
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

__all__ = ["AsyncProximaDBClient"]


class AsyncProximaDBClient:
    """An asyncio ProximaDB client: the methods of :class:`ProximaDBClient` as coroutines.

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

    Use it as an ``async with`` context manager, or ``await close()`` when done.
    Connections are opened on first use, inside the running event loop.
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
                                         retry_backoff, asynchronous=True)
        self.protocol: str = self._transport.endpoint.protocol
        self.url: str = self._transport.endpoint.base_url
        self._feed_retries = max(max_retries, 10)  # see ProximaDBClient
        self._retry_backoff = retry_backoff

    async def _run(self, op: "_ops.Op") -> Any:
        """Drives an operation generator with the asyncio transport."""
        response: Any = None
        error: Optional[ProximaDBError] = None
        while True:
            try:
                call: Call = op.throw(error) if error is not None else op.send(response)
            except StopIteration as stop:
                return stop.value
            try:
                response, error = await self._transport.call(call), None
            except ProximaDBError as e:
                response, error = None, e

    # -- lifecycle ---------------------------------------------------------

    async def close(self) -> None:
        """Closes the underlying connections."""
        await self._transport.close()

    async def __aenter__(self) -> "AsyncProximaDBClient":
        return self

    async def __aexit__(self, *exc: Any) -> None:
        await self.close()

    def __repr__(self) -> str:
        return f"AsyncProximaDBClient(url={self.url!r}, protocol={self.protocol!r})"

    # -- health and collections ---------------------------------------------

    async def health(self) -> HealthStatus:
        """Returns the server's health (``.status == "healthy"``, ``.version``)."""
        return await self._run(_ops.health())

    async def create_collection(
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
            shard_count, replication_factor: cluster mode (see
                ``ProximaDBClient.create_collection``); a single-node server
                refuses either above 1.
            sparse_vectors: names of sparse vectors (see
                ``ProximaDBClient.create_collection``).
            default_ttl_seconds: time to live of points (see
                ``ProximaDBClient.create_collection``).
            vectors: named dense vectors (see
                ``ProximaDBClient.create_collection``).

        Raises:
            CollectionAlreadyExists: the name is taken.
            InvalidArgument: a value is out of range, or ``shard_count`` /
                ``replication_factor`` above 1 on a single-node server.
        """
        flush = _flush_fields(max_wal_age_hours, max_wal_size_mb, max_vector_count,
                              flush_priority, enable_background_flush)
        return await self._run(_ops.create_collection(name, dimension, distance_metric,
                                                indexing_algorithm, m, ef_construction,
                                                ef_search, wal_format, flush, tiering,
                                                shard_count, replication_factor,
                                                sparse_vectors, default_ttl_seconds,
                                                vectors, quantization, storage_strategy,
                                                memtable, nlist, nprobe, filterable_columns,
                                                compression))

    async def get_collection(self, name: str) -> Collection:
        """Returns the collection with its current counts.

        Raises:
            CollectionNotFound: no such collection.
        """
        return await self._run(_ops.get_collection(name))

    async def has_collection(self, name: str) -> bool:
        """Returns whether the collection exists."""
        return await self._run(_ops.has_collection(name))

    async def list_collections(self) -> List[Collection]:
        """Returns every collection."""
        return await self._run(_ops.list_collections())

    async def update_collection(
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
        return await self._run(_ops.update_collection(name, flush, tiering))

    async def delete_collection(self, name: str, missing_ok: bool = False) -> bool:
        """Deletes the collection and its files.

        Returns True when it was deleted, False when it did not exist and
        ``missing_ok`` is set.

        Raises:
            CollectionNotFound: no such collection (unless ``missing_ok``).
        """
        return await self._run(_ops.delete_collection(name, missing_ok))

    # -- writes --------------------------------------------------------------

    async def insert(
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
        return await self._run(_ops.insert(collection, id, vector, metadata))

    async def batch_insert(
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
        return await self._run(_ops.batch_insert(collection, vectors, ids, metadata, chunk_size,
                                           show_progress))

    async def upsert(
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
        return await self._run(_ops.batch_insert(collection, points, ids, metadata, chunk_size,
                                           show_progress, label="upsert"))

    async def update_metadata(self, collection: str, id: str, metadata: Metadata) -> None:
        """Replaces a point's whole metadata, keeping its vector.

        Raises:
            PointNotFound: no such point.
            CollectionNotFound: no such collection.
        """
        return await self._run(_ops.update_metadata(collection, id, metadata))

    async def patch_metadata(
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
        return await self._run(_ops.patch_metadata(collection, ids, filter, set, unset))

    async def delete(self, collection: str, ids: Union[str, Sequence[str]], *,
               chunk_size: int = 1000) -> int:
        """Deletes points by id; returns how many existed. Unknown ids are ignored."""
        return await self._run(_ops.delete(collection, ids, chunk_size))

    async def delete_by_filter(self, collection: str, filter: Filter) -> int:
        """Deletes the points matching a (non-empty) filter; returns how many."""
        return await self._run(_ops.delete_by_filter(collection, filter))

    # -- reads ---------------------------------------------------------------

    @overload
    async def get(self, collection: str, ids: str) -> Point: ...

    @overload
    async def get(self, collection: str, ids: Sequence[str]) -> List[Point]: ...

    async def get(self, collection: str, ids: Union[str, Sequence[str]], *,
            include_vectors: bool = True) -> Any:
        """Reads points with their vectors and metadata.

        Given one id, returns its :class:`Point` or raises
        :class:`PointNotFound`; given a list, returns the points that exist,
        in the order asked, each id once (one request per 10,000 ids;
        ``include_vectors=False`` leaves the vectors out).
        """
        return await self._run(_ops.get(collection, ids, include_vectors))

    async def count(self, collection: str, filter: Optional[Filter] = None) -> int:
        """Counts the points (matching ``filter`` when given)."""
        return await self._run(_ops.count(collection, filter))

    async def scroll_page(
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
        on the last one. ``consistency`` as for ``ProximaDBClient.search``;
        ``order_by``, ``direction`` and ``after_value`` as for
        ``ProximaDBClient.scroll_page``.
        """
        return await self._run(_ops.scroll_page(collection, after_id, limit, filter,
                                                include_vectors, consistency, order_by,
                                                direction, after_value))

    async def scroll(
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
    ) -> AsyncIterator[Point]:
        """Iterates (``async for``) over every point (matching ``filter``) in id order.

        Pages of ``batch_size`` are fetched lazily, following ``next_after_id``;
        each page is read with ``consistency``. With ``order_by``, in that numeric
        field's order (see ``ProximaDBClient.scroll_page``).
        """
        cursor = after_id
        value: Optional[float] = None
        while True:
            page = await self.scroll_page(collection, cursor, batch_size, filter,
                                          include_vectors, consistency=consistency,
                                          order_by=order_by, direction=direction,
                                          after_value=value)
            for point in page.points:
                yield point
            if page.next_after_id is None or not page.points:
                return
            cursor, value = page.next_after_id, page.next_after_value

    async def facet(
        self,
        collection: str,
        key: str,
        filter: Optional[Filter] = None,
        limit: int = 10,
        *,
        consistency: Optional[str] = None,
    ) -> List[FacetValue]:
        """Counts the points holding each value of ``key`` (``ProximaDBClient.facet``)."""
        return await self._run(_ops.facet(collection, key, filter, limit, consistency))

    async def search(
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
            consistency: ``"eventual"`` (``None``: the server's default) or
                ``"strong"``; see ``ProximaDBClient.search``.

        Returns:
            A list of :class:`SearchResult` (``.id``, ``.score``,
            ``.metadata``, ``.vector``) with ``.total_count``.

        Raises:
            DimensionMismatch: the query's length is not the collection's dimension.
            CollectionNotFound: no such collection.
        """
        return await self._run(_ops.search(collection, query_vector, k, filter, include_vectors,
                                           include_metadata, ef_search, exact, consistency,
                                           point_id, offset, score_threshold,
                                     using, nprobe, explain))

    async def search_groups(
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
        return await self._run(_ops.search_groups(collection, query_vector, group_by, group_size, k,
                                            filter, include_vectors, include_metadata,
                                            ef_search, exact, consistency, point_id, offset,
                                            score_threshold, using))

    async def recommend(
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
        return await self._run(_ops.recommend(collection, positive, negative, strategy, k, filter,
                                        include_vectors, include_metadata, ef_search, exact,
                                        consistency, offset, score_threshold, using))

    async def query(
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
        """See :meth:`ProximaDBClient.query`."""
        return await self._run(_ops.query(collection, prefetch, fusion, limit, rrf_k, rescore,
                                          include_vectors, include_metadata, consistency))

    async def batch_search(
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
        ``consistency``.
        """
        return await self._run(_ops.batch_search(collection, query_vectors, k, filter,
                                                 include_vectors, include_metadata, ef_search,
                                                 exact, chunk_size, consistency))

    # -- maintenance -----------------------------------------------------------

    async def flush(self, collection: str) -> None:
        """Writes the collection's memtable to a segment now."""
        return await self._run(_ops.flush(collection))

    async def compact(self, collection: str) -> None:
        """Merges the collection's segments and drops deleted points now."""
        return await self._run(_ops.compact(collection))

    async def stats(self, collection: str) -> CollectionStats:
        """Returns the collection's storage statistics."""
        return await self._run(_ops.stats(collection))

    async def create_payload_index(self, collection: str, field: str,
                                   type: str = "keyword") -> List[Dict[str, str]]:
        """See ``ProximaDBClient.create_payload_index``."""
        return await self._run(_ops.create_payload_index(collection, field, type))

    async def list_payload_indexes(self, collection: str) -> List[Dict[str, str]]:
        """See ``ProximaDBClient.list_payload_indexes``."""
        return await self._run(_ops.list_payload_indexes(collection))

    async def delete_payload_index(self, collection: str, field: str) -> List[Dict[str, str]]:
        """See ``ProximaDBClient.delete_payload_index``."""
        return await self._run(_ops.delete_payload_index(collection, field))

    async def list_segments(self, collection: str) -> List[Segment]:
        """See ``ProximaDBClient.list_segments``."""
        return await self._run(_ops.list_segments(collection))

    async def move_segment(self, collection: str, segment_id: int, tier: str) -> Segment:
        """See ``ProximaDBClient.move_segment``."""
        return await self._run(_ops.move_segment(collection, segment_id, tier))

    # -- live migration --------------------------------------------------------

    async def migrate(self, collection: str, *, storage_strategy: Optional[str] = None,
                memtable: Optional[str] = None, indexing_algorithm: Optional[str] = None,
                m: Optional[int] = None, ef_construction: Optional[int] = None,
                ef_search: Optional[int] = None, quantization: Optional[str] = None,
                nlist: Optional[int] = None, nprobe: Optional[int] = None,
                filterable_columns: Optional[
                    Iterable[Union[FilterableColumn, Dict[str, Any]]]] = None,
                compression: Optional[str] = None) -> Migration:
        """See ``ProximaDBClient.migrate``."""
        return await self._run(_ops.migrate(collection, storage_strategy, memtable,
                                            indexing_algorithm, m, ef_construction,
                                            ef_search, quantization, nlist, nprobe,
                                            filterable_columns, compression))

    async def get_migration(self, collection: str) -> Migration:
        """See ``ProximaDBClient.get_migration``."""
        return await self._run(_ops.get_migration(collection))

    async def cancel_migration(self, collection: str) -> Migration:
        """See ``ProximaDBClient.cancel_migration``."""
        return await self._run(_ops.cancel_migration(collection))

    # -- aliases ---------------------------------------------------------------

    async def update_aliases(self, actions: Sequence[Dict[str, Any]]) -> List[Alias]:
        """See ``ProximaDBClient.update_aliases``."""
        return await self._run(_ops.update_aliases(list(actions)))

    async def changes(self, collection: str, from_seq: Optional[int] = None, *,
                      after: Optional[Change] = None, follow: bool = True,
                      with_vectors: bool = True,
                      reconnect: bool = True) -> AsyncIterator[Change]:
        """See ``ProximaDBClient.changes`` (``async for change in ...``)."""
        pos = FeedPosition(from_seq, after, self._feed_retries, self._retry_backoff)
        while True:
            error: Optional[Unavailable] = None
            try:
                async for line in self._transport.changes(collection, pos.from_seq, follow,
                                                          with_vectors):
                    change = pos.accept(line)
                    if change is not None:
                        yield change
            except Unavailable as e:
                error = e
            delay = pos.ended(follow, error, reconnect)
            if delay is None:
                return
            await asyncio.sleep(delay)

    async def list_aliases(self) -> List[Alias]:
        """See ``ProximaDBClient.list_aliases``."""
        return await self._run(_ops.list_aliases())

    async def cluster(self) -> Dict[str, Any]:
        """The cluster status as a dict; see ``ProximaDBClient.cluster``
        (single-node: ``{"enabled": False, "node_id": "", "nodes": [],
        "shards": []}``)."""
        return await self._run(_ops.cluster())

    async def drain_node(self, node_id: str) -> Dict[str, Any]:
        """Starts draining cluster node ``node_id``; returns
        ``{"node_id": node_id, "draining": True}``. See
        ``ProximaDBClient.drain_node`` (single-node: ``FailedPrecondition``)."""
        return await self._run(_ops.drain_node(node_id, cancel=False))

    async def cancel_drain(self, node_id: str) -> Dict[str, Any]:
        """Cancels the drain of cluster node ``node_id``; returns
        ``{"node_id": node_id, "draining": False}``. See
        ``ProximaDBClient.cancel_drain``."""
        return await self._run(_ops.drain_node(node_id, cancel=True))

    async def create_alias(self, alias: str, collection: str) -> List[Alias]:
        """See ``ProximaDBClient.create_alias``."""
        return await self.update_aliases(
            [{"create": {"alias": alias, "collection": collection}}])

    async def delete_alias(self, alias: str) -> List[Alias]:
        """See ``ProximaDBClient.delete_alias``."""
        return await self.update_aliases([{"delete": {"alias": alias}}])

    async def switch_alias(self, alias: str, collection: str) -> List[Alias]:
        """See ``ProximaDBClient.switch_alias``."""
        return await self.update_aliases([
            {"delete": {"alias": alias}},
            {"create": {"alias": alias, "collection": collection}},
        ])

    # -- snapshots -------------------------------------------------------------

    async def create_snapshot(self, collection: str, target: Optional[str] = None) -> Snapshot:
        """See ``ProximaDBClient.create_snapshot``."""
        return await self._run(_ops.create_snapshot(collection, target))

    async def create_database_snapshot(self, target: Optional[str] = None) -> Snapshot:
        """See ``ProximaDBClient.create_database_snapshot``."""
        return await self._run(_ops.create_database_snapshot(target))

    async def list_snapshots(self, collection: str) -> List[Snapshot]:
        """See ``ProximaDBClient.list_snapshots``."""
        return await self._run(_ops.list_snapshots(collection))

    async def get_snapshot(self, collection: str, id: str) -> Snapshot:
        """See ``ProximaDBClient.get_snapshot``."""
        return await self._run(_ops.get_snapshot(collection, id))

    async def delete_snapshot(self, collection: str, id: str) -> None:
        """See ``ProximaDBClient.delete_snapshot``."""
        await self._run(_ops.delete_snapshot(collection, id))

    async def restore_snapshot(self, collection: str, id: str, target_collection: str,
                               overwrite: bool = False) -> RestoredSnapshot:
        """See ``ProximaDBClient.restore_snapshot``."""
        return await self._run(
            _ops.restore_snapshot(collection, id, target_collection, overwrite))

    async def restore_point_in_time(self, collection: str, target_collection: str, *,
                                    as_of: Union[str, datetime, None] = None,
                                    sequence: Optional[int] = None,
                                    overwrite: bool = False) -> RestoredSnapshot:
        """See ``ProximaDBClient.restore_point_in_time``."""
        return await self._run(_ops.restore_point_in_time(
            collection, target_collection, as_of, sequence, overwrite))

    async def list_quarantine(self) -> List[QuarantineEntry]:
        """See ``ProximaDBClient.list_quarantine``."""
        return await self._run(_ops.list_quarantine())

    async def clear_quarantine(self, id: Optional[str] = None) -> int:
        """See ``ProximaDBClient.clear_quarantine``."""
        return await self._run(_ops.clear_quarantine(id))
