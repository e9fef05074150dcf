"""A ``-32005 store unavailable`` answer acknowledges nothing (issue 14): the
client keeps what it sent, reconnects after a backoff, says ``hello`` and
resends what the daemon did not apply. A scripted daemon on a Unix socket
plays the store that fills up and recovers."""

from __future__ import annotations

import json
import os
import socket
import tempfile
import threading
from typing import Dict, List

import joblog


def _serve(path: str, seen: List[List[Dict]], hellos: List[Dict]) -> threading.Thread:
    srv = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    srv.bind(path)
    srv.listen(4)

    def run() -> None:
        for conn_no in range(2):
            conn, _ = srv.accept()
            f = conn.makefile("rwb")
            got: List[Dict] = []
            seen.append(got)
            for raw in f:
                msg = json.loads(raw)
                if msg.get("method") == "hello":
                    hellos.append(msg["params"])
                    # Nothing of the first connection was applied (the disk was full).
                    f.write(json.dumps({"jsonrpc": "2.0", "result": {"session": msg["params"]["session"],
                                        "applied": 0}, "id": msg["id"]}).encode() + b"\n")
                    f.flush()
                    continue
                got.append(msg)
                if "id" not in msg:
                    continue
                if conn_no == 0:
                    err = {"code": -32005, "message": "store unavailable", "data": {"reason": "disk full"}}
                    f.write(json.dumps({"jsonrpc": "2.0", "error": err, "id": msg["id"]}).encode() + b"\n")
                else:
                    f.write(json.dumps({"jsonrpc": "2.0", "result": {"version": "x", "protocolVersion": 2},
                                        "id": msg["id"]}).encode() + b"\n")
                f.flush()
                if conn_no == 1:
                    conn.close()
                    srv.close()
                    return
            conn.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


def test_store_unavailable_is_not_an_acknowledgement() -> None:
    path = os.path.join(tempfile.mkdtemp(prefix="jl-32005-"), "sock")
    seen: List[List[Dict]] = []
    hellos: List[Dict] = []
    server = _serve(path, seen, hellos)
    c = joblog.Client(path, quiet=True, timeout=10.0, connect_timeout=5.0)
    try:
        for i in range(3):
            c.send_line(json.dumps({"jsonrpc": "2.0", "method": "info",
                                    "params": {"jobRunId": "1", "message": "m%d" % i}}).encode() + b"\n")
        # The first ping gets -32005: not acknowledged; the client reconnects and resends, and
        # the second connection's answer completes it.
        assert c.flush(timeout=10.0)
    finally:
        c.close()
    server.join(5)
    assert len(seen) == 2, seen
    first = [m["params"]["message"] for m in seen[0] if m.get("method") == "info"]
    again = [m["params"]["message"] for m in seen[1] if m.get("method") == "info"]
    assert first == ["m0", "m1", "m2"]
    assert again == ["m0", "m1", "m2"], "what -32005 refused was resent, in order"
    assert [h["firstSeq"] for h in hellos] == [1, 1], "nothing was dropped as acknowledged"
    assert hellos[0]["session"] == hellos[1]["session"]
