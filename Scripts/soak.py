#!/usr/bin/env python3
"""Soak test for joblogd (run through Scripts/soak.sh; not part of CI).

Starts a daemon on a fresh socket and database and, for --duration seconds, drives:
  - job workers: whole runs (startRun, setStage, setTotal, a stream of log entries,
    progress and outcome notifications with a request every --ack-every messages,
    logSummary, finishRun) at about --rate messages per second in total;
  - readers: getRun, getLogs, getProgress, getOutcome and listRuns;
  - --watchers watch subscriptions (a few follow everything, the rest one job name,
    at various levels), each read continuously;
  - pruning: pruneRuns {olderThanDays: 0} every --prune-every seconds, besides the
    daemon's own --retain-days 0 retention.
Every --interval seconds it prints one row: the daemon's RSS and open descriptors, the
database size, messages sent, requests answered and their p50/p99/max latency, events
received, lagged events and errors. At the end: the daemon must be alive, answer a
ping, have no internal errors, and PRAGMA integrity_check must say ok.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time

JOBS = ["soak-import", "soak-export", "soak-sync", "soak-report", "soak-clean", "soak-index", "soak-mail", "soak-bill"]
LEVELS = ["debug", "info", "milestone", "warning", "error"]


class Conn:
    """A blocking line client; requests wait for their answer (events are skipped)."""

    def __init__(self, path, timeout=60):
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.sock.settimeout(timeout)
        self.sock.connect(path)
        self.file = self.sock.makefile("rb")
        self.next_id = 0

    def notify(self, method, params):
        self.sock.sendall(json.dumps({"jsonrpc": "2.0", "method": method, "params": params}).encode() + b"\n")

    def call(self, method, params=None):
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "method": method, "id": self.next_id}
        if params is not None:
            msg["params"] = params
        self.sock.sendall(json.dumps(msg).encode() + b"\n")
        while True:
            line = self.file.readline()
            if not line:
                raise ConnectionError("EOF waiting for " + method)
            answer = json.loads(line)
            if answer.get("id") == self.next_id:
                return answer

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


class Stats:
    """Counters and latencies of the current window, swapped out by the sampler."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()
        self.total_sent = 0
        self.total_requests = 0
        self.total_events = 0
        self.total_errors = 0
        self.error_examples = {}
        self.internal_errors = 0
        self.runs_finished = 0
        self.pruned_runs = 0

    def reset(self):
        self.latencies = []
        self.sent = 0
        self.events = 0
        self.lagged = 0
        self.errors = 0

    def request(self, seconds, answer, method):
        with self.lock:
            self.latencies.append(seconds)
            self.total_requests += 1
            if "error" in answer:
                code = answer["error"].get("code")
                # A run finished by the reaper or pruned meanwhile is not a daemon error.
                if code not in (-32001, -32002):
                    self.errors += 1
                    self.total_errors += 1
                    key = f"{method}: {code} {answer['error'].get('message')}"
                    self.error_examples[key] = self.error_examples.get(key, 0) + 1
                if code == -32603:
                    self.internal_errors += 1

    def add(self, field, n=1):
        with self.lock:
            setattr(self, field, getattr(self, field) + n)
            if field == "sent":
                self.total_sent += n
            elif field == "events":
                self.total_events += n

    def take(self):
        with self.lock:
            window = (sorted(self.latencies), self.sent, self.events, self.lagged, self.errors)
            self.reset()
            return window


def timed_call(conn, stats, method, params=None):
    start = time.monotonic()
    answer = conn.call(method, params)
    stats.request(time.monotonic() - start, answer, method)
    stats.add("sent")
    return answer


def job_worker(index, args, stats, stop, per_worker_rate):
    rng = random.Random(index)
    conn = Conn(args.socket)
    interval = 1.0 / per_worker_rate if per_worker_rate > 0 else 0
    next_at = time.monotonic()

    def pace():
        nonlocal next_at
        next_at += interval
        delay = next_at - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        elif delay < -1:
            next_at = time.monotonic()  # fell behind: do not burst to catch up

    while not stop.is_set():
        job = JOBS[index % len(JOBS)]
        answer = timed_call(conn, stats, "startRun", {"jobName": job, "params": {"worker": index}, "pid": os.getpid()})
        run = answer.get("result", {}).get("jobRunId")
        if run is None:
            time.sleep(0.1)
            continue
        total = rng.randint(50, 2000)
        conn.notify("setStage", {"jobRunId": run, "stage": "Working"})
        conn.notify("setTotal", {"jobRunId": run, "total": total, "unit": "items"})
        stats.add("sent", 2)
        for i in range(total):
            if stop.is_set():
                break
            pace()
            kind = rng.random()
            if kind < 0.45:
                level = rng.choices(LEVELS, weights=[30, 50, 5, 10, 5])[0]
                conn.notify(level, {"jobRunId": run, "message": f"item {i} of {total}", "context": {"i": i, "w": index}})
            elif kind < 0.85:
                conn.notify("incrementProgress", {"jobRunId": run})
            else:
                conn.notify("addOutcome", {"jobRunId": run, "key": rng.choice(["ok", "skipped", "failed"])})
            stats.add("sent")
            if i % args.ack_every == args.ack_every - 1:
                if rng.random() < 0.5:
                    timed_call(conn, stats, "ping")
                else:
                    timed_call(conn, stats, "getProgress", {"jobRunId": run})
        timed_call(conn, stats, "logSummary", {"jobRunId": run})
        status = rng.choices(["SUCCESS", "FAILED", "CANCELLED"], weights=[90, 7, 3])[0]
        timed_call(conn, stats, "finishRun", {"jobRunId": run, "status": status})
        with stats.lock:
            stats.runs_finished += 1
    conn.close()


