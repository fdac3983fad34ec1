#!/usr/bin/env python3
"""A real 3-node ProximaDB cluster end to end (docs/CLUSTER.md).

Starts one with scripts/start-cluster.sh (its own etcd and 3-server NATS
JetStream cluster), then through the REST API of different nodes:
writes, reads and searches across 3 shards x 3 replicas; kills (SIGKILL) the
node that is the primary of shard 0 and checks that writes go on after the
failover, that nothing acknowledged is lost, and that the node catches up
when it comes back (its shards' streams were trimmed after snapshots while
it was down: it restores the snapshots, then follows the streams); adds a
fourth node under load (it
receives replicas) and drains it (they move back), losing nothing; restarts
every node in turn under load (a rolling restart), losing nothing; drops the
collection.

Usage: cluster_e2e_test.py SERVER_BINARY   (ctest label `cluster_e2e`)
"""
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from cluster_http import (all_ids, call, poll_cluster,  # noqa: E402
                          replicas_caught_up, run_script, succeeded,
                          wait_exited)
DIM = 16


def ok(status_body, what):
    status, body = status_body
    if not succeeded(status):
        raise AssertionError(f"{what}: HTTP {status}: {body}")
    return body


def check(cond, what):
    if not cond:
        raise AssertionError(what)
    print("ok:", what, flush=True)


def vec(rng):
    return [rng.uniform(-1, 1) for _ in range(DIM)]


class LoadWriter(threading.Thread):
    """Keeps writing batches of new points to the given nodes; acknowledged
    ones go into `points`, the others into `unknown_ids`."""

    def __init__(self, bases, points, rng):
        super().__init__(daemon=True)
        self.bases, self.points, self.rng = bases, points, rng
        self.stop, self.acked, self.failed = False, 0, 0
        self.unknown_ids = set()

    def run(self):
        b = 0
        while not self.stop:
            batch = {f"L{b}_{i}": vec(self.rng) for i in range(20)}
            status, _ = call(self.bases[b % len(self.bases)], "POST",
                             "/api/v1/collections/docs/vectors/batch",
                             {"vectors": [{"id": k, "vector": v}
                                          for k, v in batch.items()]})
            if succeeded(status):
                self.points.update(batch)
                self.acked += 1
            else:
                self.unknown_ids.update(batch)
                self.failed += 1
            b += 1
            time.sleep(0.02)

    def stop_and_join(self):
        self.stop = True
        self.join(timeout=60)


def verify_everywhere(bases, points, unknown_ids):
    """Every node counts and lists every acknowledged point, and nothing
    that was never sent (strong reads)."""
    for base in bases:
        c = ok(call(base, "POST", "/api/v1/collections/docs/count", {}),
               "count")  # always strong
        check(len(points) <= c["count"] <= len(points) + len(unknown_ids),
              f"every acknowledged point is counted on {base}")
        have = all_ids(base, "docs")
        check(set(points) <= have and have <= set(points) | unknown_ids,
              f"{base} has every acknowledged point and nothing never sent")


def holds(cl, node):
    """Replicas of `node` in the placement (moves' new replicas excluded)."""
    return sum(1 for s in cl["shards"] for r in s["replicas"]
               if r["node_id"] == node and r["state"] != "joining")


def settled_moves(cl):
    """No move under way and every replica caught up."""
    return all(len(s["replicas"]) == 3 for s in cl["shards"]) and \
        replicas_caught_up(cl)


def wait_for(pred, base, seconds):
    cl = poll_cluster(base, pred, seconds)
    if cl is None:
        check(False, f"the cluster reached the expected state within "
              f"{seconds} s (last: {poll_cluster.last})")
    return cl


