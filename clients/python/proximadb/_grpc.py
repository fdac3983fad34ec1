"""The gRPC transport (grpcio), blocking and ``grpc.aio`` flavours.

It executes the same :class:`~proximadb._common.Call` values as the REST
transport: the REST JSON body is encoded into the RPC's request message and
the response message decoded back into the REST JSON shape, so the clients
above behave identically over both transports.

The stubs in ``proximadb/v1`` are generated from
``proto/proximadb/v1/proximadb.proto`` by ``scripts/gen_proto.sh``.
"""

from __future__ import annotations

import asyncio
import time
from typing import (Any, AsyncIterator, Callable, Dict, Iterator, List, Mapping, Optional,
                    Sequence, Tuple)

try:
    import grpc
    import grpc.aio
    from google.protobuf import struct_pb2

    from .v1 import proximadb_pb2 as pb
    from .v1 import proximadb_pb2_grpc as pb_grpc
except ImportError as _e:  # pragma: no cover - depends on the installation
    grpc = None  # type: ignore[assignment]
    _IMPORT_ERROR: Optional[ImportError] = _e
else:
    _IMPORT_ERROR = None

from ._common import (ADMIN_OPS, POINT_OPS, Call, Endpoint, backoff_delays, f32_list, f32_shortest,
                      is_numpy)
from .exceptions import InvalidArgument, ProximaDBError, Unavailable, error_for
from .models import rfc3339_micros

ERROR_METADATA_KEY = "x-proximadb-error"
_MAX_SAFE_INT = 2**53


def require_grpc() -> None:
    """Raises ImportError with an installation hint when grpcio is missing."""
    if _IMPORT_ERROR is not None:
        raise ImportError(
            "the gRPC transport needs grpcio and protobuf "
            "(Debian: apt-get install python3-grpcio python3-protobuf)"
        ) from _IMPORT_ERROR


# --------------------------------------------------------------------------
# JSON <-> protobuf


def _struct(value: Any, what: str) -> "struct_pb2.Struct":
    if not isinstance(value, Mapping):
        raise InvalidArgument(f"{what} must be a JSON object, got {type(value).__name__}")
    s = struct_pb2.Struct()
    try:
        s.update(value)
    except (TypeError, ValueError, AttributeError) as e:
        raise InvalidArgument(f"{what} cannot be encoded: {e}") from None
    return s


def _py(v: "struct_pb2.Value") -> Any:
    kind = v.WhichOneof("kind")
    if kind == "number_value":
        x = v.number_value
        # The server stores integral Struct numbers as integers (docs/API.md),
        # so they read back as ints, as they do over REST.
        if x.is_integer() and abs(x) <= _MAX_SAFE_INT:
            return int(x)
        return x
    if kind == "string_value":
        return v.string_value
    if kind == "bool_value":
        return v.bool_value
    if kind == "struct_value":
        return _dict(v.struct_value)
    if kind == "list_value":
        return [_py(x) for x in v.list_value.values]
    return None


def _dict(s: "struct_pb2.Struct") -> Dict[str, Any]:
    return {k: _py(v) for k, v in s.fields.items()}


def _flush_policy(body: Mapping[str, Any]) -> "pb.FlushPolicy":
    src = dict(body.get("flush_policy") or {})
    for key in ("max_wal_age_hours", "max_wal_size_mb", "max_vector_count",
                "flush_priority", "enable_background_flush"):
        if body.get(key) is not None:
            src[key] = body[key]
    try:
        return pb.FlushPolicy(**{k: v for k, v in src.items() if v is not None})
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"flush policy: {e}") from None


def _tiering_policy(t: Optional[Mapping[str, Any]]) -> "pb.TieringPolicy":
    try:
        return pb.TieringPolicy(**{k: v for k, v in (t or {}).items() if v is not None})
    except (TypeError, ValueError) as e:
        raise InvalidArgument(f"tiering policy: {e}") from None


def _tiers(t: "pb.Tiers") -> Dict[str, Any]:
    return {name: {"segments": x.segments, "bytes": x.bytes, "points": x.points}
            for name, x in (("hot", t.hot), ("warm", t.warm), ("cold", t.cold))}


def _segment(s: "pb.SegmentInfo") -> Dict[str, Any]:
    return {"id": s.id, "tier": s.tier, "points": s.points, "live_points": s.live_points,
            "bytes": s.bytes, "directory": s.directory, "min_seq": s.min_seq,
            "max_seq": s.max_seq, "graph_loaded": s.graph_loaded, "cached": s.cached,
            "newest_write_unix_ms": s.newest_write_unix_ms, "compressed": s.compressed,
            "unpacked_bytes": s.unpacked_bytes}


_COUNTERS = ("moves", "move_failures", "uploads", "upload_bytes", "downloads",
             "download_bytes", "retries", "failures", "cache_hits", "cache_misses",
             "cache_evictions", "cache_bytes")


def _enc_update(c: Call) -> Any:
    b = c.body or {}
    req = pb.UpdateCollectionRequest(name=c.collection, flush_policy=_flush_policy(b))
    if b.get("tiering") is not None:
        req.tiering.CopyFrom(_tiering_policy(b["tiering"]))
    return req


def _enc_move(c: Call) -> Any:
    try:
        segment_id = int(c.point_id or "0")
    except ValueError:
        raise InvalidArgument(f"segment id must be a positive integer, got {c.point_id!r}") \
            from None
    return pb.MoveSegmentRequest(collection=c.collection, segment_id=segment_id,
                                 tier=(c.body or {}).get("tier") or "")


