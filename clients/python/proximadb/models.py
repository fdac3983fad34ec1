"""Typed results returned by the ProximaDB clients.

All of them are plain dataclasses built from the server's answer; the same
call returns equal objects over REST and over gRPC.
"""

from __future__ import annotations

import datetime as _dt
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional, Tuple, Union

__all__ = [
    "HealthStatus",
    "FlushPolicy",
    "Collection",
    "Point",
    "SearchResult",
    "SearchResults",
    "SearchGroup",
    "SearchGroups",
    "BatchInsertResult",
    "CollectionStats",
    "ScrollPage",
    "TieringPolicy",
    "Segment",
    "Change",
    "FilterableColumn",
    "SearchExplain",
    "SourcePlan",
]

FILTERABLE_COLUMN_TYPES = ("string", "int", "float", "bool", "datetime")


@dataclass
class HealthStatus:
    """The server's health answer."""

    status: str
    version: str = ""
    # Collections still recovering after the server's start (requests to
    # them get 503 until they serve) and fenced (damaged; OPERATIONS.md,
    # "Damaged and recovering collections").
    collections_recovering: int = 0
    collections_fenced: int = 0

    @property
    def healthy(self) -> bool:
        """True when the server reports itself healthy."""
        return self.status in ("healthy", "alive", "ready", "ok")

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "HealthStatus":
        """Builds it from the REST JSON shape."""
        return cls(status=str(d.get("status", "")), version=str(d.get("version", "")),
                   collections_recovering=int(d.get("collections_recovering") or 0),
                   collections_fenced=int(d.get("collections_fenced") or 0))


@dataclass
class FlushPolicy:
    """A collection's resolved flush policy (every field set by the server)."""

    max_wal_age_hours: Optional[float] = None
    max_wal_size_mb: Optional[float] = None
    max_vector_count: Optional[int] = None
    flush_priority: Optional[int] = None
    enable_background_flush: Optional[bool] = None

    @classmethod
    def from_dict(cls, d: Optional[Dict[str, Any]]) -> "FlushPolicy":
        """Builds it from the REST JSON shape."""
        d = d or {}
        return cls(
            max_wal_age_hours=_opt_float(d.get("max_wal_age_hours")),
            max_wal_size_mb=_opt_float(d.get("max_wal_size_mb")),
            max_vector_count=_opt_int(d.get("max_vector_count")),
            flush_priority=_opt_int(d.get("flush_priority")),
            enable_background_flush=d.get("enable_background_flush"),
        )


@dataclass
class TieringPolicy:
    """A collection's resolved tiering policy (every field set by the server).

    ``warm_after_hours`` / ``cold_after_hours``: a segment older than this
    moves to the warm / cold tier (0 = never); ``warm_directory``: where warm
    segments live ("" = no warm tier); ``cache_mb``: the byte budget of the
    local cache of cold segments; ``wal_archive``: sealed WAL files are
    copied to the WAL archive, for :meth:`ProximaDBClient.restore_point_in_time`.
    """

    warm_after_hours: Optional[float] = None
    cold_after_hours: Optional[float] = None
    warm_directory: Optional[str] = None
    cache_mb: Optional[int] = None
    wal_archive: Optional[bool] = None

    @classmethod
    def from_dict(cls, d: Optional[Dict[str, Any]]) -> "TieringPolicy":
        """Builds it from the REST JSON shape."""
        d = d or {}
        wd = d.get("warm_directory")
        return cls(
            warm_after_hours=_opt_float(d.get("warm_after_hours")),
            cold_after_hours=_opt_float(d.get("cold_after_hours")),
            warm_directory=None if wd is None else str(wd),
            cache_mb=_opt_int(d.get("cache_mb")),
            wal_archive=None if d.get("wal_archive") is None else bool(d["wal_archive"]),
        )