def main():
    binary = sys.argv[1]
    workdir = tempfile.mkdtemp(prefix="pdb-cluster-e2e-")
    cdir = os.path.join(workdir, "cluster")
    rng = random.Random(7)
    try:
        # Small snapshot intervals, so that the streams are trimmed within
        # this test: a shard snapshot every 5 entries, 2 kept before it.
        out = run_script("start-cluster.sh", "--dir", cdir, "--nodes", "3",
                         "--shards", "3", "--replication", "3",
                         "--snapshot-interval", "5", "--retain", "2",
                         "--binary", binary)
        nodes = {}
        for line in out.splitlines():
            parts = line.split()
            if parts and parts[0] == "node":
                nodes[parts[1]] = {"rest": parts[2], "grpc": parts[3],
                                   "pid": int(parts[4])}
        check(len(nodes) == 3, "3 nodes started")
        n1, n2, n3 = (nodes[k]["rest"] for k in ("n1", "n2", "n3"))

        t0 = time.monotonic()
        ok(call(n1, "POST", "/api/v1/collections",
                {"name": "docs", "dimension": DIM, "distance_metric": "cosine"}),
           "create")
        print(f"create (3 shards x 3 replicas, primaries elected): "
              f"{time.monotonic() - t0:.2f} s")
        info = ok(call(n2, "GET", "/api/v1/collections/docs"), "get collection")
        check(info.get("name") == "docs", "another node sees the collection")
        status, _ = call(n3, "POST", "/api/v1/collections",
                         {"name": "docs", "dimension": DIM})
        check(status == 409, "creating it again on another node is 409")

        points = {}
        for b in range(10):
            batch = []
            for i in range(30):
                pid = f"p{b * 30 + i}"
                v = vec(rng)
                points[pid] = v
                batch.append({"id": pid, "vector": v, "metadata": {"b": b}})
            ok(call([n1, n2, n3][b % 3], "POST",
                    "/api/v1/collections/docs/vectors/batch",
                    {"vectors": batch}), "batch upsert")
        for base in (n1, n2, n3):
            c = ok(call(base, "POST", "/api/v1/collections/docs/count", {}),
                   "count")
            check(c["count"] == 300, f"count 300 on {base}")
        got = ok(call(n3, "GET", "/api/v1/collections/docs/vectors/p17"), "get")
        check(got["metadata"] == {"b": 0} and
              max(abs(a - b) for a, b in zip(got["vector"], points["p17"])) < 1e-6,
              "get on another node returns the point as written")
        c = ok(call(n2, "POST", "/api/v1/collections/docs/count",
                    {"filter": {"b": 3}}), "filtered count")
        check(c["count"] == 30, "filtered count across shards")
        for pid in ("p5", "p150", "p299"):
            hits = {}
            for base in (n1, n2, n3):
                r = ok(call(base, "POST", "/api/v1/collections/docs/search",
                            {"vector": points[pid], "k": 5, "exact": True}),
                       "search")
                hits[base] = [h["id"] for h in r["matches"]]
            check(all(h[0] == pid for h in hits.values()),
                  f"search for {pid}'s vector finds it first on every node")
            check(len({tuple(h) for h in hits.values()}) == 1,
                  f"every node returns the same top 5 for {pid}")
        r = ok(call(n1, "POST", "/api/v1/collections/docs/search",
                    {"vector": points["p40"], "k": 10, "exact": True,
                     "filter": {"b": 1}}), "filtered search")
        check(len(r["matches"]) == 10 and
              all(h["metadata"]["b"] == 1 for h in r["matches"]),
              "filtered search merges the shards' hits")
        ids = []
        after = ""
        while True:
            page = ok(call(n2, "POST", "/api/v1/collections/docs/scroll",
                           {"after_id": after, "limit": 70}), "scroll")
            ids += [p["id"] for p in page["points"]]
            after = page.get("next_after_id", "")
            if not after:
                break
        check(ids == sorted(points), "scroll pages through every point in id order")
        ok(call(n2, "PATCH", "/api/v1/collections/docs/vectors/p8",
                {"metadata": {"b": 0, "patched": True}}), "update metadata")
        got = ok(call(n1, "GET", "/api/v1/collections/docs/vectors/p8"), "get")
        check(got["metadata"] == {"b": 0, "patched": True},
              "a metadata update is seen on another node")
        d = ok(call(n3, "DELETE", "/api/v1/collections/docs/vectors",
                    {"ids": ["p1", "p2", "nope"]}), "delete")
        check(d["deleted_count"] == 2, "delete counts the ids that existed")
        del points["p1"], points["p2"]

        cl = ok(call(n1, "GET", "/api/v1/cluster"), "cluster status")
        check(cl["enabled"] and len(cl["nodes"]) == 3 and len(cl["shards"]) == 3,
              "GET /api/v1/cluster lists 3 nodes and 3 shards")
        check(all(s["primary"] for s in cl["shards"]), "every shard has a primary")
        metrics = ok(call(n2, "GET", "/metrics"), "metrics")  # text
        check("proximadb_cluster_nodes 3" in metrics and
              'proximadb_cluster_replica_lag{collection="docs",shard="2",node="n3"}'
              in metrics and
              "proximadb_cluster_shard_last_sequence" in metrics,
              "/metrics has the cluster's nodes, shards and replica lag")
        victim = cl["shards"][0]["primary"]
        survivors = [nodes[k]["rest"] for k in nodes if k != victim]
        print("killing", victim, "(primary of shard 0)")
        os.kill(nodes[victim]["pid"], signal.SIGKILL)
        t_kill = time.monotonic()

        # Writes go on: each batch is retried until it is acknowledged; the
        # time to the first acknowledged write that needs shard 0 is the
        # failover time as a client sees it.
        failover = None
        # 12 batches: more than two snapshot intervals of every shard, so the
        # streams no longer hold what the dead node last applied.
        for b in range(10, 22):
            batch = []
            for i in range(30):
                pid = f"p{b * 30 + i}"
                v = vec(rng)
                points[pid] = v
                batch.append({"id": pid, "vector": v, "metadata": {"b": b}})
            while True:
                status, body = call(survivors[b % 2], "POST",
                                    "/api/v1/collections/docs/vectors/batch",
                                    {"vectors": batch})
                if succeeded(status):
                    break
                check(status == 503, f"a write during failover is 503 ({body})")
                check(time.monotonic() - t_kill < 60, "failover within 60 s")
                time.sleep(0.2)
            if failover is None:
                failover = time.monotonic() - t_kill
        print(f"failover: first write acknowledged {failover:.2f} s after the kill")
        for base in survivors:
            c = ok(call(base, "POST", "/api/v1/collections/docs/count", {}), "count")
            check(c["count"] == len(points),
                  f"nothing acknowledged is lost ({len(points)} on {base})")

        # Each primary snapshots within a second of the interval passing;
        # the dead node applied at most 13 entries of a shard (10 batches,
        # the metadata update, the delete), so its streams no longer
        # reach back to it once they start after entry 13.
        cl = wait_for(lambda cl: all(s["snapshot_seq"] > 0 and s["snapshot_id"]
                                     and s["first_seq"] > 13
                                     for s in cl["shards"]),
                      survivors[0], 30)
        print("every shard has a snapshot and a trimmed stream "
              f"{[(s['first_seq'], s['snapshot_seq']) for s in cl['shards']]}")
        metrics = ok(call(survivors[0], "GET", "/metrics"), "metrics")
        check('proximadb_cluster_shard_snapshot_sequence{collection="docs",shard="0"}'
              in metrics and "proximadb_cluster_shard_first_sequence" in metrics,
              "/metrics has the shards' snapshot and first sequences")
        out = run_script("start-cluster.sh", "--dir", cdir, "--node",
                         victim[1:], "--binary", binary)
        nodes[victim]["pid"] = int(out.split()[4])
        back = nodes[victim]["rest"]
        wait_for(lambda cl: replicas_caught_up(cl, victim), back, 60)
        with open(os.path.join(cdir, "node" + victim[1:], "server.log")) as f:
            restored = f.read().count("restored from snapshot")
        check(restored >= 1, f"{victim} caught up: {restored} of its replicas "
              f"restored a shard snapshot first, the others followed the logs")
        c = ok(call(back, "POST", "/api/v1/collections/docs/count", {}), "count")
        check(c["count"] == len(points), "the returned node counts every point")
        for pid in ("p3", "p350", "p419"):
            r = ok(call(back, "POST", "/api/v1/collections/docs/search",
                        {"vector": points[pid], "k": 1, "exact": True,
                         "consistency": "eventual"}), "search")
            check(r["matches"][0]["id"] == pid,
                  f"the returned node's own replicas find {pid}")

        # A node added under load receives replicas; draining it moves them
        # back; nothing acknowledged is lost on the way.
        live = [nodes[k]["rest"] for k in sorted(nodes)]
        load = LoadWriter(live, points, rng)
        load.start()
        out = run_script("start-cluster.sh", "--dir", cdir, "--add",
                         "--binary", binary)
        parts = out.split()
        check(parts[1] == "n4", "start-cluster.sh --add starts node n4")
        nodes["n4"] = {"rest": parts[2], "grpc": parts[3], "pid": int(parts[4])}
        n4 = nodes["n4"]["rest"]
        t_join = time.monotonic()
        settled = wait_for(lambda cl: holds(cl, "n4") == 2 and settled_moves(cl),
                           n1, 90)
        print(f"join: n4 holds 2 replicas, caught up, "
              f"{time.monotonic() - t_join:.2f} s after it started")
        check(all(len([r for r in s["replicas"]]) == 3 for s in settled["shards"]),
              "every shard still has 3 replicas after the moves")
        node4 = [n for n in settled["nodes"] if n["id"] == "n4"][0]
        check(node4["replicas"] == 2 and not node4["draining"],
              "GET /api/v1/cluster counts n4's replicas")
        ok(call(n2, "POST", "/api/v1/cluster/nodes/n4/drain"), "drain n4")
        t_drain = time.monotonic()
        drained = wait_for(lambda cl: holds(cl, "n4") == 0 and settled_moves(cl),
                           n3, 90)
        print(f"drain: n4 holds nothing {time.monotonic() - t_drain:.2f} s "
              f"after the request")
        node4 = [n for n in drained["nodes"] if n["id"] == "n4"][0]
        check(node4["draining"] and node4["replicas"] == 0,
              "a drained node is listed as draining with no replicas")
        load.stop_and_join()
        check(load.acked > 0, f"writes went on during the moves ({load.acked} "
              f"batches acknowledged, {load.failed} not)")
        verify_everywhere(live + [n4], points, load.unknown_ids)

        # A rolling restart of every node that holds replicas (SIGTERM,
        # start again, wait until the cluster is caught up, next) under
        # load loses nothing.
        unknown = set(load.unknown_ids)
        load = LoadWriter(live, points, rng)
        load.start()
        t_roll = time.monotonic()
        for k in ("n1", "n2", "n3"):
            os.kill(nodes[k]["pid"], signal.SIGTERM)
            check(wait_exited(nodes[k]["pid"], 60), f"{k} stops within 60 s")
            out = run_script("start-cluster.sh", "--dir", cdir, "--node",
                             k[1:], "--binary", binary)
            nodes[k]["pid"] = int(out.split()[4])
            wait_for(settled_moves, nodes[k]["rest"], 90)
        load.stop_and_join()
        print(f"rolling restart of n1, n2, n3: {time.monotonic() - t_roll:.1f} "
              f"s, {load.acked} batches acknowledged meanwhile, "
              f"{load.failed} not")
        check(load.acked > 0, "writes went on during the rolling restart")
        verify_everywhere(live + [n4], points, unknown | load.unknown_ids)
        ok(call(n2, "DELETE", "/api/v1/cluster/nodes/n4/drain"), "undrain n4")

        ok(call(n1 if victim != "n1" else n2, "DELETE",
                "/api/v1/collections/docs"), "drop")
        status, _ = call(back, "GET", "/api/v1/collections/docs")
        check(status == 404, "the dropped collection is gone on every node")
        print("cluster e2e: all checks passed")
        return 0
    finally:
        subprocess.run([os.path.join(ROOT, "scripts/stop-cluster.sh"), "--dir",
                        cdir, "--keep"], check=False)
        if os.environ.get("PDB_KEEP_CLUSTER_LOGS"):
            print("logs kept in", workdir)
        else:
            subprocess.run([os.path.join(ROOT, "scripts/stop-cluster.sh"),
                            "--dir", cdir], check=False)
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