def _fill_columns(out: Any, columns: Optional[Sequence[Mapping[str, Any]]]) -> None:
    """Fills a repeated FilterableColumn field from the REST list."""
    for col in columns or []:
        out.add(name=col.get("name") or "", type=col.get("type") or "",
                indexed=bool(col.get("indexed")))


def _columns_json(cols: Any) -> List[Dict[str, Any]]:
    return [{"name": x.name, "type": x.type, "indexed": x.indexed} for x in cols]


def _enc_migrate(c: Call) -> Any:
    b = c.body or {}
    to = pb.Layout(storage_strategy=b.get("storage_strategy") or "",
                   memtable=b.get("memtable") or "",
                   compression=b.get("compression") or "",
                   indexing_algorithm=b.get("indexing_algorithm") or "",
                   quantization=b.get("quantization") or "")
    for key in ("m", "ef_construction", "ef_search", "nlist", "nprobe"):
        if b.get(key) is not None:
            setattr(to, key, b[key])
    _fill_columns(to.filterable_columns, b.get("filterable_columns"))
    return pb.MigrateRequest(collection=c.collection, to=to)


def _layout(l: "pb.Layout") -> Dict[str, Any]:
    index: Dict[str, Any] = {"kind": l.indexing_algorithm, "m": l.m,
                             "ef_construction": l.ef_construction, "ef_search": l.ef_search,
                             "quantization": l.quantization}
    if l.indexing_algorithm == "ivf":
        index["nlist"] = l.nlist
        index["nprobe"] = l.nprobe
    return {"storage_strategy": l.storage_strategy, "memtable": l.memtable,
            "compression": l.compression or "none", "index": index,
            "filterable_columns": _columns_json(l.filterable_columns)}


def _migration(r: "pb.Migration") -> Dict[str, Any]:
    out: Dict[str, Any] = {
        "id": r.id, "state": r.state, "started_unix_ms": r.started_unix_ms,
        "finished_unix_ms": r.finished_unix_ms, "segments_done": r.segments_done,
        "segments_total": r.segments_total, "points_done": r.points_done,
        "points_total": r.points_total,
        "eta_seconds": r.eta_seconds if r.eta_seconds >= 0 else None,
        "from": _layout(getattr(r, "from")), "to": _layout(r.to)}
    if r.error:
        out["error"] = r.error
    return out


def _stats(r: Any) -> Dict[str, Any]:
    out = {"name": r.name, "point_count": r.point_count,
           "segment_count": r.segment_count, "memtable_points": r.memtable_points,
           "wal_bytes": r.wal_bytes,
           "oldest_unflushed_age_seconds": r.oldest_unflushed_age_seconds,
           "last_sequence": r.last_sequence, "tiers": _tiers(r.tiers),
           "tiering": {k: getattr(r.tiering, k) for k in _COUNTERS}}
    if r.HasField("migration"):
        out["migration"] = _migration(r.migration)
    if r.HasField("recall_estimate"):
        e = r.recall_estimate
        out["recall_estimate"] = {
            "recall": e.recall if e.samples > 0 else None, "samples": e.samples,
            "ci95": [e.ci_lower, e.ci_upper], "samples_total": e.samples_total,
            "dropped_total": e.dropped_total}
    if r.HasField("background_io"):
        b = r.background_io
        out["background_io"] = {
            "budget_mb_per_s": b.budget_bytes_per_s / (1024.0 * 1024.0),
            "bytes_written": dict(b.bytes_written),
            "throttled_seconds": b.throttled_seconds,
            "tasks": [{"kind": t.kind, "segments": t.segments,
                       "bytes_done": t.bytes_done,
                       "bytes_total": t.bytes_total if t.bytes_total > 0 else None,
                       "seconds": t.seconds,
                       "eta_seconds": t.eta_seconds if t.eta_seconds >= 0 else None}
                      for t in b.tasks]}
    if r.HasField("recovery"):
        out["recovery"] = {"seconds": r.recovery.seconds,
                           "wal_records": r.recovery.wal_records,
                           "wal_bytes": r.recovery.wal_bytes}
    if r.HasField("memory"):
        m = r.memory
        out["memory"] = {"memtables": m.memtables, "graphs": m.graphs,
                         "payload_indexes": m.payload_indexes,
                         "unpacked_segments": m.unpacked_segments, "total": m.total}
    return out


def _varint(n: int) -> bytes:
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def _packed_floats(field: int, a: Any) -> bytes:
    """A float32 numpy array as the wire form of a packed ``repeated float``
    field (tag, length, the little-endian floats): what protobuf would write,
    without a Python float per element."""
    data = a.astype("<f4", copy=False).tobytes()
    return _varint((field << 3) | 2) + _varint(len(data)) + data


def _point(p: Mapping[str, Any], what: str) -> "pb.Point":
    return _fill_point(pb.Point(), p, what)


def _enc_batch_upsert(c: Call) -> "pb.BatchUpsertRequest":
    req = pb.BatchUpsertRequest(collection=c.collection)
    for i, p in enumerate((c.body or {})["vectors"]):
        _fill_point(req.points.add(), p, f"points[{i}]")
    return req


def _fill_point(out: "pb.Point", p: Mapping[str, Any], what: str) -> "pb.Point":
    out.id = p.get("id") or ""
    vec = p["vector"]
    if is_numpy(vec):
        out.MergeFromString(_packed_floats(pb.Point.VECTOR_FIELD_NUMBER, vec))
    else:
        out.vector.extend(vec)
    if p.get("metadata") is not None:
        out.metadata.CopyFrom(_struct(p["metadata"], f"{what}.metadata"))
    if p.get("sparse_vectors"):
        _fill_sparse(out.sparse_vectors, p["sparse_vectors"])
    for name, v in (p.get("vectors") or {}).items():
        _fill_named(out.vectors[name], v)
    if p.get("expires_at") is not None:
        out.expires_at = p["expires_at"]
    return out


