"""Test setup: import the working tree, find and start a real joblogd.

The daemon binary comes from ``$JOBLOGD_BIN``, else
``../../.build/debug/joblogd`` relative to
Clients/python. Live tests start their own daemon on a temporary socket and
database (one per session, plus private ones for the restart tests) and are
skipped, with the reason, only when no binary is found.
"""

from __future__ import annotations

import json
import os
import socket
import sys
from typing import Any, Dict, Iterator, List, Optional

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
CLIENT_DIR = os.path.dirname(HERE)
REPO = os.path.abspath(os.path.join(CLIENT_DIR, "..", ".."))
SPEC = os.path.join(REPO, "Spec")

sys.path.insert(0, os.path.join(CLIENT_DIR, "src"))
sys.path.insert(0, SPEC)

import conformance_replay  # noqa: E402  (Spec/conformance_replay.py)

import joblog  # noqa: E402


def daemon_candidates() -> List[str]:
    env = os.environ.get("JOBLOGD_BIN")
    if env:  # an explicit choice: only that one
        return [env]
    return [os.path.join(CLIENT_DIR, "..", "..", ".build", "debug", "joblogd")]


def find_daemon() -> Optional[str]:
    for c in daemon_candidates():
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return os.path.abspath(c)
    return None


@pytest.fixture(scope="session")
def daemon_bin() -> str:
    b = find_daemon()
    if b is None:
        pytest.skip("no joblogd binary found (looked for %s); set JOBLOGD_BIN to the daemon's path"
                    % ", ".join(os.path.normpath(c) for c in daemon_candidates()))
    return b


@pytest.fixture(scope="session")
def daemon(daemon_bin: str) -> Iterator[conformance_replay.Daemon]:
    d = conformance_replay.Daemon(daemon_bin)
    d.start()
    yield d
    d.cleanup()


@pytest.fixture
def fresh_daemon(daemon_bin: str) -> Iterator[conformance_replay.Daemon]:
    """A private daemon (for tests that kill or restart it)."""
    d = conformance_replay.Daemon(daemon_bin)
    d.start()
    yield d
    d.cleanup()


@pytest.fixture
def client(daemon: conformance_replay.Daemon) -> Iterator[joblog.Client]:
    c = joblog.Client(daemon.socket_path)
    yield c
    c.close()


@pytest.fixture
def env_socket(daemon: conformance_replay.Daemon, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("JOBLOG_SOCKET", daemon.socket_path)
    monkeypatch.delenv("JOBLOG_RUN_ID", raising=False)
    return daemon.socket_path


class Raw:
    """A plain request/response connection, independent of the client
    under test (for reading back what it stored)."""

    def __init__(self, path: str) -> None:
        self.conn = conformance_replay.LineConnection(path, timeout=10.0)
        self.next_id = 1

    def call(self, method: str, params: Optional[Dict[str, Any]] = None) -> Any:
        rid = self.next_id
        self.next_id += 1
        msg: Dict[str, Any] = {"jsonrpc": "2.0", "method": method, "id": rid}
        if params is not None:
            msg["params"] = params
        self.conn.send(json.dumps(msg, separators=(",", ":")).encode() + b"\n")
        line = self.conn.read_line()
        assert line is not None, "no response to %s" % method
        resp = json.loads(line)
        assert resp.get("id") == rid, resp
        if "error" in resp:
            raise AssertionError("%s %s -> %s" % (method, params, resp["error"]))
        return resp["result"]

    def logs(self, run_id: str, **kw: Any) -> List[Dict[str, Any]]:
        params = {"jobRunId": run_id, "afterId": 0, "limit": 10000}
        params.update(kw)
        return self.call("getLogs", params)["logs"]

    def run(self, run_id: str) -> Dict[str, Any]:
        return self.call("getRun", {"jobRunId": run_id})["run"]

    def close(self) -> None:
        self.conn.close()


@pytest.fixture
def raw(daemon: conformance_replay.Daemon) -> Iterator[Raw]:
    r = Raw(daemon.socket_path)
    yield r
    r.close()


class Recorder:
    """Stands in for Client in the offline unit tests: records lines."""

    def __init__(self) -> None:
        self.lines: List[bytes] = []
        self.calls: List[Any] = []
        self.warnings: List[str] = []
        self.socket_path = "/nonexistent"
        self.timeout = 1.0

    def send_line(self, line: bytes) -> None:
        assert line.endswith(b"\n") and line.count(b"\n") == 1
        self.lines.append(line)

    def call(self, method: str, params: Any = None, timeout: Any = None) -> Any:
        self.calls.append((method, params))
        if method == "startRun":
            return {"jobRunId": "7", "jobName": params["jobName"], "status": "RUNNING", "startedAt": "x"}
        if method in ("saveOutcome", "logSummary", "finishRun"):
            return {"outcome": {"id": "7"}}
        return {}

    def warn(self, key: str, text: str) -> None:
        self.warnings.append(text)

    def messages(self, with_at: bool = False) -> List[Any]:
        """The notifications sent; without their ``at`` (the time of the call) unless ``with_at``."""
        out = [json.loads(x) for x in self.lines]
        if not with_at:
            for m in out:
                if isinstance(m.get("params"), dict):
                    m["params"].pop("at", None)
        return out


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()
