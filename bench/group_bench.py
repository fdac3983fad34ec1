#!/usr/bin/env python3
"""What a grouped search costs beside a plain one (docs/BENCHMARKS.md,
"Grouped search"). A benchmark, not a test: run it on a quiet machine.

    bench/group_bench.py --binary build-bench/src/server/proximadb-server \
        [--queries 200] [--rounds 3] [--ef 64]

Data: Fashion-MNIST's 60,000 training images (Debian's
dataset-fashion-mnist), metadata {"doc": i // 10, "label": <class 0..9>},
in one HNSW segment (m 16, ef_construction 200); the first --queries test
images as queries, one at a time over gRPC (Python client), single client.

Two groupings bracket what users see:
* "label": 10 groups of 6,000 similar images: the groups fill from the
  first search (the best case: one search).
* "doc": 6,000 groups of 10 images with nothing in common (i // 10): the
  nearest images are almost all from different docs, so every chosen group
  needs its own filtered search to fill (the worst case: 1 + k searches),
  with and without an integer payload index on "doc".

Beside them, plain searches of k 10 and 30. For each: the median over
rounds of the median latency (ms) and of QPS over the queries.
"""
import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402
from cluster_bench import start_single  # noqa: E402 (same directory)
from e2e_bench import FMNIST, read_idx, stop_server  # noqa: E402


def read_labels(path):
    import gzip
    with gzip.open(path, "rb") as f:
        raw = f.read()
    return np.frombuffer(raw[8:], dtype=np.uint8)


def measure(c, queries, **kw):
    lat = []
    t0 = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        if "group_by" in kw:
            c.search_groups("bench", q, **kw)
        else:
            c.search("bench", q, **kw)
        lat.append(time.perf_counter() - t)
    total = time.perf_counter() - t0
    return statistics.median(lat) * 1e3, len(queries) / total


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ef", type=int, default=64)
    a = ap.parse_args()
    base = read_idx(FMNIST + "train-images-idx3-ubyte.gz")
    labels = read_labels(FMNIST + "train-labels-idx1-ubyte.gz")
    queries = read_idx(FMNIST + "t10k-images-idx3-ubyte.gz", a.queries)
    n, dim = base.shape
    work = tempfile.mkdtemp(prefix="pdb_group_bench_")
    p, _, grpc = start_single(a.binary, work)
    cases = [
        ("plain k=10", {"k": 10}),
        ("plain k=30", {"k": 30}),
        ("label k=3 size=3", {"k": 3, "group_by": "label", "group_size": 3}),
        ("label k=10 size=1", {"k": 10, "group_by": "label"}),
        ("doc k=10 size=1", {"k": 10, "group_by": "doc"}),
        ("doc k=10 size=3", {"k": 10, "group_by": "doc", "group_size": 3}),
    ]
    results = {}
    try:
        c = ProximaDBClient(grpc, timeout=600)
        c.create_collection("bench", dim, "euclidean", m=16,
                            ef_construction=200, max_vector_count=n + 1,
                            max_wal_size_mb=4096)
        md = [{"doc": i // 10, "label": int(labels[i])} for i in range(n)]
        c.batch_insert("bench", base, ids=[str(i) for i in range(n)],
                       metadata=md, chunk_size=1000)
        c.flush("bench")
        while not all(s.graph_loaded for s in c.list_segments("bench")):
            time.sleep(0.05)
        for phase in ("no payload index", "integer index on doc"):
            if phase != "no payload index":
                c.create_payload_index("bench", "doc", "integer")
            for _ in range(a.rounds):
                for name, kw in cases:
                    if phase != "no payload index" and "doc" not in name:
                        continue
                    r = measure(c, queries, ef_search=a.ef, **kw)
                    results.setdefault(f"{phase}: {name}", []).append(r)
        c.close()
    finally:
        stop_server(p)
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f}; median of {a.rounds} "
          f"rounds, {a.queries} queries, ef {a.ef}")
    summary = {}
    for key, rs in results.items():
        ms = statistics.median(r[0] for r in rs)
        qps = statistics.median(r[1] for r in rs)
        summary[key] = {"median_ms": round(ms, 3), "qps": round(qps, 1)}
        print(f"{key:45s} {ms:8.3f} ms {qps:9.1f} QPS")
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