def _search_request(b: Mapping[str, Any], collection: str, what: str) -> "pb.SearchRequest":
    req = pb.SearchRequest(collection=collection, include_vector=bool(b.get("include_vector")),
                           exact=bool(b.get("exact")))
    if b.get("id") is not None:
        req.id = b["id"]
    elif b.get("using") is not None:
        req.vector_rows = _fill_named(req, b["vector"], field="vector")
    else:
        req.vector.extend(b["vector"])
    if b.get("using") is not None:
        req.using = b["using"]
    if b.get("offset"):
        req.offset = b["offset"]
    if b.get("score_threshold") is not None:
        req.score_threshold = b["score_threshold"]
    if b.get("k") is not None:
        req.k = b["k"]
    if b.get("include_metadata") is not None:
        req.include_metadata = bool(b["include_metadata"])
    if b.get("ef_search") is not None:
        req.ef_search = b["ef_search"]
    if b.get("nprobe") is not None:
        req.nprobe = b["nprobe"]
    if b.get("filter"):
        req.filter.CopyFrom(_struct(b["filter"], f"{what}filter"))
    if b.get("consistency") is not None:
        req.consistency = b["consistency"]
    if b.get("group_by") is not None:
        req.group_by = b["group_by"]
    if b.get("group_size") is not None:
        req.group_size = b["group_size"]
    if b.get("explain"):
        req.explain = True
    return req


def _enc_recommend(c: Any) -> "pb.RecommendRequest":
    b = dict(c.body or {})
    req = pb.RecommendRequest(collection=c.collection)
    for field in ("positive", "negative"):
        for e in b.pop(field, None) or []:
            ex = getattr(req, field).add()
            if isinstance(e, str):
                ex.id = e
            else:
                ex.vector.extend(e)
    if b.get("strategy") is not None:
        req.strategy = b.pop("strategy")
    using = b.pop("using", None)
    b["vector"] = []  # the query carries no vector of its own
    req.query.CopyFrom(_search_request(b, "", ""))
    if using is not None:
        req.query.using = using
    return req


def _enc_query(c: Any) -> "pb.QueryRequest":
    b = c.body or {}
    req = pb.QueryRequest(collection=c.collection)
    for i, p in enumerate(b.get("prefetch") or []):
        q = req.prefetch.add()
        if p.get("vector") is not None and p.get("using") is not None:
            q.vector_rows = _fill_named(q, p["vector"], field="vector")
        elif p.get("vector") is not None:
            q.vector.extend(p["vector"])
        if p.get("text") is not None:
            q.text = p["text"]
        if p.get("sparse_vector") is not None:
            sv = p["sparse_vector"]
            q.sparse_vector.SetInParent()
            q.sparse_vector.indices.extend(sv.get("indices") or [])
            q.sparse_vector.values.extend(sv.get("values") or [])
        if p.get("using") is not None:
            q.using = p["using"]
        if p.get("limit") is not None:
            q.limit = p["limit"]
        if p.get("filter"):
            q.filter.CopyFrom(_struct(p["filter"], f"prefetch[{i}].filter"))
        if p.get("ef_search") is not None:
            q.ef_search = p["ef_search"]
    if b.get("fusion") is not None:
        req.fusion = b["fusion"]
    if b.get("rrf_k") is not None:
        req.rrf_k = b["rrf_k"]
    if b.get("limit") is not None:
        req.limit = b["limit"]
    if b.get("rescore") is not None:
        req.rescore_vector.extend(b["rescore"]["vector"])
    req.include_vector = bool(b.get("include_vector"))
    if b.get("include_metadata") is not None:
        req.include_metadata = bool(b["include_metadata"])
    if b.get("consistency") is not None:
        req.consistency = b["consistency"]
    return req


def _enc_get_points(c: Any) -> "pb.GetPointsRequest":
    b = c.body or {}
    req = pb.GetPointsRequest(collection=c.collection, ids=b["ids"])
    if b.get("include_vector") is not None:
        req.include_vector = bool(b["include_vector"])
    if b.get("include_metadata") is not None:
        req.include_metadata = bool(b["include_metadata"])
    return req


def _enc_patch_metadata(c: Any) -> "pb.PatchMetadataRequest":
    b = c.body or {}
    req = pb.PatchMetadataRequest(collection=c.collection, ids=b.get("ids") or [],
                                  unset=b.get("unset") or [])
    if b.get("filter") is not None:
        req.filter.CopyFrom(_struct(b["filter"], "filter"))
    if b.get("set") is not None:
        req.set.CopyFrom(_struct(b["set"], "set"))
    return req


