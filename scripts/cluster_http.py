"""What the cluster scripts and tests share (scripts/cluster-fault-loop.py,
tests/cluster_e2e/cluster_e2e_test.py, bench/cluster_bench.py): one REST
call, every id of a collection, waiting for a cluster state, and running
another script of scripts/. Standard library only (machines have no
PyPI)."""

import json
import os
import subprocess
import time
import urllib.error
import urllib.request

SCRIPTS = os.path.dirname(os.path.abspath(__file__))


def call(base, method, path, body=None, timeout=15):
    """One REST call: (HTTP status, the body as JSON, else as text).
    Status 0 when there was no answer (refused, reset, timed out), with the
    reason as the body."""
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(base + path, data=data, method=method,
                                 headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            status, text = r.status, r.read()
    except urllib.error.HTTPError as e:
        status, text = e.code, e.read()
    except (urllib.error.URLError, OSError) as e:
        return 0, str(e)
    if not text:
        return status, None
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text.decode(errors="replace")


def all_ids(base, collection, limit=1000):
    """Every id of `collection` through node `base`: scroll pages with
    "strong" consistency. RuntimeError when a page fails."""
    ids, after = set(), ""
    while True:
        status, page = call(base, "POST",
                            f"/api/v1/collections/{collection}/scroll",
                            {"after_id": after, "limit": limit,
                             "consistency": "strong"}, timeout=60)
        if status != 200:
            raise RuntimeError(f"scroll on {base}: {status} {page}")
        ids.update(p["id"] for p in page["points"])
        after = page.get("next_after_id", "")
        if not after:
            return ids


def poll_cluster(base, pred, seconds, interval=0.2):
    """Asks node `base` for the cluster (GET /api/v1/cluster) until
    `pred(status)` holds: that status, or None after `seconds` (the last
    status answered, if any, is in poll_cluster.last)."""
    deadline = time.monotonic() + seconds
    poll_cluster.last = None
    while True:
        status, cl = call(base, "GET", "/api/v1/cluster")
        if status == 200:
            poll_cluster.last = cl
            if pred(cl):
                return cl
        if time.monotonic() >= deadline:
            return None
        time.sleep(interval)


def replicas_caught_up(cl, node=None):
    """Every replica (of `node`, when given) reported and at lag 0, and
    every shard has a primary."""
    reps = [r for s in cl["shards"] for r in s["replicas"]
            if node is None or r["node_id"] == node]
    return bool(reps) and all(r["reported"] and r["lag"] == 0 for r in reps) \
        and all(s["primary"] for s in cl["shards"])


def exited(pid):
    """Whether process `pid` is gone (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def wait_exited(pid, seconds):
    """Waits up to `seconds` for process `pid` to end; whether it did."""
    deadline = time.monotonic() + seconds
    while not exited(pid):
        if time.monotonic() >= deadline:
            return False
        time.sleep(0.05)
    return True


def add_snapshot_options(ap):
    """--snapshot-interval / --retain: the nodes' shard snapshot settings
    (docs/CLUSTER.md, "Snapshots and stream retention"), passed on to
    start-cluster.sh by snapshot_options()."""
    ap.add_argument("--snapshot-interval", type=int, default=10000,
                    help="[cluster] snapshot_interval_entries of the nodes")
    ap.add_argument("--retain", type=int, default=10000,
                    help="[cluster] stream_retain_entries of the nodes")


def snapshot_options(a):
    return ["--snapshot-interval", str(a.snapshot_interval),
            "--retain", str(a.retain)]


def succeeded(status):
    return 200 <= status < 300


def run_script(*args):
    """Runs scripts/<args[0]> with the other arguments; its stdout, or
    RuntimeError with both outputs when it fails."""
    r = subprocess.run([os.path.join(SCRIPTS, args[0]), *args[1:]],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{args[0]} failed ({r.returncode}):\n"
                           f"{r.stdout}\n{r.stderr}")
    return r.stdout