@dataclass(frozen=True)
class FilterableColumn:
    """A filterable column of a collection with index kind ``ivf``
    (``storage_strategy="viper"``, or ``"custom"`` with
    ``indexing_algorithm="ivf"``): the metadata field path ``name``
    (``"a.b"``, as filters write it) whose per-partition statistics let a
    filtered search skip the IVF partitions that cannot match.

    ``type``: ``"string"``, ``"int"``, ``"float"``, ``"bool"`` or
    ``"datetime"`` (RFC 3339 strings). ``indexed``: the server also keeps a
    payload index on the field (string -> keyword, int -> integer, float ->
    float, bool -> bool, datetime -> datetime).
    """

    name: str
    type: str
    indexed: bool = False

    def to_dict(self) -> Dict[str, Any]:
        """The REST JSON shape, ``{"name", "type", "indexed"}``."""
        return {"name": self.name, "type": self.type, "indexed": self.indexed}

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "FilterableColumn":
        """Builds it from the REST JSON shape."""
        return cls(name=str(d.get("name", "")), type=str(d.get("type", "")),
                   indexed=bool(d.get("indexed", False)))


def _columns(v: Any) -> List[FilterableColumn]:
    return [FilterableColumn.from_dict(c) for c in v or []]


def _tiers(d: Optional[Dict[str, Any]]) -> Dict[str, Dict[str, int]]:
    """{"hot"|"warm"|"cold": {"segments", "bytes", "points"}}."""
    d = d or {}
    return {t: {k: int((d.get(t) or {}).get(k) or 0) for k in ("segments", "bytes", "points")}
            for t in ("hot", "warm", "cold")}


@dataclass
class Collection:
    """A collection's configuration and current counts."""

    name: str
    dimension: int
    distance_metric: str = "cosine"
    indexing_algorithm: str = "hnsw"
    m: Optional[int] = None
    ef_construction: Optional[int] = None
    ef_search: Optional[int] = None
    # "none" (float vectors), "int8", "binary" or "pq".
    quantization: str = "none"
    # "standard", "viper" or "custom" (API.md, "Storage strategies").
    storage_strategy: str = "standard"
    # "btree" or "hash".
    memtable: str = "btree"
    # How segments store ids and metadata: "none" or "zstd" (viper's
    # default; API.md, "Storage strategies").
    compression: str = "none"
    # indexing_algorithm "ivf": partitions per segment and probed by
    # default, as created (0: chosen per segment / the index's default).
    nlist: int = 0
    nprobe: int = 0
    flush_policy: FlushPolicy = field(default_factory=FlushPolicy)
    wal_format: str = "native"
    point_count: int = 0
    segment_count: int = 0
    created_at: int = 0  # unix milliseconds
    tiering: TieringPolicy = field(default_factory=TieringPolicy)
    # {"hot"|"warm"|"cold": {"segments", "bytes", "points"}}
    tiers: Dict[str, Dict[str, int]] = field(default_factory=lambda: _tiers(None))
    # Cluster mode: shards and replicas per shard, effective (1 and 1 on a
    # single node).
    shard_count: int = 1
    replication_factor: int = 1
    # Names of the collection's sparse vectors, sorted.
    sparse_vectors: List[str] = field(default_factory=list)
    # Named dense vectors: {"<name>": {"dimension", "distance_metric",
    # "multivector"}}.
    vectors: Dict[str, Dict[str, Any]] = field(default_factory=dict)
    # Points written without their own expires_at expire this many seconds
    # after the write; 0 = never.
    default_ttl_seconds: int = 0
    # Index kind "ivf" (viper, or custom + ivf): the metadata fields whose
    # per-partition statistics prune filtered searches; empty otherwise.
    filterable_columns: List[FilterableColumn] = field(default_factory=list)
    # "serving", "recovering" (the server's start is still replaying it;
    # requests get 503 / UNAVAILABLE) or "fenced" (start-up found it
    # damaged; requests get 409 / FAILED_PRECONDITION); state_message says
    # why when not serving (OPERATIONS.md, "Damaged and recovering
    # collections").
    state: str = "serving"
    state_message: str = ""

    @property
    def max_wal_age_hours(self) -> Optional[float]:
        """Shortcut for ``flush_policy.max_wal_age_hours``."""
        return self.flush_policy.max_wal_age_hours

    @property
    def max_wal_size_mb(self) -> Optional[float]:
        """Shortcut for ``flush_policy.max_wal_size_mb``."""
        return self.flush_policy.max_wal_size_mb

    @property
    def max_vector_count(self) -> Optional[int]:
        """Shortcut for ``flush_policy.max_vector_count``."""
        return self.flush_policy.max_vector_count

    @property
    def flush_priority(self) -> Optional[int]:
        """Shortcut for ``flush_policy.flush_priority``."""
        return self.flush_policy.flush_priority

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Collection":
        """Builds it from the REST JSON shape."""
        index = d.get("index") or {}
        return cls(
            name=str(d["name"]),
            dimension=int(d["dimension"]),
            distance_metric=str(d.get("distance_metric", "cosine")),
            indexing_algorithm=str(d.get("indexing_algorithm", "hnsw")),
            m=_opt_int(index.get("m", d.get("m"))),
            ef_construction=_opt_int(index.get("ef_construction", d.get("ef_construction"))),
            ef_search=_opt_int(index.get("ef_search", d.get("ef_search"))),
            quantization=str(index.get("quantization") or "none"),
            storage_strategy=str(d.get("storage_strategy") or "standard"),
            memtable=str(d.get("memtable") or "btree"),
            compression=str(d.get("compression") or "none"),
            nlist=int(index.get("nlist") or 0),
            nprobe=int(index.get("nprobe") or 0),
            flush_policy=FlushPolicy.from_dict(d.get("flush_policy")),
            wal_format=str(d.get("wal_format", "native")),
            point_count=int(d.get("point_count") or 0),
            segment_count=int(d.get("segment_count") or 0),
            created_at=int(d.get("created_at") or 0),
            tiering=TieringPolicy.from_dict(d.get("tiering")),
            tiers=_tiers(d.get("tiers")),
            shard_count=int(d.get("shard_count") or 1),
            replication_factor=int(d.get("replication_factor") or 1),
            sparse_vectors=sorted(d.get("sparse_vectors") or {}),
            vectors=dict(d.get("vectors") or {}),
            default_ttl_seconds=int(d.get("default_ttl_seconds") or 0),
            filterable_columns=_columns(d.get("filterable_columns")),
            state=str(d.get("state") or "serving"),
            state_message=str(d.get("state_message") or ""),
        )