def _collection_info(c: "pb.CollectionInfo") -> Dict[str, Any]:
    f = c.flush_policy
    return {
        "name": c.name,
        "dimension": c.dimension,
        "distance_metric": c.distance_metric,
        "indexing_algorithm": c.indexing_algorithm,
        "index": {"kind": c.indexing_algorithm, "m": c.m, "ef_construction": c.ef_construction,
                  "ef_search": c.ef_search, "quantization": c.quantization,
                  **({"nlist": c.nlist, "nprobe": c.nprobe}
                     if c.indexing_algorithm == "ivf" else {})},
        "storage_strategy": c.storage_strategy or "standard",
        "memtable": c.memtable or "btree",
        "compression": c.compression or "none",
        "filterable_columns": _columns_json(c.filterable_columns),
        "state": c.state or "serving",
        **({"state_message": c.state_message} if c.state_message else {}),
        "flush_policy": {
            "max_wal_age_hours": f.max_wal_age_hours,
            "max_wal_size_mb": f.max_wal_size_mb,
            "max_vector_count": f.max_vector_count,
            "flush_priority": f.flush_priority,
            "enable_background_flush": f.enable_background_flush,
        },
        "wal_format": c.wal_format,
        "point_count": c.point_count,
        "segment_count": c.segment_count,
        "created_at": c.created_at,
        "tiering": {
            "warm_after_hours": c.tiering.warm_after_hours,
            "cold_after_hours": c.tiering.cold_after_hours,
            "warm_directory": c.tiering.warm_directory,
            "cache_mb": c.tiering.cache_mb,
            "wal_archive": c.tiering.wal_archive,
        },
        "tiers": _tiers(c.tiers),
        "shard_count": c.shard_count,
        "replication_factor": c.replication_factor,
        **({"sparse_vectors": {n: {} for n in sorted(c.sparse_vectors)}}
           if len(c.sparse_vectors) else {}),
        **({"default_ttl_seconds": c.default_ttl_seconds} if c.default_ttl_seconds else {}),
        **({"vectors": {n: {"dimension": v.dimension, "distance_metric": v.distance_metric,
                            "multivector": v.multivector,
                            "index": {"indexing_algorithm": v.indexing_algorithm,
                                      "m": v.m, "ef_construction": v.ef_construction,
                                      "ef_search": v.ef_search,
                                      "quantization": v.quantization}}
                        for n, v in sorted(c.vectors.items())}}
           if len(c.vectors) else {}),
    }


def _payload_indexes(r: "pb.PayloadIndexesResponse") -> Dict[str, Any]:
    return {"name": r.name,
            "payload_indexes": [{"field": d.field, "type": d.type} for d in r.payload_indexes]}


def _sparse_json(m: Any) -> Dict[str, Any]:
    """A map<string, SparseVector> in the REST shape."""
    return {name: {"indices": list(sv.indices), "values": f32_list(sv.values)}
            for name, sv in sorted(m.items())}


def _fill_named(out: Any, v: Any, field: str = "values") -> int:
    """Fills a NamedVector (or a request's ``field``) with one vector or a
    matrix's rows; returns the rows of a matrix, 0 for one vector."""
    if hasattr(v, "tolist"):
        v = v.tolist()
    values = getattr(out, field)
    if v and isinstance(v[0], (list, tuple)):
        for row in v:
            values.extend(float(x) for x in row)
        if field == "values":
            out.rows = len(v)
        return len(v)
    values.extend(float(x) for x in v)
    return 0


def _named_json(m: Any) -> Dict[str, Any]:
    """A map<string, NamedVector> in the REST shape."""
    out: Dict[str, Any] = {}
    for name, nv in sorted(m.items()):
        values = f32_list(nv.values)
        if nv.rows:
            dim = len(values) // nv.rows
            out[name] = [values[r * dim:(r + 1) * dim] for r in range(nv.rows)]
        else:
            out[name] = values
    return out


def _fill_sparse(out: Any, vectors: Mapping[str, Any]) -> None:
    for name, sv in vectors.items():
        one = out[name]
        one.indices.extend(int(i) for i in sv.get("indices") or [])
        one.values.extend(float(v) for v in sv.get("values") or [])


def _point_json(p: "pb.Point") -> Dict[str, Any]:
    out: Dict[str, Any] = {"id": p.id}
    if len(p.vector):
        out["vector"] = f32_list(p.vector)
    if len(p.sparse_vectors):
        out["sparse_vectors"] = _sparse_json(p.sparse_vectors)
    if len(p.vectors):
        out["vectors"] = _named_json(p.vectors)
    if p.HasField("metadata"):
        out["metadata"] = _dict(p.metadata)
    if p.expires_at:
        out["expires_at"] = p.expires_at
    return out


def _matches_json(ms: Any) -> List[Dict[str, Any]]:
    matches = []
    for m in ms:
        j: Dict[str, Any] = {"id": m.id, "score": f32_shortest(m.score)}
        if m.HasField("metadata"):
            j["metadata"] = _dict(m.metadata)
        if len(m.vector):
            j["vector"] = f32_list(m.vector)
        if len(m.sparse_vectors):
            j["sparse_vectors"] = _sparse_json(m.sparse_vectors)
        if len(m.vectors):
            j["vectors"] = _named_json(m.vectors)
        matches.append(j)
    return matches


def _source_plan_json(p: "pb.SourcePlan") -> Dict[str, Any]:
    """A SourcePlan in the REST shape (segment_id for segments, candidates
    for index scans, ef when set)."""
    out: Dict[str, Any] = {"source": p.source, "rows": p.rows, "strategy": p.strategy,
                           "estimated_matches": p.estimated_matches, "matches": p.matches,
                           "distances_computed": p.distances_computed}
    if p.source == "segment":
        out["segment_id"] = p.segment_id
    if p.strategy == "index_scan":
        out["candidates"] = p.candidates
    if p.ef:
        out["ef"] = p.ef
    return out


