"""Cluster mode's API surface against the (single-node) session server, on
both transports: create_collection's shard_count / replication_factor (1 is
accepted and reported, more is refused by a single node), the consistency
of search, batch_search and scroll (both accepted and equal on one node,
anything else refused), cluster(), and drain_node() / cancel_drain()
(refused by a single node the same way on both transports)."""

from __future__ import annotations

from typing import Callable

import pytest

from proximadb import (
    AsyncProximaDBClient,
    CollectionNotFound,
    FailedPrecondition,
    InvalidArgument,
    ProximaDBClient,
)

SINGLE_NODE = {"enabled": False, "node_id": "", "nodes": [], "shards": []}


def test_cluster_status_single_node(client: ProximaDBClient) -> None:
    assert client.cluster() == SINGLE_NODE


def test_drain_needs_cluster_mode(client: ProximaDBClient) -> None:
    for call in (client.drain_node, client.cancel_drain):
        with pytest.raises(FailedPrecondition) as e:
            call("node-2")
        assert e.value.code == "failed_precondition"
        assert "needs cluster mode" in e.value.message
    # A malformed id is refused first, by the server's check ...
    with pytest.raises(InvalidArgument) as e:
        client.drain_node("node 2")
    assert e.value.message == \
        "node_id must be 1..128 characters of [A-Za-z0-9_-], got 'node 2'"
    with pytest.raises(InvalidArgument, match="node_id"):
        client.cancel_drain("n" * 129)
    # ... and an empty one by the client's (REST would have no path for it).
    for bad in ("", None, 7):
        with pytest.raises(InvalidArgument, match="node_id"):
            client.drain_node(bad)  # type: ignore[arg-type]
    assert client.cluster() == SINGLE_NODE


def test_drain_errors_agree_across_transports(rest_client: ProximaDBClient,
                                              grpc_client: ProximaDBClient) -> None:
    def refusal(c: ProximaDBClient, node_id: str, cancel: bool) -> tuple:
        with pytest.raises(Exception) as e:
            (c.cancel_drain if cancel else c.drain_node)(node_id)
        return type(e.value), e.value.code, e.value.message

    for node_id in ("node-2", "node.2"):
        for cancel in (False, True):
            assert refusal(rest_client, node_id, cancel) == \
                refusal(grpc_client, node_id, cancel)


def test_shard_fields_on_one_node(client: ProximaDBClient,
                                  new_name: Callable[[str], str]) -> None:
    one, dflt = new_name("one"), new_name("dflt")
    created = client.create_collection(one, 2, shard_count=1, replication_factor=1)
    assert (created.shard_count, created.replication_factor) == (1, 1)
    # Unset (the node's default): reported as its effective value, 1.
    created = client.create_collection(dflt, 2)
    assert (created.shard_count, created.replication_factor) == (1, 1)
    got = client.get_collection(dflt)
    assert (got.shard_count, got.replication_factor) == (1, 1)

    for kwargs in ({"shard_count": 2}, {"replication_factor": 3}):
        name = new_name("many")
        with pytest.raises(InvalidArgument) as e:
            client.create_collection(name, 2, **kwargs)
        assert e.value.code == "invalid_argument"
        assert "need cluster mode" in e.value.message
        assert not client.has_collection(name)
    with pytest.raises(InvalidArgument, match="shard_count"):
        client.create_collection(new_name("bad"), 2, shard_count=300)


def test_consistency_is_accepted_and_equal(client: ProximaDBClient,
                                           new_name: Callable[[str], str]) -> None:
    name = new_name("cons")
    client.create_collection(name, 2, distance_metric="euclidean")
    client.upsert(name, [{"id": f"p{i}", "vector": [float(i), 1.0], "metadata": {"i": i}}
                         for i in range(12)])
    query = [3.0, 1.0]
    default = client.search(name, query, k=5)
    for consistency in ("eventual", "strong"):
        hits = client.search(name, query, k=5, consistency=consistency)
        assert hits.ids == default.ids
        assert [h.score for h in hits] == [h.score for h in default]
        many = client.batch_search(name, [query, [7.0, 1.0]], k=3, consistency=consistency)
        assert many[0].ids == default.ids[:3]
        assert many[1].ids == client.search(name, [7.0, 1.0], k=3).ids
        page = client.scroll_page(name, limit=50, consistency=consistency)
        assert [p.id for p in page.points] == sorted(f"p{i}" for i in range(12))
        assert [p.id for p in client.scroll(name, batch_size=5, consistency=consistency)] == \
            [p.id for p in page.points]


def test_bad_consistency_is_refused(client: ProximaDBClient,
                                    new_name: Callable[[str], str]) -> None:
    name = new_name("badcons")
    client.create_collection(name, 2)
    client.insert(name, "a", [1.0, 0.0])
    want = "unknown consistency 'linearizable' (expected eventual or strong)"
    with pytest.raises(InvalidArgument) as e:
        client.search(name, [1.0, 0.0], consistency="linearizable")
    assert e.value.message == want
    with pytest.raises(InvalidArgument) as e:
        client.batch_search(name, [[1.0, 0.0]], consistency="linearizable")
    assert e.value.message == "queries[0]: " + want
    with pytest.raises(InvalidArgument) as e:
        client.scroll_page(name, consistency="linearizable")
    assert e.value.message == want
    with pytest.raises(InvalidArgument):
        client.scroll_page(name, consistency="")
    # A collection that does not exist is still that, whatever the consistency.
    with pytest.raises(CollectionNotFound):
        client.search(name + "_missing", [1.0, 0.0], consistency="strong")


async def test_async_cluster(aclient: AsyncProximaDBClient, client: ProximaDBClient,
                             new_name: Callable[[str], str]) -> None:
    assert await aclient.cluster() == SINGLE_NODE
    with pytest.raises(FailedPrecondition, match="needs cluster mode"):
        await aclient.drain_node("node-2")
    with pytest.raises(FailedPrecondition, match="needs cluster mode"):
        await aclient.cancel_drain("node-2")
    with pytest.raises(InvalidArgument, match="node_id"):
        await aclient.drain_node("node/2")
    name = new_name("acons")
    created = await aclient.create_collection(name, 2, shard_count=1)
    assert created.shard_count == 1
    with pytest.raises(InvalidArgument):
        await aclient.create_collection(new_name("amany"), 2, replication_factor=2)
    client.upsert(name, [{"id": f"p{i}", "vector": [float(i), 0.5]} for i in range(6)])
    eventual = await aclient.search(name, [2.0, 0.5], k=3, consistency="eventual")
    strong = await aclient.search(name, [2.0, 0.5], k=3, consistency="strong")
    assert eventual.ids == strong.ids
    batch = await aclient.batch_search(name, [[2.0, 0.5]], k=3, consistency="strong")
    assert batch[0].ids == strong.ids
    page = await aclient.scroll_page(name, consistency="strong")
    assert len(page.points) == 6
    assert [p.id async for p in aclient.scroll(name, batch_size=4, consistency="strong")] == \
        [p.id for p in page.points]
    with pytest.raises(InvalidArgument):
        await aclient.search(name, [2.0, 0.5], consistency="sometimes")
