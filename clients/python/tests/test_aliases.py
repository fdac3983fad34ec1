"""Aliases against the session server, on both transports: update_aliases
(atomic, with its refusals), list_aliases, create/delete/switch_alias, every
collection call through an alias, and a switch while searches run."""

from __future__ import annotations

import threading
import uuid
from typing import Callable, List

import pytest

from proximadb import (
    Alias,
    AlreadyExists,
    AsyncProximaDBClient,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    ProximaDBClient,
)


def _alias() -> str:
    return f"a_{uuid.uuid4().hex[:12]}"


def _mine(aliases: List[Alias], names: List[str]) -> List[Alias]:
    """The session server is shared: only this test's aliases."""
    return [a for a in aliases if a.alias in names]


def _filled(client: ProximaDBClient, name: str, prefix: str) -> None:
    client.create_collection(name, 2, distance_metric="euclidean")
    client.upsert(name, [{"id": f"{prefix}{i}", "vector": [float(i), 1.0]}
                         for i in range(20)])


def test_create_switch_delete(client: ProximaDBClient,
                              new_name: Callable[[str], str]) -> None:
    blue, green, live = new_name("blue"), new_name("green"), _alias()
    _filled(client, blue, "b")
    _filled(client, green, "g")
    after = client.create_alias(live, blue)
    assert Alias(live, blue) in after
    assert _mine(client.list_aliases(), [live]) == [Alias(live, blue)]
    assert client.get_collection(live).name == blue
    assert client.search(live, [3.0, 1.0], k=3).ids[0] == "b3"

    client.switch_alias(live, green)
    assert _mine(client.list_aliases(), [live]) == [Alias(live, green)]
    assert client.search(live, [3.0, 1.0], k=3).ids[0] == "g3"
    client.upsert(live, [{"id": "new", "vector": [0.0, 0.0]}])
    assert client.get(green, "new").id == "new"

    client.delete_alias(live)
    assert _mine(client.list_aliases(), [live]) == []
    with pytest.raises(NotFound):
        client.get_collection(live)


def test_refusals_are_atomic(client: ProximaDBClient,
                             new_name: Callable[[str], str]) -> None:
    docs, a, b = new_name("docs"), _alias(), _alias()
    client.create_collection(docs, 2)
    client.create_alias(a, docs)
    with pytest.raises(AlreadyExists):
        client.create_alias(a, docs)  # not deleted first
    with pytest.raises(AlreadyExists):
        client.create_alias(docs, docs)  # one namespace
    with pytest.raises(NotFound):
        client.create_alias(b, "no_such_collection_" + uuid.uuid4().hex[:8])
    with pytest.raises(NotFound):
        client.delete_alias(b)
    with pytest.raises(InvalidArgument):
        client.create_alias("bad name", docs)
    with pytest.raises(InvalidArgument):
        client.update_aliases([])
    with pytest.raises(InvalidArgument):
        client.update_aliases([{"rename": {"alias": a}}])
    # The first two actions would succeed; the third fails: none happens.
    with pytest.raises(NotFound):
        client.update_aliases([
            {"delete": {"alias": a}},
            {"create": {"alias": b, "collection": docs}},
            {"delete": {"alias": "missing_" + uuid.uuid4().hex[:8]}},
        ])
    assert _mine(client.list_aliases(), [a, b]) == [Alias(a, docs)]
    with pytest.raises(AlreadyExists):
        client.create_collection(a, 2)
    with pytest.raises(FailedPrecondition):
        client.delete_collection(a)
    client.delete_collection(docs)
    assert _mine(client.list_aliases(), [a]) == []


def test_searches_during_switches(client: ProximaDBClient, url: str,
                                  new_name: Callable[[str], str]) -> None:
    blue, green, live = new_name("blue"), new_name("green"), _alias()
    _filled(client, blue, "b")
    _filled(client, green, "g")
    client.create_alias(live, blue)
    errors: List[BaseException] = []
    mixed: List[List[str]] = []
    done = threading.Event()

    def reader() -> None:
        c = ProximaDBClient(url, timeout=30.0)
        try:
            while not done.is_set():
                ids = c.search(live, [3.0, 1.0], k=5).ids
                if len({i[0] for i in ids}) != 1 or len(ids) != 5:
                    mixed.append(ids)
        except BaseException as e:  # noqa: BLE001  (reported below)
            errors.append(e)
        finally:
            c.close()

    threads = [threading.Thread(target=reader) for _ in range(3)]
    for t in threads:
        t.start()
    for i in range(40):
        client.switch_alias(live, green if i % 2 == 0 else blue)
    done.set()
    for t in threads:
        t.join()
    assert not errors
    assert not mixed


async def test_async_aliases(aclient: AsyncProximaDBClient, client: ProximaDBClient,
                             new_name: Callable[[str], str]) -> None:
    docs, a = new_name("docs"), _alias()
    client.create_collection(docs, 2)
    assert Alias(a, docs) in await aclient.create_alias(a, docs)
    assert _mine(await aclient.list_aliases(), [a]) == [Alias(a, docs)]
    with pytest.raises(NotFound):
        await aclient.switch_alias(_alias(), docs)
    await aclient.delete_alias(a)
    assert _mine(await aclient.list_aliases(), [a]) == []
