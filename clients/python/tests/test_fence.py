"""Damaged collections as a client sees them (docs/OPERATIONS.md, "Damaged
and recovering collections"): after a kill -9 and a damaged WAL, the server
starts with that collection fenced and untouched, the others serve, both
transports list it with its state and reason and refuse requests naming it
(409 / FAILED_PRECONDITION), /health counts it, and a drop moves its files
into the quarantine."""
import glob
import os
import signal

import pytest

from conftest import _binary
from proximadb import FailedPrecondition, ProximaDBClient
from test_quarantine import _Server




def _files(d: str) -> dict:
    out = {}
    for p in sorted(glob.glob(os.path.join(d, "**"), recursive=True)):
        if os.path.isfile(p):
            with open(p, "rb") as f:
                out[os.path.relpath(p, d)] = f.read()
    return out


def test_a_damaged_collection_is_fenced_and_the_others_serve(restart_data_dir: str) -> None:
    binary = _binary().resolve()
    server = _Server(binary, restart_data_dir)
    c = ProximaDBClient(server.url("rest"))
    try:
        for name in ("a", "b"):
            c.create_collection(name=name, dimension=4, indexing_algorithm="flat")
            c.batch_insert(name, [{"id": f"p{i}", "vector": [float(i), 1, 2, 3]}
                                  for i in range(20)])
    finally:
        c.close()
        server.proc.send_signal(signal.SIGKILL)
        server.proc.wait()
    # b's only WAL file (its 20 points) goes missing.
    (bdir,) = glob.glob(os.path.join(restart_data_dir, "collections", "b-*"))
    (wal,) = glob.glob(os.path.join(bdir, "wal", "*.log"))
    os.rename(wal, wal + ".aside")
    before = _files(bdir)

    server = _Server(binary, restart_data_dir)
    rest = ProximaDBClient(server.url("rest"))
    grpc = ProximaDBClient(server.url("grpc"))
    try:
        for client, status in ((rest, 409), (grpc, "FAILED_PRECONDITION")):
            assert client.count("a") == 20
            listed = {x.name: x for x in client.list_collections()}
            assert listed["a"].state == "serving" and listed["a"].state_message == ""
            assert listed["b"].state == "fenced"
            assert "is missing" in listed["b"].state_message
            assert listed["b"].dimension == 4
            with pytest.raises(FailedPrecondition) as e:
                client.search("b", [1.0, 1, 2, 3], k=3)
            assert e.value.status == status
            assert "'b' is fenced" in e.value.message
            h = client.health()
            assert (h.collections_fenced, h.collections_recovering) == (1, 0)
        assert _files(bdir) == before, "the fenced collection's files changed"
        # Dropped: its directory goes to the quarantine; the name is free.
        assert rest.delete_collection("b")
        assert not os.path.exists(bdir)
        entries = rest.list_quarantine()
        assert any("dropped while fenced" in q.reason for q in entries)
        assert rest.health().collections_fenced == 0
        rest.create_collection(name="b", dimension=4)
        assert rest.count("b") == 0
    finally:
        rest.close()
        grpc.close()
        server.stop()