TIERING_COUNTERS = (
    "moves", "move_failures", "uploads", "upload_bytes", "downloads", "download_bytes",
    "retries", "failures", "cache_hits", "cache_misses", "cache_evictions", "cache_bytes",
)


@dataclass
class Segment:
    """One immutable segment of a collection and where it lives."""

    id: int
    tier: str = "hot"  # hot | warm | cold
    points: int = 0  # rows, deleted ones included
    live_points: int = 0
    bytes: int = 0
    directory: str = ""  # hot/warm: the directory holding it
    min_seq: int = 0
    max_seq: int = 0
    graph_loaded: bool = False
    cached: bool = False  # cold: held by the server's local cache now
    newest_write_unix_ms: int = 0  # when its newest write was flushed; 0 = unknown
    # Ids and metadata stored zstd-compressed, and the bytes they take
    # unpacked in the server's memory (0 when not compressed).
    compressed: bool = False
    unpacked_bytes: int = 0

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Segment":
        """Builds it from the REST JSON shape."""
        return cls(
            id=int(d["id"]),
            tier=str(d.get("tier", "hot")),
            points=int(d.get("points") or 0),
            live_points=int(d.get("live_points") or 0),
            bytes=int(d.get("bytes") or 0),
            directory=str(d.get("directory", "")),
            min_seq=int(d.get("min_seq") or 0),
            max_seq=int(d.get("max_seq") or 0),
            graph_loaded=bool(d.get("graph_loaded")),
            cached=bool(d.get("cached")),
            newest_write_unix_ms=int(d.get("newest_write_unix_ms") or 0),
            compressed=bool(d.get("compressed")),
            unpacked_bytes=int(d.get("unpacked_bytes") or 0),
        )


@dataclass
class Point:
    """A stored point: its id, vector (when asked for) and metadata."""

    id: str
    vector: Optional[List[float]] = None
    metadata: Optional[Dict[str, Any]] = None
    # {"<name>": {"indices": [...], "values": [...]}}, with the vector.
    sparse_vectors: Optional[Dict[str, Dict[str, List[Any]]]] = None
    # Named vectors {"<name>": [...] or [[...], ...]}, with the vector.
    vectors: Optional[Dict[str, Any]] = None
    # When the point expires, RFC 3339 as the server writes it
    # ("2026-12-04T10:00:00.000000Z"); None: never. On write also a
    # timezone-aware datetime; None there: the collection's
    # default_ttl_seconds applies.
    expires_at: Optional[Any] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Point":
        """Builds it from the REST JSON shape."""
        return cls(id=str(d["id"]), vector=d.get("vector"), metadata=d.get("metadata"),
                   sparse_vectors=d.get("sparse_vectors"), vectors=d.get("vectors"),
                   expires_at=d.get("expires_at"))


