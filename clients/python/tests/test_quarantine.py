"""list_quarantine / clear_quarantine against a real server whose data
directory held files start-up could not account for (sync and async, REST
and gRPC).

Each test gets its own server: started once to create the catalog, stopped,
given three stray collection directories, and started again, which moves
them into the quarantine.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Dict, Iterator, List, Optional

import pytest

from conftest import _binary  # noqa: E402  (tests/ is on sys.path)
from proximadb import (
    AsyncProximaDBClient,
    CollectionNotFound,
    InvalidArgument,
    NotFound,
    ProximaDBClient,
    QuarantineEntry,
)

READY = re.compile(r"proximadb-server ready rest_port=(\d+) grpc_port=(\d+)")
STRAYS = ["left-00000001", "left-00000002", "left-00000003"]


class _Server:
    def __init__(self, binary: Path, data_dir: str,
                 config_env: Optional[Dict[str, str]] = None,
                 wait_for_recovery: bool = True) -> None:
        """Starts the server and waits for its "ready" line and, unless
        wait_for_recovery is False, for its "recovered" line (every
        collection recovered or fenced)."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PROXIMADB_")}
        env.update(config_env or {})  # PROXIMADB_<SECTION>__<KEY> overrides
        self.proc = subprocess.Popen(
            [str(binary), "--rest-port", "0", "--grpc-port", "0", "--data-dir", data_dir],
            cwd=os.path.dirname(data_dir), env=env, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True, errors="backslashreplace")
        self.log: List[str] = []
        self.ports: Dict[str, str] = {}
        ready = threading.Event()
        self.recovered = threading.Event()

        def pump() -> None:
            assert self.proc.stdout is not None
            for line in self.proc.stdout:
                self.log.append(line)
                m = READY.search(line)
                if m and not ready.is_set():
                    self.ports = {"rest": m.group(1), "grpc": m.group(2)}
                    if not wait_for_recovery:
                        ready.set()
                if line.startswith("proximadb-server recovered"):
                    self.recovered.set()
                    ready.set()
            ready.set()
            self.recovered.set()

        threading.Thread(target=pump, daemon=True).start()
        ready.wait(60)
        if not self.ports:
            self.stop()
            pytest.fail("proximadb-server did not become ready:\n" + "".join(self.log[-50:]))

    def url(self, transport: str) -> str:
        if transport == "grpc":
            return f"grpc://127.0.0.1:{self.ports['grpc']}"
        return f"http://127.0.0.1:{self.ports['rest']}"

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


@pytest.fixture
def quarantined_server() -> Iterator[_Server]:
    binary = _binary().resolve()
    if not (binary.is_file() and os.access(binary, os.X_OK)):
        pytest.skip(f"proximadb-server binary not found at {binary}")
    root = tempfile.mkdtemp(prefix="proximadb-quarantine-")
    data = os.path.join(root, "data")
    try:
        _Server(binary, data).stop()  # creates the catalog
        for name in STRAYS:
            os.makedirs(os.path.join(data, "collections", name))
            Path(data, "collections", name, "note.txt").write_text(name)
        srv = _Server(binary, data)
        try:
            yield srv
        finally:
            srv.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=["rest", "grpc"])
def transport(request: pytest.FixtureRequest) -> str:
    return request.param


def _check_entries(entries: List[QuarantineEntry]) -> None:
    assert [e.original_path for e in entries] == [f"collections/{s}" for s in STRAYS]
    for e in entries:
        assert isinstance(e, QuarantineEntry)
        assert e.id and "/" not in e.id
        assert "does not list" in e.reason
        assert e.time_unix_ms > 0
        assert e.bytes == len(e.original_path.split("/")[-1])  # note.txt


def test_list_and_clear(quarantined_server: _Server, transport: str) -> None:
    with ProximaDBClient(quarantined_server.url(transport)) as c:
        entries = c.list_quarantine()
        _check_entries(entries)
        assert c.clear_quarantine(entries[0].id) == 1
        assert [e.id for e in c.list_quarantine()] == [e.id for e in entries[1:]]
        with pytest.raises(NotFound) as err:
            c.clear_quarantine(entries[0].id)
        assert not isinstance(err.value, CollectionNotFound)
        with pytest.raises(InvalidArgument):
            c.clear_quarantine("")
        assert c.clear_quarantine() == 2
        assert c.list_quarantine() == []
        assert c.clear_quarantine() == 0


async def test_list_and_clear_async(quarantined_server: _Server, transport: str) -> None:
    async with AsyncProximaDBClient(quarantined_server.url(transport)) as c:
        entries = await c.list_quarantine()
        _check_entries(entries)
        assert await c.clear_quarantine(entries[1].id) == 1
        assert len(await c.list_quarantine()) == 2
        with pytest.raises(NotFound):
            await c.clear_quarantine("no-such-entry")
        assert await c.clear_quarantine() == 2
        assert await c.list_quarantine() == []
