"""The viper storage strategy and filterable columns against a real server,
on both transports: a viper collection's defaults and columns (and the
payload index of an ``indexed`` one), a filtered search that skips the IVF
partitions whose column statistics cannot match (explain's
``partitions_pruned``), the refusals, and a live migration standard ->
viper with columns -> standard; REST and gRPC answer the same."""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Dict, List

import numpy as np
import pytest

from conftest import wait_until  # noqa: E402  (tests/ is on sys.path)
from proximadb import (
    AsyncProximaDBClient,
    Collection,
    FilterableColumn,
    InvalidArgument,
    Migration,
    ProximaDBClient,
    SearchExplain,
)

DIM = 16
CLUSTERS = 12
# "cat" is declared but not indexed: a filter on it is planned as an IVF
# walk, where the per-partition statistics prune (a payload index scan
# would not). "n" is indexed: the server keeps an integer payload index.
COLUMNS = [FilterableColumn("cat", "string"), FilterableColumn("n", "int", indexed=True)]


def _clustered(per_cluster: int, seed: int = 11):
    """CLUSTERS well-separated clusters in DIM dimensions (cluster c around
    20 * e_c), shuffled; ids, vectors, metadata {"cat": "c<c>", "n": c}."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(CLUSTERS), per_cluster)
    rng.shuffle(labels)
    centres = 20.0 * np.eye(DIM, dtype=np.float32)[:CLUSTERS]
    data = (centres[labels] + rng.normal(0, 0.5, size=(len(labels), DIM))).astype(np.float32)
    ids = [f"p{i}" for i in range(len(labels))]
    meta = [{"cat": f"c{c}", "n": int(c)} for c in labels]
    return ids, data, meta


def _centre(c: int) -> List[float]:
    v = [0.0] * DIM
    v[c] = 20.0
    return v


def _wait_indexed(client: ProximaDBClient, name: str, timeout: float = 60) -> None:
    assert wait_until(lambda: all(s.graph_loaded for s in client.list_segments(name)),
                      timeout), client.list_segments(name)


def _wait_migration(client: ProximaDBClient, name: str, timeout: float = 60) -> Migration:
    last: List[Migration] = []

    def settled() -> bool:
        last[:] = [client.get_migration(name)]
        return last[0].state == "done" and last[0].segments_done == last[0].segments_total

    assert wait_until(settled, timeout), f"migration not done: {last}"
    return last[0]


def _viper(client: ProximaDBClient, name: str, per_cluster: int = 250) -> None:
    """A viper collection with COLUMNS and CLUSTERS * per_cluster points in
    one flushed segment whose IVF index is built."""
    client.create_collection(name, DIM, "euclidean", storage_strategy="viper",
                             filterable_columns=COLUMNS, nlist=24)
    ids, data, meta = _clustered(per_cluster)
    # 1000 points of 16 floats per request: well under the REST body limit.
    client.batch_insert(name, data, ids=ids, metadata=meta, chunk_size=1000)
    client.flush(name)
    _wait_indexed(client, name)


def test_viper_body_leaves_the_layout_to_the_server() -> None:
    """Only what the call names is sent, so viper's defaults apply (the
    standard default "hnsw" would be refused)."""
    from proximadb import _grpc, _ops

    op = _ops.create_collection("v", 4, "cosine", None, None, None, None, None, {},
                                storage_strategy="viper", filterable_columns=COLUMNS)
    call = next(op)
    assert call.op == "CreateCollection"
    assert call.body == {"name": "v", "dimension": 4, "distance_metric": "cosine",
                         "storage_strategy": "viper",
                         "filterable_columns": [c.to_dict() for c in COLUMNS]}
    req = _grpc._enc_create(call)
    assert (req.storage_strategy, req.indexing_algorithm, req.memtable, req.quantization) == \
        ("viper", "", "", "")
    assert [(c.name, c.type, c.indexed) for c in req.filterable_columns] == \
        [("cat", "string", False), ("n", "int", True)]
    mig = next(_ops.migrate("v", "viper", None, None, None, None, None, None, None, None,
                            [{"name": "cat", "type": "string"}]))
    assert mig.body == {"storage_strategy": "viper",
                        "filterable_columns": [COLUMNS[0].to_dict()]}
    to = _grpc._enc_migrate(mig).to
    assert (to.indexing_algorithm, to.memtable, to.quantization) == ("", "", "")
    assert [(c.name, c.type, c.indexed) for c in to.filterable_columns] == \
        [("cat", "string", False)]


def test_create_viper(client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    name = new_name("viper")
    # Columns as FilterableColumn or as dicts ("indexed" optional).
    made = client.create_collection(name, DIM, storage_strategy="viper",
                                    filterable_columns=[{"name": "cat", "type": "string"},
                                                        COLUMNS[1]])
    listed = [c for c in client.list_collections() if c.name == name]
    assert len(listed) == 1
    for info in (made, client.get_collection(name), listed[0]):
        assert isinstance(info, Collection)
        # Nothing but the strategy was sent: viper's defaults.
        assert (info.storage_strategy, info.memtable, info.indexing_algorithm,
                info.quantization) == ("viper", "hash", "ivf", "int8")
        assert info.filterable_columns == COLUMNS
    assert client.list_payload_indexes(name) == [{"field": "n", "type": "integer"}]

    bare = client.create_collection(new_name("viper"), 4, storage_strategy="viper")
    assert (bare.memtable, bare.indexing_algorithm, bare.quantization) == \
        ("hash", "ivf", "int8")
    assert bare.filterable_columns == []
    # Explicit values viper allows, and custom + ivf takes columns too.
    plain = client.create_collection(new_name("viper"), 4, storage_strategy="viper",
                                     quantization="none", memtable="hash",
                                     indexing_algorithm="ivf")
    assert (plain.quantization, plain.filterable_columns) == ("none", [])
    custom = client.create_collection(new_name("viper"), 4, storage_strategy="custom",
                                      indexing_algorithm="ivf",
                                      filterable_columns=[FilterableColumn("t", "datetime")])
    assert custom.filterable_columns == [FilterableColumn("t", "datetime", False)]
    standard = client.create_collection(new_name("viper"), 4)
    assert (standard.storage_strategy, standard.indexing_algorithm) == ("standard", "hnsw")
    assert standard.filterable_columns == []


def test_filtered_search_prunes_partitions(client: ProximaDBClient,
                                           new_name: Callable[[str], str]) -> None:
    name = new_name("viper")
    _viper(client, name)
    assert client.count(name) == CLUSTERS * 250
    # Near cluster 0, filtered to cluster 5: the partitions of the other
    # clusters hold no "c5" and are skipped.
    hits = client.search(name, _centre(0), k=10, filter={"cat": "c5"}, explain=True)
    assert len(hits) == 10
    assert all(h.metadata["cat"] == "c5" for h in hits), hits
    assert isinstance(hits.explain, SearchExplain)
    assert hits.explain.partitions_pruned > 0, hits.explain
    assert [s.strategy for s in hits.explain.sources if s.source == "segment"] == ["ivf"]
    assert hits.explain.distances_computed > 0
    # Without a filter nothing is pruned; without explain there is none.
    free = client.search(name, _centre(5), k=10, explain=True)
    assert free.explain is not None and free.explain.partitions_pruned == 0
    assert all(h.metadata["cat"] == "c5" for h in free)
    assert client.search(name, _centre(5), k=10, filter={"cat": "c5"}).explain is None
    # $in on a declared column prunes too; results are exactly the filter's.
    both = client.search(name, _centre(3), k=20, filter={"cat": {"$in": ["c3", "c7"]}},
                         explain=True)
    assert {h.metadata["cat"] for h in both} <= {"c3", "c7"} and len(both) == 20
    assert both.explain.partitions_pruned > 0


def test_refusals(client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    with pytest.raises(InvalidArgument, match="custom"):
        client.create_collection(new_name("viper"), 4, storage_strategy="viper",
                                 indexing_algorithm="hnsw")
    with pytest.raises(InvalidArgument, match="custom"):
        client.create_collection(new_name("viper"), 4, storage_strategy="viper", memtable="btree")
    with pytest.raises(InvalidArgument, match="filterable_columns"):
        client.create_collection(new_name("viper"), 4, filterable_columns=COLUMNS)
    with pytest.raises(InvalidArgument, match="type"):
        client.create_collection(new_name("viper"), 4, storage_strategy="viper",
                                 filterable_columns=[FilterableColumn("a", "text")])
    with pytest.raises(InvalidArgument, match="declared twice"):
        client.create_collection(new_name("viper"), 4, storage_strategy="viper",
                                 filterable_columns=[COLUMNS[0], COLUMNS[0]])
    # Refused before anything is sent.
    for bad in ("cat", [{"name": "cat"}], [{"name": "cat", "type": "string", "x": 1}], [3]):
        with pytest.raises(InvalidArgument, match="filterable_columns"):
            client.create_collection(new_name("viper"), 4, storage_strategy="viper",
                                     filterable_columns=bad)
    name = new_name("viper")
    client.create_collection(name, 4)
    with pytest.raises(InvalidArgument, match="filterable_columns"):
        client.migrate(name, filterable_columns=COLUMNS)  # standard: no columns


def test_migrate_to_viper_and_back(client: ProximaDBClient,
                                   new_name: Callable[[str], str]) -> None:
    name = new_name("vipermig")
    client.create_collection(name, DIM, "euclidean", m=8, ef_construction=32)
    ids, data, meta = _clustered(40)
    client.batch_insert(name, data, ids=ids, metadata=meta)
    client.flush(name)
    m = client.migrate(name, storage_strategy="viper", filterable_columns=COLUMNS)
    assert m.state in ("running", "done")
    assert m.to_layout["storage_strategy"] == "viper"
    assert (m.to_layout["memtable"], m.to_layout["index"]["kind"],
            m.to_layout["index"]["quantization"]) == ("hash", "ivf", "int8")
    assert m.to_layout["filterable_columns"] == COLUMNS
    assert m.from_layout["filterable_columns"] == []
    assert client.get_migration(name).to_layout["filterable_columns"] == COLUMNS
    done = _wait_migration(client, name)
    assert done.id == m.id and done.points_done == len(ids)
    info = client.get_collection(name)
    assert (info.storage_strategy, info.memtable, info.indexing_algorithm) == \
        ("viper", "hash", "ivf")
    assert info.filterable_columns == COLUMNS
    assert {"field": "n", "type": "integer"} in client.list_payload_indexes(name)
    _wait_indexed(client, name)
    hits = client.search(name, _centre(0), k=5, filter={"cat": "c5"}, explain=True)
    assert len(hits) == 5 and all(h.metadata["cat"] == "c5" for h in hits)

    back = client.migrate(name)  # every setting left out: standard, no columns
    assert back.to_layout["index"]["kind"] == "hnsw"
    assert back.to_layout["filterable_columns"] == []
    assert back.from_layout["filterable_columns"] == COLUMNS
    _wait_migration(client, name)
    info = client.get_collection(name)
    assert (info.storage_strategy, info.indexing_algorithm, info.filterable_columns) == \
        ("standard", "hnsw", [])
    assert client.count(name) == len(ids)


def test_compression(client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    """viper's segments store ids and metadata zstd-compressed by default; a
    migration to compression "none" rewrites them (bigger files, the same
    points and answers); standard refuses zstd, custom takes it."""
    name = new_name("viperz")
    _viper(client, name, per_cluster=50)
    assert client.get_collection(name).compression == "zstd"
    segments = client.list_segments(name)
    assert segments and all(s.compressed and s.unpacked_bytes > 0 for s in segments), segments
    packed = sum(s.bytes for s in segments)
    query: Dict[str, Any] = dict(k=5, filter={"cat": "c5"})
    hits = client.search(name, _centre(0), **query)
    assert len(hits) == 5 and all(h.metadata["cat"] == "c5" for h in hits)
    m = client.migrate(name, storage_strategy="viper", filterable_columns=COLUMNS,
                       compression="none")
    assert (m.from_layout["compression"], m.to_layout["compression"]) == ("zstd", "none")
    _wait_migration(client, name)
    _wait_indexed(client, name)
    assert client.get_collection(name).compression == "none"
    segments = client.list_segments(name)
    assert not any(s.compressed or s.unpacked_bytes for s in segments), segments
    plain = sum(s.bytes for s in segments)
    assert plain > packed, (plain, packed)
    assert client.count(name) == CLUSTERS * 50
    again = client.search(name, _centre(0), **query)
    assert [h.id for h in again] == [h.id for h in hits]
    assert [h.metadata for h in again] == [h.metadata for h in hits]
    with pytest.raises(InvalidArgument, match="compression 'zstd' needs"):
        client.create_collection(new_name("viper"), 4, compression="zstd")
    with pytest.raises(InvalidArgument, match="compression must be none or zstd"):
        client.create_collection(new_name("viper"), 4, storage_strategy="custom",
                                 compression="lz4")
    custom = client.create_collection(new_name("viper"), 4, storage_strategy="custom",
                                      compression="zstd")
    assert custom.compression == "zstd"


def test_rest_and_grpc_agree(rest_client: ProximaDBClient, grpc_client: ProximaDBClient,
                             new_name: Callable[[str], str]) -> None:
    name = new_name("viperboth")
    _viper(rest_client, name, per_cluster=50)
    assert rest_client.get_collection(name) == grpc_client.get_collection(name)
    query: Dict[str, Any] = dict(k=5, filter={"cat": "c5"}, explain=True)
    r = rest_client.search(name, _centre(0), **query)
    g = grpc_client.search(name, _centre(0), **query)
    assert r == g and r.explain == g.explain and r.explain.partitions_pruned > 0
    grpc_client.migrate(name, storage_strategy="viper", filterable_columns=[COLUMNS[0]])
    _wait_migration(grpc_client, name)
    mr, mg = rest_client.get_migration(name), grpc_client.get_migration(name)
    assert mr == mg
    assert mr.from_layout["filterable_columns"] == COLUMNS
    assert mr.to_layout["filterable_columns"] == [COLUMNS[0]]
    assert rest_client.get_collection(name).filterable_columns == [COLUMNS[0]]


async def test_async_viper(aclient: AsyncProximaDBClient,
                           new_name: Callable[[str], str]) -> None:
    name = new_name("viperasync")
    made = await aclient.create_collection(
        name, DIM, "euclidean", storage_strategy="viper",
        filterable_columns=[{"name": "cat", "type": "string", "indexed": False}])
    assert (made.storage_strategy, made.memtable, made.indexing_algorithm,
            made.quantization) == ("viper", "hash", "ivf", "int8")
    assert made.filterable_columns == [COLUMNS[0]]
    ids, data, meta = _clustered(50)
    await aclient.batch_insert(name, data, ids=ids, metadata=meta)
    await aclient.flush(name)
    for _ in range(600):
        if all(s.graph_loaded for s in await aclient.list_segments(name)):
            break
        await asyncio.sleep(0.05)
    hits = await aclient.search(name, _centre(0), k=5, filter={"cat": "c5"}, explain=True)
    assert len(hits) == 5 and all(h.metadata["cat"] == "c5" for h in hits)
    assert hits.explain is not None and hits.explain.partitions_pruned > 0
    m = await aclient.migrate(name, storage_strategy="viper", filterable_columns=COLUMNS)
    assert m.to_layout["filterable_columns"] == COLUMNS
    for _ in range(600):
        m = await aclient.get_migration(name)
        if m.state == "done" and m.segments_done == m.segments_total:
            break
        await asyncio.sleep(0.05)
    assert m.state == "done" and m.to_layout["filterable_columns"] == COLUMNS
    assert (await aclient.get_collection(name)).filterable_columns == COLUMNS
    with pytest.raises(InvalidArgument, match="custom"):
        await aclient.create_collection(new_name("viperasync"), 4, storage_strategy="viper",
                                        indexing_algorithm="flat")
