"""Background I/O (docs/API.md, "Background I/O") as a client sees it: the
budget, the bytes flushes and compactions wrote and their pace, in stats over
both transports and in /metrics, from a server with
[storage] background_io_mb_per_s = 2."""
import os
import random
import shutil
import tempfile
import threading
import time
import urllib.request
from typing import Iterator, List

import pytest

from conftest import _binary
from proximadb import BackgroundIo, BackgroundTask, ProximaDBClient
from test_quarantine import _Server


@pytest.fixture
def budget_server() -> Iterator[_Server]:
    binary = _binary().resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.skip(f"proximadb-server binary not found at {binary}")
    root = tempfile.mkdtemp(prefix="proximadb-io-")
    server = _Server(binary, os.path.join(root, "data"), {
        "PROXIMADB_STORAGE__BACKGROUND_IO_MB_PER_S": "2",
        "PROXIMADB_STORAGE__COMPACTION_ENABLED": "false"})
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_budget_bytes_and_progress_on_both_transports_and_in_metrics(
        budget_server: _Server) -> None:
    rest = ProximaDBClient(budget_server.url("rest"))
    grpc = ProximaDBClient(budget_server.url("grpc"))
    try:
        rest.create_collection(name="io", dimension=128, distance_metric="euclidean",
                               indexing_algorithm="flat")
        rng = random.Random(5)
        for part in range(3):  # three segments of ~1 MiB
            rest.batch_insert("io", [
                {"id": f"p{part}-{i}", "vector": [rng.uniform(-1, 1) for _ in range(128)]}
                for i in range(2000)])
            rest.flush("io")
        io = rest.stats("io").background_io
        assert isinstance(io, BackgroundIo)
        assert io.budget_mb_per_s == 2.0
        flushed = io.bytes_written["flush"]
        assert flushed > 3 * 2000 * 512
        assert io.bytes_written["compaction"] == 0

        # A compaction of ~3 MiB at 2 MiB/s runs for over a second: watch it.
        seen: List[BackgroundTask] = []
        done = threading.Event()

        def compact() -> None:
            try:
                rest.compact("io")
            finally:
                done.set()

        started = time.monotonic()
        t = threading.Thread(target=compact)
        t.start()
        while not done.is_set():
            seen += [x for x in grpc.stats("io").background_io.tasks
                     if x.kind == "compaction"]
            time.sleep(0.05)
        t.join()
        elapsed = time.monotonic() - started
        io = rest.stats("io").background_io
        compacted = io.bytes_written["compaction"]
        assert compacted > 3 * 2000 * 512
        # Paced at the budget (less its 0.1 s burst).
        assert elapsed >= compacted / (2 << 20) - 0.2
        assert seen, "the running compaction never showed in stats"
        assert all(x.segments == 3 for x in seen)
        assert any(x.bytes_done > 0 and x.eta_seconds is not None and x.eta_seconds > 0
                   and x.bytes_total is not None for x in seen)
        assert io.tasks == []
        assert io.throttled_seconds > 0.5
        # Both transports say the same (nothing runs now).
        assert grpc.stats("io").background_io == io
        assert rest.count("io") == 6000

        with urllib.request.urlopen(budget_server.url("rest") + "/metrics") as r:
            text = r.read().decode()
        assert f"proximadb_background_io_budget_bytes_per_second {2 << 20}" in text
        assert ('proximadb_collection_background_bytes_written_total'
                f'{{collection="io",kind="compaction"}} {compacted}') in text
        assert 'proximadb_collection_background_tasks{collection="io",kind="compaction"} 0' in text
    finally:
        rest.close()
        grpc.close()
