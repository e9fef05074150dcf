"""Exactly once across daemon crashes (issue 14): a job streams mixed messages
into one run while the daemon is ``kill -9``ed and restarted at random points;
afterwards every counter equals what the job sent and the log entries are
exactly the sent ones, in order, each once.

``JOBLOG_EXACT_KILLS`` (default 20) and ``JOBLOG_EXACT_MESSAGES`` (default
20,000) size it; ``Scripts/soak-crash.sh`` runs it with 200 kills.
"""

from __future__ import annotations

import os
import random
import sqlite3
import time
from typing import Dict, List

import conformance_replay
import joblog
import pytest
from joblog._encoding import encode

from conftest import Raw

KILLS = int(os.environ.get("JOBLOG_EXACT_KILLS", "20"))
MESSAGES = int(os.environ.get("JOBLOG_EXACT_MESSAGES", "20000"))


def _message(run_id: str, i: int) -> Dict:
    """Message i of the stream: an info entry with context, an increment, or an outcome."""
    kind = i % 3
    if kind == 0:
        return {"jsonrpc": "2.0", "method": "info",
                "params": {"jobRunId": run_id, "message": "m%d" % i, "context": {"i": i}}}
    if kind == 1:
        return {"jsonrpc": "2.0", "method": "incrementProgress", "params": {"jobRunId": run_id}}
    return {"jsonrpc": "2.0", "method": "addOutcome", "params": {"jobRunId": run_id, "key": "k%d" % (i // 3 % 3)}}


@pytest.fixture
def fast_daemon(daemon_bin: str):
    """A private daemon committing every millisecond: while the client asks for an acknowledgement
    every 50 ms, a kill mostly lands between a commit and its acknowledgement, where a plain resend
    would apply a message twice."""
    d = conformance_replay.Daemon(daemon_bin, extra_args=["--flush-interval-ms", "1"])
    d.start()
    yield d
    d.cleanup()


def test_counts_exact_across_kill_9(fast_daemon) -> None:
    fresh_daemon = fast_daemon
    seed = int(os.environ.get("JOBLOG_SEED", "0")) or random.randrange(1, 1 << 30)
    rng = random.Random(seed)
    c = joblog.Client(fresh_daemon.socket_path, quiet=True, timeout=60.0, connect_timeout=5.0)
    try:
        run_id = c.call("startRun", {"jobName": "exactly-python"})["jobRunId"]
        kill_at: List[int] = sorted(rng.sample(range(1, MESSAGES), KILLS))
        expected_logs: List[str] = []
        expected_progress = 0
        expected_outcome: Dict[str, int] = {}
        kills = 0
        for i in range(MESSAGES):
            while kill_at and kill_at[0] == i:
                kill_at.pop(0)
                # Let some of what is buffered reach the daemon and be committed, unacknowledged.
                time.sleep(rng.uniform(0.0, 0.03))
                fresh_daemon.kill()
                kills += 1
                fresh_daemon.start()
            msg = _message(run_id, i)
            c.send_line(encode(msg))
            if msg["method"] == "info":
                expected_logs.append(msg["params"]["message"])
            elif msg["method"] == "incrementProgress":
                expected_progress += 1
            else:
                key = msg["params"]["key"]
                expected_outcome[key] = expected_outcome.get(key, 0) + 1
        deadline = time.monotonic() + 60
        while not c.flush(timeout=10) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert c.unacknowledged() == 0, "seed %d: not everything was acknowledged" % seed
    finally:
        c.close()
    assert kills == KILLS
    raw = Raw(fresh_daemon.socket_path)
    try:
        run = raw.run(run_id)
        logs: List[str] = []
        after = 0
        while True:
            page = raw.logs(run_id, afterId=after)
            if not page:
                break
            logs += [e["message"] for e in page]
            after = int(page[-1]["id"])
    finally:
        raw.close()
    assert run["progressCurrent"] == expected_progress, "seed %d" % seed
    assert run["outcomeSummary"] == expected_outcome, "seed %d" % seed
    assert len(logs) == len(expected_logs), "seed %d: %d entries stored, %d sent" % (seed, len(logs), len(expected_logs))
    assert logs == expected_logs, "seed %d: entries differ from the sent ones (order, duplicates or gaps)" % seed
    db = sqlite3.connect(fresh_daemon.db_path)
    try:
        assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    finally:
        db.close()
