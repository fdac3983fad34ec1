"""AsyncProximaDBClient against the real server, over REST (httpx) and gRPC (grpc.aio)."""

from __future__ import annotations

import asyncio
import time
import uuid
from datetime import datetime, timezone

import numpy as np
import pytest

from proximadb import (
    AsyncProximaDBClient,
    BatchInsertResult,
    Collection,
    CollectionAlreadyExists,
    CollectionNotFound,
    CollectionStats,
    DimensionMismatch,
    InvalidArgument,
    Point,
    PointNotFound,
    SearchResults,
)


async def test_seed_snippet_async(url: str, rest_client) -> None:
    """The seed's snippet with AsyncProximaDBClient and ``await``."""
    rest_client.delete_collection("embeddings", missing_ok=True)
    try:
        async with AsyncProximaDBClient(url) as client:
            collection = await client.create_collection(
                name="embeddings",
                dimension=3,
                distance_metric="cosine",
                indexing_algorithm="hnsw",
                max_wal_age_hours=1.0,
                max_wal_size_mb=64.0,
            )
            vectors = [
                {"id": "doc_1", "vector": [0.1, 0.2, 0.3], "metadata": {"type": "document"}},
                {"id": "doc_2", "vector": [0.4, 0.5, 0.6], "metadata": {"type": "image"}},
            ]
            await client.batch_insert("embeddings", vectors)
            results = await client.search("embeddings", query_vector=[0.1, 0.2, 0.3], k=10)
        assert isinstance(collection, Collection) and collection.max_wal_age_hours == 1.0
        assert [r.id for r in results] == ["doc_1", "doc_2"]
    finally:
        rest_client.delete_collection("embeddings", missing_ok=True)


async def test_every_method_async(aclient: AsyncProximaDBClient, new_name,
                                  transport: str) -> None:
    c = aclient
    assert (await c.health()).status == "healthy"
    name = new_name("async")
    col = await c.create_collection(name, 3, max_wal_age_hours=0.5, flush_priority=60)
    assert col.flush_priority == 60 and col.dimension == 3
    assert col.quantization == "none"
    quantized = await c.create_collection(new_name("async"), 3, quantization="int8")
    assert quantized.quantization == "int8"
    assert (await c.get_collection(quantized.name)).quantization == "int8"
    assert (await c.get_collection(name)) == col
    assert await c.has_collection(name)
    assert name in [x.name for x in await c.list_collections()]
    assert (await c.update_collection(name, flush_priority=90)).flush_priority == 90

    assert await c.insert(name, "a", [1, 0, 0], {"k": "a"}) == "a"
    res = await c.batch_insert(name, np.array([[0, 1, 0], [0, 0, 1]], dtype=np.float32),
                               ids=["b", "c"], metadata=[{"k": "b"}, {"k": "c"}])
    assert isinstance(res, BatchInsertResult) and res.inserted_ids == ["b", "c"]
    await c.upsert(name, {"id": "d", "vector": [1, 1, 0], "metadata": {"k": "d"}})
    assert await c.get(name, "a") == Point("a", [1.0, 0.0, 0.0], {"k": "a"})
    assert [p.id for p in await c.get(name, ["d", "zz", "b"])] == ["d", "b"]
    await c.update_metadata(name, "a", {"k": "A"})
    assert (await c.get(name, "a")).metadata == {"k": "A"}
    assert await c.count(name) == 4
    assert await c.count(name, {"k": "b"}) == 1

    hits = await c.search(name, [1, 0, 0], k=2, include_vectors=True)
    assert isinstance(hits, SearchResults) and hits[0].id == "a" and hits[0].vector == [1, 0, 0]
    batch = await c.batch_search(name, np.eye(3), k=1, exact=True)
    assert [r.ids for r in batch] == [["a"], ["b"], ["c"]]
    assert (await c.search(name, point_id="a", k=1, exact=True)).ids == ["d"]
    assert (await c.search(name, [1, 0, 0], k=1, offset=1, exact=True)).ids == ["d"]
    assert (await c.search(name, [1, 0, 0], k=4, score_threshold=0.7)).ids == ["a", "d"]
    patched = await c.patch_metadata(name, ["a", "zz"], set={"p": 1}, unset=["k"])
    assert patched.updated_count == 1 and patched.not_found == ["zz"]
    assert (await c.get(name, "a")).metadata == {"p": 1}
    assert (await c.patch_metadata(name, filter={"p": 1}, set={"k": "A"})).updated_count == 1
    assert (await c.get(name, "a")).metadata == {"p": 1, "k": "A"}
    groups = await c.search_groups(name, [1, 0, 0], group_by="k", k=2, exact=True)
    assert [(g.id, g.hits.ids) for g in groups] == [("A", ["a"]), ("d", ["d"])]
    rec = await c.recommend(name, ["a"], negative=["c"], k=1, exact=True)
    assert rec.ids == ["d"]
    fused = await c.query(name, [{"vector": [1, 0, 0], "limit": 2},
                                 {"text": "B", "using": "k"}], limit=3)
    assert fused.ids == ["a", "b", "d"]  # 1/61, 1/61 (tie by id), 1/62
    sparse_name = new_name()
    sc = await c.create_collection(sparse_name, 2, sparse_vectors=["kw"])
    assert sc.sparse_vectors == ["kw"]
    await c.upsert(sparse_name, [
        {"id": "s1", "vector": [1, 0], "sparse_vectors": {"kw": {"indices": [4, 1],
                                                                 "values": [1, 2]}}},
        {"id": "s2", "vector": [0, 1], "sparse_vectors": {"kw": {"indices": [4],
                                                                 "values": [5]}}}])
    assert (await c.get(sparse_name, "s1")).sparse_vectors == {
        "kw": {"indices": [1, 4], "values": [2.0, 1.0]}}
    hits = await c.query(sparse_name, [{"sparse_vector": {"indices": [4], "values": [1]},
                                        "using": "kw"}])
    assert hits.ids == ["s2", "s1"] and hits[0].score == pytest.approx(1 / 61)

    ids = [p.id async for p in c.scroll(name, batch_size=1)]
    assert ids == ["a", "b", "c", "d"]
    page = await c.scroll_page(name, limit=3)
    assert page.next_after_id == "c"
    assert [p.id async for p in c.scroll(name, order_by="p", direction="desc")] == ["a"]
    facet = await c.facet(name, "k", limit=3)
    assert [(v.value, v.count) for v in facet] == [("A", 1), ("b", 1), ("c", 1)]

    await c.flush(name)
    s = await c.stats(name)
    assert isinstance(s, CollectionStats) and s.memtable_points == 0 and s.point_count == 4
    assert await c.delete(name, ["a", "zz"]) == 1
    assert await c.delete_by_filter(name, {"k": "b"}) == 1
    await c.compact(name)
    assert await c.count(name) == 2

    with pytest.raises(CollectionAlreadyExists):
        await c.create_collection(name, 3)
    with pytest.raises(DimensionMismatch) as e:
        await c.insert(name, "x", [1, 2])
    assert e.value.code == "dimension_mismatch"
    with pytest.raises(PointNotFound):
        await c.get(name, "a")
    with pytest.raises(InvalidArgument):
        await c.search(name, [1, 0, 0], k=0)
    assert await c.delete_collection(name)
    with pytest.raises(CollectionNotFound):
        await c.get_collection(name)
    assert not await c.delete_collection(name, missing_ok=True)