def _search_json(r: "pb.SearchResponse") -> Dict[str, Any]:
    if len(r.groups):
        out = {"groups": [{"id": _py(g.id), "hits": _matches_json(g.hits)} for g in r.groups],
               "total_count": r.total_count}
    else:
        out = {"matches": _matches_json(r.matches), "total_count": r.total_count}
    if r.HasField("explain"):
        e = r.explain
        out["explain"] = {"sources": [_source_plan_json(p) for p in e.sources],
                          "distances_computed": e.distances_computed,
                          "nodes_visited": e.nodes_visited,
                          "partitions_pruned": e.partitions_pruned}
    return out


def _name_status(r: Any) -> Dict[str, Any]:
    return {"name": r.name, "status": r.status}


def _enc_create(c: Call) -> Any:
    b = c.body or {}
    req = pb.CreateCollectionRequest(
        name=b.get("name", ""), dimension=b.get("dimension", 0),
        distance_metric=b.get("distance_metric") or "",
        indexing_algorithm=b.get("indexing_algorithm") or "",
        quantization=b.get("quantization") or "",
        storage_strategy=b.get("storage_strategy") or "",
        memtable=b.get("memtable") or "",
        compression=b.get("compression") or "",
        wal_format=b.get("wal_format") or "")
    for key in ("m", "ef_construction", "ef_search", "shard_count", "replication_factor",
                "nlist", "nprobe"):
        if b.get(key) is not None:
            setattr(req, key, b[key])
    req.flush_policy.CopyFrom(_flush_policy(b))
    if b.get("tiering") is not None:
        req.tiering.CopyFrom(_tiering_policy(b["tiering"]))
    for name in b.get("sparse_vectors") or {}:
        req.sparse_vectors[name].SetInParent()
    for name, cfg in (b.get("vectors") or {}).items():
        one = req.vectors[name]
        one.SetInParent()
        if cfg.get("dimension") is not None:
            one.dimension = cfg["dimension"]
        if cfg.get("distance_metric") is not None:
            one.distance_metric = cfg["distance_metric"]
        if cfg.get("multivector") is not None:
            one.multivector = bool(cfg["multivector"])
        index = cfg.get("index") or {}
        for key in ("indexing_algorithm", "quantization"):
            if index.get(key) is not None:
                setattr(one, key, index[key])
        for key in ("m", "ef_construction", "ef_search"):
            if index.get(key) is not None:
                setattr(one, key, index[key])
    if b.get("default_ttl_seconds") is not None:
        req.default_ttl_seconds = b["default_ttl_seconds"]
    _fill_columns(req.filterable_columns, b.get("filterable_columns"))
    return req


def _enc_count(c: Call) -> Any:
    req = pb.CountRequest(collection=c.collection)
    f = (c.body or {}).get("filter")
    if f:
        req.filter.CopyFrom(_struct(f, "filter"))
    return req


def _enc_scroll(c: Call) -> Any:
    b = c.body or {}
    req = pb.ScrollRequest(collection=c.collection, after_id=b.get("after_id") or "",
                           include_vector=bool(b.get("include_vector")))
    if b.get("limit") is not None:
        req.limit = b["limit"]
    if b.get("filter"):
        req.filter.CopyFrom(_struct(b["filter"], "filter"))
    if b.get("consistency") is not None:
        req.consistency = b["consistency"]
    order = b.get("order_by")
    if order is not None:
        if isinstance(order, str):
            order = {"key": order}
        req.order_by.key = order.get("key") or ""
        if order.get("direction") is not None:
            req.order_by.direction = order["direction"]
    if b.get("after_value") is not None:
        req.after_value = b["after_value"]
    return req


def _enc_facet(c: Call) -> Any:
    b = c.body or {}
    req = pb.FacetRequest(collection=c.collection, key=b.get("key") or "")
    if b.get("limit") is not None:
        req.limit = b["limit"]
    if b.get("filter"):
        req.filter.CopyFrom(_struct(b["filter"], "filter"))
    if b.get("consistency") is not None:
        req.consistency = b["consistency"]
    return req


def _enc_batch_search(c: Call) -> Any:
    req = pb.BatchSearchRequest(collection=c.collection)
    for i, q in enumerate((c.body or {})["queries"]):
        req.queries.append(_search_request(q, "", f"queries[{i}]."))
    return req


def _dec_scroll(r: Any) -> Dict[str, Any]:
    return {
        "points": [_point_json(p) for p in r.points],
        "next_after_id": r.next_after_id if r.HasField("next_after_id") else None,
        "next_after_value": r.next_after_value if r.HasField("next_after_value") else None,
    }


# operation -> (request encoder, response decoder)
Codec = Tuple[Callable[[Call], Any], Callable[[Any], Dict[str, Any]]]
CODECS: Dict[str, Codec] = {}


def _enc_aliases(c: Call) -> Any:
    actions = []
    for a in (c.body or {}).get("actions", []):
        if "create" in a:
            actions.append(pb.AliasAction(create_alias=pb.AliasAction.CreateAlias(
                alias=a["create"]["alias"], collection=a["create"]["collection"])))
        else:
            actions.append(pb.AliasAction(delete_alias=pb.AliasAction.DeleteAlias(
                alias=a["delete"]["alias"])))
    return pb.UpdateAliasesRequest(actions=actions)


def _aliases(r: Any) -> Dict[str, Any]:
    return {"aliases": [{"alias": a.alias, "collection": a.collection} for a in r.aliases]}


def _snapshot(s: Any) -> Dict[str, Any]:
    colls = []
    for c in s.collections:
        d: Dict[str, Any] = {"name": c.name, "sequence": c.sequence, "points": c.points}
        if c.files:
            d["files"] = [{"name": f.name, "role": f.role, "size": f.size,
                           "crc32c": f.crc32c} for f in c.files]
        colls.append(d)
    return {"id": s.id, "target": s.target, "kind": s.kind, "sequence": s.sequence,
            "created_at": s.created_at, "size_bytes": s.size_bytes,
            "uploaded_bytes": s.uploaded_bytes, "format_version": s.format_version,
            "server_version": s.server_version, "collections": colls}


