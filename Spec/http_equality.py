#!/usr/bin/env python3
"""Each HTTP admin endpoint's JSON equals the socket method's result for the same run.

Usage: http_equality.py --socket PATH --http http://127.0.0.1:PORT --token TOKEN
Seeds a run like the seed's user-sync over the socket, then compares byte for byte.
"""
import argparse
import json
import socket
import sys
import urllib.error
import urllib.request


class Socket:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.connect(path)
        self.buf = b""
        self.next_id = 0

    def call_raw(self, method, params):
        self.next_id += 1
        line = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": self.next_id})
        self.s.sendall(line.encode() + b"\n")
        while b"\n" not in self.buf:
            chunk = self.s.recv(65536)
            if not chunk:
                raise RuntimeError("socket closed")
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def call(self, method, params):
        reply = json.loads(self.call_raw(method, params))
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply["result"]


def http_get(base, path, token):
    req = urllib.request.Request(base + path, headers={"Authorization": "Bearer " + token})
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


def socket_part(line, member):
    """The raw JSON text of `result` or `error`, as the daemon wrote it (members in order)."""
    obj = json.loads(line, object_pairs_hook=list)
    for k, v in obj:
        if k == member:
            return json.dumps(v if not isinstance(v, list) else v, separators=(",", ":"))
    return None


def canonical(raw):
    return json.dumps(json.loads(raw, object_pairs_hook=list), separators=(",", ":"))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--socket", required=True)
    ap.add_argument("--http", required=True)
    ap.add_argument("--token", required=True)
    a = ap.parse_args()
    s = Socket(a.socket)
    rid = s.call("startRun", {"jobName": "user-sync", "params": {"batchSize": 10}})["jobRunId"]
    s.call("setStage", {"jobRunId": rid, "stage": "Syncing users"})
    s.call("setTotal", {"jobRunId": rid, "total": 10, "unit": "users"})
    for i in range(10):
        level = ["debug", "info", "milestone", "warning", "error"][i % 5]
        s.call("log", {"jobRunId": rid, "level": level, "message": f"entry {i} <img src=x>", "context": {"i": i}})
        s.call("incrementProgress", {"jobRunId": rid})
        s.call("addOutcome", {"jobRunId": rid, "key": "synced", "count": 1})
    running = s.call("startRun", {"jobName": "other-job"})["jobRunId"]
    s.call("setTotal", {"jobRunId": running, "total": 4})
    s.call("finishRun", {"jobRunId": rid, "status": "SUCCESS"})

    cases = [
        (f"/api/admin/jobs/{rid}", "getRun", {"jobRunId": rid}, 200),
        (f"/api/admin/jobs/{running}", "getRun", {"jobRunId": running}, 200),
        (f"/api/admin/jobs/{rid}/progress", "getProgress", {"jobRunId": rid}, 200),
        (f"/api/admin/jobs/{rid}/outcome", "getOutcome", {"jobRunId": rid}, 200),
        (f"/api/admin/jobs/{rid}/logs", "getLogs", {"jobRunId": rid}, 200),
        (f"/api/admin/jobs/{rid}/logs?level=error&limit=100", "getLogs",
         {"jobRunId": rid, "level": "error", "limit": 100}, 200),
        (f"/api/admin/jobs/{rid}/logs?afterId=0&limit=3", "getLogs", {"jobRunId": rid, "afterId": "0", "limit": 3}, 200),
        ("/api/admin/jobs", "listRuns", {}, 200),
        ("/api/admin/jobs?jobName=user-sync&status=SUCCESS&limit=5", "listRuns",
         {"jobName": "user-sync", "status": "SUCCESS", "limit": 5}, 200),
        (f"/api/admin/jobs?beforeId={running}", "listRuns", {"beforeId": running}, 200),
        ("/api/admin/jobs/999999999", "getRun", {"jobRunId": "999999999"}, 404),
        ("/api/admin/jobs/999999999/logs", "getLogs", {"jobRunId": "999999999"}, 404),
        (f"/api/admin/jobs/{rid}/logs?level=loud", "getLogs", {"jobRunId": rid, "level": "loud"}, 400),
        (f"/api/admin/jobs/{rid}/logs?limit=0", "getLogs", {"jobRunId": rid, "limit": 0}, 400),
        (f"/api/admin/jobs/{rid}/stages", "getStages", {"jobRunId": rid}, 200),
        ("/api/admin/jobs/999999999/stages", "getStages", {"jobRunId": "999999999"}, 404),
        (f"/api/admin/jobs/{rid}/compare", "compareRuns", {"jobRunId": rid}, 200),
        (f"/api/admin/jobs/{rid}/compare?baseline={rid}", "compareRuns", {"jobRunId": rid, "baselineRunId": rid}, 200),
        ("/api/admin/job-names", "listJobs", {}, 200),
        ("/api/admin/job-names?jobName=user&limit=5", "listJobs", {"jobName": "user", "limit": 5}, 200),
        ("/api/admin/job-names/user-sync/stats", "getJobStats", {"jobName": "user-sync"}, 200),
        ("/api/admin/job-names/user-sync/stats?last=0", "getJobStats", {"jobName": "user-sync", "last": 0}, 400),
    ]
    failures = 0
    for path, method, params, status in cases:
        got_status, body = http_get(a.http, path, a.token)
        line = s.call_raw(method, params)
        member = "result" if status == 200 else "error"
        expected = socket_part(line, member)
        got = canonical(body)
        if status != 200:
            got = canonical(json.dumps(json.loads(body)["error"]))
        ok = got_status == status and got == canonical(expected)
        print(("ok  " if ok else "FAIL"), path, got_status)
        if not ok:
            failures += 1
            print("   http:  ", got[:300])
            print("   socket:", expected[:300] if expected else None)
    print(f"{len(cases) - failures} of {len(cases)} endpoints equal the socket's answers")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
