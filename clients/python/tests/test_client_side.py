"""Client behaviour that needs no real server: URLs, retries, timeouts, error
mapping, input normalization and the committed gRPC stubs."""

from __future__ import annotations

import filecmp
import http.server
import json
import shutil
import socket
import subprocess
import threading
import time
from concurrent import futures
from pathlib import Path
from typing import Iterator, List, Tuple

import grpc
import numpy as np
import pytest

from proximadb import (
    AsyncProximaDBClient,
    CollectionNotFound,
    DimensionMismatch,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PermissionDenied,
    PointNotFound,
    ProximaDBClient,
    ServerError,
    Timeout,
    Unauthorized,
    Unavailable,
)
from proximadb._common import f32_list, f32_shortest, parse_endpoint, to_points
from proximadb.exceptions import error_for
from proximadb.v1 import proximadb_pb2 as pb
from proximadb.v1 import proximadb_pb2_grpc as pb_grpc

CLIENT_DIR = Path(__file__).resolve().parents[1]


# -- URLs -----------------------------------------------------------------------


@pytest.mark.parametrize("url,protocol,expect", [
    (None, None, ("rest", "http://localhost:8080")),
    (None, "grpc", ("grpc", "localhost:5678")),
    ("http://localhost:8080", None, ("rest", "http://localhost:8080")),
    ("http://db.example:9000/api/v1/", None, ("rest", "http://db.example:9000")),
    ("https://db.example", None, ("rest", "https://db.example:8080")),
    ("grpc://host:5678", None, ("grpc", "host:5678")),
    ("grpc://host", None, ("grpc", "host:5678")),
    ("host:7000", "grpc", ("grpc", "host:7000")),
    ("host:7000", None, ("rest", "http://host:7000")),
    ("grpcs://h:1", "grpc", ("grpc", "h:1")),
])
def test_parse_endpoint(url, protocol, expect) -> None:
    e = parse_endpoint(url, protocol)
    assert (e.protocol, e.base_url) == expect


def test_parse_endpoint_conflicts() -> None:
    with pytest.raises(ValueError):
        parse_endpoint("grpc://h:1", "rest")
    with pytest.raises(ValueError):
        parse_endpoint("ftp://h", None)
    with pytest.raises(ValueError):
        ProximaDBClient("http://h:1", protocol="carrier-pigeon")
    assert ProximaDBClient(protocol="grpc").protocol == "grpc"


# -- error mapping ------------------------------------------------------------------


def test_error_mapping() -> None:
    assert isinstance(error_for("dimension_mismatch", "m", 400), DimensionMismatch)
    assert isinstance(error_for("not_found", "collection 'x' not found", 404),
                      CollectionNotFound)
    assert isinstance(error_for("not_found", "point 'p' not found", "NOT_FOUND",
                                point_op=True), PointNotFound)
    assert isinstance(error_for("not_found", "collection 'x' not found", 404,
                                point_op=True), CollectionNotFound)
    assert isinstance(error_for(None, "no key", 401), Unauthorized)
    assert isinstance(error_for(None, "", "PERMISSION_DENIED"), PermissionDenied)
    assert isinstance(error_for("io_error", "disk", 500), ServerError)
    e = error_for(None, "boom", 502)
    assert isinstance(e, ServerError) and e.status == 502
    e = error_for("unavailable", "later", 503)
    assert isinstance(e, Unavailable) and e.code == "unavailable" and "later" in str(e)


# -- a scripted HTTP server -------------------------------------------------------------


class _Scripted(http.server.BaseHTTPRequestHandler):
    script: List[Tuple[int, dict]] = []
    seen: List[str] = []
    ports: List[int] = []
    delay = 0.0
    close_quietly = False  # keep-alive (HTTP/1.1) answers, then close unannounced

    def _answer(self) -> None:
        n = int(self.headers.get("content-length") or 0)
        if n:
            self.rfile.read(n)
        type(self).seen.append(f"{self.command} {self.path} {self.headers.get('authorization')}")
        type(self).ports.append(self.client_address[1])
        if type(self).delay:
            threading.Event().wait(type(self).delay)
        status, body = type(self).script.pop(0) if type(self).script else (200, {})
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        if status == 503:
            self.send_header("retry-after", "0")
        self.end_headers()
        self.wfile.write(data)
        if type(self).close_quietly:
            self.close_connection = True

    do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = _answer

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_fake() -> Iterator[type]:
    handler = type("H", (_Scripted,), {"script": [], "seen": [], "ports": [], "delay": 0.0})
    srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    t = threading.Thread(target=srv.serve_forever, daemon=True)
    t.start()
    handler.url = f"http://127.0.0.1:{srv.server_address[1]}"
    yield handler
    srv.shutdown()
    srv.server_close()