def reader(index, args, stats, stop):
    rng = random.Random(1000 + index)
    conn = Conn(args.socket)
    while not stop.is_set():
        time.sleep(0.05)
        runs = timed_call(conn, stats, "listRuns", {"limit": 20}).get("result", {}).get("runs", [])
        if not runs:
            continue
        run = rng.choice(runs)["id"]
        method = rng.choice(["getRun", "getLogs", "getProgress", "getOutcome"])
        params = {"jobRunId": run}
        if method == "getLogs":
            params.update({"limit": rng.choice([10, 100, 1000]), "level": rng.choice(LEVELS)})
        timed_call(conn, stats, method, params)
    conn.close()


def watcher(index, args, stats, stop):
    conn = Conn(args.socket, timeout=30)
    if index < 5:
        params = {"level": "debug"}  # everything
    elif index < 10:
        params = {"level": "milestone"}
    else:
        params = {"jobName": JOBS[index % len(JOBS)], "level": LEVELS[index % len(LEVELS)]}
    answer = conn.call("watch", params)
    if "result" not in answer:
        stats.request(0, answer, "watch")
        return
    # Blocks until the next event; the daemon's SIGTERM at the end closes the connection.
    conn.sock.settimeout(None)
    while not stop.is_set():
        try:
            line = conn.file.readline()
        except OSError:
            break
        if not line:
            break
        stats.add("events")
        if b'"lagged"' in line:
            stats.add("lagged")
    conn.close()


def pruner(args, stats, stop):
    conn = Conn(args.socket, timeout=600)
    while not stop.wait(args.prune_every):
        answer = timed_call(conn, stats, "pruneRuns", {"olderThanDays": 0})
        with stats.lock:
            stats.pruned_runs += int(answer.get("result", {}).get("deletedRuns", 0))
    conn.close()


def proc_status(pid):
    rss = 0
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    rss = int(line.split()[1]) // 1024
        fds = len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None, None
    return rss, fds


def db_size(path):
    return sum(os.path.getsize(p) for p in (path, path + "-wal") if os.path.exists(p)) // (1024 * 1024)


