"""The memory budget as a client sees it (docs/OPERATIONS.md, "Memory
budget"): with [storage] memory_limit_mb = 32, ingesting three times that
over REST, every answer is a success or a clean 503 (Retry-After, a message
naming the budget); what the server counts stays within the budget and its
anonymous memory stays within budget + its own baseline; every acknowledged
point is there; stats (both transports) and /metrics show the parts."""
import json
import os
import random
import re
import threading
import time
import urllib.error
import urllib.request
from typing import Dict, List

from conftest import _binary
from proximadb import ProximaDBClient
from test_quarantine import _Server

LIMIT_MB = 32
DIM = 256


def _status_kb(pid: int, key: str) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    return 0


def _metric(text: str, name: str, labels: str = "") -> float:
    m = re.search(rf"^{re.escape(name + labels)} (\S+)$", text, re.M)
    assert m, f"no {name}{labels} in /metrics"
    return float(m.group(1))


def test_ingest_three_times_the_budget(restart_data_dir: str) -> None:
    server = _Server(_binary().resolve(), restart_data_dir, {
        "PROXIMADB_STORAGE__MEMORY_LIMIT_MB": str(LIMIT_MB),
        "PROXIMADB_MONITORING__ACCESS_LOG": "false"})
    base = server.url("rest")
    rest = ProximaDBClient(base)
    grpc = ProximaDBClient(server.url("grpc"))
    pid = server.proc.pid
    # A sanitizer build reserves terabytes of shadow memory and keeps freed
    # memory in quarantine: its RSS says nothing about the budget.
    sanitized = _status_kb(pid, "VmSize") > 2**40
    limit = LIMIT_MB << 20
    samples: List[Dict[str, float]] = []
    stop = threading.Event()

    def sample() -> None:
        while not stop.is_set():
            with urllib.request.urlopen(base + "/metrics") as r:
                text = r.read().decode()
            accounted = sum(
                _metric(text, "proximadb_memory_accounted_bytes", f'{{component="{c}"}}')
                for c in ("memtables", "graphs", "payload_indexes", "unpacked_segments"))
            samples.append({"accounted": accounted,
                            "anon": _status_kb(pid, "RssAnon")})
            time.sleep(0.05)

    try:
        rest.create_collection(name="m", dimension=DIM, distance_metric="euclidean",
                               indexing_algorithm="flat", enable_background_flush=False)
        baseline_anon = _status_kb(pid, "RssAnon")
        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        rng = random.Random(11)
        per_point = DIM * 4 + 60
        total = 3 * limit // per_point
        acked, refusals, batch = 0, 0, 500
        while acked < total:
            body = json.dumps({"vectors": [
                {"id": f"p{acked + i}",
                 "vector": [rng.uniform(-1, 1) for _ in range(DIM)],
                 "metadata": {"i": acked + i}} for i in range(batch)]}).encode()
            req = urllib.request.Request(base + "/api/v1/collections/m/vectors/batch",
                                         data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
            try:
                with urllib.request.urlopen(req) as r:
                    assert r.status == 200
                acked += batch
            except urllib.error.HTTPError as e:
                answer = json.loads(e.read())
                assert e.code == 503, answer
                assert e.headers.get("Retry-After") == "1"
                assert answer["error"] == "unavailable"
                assert f"memory_limit_mb = {LIMIT_MB}" in answer["message"], answer
                refusals += 1
                time.sleep(0.05)
        stop.set()
        sampler.join()
        assert samples
        worst = max(s["accounted"] for s in samples)
        assert worst <= limit, f"counted {worst / 2**20:.1f} MiB over the budget"
        if not sanitized:
            peak = max(s["anon"] for s in samples)
            # The budget governs what the collections hold; the process's own
            # baseline (code, threads, allocator caches, request buffers)
            # comes on top of it.
            assert peak <= baseline_anon + limit + (48 << 20), (
                f"anonymous memory peaked at {peak / 2**20:.0f} MiB "
                f"(baseline {baseline_anon / 2**20:.0f} MiB, budget {LIMIT_MB} MiB)")
        # Nothing acknowledged is lost.
        assert rest.count("m") == acked
        for i in range(0, acked, 4999):
            assert rest.get("m", f"p{i}").metadata["i"] == i
        stats = rest.stats("m")
        assert set(stats.memory) == {"memtables", "graphs", "payload_indexes",
                                     "unpacked_segments", "total"}
        assert stats.memory["total"] <= limit
        over_grpc = grpc.stats("m").memory
        assert set(over_grpc) == set(stats.memory) and over_grpc["total"] <= limit
        with urllib.request.urlopen(base + "/metrics") as r:
            text = r.read().decode()
        # Its policy never flushes: the budget did, several times.
        assert _metric(text, "proximadb_collection_flushes_total",
                       '{collection="m"}') >= 2
        assert _metric(text, "proximadb_memory_budget_bytes") == limit
        assert _metric(text, "proximadb_process_anonymous_memory_bytes") > 0
        _metric(text, "proximadb_collection_memory_bytes",
                '{collection="m",component="memtables"}')
        print(f"acked {acked} points ({acked * per_point / 2**20:.0f} MiB), "
              f"{refusals} refusals; counted at most {worst / 2**20:.1f} MiB; "
              f"anonymous memory {baseline_anon / 2**20:.0f} MiB at the start, "
              f"{max(s['anon'] for s in samples) / 2**20:.0f} MiB at most")
    finally:
        stop.set()
        rest.close()
        grpc.close()
        server.stop()
