"""Every client operation, written once as a generator of :class:`Call`.

Each function yields the requests it needs and receives the answers (REST
JSON shape); exceptions raised by the transport are thrown back into the
generator so it can handle them. ``ProximaDBClient`` and
``AsyncProximaDBClient`` drive these generators with their transports.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Dict, Generator, List, Optional, Sequence, Union

from ._common import (
    MAX_BATCH_SEARCH,
    MAX_IDS_PER_CALL,
    Call,
    Filter,
    Metadata,
    Progress,
    add_query_fields,
    body_of,
    check_id,
    chunks,
    is_numpy,
    looks_like_point,
    named_vector,
    recommend_examples,
    search_body,
    split_filters,
    to_points,
    to_vector,
)
from .exceptions import CollectionNotFound, InvalidArgument
from .models import (
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
)

Op = Generator[Call, Dict[str, Any], Any]

FLUSH_KEYS = (
    "max_wal_age_hours",
    "max_wal_size_mb",
    "max_vector_count",
    "flush_priority",
    "enable_background_flush",
)


def health() -> Op:
    return HealthStatus.from_dict((yield Call("Health")))


def filterable_columns_body(columns: Any) -> List[Dict[str, Any]]:
    """``filterable_columns`` (FilterableColumn values or dicts of
    ``name``, ``type`` and optional ``indexed``) as the request's list of
    ``{"name", "type", "indexed"}``."""
    if isinstance(columns, (str, bytes, dict)) or not hasattr(columns, "__iter__"):
        raise InvalidArgument("filterable_columns must be a list of FilterableColumn "
                              f"or {{'name', 'type', 'indexed'}} dicts, got {columns!r}")
    out: List[Dict[str, Any]] = []
    for i, c in enumerate(columns):
        if isinstance(c, dict):
            unknown = [k for k in c if k not in ("name", "type", "indexed")]
            if unknown:
                raise InvalidArgument(f"filterable_columns[{i}]: unknown key {unknown[0]!r} "
                                      "(expected name, type, indexed)")
            missing = [k for k in ("name", "type") if k not in c]
            if missing:
                raise InvalidArgument(f"filterable_columns[{i}]: missing {missing[0]!r}")
            indexed = c.get("indexed")
            c = FilterableColumn(name=c["name"], type=c["type"],
                                 indexed=False if indexed is None else indexed)
        elif not isinstance(c, FilterableColumn):
            raise InvalidArgument(f"filterable_columns[{i}] must be a FilterableColumn or a "
                                  f"dict, got {type(c).__name__}")
        if not isinstance(c.name, str) or not isinstance(c.type, str):
            raise InvalidArgument(f"filterable_columns[{i}]: name and type must be strings")
        if not isinstance(c.indexed, bool):
            raise InvalidArgument(f"filterable_columns[{i}]: indexed must be a bool, "
                                  f"got {c.indexed!r}")
        out.append(c.to_dict())
    return out


def create_collection(
    name: str,
    dimension: int,
    distance_metric: str,
    indexing_algorithm: Optional[str],
    m: Optional[int],
    ef_construction: Optional[int],
    ef_search: Optional[int],
    wal_format: Optional[str],
    flush: Dict[str, Any],
    tiering: Optional[Dict[str, Any]] = None,
    shard_count: Optional[int] = None,
    replication_factor: Optional[int] = None,
    sparse_vectors: Optional[Any] = None,
    default_ttl_seconds: Optional[int] = None,
    vectors: Optional[Any] = None,
    quantization: Optional[str] = None,
    storage_strategy: Optional[str] = None,
    memtable: Optional[str] = None,
    nlist: Optional[int] = None,
    nprobe: Optional[int] = None,
    filterable_columns: Optional[Any] = None,
    compression: Optional[str] = None,
) -> Op:
    # Layout keys left out (None) are not sent: the storage strategy's
    # defaults apply (viper: ivf, int8, the hash memtable, zstd).
    body = body_of(
        name=name,
        dimension=dimension,
        distance_metric=distance_metric,
        indexing_algorithm=indexing_algorithm,
        m=m,
        ef_construction=ef_construction,
        ef_search=ef_search,
        quantization=quantization,
        storage_strategy=storage_strategy,
        memtable=memtable,
        compression=compression,
        nlist=nlist,
        nprobe=nprobe,
        wal_format=wal_format,
        shard_count=shard_count,
        replication_factor=replication_factor,
        **flush,
    )
    if tiering is not None:
        body["tiering"] = tiering_body(tiering)
    if filterable_columns is not None:
        body["filterable_columns"] = filterable_columns_body(filterable_columns)
    if sparse_vectors:
        body["sparse_vectors"] = {name: {} for name in sparse_vectors}
    if vectors:
        body["vectors"] = {str(name): dict(cfg) for name, cfg in vectors.items()}
    if default_ttl_seconds is not None:
        if isinstance(default_ttl_seconds, bool) or not isinstance(default_ttl_seconds, int) \
                or default_ttl_seconds < 0:
            raise InvalidArgument("default_ttl_seconds must be a non-negative integer, "
                                  f"got {default_ttl_seconds!r}")
        body["default_ttl_seconds"] = default_ttl_seconds
    return Collection.from_dict((yield Call("CreateCollection", body=body)))


def get_collection(name: str) -> Op:
    return Collection.from_dict((yield Call("GetCollection", name)))


def has_collection(name: str) -> Op:
    try:
        yield Call("GetCollection", name)
    except CollectionNotFound:
        return False
    return True


def list_collections() -> Op:
    resp = yield Call("ListCollections")
    return [Collection.from_dict(c) for c in resp.get("collections") or []]


TIERING_KEYS = ("warm_after_hours", "cold_after_hours", "warm_directory", "cache_mb",
                "wal_archive")


def tiering_body(tiering: Any) -> Dict[str, Any]:
    """A tiering policy (a mapping or a TieringPolicy) as the request's
    "tiering" object: only the keys that are set."""
    if not isinstance(tiering, dict):
        tiering = {k: getattr(tiering, k, None) for k in TIERING_KEYS}
    unknown = [k for k in tiering if k not in TIERING_KEYS]
    if unknown:
        raise InvalidArgument(
            f"unknown tiering key {unknown[0]!r} (expected {', '.join(TIERING_KEYS)})")
    return {k: v for k, v in tiering.items() if v is not None}


def update_collection(name: str, flush: Dict[str, Any],
                      tiering: Optional[Dict[str, Any]] = None) -> Op:
    body = body_of(**flush)
    if tiering is not None:
        body["tiering"] = tiering_body(tiering)
    return Collection.from_dict((yield Call("UpdateCollection", name, body)))


def delete_collection(name: str, missing_ok: bool) -> Op:
    try:
        yield Call("DeleteCollection", name)
    except CollectionNotFound:
        if not missing_ok:
            raise
        return False
    return True


def insert(collection: str, id: Optional[str], vector: Any, metadata: Optional[Metadata]) -> Op:
    body: Dict[str, Any] = {"vector": to_vector(vector)}
    if id is not None:
        body["id"] = str(id)
    if metadata is not None:
        body["metadata"] = metadata
    resp = yield Call("Upsert", collection, body)
    return str(resp["id"])


def batch_insert(
    collection: str,
    vectors: Any,
    ids: Optional[Sequence[Any]],
    metadata: Optional[Sequence[Optional[Metadata]]],
    chunk_size: int,
    show_progress: bool,
    label: str = "batch_insert",
) -> Op:
    points = to_points(vectors, ids, metadata)
    if not points:
        raise InvalidArgument("the batch is empty")
    result = BatchInsertResult()
    progress = Progress(len(points), f"{label} {collection}", show_progress)
    try:
        for chunk in chunks(points, chunk_size):
            resp = yield Call("BatchUpsert", collection, {"vectors": list(chunk)})
            result.extend(BatchInsertResult.from_dict(resp))
            progress.update(len(chunk))
    finally:
        progress.close()
    return result


def get(collection: str, ids: Union[str, Sequence[str]],
        include_vectors: bool = True) -> Op:
    if isinstance(ids, str):
        return Point.from_dict((yield Call("Get", collection, point_id=check_id(ids))))
    found: List[Point] = []
    for chunk in chunks([check_id(str(i)) for i in ids], MAX_IDS_PER_CALL):
        resp = yield Call("GetPoints", collection,
                          {"ids": list(chunk), "include_vector": bool(include_vectors)})
        found.extend(Point.from_dict(p) for p in resp.get("points") or [])
    return found


def patch_metadata(collection: str, ids: Optional[Union[str, Sequence[str]]],
                   filter: Optional[Filter], set: Optional[Metadata],
                   unset: Optional[Sequence[str]]) -> Op:
    if (ids is None) == (filter is None):
        raise InvalidArgument("give either ids or filter, not both")
    body: Dict[str, Any] = {}
    if set:
        body["set"] = dict(set)
    if unset:
        body["unset"] = [str(k) for k in unset]
    result = MetadataPatchResult()
    if filter is not None:
        resp = yield Call("PatchMetadata", collection, {"filter": filter, **body})
        result.extend(MetadataPatchResult.from_dict(resp))
        return result
    id_list = [ids] if isinstance(ids, str) else [str(i) for i in ids]  # type: ignore[union-attr]
    if not id_list:
        raise InvalidArgument("ids is empty")
    for chunk in chunks(id_list, MAX_IDS_PER_CALL):
        resp = yield Call("PatchMetadata", collection, {"ids": list(chunk), **body})
        result.extend(MetadataPatchResult.from_dict(resp))
    return result


def delete(collection: str, ids: Union[str, Sequence[str]], chunk_size: int) -> Op:
    id_list = [ids] if isinstance(ids, str) else [str(i) for i in ids]
    if not id_list:
        raise InvalidArgument("ids is empty")
    deleted = 0
    for chunk in chunks(id_list, chunk_size):
        resp = yield Call("DeleteByIds", collection, {"ids": list(chunk)})
        deleted += int(resp.get("deleted_count", 0))
    return deleted


def delete_by_filter(collection: str, filter: Filter) -> Op:
    resp = yield Call("DeleteByFilter", collection, {"filter": filter})
    return int(resp.get("deleted_count", 0))


def update_metadata(collection: str, id: str, metadata: Metadata) -> Op:
    yield Call("UpdateMetadata", collection, {"metadata": metadata}, point_id=check_id(str(id)))
    return None


def count(collection: str, filter: Optional[Filter]) -> Op:
    resp = yield Call("Count", collection, {"filter": filter} if filter else None)
    return int(resp.get("count", 0))


def scroll_page(
    collection: str,
    after_id: Optional[str],
    limit: int,
    filter: Optional[Filter],
    include_vectors: bool,
    consistency: Optional[str] = None,
    order_by: Optional[str] = None,
    direction: str = "asc",
    after_value: Optional[float] = None,
) -> Op:
    body: Dict[str, Any] = {"limit": limit, "include_vector": bool(include_vectors)}
    if after_id:
        body["after_id"] = after_id
    if filter:
        body["filter"] = filter
    if consistency is not None:
        body["consistency"] = consistency
    if order_by is not None:
        body["order_by"] = {"key": order_by, "direction": direction}
    if after_value is not None:
        body["after_value"] = after_value
    return ScrollPage.from_dict((yield Call("Scroll", collection, body)))


def facet(collection: str, key: str, filter: Optional[Filter], limit: int,
          consistency: Optional[str] = None) -> Op:
    body: Dict[str, Any] = {"key": key, "limit": limit}
    if filter:
        body["filter"] = filter
    if consistency is not None:
        body["consistency"] = consistency
    resp = yield Call("Facet", collection, body)
    return [FacetValue.from_dict(v) for v in resp.get("values") or []]


def search(
    collection: str,
    query_vector: Any,
    k: int,
    filter: Optional[Filter],
    include_vectors: bool,
    include_metadata: bool,
    ef_search: Optional[int],
    exact: bool,
    consistency: Optional[str] = None,
    point_id: Optional[str] = None,
    offset: int = 0,
    score_threshold: Optional[float] = None,
    using: Optional[str] = None,
    nprobe: Optional[int] = None,
    explain: bool = False,
) -> Op:
    body = search_body(query_vector, k, filter, include_vectors, include_metadata, ef_search, exact,
                       consistency=consistency, point_id=point_id, offset=offset,
                       score_threshold=score_threshold, using=using)
    if nprobe is not None:
        body["nprobe"] = nprobe
    if explain:
        body["explain"] = True
    return SearchResults.from_dict((yield Call("Search", collection, body)))


def search_groups(
    collection: str,
    query_vector: Any,
    group_by: str,
    group_size: int,
    k: int,
    filter: Optional[Filter],
    include_vectors: bool,
    include_metadata: bool,
    ef_search: Optional[int],
    exact: bool,
    consistency: Optional[str] = None,
    point_id: Optional[str] = None,
    offset: int = 0,
    score_threshold: Optional[float] = None,
    using: Optional[str] = None,
) -> Op:
    if not isinstance(group_by, str) or not group_by:
        raise InvalidArgument("group_by must be a non-empty metadata field name")
    body = search_body(query_vector, k, filter, include_vectors, include_metadata, ef_search, exact,
                       consistency=consistency, point_id=point_id, offset=offset,
                       score_threshold=score_threshold, using=using)
    body["group_by"] = group_by
    body["group_size"] = int(group_size)
    return SearchGroups.from_dict((yield Call("Search", collection, body)))


def recommend(
    collection: str,
    positive: Any,
    negative: Any,
    strategy: str,
    k: int,
    filter: Optional[Filter],
    include_vectors: bool,
    include_metadata: bool,
    ef_search: Optional[int],
    exact: bool,
    consistency: Optional[str] = None,
    offset: int = 0,
    score_threshold: Optional[float] = None,
    using: Optional[str] = None,
) -> Op:
    body: Dict[str, Any] = {
        "positive": recommend_examples(positive, "positive"),
        "negative": recommend_examples(negative, "negative"),
        "strategy": strategy,
        "k": k,
        "include_vector": bool(include_vectors),
        "include_metadata": bool(include_metadata),
    }
    add_query_fields(body, filter, ef_search, exact, consistency, offset, score_threshold)
    if using is not None:
        body["using"] = using
    return SearchResults.from_dict((yield Call("Recommend", collection, body)))


def query(
    collection: str,
    prefetch: Sequence[Dict[str, Any]],
    fusion: str,
    limit: int,
    rrf_k: Optional[int],
    rescore: Any,
    include_vectors: bool,
    include_metadata: bool,
    consistency: Optional[str] = None,
) -> Op:
    items: List[Dict[str, Any]] = []
    for i, p in enumerate(prefetch):
        if not isinstance(p, dict):
            raise TypeError(f"prefetch[{i}] must be a dict, got {type(p).__name__}")
        item = dict(p)
        if item.get("vector") is not None and item.get("using") is not None:
            item["vector"] = named_vector(item["vector"], f"prefetch[{i}].vector")
        elif item.get("vector") is not None:
            item["vector"] = to_vector(item["vector"], f"prefetch[{i}].vector")
        items.append(item)
    body: Dict[str, Any] = {
        "prefetch": items,
        "fusion": fusion,
        "limit": limit,
        "include_vector": bool(include_vectors),
        "include_metadata": bool(include_metadata),
    }
    if rrf_k is not None:
        body["rrf_k"] = rrf_k
    if rescore is not None:
        body["rescore"] = {"vector": to_vector(rescore, "rescore")}
    if consistency is not None:
        body["consistency"] = consistency
    return SearchResults.from_dict((yield Call("Query", collection, body)))


def batch_search(
    collection: str,
    query_vectors: Any,
    k: int,
    filter: Any,
    include_vectors: bool,
    include_metadata: bool,
    ef_search: Optional[int],
    exact: bool,
    chunk_size: int,
    consistency: Optional[str] = None,
) -> Op:
    if is_numpy(query_vectors):
        if query_vectors.ndim != 2:
            raise InvalidArgument(
                f"query_vectors must be 2-D, got shape {tuple(query_vectors.shape)}"
            )
        queries = list(query_vectors)
    else:
        queries = list(query_vectors)
    if not queries:
        raise InvalidArgument("query_vectors is empty")
    filters = split_filters(filter, len(queries))
    bodies = [
        search_body(q, k, f, include_vectors, include_metadata, ef_search, exact,
                    f"query_vectors[{i}]", consistency)
        for i, (q, f) in enumerate(zip(queries, filters))
    ]
    results: List[SearchResults] = []
    for chunk in chunks(bodies, min(max(chunk_size, 1), MAX_BATCH_SEARCH)):
        resp = yield Call("BatchSearch", collection, {"queries": list(chunk)})
        results.extend(SearchResults.from_dict(r) for r in resp.get("results") or [])
    return results


def flush(collection: str) -> Op:
    yield Call("Flush", collection)
    return None


def compact(collection: str) -> Op:
    yield Call("Compact", collection)
    return None


def stats(collection: str) -> Op:
    return CollectionStats.from_dict((yield Call("CollectionStats", collection)))


def _index_list(resp: Dict[str, Any]) -> List[Dict[str, str]]:
    return [{"field": d["field"], "type": d["type"]} for d in resp.get("payload_indexes") or []]


def create_payload_index(collection: str, field: str, type: str) -> Op:
    resp = yield Call("CreatePayloadIndex", collection, {"field": field, "type": type})
    return _index_list(resp)


def list_payload_indexes(collection: str) -> Op:
    return _index_list((yield Call("ListPayloadIndexes", collection)))


def delete_payload_index(collection: str, field: str) -> Op:
    return _index_list((yield Call("DeletePayloadIndex", collection, None, field)))


def list_segments(collection: str) -> Op:
    resp = yield Call("ListSegments", collection)
    return [Segment.from_dict(s) for s in resp.get("segments") or []]


def move_segment(collection: str, segment_id: int, tier: str) -> Op:
    if isinstance(segment_id, bool) or not isinstance(segment_id, int) or segment_id < 1:
        raise InvalidArgument(f"segment_id must be a positive integer, got {segment_id!r}")
    resp = yield Call("MoveSegment", collection, {"tier": tier}, str(segment_id))
    return Segment.from_dict(resp)


def migrate(collection: str, storage_strategy: Optional[str], memtable: Optional[str],
            indexing_algorithm: Optional[str], m: Optional[int],
            ef_construction: Optional[int], ef_search: Optional[int],
            quantization: Optional[str], nlist: Optional[int], nprobe: Optional[int],
            filterable_columns: Optional[Any] = None,
            compression: Optional[str] = None) -> Op:
    body = body_of(storage_strategy=storage_strategy, memtable=memtable,
                   indexing_algorithm=indexing_algorithm, m=m,
                   ef_construction=ef_construction, ef_search=ef_search,
                   quantization=quantization, nlist=nlist, nprobe=nprobe,
                   compression=compression)
    if filterable_columns is not None:
        body["filterable_columns"] = filterable_columns_body(filterable_columns)
    resp = yield Call("Migrate", collection, body)
    return Migration.from_dict(resp.get("migration") or {})


def get_migration(collection: str) -> Op:
    return Migration.from_dict((yield Call("GetMigration", collection)))


def cancel_migration(collection: str) -> Op:
    return Migration.from_dict((yield Call("CancelMigration", collection)))


def list_quarantine() -> Op:
    resp = yield Call("ListQuarantine")
    return [QuarantineEntry.from_dict(e) for e in resp.get("entries") or []]


def clear_quarantine(id: Optional[str]) -> Op:
    if id is not None and not str(id):
        raise InvalidArgument("id is empty (pass None to clear every entry)")
    resp = yield Call("ClearQuarantine", point_id=None if id is None else str(id))
    return int(resp.get("deleted_count", 0))


def _alias_action(a: Any, i: int) -> Dict[str, Any]:
    """One action, as the server takes it: ``{"create": {"alias",
    "collection"}}`` or ``{"delete": {"alias"}}`` (dicts are passed through
    and checked by the server)."""
    if not isinstance(a, dict) or len(a) != 1 or next(iter(a)) not in ("create", "delete"):
        raise InvalidArgument(
            f"actions[{i}] must be {{'create': {{'alias': ..., 'collection': ...}}}} "
            f"or {{'delete': {{'alias': ...}}}}, got {a!r}")
    return a


def update_aliases(actions: Sequence[Dict[str, Any]]) -> Op:
    body = {"actions": [_alias_action(a, i) for i, a in enumerate(actions)]}
    resp = yield Call("UpdateAliases", body=body)
    return [Alias.from_dict(a) for a in resp.get("aliases") or []]


def list_aliases() -> Op:
    resp = yield Call("ListAliases")
    return [Alias.from_dict(a) for a in resp.get("aliases") or []]


def cluster() -> Op:
    return dict((yield Call("GetCluster")))


def drain_node(node_id: str, cancel: bool) -> Op:
    """Starts (or, with ``cancel``, cancels) the drain of a cluster node:
    REST ``POST`` / ``DELETE /api/v1/cluster/nodes/{id}/drain``, gRPC
    ``DrainNode``. The server checks the id's form; an empty one is refused
    here, where REST would have no path to send it to."""
    if not isinstance(node_id, str) or not node_id:
        raise InvalidArgument(f"node_id must be a non-empty string, got {node_id!r}")
    resp = yield Call("DrainNode", body={"cancel": bool(cancel)}, point_id=node_id)
    return dict(resp)


def create_snapshot(collection: str, target: Optional[str]) -> Op:
    body = {} if target is None else {"target": target}
    resp = yield Call("CreateSnapshot", collection, body)
    return Snapshot.from_dict(resp.get("snapshot") or {})


def create_database_snapshot(target: Optional[str]) -> Op:
    body = {} if target is None else {"target": target}
    resp = yield Call("CreateDatabaseSnapshot", None, body)
    return Snapshot.from_dict(resp.get("snapshot") or {})


def list_snapshots(collection: str) -> Op:
    resp = yield Call("ListSnapshots", collection)
    return [Snapshot.from_dict(s) for s in resp.get("snapshots") or []]


def _snapshot_id(id: str) -> str:
    if not isinstance(id, str) or not id:
        raise InvalidArgument(f"snapshot id must be a non-empty string, got {id!r}")
    return id


def get_snapshot(collection: str, id: str) -> Op:
    resp = yield Call("GetSnapshot", collection, None, _snapshot_id(id))
    return Snapshot.from_dict(resp.get("snapshot") or {})


def delete_snapshot(collection: str, id: str) -> Op:
    yield Call("DeleteSnapshot", collection, None, _snapshot_id(id))
    return None


def restore_snapshot(collection: str, id: str, target_collection: str,
                     overwrite: bool) -> Op:
    body = {"target_collection": target_collection, "overwrite": bool(overwrite)}
    resp = yield Call("RestoreSnapshot", collection, body, _snapshot_id(id))
    return RestoredSnapshot.from_dict(resp)


def restore_point_in_time(collection: str, target_collection: str,
                          as_of: Union[str, datetime, None], sequence: Optional[int],
                          overwrite: bool) -> Op:
    if (as_of is None) == (sequence is None):
        raise InvalidArgument("give exactly one of as_of (a time) and sequence")
    body: Dict[str, Any] = {"target_collection": target_collection,
                            "overwrite": bool(overwrite)}
    if isinstance(as_of, datetime):
        if as_of.tzinfo is None:
            raise InvalidArgument("as_of: a datetime without a time zone is ambiguous; "
                                  "use datetime.now(timezone.utc) or an RFC 3339 string")
        body["as_of"] = as_of.isoformat()
    elif as_of is not None:
        body["as_of"] = str(as_of)
    if sequence is not None:
        if isinstance(sequence, bool) or not isinstance(sequence, int) or sequence < 0:
            raise InvalidArgument(f"sequence must be a non-negative integer, got {sequence!r}")
        body["sequence"] = sequence
    resp = yield Call("RestorePointInTime", collection, body)
    return RestoredSnapshot.from_dict(resp)


def is_single_point(x: Any) -> bool:
    """True when ``upsert`` was given one point rather than a batch."""
    return looks_like_point(x)