def percentile(sorted_values, p):
    if not sorted_values:
        return 0.0
    return sorted_values[min(len(sorted_values) - 1, int(len(sorted_values) * p))] * 1000


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--daemon", required=True, help="the joblogd binary")
    ap.add_argument("--duration", type=float, default=3600, help="seconds (default 3600)")
    ap.add_argument("--rate", type=float, default=1500, help="job messages per second in total (default 1500)")
    ap.add_argument("--jobs", type=int, default=8, help="job worker connections (default 8)")
    ap.add_argument("--readers", type=int, default=2, help="reader connections (default 2)")
    ap.add_argument("--watchers", type=int, default=100, help="watch subscriptions (default 100)")
    ap.add_argument("--ack-every", type=int, default=100, help="a request every N job messages (default 100)")
    ap.add_argument("--prune-every", type=float, default=15, help="seconds between pruneRuns (default 15)")
    ap.add_argument("--interval", type=float, default=60, help="seconds per table row (default 60)")
    ap.add_argument("--dir", help="working directory (default: a new temporary one, removed at the end)")
    args = ap.parse_args()

    workdir = args.dir or tempfile.mkdtemp(prefix="joblogd-soak-")
    os.makedirs(workdir, exist_ok=True)
    args.socket = os.path.join(workdir, "sock")
    db = os.path.join(workdir, "db.sqlite")
    log = open(os.path.join(workdir, "daemon.log"), "ab")
    daemon = subprocess.Popen(
        [args.daemon, "--socket", args.socket, "--db", db, "--http", "off", "--retain-days", "0", "--max-connections", "1024"],
        stdout=log, stderr=log)
    for _ in range(200):
        try:
            Conn(args.socket).close()
            break
        except OSError:
            time.sleep(0.05)
    else:
        print("the daemon did not start; see", log.name)
        daemon.kill()
        return 2

    stats = Stats()
    stop = threading.Event()
    threads = [threading.Thread(target=watcher, args=(i, args, stats, stop), daemon=True) for i in range(args.watchers)]
    threads += [threading.Thread(target=reader, args=(i, args, stats, stop), daemon=True) for i in range(args.readers)]
    threads += [threading.Thread(target=pruner, args=(args, stats, stop), daemon=True)]
    threads += [threading.Thread(target=job_worker, args=(i, args, stats, stop, args.rate / args.jobs), daemon=True)
                for i in range(args.jobs)]
    failures = []

    def guarded(target):
        def run(*a):
            try:
                target(*a)
            except Exception as e:  # a dead connection is a finding
                if not stop.is_set():
                    failures.append(f"{target.__name__}: {e!r}")
        return run

    for t in threads:
        t._target = guarded(t._target)
        t.start()

    print(f"soak: pid {daemon.pid}, {args.duration:.0f} s, ~{args.rate:.0f} job msgs/s over {args.jobs} jobs, "
          f"{args.readers} readers, {args.watchers} watchers, pruneRuns every {args.prune_every:.0f} s; dir {workdir}")
    header = (f"{'min':>5} {'RSS MB':>7} {'fds':>5} {'db MB':>6} {'msgs/s':>7} {'reqs':>6} {'p50 ms':>7} "
              f"{'p99 ms':>7} {'max ms':>7} {'events/s':>9} {'lagged':>6} {'errors':>6}")
    print(header)
    print("-" * len(header))
    start = time.monotonic()
    rows = []
    next_sample = start + args.interval
    end = start + args.duration
    while True:
        now = time.monotonic()
        if now >= end or daemon.poll() is not None:
            break
        time.sleep(max(0, min(next_sample, end) - now))
        if time.monotonic() < next_sample and time.monotonic() < end:
            continue
        window_seconds = time.monotonic() - (next_sample - args.interval)
        next_sample += args.interval
        lat, sent, events, lagged, errors = stats.take()
        rss, fds = proc_status(daemon.pid)
        row = (
            (time.monotonic() - start) / 60, rss, fds, db_size(db), sent / window_seconds, len(lat),
            percentile(lat, 0.5), percentile(lat, 0.99), (lat[-1] * 1000 if lat else 0), events / window_seconds,
            lagged, errors)
        rows.append(row)
        print(f"{row[0]:5.1f} {row[1]:7} {row[2]:5} {row[3]:6} {row[4]:7.0f} {row[5]:6} {row[6]:7.1f} {row[7]:7.1f} "
              f"{row[8]:7.1f} {row[9]:9.0f} {row[10]:6} {row[11]:6}", flush=True)

    stop.set()
    alive = daemon.poll() is None
    problems = list(failures)
    if not alive:
        problems.append(f"the daemon exited with {daemon.returncode}")
    else:
        try:
            c = Conn(args.socket, timeout=10)
            if "result" not in c.call("ping"):
                problems.append("the final ping failed")
            c.close()
        except Exception as e:
            problems.append(f"the final ping failed: {e!r}")
    time.sleep(1.5)  # let the workers notice the stop
    if alive:
        daemon.send_signal(signal.SIGTERM)
        try:
            daemon.wait(30)
        except subprocess.TimeoutExpired:
            problems.append("the daemon did not stop within 30 s of SIGTERM")
            daemon.kill()
    integrity = sqlite3.connect(db).execute("PRAGMA integrity_check").fetchone()[0]
    if integrity != "ok":
        problems.append(f"integrity_check: {integrity}")
    if stats.internal_errors:
        problems.append(f"{stats.internal_errors} internal errors (-32603)")
    if stats.total_errors:
        problems.append(f"{stats.total_errors} error answers: {stats.error_examples}")

    if rows:
        rss = [r[1] for r in rows if r[1] is not None]
        fds = [r[2] for r in rows if r[2] is not None]
        p99 = [r[7] for r in rows]
        print("-" * len(header))
        print(f"RSS {min(rss)}-{max(rss)} MB (first {rss[0]}, last {rss[-1]}); fds {min(fds)}-{max(fds)}; "
              f"p99 {min(p99):.1f}-{max(p99):.1f} ms")
    print(f"totals: {stats.total_sent} messages, {stats.total_requests} requests, {stats.runs_finished} runs finished, "
          f"{stats.pruned_runs} runs pruned, {stats.total_events} events; integrity_check {integrity}")
    if problems:
        print("PROBLEMS:")
        for p in problems:
            print("  " + p)
    else:
        print("ok: alive, answering, no errors, integrity ok")
    log.close()
    if not args.dir and not problems:
        shutil.rmtree(workdir, ignore_errors=True)
    elif problems:
        print("kept", workdir, "(daemon.log, db.sqlite)")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
