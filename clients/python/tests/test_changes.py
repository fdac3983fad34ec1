"""The change feed against the session server, on both transports:
changes() in order with every field, follow mode seeing new writes, after=
resuming in the middle of a write, errors (unknown collection, from_seq 0),
the async iterator, and writers running while a consumer is killed and
resumed at random points: its rebuilt state equals the collection's."""

from __future__ import annotations

import asyncio
import random
import threading
from typing import Any, Callable, Dict, List, Tuple

import pytest

from proximadb import (
    AsyncProximaDBClient,
    Change,
    CollectionNotFound,
    ProximaDBClient,
)


def _state(changes: List[Change]) -> Dict[str, Tuple[List[float], Dict[str, Any]]]:
    state: Dict[str, Tuple[List[float], Dict[str, Any]]] = {}
    for c in changes:
        if c.op == "delete":
            state.pop(c.id, None)
        else:
            state[c.id] = (list(c.vector or []), dict(c.metadata or {}))
    return state


def _collection_state(client: ProximaDBClient,
                      name: str) -> Dict[str, Tuple[List[float], Dict[str, Any]]]:
    return {p.id: (list(p.vector or []), dict(p.metadata or {}))
            for p in client.scroll(name, include_vectors=True)}


def test_every_write_in_order(client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    name = new_name("feed")
    client.create_collection(name, 2, distance_metric="euclidean")
    client.upsert(name, [{"id": "a", "vector": [1.0, 2.0], "metadata": {"k": 1}},
                         {"id": "b", "vector": [3.0, 4.0]}])
    client.delete(name, "a")
    client.update_metadata(name, "b", {"k": "v"})
    got = list(client.changes(name, follow=False))
    assert [(c.seq, c.index, c.batch_ops, c.op, c.id) for c in got] == [
        (1, 0, 2, "upsert", "a"), (1, 1, 2, "upsert", "b"),
        (2, 0, 1, "delete", "a"), (3, 0, 1, "update_metadata", "b")]
    assert got[0].vector == [1.0, 2.0] and got[0].metadata == {"k": 1}
    assert got[2].vector is None and got[2].metadata is None
    assert got[3].vector == [3.0, 4.0] and got[3].metadata == {"k": "v"}
    assert got[0].time.endswith("Z") and got[0].time_unix_micros > 0
    assert got[0].time_unix_micros <= got[3].time_unix_micros
    assert _state(got) == _collection_state(client, name)
    # Without vectors; from a sequence; after a change in the middle of a write.
    assert all(c.vector is None for c in client.changes(name, follow=False,
                                                        with_vectors=False))
    assert [c.seq for c in client.changes(name, from_seq=2, follow=False)] == [2, 3]
    assert [(c.seq, c.index) for c in client.changes(name, after=got[0], follow=False)] == [
        (1, 1), (2, 0), (3, 0)]
    assert got[0].resume_seq == 1 and got[1].resume_seq == 2


def test_same_changes_over_both_transports(rest_client: ProximaDBClient,
                                           grpc_client: ProximaDBClient,
                                           new_name: Callable[[str], str]) -> None:
    name = new_name("both")
    rest_client.create_collection(name, 3)
    rest_client.upsert(name, [{"id": f"p{i}", "vector": [i, 0.5, -1.25],
                               "metadata": {"i": i, "s": "x"}} for i in range(5)])
    rest_client.delete(name, ["p1", "p2"])
    assert list(rest_client.changes(name, follow=False)) == \
        list(grpc_client.changes(name, follow=False))


def test_errors(client: ProximaDBClient) -> None:
    with pytest.raises(CollectionNotFound):
        list(client.changes("no_such_collection_here", follow=False))
    with pytest.raises(ValueError):
        list(client.changes("x", from_seq=0))


def test_follow_sees_new_writes(client: ProximaDBClient,
                                new_name: Callable[[str], str]) -> None:
    name = new_name("follow")
    client.create_collection(name, 2)
    seen: List[Change] = []
    done = threading.Event()

    def consume() -> None:
        for c in client.changes(name):
            seen.append(c)
            if len(seen) == 3:
                break
        done.set()

    t = threading.Thread(target=consume, daemon=True)
    t.start()
    for i in range(3):
        client.upsert(name, [{"id": f"x{i}", "vector": [float(i) + 1.0, 1.0]}])
    assert done.wait(20), f"follower saw {len(seen)} of 3 changes"
    assert [c.id for c in seen] == ["x0", "x1", "x2"]


def test_async_iterator(url: str, new_name: Callable[[str], str],
                        client: ProximaDBClient) -> None:
    name = new_name("async")
    client.create_collection(name, 2)
    client.upsert(name, [{"id": "a", "vector": [1.0, 0.0]}])

    async def run() -> List[str]:
        async with AsyncProximaDBClient(url) as ac:
            out = [c.id async for c in ac.changes(name, follow=False)]
            follow = ac.changes(name, from_seq=2)
            await ac.upsert(name, [{"id": "b", "vector": [0.0, 1.0]}])
            out.append((await follow.__anext__()).id)
            await follow.aclose()
            return out

    assert asyncio.run(run()) == ["a", "b"]


def test_killed_and_resumed_consumer_rebuilds_the_collection(
        client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    name = new_name("resume")
    client.create_collection(name, 4)
    stop = threading.Event()
    rng = random.Random(11)

    def write() -> None:
        wr = random.Random(3)
        for i in range(300):
            pid = f"p{wr.randrange(60)}"
            what = wr.randrange(10)
            if what < 6:
                batch = [{"id": pid, "vector": [wr.random() for _ in range(4)],
                          "metadata": {"i": i}}]
                if what == 0:
                    batch.append({"id": pid + "b", "vector": [0.5] * 4})
                client.upsert(name, batch)
            elif what < 8:
                client.delete(name, pid)
            else:
                try:
                    client.update_metadata(name, pid, {"u": i})
                except Exception:  # the point may not exist: no change then
                    pass
            if i % 100 == 99:
                client.flush(name)
        stop.set()

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    received: List[Change] = []
    last = None
    kills = 0
    while True:
        final = stop.is_set()
        budget = None if final else rng.randrange(1, 30)
        # follow=False: a round ends when it caught up, so it never waits
        # for writes that will not come.
        feed = client.changes(name, after=last, follow=False) if last \
            else client.changes(name, follow=False)
        n = 0
        for c in feed:
            received.append(c)
            last = c
            n += 1
            if budget is not None and n >= budget:
                break  # "killed": the iterator is dropped mid-stream
        feed.close()
        if final:
            break
        if budget is not None and n >= budget:
            kills += 1
    writer.join()
    assert kills >= 3
    seqs = [(c.seq, c.index) for c in received]
    assert seqs == sorted(set(seqs)), "a change was repeated or out of order"
    assert _state(received) == _collection_state(client, name)