@dataclass
class SearchResult:
    """One search match, best first in its list.

    ``score`` is a cosine similarity or inner product (higher is better) or an
    L2 distance for ``euclidean`` collections (lower is better).
    ``metadata`` is ``None`` when ``include_metadata=False``; ``vector`` is
    ``None`` unless ``include_vectors=True``.
    """

    id: str
    score: float
    metadata: Optional[Dict[str, Any]] = None
    vector: Optional[List[float]] = None
    # With the vector, as in Point: the point's sparse and named vectors.
    sparse_vectors: Optional[Dict[str, Dict[str, List[Any]]]] = None
    vectors: Optional[Dict[str, Any]] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SearchResult":
        """Builds it from the REST JSON shape."""
        return cls(
            id=str(d["id"]),
            score=float(d["score"]),
            metadata=d.get("metadata"),
            vector=d.get("vector"),
            sparse_vectors=d.get("sparse_vectors"),
            vectors=d.get("vectors"),
        )


@dataclass
class SourcePlan:
    """How one source of a search (the memtable, a frozen memtable being
    flushed, or a segment) was searched; see docs/API.md, Search explain."""

    source: str  # memtable | frozen_memtable | segment
    strategy: str = ""  # exact_scan | index_scan | hnsw | hnsw_filtered | quantized_scan | ivf
    segment_id: int = 0  # segments only
    rows: int = 0
    estimated_matches: int = 0
    candidates: int = 0  # index_scan only
    matches: int = 0
    ef: int = 0  # graph searches only
    distances_computed: int = 0

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SourcePlan":
        """Builds it from the REST JSON shape."""
        return cls(
            source=str(d.get("source", "")),
            strategy=str(d.get("strategy", "")),
            segment_id=int(d.get("segment_id") or 0),
            rows=int(d.get("rows") or 0),
            estimated_matches=int(d.get("estimated_matches") or 0),
            candidates=int(d.get("candidates") or 0),
            matches=int(d.get("matches") or 0),
            ef=int(d.get("ef") or 0),
            distances_computed=int(d.get("distances_computed") or 0),
        )


@dataclass
class SearchExplain:
    """How a search was run (``search(..., explain=True)``): one
    :class:`SourcePlan` per source, the distances computed, the graph nodes
    visited, and the IVF partitions skipped because their filterable-column
    statistics rule the filter out (``partitions_pruned``)."""

    sources: List[SourcePlan] = field(default_factory=list)
    distances_computed: int = 0
    nodes_visited: int = 0
    partitions_pruned: int = 0

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SearchExplain":
        """Builds it from the REST JSON shape."""
        return cls(
            sources=[SourcePlan.from_dict(s) for s in d.get("sources") or []],
            distances_computed=int(d.get("distances_computed") or 0),
            nodes_visited=int(d.get("nodes_visited") or 0),
            partitions_pruned=int(d.get("partitions_pruned") or 0),
        )


class SearchResults(List[SearchResult]):
    """The matches of one query (a list, best first) plus ``total_count``
    and, when the search asked for it, ``explain`` (a
    :class:`SearchExplain`; ``None`` otherwise)."""

    total_count: int
    explain: Optional[SearchExplain]

    def __init__(self, matches: List[SearchResult] = (), total_count: Optional[int] = None,
                 explain: Optional[SearchExplain] = None) -> None:
        super().__init__(matches)
        self.total_count = len(self) if total_count is None else int(total_count)
        self.explain = explain

    @property
    def ids(self) -> List[str]:
        """The ids of the matches, best first."""
        return [m.id for m in self]

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SearchResults":
        """Builds it from the REST JSON shape."""
        explain = d.get("explain")
        return cls([SearchResult.from_dict(m) for m in d.get("matches") or []], d.get("total_count"),
                   SearchExplain.from_dict(explain) if explain is not None else None)


@dataclass
class SearchGroup:
    """One group of :meth:`search_groups`: the metadata value ``id`` (a
    string or an integer) its ``hits`` share, best first."""

    id: Any
    hits: SearchResults

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SearchGroup":
        """Builds it from the REST JSON shape."""
        return cls(id=d["id"], hits=SearchResults.from_dict({"matches": d.get("hits") or []}))


