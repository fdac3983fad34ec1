"""ProximaDBClient against the real server, over REST and gRPC (parametrized)."""

from __future__ import annotations

import math
import time
import uuid
from datetime import datetime, timedelta, timezone

import numpy as np
import pytest

from proximadb import (
    BatchInsertResult,
    Collection,
    CollectionAlreadyExists,
    CollectionNotFound,
    CollectionStats,
    DimensionMismatch,
    HealthStatus,
    InvalidArgument,
    MetadataPatchResult,
    NotFound,
    Point,
    PointNotFound,
    ProximaDBClient,
    ProximaDBError,
    SearchResult,
    SearchGroup,
    SearchGroups,
    SearchResults,
)

# The seed README's Python snippet, verbatim except the 768 -> 3 dimension fix
# (its vectors have 3 values) and the URL, which points at the test server.
SEED_SNIPPET = '''
from proximadb import ProximaDBClient

# Connect to server
client = ProximaDBClient("http://localhost:8080")

# Create collection with custom flush policy
collection = client.create_collection(
    name="embeddings",
    dimension=768,
    distance_metric="cosine",
    indexing_algorithm="hnsw",
    max_wal_age_hours=1.0,  # Flush every hour
    max_wal_size_mb=64.0    # Flush at 64MB
)

# Insert vectors with client-provided IDs
vectors = [
    {"id": "doc_1", "vector": [0.1, 0.2, 0.3], "metadata": {"type": "document"}},
    {"id": "doc_2", "vector": [0.4, 0.5, 0.6], "metadata": {"type": "image"}}
]
client.batch_insert("embeddings", vectors)

# Search vectors
results = client.search("embeddings", query_vector=[0.1, 0.2, 0.3], k=10)
'''

# The seed README's "Collection-Specific Overrides" snippet, verbatim.
SEED_OVERRIDES = '''
client.create_collection(
    name="high_frequency",
    dimension=512,
    max_wal_age_hours=0.25,    # Flush every 15 minutes
    max_wal_size_mb=64,        # Smaller WAL size
    flush_priority=80          # High priority flushing
)
'''


def seed_code(url: str) -> str:
    return SEED_SNIPPET.replace('"http://localhost:8080"', repr(url)).replace(
        "dimension=768", "dimension=3")


def test_seed_readme_snippets(url: str, rest_client: ProximaDBClient) -> None:
    for name in ("embeddings", "high_frequency"):
        rest_client.delete_collection(name, missing_ok=True)
    scope: dict = {}
    try:
        exec(compile(seed_code(url), "seed-readme", "exec"), scope)
        collection, results, client = scope["collection"], scope["results"], scope["client"]
        assert isinstance(collection, Collection)
        assert collection.name == "embeddings" and collection.dimension == 3
        assert collection.distance_metric == "cosine"
        assert collection.indexing_algorithm == "hnsw"
        assert collection.flush_policy.max_wal_age_hours == 1.0
        assert collection.max_wal_size_mb == 64.0
        assert [r.id for r in results] == ["doc_1", "doc_2"]
        assert results[0].score == pytest.approx(1.0, abs=1e-6)
        assert results[0].metadata == {"type": "document"}
        assert results.total_count == 2
        exec(compile(SEED_OVERRIDES, "seed-readme-overrides", "exec"), scope)
        hf = client.get_collection("high_frequency")
        assert hf.dimension == 512 and hf.flush_priority == 80
        assert hf.max_wal_age_hours == 0.25 and hf.max_wal_size_mb == 64.0
        client.close()
    finally:
        for name in ("embeddings", "high_frequency"):
            rest_client.delete_collection(name, missing_ok=True)


def test_health(client: ProximaDBClient) -> None:
    h = client.health()
    assert isinstance(h, HealthStatus)
    assert h.status == "healthy" and h.healthy and h.version


