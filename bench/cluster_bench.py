#!/usr/bin/env python3
"""Cluster mode end to end, beside a single node (docs/BENCHMARKS.md,
"Cluster: end to end"). A benchmark, not a test: run it on a quiet machine.

    bench/cluster_bench.py --binary build/src/server/proximadb-server \
        [--runs 3] [--writes 300] [--search-points 100000] \
        [--catchup-points 1000000] [--dim 128] \
        [--snapshot-interval 10000] [--retain 10000]

Every server runs on this machine (loopback); the client is the Python
client (clients/python) over gRPC, the same for every configuration.

1. Write latency: one client sends `--writes` batches of 100 points
   (`--dim` floats, a small metadata object) one after the other, then 4
   clients do the same at once; p50 and p99 of the per-batch latency and
   the points/s. Against: a single-node server (`[cluster] enabled =
   false`), and a 3-node cluster (scripts/start-cluster.sh) with a
   collection of 1 shard x 3 replicas and one of 3 shards x 3 replicas.
2. Search latency: `--search-points` clustered points (fixed seed) in each
   of the three collections, flushed (every replica builds its HNSW
   graphs: a single node is waited for until its segment's graph is
   loaded, a cluster gets --settle seconds, then 100 warm-up queries);
   500 queries near stored points, k = 10, one client, eventual
   consistency (the node's own replica); p50 and p99, and recall@10
   against exact search (same default ef_search everywhere).
3. Catch-up: in a 3 shards x 3 replicas collection, one node is killed
   (SIGKILL), `--catchup-points` points are written through the others,
   the node is started again, and the time until every one of its
   replicas reports lag 0 is measured (from the start of its process, and
   from when it was ready), as seconds per million points. The nodes'
   shard snapshots (docs/CLUSTER.md, "Snapshots and stream retention")
   follow --snapshot-interval / --retain: with an interval below the
   entries written while the node is down, it restores snapshots first.

Prints one line per measurement and a JSON summary (medians over `--runs`
for 1 and 2) at the end.
"""
import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

import numpy as np

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
sys.path.insert(0, os.path.join(ROOT, "clients", "python"))
from cluster_http import (add_snapshot_options, call,  # noqa: E402
                          poll_cluster, replicas_caught_up, run_script,
                          snapshot_options)
from proximadb import ProximaDBClient  # noqa: E402

BATCH = 100


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def start_single(binary, workdir):
    rest, grpc = free_port(), free_port()
    data = os.path.join(workdir, "single")
    os.makedirs(data)
    cfg = os.path.join(workdir, "single.toml")
    with open(cfg, "w") as f:
        f.write(f'[server]\nbind_address = "127.0.0.1"\n[storage]\n'
                f'data_directory = "{data}"\n[api]\nrest_port = {rest}\n'
                f'grpc_port = {grpc}\n')
    log = open(os.path.join(workdir, "single.log"), "w")
    p = subprocess.Popen([binary, "--config", cfg], stdout=log, stderr=log)
    for _ in range(600):
        status, _ = call(f"http://127.0.0.1:{rest}", "GET", "/health")
        if status == 200:
            return p, f"http://127.0.0.1:{rest}", f"grpc://127.0.0.1:{grpc}"
        time.sleep(0.1)
    raise RuntimeError("the single-node server did not start")


def clustered(n, dim, seed):
    """n points around 100 centres (the bench's usual synthetic data)."""
    rng = np.random.default_rng(seed)
    centres = rng.normal(size=(100, dim)).astype(np.float32)
    which = rng.integers(0, 100, size=n)
    return (centres[which] +
            0.3 * rng.normal(size=(n, dim)).astype(np.float32))


def pct(xs, p):
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(p / 100 * (len(xs) - 1))))]


def write_latency(url, collection, dim, writes, clients, seed):
    """Per-batch latencies (ms) of `clients` concurrent writers and the
    points/s of the whole run."""
    lat, lock = [], threading.Lock()

    def worker(w):
        c = ProximaDBClient(url, timeout=60)
        vecs = clustered(writes * BATCH, dim, seed + w)
        mine = []
        for b in range(writes):
            ids = [f"w{seed}_{w}_{b}_{i}" for i in range(BATCH)]
            meta = [{"b": b, "w": w}] * BATCH
            t = time.perf_counter()
            c.upsert(collection, vecs[b * BATCH:(b + 1) * BATCH], ids=ids,
                     metadata=meta, chunk_size=BATCH)
            mine.append((time.perf_counter() - t) * 1000)
        c.close()
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=worker, args=(w,)) for w in range(clients)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    secs = time.perf_counter() - t0
    return lat, clients * writes * BATCH / secs