class SearchGroups(List[SearchGroup]):
    """The groups of one grouped search (a list, best group first)."""

    total_count: int

    def __init__(self, groups: List[SearchGroup] = (), total_count: Optional[int] = None) -> None:
        super().__init__(groups)
        self.total_count = len(self) if total_count is None else int(total_count)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "SearchGroups":
        """Builds it from the REST JSON shape."""
        return cls([SearchGroup.from_dict(g) for g in d.get("groups") or []], d.get("total_count"))


@dataclass
class BatchInsertResult:
    """What a (possibly chunked) batch insert stored."""

    inserted_ids: List[str] = field(default_factory=list)
    total_count: int = 0

    def extend(self, other: "BatchInsertResult") -> None:
        """Adds another chunk's result to this one."""
        self.inserted_ids.extend(other.inserted_ids)
        self.total_count += other.total_count

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "BatchInsertResult":
        """Builds it from the REST JSON shape."""
        ids = [str(i) for i in d.get("inserted_ids") or []]
        return cls(inserted_ids=ids, total_count=int(d.get("total_count", len(ids))))


@dataclass
class MetadataPatchResult:
    """What a partial metadata update did: points updated and, by ids, the
    ids that name no point."""

    updated_count: int = 0
    not_found: List[str] = field(default_factory=list)

    def extend(self, other: "MetadataPatchResult") -> None:
        """Adds another chunk's result to this one."""
        self.updated_count += other.updated_count
        self.not_found.extend(other.not_found)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "MetadataPatchResult":
        """Builds it from the REST JSON shape."""
        return cls(updated_count=int(d.get("updated_count", 0)),
                   not_found=[str(i) for i in d.get("not_found") or []])


@dataclass
class Migration:
    """A live migration of a collection's storage layout and its progress
    (``ProximaDBClient.migrate``). A segment is done when its index has the
    collection's layout (after a cancel: the layout migrated from)."""

    id: str
    state: str  # running | done | cancelled | failed
    segments_done: int = 0
    segments_total: int = 0
    points_done: int = 0
    points_total: int = 0
    eta_seconds: Optional[float] = None  # None while unknown
    started_unix_ms: int = 0
    finished_unix_ms: int = 0  # 0 while running
    error: str = ""
    # {"storage_strategy", "memtable", "compression", "index": {"kind", ...},
    #  "filterable_columns": [FilterableColumn, ...]}
    from_layout: Dict[str, Any] = field(default_factory=dict)
    to_layout: Dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Migration":
        """Builds it from the REST JSON shape."""
        eta = d.get("eta_seconds")
        return cls(
            id=str(d.get("id", "")),
            state=str(d.get("state", "")),
            segments_done=int(d.get("segments_done") or 0),
            segments_total=int(d.get("segments_total") or 0),
            points_done=int(d.get("points_done") or 0),
            points_total=int(d.get("points_total") or 0),
            eta_seconds=None if eta is None or eta < 0 else float(eta),
            started_unix_ms=int(d.get("started_unix_ms") or 0),
            finished_unix_ms=int(d.get("finished_unix_ms") or 0),
            error=str(d.get("error") or ""),
            from_layout=_layout(d.get("from")),
            to_layout=_layout(d.get("to")),
        )


