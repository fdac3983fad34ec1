"""Bounded recovery as a client sees it (docs/OPERATIONS.md, "Recovery
time"): with [storage] max_unflushed_wal_mb = 4, a collection whose policy
never flushes is flushed by the server once half the cap is unflushed, every
write is acknowledged (the client retries a 503 by itself), and after a
kill -9 the restart replays at most the cap and says so in stats (both
transports) and /metrics."""
import os
import random
import signal
import urllib.request

import pytest

from conftest import _binary
from proximadb import ProximaDBClient
from test_quarantine import _Server

CAP = {"PROXIMADB_STORAGE__MAX_UNFLUSHED_WAL_MB": "4"}




def test_the_cap_forces_flushes_and_bounds_the_replay(restart_data_dir: str) -> None:
    binary = _binary().resolve()
    server = _Server(binary, restart_data_dir, CAP)
    c = ProximaDBClient(server.url("rest"), max_retries=20)
    rng = random.Random(9)
    try:
        c.create_collection(name="w", dimension=256, distance_metric="euclidean",
                            indexing_algorithm="flat", enable_background_flush=False)
        # ~12 MiB of points (1 KiB each) in 300-point requests: three times
        # the cap, never more than the cap unflushed.
        for b in range(40):
            c.batch_insert("w", [
                {"id": f"p{b}-{i}", "vector": [rng.uniform(-1, 1) for _ in range(256)]}
                for i in range(300)], chunk_size=300)
        stats = c.stats("w")
        assert stats.point_count == 12000
        assert stats.segment_count >= 2, "the cap flushed the collection"
        assert stats.recovery is None  # created by this process, not recovered
        # Unflushed now: 1.5 MiB (below the forced flush at half the cap),
        # then kill -9 (no flush on the way out).
        c.flush("w")
        for b in range(5):
            c.batch_insert("w", [
                {"id": f"q{b}-{i}", "vector": [rng.uniform(-1, 1) for _ in range(256)]}
                for i in range(300)], chunk_size=300)
        unflushed = c.stats("w").memtable_points
        assert unflushed == 1500
    finally:
        c.close()
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()

    server = _Server(binary, restart_data_dir, CAP)
    rest = ProximaDBClient(server.url("rest"))
    grpc = ProximaDBClient(server.url("grpc"))
    try:
        stats = rest.stats("w")
        assert stats.point_count == 13500
        r = stats.recovery
        assert r is not None
        assert r["wal_bytes"] <= 4 * 2**20 + 300 * 1100
        assert r["wal_records"] * 300 == unflushed
        assert r["seconds"] > 0
        assert grpc.stats("w").recovery == r
        with urllib.request.urlopen(server.url("rest") + "/metrics") as resp:
            text = resp.read().decode()
        assert f'proximadb_collection_recovery_wal_bytes{{collection="w"}} {r["wal_bytes"]}' in text
        assert 'proximadb_collection_recovery_seconds{collection="w"}' in text
    finally:
        rest.close()
        grpc.close()
        server.stop()
