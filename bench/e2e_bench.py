#!/usr/bin/env python3
"""ProximaDB end to end against LanceDB (docs/BENCHMARKS.md, "End to end
against LanceDB"). A benchmark, not a test: run it on a quiet machine.

    bench/e2e_bench.py --binary build-bench/src/server/proximadb-server \
        [--rounds 5] [--queries 1000] [--ef 16,32,64,128,256] \
        [--lancedb-ef 16,32,64,128,256] [--synthetic N --dim D]

Data: Fashion-MNIST (Debian's dataset-fashion-mnist: 60,000 base images,
the first --queries test images as queries, 784 floats each), or
--synthetic N clustered points of --dim floats (fixed seed). The exact 10
nearest neighbours (L2) are computed here with numpy.

Each round runs, one after the other on the same files (the order
alternates between rounds):

* LanceDB 0.31.0 embedded, from Node (bench/lancedb/lancedb_bench.mjs;
  `npm ci` in bench/lancedb first): one Arrow batch in, an IVF_HNSW_SQ
  index (1 partition, m 16, ef_construction 200), queries one at a time.
* ProximaDB: a fresh server (the binary given, default configuration but a
  flush policy that keeps the 60k points in one segment) and the Python
  client (clients/python). Ingest over gRPC in batches of 1,000, flush, and
  wait until the segment's HNSW graph (m 16, ef_construction 200) is
  loaded: "time to searchable". `--quantization int8` makes it walk 8-bit
  codes and re-score on the floats, like LanceDB's scalar-quantized
  `IVF_HNSW_SQ` (default: none, float vectors). Then queries one at a
  time, over gRPC and over REST, against the same server.

For every ef: recall@10, QPS (median of 3 passes over the queries) and the
p50 / p99 latency of that pass, client-side. Reported per round and as the
median over rounds: ingest, index build, time to searchable (ingest +
build), QPS and p99 at recall 0.95 and 0.99 (the lowest ef reaching it),
bytes on disk. Prints a JSON summary at the end.
"""
import argparse
import gzip
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from proximadb import ProximaDBClient  # noqa: E402
from cluster_bench import start_single  # noqa: E402 (same directory)

LANCE_DIR = os.path.join(ROOT, "bench", "lancedb")
FMNIST = "/usr/share/datasets/fashion-mnist/"


def read_idx(path, limit=None):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    n, rows, cols = (int.from_bytes(raw[4 + 4 * i:8 + 4 * i], "big")
                     for i in range(3))
    n = min(n, limit) if limit else n
    a = np.frombuffer(raw, dtype=np.uint8, count=n * rows * cols, offset=16)
    return a.reshape(n, rows * cols).astype(np.float32)


def clustered(n, dim, seed):
    rng = np.random.default_rng(42)
    centres = 3 * rng.normal(size=(100, dim)).astype(np.float32)
    rng = np.random.default_rng(seed)
    which = rng.integers(0, 100, size=n)
    return centres[which] + rng.normal(size=(n, dim)).astype(np.float32)


def ground_truth(base, queries, k=10):
    bn = (base * base).sum(1)
    out = np.empty((len(queries), k), dtype=np.uint32)
    for s in range(0, len(queries), 100):
        q = queries[s:s + 100]
        d = bn[None, :] - 2 * q @ base.T
        part = np.argpartition(d, k, axis=1)[:, :k]
        order = np.take_along_axis(d, part, 1).argsort(1)
        out[s:s + 100] = np.take_along_axis(part, order, 1)
    return out


def du(path):
    total = 0
    for d, _, files in os.walk(path):
        for f in files:
            try:
                total += os.path.getsize(os.path.join(d, f))
            except OSError:
                pass
    return total


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def at_recall(curve, target):
    """The first point (lowest ef) with recall >= target, or None."""
    for p in curve:
        if p["recall"] >= target:
            return p
    return None


