"""The server's live recall estimate (docs/API.md, "Live recall estimate")
as a client sees it: stats over both transports and /metrics, from a server
that re-runs every search exactly (recall_sample_rate = 1)."""
import os
import random
import shutil
import tempfile
import time
import urllib.request
from typing import Iterator

import pytest

from conftest import _binary
from proximadb import ProximaDBClient, RecallEstimate
from test_quarantine import _Server


@pytest.fixture
def sampling_server() -> Iterator[_Server]:
    binary = _binary().resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.skip(f"proximadb-server binary not found at {binary}")
    root = tempfile.mkdtemp(prefix="proximadb-recall-")
    server = _Server(binary, os.path.join(root, "data"), {
        "PROXIMADB_MONITORING__RECALL_SAMPLE_RATE": "1",
        "PROXIMADB_MONITORING__RECALL_CPU_SHARE": "1"})
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def test_the_estimate_is_in_stats_on_both_transports_and_in_metrics(
        sampling_server: _Server) -> None:
    rest = ProximaDBClient(sampling_server.url("rest"))
    grpc = ProximaDBClient(sampling_server.url("grpc"))
    try:
        rest.create_collection(name="docs", dimension=16, distance_metric="euclidean")
        rng = random.Random(3)
        rest.batch_insert("docs", [
            {"id": f"p{i}", "vector": [rng.uniform(-1, 1) for _ in range(16)]}
            for i in range(2000)])
        assert rest.stats("docs").recall_estimate is None  # nothing sampled yet
        queries = [[rng.uniform(-1, 1) for _ in range(16)] for _ in range(40)]
        for q in queries:
            rest.search("docs", q, k=10, ef_search=16)
            grpc.search("docs", q, k=10, ef_search=16)
            rest.search("docs", q, k=10, exact=True)  # never sampled
        deadline = time.monotonic() + 30
        while True:
            est = rest.stats("docs").recall_estimate
            # Each of the 80 plain searches was sampled: run, or dropped
            # when the estimator's queue was full.
            if est is not None and est.samples_total + est.dropped_total == 80:
                break
            assert time.monotonic() < deadline, f"80 samples expected, got {est}"
            time.sleep(0.05)
        assert isinstance(est, RecallEstimate)
        assert est.samples == est.samples_total > 0
        # Unflushed points are searched exactly: every answer was exact.
        assert est.recall == 1.0
        assert 0.0 < est.ci95[0] < 1.0 and est.ci95[1] == pytest.approx(1.0)
        assert grpc.stats("docs").recall_estimate == est
        with urllib.request.urlopen(sampling_server.url("rest") + "/metrics") as r:
            text = r.read().decode()
        assert 'proximadb_collection_recall_estimate{collection="docs"} 1' in text
        assert (f'proximadb_collection_recall_samples{{collection="docs"}} {est.samples}'
                in text)
    finally:
        rest.close()
        grpc.close()