HEALTHY = {"status": "healthy", "version": "9"}
UNAVAILABLE = {"error": "unavailable", "message": "shutting down"}


def test_rest_retries_503_then_succeeds(http_fake) -> None:
    http_fake.script[:] = [(503, UNAVAILABLE), (503, UNAVAILABLE), (200, HEALTHY)]
    with ProximaDBClient(http_fake.url, api_key="k1", max_retries=3, retry_backoff=0.01) as c:
        assert c.health().version == "9"
    assert len(http_fake.seen) == 3
    assert http_fake.seen[0] == "GET /health Bearer k1"


def test_rest_gives_up_after_max_retries(http_fake) -> None:
    http_fake.script[:] = [(503, UNAVAILABLE)] * 5
    with ProximaDBClient(http_fake.url, max_retries=2, retry_backoff=0.01) as c:
        with pytest.raises(Unavailable) as e:
            c.health()
    assert e.value.message == "shutting down" and e.value.status == 503
    assert len(http_fake.seen) == 3


def test_rest_does_not_retry_other_errors(http_fake) -> None:
    http_fake.script[:] = [(500, {"error": "io_error", "message": "disk"}), (200, HEALTHY)]
    with ProximaDBClient(http_fake.url, retry_backoff=0.01) as c:
        with pytest.raises(ServerError) as e:
            c.health()
    assert e.value.code == "io_error" and len(http_fake.seen) == 1
    http_fake.script[:] = [(401, {"error": "unauthorized", "message": "no key"})]
    with ProximaDBClient(http_fake.url) as c:
        with pytest.raises(Unauthorized):
            c.list_collections()
    http_fake.script[:] = [(502, {})]  # not JSON-shaped error: still typed
    with ProximaDBClient(http_fake.url) as c:
        with pytest.raises(ServerError):
            c.health()


def test_rest_keeps_the_connection_alive(http_fake) -> None:
    http_fake.protocol_version = "HTTP/1.1"
    http_fake.script[:] = [(200, HEALTHY)] * 3
    with ProximaDBClient(http_fake.url, max_retries=0) as c:
        for _ in range(3):
            assert c.health().version == "9"
    assert len(set(http_fake.ports)) == 1


def test_rest_reconnects_after_the_server_closed_an_idle_connection(http_fake) -> None:
    http_fake.protocol_version = "HTTP/1.1"
    http_fake.close_quietly = True
    http_fake.script[:] = [(200, HEALTHY)] * 3
    with ProximaDBClient(http_fake.url, max_retries=0) as c:
        for _ in range(3):
            assert c.health().version == "9"
            time.sleep(0.05)  # the server's close reaches the client
    # each request was sent once, each on a new connection
    assert len(http_fake.seen) == 3 and len(set(http_fake.ports)) == 3


def test_rest_timeout(http_fake) -> None:
    http_fake.delay = 1.0
    with ProximaDBClient(http_fake.url, timeout=0.2) as c:
        with pytest.raises(Timeout) as e:
            c.health()
    assert e.value.code == "timeout" and isinstance(e.value, TimeoutError)


async def test_rest_async_retry_and_timeout(http_fake) -> None:
    http_fake.script[:] = [(503, UNAVAILABLE), (200, HEALTHY)]
    async with AsyncProximaDBClient(http_fake.url, retry_backoff=0.01) as c:
        assert (await c.health()).status == "healthy"
    http_fake.delay = 1.0
    async with AsyncProximaDBClient(http_fake.url, timeout=0.2) as c:
        with pytest.raises(Timeout):
            await c.health()


def _closed_port() -> int:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


@pytest.mark.parametrize("scheme", ["http", "grpc"])
def test_unreachable_server_is_unavailable(scheme: str) -> None:
    with ProximaDBClient(f"{scheme}://127.0.0.1:{_closed_port()}", max_retries=1,
                         retry_backoff=0.01, timeout=5) as c:
        with pytest.raises(Unavailable):
            c.health()


# -- a scripted gRPC server -------------------------------------------------------------


class _Servicer(pb_grpc.ProximaDBServicer):
    def __init__(self) -> None:
        self.script: List[Tuple[grpc.StatusCode, str, str]] = []
        self.calls = 0
        self.metadata: List[Tuple[str, str]] = []
        self.delay = 0.0
        self.drains: List[Tuple[str, bool]] = []

    def _maybe_fail(self, context) -> None:
        self.calls += 1
        self.metadata = list(context.invocation_metadata())
        if self.delay:
            threading.Event().wait(self.delay)
        if self.script:
            code, err, msg = self.script.pop(0)
            if err:
                context.set_trailing_metadata((("x-proximadb-error", err),))
            context.abort(code, msg)

    def Health(self, request, context):
        self._maybe_fail(context)
        return pb.HealthResponse(status="healthy", version="7")

    def Get(self, request, context):
        self._maybe_fail(context)
        return pb.Point(id=request.id, vector=[0.1, 0.2, 0.3])

    def DrainNode(self, request, context):
        self._maybe_fail(context)
        self.drains.append((request.node_id, request.cancel))
        return pb.DrainNodeReply(node_id=request.node_id, draining=not request.cancel)


