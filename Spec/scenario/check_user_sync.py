#!/usr/bin/env python3
"""Check a stored user-sync run against Spec/scenario/USER-SYNC.md.

    check_user_sync.py --socket PATH --run ID

Reads the run back through getRun, getLogs (afterId 0, limit 10000; and
level=error), getProgress and getOutcome, compares every expectation of
USER-SYNC.md exactly (values, JSON types and the key order of the outcome
counters), prints "user-sync check: OK" or the differences, and exits 0 or 1
(1 also when the run cannot be read). Standard library only.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import re
import socket
import sys
from typing import Any, Dict, List, Optional, Tuple

_TIMESTAMP_RE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$")
_ID_RE = re.compile(r"^[1-9][0-9]*$")

SYNCING = "Syncing users"


def expected_logs() -> List[Tuple[str, Optional[str], str, Any]]:
    """(level, stage, message, context) of the 22 entries, in order.

    The context of the Summary entry is checked separately (elapsedMs varies).
    """
    logs: List[Tuple[str, Optional[str], str, Any]] = [
        ("info", "Initializing", "Stage: Initializing", {"stage": "Initializing"}),
        ("info", "Initializing", "Job started", {"batchSize": 10}),
        ("info", "Loading users", "Loading from database", {"stage": "Loading users"}),
        ("milestone", "Loading users", "Found 10 users to sync", {"found": 10}),
        ("info", SYNCING, "Stage: Syncing users", {"stage": SYNCING}),
    ]
    synced = failed = 0
    for i in range(1, 11):
        logs.append(("debug", SYNCING, "Syncing user %d" % i, {"userId": str(i)}))
        if i == 4:
            failed += 1
            logs.append(("error", SYNCING, "Failed to sync user 4", {"userId": "4", "error": "Network timeout"}))
        else:
            synced += 1
        if i == 7:
            logs.append(("warning", SYNCING, "User has invalid data", {"userId": "7"}))
        if i % 5 == 0:
            logs.append(("info", SYNCING, "Progress: %d/10" % i, {"synced": synced, "failed": failed}))
    logs += [
        ("info", "Finalizing", "Stage: Finalizing", {"stage": "Finalizing"}),
        ("milestone", "Finalizing", "Sync complete", {"total": 10, "synced": 9, "failed": 1}),
        ("milestone", "Finalizing", "Summary", None),
    ]
    return logs


class RpcError(Exception):
    pass


class Rpc:
    def __init__(self, path: str, timeout: float = 10.0) -> None:
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.buf = b""
        self.next_id = 1

    def call(self, method: str, params: Dict[str, Any]) -> Any:
        rid = self.next_id
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "method": method, "params": params, "id": rid}
        self.sock.sendall(json.dumps(msg, separators=(",", ":"), ensure_ascii=False).encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.sock.recv(1 << 20)
            if not chunk:
                raise RpcError("%s: connection closed before the response" % method)
            self.buf += chunk
        line, _, self.buf = self.buf.partition(b"\n")
        resp = json.loads(line.decode("utf-8"))  # dicts keep the key order of the line
        if resp.get("id") != rid:
            raise RpcError("%s: response id %r, expected %r" % (method, resp.get("id"), rid))
        if "error" in resp:
            raise RpcError("%s %s: error %s" % (method, json.dumps(params), json.dumps(resp["error"])))
        return resp["result"]

    def close(self) -> None:
        self.sock.close()


def _j(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def _tname(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    return type(v).__name__


def same(a: Any, b: Any, ordered_keys: bool = False) -> bool:
    """Equality of JSON values with strict types (True != 1, 1 != 1.0)."""
    if _tname(a) != _tname(b):
        return False
    if isinstance(a, dict):
        if ordered_keys and list(a) != list(b):
            return False
        return a.keys() == b.keys() and all(same(a[k], b[k], ordered_keys) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same(x, y, ordered_keys) for x, y in zip(a, b))
    return a == b


class Checker:
    def __init__(self) -> None:
        self.diffs: List[str] = []

    def eq(self, where: str, got: Any, want: Any, ordered_keys: bool = False) -> None:
        if not same(got, want, ordered_keys):
            self.diffs.append("%s: got %s, expected %s" % (where, _j(got), _j(want)))

    def key_order(self, where: str, got: Any, keys: List[str]) -> None:
        if isinstance(got, dict) and list(got) != keys:
            self.diffs.append("%s: key order %s, expected %s" % (where, _j(list(got)), _j(keys)))

    def timestamp(self, where: str, got: Any) -> None:
        ok = isinstance(got, str) and bool(_TIMESTAMP_RE.match(got))
        if ok:
            try:
                _dt.datetime.strptime(got, "%Y-%m-%dT%H:%M:%S.%fZ")
            except ValueError:
                ok = False
        if not ok:
            self.diffs.append("%s: got %s, expected an ISO-8601 UTC timestamp with milliseconds" % (where, _j(got)))

    def nonneg_int(self, where: str, got: Any) -> None:
        if _tname(got) != "int" or got < 0:
            self.diffs.append("%s: got %s, expected an integer >= 0" % (where, _j(got)))

    def is_id(self, where: str, got: Any) -> None:
        if not (isinstance(got, str) and _ID_RE.match(got)):
            self.diffs.append("%s: got %s, expected a decimal-string id" % (where, _j(got)))

    def obj(self, where: str, got: Any) -> bool:
        if not isinstance(got, dict):
            self.diffs.append("%s: got %s, expected an object" % (where, _j(got)))
            return False
        return True

    def member(self, where: str, obj: Dict[str, Any], key: str) -> Any:
        if key not in obj:
            self.diffs.append("%s.%s: missing" % (where, key))
            return None
        return obj[key]


OUTCOME = {"synced": 9, "errors": 1}
OUTCOME_KEYS = ["synced", "errors"]


def check(rpc: Rpc, run_id: str) -> List[str]:
    c = Checker()
    rid = {"jobRunId": run_id}

    # ---- getRun
    run = rpc.call("getRun", rid).get("run")
    if c.obj("getRun.run", run):
        w = "getRun.run"
        c.eq(w + ".id", c.member(w, run, "id"), run_id)
        for key, want in [
            ("jobName", "user-sync"), ("status", "SUCCESS"), ("trigger", "MANUAL"), ("scope", "system"),
            ("algorithmVersion", "v1"), ("currentStage", "Finalizing"), ("progressCurrent", 10),
            ("progressTotal", 10), ("progressPercent", 100), ("unit", "users"), ("error", None),
            ("logCounts", {"debug": 10, "info": 7, "milestone": 3, "warning": 1, "error": 1}),
        ]:
            if key in run:
                c.eq("%s.%s" % (w, key), run[key], want)
            else:
                c.member(w, run, key)
        meta_want = {
            "params": {"batchSize": 10},
            "progress": {"stage": "Finalizing", "current": 10, "total": 10},
            "outcome": OUTCOME,
        }
        meta = c.member(w, run, "metadata")
        if meta is not None:
            c.eq(w + ".metadata", meta, meta_want)
            if isinstance(meta, dict):
                c.key_order(w + ".metadata.outcome", meta.get("outcome"), OUTCOME_KEYS)
        summ = c.member(w, run, "outcomeSummary")
        if summ is not None:
            c.eq(w + ".outcomeSummary", summ, OUTCOME)
            c.key_order(w + ".outcomeSummary", summ, OUTCOME_KEYS)
        for key in ("startedAt", "finishedAt", "lastHeartbeatAt"):
            if key in run:
                c.timestamp("%s.%s" % (w, key), run[key])
            else:
                c.member(w, run, key)
        if "durationMs" in run:
            c.nonneg_int(w + ".durationMs", run["durationMs"])
        else:
            c.member(w, run, "durationMs")

    # ---- getLogs afterId 0
    logs = rpc.call("getLogs", {"jobRunId": run_id, "afterId": 0, "limit": 10000}).get("logs")
    want_logs = expected_logs()
    error_entry = None
    if not isinstance(logs, list):
        c.diffs.append("getLogs.logs: got %s, expected an array" % _j(logs))
        logs = []
    if len(logs) != len(want_logs):
        c.diffs.append("getLogs {afterId:0}: %d entries, expected %d" % (len(logs), len(want_logs)))
    prev_id = 0
    for i, entry in enumerate(logs):
        w = "getLogs[%d]" % i
        if not c.obj(w, entry):
            continue
        if set(entry) != {"id", "level", "stage", "message", "context", "createdAt"}:
            c.diffs.append("%s: members %s, expected id, level, stage, message, context, createdAt"
                           % (w, _j(sorted(entry))))
        c.is_id(w + ".id", entry.get("id"))
        if isinstance(entry.get("id"), str) and entry["id"].isdigit():
            if int(entry["id"]) <= prev_id:
                c.diffs.append("%s.id: %s is not greater than the previous id %d" % (w, entry["id"], prev_id))
            prev_id = int(entry["id"])
        c.timestamp(w + ".createdAt", entry.get("createdAt"))
        if i >= len(want_logs):
            c.diffs.append("%s: unexpected entry %s" % (w, _j(entry)))
            continue
        level, stage, message, context = want_logs[i]
        got4 = (entry.get("level"), entry.get("stage"), entry.get("message"))
        if not same(list(got4), [level, stage, message]):
            c.diffs.append("%s: got %s/%s/%s, expected %s/%s/%s" % (w, *map(_j, got4), *map(_j, (level, stage, message))))
        ctx = entry.get("context")
        if message == "Summary" and context is None:
            if c.obj(w + ".context", ctx):
                if set(ctx) != {"outcome", "progress", "elapsedMs"}:
                    c.diffs.append("%s.context: members %s, expected outcome, progress, elapsedMs" % (w, _j(list(ctx))))
                c.eq(w + ".context.outcome", ctx.get("outcome"), OUTCOME)
                c.key_order(w + ".context.outcome", ctx.get("outcome"), OUTCOME_KEYS)
                c.eq(w + ".context.progress", ctx.get("progress"), {"current": 10, "total": 10, "unit": "users"})
                c.nonneg_int(w + ".context.elapsedMs", ctx.get("elapsedMs"))
        else:
            c.eq(w + ".context", ctx, context)
        if level == "error":
            error_entry = entry

    # ---- getLogs level=error
    errs = rpc.call("getLogs", {"jobRunId": run_id, "level": "error"}).get("logs")
    if not isinstance(errs, list) or len(errs) != 1:
        c.diffs.append("getLogs {level:error}: got %s, expected exactly the one error entry" % _j(errs))
    elif error_entry is not None:
        c.eq("getLogs {level:error}[0]", errs[0], error_entry)
    else:
        c.eq("getLogs {level:error}[0] (level/stage/message/context)",
             [errs[0].get(k) for k in ("level", "stage", "message", "context")],
             ["error", SYNCING, "Failed to sync user 4", {"userId": "4", "error": "Network timeout"}])

    # ---- getProgress
    prog = rpc.call("getProgress", rid).get("progress")
    if c.obj("getProgress.progress", prog):
        w = "getProgress.progress"
        for key, want in [
            ("id", run_id), ("jobName", "user-sync"), ("status", "SUCCESS"), ("currentStage", "Finalizing"),
            ("progressCurrent", 10), ("progressTotal", 10), ("progressPercent", 100),
            ("progressMessage", "Finalizing (10 / 10)"), ("entitiesProcessed", 10), ("entitiesTotal", 10),
            ("unit", "users"),
        ]:
            if key in prog:
                c.eq("%s.%s" % (w, key), prog[key], want)
            else:
                c.member(w, prog, key)
        for key in ("startedAt", "lastHeartbeatAt"):
            if key in prog:
                c.timestamp("%s.%s" % (w, key), prog[key])
            else:
                c.member(w, prog, key)

    # ---- getOutcome
    out = rpc.call("getOutcome", rid).get("outcome")
    if c.obj("getOutcome.outcome", out):
        w = "getOutcome.outcome"
        want_keys = ["id", "jobName", "status", "outcomeSummary", "entitiesProcessed", "entitiesTotal",
                     "durationMs", "finishedAt"]
        if set(out) != set(want_keys):
            c.diffs.append("%s: members %s, expected %s" % (w, _j(list(out)), _j(want_keys)))
        for key, want in [
            ("id", run_id), ("jobName", "user-sync"), ("status", "SUCCESS"), ("outcomeSummary", OUTCOME),
            ("entitiesProcessed", 10), ("entitiesTotal", 10),
        ]:
            if key in out:
                c.eq("%s.%s" % (w, key), out[key], want)
            else:
                c.member(w, out, key)
        c.key_order(w + ".outcomeSummary", out.get("outcomeSummary"), OUTCOME_KEYS)
        c.nonneg_int(w + ".durationMs", out.get("durationMs"))
        c.timestamp(w + ".finishedAt", out.get("finishedAt"))

    return c.diffs


def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(description="Check a stored user-sync run against USER-SYNC.md.")
    ap.add_argument("--socket", required=True, help="the joblogd socket")
    ap.add_argument("--run", required=True, help="the jobRunId of the user-sync run")
    args = ap.parse_args(argv)
    run_id = args.run.strip()
    if not _ID_RE.match(run_id):
        print("user-sync check: --run must be a decimal id, got %r" % args.run)
        return 1
    try:
        rpc = Rpc(args.socket)
        try:
            diffs = check(rpc, run_id)
        finally:
            rpc.close()
    except (OSError, RpcError, ValueError) as e:
        print("user-sync check: FAILED: cannot read run %s: %s" % (run_id, e))
        return 1
    if diffs:
        print("user-sync check: FAILED (%d differences)" % len(diffs))
        for d in diffs:
            print("  " + d)
        return 1
    print("user-sync check: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