def test_collection_lifecycle(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    c = client.create_collection(name, 4, distance_metric="euclidean",
                                 indexing_algorithm="flat", max_wal_age_hours=0.5,
                                 max_wal_size_mb=32, max_vector_count=5000, flush_priority=70,
                                 enable_background_flush=False, wal_format="avro")
    assert (c.name, c.dimension, c.distance_metric, c.indexing_algorithm) == (
        name, 4, "euclidean", "flat")
    assert c.flush_policy.max_wal_age_hours == 0.5 and c.max_vector_count == 5000
    assert c.flush_policy.enable_background_flush is False and c.wal_format == "avro"
    assert c.point_count == 0 and c.created_at > 0

    assert client.get_collection(name) == c
    assert client.has_collection(name) and not client.has_collection(name + "_nope")
    assert name in [x.name for x in client.list_collections()]

    u = client.update_collection(name, flush_priority=80, max_wal_age_hours=1.0)
    assert u.flush_priority == 80 and u.max_wal_age_hours == 1.0
    assert u.max_wal_size_mb == 32  # unchanged
    assert client.get_collection(name).flush_priority == 80

    h = client.create_collection(new_name(), 8, m=8, ef_construction=50, ef_search=32)
    assert (h.m, h.ef_construction, h.ef_search) == (8, 50, 32)
    assert h.indexing_algorithm == "hnsw" and h.distance_metric == "cosine"
    assert h.flush_policy.max_vector_count is not None  # server defaults resolved

    assert client.delete_collection(name) is True
    with pytest.raises(CollectionNotFound):
        client.get_collection(name)
    with pytest.raises(CollectionNotFound):
        client.delete_collection(name)
    assert client.delete_collection(name, missing_ok=True) is False


def test_errors(client: ProximaDBClient, transport: str, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    with pytest.raises(CollectionAlreadyExists) as e:
        client.create_collection(name, 3)
    assert e.value.code == "already_exists" and name in e.value.message
    assert e.value.status == (409 if transport == "rest" else "ALREADY_EXISTS")

    with pytest.raises(DimensionMismatch) as e:
        client.insert(name, "x", [1.0, 2.0])
    assert e.value.code == "dimension_mismatch" and isinstance(e.value, InvalidArgument)
    assert e.value.status == (400 if transport == "rest" else "INVALID_ARGUMENT")
    with pytest.raises(DimensionMismatch):
        client.search(name, [1.0] * 4)
    with pytest.raises(DimensionMismatch) as e:
        client.batch_insert(name, [{"id": "a", "vector": [1, 2, 3]},
                                   {"id": "b", "vector": [1, 2]}])
    # Both transports name the bad point the same way (docs/API.md).
    assert "vectors[1]" in e.value.message
    assert client.count(name) == 0  # the batch stored nothing

    missing = "missing_" + uuid.uuid4().hex[:8]
    for call in (lambda: client.insert(missing, "a", [1, 2, 3]),
                 lambda: client.search(missing, [1, 2, 3]),
                 lambda: client.count(missing),
                 lambda: client.stats(missing),
                 lambda: client.flush(missing),
                 lambda: client.get(missing, "a"),
                 lambda: client.update_collection(missing, flush_priority=3)):
        with pytest.raises(CollectionNotFound) as e:
            call()
        assert e.value.code == "not_found" and isinstance(e.value, NotFound)
        assert e.value.status == (404 if transport == "rest" else "NOT_FOUND")

    with pytest.raises(PointNotFound):
        client.get(name, "nope")
    with pytest.raises(PointNotFound):
        client.update_metadata(name, "nope", {"a": 1})

    with pytest.raises(InvalidArgument) as e:
        client.create_collection(new_name(), 3, distance_metric="manhattan")
    assert e.value.code == "invalid_argument"
    with pytest.raises(InvalidArgument):
        client.create_collection("bad name!", 3)
    with pytest.raises(InvalidArgument):
        client.create_collection(new_name(), 0)
    with pytest.raises(InvalidArgument):
        client.search(name, [1, 2, 3], k=0)
    with pytest.raises(InvalidArgument):
        client.update_collection(name)  # no key
    with pytest.raises(InvalidArgument):
        client.delete_by_filter(name, {})
    with pytest.raises(InvalidArgument):
        client.insert(name, "nan", [1.0, math.nan, 2.0])
    with pytest.raises(InvalidArgument):
        client.insert(name, "x", "abc")  # client-side check
    with pytest.raises(InvalidArgument, match="finite"):
        client.batch_insert(name, np.array([[1, 2, 3], [1, np.inf, 3]], dtype=np.float32))
    with pytest.raises(InvalidArgument):
        client.get(name, "")
    with pytest.raises(InvalidArgument):
        client.insert(name, "x" * 300, [1, 2, 3])
    assert isinstance(e.value, ProximaDBError) and isinstance(e.value, ValueError)


def test_insert_get_update_delete(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    meta = {"user": "alice", "n": 7, "x": 1.5, "ok": True, "tags": ["a", "b"],
            "nested": {"k": [1, 2, {"z": None}]}}
    assert client.insert(name, "user_123", [0.1, 0.2, 0.3], meta) == "user_123"
    generated = client.insert(name, None, np.array([0.4, 0.5, 0.6]))
    uuid.UUID(generated)  # a UUID made by the server

    p = client.get(name, "user_123")
    assert isinstance(p, Point)
    assert p == Point("user_123", [0.1, 0.2, 0.3], meta)
    assert client.get(name, generated).metadata in ({}, None)
    many = client.get(name, ["user_123", "nope", generated])
    assert [x.id for x in many] == ["user_123", generated]

    client.update_metadata(name, "user_123", {"user": "bob"})
    assert client.get(name, "user_123").metadata == {"user": "bob"}
    assert client.get(name, "user_123").vector == [0.1, 0.2, 0.3]

    # Ids with characters that need escaping in a REST path.
    odd = "a/b c?d%e#f"
    client.insert(name, odd, [1, 0, 0], {"odd": True})
    assert client.get(name, odd).metadata == {"odd": True}

    assert client.delete(name, odd) == 1
    assert client.delete(name, [odd, "never"]) == 0
    assert client.delete(name, ["user_123", generated]) == 2
    assert client.count(name) == 0


def test_batch_insert_numpy_chunking_and_progress(client: ProximaDBClient, new_name,
                                                  capsys) -> None:
    name = new_name()
    client.create_collection(name, 8)
    rng = np.random.default_rng(7)
    data = rng.standard_normal((53, 8)).astype(np.float32)
    ids = [f"p{i:03d}" for i in range(53)]
    meta = [{"i": i, "even": i % 2 == 0} for i in range(53)]
    res = client.batch_insert(name, data, ids=ids, metadata=meta, chunk_size=10,
                              show_progress=True)
    assert isinstance(res, BatchInsertResult)
    assert res.inserted_ids == ids and res.total_count == 53
    err = capsys.readouterr().err
    assert "53/53" in err and "batch_insert" in err
    assert client.count(name) == 53
    assert client.count(name, filter={"even": True}) == 27
    got = client.get(name, "p005")
    assert np.allclose(got.vector, data[5]) and got.metadata == {"i": 5, "even": False}
    # float32 values round-trip exactly
    assert np.array_equal(np.asarray(got.vector, dtype=np.float32), data[5])

    # without ids: the server generates them; list-of-lists input
    res2 = client.batch_insert(name, data[:3].tolist())
    assert len(res2.inserted_ids) == 3 and all(uuid.UUID(i) for i in res2.inserted_ids)
    assert client.count(name) == 56

    with pytest.raises(InvalidArgument):
        client.batch_insert(name, data, ids=ids[:3])  # lengths differ
    with pytest.raises(InvalidArgument):
        client.batch_insert(name, data[0])  # 1-D is not a batch
    with pytest.raises(InvalidArgument):
        client.batch_insert(name, [])


def test_upsert(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 2, distance_metric="dot_product")
    r = client.upsert(name, {"id": "a", "vector": [1, 0], "metadata": {"v": 1}})
    assert r.inserted_ids == ["a"]
    client.upsert(name, Point("a", [0, 1], {"v": 2}))
    assert client.get(name, "a") == Point("a", [0.0, 1.0], {"v": 2})
    client.upsert(name, [Point("b", [1, 1]), {"id": "c", "vector": np.ones(2), "payload": {"q": 1}}])
    assert client.count(name) == 3
    assert client.get(name, "c").metadata == {"q": 1}


def _fill(client: ProximaDBClient, name: str) -> None:
    client.batch_insert(name, [
        {"id": "x1", "vector": [1, 0, 0], "metadata": {"color": "red", "n": 1}},
        {"id": "x2", "vector": [0.9, 0.1, 0], "metadata": {"color": "blue", "n": 2}},
        {"id": "x3", "vector": [0, 1, 0], "metadata": {"color": "red", "n": 3}},
        {"id": "x4", "vector": [0, 0, 1], "metadata": {"color": "green", "n": 4}},
    ])


def test_search(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    _fill(client, name)
    res = client.search(name, [1, 0, 0], k=3)
    assert isinstance(res, SearchResults) and all(isinstance(r, SearchResult) for r in res)
    assert res.ids == ["x1", "x2", "x3"] or res.ids[:2] == ["x1", "x2"]
    assert res[0].score == pytest.approx(1.0) and res[0].score >= res[1].score
    assert res[0].metadata == {"color": "red", "n": 1} and res[0].vector is None

    res = client.search(name, np.array([1, 0, 0], dtype=np.float32), k=10,
                        filter={"color": "red"}, include_vectors=True,
                        include_metadata=False, exact=True)
    assert res.ids == ["x1", "x3"] and res.total_count == 2
    assert res[0].metadata is None and res[0].vector == [1.0, 0.0, 0.0]

    res = client.search(name, [0, 0, 1], k=1, ef_search=16)
    assert res.ids == ["x4"]
    # the filter language beyond equality
    res = client.search(name, [1, 0, 0], filter={"n": {"$gte": 3}})
    assert sorted(res.ids) == ["x3", "x4"]


def test_search_by_id_offset_and_threshold(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3, distance_metric="euclidean")
    _fill(client, name)
    # x1 itself is left out; x2 is nearest to it.
    assert client.search(name, point_id="x1", k=2, exact=True).ids == ["x2", "x3"]
    full = client.search(name, [1, 0, 0], k=4, exact=True)
    assert client.search(name, [1, 0, 0], k=2, offset=1, exact=True).ids == full.ids[1:3]
    # euclidean: the score is a distance, at most the threshold
    near = client.search(name, [1, 0, 0], k=4, score_threshold=0.5, exact=True)
    assert near.ids == ["x1", "x2"] and all(r.score <= 0.5 for r in near)
    with pytest.raises(PointNotFound):
        client.search(name, point_id="nope")
    with pytest.raises(InvalidArgument):
        client.search(name, [1, 0, 0], point_id="x1")
    with pytest.raises(InvalidArgument):
        client.search(name)
    with pytest.raises(InvalidArgument):
        client.search(name, [1, 0, 0], k=10, offset=10000)


def test_search_groups_and_recommend(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3, distance_metric="euclidean")
    _fill(client, name)
    client.insert(name, "x5", [0.8, 0.2, 0], {"color": ["green", "red"], "n": 5})
    groups = client.search_groups(name, [1, 0, 0], group_by="color", group_size=2, k=3,
                                  exact=True)
    assert isinstance(groups, SearchGroups) and groups.total_count == 3
    assert all(isinstance(g, SearchGroup) for g in groups)
    assert [(g.id, g.hits.ids) for g in groups] == [
        ("red", ["x1", "x5"]), ("blue", ["x2"]), ("green", ["x5", "x4"])]
    assert groups[0].hits[0].metadata == {"color": "red", "n": 1}
    by_n = client.search_groups(name, point_id="x1", group_by="n", k=1, offset=1,
                                include_metadata=False, exact=True)
    assert [(g.id, g.hits.ids) for g in by_n] == [(5, ["x5"])]
    assert by_n[0].hits[0].metadata is None
    with pytest.raises(InvalidArgument):
        client.search_groups(name, [1, 0, 0], group_by="color", group_size=101)
    with pytest.raises(InvalidArgument):
        client.search_groups(name, [1, 0, 0], group_by="")

    # Like x1, unlike x3: x2 and x5 lie between them on x1's side.
    rec = client.recommend(name, ["x1"], negative=["x3"], k=2, exact=True)
    assert isinstance(rec, SearchResults) and rec.ids == ["x2", "x5"]
    best = client.recommend(name, ["x1", [0, 0, 1]], negative=np.array([[0, 1, 0]]),
                            strategy="best_score", k=4, exact=True)
    # x4 is the second positive itself (given as a vector, so not left
    # out); x3 sits on the negative, so it is left out.
    assert best.ids == ["x4", "x2", "x5"]
    assert best[1].score == pytest.approx(math.sqrt(0.02), rel=1e-5)
    assert client.recommend(name, ["x1"], k=1, offset=1, exact=True).ids == ["x5"]
    with pytest.raises(PointNotFound):
        client.recommend(name, ["nope"])
    with pytest.raises(InvalidArgument):
        client.recommend(name, [], negative=["x1"])
    with pytest.raises(InvalidArgument):
        client.recommend(name, ["x1"], strategy="median")
    with pytest.raises(DimensionMismatch):
        client.recommend(name, [[1, 0]])


def test_get_many_and_patch_metadata(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    _fill(client, name)
    got = client.get(name, ["x3", "nope", "x1", "x3"])
    assert [p.id for p in got] == ["x3", "x1"]
    assert got[0] == Point("x3", [0.0, 1.0, 0.0], {"color": "red", "n": 3})
    bare = client.get(name, ["x1"], include_vectors=False)
    assert bare[0].id == "x1" and not bare[0].vector

    res = client.patch_metadata(name, ["x1", "x2", "nope"], set={"seen": True},
                                unset=["n"])
    assert isinstance(res, MetadataPatchResult)
    assert res.updated_count == 2 and res.not_found == ["nope"]
    assert client.get(name, "x1").metadata == {"color": "red", "seen": True}
    assert client.get(name, "x1").vector == [1.0, 0.0, 0.0]
    assert client.get(name, "x3").metadata == {"color": "red", "n": 3}
    res = client.patch_metadata(name, filter={"color": "red"}, set={"hot": 1})
    assert res.updated_count == 2 and res.not_found == []
    assert client.count(name, filter={"hot": 1}) == 2
    with pytest.raises(InvalidArgument):
        client.patch_metadata(name, ["x1"], set={"a": 1}, unset=["a"])
    with pytest.raises(InvalidArgument):
        client.patch_metadata(name, ["x1"])
    with pytest.raises(InvalidArgument):
        client.patch_metadata(name, ["x1"], filter={"a": 1}, set={"a": 1})
    with pytest.raises(CollectionNotFound):
        client.patch_metadata(name + "_missing", ["x1"], set={"a": 1})


def test_batch_search(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    _fill(client, name)
    queries = np.eye(3, dtype=np.float32)
    out = client.batch_search(name, queries, k=1)
    assert [r.ids for r in out] == [["x1"], ["x3"], ["x4"]]
    out = client.batch_search(name, [[1, 0, 0], [1, 0, 0]], k=5,
                              filter=[{"color": "blue"}, None], include_vectors=True)
    assert out[0].ids == ["x2"] and len(out[1]) == 4
    assert out[0][0].vector == [0.9, 0.1, 0.0]
    # more queries than one request carries
    many = np.tile(queries, (4, 1))  # 12 queries
    out = client.batch_search(name, many, k=2, chunk_size=5)
    assert len(out) == 12 and [r[0].id for r in out[:3]] == ["x1", "x3", "x4"]
    with pytest.raises(DimensionMismatch):
        client.batch_search(name, [[1, 0, 0], [1, 0]])
    with pytest.raises(InvalidArgument):
        client.batch_search(name, [[1, 0, 0]], filter=[{}, {}])


def test_count_delete_by_filter(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    _fill(client, name)
    assert client.count(name) == 4
    assert client.count(name, {"color": "red"}) == 2
    assert client.delete_by_filter(name, {"color": "red"}) == 2
    assert client.count(name) == 2 and client.count(name, {"color": "red"}) == 0
    assert sorted(p.id for p in client.scroll(name)) == ["x2", "x4"]


def test_scroll(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 4)
    n = 257
    vecs = np.arange(n * 4, dtype=np.float32).reshape(n, 4) + 1
    ids = [f"id{i:04d}" for i in range(n)]
    client.batch_insert(name, vecs, ids=ids, metadata=[{"g": i % 3} for i in range(n)],
                        chunk_size=100)

    it = client.scroll(name, batch_size=50)
    points = list(it)
    assert [p.id for p in points] == sorted(ids)  # > 5 pages, id order
    assert points[0].vector is None and points[0].metadata == {"g": 0}

    g1 = list(client.scroll(name, filter={"g": 1}, batch_size=20, include_vectors=True))
    assert [p.id for p in g1] == [i for k, i in enumerate(ids) if k % 3 == 1]
    assert g1[0].vector == vecs[1].tolist()

    page = client.scroll_page(name, limit=100)
    assert len(page.points) == 100 and page.next_after_id == "id0099"
    page = client.scroll_page(name, after_id="id0199", limit=100)
    assert len(page.points) == 57 and page.next_after_id is None
    tail = list(client.scroll(name, after_id="id0250"))
    assert [p.id for p in tail] == ids[251:]
    with pytest.raises(InvalidArgument):
        client.scroll_page(name, limit=0)


def test_scroll_order_by_and_facet(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 2)
    n = 120
    meta = []
    for i in range(n):
        m = {"price": (i * 37) % 50, "color": ["red", "green", "blue"][i % 3],
             "tags": [i % 4, (i + 1) % 4]}
        if i % 10 == 0:
            del m["price"]  # not listed by order_by
        meta.append(m)
    ids = [f"p{i:03d}" for i in range(n)]
    client.batch_insert(name, np.ones((n, 2), dtype=np.float32), ids=ids, metadata=meta,
                        chunk_size=50)
    client.flush(name)
    client.update_metadata(name, "p001", {"price": -1, "color": "red", "tags": []})
    meta[1] = {"price": -1, "color": "red", "tags": []}

    def expect(desc: bool, flt=None):
        rows = [(m["price"], i) for i, m in zip(ids, meta)
                if "price" in m and (flt is None or m["color"] == flt["color"])]
        rows.sort(key=lambda r: ((-r[0] if desc else r[0]), r[1]))
        return [i for _, i in rows]

    for desc in (False, True):
        direction = "desc" if desc else "asc"
        got = [p.id for p in client.scroll(name, batch_size=7, order_by="price",
                                           direction=direction)]
        assert got == expect(desc)
        got = [p.id for p in client.scroll(name, {"color": "blue"}, batch_size=5,
                                           order_by="price", direction=direction)]
        assert got == expect(desc, {"color": "blue"})
    page = client.scroll_page(name, limit=3, order_by="price")
    assert [p.id for p in page.points] == expect(False)[:3]
    assert page.next_after_id == expect(False)[2] and page.next_after_value is not None
    nxt = client.scroll_page(name, page.next_after_id, limit=3, order_by="price",
                             after_value=page.next_after_value)
    assert [p.id for p in nxt.points] == expect(False)[3:6]
    with pytest.raises(InvalidArgument, match="direction"):
        client.scroll_page(name, order_by="price", direction="up")
    with pytest.raises(InvalidArgument, match="after_value needs order_by"):
        client.scroll_page(name, after_value=3)

    colors = client.facet(name, "color")
    want = {}
    for m in meta:
        want[m["color"]] = want.get(m["color"], 0) + 1
    assert {v.value: v.count for v in colors} == want
    assert [v.count for v in colors] == sorted(want.values(), reverse=True)
    tags = client.facet(name, "tags", {"color": "green"}, limit=2)
    tag_counts = {}
    for m in meta:
        if m["color"] == "green":
            for t in set(m["tags"]):
                tag_counts[t] = tag_counts.get(t, 0) + 1
    top = sorted(tag_counts.items(), key=lambda kv: (-kv[1], kv[0]))[:2]
    assert [(v.value, v.count) for v in tags] == top
    assert all(isinstance(v.value, int) for v in tags)
    with pytest.raises(InvalidArgument, match="limit"):
        client.facet(name, "color", limit=0)
    with pytest.raises(CollectionNotFound):
        client.facet(name + "_missing", "color")


def test_datetime_and_geo_filters(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 2)
    cities = {  # id: (lat, lon, when)
        "paris": (48.8566, 2.3522, "2026-03-01T10:00:00+01:00"),
        "london": (51.5074, -0.1278, "2026-03-01T09:30:00Z"),
        "berlin": (52.52, 13405e-3, "2026-02-28T23:00:00-02:00"),
        "fiji": (-17.7134, 178.065, "2025-12-31T23:59:59Z"),
        "samoa": (-13.759, -172.1046, "2026-01-01T00:00:00.5Z"),
    }
    client.batch_insert(name, np.ones((5, 2), dtype=np.float32), ids=list(cities),
                        metadata=[{"loc": {"lat": la, "lon": lo}, "ts": ts}
                                  for la, lo, ts in cities.values()])
    client.flush(name)
    client.insert(name, "nowhere", [1, 1], {"loc": "n/a", "ts": "yesterday"})

    def ids(flt):
        return sorted(p.id for p in client.scroll(name, flt))

    for indexed in (False, True):
        # Paris-London is ~344 km; Berlin ~878 km from Paris.
        assert ids({"loc": {"$geo_radius": {"lat": 48.8566, "lon": 2.3522,
                                             "meters": 400000}}}) == ["london", "paris"]
        # A box across the antimeridian holds Fiji and Samoa.
        box = {"top_left": {"lat": -10, "lon": 170}, "bottom_right": {"lat": -20, "lon": -170}}
        assert ids({"loc": {"$geo_box": box}}) == ["fiji", "samoa"]
        # 10:00+01:00 is 09:00Z, before London's 09:30Z; Berlin is 01:00Z on 1 March.
        assert ids({"ts": {"$gte": "2026-03-01T00:00:00Z",
                           "$lt": "2026-03-01T09:30:00Z"}}) == ["berlin", "paris"]
        assert ids({"ts": {"$lt": "2026-01-01T00:00:00Z"}}) == ["fiji"]
        assert client.count(name, {"ts": {"$gt": "2000-01-01T00:00:00Z"}}) == 5
        if not indexed:
            client.create_payload_index(name, "loc", "geo")
            indexes = client.create_payload_index(name, "ts", "datetime")
            assert {"field": "ts", "type": "datetime"} in indexes
    hits = client.search(name, [1, 1], k=10, exact=True,
                         filter={"loc": {"$geo_radius": {"lat": 52.5, "lon": 13.4,
                                                          "meters": 5000}}})
    assert hits.ids == ["berlin"]
    order = [p.id for p in client.scroll(name, order_by="ts", batch_size=2)]
    assert order == ["fiji", "samoa", "berlin", "paris", "london"]
    with pytest.raises(InvalidArgument, match="geo_radius.lat"):
        client.count(name, {"loc": {"$geo_radius": {"lat": 91, "lon": 0, "meters": 1}}})
    with pytest.raises(InvalidArgument, match="unknown payload index type"):
        client.create_payload_index(name, "x", "polygon")


def test_text_filter_and_index(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 2)
    docs = {
        "wal": "The write-ahead log is fsynced before a write is acknowledged.",
        "hnsw": "HNSW: a graph index; search walks the graph greedily.",
        "split": ["write ahead", "LOG files"],  # the words in two strings
        "greek": "Η ΣΟΦΊΑ του κόσμου",
        "kanji": "東京タワーの高さ",
        "num": 7,
    }
    client.batch_insert(name, np.ones((3, 2), dtype=np.float32), ids=["wal", "hnsw", "split"],
                        metadata=[{"body": docs[i]} for i in ("wal", "hnsw", "split")])
    client.flush(name)
    client.batch_insert(name, np.ones((3, 2), dtype=np.float32), ids=["greek", "kanji", "num"],
                        metadata=[{"body": docs[i]} for i in ("greek", "kanji", "num")])

    def ids(flt):
        return sorted(p.id for p in client.scroll(name, flt))

    for indexed in (False, True):
        assert ids({"body": {"$text": "Write-Ahead LOG"}}) == ["wal"]
        assert ids({"body": {"$text": "write"}}) == ["split", "wal"]
        assert ids({"body": {"$text": "graph search"}}) == ["hnsw"]
        assert ids({"body": {"$text": "σοφία"}}) == ["greek"]
        assert ids({"body": {"$text": "東京"}}) == ["kanji"]
        assert ids({"body": {"$text": "logs"}}) == []  # whole words only
        assert client.count(name, {"$not": {"body": {"$text": "write"}}}) == 4
        hits = client.search(name, [1, 1], k=10, exact=True,
                             filter={"body": {"$text": "graph"}})
        assert hits.ids == ["hnsw"]
        if not indexed:
            indexes = client.create_payload_index(name, "body", "text")
            assert {"field": "body", "type": "text"} in indexes
            client.flush(name)
    res = client.search(name, [1, 1], k=10,
                        filter={"body": {"$text": "fsynced"}})
    assert res.ids == ["wal"]
    with pytest.raises(InvalidArgument, match=r"\$text needs at least one word"):
        client.count(name, {"body": {"$text": " -- "}})
    with pytest.raises(InvalidArgument, match=r"\$text needs a string"):
        client.count(name, {"body": {"$text": ["write"]}})


def test_hybrid_query(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 2, distance_metric="euclidean")
    client.batch_insert(name, np.array([[0, 0], [1, 0], [5, 5]], dtype=np.float32),
                        ids=["p1", "p2", "p3"],
                        metadata=[{"body": "red fox"}, {"body": "red"},
                                  {"body": "fox fox fox"}])
    client.flush(name)
    client.insert(name, "p4", [0, 1], {"body": "blue"})
    client.create_payload_index(name, "body", "text")
    prefetch = [{"vector": np.zeros(2, dtype=np.float32), "limit": 3},
                {"text": "fox", "using": "body", "limit": 3}]
    # RRF (k 60): p1 1/61 + 1/62, p3 1/61, p2 1/62.
    res = client.query(name, prefetch, limit=3)
    assert res.ids == ["p1", "p3", "p2"]
    assert abs(res[0].score - (1 / 61 + 1 / 62)) < 1e-6
    assert res[0].metadata == {"body": "red fox"}
    res = client.query(name, prefetch, fusion="dbsf", limit=4)
    assert res.ids == ["p1", "p3", "p2", "p4"]
    res = client.query(name, prefetch, limit=2, rrf_k=1, rescore=[5, 5],
                       include_vectors=True)
    assert res.ids == ["p3", "p2"] and res[0].vector == [5.0, 5.0]
    only_text = client.query(name, [{"text": "red fox", "using": "body",
                                     "filter": {"body": {"$ne": "red fox"}}}])
    assert only_text.ids == ["p3", "p2"]
    with pytest.raises(InvalidArgument, match="needs \"using\""):
        client.query(name, [{"sparse_vector": {"indices": [1], "values": [0.5]}}])
    with pytest.raises(InvalidArgument, match="has no sparse vector 'kw'"):
        client.query(name, [{"sparse_vector": {"indices": [1], "values": [0.5]},
                             "using": "kw"}])
    with pytest.raises(InvalidArgument, match="needs \"using\""):
        client.query(name, [{"text": "fox"}])
    with pytest.raises(InvalidArgument, match="unknown fusion"):
        client.query(name, prefetch, fusion="max")


def test_sparse_vectors(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    c = client.create_collection(name, 2, distance_metric="euclidean",
                                 sparse_vectors=["kw", "splade"])
    assert c.sparse_vectors == ["kw", "splade"]
    assert client.get_collection(name).sparse_vectors == ["kw", "splade"]
    client.upsert(name, [
        {"id": "p1", "vector": [0, 0], "metadata": {"g": 1},
         "sparse_vectors": {"kw": {"indices": [7, 2], "values": [1.0, 0.5]}}},
        {"id": "p2", "vector": [1, 0], "metadata": {"g": 2},
         "sparse_vectors": {"kw": {"indices": [2], "values": [3.0]},
                            "splade": {"indices": [1], "values": [1.0]}}},
        {"id": "p3", "vector": [5, 5], "metadata": {"g": 1}},
    ])
    client.flush(name)
    client.insert(name, "p4", [0, 1], {"g": 2})
    client.upsert(name, {"id": "p5", "vector": [2, 2],
                         "sparse_vectors": {"kw": {"indices": [7], "values": [4.0]}}})
    # Stored sorted by index, returned with the vector.
    p1 = client.get(name, "p1")
    assert p1.sparse_vectors == {"kw": {"indices": [2, 7], "values": [0.5, 1.0]}}
    assert client.get(name, "p3").sparse_vectors is None
    # Exact dot products: p2 3*2, p5 4*1, p1 1*1 + 0.5*2 (a query's scores
    # are fused ones, here RRF of one list; DBSF maps 6 / 4 / 2 to
    # 0.5 + 2 / (6 sd) ...).
    q = {"sparse_vector": {"indices": [7, 2], "values": [1.0, 2.0]}, "using": "kw"}
    res = client.query(name, [q], limit=5)
    assert res.ids == ["p2", "p5", "p1"]
    assert [r.score for r in res] == [pytest.approx(1 / 61), pytest.approx(1 / 62),
                                      pytest.approx(1 / 63)]
    sd = (8 / 3) ** 0.5
    res = client.query(name, [q], fusion="dbsf", limit=5)
    assert [r.score for r in res] == [pytest.approx(0.5 + 2 / (6 * sd)),
                                      pytest.approx(0.5),
                                      pytest.approx(0.5 - 2 / (6 * sd))]
    res = client.query(name, [dict(q, filter={"g": 1})])
    assert res.ids == ["p1"]
    # Hybrid with the dense list p1, p2, p4 (RRF k 60): p2 1/61 + 1/62,
    # p1 1/63 + 1/61.
    res = client.query(name, [q, {"vector": [0, 0], "limit": 3}], limit=2)
    assert res.ids == ["p2", "p1"]
    # A metadata update keeps them.
    client.update_metadata(name, "p2", {"g": 3})
    assert client.get(name, "p2").sparse_vectors["splade"] == {"indices": [1],
                                                               "values": [1.0]}
    client.compact(name)
    assert client.query(name, [q], limit=1).ids == ["p2"]
    with pytest.raises(InvalidArgument, match="has no sparse vector 'nope'"):
        client.upsert(name, {"id": "x", "vector": [0, 0],
                             "sparse_vectors": {"nope": {"indices": [1], "values": [1]}}})
    with pytest.raises(InvalidArgument, match="repeats index 1"):
        client.upsert(name, {"id": "x", "vector": [0, 0],
                             "sparse_vectors": {"kw": {"indices": [1, 1],
                                                       "values": [1, 2]}}})
    with pytest.raises(InvalidArgument, match="wal_format 'native'"):
        client.create_collection(new_name(), 2, wal_format="avro", sparse_vectors=["kw"])


def _unix(rfc3339: str) -> float:
    """Seconds since the epoch of an RFC 3339 time as the server writes it."""
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def test_expiry(client: ProximaDBClient, transport: str, new_name) -> None:
    name = new_name()
    c = client.create_collection(name, 2, default_ttl_seconds=3600)
    assert c.default_ttl_seconds == 3600
    assert client.get_collection(name).default_ttl_seconds == 3600
    before = time.time()
    client.upsert(name, [
        {"id": "t_past", "vector": [1, 0], "metadata": {"g": 1},
         "expires_at": "2000-01-01T00:00:00Z"},
        {"id": "t_future", "vector": [1, 0.1], "metadata": {"g": 1},
         "expires_at": "2999-01-01T00:00:00Z"},
        {"id": "t_none", "vector": [0.1, 1], "metadata": {"g": 1}},
    ])
    after = time.time()

    def check() -> None:
        # The expired point is invisible to every read.
        with pytest.raises(PointNotFound):
            client.get(name, "t_past")
        assert [p.id for p in client.get(name, ["t_past", "t_future", "t_none"])] == [
            "t_future", "t_none"]
        assert client.count(name) == 2
        assert client.count(name, filter={"g": 1}) == 2
        assert [p.id for p in client.scroll(name)] == ["t_future", "t_none"]
        assert [p.id for p in client.scroll(name, include_vectors=True)] == [
            "t_future", "t_none"]
        assert client.search(name, [1, 0], k=10).ids == ["t_future", "t_none"]
        assert client.search(name, [1, 0], k=10, exact=True).ids == ["t_future", "t_none"]
        # Its own time, as the server writes it; the other one the
        # collection's default TTL after the write.
        assert client.get(name, "t_future").expires_at == "2999-01-01T00:00:00.000000Z"
        exp = client.get(name, "t_none").expires_at
        assert exp is not None and exp.endswith("Z")
        assert before + 3600 - 120 <= _unix(exp) <= after + 3600 + 120

    check()
    # The change feed carries the times the points were written with.
    feed = {ch.id: ch.expires_at for ch in client.changes(name, follow=False)
            if ch.op == "upsert"}
    assert feed["t_past"] == "2000-01-01T00:00:00.000000Z"
    assert feed["t_future"] == "2999-01-01T00:00:00.000000Z"
    client.flush(name)  # the same from a segment, and after compaction drops it
    check()
    client.compact(name)
    check()

    # A timezone-aware datetime is sent as RFC 3339 (its offset kept); a
    # Point read back is written again with its time.
    one_am = datetime(2999, 1, 1, 1, 0, tzinfo=timezone(timedelta(hours=1)))
    client.upsert(name, {"id": "t_dt", "vector": [1, 1], "expires_at": one_am})
    got = client.get(name, "t_dt")
    assert got.expires_at == "2999-01-01T00:00:00.000000Z"
    client.upsert(name, Point("t_dt", got.vector, {"again": True}, expires_at=got.expires_at))
    assert client.get(name, "t_dt").expires_at == "2999-01-01T00:00:00.000000Z"
    with pytest.raises(ValueError, match="expires_at"):
        client.upsert(name, {"id": "t_naive", "vector": [1, 1],
                             "expires_at": datetime(2999, 1, 1)})

    with pytest.raises(InvalidArgument) as e:
        client.upsert(name, {"id": "t_bad", "vector": [1, 1], "expires_at": "tomorrow"})
    assert e.value.status == (400 if transport == "rest" else "INVALID_ARGUMENT")
    assert "expires_at" in e.value.message
    with pytest.raises(PointNotFound):
        client.get(name, "t_bad")

    # Without a default TTL a point without expires_at never expires.
    plain = new_name()
    assert client.create_collection(plain, 2).default_ttl_seconds == 0
    assert client.get_collection(plain).default_ttl_seconds == 0
    client.upsert(plain, {"id": "p", "vector": [1, 0]})
    assert client.get(plain, "p").expires_at is None
    with pytest.raises(InvalidArgument, match="default_ttl_seconds"):
        client.create_collection(new_name(), 2, default_ttl_seconds=3162240001)


def test_flush_compact_stats(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    _fill(client, name)
    s = client.stats(name)
    assert isinstance(s, CollectionStats)
    assert s.name == name and s.point_count == 4 and s.memtable_points == 4
    assert s.last_sequence > 0 and s.wal_bytes > 0
    assert client.flush(name) is None
    s = client.stats(name)
    assert s.memtable_points == 0 and s.segment_count >= 1 and s.point_count == 4
    client.insert(name, "x5", [1, 1, 1])
    client.flush(name)
    client.delete(name, "x1")
    assert client.compact(name) is None
    s = client.stats(name)
    assert s.point_count == 4 and s.segment_count >= 1
    assert client.get_collection(name).point_count == 4
    assert client.search(name, [1, 1, 1], k=1).ids == ["x5"]


def test_quantization(client: ProximaDBClient, new_name) -> None:
    rng = np.random.default_rng(5)
    data = rng.normal(size=(300, 32)).astype(np.float32)
    ids = [f"q{i}" for i in range(len(data))]
    assert client.create_collection(new_name(), 4).quantization == "none"
    for kind in ("int8", "binary", "pq"):
        name = new_name()
        c = client.create_collection(name, 32, "euclidean", quantization=kind)
        assert c.quantization == kind
        assert client.get_collection(name).quantization == kind
        client.batch_insert(name, data, ids=ids)
        client.flush(name)
        # The codes rank, the floats decide: a point's own vector finds it
        # first, scored exactly, once its segment's graph is searchable.
        deadline = time.time() + 30
        while not all(s.graph_loaded for s in client.list_segments(name)):
            assert time.time() < deadline, kind
            time.sleep(0.05)
        res = client.search(name, data[7], k=3, ef_search=64)
        assert res.ids[0] == "q7", kind
        assert res[0].score == pytest.approx(0.0, abs=1e-4)
    with pytest.raises(InvalidArgument, match="quantization"):
        client.create_collection(new_name(), 4, quantization="int4")


def test_storage_strategy(client: ProximaDBClient, new_name) -> None:
    rng = np.random.default_rng(6)
    data = rng.normal(size=(400, 16)).astype(np.float32)
    ids = [f"s{i}" for i in range(len(data))]
    plain = client.create_collection(new_name(), 4)
    assert (plain.storage_strategy, plain.memtable) == ("standard", "btree")
    for quantization in ("none", "int8"):
        name = new_name()
        c = client.create_collection(name, 16, "euclidean", indexing_algorithm="ivf",
                                     storage_strategy="custom", memtable="hash",
                                     quantization=quantization, nlist=8, nprobe=2)
        for got in (c, client.get_collection(name)):
            assert (got.storage_strategy, got.memtable, got.indexing_algorithm) == \
                ("custom", "hash", "ivf")
            assert (got.nlist, got.nprobe, got.quantization) == (8, 2, quantization)
        client.batch_insert(name, data, ids=ids)
        client.flush(name)
        deadline = time.time() + 30
        while not all(s.graph_loaded for s in client.list_segments(name)):
            assert time.time() < deadline, quantization
            time.sleep(0.05)
        # Every partition probed: the point's own vector comes back first.
        res = client.search(name, data[11], k=3, nprobe=8)
        assert res.ids[0] == "s11"
        assert res[0].score == pytest.approx(0.0, abs=1e-4)
        assert len(client.search(name, data[12], k=5, nprobe=1)) == 5
    with pytest.raises(InvalidArgument, match="needs storage_strategy 'viper' or 'custom'"):
        client.create_collection(new_name(), 4, indexing_algorithm="ivf")
    with pytest.raises(InvalidArgument, match="'viper' indexes segments with kind 'ivf'"):
        client.create_collection(new_name(), 4, storage_strategy="viper", indexing_algorithm="hnsw")
    with pytest.raises(InvalidArgument, match="memtable"):
        client.create_collection(new_name(), 4, storage_strategy="custom", memtable="art")


def test_payload_indexes(client: ProximaDBClient, new_name) -> None:
    name = new_name()
    client.create_collection(name, 3)
    _fill(client, name)
    client.flush(name)
    assert client.create_payload_index(name, "tag", "keyword") == [
        {"field": "tag", "type": "keyword"}]
    # the same type again is a no-op; another type is a conflict
    assert client.create_payload_index(name, "tag", "keyword") == [
        {"field": "tag", "type": "keyword"}]
    with pytest.raises(ProximaDBError):
        client.create_payload_index(name, "tag", "bool")
    with pytest.raises(InvalidArgument):
        client.create_payload_index(name, "n", "fulltext")
    client.create_payload_index(name, "n.m", "integer")
    assert [d["field"] for d in client.list_payload_indexes(name)] == ["n.m", "tag"]
    assert client.delete_payload_index(name, "n.m") == [{"field": "tag", "type": "keyword"}]
    with pytest.raises(ProximaDBError):
        client.delete_payload_index(name, "n.m")
    # filters on the indexed field answer as before (index built in the
    # background for the flushed segment: the answer is the same either way)
    client.create_payload_index(name, "color", "keyword")
    assert sorted(client.search(name, [1, 0, 0], k=4, filter={"color": "red"}).ids) == [
        "x1", "x3"]


def test_transports_agree(rest_client: ProximaDBClient, grpc_client: ProximaDBClient,
                          new_name) -> None:
    """Written over one transport, read identically over the other."""
    name = new_name()
    rest_client.create_collection(name, 3, max_wal_age_hours=0.5)
    grpc_client.insert(name, "g", [0.1, 0.2, 0.3], {"n": 7, "f": 0.25, "s": "x", "l": [1, "a"]})
    rest_client.insert(name, "r", [0.3, 0.2, 0.1], {"n": 8, "b": False, "o": {"k": "v"}})
    assert rest_client.get_collection(name) == grpc_client.get_collection(name)
    for pid in ("g", "r"):
        assert rest_client.get(name, pid) == grpc_client.get(name, pid)
    for kwargs in ({}, {"include_vectors": True}, {"include_metadata": False},
                   {"filter": {"n": 8}}):
        a = rest_client.search(name, [0.1, 0.2, 0.3], **kwargs)
        b = grpc_client.search(name, [0.1, 0.2, 0.3], **kwargs)
        assert a == b and a.total_count == b.total_count
    assert list(rest_client.scroll(name, include_vectors=True)) == list(
        grpc_client.scroll(name, include_vectors=True))
    sa, sb = rest_client.stats(name), grpc_client.stats(name)
    assert (sa.point_count, sa.memtable_points) == (sb.point_count, sb.memtable_points)
    assert rest_client.batch_search(name, [[1, 0, 0]]) == grpc_client.batch_search(
        name, [[1, 0, 0]])
    # the same refusals, with the same exception and code
    for call in (lambda c: c.insert(name, "x", [1, 2]),
                 lambda c: c.search(name, [1, 2, 3], k=0),
                 lambda c: c.get(name, "nope"),
                 lambda c: c.get("nope_" + name, "x"),
                 lambda c: c.create_collection(name, 3),
                 lambda c: c.scroll_page(name, limit=20000)):
        errors = []
        for c in (rest_client, grpc_client):
            with pytest.raises(ProximaDBError) as e:
                call(c)
            errors.append((type(e.value), e.value.code))
        assert errors[0] == errors[1]


def test_named_vectors_and_multivectors(client: ProximaDBClient, transport: str,
                                        new_name) -> None:
    name = new_name()
    c = client.create_collection(name, 2, vectors={
        "img": {"dimension": 3, "distance_metric": "euclidean", "index": {"m": 8}},
        "tok": {"dimension": 2, "distance_metric": "dot_product", "multivector": True,
                "index": {"indexing_algorithm": "flat"}}})
    index = {"indexing_algorithm": "hnsw", "m": 16, "ef_construction": 200, "ef_search": 64,
             "quantization": "none"}
    assert c.vectors == {
        "img": {"dimension": 3, "distance_metric": "euclidean", "multivector": False,
                "index": {**index, "m": 8}},
        "tok": {"dimension": 2, "distance_metric": "dot_product", "multivector": True,
                "index": {**index, "indexing_algorithm": "flat"}}}
    assert client.get_collection(name).vectors == c.vectors
    client.upsert(name, [
        {"id": "a", "vector": [1, 0], "metadata": {"g": 1},
         "vectors": {"img": [1, 2, 3], "tok": [[1, 0], [0, 1]]}},
        {"id": "b", "vector": [0, 1], "metadata": {"g": 2}, "vectors": {"img": [0, 0, 0]}},
        {"id": "c", "vector": [1, 1], "metadata": {"g": 1},
         "vectors": {"img": [1, 2, 2], "tok": [[2, 0]]}},
    ])
    assert client.get(name, "a").vectors == {"img": [1, 2, 3], "tok": [[1, 0], [0, 1]]}
    assert client.get(name, "b").vectors == {"img": [0, 0, 0]}

    def check() -> None:
        hits = client.search(name, [1, 2, 2], k=5, using="img")
        assert hits.ids == ["c", "a", "b"]
        assert [h.score for h in hits] == [0.0, 1.0, 3.0]
        assert client.search(name, [1, 2, 2], using="img", filter={"g": 1}).ids == ["c", "a"]
        # MaxSim: a = 1 + 1, c = 2 + 0 (tie by id); b has no "tok".
        hits = client.search(name, [[1, 0], [0, 1]], using="tok")
        assert hits.ids == ["a", "c"]
        assert [h.score for h in hits] == [2.0, 2.0]
        assert client.search(name, point_id="b", using="img").ids == ["c", "a"]
        groups = client.search_groups(name, [1, 2, 2], group_by="g", using="img")
        assert [g.id for g in groups] == [1, 2]
        fused = client.query(name, [{"vector": [1, 2, 2], "using": "img"},
                                    {"vector": [[1, 0]], "using": "tok"}], limit=3)
        assert fused.ids[0] == "c"
        # Hits carry the named vectors with the vector.
        hit = client.search(name, [1, 2, 2], k=1, using="img", include_vectors=True)[0]
        assert (hit.id, hit.vector, hit.vectors) == ("c", [1, 1], {"img": [1, 2, 2],
                                                                   "tok": [[2, 0]]})
        hit = client.search(name, [1, 1], k=1, include_vectors=True)[0]  # the main vector
        assert (hit.id, hit.vectors) == ("c", {"img": [1, 2, 2], "tok": [[2, 0]]})
        # Recommend by a named vector: like a, unlike (0, 0, 0).
        rec = client.recommend(name, ["a"], negative=[[0, 0, 0]], using="img")
        assert rec.ids == ["c", "b"]
        rec = client.recommend(name, ["a"], strategy="best_score", using="img")
        assert rec.ids == ["c", "b"]

    check()
    client.flush(name)
    check()
    with pytest.raises(InvalidArgument, match="has no vector named 'nope'"):
        client.search(name, [1, 2, 3], using="nope")
    with pytest.raises(InvalidArgument, match="'tok' is a multivector"):
        client.recommend(name, ["a"], using="tok")
    with pytest.raises(InvalidArgument, match="must be a list of vectors"):
        client.upsert(name, [{"id": "x", "vector": [1, 0], "vectors": {"tok": [1, 0]}}])