@pytest.fixture
def grpc_fake() -> Iterator[Tuple[str, _Servicer]]:
    servicer = _Servicer()
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    pb_grpc.add_ProximaDBServicer_to_server(servicer, server)
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"grpc://127.0.0.1:{port}", servicer
    server.stop(0)


def test_grpc_retries_unavailable(grpc_fake) -> None:
    url, svc = grpc_fake
    svc.script = [(grpc.StatusCode.UNAVAILABLE, "unavailable", "busy")] * 2
    with ProximaDBClient(url, api_key="secret", retry_backoff=0.01) as c:
        assert c.health().version == "7"
    assert svc.calls == 3
    assert ("authorization", "Bearer secret") in svc.metadata


def test_grpc_error_metadata_and_no_retry(grpc_fake) -> None:
    url, svc = grpc_fake
    svc.script = [(grpc.StatusCode.NOT_FOUND, "not_found", "point 'p' not found")]
    with ProximaDBClient(url, retry_backoff=0.01) as c:
        with pytest.raises(PointNotFound) as e:
            c.get("col", "p")
        assert e.value.code == "not_found" and e.value.status == "NOT_FOUND"
        svc.script = [(grpc.StatusCode.INVALID_ARGUMENT, "dimension_mismatch", "dim")]
        with pytest.raises(DimensionMismatch):
            c.get("col", "p")
        svc.script = [(grpc.StatusCode.UNAUTHENTICATED, "", "who are you")]
        with pytest.raises(Unauthorized):
            c.health()
        svc.script = [(grpc.StatusCode.INTERNAL, "io_error", "disk")]
        with pytest.raises(ServerError):
            c.health()
        # float32 values come back in their shortest form, as over REST
        assert c.get("col", "p").vector == [0.1, 0.2, 0.3]
    assert svc.calls == 5


def test_grpc_timeout(grpc_fake) -> None:
    url, svc = grpc_fake
    svc.delay = 1.0
    with ProximaDBClient(url, timeout=0.2) as c:
        with pytest.raises(Timeout):
            c.health()


async def test_grpc_async_retry_timeout(grpc_fake) -> None:
    url, svc = grpc_fake
    svc.script = [(grpc.StatusCode.UNAVAILABLE, "unavailable", "busy")]
    async with AsyncProximaDBClient(url, retry_backoff=0.01) as c:
        assert (await c.health()).version == "7"
        svc.script = [(grpc.StatusCode.NOT_FOUND, "not_found", "collection 'c' not found")]
        with pytest.raises(CollectionNotFound):
            await c.get("c", "p")
    svc.delay = 1.0
    async with AsyncProximaDBClient(url, timeout=0.2) as c:
        with pytest.raises(Timeout):
            await c.health()


# -- drain_node / cancel_drain: what a cluster answers ----------------------------------


def test_drain_over_rest(http_fake) -> None:
    http_fake.script[:] = [
        (200, {"node_id": "n-2", "draining": True}),
        (200, {"node_id": "n-2", "draining": False}),
        (404, {"error": "not_found",
               "message": "node 'n9' is neither live nor holds a replica"}),
    ]
    with ProximaDBClient(http_fake.url, api_key="rw-key-123") as c:
        assert c.drain_node("n-2") == {"node_id": "n-2", "draining": True}
        assert c.cancel_drain("n-2") == {"node_id": "n-2", "draining": False}
        # Not a collection's not_found.
        with pytest.raises(NotFound) as e:
            c.drain_node("n9")
        assert not isinstance(e.value, CollectionNotFound)
        with pytest.raises(InvalidArgument):
            c.drain_node("")  # refused before anything is sent
    assert http_fake.seen == [
        "POST /api/v1/cluster/nodes/n-2/drain Bearer rw-key-123",
        "DELETE /api/v1/cluster/nodes/n-2/drain Bearer rw-key-123",
        "POST /api/v1/cluster/nodes/n9/drain Bearer rw-key-123",
    ]


