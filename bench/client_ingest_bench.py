#!/usr/bin/env python3
"""Client ingest throughput: the JavaScript client beside the Python client
(docs/BENCHMARKS.md, "Client ingest"). A benchmark, not a test: run it on a
quiet machine.

    bench/client_ingest_bench.py --binary build-bench/src/server/proximadb-server \
        [--points 100000] [--dim 128] [--chunk 1000] [--runs 3]

One server (the binary given, default configuration), one data set:
--points vectors of --dim uniform floats in [-1, 1) from a fixed seed
(written once as float32 and read by both clients), ids "p<i>", metadata
{"i": i, "tag": "t<i mod 10>"}. Each run, for each of Python REST, Python
gRPC, JS REST and JS gRPC (in rotating order), creates a fresh collection,
times the client's batch upsert of every point (--chunk per request, one
request at a time: each client's default) and drops the collection. The
Python client gets lists of floats, the JS client Float32Array views. The
JS client must be built (scripts/install-js-deps.sh). The Python client is
also run with the vectors as one 2-D numpy float32 array ("python-numpy":
its fast path, a packed float field built without a Python float per value
over gRPC). Prints points/s per client and transport: median of --runs, and
every run.
"""
import argparse
import array
import json
import os
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402

JS = os.path.join(ROOT, "bench", "js_client_ingest.mjs")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(binary, work):
    rest, grpc = free_port(), free_port()
    log = open(os.path.join(work, "server.log"), "w")
    p = subprocess.Popen([binary, "--data-dir", os.path.join(work, "data"),
                          "--bind", "127.0.0.1", "--rest-port", str(rest),
                          "--grpc-port", str(grpc)], stdout=log, stderr=log)
    for _ in range(600):
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{rest}/health"):
                return p, f"http://127.0.0.1:{rest}", f"grpc://127.0.0.1:{grpc}"
        except OSError:
            time.sleep(0.1)
    p.kill()
    raise RuntimeError("the server did not start")


def python_ingest(url, vectors, chunk):
    ids = [f"p{i}" for i in range(len(vectors))]
    meta = [{"i": i, "tag": f"t{i % 10}"} for i in range(len(vectors))]
    with ProximaDBClient(url) as c:
        t0 = time.perf_counter()
        r = c.batch_insert("ingest", vectors, ids, meta, chunk_size=chunk)
        seconds = time.perf_counter() - t0
    assert r.total_count == len(vectors), r
    return seconds


def js_ingest(url, data_file, n, dim, chunk):
    out = subprocess.run(["node", JS, url, "ingest", data_file, str(n),
                          str(dim), str(chunk)],
                         check=True, capture_output=True, text=True)
    return json.loads(out.stdout.strip().splitlines()[-1])["seconds"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--points", type=int, default=100000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--chunk", type=int, default=1000)
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    if not os.path.exists(os.path.join(ROOT, "clients", "js", "dist",
                                       "index.js")):
        sys.exit("clients/js is not built: run scripts/install-js-deps.sh")
    n, dim = args.points, args.dim
    rng = random.Random(20261207)
    flat = array.array("f", (rng.uniform(-1.0, 1.0) for _ in range(n * dim)))
    # The floats the server receives are the float32 values, for both.
    vectors = [flat[i * dim:(i + 1) * dim].tolist() for i in range(n)]
    work = tempfile.mkdtemp(prefix="pdb-client-ingest-")
    data_file = os.path.join(work, "vectors.f32")
    with open(data_file, "wb") as f:
        flat.tofile(f)
    server, rest, grpc = start_server(args.binary, work)
    matrix = np.frombuffer(flat.tobytes(), dtype=np.float32).reshape(n, dim)
    kinds = [("python", "rest"), ("python", "grpc"), ("python-numpy", "rest"),
             ("python-numpy", "grpc"), ("js", "rest"), ("js", "grpc")]
    rates = {k: [] for k in kinds}
    try:
        admin = ProximaDBClient(rest)
        for run in range(args.runs):
            order = kinds[run % len(kinds):] + kinds[:run % len(kinds)]
            for client, transport in order:
                admin.create_collection(name="ingest", dimension=dim,
                                        distance_metric="euclidean")
                url = rest if transport == "rest" else grpc
                if client == "python":
                    s = python_ingest(url, vectors, args.chunk)
                elif client == "python-numpy":
                    s = python_ingest(url, matrix, args.chunk)
                else:
                    s = js_ingest(url, data_file, n, dim, args.chunk)
                assert admin.count("ingest") == n
                admin.delete_collection("ingest")
                rates[(client, transport)].append(n / s)
                print(f"run {run + 1}: {client} {transport}: {n / s:,.0f} "
                      "points/s", flush=True)
        admin.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
        shutil.rmtree(work, ignore_errors=True)
    print(f"\n{n} points x {dim}, chunk {args.chunk}, median of {args.runs}:")
    print("| client | transport | points/s (median) | runs |")
    print("|---|---|---|---|")
    for k in kinds:
        print(f"| {k[0]} | {k[1]} | {statistics.median(rates[k]):,.0f} | " +
              ", ".join(f"{r:,.0f}" for r in rates[k]) + " |")


if __name__ == "__main__":
    main()
