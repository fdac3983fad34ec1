#!/usr/bin/env python3
"""Batch search through the server (docs/BENCHMARKS.md, "Batch search"). A
benchmark, not a test: run it on a quiet machine.

    bench/batch_api_bench.py --binary build-bench/src/server/proximadb-server \
        [--queries 320] [--batch 32] [--runs 3] [--points 60000]

A fresh server (the binary given, default configuration) with a flat
collection of Fashion-MNIST (Debian's dataset-fashion-mnist: the first
--points training images, L2), ingested over gRPC and flushed into one
segment. Then, from the Python client (clients/python), over gRPC and over
REST: the --queries first test images searched one call per query
(`search`) against `batch_search` calls of --batch queries (POST
.../search/batch, BatchSearch). Prints the median QPS of --runs alternating
passes per transport and mode, and checks that both modes return the same
ids.
"""
import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402
from cluster_bench import start_single  # noqa: E402 (same directory)
from e2e_bench import FMNIST, read_idx  # noqa: E402 (same directory)


def one_by_one(c, queries):
    t0 = time.perf_counter()
    ids = [c.search("bench", q, k=10, include_metadata=False)[0].id
           for q in queries]
    return len(queries) / (time.perf_counter() - t0), ids


def batched(c, queries, batch):
    t0 = time.perf_counter()
    ids = []
    for s in range(0, len(queries), batch):
        for hits in c.batch_search("bench", queries[s:s + batch], k=10,
                                   include_metadata=False):
            ids.append(hits[0].id)
    return len(queries) / (time.perf_counter() - t0), ids


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--points", type=int, default=60000)
    ap.add_argument("--queries", type=int, default=320)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    base = read_idx(FMNIST + "train-images-idx3-ubyte.gz", args.points)
    queries = read_idx(FMNIST + "t10k-images-idx3-ubyte.gz", args.queries)
    work = tempfile.mkdtemp(prefix="pdb-batch-api-")
    p = None
    try:
        p, rest, grpc = start_single(args.binary, work)
        g = ProximaDBClient(grpc, timeout=120)
        g.create_collection("bench", base.shape[1], distance_metric="euclidean",
                            indexing_algorithm="flat",
                            enable_background_flush=False)
        g.upsert("bench", base, ids=[f"p{i}" for i in range(len(base))])
        g.flush("bench")
        print(f"flat collection: {len(base)} x {base.shape[1]} in one "
              f"segment; {len(queries)} queries, batches of {args.batch}")
        out = {}
        for name, url in (("grpc", grpc), ("rest", rest)):
            c = ProximaDBClient(url, timeout=120)
            one_by_one(c, queries[:32])  # warm-up
            single, batch = [], []
            for r in range(args.runs):
                order = (0, 1) if r % 2 == 0 else (1, 0)
                for which in order:
                    if which == 0:
                        qps, ids_one = one_by_one(c, queries)
                        single.append(qps)
                    else:
                        qps, ids_batch = batched(c, queries, args.batch)
                        batch.append(qps)
                print(f"{name} run {r + 1}: one by one {single[-1]:.1f} QPS, "
                      f"batch {batch[-1]:.1f} QPS", flush=True)
            if ids_one != ids_batch:
                raise RuntimeError(f"{name}: the batch answered differently")
            s, b = statistics.median(single), statistics.median(batch)
            out[name] = (s, b)
            print(f"{name} median: one by one {s:.1f} QPS, batch of "
                  f"{args.batch} {b:.1f} QPS ({b / s:.2f}x)", flush=True)
    finally:
        if p is not None:
            p.terminate()
            p.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
