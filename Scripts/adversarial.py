#!/usr/bin/env python3
"""Adversarial probes against a built joblogd, as an unfriendly or careless user would run them.

Each probe starts its own daemon on a temporary socket and database, attacks it, and checks
that nothing was lost, nothing crashed and every refusal was clear. Run by Scripts/test-all.sh
(well under 5 minutes); `--figures` runs the big cases (100,000 RUNNING runs) and prints the
measured figures quoted in the README's reliability table.

    python3 Scripts/adversarial.py [--daemon .build/debug/joblogd] [--figures] [--only NAME]

Ends with "N passed, N failed".
"""
import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Daemon:
    """A joblogd process on a temporary socket and database."""

    def __init__(self, binary, args=(), directory=None):
        self.binary = binary
        self.dir = directory or tempfile.mkdtemp(prefix="joblogd-adv-")
        self.sock = os.path.join(self.dir, "sock")
        self.db = os.path.join(self.dir, "db.sqlite")
        self.log = os.path.join(self.dir, "daemon.log")
        self.args = list(args)
        self.proc = None
        self.start()

    def start(self):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen(
            [self.binary, "--socket", self.sock, "--db", self.db, "--http", "off"] + self.args
            if self.supports_http() else [self.binary, "--socket", self.sock, "--db", self.db] + self.args,
            stdout=logf, stderr=logf)
        deadline = time.time() + 20
        while time.time() < deadline:
            try:
                Client(self.sock).close()
                return
            except OSError:
                if self.proc.poll() is not None:
                    break
                time.sleep(0.02)
        raise RuntimeError("daemon did not start: " + self.read_log())

    def supports_http(self):
        help_text = subprocess.run([self.binary, "--help"], capture_output=True, text=True).stdout
        return "--http " in help_text

    def read_log(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def cpu_seconds(self):
        with open(f"/proc/{self.proc.pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    def stop(self, sig=signal.SIGTERM):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(sig)
            self.proc.wait(60)
        return self.proc.returncode

    def close(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()
        shutil.rmtree(self.dir, ignore_errors=True)


class Client:
    def __init__(self, path):
        self.s = socket.socket(socket.AF_UNIX)
        self.s.settimeout(60)
        self.s.connect(path)
        self.f = self.s.makefile("rwb")
        self.next_id = 0

    def send(self, obj):
        self.f.write(json.dumps(obj).encode() + b"\n")

    def call(self, method, params=None):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        self.f.flush()
        line = self.f.readline()
        if not line:
            raise EOFError(method)
        return json.loads(line)

    def result(self, method, params=None):
        answer = self.call(method, params)
        if "result" not in answer:
            raise AssertionError(f"{method} failed: {answer}")
        return answer["result"]

    def notify(self, method, params):
        self.send({"jsonrpc": "2.0", "method": method, "params": params})

    def close(self):
        try:
            self.f.close()
        except OSError:
            pass
        self.s.close()


def error_code(answer):
    return answer.get("error", {}).get("code")


PROBES = []


def probe(fn):
    PROBES.append(fn)
    return fn


@probe
def two_daemons_one_database(binary, figures):
    a = Daemon(binary)
    try:
        other = subprocess.run(
            [binary, "--socket", a.sock + "2", "--db", a.db], capture_output=True, text=True, timeout=30)
        assert other.returncode != 0, "second daemon started"
        assert f"pid {a.proc.pid}" in other.stderr and a.sock in other.stderr, other.stderr
    finally:
        a.close()


@probe
def deleted_socket_file(binary, figures):
    d = Daemon(binary)
    try:
        os.unlink(d.sock)
        deadline = time.time() + 30
        while not os.path.exists(d.sock) and time.time() < deadline:
            time.sleep(0.05)
        assert os.path.exists(d.sock), "not re-created within 30 s: " + d.read_log()[-2000:]
        assert Client(d.sock).result("ping")["version"]
    finally:
        d.close()


@probe
def false_owners(binary, figures):
    d = Daemon(binary)
    try:
        c = Client(d.sock)
        for pid in (4000000, 2**31 - 1):
            assert error_code(c.call("startRun", {"jobName": "ghost", "pid": pid})) == -32602
    finally:
        d.close()


@probe
def option_overflow(binary, figures):
    tmp = tempfile.mkdtemp()
    try:
        for value in ("106751991168", str(2**63 - 1)):
            r = subprocess.run([binary, "--socket", tmp + "/s", "--db", tmp + "/db", "--retain-days", value],
                               capture_output=True, text=True, timeout=30)
            assert r.returncode == 64, (r.returncode, r.stderr)
            assert not os.path.exists(tmp + "/s")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


@probe
def stray_signals(binary, figures):
    d = Daemon(binary)
    try:
        c = Client(d.sock)
        run = c.result("startRun", {"jobName": "sig"})["jobRunId"]
        sent = 0
        for sig in (signal.SIGHUP, signal.SIGUSR1, signal.SIGUSR2, signal.SIGALRM, signal.SIGPROF):
            for _ in range(2000):
                c.notify("info", {"jobRunId": run, "message": "x"})
                sent += 1
            c.f.flush()
            d.proc.send_signal(sig)
            assert c.result("ping")["version"]
        d.stop(signal.SIGTERM)
        d.start()
        counts = Client(d.sock).result("getRun", {"jobRunId": run})["run"]["logCounts"]
        assert counts["info"] == sent, counts
    finally:
        d.close()


@probe
def deleted_database(binary, figures):
    d = Daemon(binary, ["--liveness-interval-ms", "50"])
    try:
        c = Client(d.sock)
        run = c.result("startRun", {"jobName": "victim"})["jobRunId"]
        for suffix in ("", "-wal", "-shm"):
            os.unlink(d.db + suffix)
        deadline = time.time() + 30
        answer = {}
        while time.time() < deadline:
            answer = c.call("info", {"jobRunId": run, "message": "after"})
            if error_code(answer) == -32005:
                break
            time.sleep(0.05)
        assert error_code(answer) == -32005 and "deleted" in json.dumps(answer), answer
    finally:
        d.close()


@probe
def reaper_at_scale(binary, figures):
    """Many RUNNING runs of one live owner: the idle daemon's CPU, then the time to abandon them all."""
    n = 100_000 if figures else 10_000
    d = Daemon(binary)
    owner = subprocess.Popen(["sleep", "600"])
    try:
        c = Client(d.sock)
        for start in range(0, n, 500):
            for i in range(start, min(n, start + 500)):
                c.send({"jsonrpc": "2.0", "id": i, "method": "startRun",
                        "params": {"jobName": "many", "pid": owner.pid}})
            c.f.flush()
            for _ in range(start, min(n, start + 500)):
                c.f.readline()
        time.sleep(1.5)
        before = d.cpu_seconds()
        time.sleep(5)
        idle = (d.cpu_seconds() - before) / 5
        owner.kill()
        owner.wait()
        t0 = time.time()
        while c.result("listRuns", {"jobName": "many", "status": "RUNNING", "limit": 1})["runs"]:
            assert time.time() - t0 < 300, "abandoning took too long"
            time.sleep(0.1)
        took = time.time() - t0
        print(f"    {n} RUNNING runs of one owner: idle CPU {idle * 100:.1f}% of a core; "
              f"all abandoned {took:.1f} s after the owner died")
        assert idle < 0.5, f"idle CPU {idle:.2f}"
    finally:
        if owner.poll() is None:
            owner.kill()
        d.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", default=os.environ.get("JOBLOGD_BIN", os.path.join(ROOT, ".build/debug/joblogd")))
    ap.add_argument("--figures", action="store_true")
    ap.add_argument("--only")
    args = ap.parse_args()
    passed = failed = 0
    for fn in PROBES:
        if args.only and args.only != fn.__name__:
            continue
        t0 = time.time()
        try:
            fn(args.daemon, args.figures)
            passed += 1
            print(f"ok   {fn.__name__} ({time.time() - t0:.1f} s)", flush=True)
        except Exception:
            failed += 1
            print(f"FAIL {fn.__name__}", flush=True)
            traceback.print_exc()
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
