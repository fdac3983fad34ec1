"""Snapshots against the session server, on both transports: create (with
writes after it), list, inspect with files, incremental uploaded_bytes,
restore into a new name and over an existing one only with overwrite,
delete, the refusals, and the async client."""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Callable

import pytest

from proximadb import (
    AlreadyExists,
    AsyncProximaDBClient,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    OutOfRange,
    ProximaDBClient,
    RestoredSnapshot,
)


def _filled(client: ProximaDBClient, name: str, n: int = 30) -> None:
    client.create_collection(name, 2, distance_metric="euclidean")
    client.upsert(name, [{"id": f"p{i}", "vector": [float(i), 1.0], "metadata": {"i": i}}
                         for i in range(n)])


def test_create_restore_delete(client: ProximaDBClient,
                               new_name: Callable[[str], str]) -> None:
    docs, copy = new_name("docs"), new_name("copy")
    _filled(client, docs)
    snap = client.create_snapshot(docs, target="local")
    assert snap.target == "local"
    assert snap.points == 30
    assert snap.uploaded_bytes == snap.size_bytes > 0
    # After the snapshot: not in it.
    client.upsert(docs, [{"id": "late", "vector": [9.0, 9.0]}])
    client.delete(docs, ["p1"])
    again = client.create_snapshot(docs)
    assert again.sequence > snap.sequence
    assert again.uploaded_bytes < again.size_bytes

    listed = client.list_snapshots(docs)
    assert [s.id for s in listed] == [snap.id, again.id]
    assert listed[0].files == []
    inspected = client.get_snapshot(docs, snap.id)
    assert inspected.files and {f.role for f in inspected.files} >= {"manifest", "wal"}
    assert inspected.format_version == 1

    r = client.restore_snapshot(docs, snap.id, copy)
    assert r == RestoredSnapshot(copy, snap.id, snap.sequence, 30, r.files, r.bytes,
                                 snap.sequence, 0, r.sequence_time)
    assert r.sequence_time is not None
    assert client.count(copy) == 30
    assert client.get(copy, "p1").metadata == {"i": 1}
    with pytest.raises(NotFound):
        client.get(copy, "late")

    with pytest.raises(AlreadyExists):
        client.restore_snapshot(docs, again.id, copy)
    client.restore_snapshot(docs, again.id, copy, overwrite=True)
    assert client.count(copy) == 30  # 30 - p1 + late
    assert client.get(copy, "late").id == "late"

    client.delete_snapshot(docs, snap.id)
    client.delete_snapshot(docs, again.id)
    assert client.list_snapshots(docs) == []
    with pytest.raises(NotFound):
        client.delete_snapshot(docs, snap.id)


def test_refusals(client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    docs = new_name("docs")
    _filled(client, docs, 3)
    with pytest.raises(InvalidArgument):
        client.create_snapshot(docs, target="tape")
    with pytest.raises(FailedPrecondition) as e:
        client.create_snapshot(docs, target="s3")
    assert "local_object_directory" in str(e.value)
    with pytest.raises(NotFound):
        client.get_snapshot(docs, "snap-20260101T000000.000Z-00000000")
    snap = client.create_snapshot(docs)
    with pytest.raises(InvalidArgument):
        client.restore_snapshot(docs, snap.id, "bad name")
    client.delete_snapshot(docs, snap.id)


def test_database_snapshot(client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    docs, copy = new_name("docs"), new_name("copy")
    _filled(client, docs, 5)
    snap = client.create_database_snapshot()
    assert snap.kind == "database"
    assert docs in snap.collections
    # Listed under the collection, and restorable for it alone.
    assert snap.id in [s.id for s in client.list_snapshots(docs)]
    assert client.restore_snapshot(docs, snap.id, copy).points == 5
    client.delete_snapshot(docs, snap.id)


async def test_async_snapshots(aclient: AsyncProximaDBClient, client: ProximaDBClient,
                               new_name: Callable[[str], str]) -> None:
    docs, copy = new_name("docs"), new_name("copy")
    _filled(client, docs, 10)
    snap = await aclient.create_snapshot(docs)
    assert [s.id for s in await aclient.list_snapshots(docs)] == [snap.id]
    assert (await aclient.get_snapshot(docs, snap.id)).files
    r = await aclient.restore_snapshot(docs, snap.id, copy)
    assert r.points == 10
    assert client.count(copy) == 10
    await aclient.delete_snapshot(docs, snap.id)
    assert await aclient.list_snapshots(docs) == []


def test_point_in_time_restore(client: ProximaDBClient,
                               new_name: Callable[[str], str]) -> None:
    docs = new_name("docs")
    _filled(client, docs, n=10)  # one batch: sequence 1
    info = client.update_collection(docs, tiering={"wal_archive": True})
    assert info.tiering.wal_archive is True
    snap = client.create_snapshot(docs)
    for i in range(10, 15):  # sequences 2..6
        client.upsert(docs, {"id": f"p{i}", "vector": [float(i), 1.0]})
    client.delete(docs, ["p0"])  # sequence 7

    at4 = new_name("at4")
    r = client.restore_point_in_time(docs, at4, sequence=snap.sequence + 3)
    assert (r.sequence, r.snapshot_sequence, r.wal_records) == (snap.sequence + 3,
                                                                snap.sequence, 3)
    assert r.points == client.count(at4) == 13
    assert r.sequence_time is not None
    now = new_name("now")
    r = client.restore_point_in_time(docs, now, as_of=datetime.now(timezone.utc))
    assert r.sequence == client.stats(docs).last_sequence
    assert client.count(now) == 14
    with pytest.raises(NotFound):
        client.get(now, "p0")

    with pytest.raises(OutOfRange):
        client.restore_point_in_time(docs, new_name("x"), sequence=1000)
    with pytest.raises(InvalidArgument):
        client.restore_point_in_time(docs, new_name("x"))
    with pytest.raises(InvalidArgument):
        client.restore_point_in_time(docs, new_name("x"), sequence=3,
                                     as_of="2026-01-01T00:00:00Z")
    with pytest.raises(InvalidArgument):
        client.restore_point_in_time(docs, new_name("x"), as_of="not a time")
    with pytest.raises(InvalidArgument):
        client.restore_point_in_time(docs, new_name("x"), as_of=datetime(2026, 1, 1))
    with pytest.raises(AlreadyExists):
        client.restore_point_in_time(docs, at4, sequence=snap.sequence)


async def test_async_point_in_time_restore(aclient: AsyncProximaDBClient,
                                           client: ProximaDBClient,
                                           new_name: Callable[[str], str]) -> None:
    docs = new_name("docs")
    _filled(client, docs, n=5)
    client.update_collection(docs, tiering={"wal_archive": True})
    snap = client.create_snapshot(docs)
    client.upsert(docs, {"id": "late", "vector": [1.0, 2.0]})
    copy = new_name("copy")
    r = await aclient.restore_point_in_time(docs, copy, sequence=snap.sequence + 1)
    assert r.wal_records == 1 and r.points == 6
    assert client.count(copy) == 6