def _layout(d: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """A migration's layout, its filterable columns as FilterableColumn."""
    out = dict(d or {})
    if out:
        out["filterable_columns"] = _columns(out.get("filterable_columns"))
    return out


@dataclass
class CollectionStats:
    """A collection's storage statistics."""

    name: str
    point_count: int = 0
    segment_count: int = 0
    memtable_points: int = 0
    wal_bytes: int = 0
    oldest_unflushed_age_seconds: float = 0.0
    last_sequence: int = 0
    # {"hot"|"warm"|"cold": {"segments", "bytes", "points"}}
    tiers: Dict[str, Dict[str, int]] = field(default_factory=lambda: _tiers(None))
    # moves, move_failures, uploads, upload_bytes, downloads, download_bytes,
    # retries, failures, cache_hits, cache_misses, cache_evictions, cache_bytes
    tiering: Dict[str, int] = field(default_factory=dict)
    # The last live migration with its progress; None when never migrated.
    migration: Optional[Migration] = None
    # The server's live recall estimate of this collection's searches; None
    # when it is off or no search was sampled yet.
    recall_estimate: Optional["RecallEstimate"] = None
    # Background writes (flush, compaction, index builds, tier moves) and the
    # server's I/O budget for them.
    background_io: Optional["BackgroundIo"] = None
    # How this server's start recovered the collection: {"seconds",
    # "wal_records", "wal_bytes"}; None when it was created or restored since.
    recovery: Optional[Dict[str, float]] = None
    # What it holds in process memory, as [storage] memory_limit_mb counts
    # it: {"memtables", "graphs", "payload_indexes", "unpacked_segments",
    # "total"} in bytes (OPERATIONS.md, "Memory budget").
    memory: Dict[str, int] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "CollectionStats":
        """Builds it from the REST JSON shape."""
        return cls(
            name=str(d.get("name", "")),
            point_count=int(d.get("point_count") or 0),
            segment_count=int(d.get("segment_count") or 0),
            memtable_points=int(d.get("memtable_points") or 0),
            wal_bytes=int(d.get("wal_bytes") or 0),
            oldest_unflushed_age_seconds=float(d.get("oldest_unflushed_age_seconds") or 0.0),
            last_sequence=int(d.get("last_sequence") or 0),
            tiers=_tiers(d.get("tiers")),
            tiering={k: int((d.get("tiering") or {}).get(k) or 0) for k in TIERING_COUNTERS},
            migration=Migration.from_dict(d["migration"]) if d.get("migration") else None,
            recall_estimate=(RecallEstimate.from_dict(d["recall_estimate"])
                             if d.get("recall_estimate") else None),
            background_io=(BackgroundIo.from_dict(d["background_io"])
                           if d.get("background_io") is not None else None),
            recovery=({"seconds": float(d["recovery"].get("seconds") or 0.0),
                       "wal_records": int(d["recovery"].get("wal_records") or 0),
                       "wal_bytes": int(d["recovery"].get("wal_bytes") or 0)}
                      if d.get("recovery") else None),
            memory={k: int(v or 0) for k, v in (d.get("memory") or {}).items()},
        )


@dataclass
class BackgroundTask:
    """One background write of a collection running now."""

    kind: str  # flush | compaction | index_build | payload_index | tier_move
    segments: int = 0           # segments it reads or writes
    bytes_done: int = 0         # written so far
    bytes_total: Optional[int] = None    # estimated; None when not known
    seconds: float = 0.0        # since it began
    eta_seconds: Optional[float] = None  # None when not known

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "BackgroundTask":
        """Builds it from the REST JSON shape."""
        return cls(
            kind=str(d.get("kind", "")),
            segments=int(d.get("segments") or 0),
            bytes_done=int(d.get("bytes_done") or 0),
            bytes_total=None if d.get("bytes_total") is None else int(d["bytes_total"]),
            seconds=float(d.get("seconds") or 0.0),
            eta_seconds=None if d.get("eta_seconds") is None else float(d["eta_seconds"]),
        )


@dataclass
class BackgroundIo:
    """A collection's background writes and the server's budget for them."""

    budget_mb_per_s: float = 0.0  # [storage] background_io_mb_per_s; 0 = none
    # Since the collection was opened, by kind (the task kinds and "other").
    bytes_written: Dict[str, int] = field(default_factory=dict)
    throttled_seconds: float = 0.0  # time waited for the budget since opened
    tasks: List[BackgroundTask] = field(default_factory=list)  # running now

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "BackgroundIo":
        """Builds it from the REST JSON shape."""
        return cls(
            budget_mb_per_s=float(d.get("budget_mb_per_s") or 0.0),
            bytes_written={str(k): int(v) for k, v in (d.get("bytes_written") or {}).items()},
            throttled_seconds=float(d.get("throttled_seconds") or 0.0),
            tasks=[BackgroundTask.from_dict(t) for t in d.get("tasks") or []],
        )


@dataclass
class RecallEstimate:
    """Recall@k of a collection's searches, estimated by the server from a
    sampled share of them re-run exactly in the background."""

    recall: Optional[float] = None  # mean over `samples`; None when none
    samples: int = 0                # samples in the estimate (the newest)
    ci95: Tuple[float, float] = (0.0, 1.0)  # 95% Wilson score interval
    samples_total: int = 0          # samples run since the server started
    dropped_total: int = 0          # sampled but dropped (the server was busy)

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "RecallEstimate":
        """Builds it from the REST JSON shape."""
        ci = d.get("ci95") or [0.0, 1.0]
        return cls(
            recall=None if d.get("recall") is None else float(d["recall"]),
            samples=int(d.get("samples") or 0),
            ci95=(float(ci[0]), float(ci[1])),
            samples_total=int(d.get("samples_total") or 0),
            dropped_total=int(d.get("dropped_total") or 0),
        )


@dataclass
class QuarantineEntry:
    """One entry of the server's quarantine: a file or directory start-up
    could not account for and moved aside instead of deleting it (or a copy
    of the bytes of a torn WAL tail it cut off)."""

    id: str
    original_path: str = ""  # relative to the server's data directory
    reason: str = ""
    time_unix_ms: int = 0  # when it was quarantined
    bytes: int = 0

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "QuarantineEntry":
        """Builds it from the REST JSON shape."""
        return cls(
            id=str(d.get("id", "")),
            original_path=str(d.get("original_path", "")),
            reason=str(d.get("reason", "")),
            time_unix_ms=int(d.get("time_unix_ms") or 0),
            bytes=int(d.get("bytes") or 0),
        )


@dataclass
class Alias:
    """An alias: another name for a collection, accepted wherever a
    collection name is (see ``ProximaDBClient.update_aliases``)."""

    alias: str
    collection: str  # the collection's own name

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Alias":
        """Builds it from the REST JSON shape."""
        return cls(alias=str(d.get("alias", "")), collection=str(d.get("collection", "")))


@dataclass
class SnapshotFile:
    """One file of a snapshot (``ProximaDBClient.get_snapshot``)."""

    name: str  # in the collection directory: segments/..., wal/...
    role: str  # manifest | segment | graph | payload | wal
    size: int
    crc32c: int


@dataclass
class Snapshot:
    """A snapshot of a collection, consistent at WAL sequence ``sequence``
    (see ``ProximaDBClient.create_snapshot``)."""

    id: str
    sequence: int
    created_at: int  # unix milliseconds
    size_bytes: int
    uploaded_bytes: int  # what creating it uploaded; the rest was re-used
    target: str = "local"  # local | s3
    kind: str = "collection"
    format_version: int = 0
    server_version: str = ""
    collections: List[str] = field(default_factory=list)
    points: int = 0
    files: List[SnapshotFile] = field(default_factory=list)  # get_snapshot only

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Snapshot":
        """Builds it from the REST JSON shape."""
        colls = d.get("collections") or []
        files = [SnapshotFile(name=str(f.get("name", "")), role=str(f.get("role", "")),
                              size=int(f.get("size", 0)), crc32c=int(f.get("crc32c", 0)))
                 for c in colls for f in (c.get("files") or [])]
        return cls(
            id=str(d.get("id", "")),
            sequence=int(d.get("sequence", 0)),
            created_at=int(d.get("created_at", 0)),
            size_bytes=int(d.get("size_bytes", 0)),
            uploaded_bytes=int(d.get("uploaded_bytes", 0)),
            target=str(d.get("target", "local")),
            kind=str(d.get("kind", "collection")),
            format_version=int(d.get("format_version", 0)),
            server_version=str(d.get("server_version", "")),
            collections=[str(c.get("name", "")) for c in colls],
            points=sum(int(c.get("points", 0)) for c in colls),
            files=files,
        )


@dataclass
class RestoredSnapshot:
    """What ``ProximaDBClient.restore_snapshot`` (and
    ``restore_point_in_time``) did: the restored collection is at
    ``sequence`` = ``snapshot_sequence`` (the snapshot's own) +
    ``wal_records`` (archived WAL replayed after it; 0 for a snapshot
    restore); ``sequence_time``: the RFC 3339 time of record ``sequence``
    (None when unknown)."""

    collection: str
    snapshot: str
    sequence: int
    points: int
    files: int
    bytes: int
    snapshot_sequence: int = 0
    wal_records: int = 0
    sequence_time: Optional[str] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "RestoredSnapshot":
        """Builds it from the REST JSON shape (``{"restored": {...}}``)."""
        r = d.get("restored") or {}
        return cls(collection=str(r.get("collection", "")), snapshot=str(r.get("snapshot", "")),
                   sequence=int(r.get("sequence", 0)), points=int(r.get("points", 0)),
                   files=int(r.get("files", 0)), bytes=int(r.get("bytes", 0)),
                   snapshot_sequence=int(r.get("snapshot_sequence", 0)),
                   wal_records=int(r.get("wal_records", 0)),
                   sequence_time=(None if r.get("sequence_time") is None
                                  else str(r["sequence_time"])))


@dataclass
class ScrollPage:
    """One page of :meth:`ProximaDBClient.scroll_page`."""

    points: List[Point]
    next_after_id: Optional[str] = None  # None on the last page
    # With order_by: the last point's sort value, the other half of the cursor.
    next_after_value: Optional[float] = None

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "ScrollPage":
        """Builds it from the REST JSON shape."""
        return cls([Point.from_dict(p) for p in d.get("points") or []], d.get("next_after_id"),
                   d.get("next_after_value"))


@dataclass(frozen=True)
class FacetValue:
    """One value of a :meth:`ProximaDBClient.facet` answer and how many points hold it."""

    value: Union[str, int, bool]
    count: int

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "FacetValue":
        """Builds it from the REST JSON shape."""
        return cls(d.get("value"), int(d.get("count", 0)))


def rfc3339_micros(unix_micros: int) -> str:
    """``"2026-11-30T09:20:07.123456Z"``, the server's format of a change's time."""
    secs, micros = divmod(int(unix_micros), 1_000_000)
    return _dt.datetime.fromtimestamp(secs, _dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S") + ".%06dZ" % micros


def _unix_micros(text: str) -> int:
    when = _dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    delta = when - _dt.datetime(1970, 1, 1, tzinfo=_dt.timezone.utc)
    return (delta.days * 86400 + delta.seconds) * 1_000_000 + delta.microseconds


@dataclass
class Change:
    """One change of a collection's change feed (``ProximaDBClient.changes``):
    one operation of an acknowledged write. The operations of one atomic
    write share its ``seq`` and are numbered by ``index`` (``0`` to
    ``batch_ops - 1``)."""

    seq: int
    index: int
    batch_ops: int
    time: str  # RFC 3339 UTC with microseconds, when the write was logged
    op: str  # "upsert" | "delete" | "update_metadata"
    id: str
    vector: Optional[List[float]] = None  # upsert / update_metadata, with_vectors
    metadata: Optional[Dict[str, Any]] = None  # upsert / update_metadata
    time_unix_micros: int = 0
    # Upsert / update_metadata: when the point expires (RFC 3339); None: never.
    expires_at: Optional[str] = None
    # Upsert / update_metadata, with_vectors: the point's sparse and named
    # vectors, as Point has them.
    sparse_vectors: Optional[Dict[str, Dict[str, List[Any]]]] = None
    vectors: Optional[Dict[str, Any]] = None

    @property
    def complete(self) -> bool:
        """True for the last operation of its write."""
        return self.index + 1 >= self.batch_ops

    @property
    def resume_seq(self) -> int:
        """The ``from_seq`` that continues after this change (with
        ``after=this`` the rest of an unfinished write is delivered too)."""
        return self.seq + 1 if self.complete else self.seq

    @classmethod
    def from_dict(cls, d: Dict[str, Any]) -> "Change":
        """Builds it from one NDJSON line of the REST feed."""
        time = str(d.get("time", ""))
        vector = d.get("vector")
        return cls(
            seq=int(d["seq"]),
            index=int(d.get("index") or 0),
            batch_ops=int(d.get("batch_ops") or 1),
            time=time,
            op=str(d.get("op", "")),
            id=str(d.get("id", "")),
            vector=[float(x) for x in vector] if vector is not None else None,
            metadata=d.get("metadata"),
            time_unix_micros=int(d["time_unix_micros"]) if "time_unix_micros" in d
            else (_unix_micros(time) if time else 0),
            expires_at=d.get("expires_at"),
            sparse_vectors=d.get("sparse_vectors"),
            vectors=d.get("vectors"),
        )


def _opt_float(v: Any) -> Optional[float]:
    return None if v is None else float(v)


def _opt_int(v: Any) -> Optional[int]:
    return None if v is None else int(v)