def _enc_restore(c: Call) -> Any:
    body = c.body or {}
    return pb.RestoreSnapshotRequest(
        collection=c.collection, id=c.point_id or "",
        target_collection=body.get("target_collection") or "",
        overwrite=bool(body.get("overwrite", False)))


def _enc_restore_pit(c: Call) -> Any:
    body = c.body or {}
    req = pb.RestorePointInTimeRequest(
        collection=c.collection,
        target_collection=body.get("target_collection") or "",
        overwrite=bool(body.get("overwrite", False)))
    if body.get("as_of") is not None:
        req.as_of = body["as_of"]
    if body.get("sequence") is not None:
        req.sequence = body["sequence"]
    return req


def _cluster(r: Any) -> Dict[str, Any]:
    """A ClusterInfo in GET /api/v1/cluster's shape."""
    return {
        "enabled": r.enabled,
        "node_id": r.node_id,
        "nodes": [{"id": n.node_id, "node_id": n.node_id, "rest_url": n.rest_url,
                   "rest_address": n.rest_address,
                   "grpc_address": n.grpc_address, "alive": n.alive,
                   "draining": n.draining, "replicas": n.replicas} for n in r.nodes],
        "shards": [{"collection": s.collection, "shard": s.shard, "stream": s.stream,
                    "primary": s.primary, "fencing_token": s.fencing_token,
                    "last_seq": s.last_seq, "lag": s.lag, "first_seq": s.first_seq,
                    "snapshot_id": s.snapshot_id, "snapshot_node": s.snapshot_node,
                    "snapshot_seq": s.snapshot_seq,
                    "snapshot_unix_ms": s.snapshot_unix_ms,
                    "replicas": [{"node_id": x.node_id, "primary": x.primary,
                                  "reported": x.reported, "applied_seq": x.applied_seq,
                                  "lag": x.lag, "state": x.state} for x in s.replicas]}
                   for s in r.shards],
    }


def _restored(r: Any) -> Dict[str, Any]:
    return {"restored": {"collection": r.collection, "snapshot": r.snapshot,
                         "sequence": r.sequence, "points": r.points, "files": r.files,
                         "bytes": r.bytes, "snapshot_sequence": r.snapshot_sequence,
                         "wal_records": r.wal_records,
                         "sequence_time": r.sequence_time or None}}


