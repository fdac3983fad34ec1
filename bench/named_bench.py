#!/usr/bin/env python3
"""What a search of a named vector or a multi-vector costs beside a search
of the main vector (docs/BENCHMARKS.md, "Named vectors and multi-vectors").
A benchmark, not a test: run it on a quiet machine.

    bench/named_bench.py --binary build-bench/src/server/proximadb-server \
        [--points 20000] [--queries 200] [--rounds 3] [--ef 64]

Data: the first --points of Fashion-MNIST's training images (Debian's
dataset-fashion-mnist, 784 dimensions), each stored three ways in one
collection, flushed into one segment:
* the main vector (euclidean, HNSW m 16, ef_construction 200);
* the named vector "img": the same 784 values (euclidean);
* the multi-vector "rows": the image's 4 horizontal bands of 7 pixel rows,
  4 vectors of 196 values (euclidean), scored by MaxSim.
Queries: the first --queries test images (the bands for "rows"), one at a
time over gRPC (Python client), single client, k 10.

Runs, each name through its segment's HNSW graph (ef --ef) and exactly
(exact: true, a scan): main, "img" (its own graph over the same values,
hits re-scored from the point vectors blobs), "rows" (a graph over every
band of every image; each query band's ef nearest bands nominate their
images, ranked by exact MaxSim over 4 x 4 band pairs). For each: median
latency (ms) and QPS, medians over --rounds; the recall@10 of each graph
search against its exact search; the graph build time of each name summed
over the segments (the server logs each build); and the time from the
flush until every graph serves (explain shows "hnsw" for the segments).
"""
import argparse
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from cluster_bench import start_single  # noqa: E402 (same directory)
from cluster_http import call  # noqa: E402
from e2e_bench import FMNIST, read_idx, stop_server  # noqa: E402

BANDS = 4


def bands(img):
    """784 pixels -> 4 bands of 196 (7 rows of 28 each)."""
    return img.reshape(BANDS, 784 // BANDS)


def measure(c, queries, **kw):
    lat, ids = [], []
    t0 = time.perf_counter()
    for q in queries:
        t = time.perf_counter()
        r = c.search("bench", q, k=10, **kw)
        lat.append(time.perf_counter() - t)
        ids.append(r.ids)
    total = time.perf_counter() - t0
    return statistics.median(lat) * 1e3, len(queries) / total, ids


def recall(got, want):
    return float(np.mean([len(set(g) & set(w)) / len(w)
                          for g, w in zip(got, want)]))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--binary", required=True)
    ap.add_argument("--points", type=int, default=20000)
    ap.add_argument("--queries", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--ef", type=int, default=64)
    a = ap.parse_args()
    base = read_idx(FMNIST + "train-images-idx3-ubyte.gz", a.points)
    queries = read_idx(FMNIST + "t10k-images-idx3-ubyte.gz", a.queries)
    n, dim = base.shape
    work = tempfile.mkdtemp(prefix="pdb_named_bench_")
    p, rest, grpc = start_single(a.binary, work)
    results = {}
    try:
        c = ProximaDBClient(grpc, timeout=600)
        c.create_collection(
            "bench", dim, "euclidean", m=16, ef_construction=200,
            max_vector_count=n + 1, max_wal_size_mb=4096,
            vectors={"img": {"dimension": dim, "distance_metric": "euclidean"},
                     "rows": {"dimension": dim // BANDS,
                              "distance_metric": "euclidean",
                              "multivector": True}})
        t0 = time.perf_counter()
        for start in range(0, n, 500):
            c.upsert("bench", [
                {"id": str(i), "vector": base[i],
                 "vectors": {"img": base[i], "rows": bands(base[i])}}
                for i in range(start, min(n, start + 500))])
        ingest = time.perf_counter() - t0
        c.flush("bench")
        flushed = time.perf_counter()
        while not all(s.graph_loaded for s in c.list_segments("bench")):
            time.sleep(0.05)

        def graph_serves(using, vector):
            status, body = call(rest, "POST", "/api/v1/collections/bench/search",
                                {"vector": vector, "k": 1, "using": using,
                                 "explain": True})
            assert status == 200, body
            return all(e["strategy"] == "hnsw" for e in body["explain"]["sources"]
                       if e["source"] == "segment")
        q0 = queries[0].tolist()
        while not (graph_serves("img", q0) and
                   graph_serves("rows", bands(queries[0]).tolist())):
            time.sleep(0.1)
        all_graphs = time.perf_counter() - flushed
        builds = {}  # name ("main" for the main vector) -> seconds
        with open(os.path.join(work, "single.log")) as log:
            for line in log:
                m = re.search(r"graph of (?:vector '([^']+)' of )?segment "
                              r"\d+: \d+ vectors in ([0-9.]+) s", line)
                if m:
                    name = m.group(1) or "main"
                    builds[name] = builds.get(name, 0) + float(m.group(2))
        runs = [
            ("main hnsw", lambda q: q, {"ef_search": a.ef}),
            ("main exact", lambda q: q, {"exact": True}),
            ("img hnsw (named)", lambda q: q, {"using": "img", "ef_search": a.ef}),
            ("img exact (named)", lambda q: q, {"using": "img", "exact": True}),
            ("rows hnsw (multi-vector)", bands,
             {"using": "rows", "ef_search": a.ef}),
            ("rows exact (multi-vector)", bands, {"using": "rows", "exact": True}),
        ]
        answers = {}
        for _ in range(a.rounds):
            for name, shape, kw in runs:
                ms, qps, ids = measure(c, [shape(q) for q in queries], **kw)
                results.setdefault(name, []).append((ms, qps))
                answers[name] = ids
        c.close()
    finally:
        stop_server(p)
        shutil.rmtree(work, ignore_errors=True)
    print(f"load average {os.getloadavg()[0]:.2f}; {n} points x {dim}; "
          f"median of {a.rounds} rounds, {a.queries} queries, k 10, "
          f"ef {a.ef}; ingest {ingest:.1f} s; every graph serving "
          f"{all_graphs:.1f} s after the flush; graph builds (s): "
          + ", ".join(f"{k} {v:.2f}" for k, v in sorted(builds.items())))
    summary = {}
    for name, rs in results.items():
        ms = statistics.median(r[0] for r in rs)
        qps = statistics.median(r[1] for r in rs)
        summary[name] = {"median_ms": round(ms, 3), "qps": round(qps, 1)}
        print(f"{name:32s} {ms:8.3f} ms {qps:9.1f} QPS")
    for name, exact in (("main hnsw", "main exact"),
                        ("img hnsw (named)", "img exact (named)"),
                        ("rows hnsw (multi-vector)", "rows exact (multi-vector)")):
        summary[name]["recall@10"] = round(
            recall(answers[name], answers[exact]), 4)
        print(f"recall@10 of {name} vs {exact}: "
              f"{summary[name]['recall@10']:.4f}")
    summary["graph_build_s"] = {k: round(v, 2) for k, v in builds.items()}
    summary["all_graphs_serving_s"] = round(all_graphs, 2)
    print(json.dumps(summary))


if __name__ == "__main__":
    main()