def run_lancedb(prefix, dim, efs, workdir):
    d = os.path.join(workdir, "lance")
    shutil.rmtree(d, ignore_errors=True)
    env = dict(os.environ, LANCE_INCLUDE_VECTOR_CENTROIDS="false")
    r = subprocess.run(
        ["node", os.path.join(LANCE_DIR, "lancedb_bench.mjs"), "--data",
         prefix, "--dim", str(dim), "--dir", d, "--ef",
         ",".join(map(str, efs))],
        capture_output=True, text=True, env=env)
    if r.returncode != 0:
        raise RuntimeError(f"lancedb_bench failed:\n{r.stderr[-3000:]}")
    out = json.loads(r.stdout.strip().splitlines()[-1])
    out["searchable_s"] = out["ingest_s"] + out["index_s"]
    shutil.rmtree(d, ignore_errors=True)
    return out


def query_curve(url, queries, gt, efs):
    c = ProximaDBClient(url, timeout=60)
    for q in queries[:100]:  # warm-up
        c.search("bench", q, k=10, ef_search=efs[0], include_metadata=False)
    curve = []
    for ef in efs:
        passes, recall = [], 0.0
        for _ in range(3):
            lat, hits = [], 0
            t0 = time.perf_counter()
            for i, q in enumerate(queries):
                s = time.perf_counter()
                res = c.search("bench", q, k=10, ef_search=ef,
                               include_metadata=False)
                lat.append((time.perf_counter() - s) * 1000)
                truth = set(gt[i].tolist())
                hits += sum(1 for r in res if int(r.id) in truth)
            secs = time.perf_counter() - t0
            recall = hits / (10 * len(queries))
            passes.append({"qps": len(queries) / secs, "p50_ms": pct(lat, 50),
                           "p99_ms": pct(lat, 99)})
        passes.sort(key=lambda p: p["qps"])
        curve.append({"ef": ef, "recall": recall, **passes[1]})
    c.close()
    return curve


def stop_server(p):
    """SIGTERM, then SIGKILL if it has not exited within two minutes."""
    p.terminate()
    try:
        p.wait(timeout=120)
    except subprocess.TimeoutExpired:
        p.kill()


def run_proximadb(binary, base, queries, gt, efs, workdir, quantization):
    n, dim = base.shape
    data = os.path.join(workdir, "single")  # start_single's data directory
    shutil.rmtree(data, ignore_errors=True)
    p, rest, grpc = start_single(binary, workdir)
    try:
        c = ProximaDBClient(grpc, timeout=600)
        c.create_collection("bench", dim, "euclidean", m=16,
                            quantization=quantization,
                            ef_construction=200, max_vector_count=n + 1,
                            max_wal_size_mb=4096)
        ids = [str(i) for i in range(n)]
        t = time.perf_counter()
        c.batch_insert("bench", base, ids=ids, chunk_size=1000)
        ingest = time.perf_counter() - t
        t = time.perf_counter()
        c.flush("bench")
        while True:
            segs = c.list_segments("bench")
            if segs and all(s.graph_loaded for s in segs):
                break
            time.sleep(0.05)
        index = time.perf_counter() - t
        c.close()
        out = {"peer": "proximadb", "ingest_s": ingest, "index_s": index,
               "searchable_s": ingest + index, "segments": len(segs),
               "disk_bytes": du(data)}
        out["grpc"] = query_curve(grpc, queries, gt, efs)
        out["rest"] = query_curve(rest, queries, gt, efs)
        return out
    finally:
        stop_server(p)
        shutil.rmtree(data, ignore_errors=True)


