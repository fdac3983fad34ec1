"""Live migration of a collection's storage layout (migrate, get_migration,
cancel_migration) against a real server, on both transports: standard hnsw
-> custom ivf int8 with the hash memtable -> standard while a writer and a
searcher run, with zero failed requests and every acknowledged write there;
the refusals; the progress in stats and /metrics; and a server killed with
SIGKILL in the middle of a migration, which resumes it on restart with
nothing lost and no point twice."""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from typing import Callable, List

import pytest

from conftest import _binary, wait_until  # noqa: E402  (tests/ is on sys.path)
from test_quarantine import _Server  # noqa: E402
from proximadb import (
    FailedPrecondition,
    InvalidArgument,
    Migration,
    NotFound,
    ProximaDBClient,
)

DIM = 16


def _vec(rng: random.Random, centre: int) -> List[float]:
    return [centre * 3.0 + rng.gauss(0, 1) if d % 4 == centre % 4 else rng.gauss(0, 1)
            for d in range(DIM)]


def _fill(client: ProximaDBClient, name: str, segments: int, rows: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    n = 0
    for _ in range(segments):
        client.upsert(name, [{"id": f"p{n + i}", "vector": _vec(rng, (n + i) % 8),
                              "metadata": {"i": n + i}} for i in range(rows)])
        n += rows
        client.flush(name)


def _wait(client: ProximaDBClient, name: str, state: str, timeout: float = 120) -> Migration:
    last: List[Migration] = []

    def settled() -> bool:
        m = client.get_migration(name)
        last[:] = [m]
        return m.state == state and m.segments_done == m.segments_total

    assert wait_until(settled, timeout), f"migration not {state}: {last}"
    return last[0]


def test_migrate_under_load_and_back(client: ProximaDBClient, url: str,
                                     new_name: Callable[[str], str]) -> None:
    name = new_name("mig")
    client.create_collection(name, DIM, distance_metric="euclidean", m=8, ef_construction=64)
    _fill(client, name, 3, 1500)
    with pytest.raises(NotFound):
        client.get_migration(name)

    stop = threading.Event()
    failures: List[str] = []
    acknowledged: List[str] = []

    # A client per thread (a client is not shared between threads).
    def writer() -> None:
        rng = random.Random(7)
        i = 0
        with ProximaDBClient(url) as own:
            run_writer(own, rng, i)

    def run_writer(own: ProximaDBClient, rng: random.Random, i: int) -> None:
        while not stop.is_set():
            try:
                own.upsert(name, [{"id": f"w{i}", "vector": _vec(rng, i % 8)}])
                acknowledged.append(f"w{i}")
            except Exception as e:  # every failure is one too many
                failures.append(f"upsert: {e!r}")
            i += 1

    def searcher() -> None:
        with ProximaDBClient(url) as own:
            run_searcher(own)

    def run_searcher(own: ProximaDBClient) -> None:
        rng = random.Random(8)
        while not stop.is_set():
            try:
                hits = own.search(name, _vec(rng, rng.randrange(8)), k=10)
                if len(hits) != 10:
                    failures.append(f"search: {len(hits)} hits")
            except Exception as e:
                failures.append(f"search: {e!r}")

    threads = [threading.Thread(target=writer), threading.Thread(target=searcher)]
    for t in threads:
        t.start()
    try:
        m = client.migrate(name, storage_strategy="custom", memtable="hash",
                           indexing_algorithm="ivf", quantization="int8")
        assert isinstance(m, Migration)
        assert m.id.startswith("mig-")
        assert m.state in ("running", "done")
        assert m.to_layout["storage_strategy"] == "custom"
        assert m.to_layout["index"]["kind"] == "ivf"
        assert m.from_layout["index"]["kind"] == "hnsw"
        if m.state == "running":
            # A second migration is refused while the first runs. The first
            # may finish between the two calls (a few thousand points): then
            # the same target again is a migration with nothing to do.
            try:
                again = client.migrate(name, storage_strategy="custom", memtable="hash",
                                       indexing_algorithm="ivf", quantization="int8")
            except FailedPrecondition:
                pass
            else:
                assert again.state == "done"
                assert again.from_layout == again.to_layout == m.to_layout
                m = again
        done = _wait(client, name, "done")
        assert done.segments_total >= 3 and done.points_done >= 4500
        assert done.finished_unix_ms >= done.started_unix_ms > 0
        info = client.get_collection(name)
        assert (info.storage_strategy, info.memtable, info.indexing_algorithm) == \
            ("custom", "hash", "ivf")
        stats = client.stats(name)
        assert stats.migration is not None and stats.migration.state == "done"
        assert stats.migration.id == m.id
        # The layout the collection has already: nothing to do, done at once.
        noop = client.migrate(name, storage_strategy="custom", memtable="hash",
                              indexing_algorithm="ivf", quantization="int8")
        assert noop.state == "done" and noop.from_layout == noop.to_layout

        back = client.migrate(name)  # every setting left out: standard defaults
        assert back.to_layout["index"]["kind"] == "hnsw"
        assert back.to_layout["index"]["m"] == 16
        _wait(client, name, "done")
    finally:
        stop.set()
        for t in threads:
            t.join()
    assert failures == []
    assert acknowledged
    info = client.get_collection(name)
    assert (info.storage_strategy, info.memtable, info.indexing_algorithm, info.m) == \
        ("standard", "btree", "hnsw", 16)
    assert client.count(name) == 4500 + len(acknowledged)
    got = client.get(name, acknowledged[-50:])
    assert sorted(p.id for p in got) == sorted(acknowledged[-50:])


def test_refusals(client: ProximaDBClient, new_name: Callable[[str], str]) -> None:
    name = new_name("migbad")
    client.create_collection(name, DIM)
    with pytest.raises(FailedPrecondition):
        client.cancel_migration(name)
    with pytest.raises(InvalidArgument, match="custom"):
        client.migrate(name, indexing_algorithm="ivf")  # ivf needs custom
    with pytest.raises(InvalidArgument):
        client.migrate(name, storage_strategy="custom", memtable="skiplist")
    # The layout it has: done at once.
    same = client.migrate(name)
    assert same.state == "done"
    with pytest.raises(FailedPrecondition):
        client.cancel_migration(name)


def test_rest_shapes_and_metrics(rest_client: ProximaDBClient, server,
                                 new_name: Callable[[str], str]) -> None:
    name = new_name("migrest")
    rest_client.create_collection(name, DIM)
    _fill(rest_client, name, 2, 200)
    base = server.rest_url + f"/api/v1/collections/{name}"

    def call(method: str, path: str, body: bytes = b"") -> tuple:
        req = urllib.request.Request(base + path, data=body or None, method=method,
                                     headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(req) as r:
                return r.status, r.read().decode()
        except urllib.error.HTTPError as e:
            return e.code, e.read().decode()

    code, text = call("POST", "/migrate", b'{"storage_strategy": "custom", "colour": 1}')
    assert code == 400 and "colour" in text
    code, text = call("POST", "/migrate",
                      b'{"storage_strategy": "custom", "index": {"kind": "ivf", "nlist": 4}}')
    assert code == 202 and '"migration"' in text and '"id"' in text
    _wait(rest_client, name, "done")
    code, text = call("GET", "/migration")
    assert code == 200 and '"state":"done"' in text.replace(" ", "")
    for key in ("segments_done", "segments_total", "points_done", "points_total"):
        assert f'"{key}"' in text
    code, text = call("DELETE", "/migration")
    assert code == 409, (code, text)
    with urllib.request.urlopen(server.rest_url + "/metrics") as r:
        metrics = r.read().decode()
    assert f'proximadb_migration_segments_done{{collection="{name}"}} 2' in metrics
    assert f'proximadb_migration_running{{collection="{name}"}} 0' in metrics


def _binary_or_skip() -> Path:
    binary = _binary().resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.skip(f"proximadb-server binary not found at {binary}")
    return binary


def _load_eight_segments(c, name: str, seed: int, with_metadata: bool) -> int:
    """Creates `name` (custom, ivf, 64-d) and flushes eight segments of 3000
    random points into it; returns the point count. With metadata, each
    point carries a title derived from its id and its segment number."""
    c.create_collection(name, 64, distance_metric="euclidean",
                        storage_strategy="custom", indexing_algorithm="ivf")
    rng = random.Random(seed)
    total = 0
    for s in range(8):
        points = []
        for i in range(3000):
            p = {"id": f"p{total + i}", "vector": [rng.gauss(0, 1) for _ in range(64)]}
            if with_metadata:
                p["metadata"] = {"title": f"document {total + i}", "s": s}
            points.append(p)
        c.upsert(name, points)
        total += 3000
        c.flush(name)
    return total


@pytest.mark.parametrize("transport", ["grpc"])
def test_sigkill_mid_migration_resumes(transport: str) -> None:
    binary = _binary_or_skip()
    root = tempfile.mkdtemp(prefix="proximadb-migrate-")
    data = os.path.join(root, "data")
    # Background compaction would merge the eight segments into one before the
    # migration starts (it did on a CI machine), leaving nothing to kill midway.
    no_compaction = {"PROXIMADB_STORAGE__COMPACTION_ENABLED": "false"}
    srv = _Server(binary, data, no_compaction)
    try:
        with ProximaDBClient(srv.url(transport)) as c:
            # ivf builds in a blink, hnsw (m 32, ef_construction 400) takes
            # a while per segment: migrating ivf -> hnsw leaves time to kill.
            total = _load_eight_segments(c, "k", 3, with_metadata=False)
            c.migrate("k", m=32, ef_construction=400)
            assert wait_until(lambda: c.get_migration("k").segments_done >= 1, 120)
            before = c.get_migration("k")
        assert before.segments_total == 8, before  # one per flush, none merged
        assert before.state == "running" and before.segments_done < before.segments_total, before
        srv.proc.kill()  # SIGKILL: no shutdown, no flush
        srv.proc.wait()
        srv = _Server(binary, data, no_compaction)
        with ProximaDBClient(srv.url(transport)) as c:
            resumed = c.get_migration("k")
            assert resumed.id == before.id
            assert resumed.state in ("running", "done")
            # Served meanwhile, with whichever index each segment has.
            assert len(c.search("k", [0.0] * 64, k=10)) == 10
            done = _wait(c, "k", "done", timeout=300)
            assert done.points_done == total
            info = c.get_collection("k")
            assert (info.indexing_algorithm, info.m, info.ef_construction) == ("hnsw", 32, 400)
            assert c.count("k") == total
            ids = set()
            for p in c.scroll("k", batch_size=1000):
                assert p.id not in ids  # no point twice
                ids.add(p.id)
            assert ids == {f"p{i}" for i in range(total)}
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_sigkill_mid_compression_migration() -> None:
    """A migration that changes the compression rewrites each segment (a
    compaction of it alone) and then builds its new index; a SIGKILL while it
    runs loses nothing: after the restart it completes, every point is there
    once, and every segment is compressed."""
    binary = _binary_or_skip()
    root = tempfile.mkdtemp(prefix="proximadb-migrate-z-")
    data = os.path.join(root, "data")
    no_compaction = {"PROXIMADB_STORAGE__COMPACTION_ENABLED": "false"}
    srv = _Server(binary, data, no_compaction)
    try:
        with ProximaDBClient(srv.url("grpc")) as c:
            total = _load_eight_segments(c, "z", 4, with_metadata=True)
            assert not any(s.compressed for s in c.list_segments("z"))
            # The rewritten segments then need hnsw m 32 / ef_construction
            # 400 graphs, which take a while: time to kill.
            c.migrate("z", storage_strategy="custom", compression="zstd",
                      m=32, ef_construction=400)
            assert wait_until(lambda: c.get_migration("z").segments_done >= 1, 120)
            before = c.get_migration("z")
        assert before.state == "running" and before.segments_done < before.segments_total, before
        srv.proc.kill()  # SIGKILL: no shutdown, no flush
        srv.proc.wait()
        srv = _Server(binary, data, no_compaction)
        with ProximaDBClient(srv.url("grpc")) as c:
            assert c.get_migration("z").id == before.id
            assert len(c.search("z", [0.0] * 64, k=10)) == 10
            done = _wait(c, "z", "done", timeout=300)
            assert done.points_done == total
            info = c.get_collection("z")
            assert (info.compression, info.indexing_algorithm, info.m) == ("zstd", "hnsw", 32)
            segments = c.list_segments("z")
            assert segments and all(s.compressed for s in segments), segments
            assert c.count("z") == total
            ids = set()
            for p in c.scroll("z", batch_size=1000):
                assert p.id not in ids  # no point twice
                assert p.metadata["title"] == f"document {p.id[1:]}"
                ids.add(p.id)
            assert ids == {f"p{i}" for i in range(total)}
    finally:
        srv.stop()
        shutil.rmtree(root, ignore_errors=True)


async def test_async_migrate(url: str, new_name: Callable[[str], str]) -> None:
    from proximadb import AsyncProximaDBClient

    name = new_name("migasync")
    async with AsyncProximaDBClient(url) as c:
        await c.create_collection(name, DIM)
        await c.upsert(name, [{"id": f"p{i}", "vector": [float(i % 7) + 1.0] + [1.0] * (DIM - 1)}
                              for i in range(300)])
        await c.flush(name)
        m = await c.migrate(name, storage_strategy="custom", indexing_algorithm="ivf")
        assert m.to_layout["index"]["kind"] == "ivf"
        for _ in range(600):
            m = await c.get_migration(name)
            if m.state == "done" and m.segments_done == m.segments_total:
                break
            await asyncio.sleep(0.05)
        assert m.state == "done" and m.points_done == 300
        with pytest.raises(FailedPrecondition):
            await c.cancel_migration(name)
        assert (await c.stats(name)).migration.id == m.id
