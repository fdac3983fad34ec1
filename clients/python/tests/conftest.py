"""Fixtures: one real proximadb-server for the whole session, clients on both transports.

The server binary comes from ``PROXIMADB_SERVER_BINARY`` (default
``build/src/server/proximadb-server`` under the repository root). It is
started with ``--rest-port 0 --grpc-port 0`` and a temporary data directory;
the tests read the ports from its ``proximadb-server ready ...`` line.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Dict, Iterator, List, Optional

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))  # importable from the source tree

from proximadb import AsyncProximaDBClient, ProximaDBClient  # noqa: E402

REPO_ROOT = HERE.parents[2]
DEFAULT_BINARY = REPO_ROOT / "build" / "src" / "server" / "proximadb-server"
TRANSPORTS = ["rest", "grpc"]
READY = re.compile(r"proximadb-server ready rest_port=(\d+)(?: grpc_port=(\d+))?")


@dataclass
class Server:
    rest_url: str
    grpc_url: Optional[str]
    data_dir: str
    process: subprocess.Popen
    log: List[str]

    def url(self, transport: str) -> str:
        if transport == "grpc":
            if self.grpc_url is None:
                pytest.skip("this proximadb-server build does not serve gRPC yet")
            return self.grpc_url
        return self.rest_url


def _binary() -> Path:
    return Path(os.environ.get("PROXIMADB_SERVER_BINARY") or DEFAULT_BINARY)


@pytest.fixture(scope="session")
def server() -> Iterator[Server]:
    binary = _binary()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.skip(
            f"proximadb-server binary not found at {binary}: build it "
            "(cmake --build build --target proximadb-server) or set PROXIMADB_SERVER_BINARY"
        )
    data_dir = tempfile.mkdtemp(prefix="proximadb-pytest-")
    env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMADB_")}
    proc = subprocess.Popen(
        [str(binary), "--rest-port", "0", "--grpc-port", "0", "--data-dir",
         os.path.join(data_dir, "data")],
        cwd=data_dir,  # no stray ./config.toml
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        # Never let an undecodable byte kill the reader thread: the server
        # would then block on a full pipe and the whole suite hang.
        errors="backslashreplace",
    )
    log: List[str] = []
    ready = threading.Event()
    ports: Dict[str, Optional[str]] = {}

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            log.append(line)
            m = READY.search(line)
            if m and not ready.is_set():
                ports["rest"], ports["grpc"] = m.group(1), m.group(2)
                ready.set()
        ready.set()

    threading.Thread(target=pump, daemon=True).start()
    ready.wait(60)
    if "rest" not in ports:
        proc.kill()
        proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)
        pytest.fail("proximadb-server did not become ready:\n" + "".join(log[-50:]))
    srv = Server(
        rest_url=f"http://127.0.0.1:{ports['rest']}",
        grpc_url=f"grpc://127.0.0.1:{ports['grpc']}" if ports.get("grpc") else None,
        data_dir=data_dir,
        process=proc,
        log=log,
    )
    try:
        yield srv
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(data_dir, ignore_errors=True)


@pytest.fixture(scope="session")
def session_clients(server: Server) -> Iterator[Dict[str, ProximaDBClient]]:
    clients: Dict[str, ProximaDBClient] = {}
    yield clients
    for c in clients.values():
        c.close()


@pytest.fixture(params=TRANSPORTS)
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def url(server: Server, transport: str) -> str:
    return server.url(transport)


@pytest.fixture
def client(session_clients: Dict[str, ProximaDBClient], url: str,
           transport: str) -> ProximaDBClient:
    if transport not in session_clients:
        session_clients[transport] = ProximaDBClient(url, timeout=30.0)
    return session_clients[transport]


@pytest.fixture
async def aclient(url: str):
    c = AsyncProximaDBClient(url, timeout=30.0)
    try:
        yield c
    finally:
        await c.close()


@pytest.fixture
def rest_client(session_clients: Dict[str, ProximaDBClient], server: Server) -> ProximaDBClient:
    if "rest" not in session_clients:
        session_clients["rest"] = ProximaDBClient(server.rest_url)
    return session_clients["rest"]


@pytest.fixture
def grpc_client(session_clients: Dict[str, ProximaDBClient], server: Server) -> ProximaDBClient:
    if "grpc" not in session_clients:
        session_clients["grpc"] = ProximaDBClient(server.url("grpc"))
    return session_clients["grpc"]


@pytest.fixture
def new_name(rest_client: ProximaDBClient) -> Iterator[Callable[[str], str]]:
    """Makes unique collection names and drops those collections afterwards."""
    made: List[str] = []

    def make(prefix: str = "c") -> str:
        name = f"{prefix}_{uuid.uuid4().hex[:12]}"
        made.append(name)
        return name

    yield make
    for name in made:
        rest_client.delete_collection(name, missing_ok=True)


def wait_until(pred: Callable[[], bool], timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


@pytest.fixture
def restart_data_dir() -> Iterator[str]:
    """A data directory (not created yet) in a fresh temporary directory,
    for tests that start, kill and restart their own server (skipped when
    the binary is not built)."""
    binary = _binary().resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.skip(f"proximadb-server binary not found at {binary}")
    root = tempfile.mkdtemp(prefix="proximadb-restart-")
    try:
        yield os.path.join(root, "data")
    finally:
        shutil.rmtree(root, ignore_errors=True)