def test_drain_over_grpc(grpc_fake) -> None:
    url, svc = grpc_fake
    with ProximaDBClient(url) as c:
        assert c.drain_node("n-2") == {"node_id": "n-2", "draining": True}
        assert c.cancel_drain("n-2") == {"node_id": "n-2", "draining": False}
        svc.script = [(grpc.StatusCode.NOT_FOUND, "not_found", "node 'n9' is neither ...")]
        with pytest.raises(NotFound) as e:
            c.drain_node("n9")
        assert not isinstance(e.value, CollectionNotFound)
        svc.script = [(grpc.StatusCode.FAILED_PRECONDITION, "failed_precondition",
                       "draining a node needs cluster mode")]
        with pytest.raises(FailedPrecondition):
            c.cancel_drain("n-2")
    assert svc.drains == [("n-2", False), ("n-2", True)]


async def test_drain_async_over_grpc(grpc_fake) -> None:
    url, svc = grpc_fake
    async with AsyncProximaDBClient(url) as c:
        assert await c.drain_node("n1") == {"node_id": "n1", "draining": True}
        assert await c.cancel_drain("n1") == {"node_id": "n1", "draining": False}
    assert svc.drains == [("n1", False), ("n1", True)]


# -- input normalization ------------------------------------------------------------------


def test_packed_floats_are_what_protobuf_writes() -> None:
    from proximadb import _grpc
    from proximadb.v1 import proximadb_pb2 as pb
    v = np.float32([0.1, -2.5, 3e38, 1e-45, 0.0])
    assert _grpc._packed_floats(pb.Point.VECTOR_FIELD_NUMBER, v) == \
        pb.Point(vector=v.tolist()).SerializeToString()
    long = np.arange(300, dtype=np.float32)  # a length past one varint byte
    assert _grpc._packed_floats(2, long) == pb.Point(vector=long.tolist()).SerializeToString()
    got = _grpc._point({"id": "a", "vector": long, "metadata": {"k": 1}}, "p")
    assert list(got.vector) == long.tolist() and got.id == "a"
    assert got.metadata["k"] == 1


def test_to_points_shapes() -> None:
    seed = [{"id": "doc_1", "vector": [0.1, 0.2, 0.3], "metadata": {"type": "document"}}]
    f32 = np.float32([0.1, 0.2, 0.3]).tolist()  # vectors are rounded to float32 once, here
    assert to_points(seed) == [dict(seed[0], vector=f32)]
    arr = np.array([[1, 2], [3, 4]], dtype=np.int32)
    pts = to_points(arr, ids=["a", "b"], metadata=[{"x": 1}, None])
    # rows of a 2-D array stay float32 arrays (gRPC sends their bytes)
    assert [p["vector"].dtype for p in pts] == [np.float32, np.float32]
    assert [dict(p, vector=p["vector"].tolist()) for p in pts] == [
        {"id": "a", "vector": [1.0, 2.0], "metadata": {"x": 1}},
        {"id": "b", "vector": [3.0, 4.0]},
    ]
    assert to_points([np.array([1.0, 2.0]), (3, 4)]) == [{"vector": [1.0, 2.0]},
                                                          {"vector": [3.0, 4.0]}]
    assert to_points({"vector": np.float32([1, 2])}) == [{"vector": [1.0, 2.0]}]
    with pytest.raises(InvalidArgument):
        to_points(np.zeros((2, 2, 2)))
    with pytest.raises(InvalidArgument):
        to_points([[1, 2], ["a", 3]])
    with pytest.raises(InvalidArgument):
        to_points(seed, ids=["x"])
    with pytest.raises(InvalidArgument, match=r"\[1\] is not a finite"):
        to_points([[1.0, 1e39]])  # overflows float32


def test_f32_shortest() -> None:
    for x in (0.1, 0.2, 0.3, 1e-7, 123456.789, -2.5, 3.4028234663852886e38):
        y = float(np.float32(x))
        assert f32_shortest(y) == float(str(np.float32(x)))
    assert f32_list([float(np.float32(0.1)), 1.0]) == [0.1, 1.0]


# -- committed stubs ------------------------------------------------------------------------


def test_committed_stubs_match_the_proto(tmp_path: Path) -> None:
    if not (shutil.which("protoc") and shutil.which("grpc_python_plugin")):
        pytest.skip("protoc / grpc_python_plugin not installed "
                    "(apt-get install protobuf-compiler protobuf-compiler-grpc)")
    subprocess.run([str(CLIENT_DIR / "scripts" / "gen_proto.sh"), str(tmp_path)], check=True)
    for name in ("proximadb_pb2.py", "proximadb_pb2_grpc.py"):
        fresh = tmp_path / "proximadb" / "v1" / name
        committed = CLIENT_DIR / "proximadb" / "v1" / name
        assert filecmp.cmp(fresh, committed, shallow=False), (
            f"{committed} is stale: run clients/python/scripts/gen_proto.sh")