def _build_codecs() -> None:
    if CODECS or _IMPORT_ERROR is not None:
        return
    CODECS.update({
        "Health": (lambda c: pb.HealthRequest(),
                   lambda r: {"status": r.status, "version": r.version,
                              "collections_recovering": r.collections_recovering,
                              "collections_fenced": r.collections_fenced}),
        "CreateCollection": (_enc_create, _collection_info),
        "ListCollections": (
            lambda c: pb.ListCollectionsRequest(),
            lambda r: {"collections": [_collection_info(x) for x in r.collections],
                       "total_count": r.total_count}),
        "GetCollection": (lambda c: pb.GetCollectionRequest(name=c.collection), _collection_info),
        "UpdateCollection": (_enc_update, _collection_info),
        "DeleteCollection": (lambda c: pb.DeleteCollectionRequest(name=c.collection),
                             _name_status),
        "Upsert": (lambda c: pb.UpsertRequest(collection=c.collection,
                                              point=_point(c.body or {}, "point")),
                   lambda r: {"id": r.id, "status": r.status}),
        "BatchUpsert": (
            _enc_batch_upsert,
            lambda r: {"inserted_ids": list(r.inserted_ids), "total_count": r.total_count}),
        "Get": (lambda c: pb.GetRequest(collection=c.collection, id=c.point_id), _point_json),
        "DeleteByIds": (lambda c: pb.DeleteByIdsRequest(collection=c.collection,
                                                        ids=(c.body or {})["ids"]),
                        lambda r: {"deleted_count": r.deleted_count}),
        "DeleteByFilter": (
            lambda c: pb.DeleteByFilterRequest(
                collection=c.collection, filter=_struct((c.body or {}).get("filter"), "filter")),
            lambda r: {"deleted_count": r.deleted_count}),
        "UpdateMetadata": (
            lambda c: pb.UpdateMetadataRequest(
                collection=c.collection, id=c.point_id,
                metadata=_struct((c.body or {}).get("metadata"), "metadata")),
            lambda r: {"id": r.id, "status": r.status}),
        "GetPoints": (_enc_get_points, lambda r: {"points": [_point_json(p) for p in r.points]}),
        "PatchMetadata": (
            _enc_patch_metadata,
            lambda r: {"updated_count": r.updated_count, "not_found": list(r.not_found)}),
        "Count": (_enc_count, lambda r: {"count": r.count}),
        "Scroll": (_enc_scroll, _dec_scroll),
        "Facet": (_enc_facet,
                  lambda r: {"values": [{"value": _py(v.value), "count": v.count}
                                        for v in r.values]}),
        "Search": (lambda c: _search_request(c.body or {}, c.collection or "", ""), _search_json),
        "BatchSearch": (_enc_batch_search,
                        lambda r: {"results": [_search_json(x) for x in r.results]}),
        "Recommend": (_enc_recommend, _search_json),
        "Query": (_enc_query, _search_json),
        "Flush": (lambda c: pb.FlushRequest(collection=c.collection), _name_status),
        "Compact": (lambda c: pb.CompactRequest(collection=c.collection), _name_status),
        "CollectionStats": (
            lambda c: pb.CollectionStatsRequest(collection=c.collection), _stats),
        "CreatePayloadIndex": (
            lambda c: pb.CreatePayloadIndexRequest(collection=c.collection,
                                                   field=(c.body or {}).get("field", ""),
                                                   type=(c.body or {}).get("type", "")),
            _payload_indexes),
        "ListPayloadIndexes": (
            lambda c: pb.ListPayloadIndexesRequest(collection=c.collection), _payload_indexes),
        "DeletePayloadIndex": (
            lambda c: pb.DeletePayloadIndexRequest(collection=c.collection, field=c.point_id),
            _payload_indexes),
        "ListQuarantine": (
            lambda c: pb.ListQuarantineRequest(),
            lambda r: {"entries": [{"id": e.id, "original_path": e.original_path,
                                    "reason": e.reason, "time_unix_ms": e.time_unix_ms,
                                    "bytes": e.bytes} for e in r.entries],
                       "total_count": r.total_count}),
        "ClearQuarantine": (
            lambda c: (pb.ClearQuarantineRequest() if c.point_id is None
                       else pb.ClearQuarantineRequest(id=c.point_id)),
            lambda r: {"deleted_count": r.deleted_count}),
        "ListSegments": (
            lambda c: pb.ListSegmentsRequest(collection=c.collection),
            lambda r: {"segments": [_segment(s) for s in r.segments]}),
        "MoveSegment": (_enc_move, _segment),
        "Migrate": (_enc_migrate, lambda r: {"migration": _migration(r)}),
        "GetMigration": (lambda c: pb.GetMigrationRequest(collection=c.collection), _migration),
        "CancelMigration": (lambda c: pb.CancelMigrationRequest(collection=c.collection),
                            _migration),
        "UpdateAliases": (_enc_aliases, _aliases),
        "ListAliases": (lambda c: pb.ListAliasesRequest(), _aliases),
        "CreateSnapshot": (
            lambda c: pb.CreateSnapshotRequest(
                collection=c.collection, target=(c.body or {}).get("target") or ""),
            lambda r: {"snapshot": _snapshot(r.snapshot)}),
        "ListSnapshots": (
            lambda c: pb.ListSnapshotsRequest(collection=c.collection),
            lambda r: {"snapshots": [_snapshot(s) for s in r.snapshots]}),
        "GetSnapshot": (
            lambda c: pb.GetSnapshotRequest(collection=c.collection, id=c.point_id or ""),
            lambda r: {"snapshot": _snapshot(r.snapshot)}),
        "DeleteSnapshot": (
            lambda c: pb.DeleteSnapshotRequest(collection=c.collection, id=c.point_id or ""),
            lambda r: {"id": r.id, "status": r.status}),
        "RestoreSnapshot": (_enc_restore, _restored),
        "RestorePointInTime": (_enc_restore_pit, _restored),
        "CreateDatabaseSnapshot": (
            lambda c: pb.CreateDatabaseSnapshotRequest(target=(c.body or {}).get("target") or ""),
            lambda r: {"snapshot": _snapshot(r.snapshot)}),
        "GetCluster": (lambda c: pb.GetClusterRequest(), _cluster),
        "DrainNode": (
            lambda c: pb.DrainNodeRequest(node_id=c.point_id or "",
                                          cancel=bool((c.body or {}).get("cancel"))),
            lambda r: {"node_id": r.node_id, "draining": r.draining}),
    })


def _encode(call: Call) -> Any:
    encoder, _ = CODECS[call.op]
    try:
        return encoder(call)
    except (TypeError, ValueError) as e:
        if isinstance(e, ProximaDBError):
            raise
        raise InvalidArgument(f"{call.op}: cannot encode the request: {e}") from None


def _error_from(e: "grpc.RpcError", call: Call) -> ProximaDBError:
    code = None
    trailing: Sequence[Tuple[str, Any]] = ()
    try:
        trailing = e.trailing_metadata() or ()  # type: ignore[attr-defined]
    except Exception:  # pragma: no cover - defensive
        pass
    for key, value in trailing:
        if key == ERROR_METADATA_KEY:
            code = value.decode() if isinstance(value, bytes) else str(value)
    status = e.code() if hasattr(e, "code") else None  # type: ignore[attr-defined]
    status_name = status.name if status is not None else "UNKNOWN"
    message = e.details() if hasattr(e, "details") else str(e)  # type: ignore[attr-defined]
    return error_for(code, message or "", status_name, point_op=call.op in POINT_OPS,
                     collection_op=call.op not in ADMIN_OPS)


_CHANNEL_OPTIONS = [
    ("grpc.max_send_message_length", -1),
    ("grpc.max_receive_message_length", -1),
]


def _metadata(api_key: Optional[str]) -> List[Tuple[str, str]]:
    return [("authorization", f"Bearer {api_key}")] if api_key else []


def _changes_request(collection: str, from_seq: Optional[int], follow: bool,
                     with_vectors: bool) -> "pb.ChangesRequest":
    req = pb.ChangesRequest(collection=collection, follow=follow, with_vectors=with_vectors)
    if from_seq is not None:
        req.from_seq = from_seq
    return req