def load(url, collection, vecs, chunk=1000):
    c = ProximaDBClient(url, timeout=300)
    for s in range(0, len(vecs), chunk):
        part = vecs[s:s + chunk]
        c.upsert(collection, part, ids=[f"p{s + i}" for i in range(len(part))],
                 chunk_size=chunk)
    c.flush(collection)
    c.close()


def search_latency(url, collection, queries, truth=None):
    c = ProximaDBClient(url, timeout=60)
    lat, hits = [], []
    for q in queries:
        t = time.perf_counter()
        r = c.search(collection, q, k=10, include_metadata=False,
                     consistency="eventual")
        lat.append((time.perf_counter() - t) * 1000)
        hits.append([m.id for m in r])
    exact = truth or [[m.id for m in c.search(collection, q, k=10, exact=True,
                                              include_metadata=False,
                                              consistency="eventual")]
                      for q in queries]
    c.close()
    recall = statistics.mean(len(set(h) & set(e)) / 10
                             for h, e in zip(hits, exact))
    return lat, recall, exact


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--binary", required=True)
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--writes", type=int, default=300)
    ap.add_argument("--search-points", type=int, default=100000)
    ap.add_argument("--catchup-points", type=int, default=1000000)
    ap.add_argument("--dim", type=int, default=128)
    ap.add_argument("--settle", type=float, default=60,
                    help="seconds a cluster's replicas get to build their "
                    "graphs after the load")
    add_snapshot_options(ap)
    ap.add_argument("--skip", default="",
                    help="comma list of parts to skip: write,search,catchup")
    a = ap.parse_args()
    skip = set(filter(None, a.skip.split(",")))
    workdir = tempfile.mkdtemp(prefix="pdb-cluster-bench-")
    cdir = os.path.join(workdir, "cluster")
    single = None
    summary = {"load_average_start": os.getloadavg()}
    try:
        single, single_rest, single_grpc = start_single(a.binary, workdir)
        out = run_script("start-cluster.sh", "--dir", cdir, "--nodes", "3",
                         *snapshot_options(a), "--binary", a.binary)
        nodes = {}
        for line in out.splitlines():
            p = line.split()
            if p and p[0] == "node":
                nodes[p[1]] = {"rest": p[2], "grpc": "grpc://" + p[3],
                               "pid": int(p[4])}
        n1 = nodes["n1"]
        targets = {  # name -> (client url, shards, rf)
            "single node": (single_grpc, None, None),
            "cluster 1 shard x 3 replicas": (n1["grpc"], 1, 3),
            "cluster 3 shards x 3 replicas": (n1["grpc"], 3, 3),
        }

        def create(url, name, shards, rf):
            c = ProximaDBClient(url, timeout=60)
            c.delete_collection(name, missing_ok=True)
            kw = {} if shards is None else {"shard_count": shards,
                                            "replication_factor": rf}
            c.create_collection(name, a.dim, "euclidean", **kw)
            c.close()

        if "write" not in skip:
            res = {}
            for run in range(a.runs):
                for label, (url, shards, rf) in targets.items():
                    for clients in (1, 4):
                        name = f"w{run}_{clients}"
                        create(url, name, shards, rf)
                        lat, pps = write_latency(url, name, a.dim, a.writes,
                                                 clients, 1000 * run + clients)
                        r = (pct(lat, 50), pct(lat, 99), pps)
                        res.setdefault((label, clients), []).append(r)
                        print(f"write run {run + 1} {label}, {clients} "
                              f"client(s): p50 {r[0]:.2f} ms, p99 {r[1]:.2f} "
                              f"ms, {r[2]:,.0f} points/s", flush=True)
                        ProximaDBClient(url).delete_collection(name)
            summary["write"] = [
                {"target": label, "clients": clients,
                 "p50_ms": statistics.median(x[0] for x in rs),
                 "p99_ms": statistics.median(x[1] for x in rs),
                 "points_per_s": statistics.median(x[2] for x in rs)}
                for (label, clients), rs in res.items()]

        if "search" not in skip:
            vecs = clustered(a.search_points, a.dim, 42)
            rng = np.random.default_rng(7)
            queries = vecs[rng.integers(0, len(vecs), 500)] + \
                0.05 * rng.normal(size=(500, a.dim)).astype(np.float32)
            res = {}
            for label, (url, shards, rf) in targets.items():
                create(url, "s", shards, rf)
                t = time.perf_counter()
                load(url, "s", vecs)
                print(f"search: loaded and flushed {label} in "
                      f"{time.perf_counter() - t:.1f} s", flush=True)
                # The flushed segment's HNSW graph is built in the
                # background: until then a search scans. A single node says
                # when its graph is there; a cluster's replicas (3 graphs
                # on this machine's cores) get --settle seconds.
                t = time.perf_counter()
                c = ProximaDBClient(url, timeout=60)
                if shards is None:
                    while not all(sg.graph_loaded for sg in c.list_segments("s")):
                        time.sleep(0.5)
                else:
                    time.sleep(a.settle)
                c.close()
                print(f"search: waited {time.perf_counter() - t:.1f} s for the "
                      f"graphs", flush=True)
                search_latency(url, "s", queries[:100])  # warm-up
                truth = None
                for run in range(a.runs):
                    lat, recall, truth = search_latency(url, "s", queries,
                                                        truth)
                    r = (pct(lat, 50), pct(lat, 99), recall)
                    res.setdefault(label, []).append(r)
                    print(f"search run {run + 1} {label}: p50 {r[0]:.2f} ms, "
                          f"p99 {r[1]:.2f} ms, recall@10 {r[2]:.3f}",
                          flush=True)
                ProximaDBClient(url).delete_collection("s")
            summary["search"] = [
                {"target": label,
                 "p50_ms": statistics.median(x[0] for x in rs),
                 "p99_ms": statistics.median(x[1] for x in rs),
                 "recall_at_10": statistics.median(x[2] for x in rs)}
                for label, rs in res.items()]

        if "catchup" not in skip:
            create(n1["grpc"], "c", 3, 3)
            victim = nodes["n3"]
            os.kill(victim["pid"], signal.SIGKILL)
            time.sleep(6)  # its lease expires; its primaries move
            vecs = clustered(a.catchup_points, a.dim, 9)
            t = time.perf_counter()
            parts = np.array_split(np.arange(len(vecs)), 2)
            urls = [nodes["n1"]["grpc"], nodes["n2"]["grpc"]]

            def writer(i):
                c = ProximaDBClient(urls[i], timeout=300)
                idx = parts[i]
                for s in range(idx[0], idx[-1] + 1, 1000):
                    e = min(s + 1000, idx[-1] + 1)
                    c.upsert("c", vecs[s:e],
                             ids=[f"c{j}" for j in range(s, e)],
                             chunk_size=1000)
                c.close()
            ws = [threading.Thread(target=writer, args=(i,)) for i in (0, 1)]
            for w in ws:
                w.start()
            for w in ws:
                w.join()
            write_s = time.perf_counter() - t
            print(f"catch-up: wrote {len(vecs):,} points with n3 down in "
                  f"{write_s:.1f} s", flush=True)
            t_start = time.monotonic()
            line = run_script("start-cluster.sh", "--dir", cdir, "--node",
                              "3", "--binary", a.binary).split()
            t_ready = time.monotonic()
            victim["pid"] = int(line[4])
            if poll_cluster(nodes["n1"]["rest"],
                            lambda cl: replicas_caught_up(cl, "n3"), 3600,
                            interval=0.1) is None:
                raise RuntimeError("n3 did not catch up within an hour")
            done = time.monotonic()
            log = os.path.join(cdir, "node3", "server.log")
            with open(log) as f:
                restores = f.read().count("restored from snapshot")
            print(f"catch-up: n3 restored {restores} of its 3 replicas from "
                  f"shard snapshots", flush=True)
            per_m = (done - t_start) / (len(vecs) / 1e6)
            print(f"catch-up: n3 at lag 0 {done - t_start:.1f} s after its "
                  f"start ({done - t_ready:.1f} s after ready): {per_m:.1f} s "
                  f"per million points", flush=True)
            summary["catchup"] = {
                "points": len(vecs), "write_s": write_s,
                "from_start_s": done - t_start, "from_ready_s": done - t_ready,
                "s_per_million": per_m, "snapshot_restores": restores}
        summary["load_average_end"] = os.getloadavg()
        print(json.dumps(summary, indent=1))
        return 0
    finally:
        if single is not None:
            single.send_signal(signal.SIGTERM)
            try:
                single.wait(120)
            except subprocess.TimeoutExpired:
                single.kill()
        subprocess.run([os.path.join(ROOT, "scripts", "stop-cluster.sh"),
                        "--dir", cdir], check=False)


if __name__ == "__main__":
    sys.exit(main())