async def test_expiry_async(aclient: AsyncProximaDBClient, new_name, transport: str) -> None:
    c = aclient
    name = new_name("ttl")
    assert (await c.create_collection(name, 2, default_ttl_seconds=3600)).default_ttl_seconds \
        == 3600
    assert (await c.get_collection(name)).default_ttl_seconds == 3600
    before = time.time()
    await c.upsert(name, [
        {"id": "t_past", "vector": [1, 0], "expires_at": "2000-01-01T00:00:00Z"},
        {"id": "t_future", "vector": [1, 0.1],
         "expires_at": datetime(2999, 1, 1, tzinfo=timezone.utc)},
        {"id": "t_none", "vector": [0.1, 1]},
    ])
    after = time.time()
    with pytest.raises(PointNotFound):
        await c.get(name, "t_past")
    assert [p.id for p in await c.get(name, ["t_past", "t_future", "t_none"])] == [
        "t_future", "t_none"]
    assert await c.count(name) == 2
    assert [p.id async for p in c.scroll(name)] == ["t_future", "t_none"]
    assert (await c.search(name, [1, 0], k=10)).ids == ["t_future", "t_none"]
    assert (await c.search(name, [1, 0], k=10, exact=True)).ids == ["t_future", "t_none"]
    assert (await c.get(name, "t_future")).expires_at == "2999-01-01T00:00:00.000000Z"
    exp = (await c.get(name, "t_none")).expires_at
    assert exp is not None
    when = datetime.fromisoformat(exp.replace("Z", "+00:00")).timestamp()
    assert before + 3600 - 120 <= when <= after + 3600 + 120

    with pytest.raises(InvalidArgument) as e:
        await c.upsert(name, {"id": "t_bad", "vector": [1, 1], "expires_at": "tomorrow"})
    assert e.value.status == (400 if transport == "rest" else "INVALID_ARGUMENT")
    assert "expires_at" in e.value.message
    with pytest.raises(ValueError, match="expires_at"):
        await c.upsert(name, {"id": "t_naive", "vector": [1, 1],
                              "expires_at": datetime(2999, 1, 1)})
    assert await c.count(name) == 2


async def test_concurrent_async(aclient: AsyncProximaDBClient, new_name) -> None:
    name = new_name("conc")
    await aclient.create_collection(name, 4)
    rng = np.random.default_rng(1)
    data = rng.random((40, 4))
    await asyncio.gather(*(aclient.insert(name, f"p{i}", data[i], {"i": i})
                           for i in range(40)))
    assert await aclient.count(name) == 40
    results = await asyncio.gather(*(aclient.search(name, data[i], k=1, exact=True)
                                     for i in range(10)))
    assert [r[0].id for r in results] == [f"p{i}" for i in range(10)]
    res = await aclient.batch_insert(name, data, ids=[f"q{i}" for i in range(40)],
                                     chunk_size=7)
    assert res.total_count == 40 and await aclient.count(name) == 80


async def test_async_unknown_collection(aclient: AsyncProximaDBClient) -> None:
    missing = "missing_" + uuid.uuid4().hex[:8]
    with pytest.raises(CollectionNotFound):
        await aclient.search(missing, [1.0])
    with pytest.raises(CollectionNotFound):
        [p async for p in aclient.scroll(missing)]