def _change_json(ev: "pb.ChangeEvent") -> Dict[str, Any]:
    """A ChangeEvent in the REST line's shape (plus time_unix_micros)."""
    out: Dict[str, Any] = {"seq": ev.seq, "index": ev.index, "batch_ops": ev.batch_ops,
                           "time": rfc3339_micros(ev.time_unix_micros),
                           "time_unix_micros": ev.time_unix_micros, "op": ev.op, "id": ev.id}
    if len(ev.vector):
        out["vector"] = f32_list(ev.vector)
    if len(ev.sparse_vectors):
        out["sparse_vectors"] = _sparse_json(ev.sparse_vectors)
    if len(ev.vectors):
        out["vectors"] = _named_json(ev.vectors)
    if ev.op != "delete":
        out["metadata"] = _dict(ev.metadata)
    if ev.expires_at:
        out["expires_at"] = ev.expires_at
    return out


def _stream_error(e: "grpc.RpcError", call: Call) -> ProximaDBError:
    """A failed feed: CANCELLED by the server (a consumer too slow) or a
    broken connection is an interruption to resume from."""
    status = e.code() if hasattr(e, "code") else None  # type: ignore[attr-defined]
    if status == grpc.StatusCode.CANCELLED:
        return Unavailable(f"Changes: the stream was interrupted: {e.details()}")  # type: ignore[attr-defined]
    return _error_from(e, call)


class GrpcTransport:
    """Blocking gRPC transport over one channel."""

    def __init__(self, endpoint: Endpoint, api_key: Optional[str], timeout: Optional[float],
                 max_retries: int, retry_backoff: float) -> None:
        require_grpc()
        _build_codecs()
        self.endpoint = endpoint
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = retry_backoff
        self._metadata = _metadata(api_key)
        if endpoint.secure:
            self._channel = grpc.secure_channel(endpoint.base_url, grpc.ssl_channel_credentials(),
                                                options=_CHANNEL_OPTIONS)
        else:
            self._channel = grpc.insecure_channel(endpoint.base_url, options=_CHANNEL_OPTIONS)
        self._stub = pb_grpc.ProximaDBStub(self._channel)

    def call(self, call: Call) -> Dict[str, Any]:
        """Runs one RPC, retrying UNAVAILABLE with back-off."""
        request = _encode(call)
        method = getattr(self._stub, call.op)
        decode = CODECS[call.op][1]
        delays = backoff_delays(self._max_retries, self._backoff)
        while True:
            try:
                response = method(request, timeout=self._timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                err = _error_from(e, call)
                if not isinstance(err, Unavailable):
                    raise err from None
            else:
                return decode(response)
            delay = next(delays, None)
            if delay is None:
                raise err
            time.sleep(delay)

    def changes(self, collection: str, from_seq: Optional[int], follow: bool,
                with_vectors: bool) -> Iterator[Dict[str, Any]]:
        """The change feed as dicts (one call; no resuming)."""
        call = Call("Changes", collection)
        stream = self._stub.Changes(_changes_request(collection, from_seq, follow, with_vectors),
                                    timeout=None if follow else self._timeout,
                                    metadata=self._metadata)
        try:
            for ev in stream:
                yield _change_json(ev)
        except grpc.RpcError as e:
            raise _stream_error(e, call) from None
        finally:
            stream.cancel()

    def close(self) -> None:
        """Closes the channel."""
        self._channel.close()


class AsyncGrpcTransport:
    """``grpc.aio`` transport; the channel is made on first use, inside the event loop."""

    def __init__(self, endpoint: Endpoint, api_key: Optional[str], timeout: Optional[float],
                 max_retries: int, retry_backoff: float) -> None:
        require_grpc()
        _build_codecs()
        self.endpoint = endpoint
        self._timeout = timeout
        self._max_retries = max_retries
        self._backoff = retry_backoff
        self._metadata = _metadata(api_key)
        self._channel: Optional["grpc.aio.Channel"] = None
        self._stub: Any = None

    def _get_stub(self) -> Any:
        if self._stub is None:
            if self.endpoint.secure:
                self._channel = grpc.aio.secure_channel(
                    self.endpoint.base_url, grpc.ssl_channel_credentials(),
                    options=_CHANNEL_OPTIONS)
            else:
                self._channel = grpc.aio.insecure_channel(self.endpoint.base_url,
                                                          options=_CHANNEL_OPTIONS)
            self._stub = pb_grpc.ProximaDBStub(self._channel)
        return self._stub

    async def call(self, call: Call) -> Dict[str, Any]:
        """Runs one RPC, retrying UNAVAILABLE with back-off."""
        request = _encode(call)
        method = getattr(self._get_stub(), call.op)
        decode = CODECS[call.op][1]
        delays = backoff_delays(self._max_retries, self._backoff)
        while True:
            try:
                response = await method(request, timeout=self._timeout, metadata=self._metadata)
            except grpc.RpcError as e:
                err = _error_from(e, call)
                if not isinstance(err, Unavailable):
                    raise err from None
            else:
                return decode(response)
            delay = next(delays, None)
            if delay is None:
                raise err
            await asyncio.sleep(delay)

    async def changes(self, collection: str, from_seq: Optional[int], follow: bool,
                      with_vectors: bool) -> AsyncIterator[Dict[str, Any]]:
        """The change feed as dicts (one call; no resuming)."""
        call = Call("Changes", collection)
        stream = self._get_stub().Changes(
            _changes_request(collection, from_seq, follow, with_vectors),
            timeout=None if follow else self._timeout, metadata=self._metadata)
        try:
            async for ev in stream:
                yield _change_json(ev)
        except grpc.RpcError as e:
            raise _stream_error(e, call) from None
        finally:
            stream.cancel()

    async def close(self) -> None:
        """Closes the channel."""
        if self._channel is not None:
            await self._channel.close()
            self._channel = None
            self._stub = None
