"""Segments and tiers against the session server, on both transports:
list_segments, move_segment (hot <-> warm; cold is refused until the server
serves it), the tiering policy in create_collection / update_collection and
the per-tier totals in get_collection / stats."""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from typing import Callable, Iterator

import pytest

from proximadb import (
    AsyncProximaDBClient,
    CollectionNotFound,
    FailedPrecondition,
    InvalidArgument,
    ProximaDBClient,
    Segment,
    SegmentNotFound,
    TieringPolicy,
)


@pytest.fixture
def warm_dir() -> Iterator[str]:
    d = tempfile.mkdtemp(prefix="proximadb-pytest-warm-")
    yield d
    shutil.rmtree(d, ignore_errors=True)


def _flushed_collection(client: ProximaDBClient, name: str, warm: str) -> Segment:
    client.create_collection(name, 4, tiering={"warm_directory": warm})
    client.upsert(name, [{"id": f"p{i}", "vector": [float(i), 1.0, 0.0, 0.5],
                          "metadata": {"i": i}} for i in range(20)])
    client.flush(name)
    segments = client.list_segments(name)
    assert len(segments) == 1
    return segments[0]


def test_create_returns_the_tiering_policy(client: ProximaDBClient,
                                           new_name: Callable[[str], str],
                                           warm_dir: str) -> None:
    name = new_name("tier")
    c = client.create_collection(
        name, 4, tiering={"warm_directory": warm_dir, "warm_after_hours": 2.5,
                          "cache_mb": 64})
    assert c.tiering == TieringPolicy(warm_after_hours=2.5, cold_after_hours=0.0,
                                      warm_directory=warm_dir, cache_mb=64,
                                      wal_archive=False)
    assert client.get_collection(name).tiering == c.tiering
    assert c.tiers["hot"] == {"segments": 0, "bytes": 0, "points": 0}


def test_default_policy_keeps_everything_hot(client: ProximaDBClient,
                                             new_name: Callable[[str], str]) -> None:
    c = client.create_collection(new_name("tier"), 4)
    assert c.tiering.warm_directory == ""
    assert c.tiering.warm_after_hours == 0.0
    assert c.tiering.cold_after_hours == 0.0


def test_update_collection_changes_only_the_given_tiering_keys(
        client: ProximaDBClient, new_name: Callable[[str], str], warm_dir: str) -> None:
    name = new_name("tier")
    client.create_collection(name, 4, tiering={"cache_mb": 10})
    c = client.update_collection(name, tiering={"warm_directory": warm_dir})
    assert c.tiering.warm_directory == warm_dir
    assert c.tiering.cache_mb == 10
    # Together with a flush key.
    c = client.update_collection(name, max_vector_count=500,
                                 tiering=TieringPolicy(warm_after_hours=1.0))
    assert c.max_vector_count == 500
    assert c.tiering.warm_after_hours == 1.0
    assert c.tiering.warm_directory == warm_dir


def test_bad_tiering_values_are_refused(client: ProximaDBClient,
                                        new_name: Callable[[str], str]) -> None:
    name = new_name("tier")
    with pytest.raises(InvalidArgument, match="absolute path"):
        client.create_collection(name, 4, tiering={"warm_directory": "relative/dir"})
    client.create_collection(name, 4)
    with pytest.raises(InvalidArgument, match="warm_after_hours"):
        client.update_collection(name, tiering={"warm_after_hours": -1})
    with pytest.raises(InvalidArgument, match="unknown tiering key"):
        client.update_collection(name, tiering={"warm_after": 1})


def test_list_and_move_segments(client: ProximaDBClient, new_name: Callable[[str], str],
                                warm_dir: str) -> None:
    name = new_name("tier")
    seg = _flushed_collection(client, name, warm_dir)
    assert seg.tier == "hot"
    assert seg.points == 20 and seg.live_points == 20
    assert seg.bytes > 0 and seg.id > 0

    moved = client.move_segment(name, seg.id, "warm")
    assert moved.id == seg.id and moved.tier == "warm"
    assert moved.directory.rstrip("/") == warm_dir.rstrip("/")
    [listed] = client.list_segments(name)
    # graph_loaded is transient: the moved segment's graph is loaded in the
    # background, so a listing right after the move may already have it.
    assert dataclasses.replace(listed, graph_loaded=moved.graph_loaded) == moved
    assert client.count(name) == 20
    assert client.get(name, "p3").metadata == {"i": 3}
    assert client.search(name, [3.0, 1.0, 0.0, 0.5], k=1, filter={"i": 3}).ids == ["p3"]
    assert client.get_collection(name).tiers["warm"]["segments"] == 1
    st = client.stats(name)
    assert st.tiers["warm"] == {"segments": 1, "bytes": moved.bytes, "points": 20}
    assert st.tiering["moves"] >= 1

    back = client.move_segment(name, seg.id, "hot")
    assert back.tier == "hot"
    assert client.count(name) == 20


def test_move_errors(client: ProximaDBClient, new_name: Callable[[str], str],
                     warm_dir: str) -> None:
    name = new_name("tier")
    seg = _flushed_collection(client, name, warm_dir)
    with pytest.raises(FailedPrecondition, match="cold"):
        client.move_segment(name, seg.id, "cold")
    with pytest.raises(InvalidArgument, match="hot, warm or cold"):
        client.move_segment(name, seg.id, "lukewarm")
    with pytest.raises(SegmentNotFound):
        client.move_segment(name, seg.id + 1000, "warm")
    with pytest.raises(InvalidArgument, match="positive integer"):
        client.move_segment(name, 0, "warm")
    with pytest.raises(CollectionNotFound):
        client.list_segments(new_name("missing"))
    assert client.list_segments(name)[0].tier == "hot"


def test_no_warm_directory_is_a_failed_precondition(
        client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    name = new_name("tier")
    client.create_collection(name, 4)
    client.upsert(name, [{"id": "a", "vector": [1.0, 0.0, 0.0, 0.0]}])
    client.flush(name)
    [seg] = client.list_segments(name)
    with pytest.raises(FailedPrecondition, match="warm directory"):
        client.move_segment(name, seg.id, "warm")


async def test_async_list_and_move(aclient: AsyncProximaDBClient, client: ProximaDBClient,
                                   new_name: Callable[[str], str], warm_dir: str) -> None:
    name = new_name("tier")
    seg = _flushed_collection(client, name, warm_dir)
    moved = await aclient.move_segment(name, seg.id, "warm")
    assert moved.tier == "warm"
    assert [s.tier for s in await aclient.list_segments(name)] == ["warm"]
    assert (await aclient.move_segment(name, seg.id, "hot")).tier == "hot"