def summary_row(name, curve, extra):
    row = dict(extra)
    for target in (0.95, 0.99):
        pt = at_recall(curve, target)
        row[f"qps@{target}"] = pt["qps"] if pt else None
        row[f"p50_ms@{target}"] = pt["p50_ms"] if pt else None
        row[f"p99_ms@{target}"] = pt["p99_ms"] if pt else None
        row[f"ef@{target}"] = pt["ef"] if pt else None
    row["name"] = name
    return row


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--queries", type=int, default=1000)
    ap.add_argument("--ef", default="16,32,64,128,256")
    ap.add_argument("--lancedb-ef", default="16,32,64,128,256")
    ap.add_argument("--synthetic", type=int, default=0)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--workdir", default="")
    ap.add_argument("--quantization", default="none",
                    choices=["none", "int8", "binary", "pq"])
    a = ap.parse_args()
    if not os.path.isdir(os.path.join(LANCE_DIR, "node_modules")):
        sys.exit("run `npm ci` in bench/lancedb first")
    workdir = a.workdir or tempfile.mkdtemp(prefix="pdb-e2e-")
    if a.synthetic:
        base = clustered(a.synthetic, a.dim, 43)
        queries = clustered(a.queries, a.dim, 44)
        dataset = f"synthetic clustered {a.synthetic} x {a.dim}"
    else:
        base = read_idx(FMNIST + "train-images-idx3-ubyte.gz")
        queries = read_idx(FMNIST + "t10k-images-idx3-ubyte.gz", a.queries)
        dataset = "Fashion-MNIST 60000 x 784"
    if a.quantization != "none":
        dataset += f"; ProximaDB quantization {a.quantization}"
    t = time.perf_counter()
    gt = ground_truth(base, queries)
    print(f"{dataset}, {len(queries)} queries; ground truth in "
          f"{time.perf_counter() - t:.1f} s; load average "
          f"{os.getloadavg()[0]:.2f}", flush=True)
    prefix = os.path.join(workdir, "data")
    base.tofile(prefix + ".base.f32")
    queries.tofile(prefix + ".queries.f32")
    gt.tofile(prefix + ".gt.u32")
    efs = [int(x) for x in a.ef.split(",")]
    lefs = [int(x) for x in a.lancedb_ef.split(",")]

    rows = {"lancedb": [], "proximadb-grpc": [], "proximadb-rest": []}
    for r in range(a.rounds):
        order = ["lancedb", "proximadb"] if r % 2 == 0 else \
            ["proximadb", "lancedb"]
        for who in order:
            load = os.getloadavg()[0]
            if who == "lancedb":
                out = run_lancedb(prefix, base.shape[1], lefs, workdir)
                rows["lancedb"].append(summary_row("lancedb", out["curve"], {
                    k: out[k] for k in ("ingest_s", "index_s", "searchable_s",
                                        "disk_bytes")}))
                curves = {"lancedb": out["curve"]}
            else:
                out = run_proximadb(a.binary, base, queries, gt, efs, workdir,
                                    a.quantization)
                extra = {k: out[k] for k in ("ingest_s", "index_s",
                                             "searchable_s", "disk_bytes",
                                             "segments")}
                for tr in ("grpc", "rest"):
                    rows[f"proximadb-{tr}"].append(
                        summary_row(f"proximadb-{tr}", out[tr], extra))
                curves = {"proximadb-grpc": out["grpc"],
                          "proximadb-rest": out["rest"]}
            for name, curve in curves.items():
                print(f"round {r + 1} {name} (load {load:.2f}): " +
                      ", ".join(f"ef {p['ef']}: {p['recall']:.4f} / "
                                f"{p['qps']:.0f} qps / p50 {p['p50_ms']:.2f} ms / "
                                f"p99 {p['p99_ms']:.2f} ms"
                                for p in curve), flush=True)
                last = rows[name][-1]
                print(f"  ingest {last['ingest_s']:.2f} s, index "
                      f"{last['index_s']:.2f} s, disk "
                      f"{last['disk_bytes'] / 1e6:.1f} MB", flush=True)

    def med(name, key):
        xs = [x[key] for x in rows[name] if x[key] is not None]
        return statistics.median(xs) if len(xs) == len(rows[name]) else None

    keys = ["ingest_s", "index_s", "searchable_s", "disk_bytes", "qps@0.95",
            "p50_ms@0.95", "p99_ms@0.95", "qps@0.99", "p50_ms@0.99",
            "p99_ms@0.99"]
    summary = {name: {k: med(name, k) for k in keys} for name in rows}
    print(f"\nmedians over {a.rounds} rounds ({dataset}; load average now "
          f"{os.getloadavg()[0]:.2f}):")
    for name, s in summary.items():
        print(f"{name:16s} " + "  ".join(
            f"{k} {'n/a' if v is None else round(v, 3)}" for k, v in s.items()))
    lq = summary["lancedb"]
    for tr in ("grpc", "rest"):
        s = summary[f"proximadb-{tr}"]
        for target in ("0.95", "0.99"):
            a_, b_ = s[f"qps@{target}"], lq[f"qps@{target}"]
            if a_ and b_:
                print(f"ProximaDB {tr} / LanceDB QPS at recall {target}: "
                      f"{a_ / b_:.2f}x")
    print(json.dumps({"dataset": dataset, "rounds": rows, "medians": summary}))
    shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    main()
