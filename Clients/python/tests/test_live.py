"""Tests against a live joblogd (skipped when no binary is found)."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
import time

import pytest

import conformance_replay
import joblog
from joblog import JobLogger, create_job_logger, run_job
from joblog.aio import arun_job

from conftest import CLIENT_DIR, SPEC, Raw

EXAMPLE = os.path.join(CLIENT_DIR, "examples", "user_sync.py")
CHECKER = os.path.join(SPEC, "scenario", "check_user_sync.py")


def child_env(socket_path, **extra):
    env = dict(os.environ)
    env["JOBLOG_SOCKET"] = socket_path
    env.pop("JOBLOG_RUN_ID", None)
    env["PYTHONPATH"] = os.path.join(CLIENT_DIR, "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


# ------------------------------------------------------------ conformance


@pytest.mark.parametrize("vector_file", conformance_replay.default_vector_files(), ids=os.path.basename)
def test_conformance_vectors(daemon_bin, vector_file):
    """Spec/conformance/*.jsonl through Spec/conformance_replay.py, a fresh daemon per file."""
    (res,) = conformance_replay.replay_files([vector_file], daemon_bin=daemon_bin)
    assert res.count > 0


# ------------------------------------------------------------- scenario


def test_user_sync_example_and_checker(daemon):
    p = subprocess.run([sys.executable, EXAMPLE], env=child_env(daemon.socket_path),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    run_id = p.stdout.strip()
    assert run_id.isdigit(), p.stdout
    assert "warning" not in p.stderr, p.stderr
    chk = subprocess.run([sys.executable, CHECKER, "--socket", daemon.socket_path, "--run", run_id],
                         capture_output=True, text=True, timeout=60)
    assert chk.returncode == 0 and chk.stdout.strip() == "user-sync check: OK", chk.stdout + chk.stderr


def test_checker_detects_a_different_run(daemon, env_socket):
    with run_job("user-sync", params={"batchSize": 10}) as ctx:
        ctx.logger.set_stage("Initializing")
    chk = subprocess.run([sys.executable, CHECKER, "--socket", daemon.socket_path, "--run", ctx.job_run_id],
                         capture_output=True, text=True, timeout=60)
    assert chk.returncode == 1 and "FAILED" in chk.stdout


# ------------------------------------------------------ finish statuses


def test_success_path(env_socket, raw):
    with run_job("py-success", params={"n": 1}, algorithm_version="v2", trigger="CRON", scope="tenant:1") as ctx:
        lg = ctx.logger
        lg.set_stage("Work")
        lg.set_total(3, "items")
        for _ in range(3):
            lg.increment_progress()
        lg.add_outcome("done", 3)
    assert ctx.status == "SUCCESS" and ctx.outcome["status"] == "SUCCESS"
    run = raw.run(ctx.job_run_id)
    assert (run["status"], run["trigger"], run["scope"], run["algorithmVersion"]) == \
        ("SUCCESS", "CRON", "tenant:1", "v2")
    assert run["metadata"]["params"] == {"n": 1} and run["outcomeSummary"] == {"done": 3}
    assert run["progressCurrent"] == 3 and run["progressTotal"] == 3
    logs = raw.logs(ctx.job_run_id)
    assert logs[-1]["message"] == "Summary" and logs[-1]["level"] == "milestone"


def test_failed_path(env_socket, raw):
    def inner():
        raise ValueError("sync exploded")

    with pytest.raises(ValueError):
        with run_job("py-failed") as ctx:
            ctx.logger.add_outcome("before", 1)
            inner()
    run = raw.run(ctx.job_run_id)
    assert run["status"] == "FAILED"
    assert run["error"]["message"] == "sync exploded"
    stack = run["error"]["stack"]
    assert "Traceback (most recent call last)" in stack and "in inner" in stack
    assert stack.rstrip().endswith("ValueError: sync exploded")
    logs = raw.logs(ctx.job_run_id)
    # the summary is written before finishRun, which adds the error entry
    assert [(x["level"], x["message"]) for x in logs[-2:]] == [("milestone", "Summary"), ("error", "sync exploded")]
    assert logs[-1]["context"] == {"stack": stack}
    assert logs[-2]["context"]["outcome"] == {"before": 1}


def test_failed_with_a_huge_error_still_finishes(env_socket, raw):
    def recurse(n):
        if n == 0:
            raise ValueError("v" * 100_000)
        recurse(n - 1)

    with pytest.raises(ValueError):
        with run_job("py-huge-error") as ctx:
            recurse(400)
    run = raw.run(ctx.job_run_id)
    assert run["status"] == "FAILED"
    assert run["error"]["message"].startswith("vvvv") and "truncated" in run["error"]["stack"]
    assert "in recurse" in run["error"]["stack"]


def test_cancelled_path(env_socket, raw):
    with pytest.raises(KeyboardInterrupt):
        with run_job("py-cancelled") as ctx:
            raise KeyboardInterrupt
    run = raw.run(ctx.job_run_id)
    assert run["status"] == "CANCELLED" and run["error"]["message"] == "KeyboardInterrupt"
    assert raw.logs(ctx.job_run_id)[-2]["message"] == "Summary"


def test_sigint_in_a_real_process_cancels(daemon, raw):
    code = (
        "import sys, time\n"
        "from joblog import run_job\n"
        "with run_job('py-sigint') as ctx:\n"
        "    ctx.logger.info('waiting')\n"
        "    ctx.logger.flush()\n"
        "    print(ctx.job_run_id, flush=True)\n"
        "    time.sleep(30)\n"
    )
    p = subprocess.Popen([sys.executable, "-c", code], env=child_env(daemon.socket_path),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    run_id = p.stdout.readline().strip()
    p.send_signal(signal.SIGINT)
    p.wait(30)
    assert p.returncode != 0
    run = raw.run(run_id)
    assert run["status"] == "CANCELLED", run
    assert "KeyboardInterrupt" in run["error"]["stack"]


def test_system_exit_zero_is_success(env_socket, raw):
    with pytest.raises(SystemExit):
        with run_job("py-exit") as ctx:
            sys.exit(0)
    assert raw.run(ctx.job_run_id)["status"] == "SUCCESS"


# ------------------------------------------------------- JOBLOG_RUN_ID


def test_joblog_run_id_reports_into_the_given_run(env_socket, raw, monkeypatch):
    rid = raw.call("startRun", {"jobName": "wrapper-run"})["jobRunId"]
    monkeypatch.setenv("JOBLOG_RUN_ID", rid)
    with run_job("inner-name") as ctx:
        assert ctx.job_run_id == rid and ctx.attached
        ctx.logger.set_stage("Inside")
        ctx.logger.info("from the child")
        ctx.logger.add_outcome("k", 2)
    run = raw.run(rid)
    assert run["status"] == "RUNNING"  # the wrapper finishes it
    assert run["jobName"] == "wrapper-run"
    assert [x["message"] for x in raw.logs(rid)] == ["Stage: Inside", "from the child", "Summary"]
    assert run["metadata"]["outcome"] == {"k": 2}  # logSummary saved it
    raw.call("finishRun", {"jobRunId": rid, "status": "SUCCESS"})
    assert raw.run(rid)["status"] == "SUCCESS"


def test_joblog_run_id_in_a_child_process(daemon, raw):
    rid = raw.call("startRun", {"jobName": "wrapper-child"})["jobRunId"]
    code = ("from joblog import run_job\n"
            "with run_job('x') as ctx:\n"
            "    ctx.logger.info('child says hi', pid=1)\n"
            "    raise SystemExit(3)\n")
    p = subprocess.run([sys.executable, "-c", code], env=child_env(daemon.socket_path, JOBLOG_RUN_ID=rid),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 3, p.stderr
    logs = raw.logs(rid)
    assert [x["message"] for x in logs] == ["child says hi", "SystemExit: 3", "Summary"]
    assert raw.run(rid)["status"] == "RUNNING"


# --------------------------------------------------------------- logging


def test_logging_handler(env_socket, raw):
    log = logging.getLogger("joblog-live-test")
    log.setLevel(logging.DEBUG)
    log.propagate = False
    handler = joblog.JobLogHandler()
    log.addHandler(handler)
    try:
        log.info("outside any run is ignored")
        with run_job("py-logging") as ctx:
            log.debug("dbg %d", 1)
            log.info("info", extra={"table": "users", "rows": 5})
            log.log(joblog.MILESTONE, "a milestone")
            log.warning("careful")
            try:
                {}["missing"]
            except KeyError:
                log.exception("lookup failed", extra={"key": "missing"})
            log.critical("critical!")
            t = threading.Thread(target=lambda: log.info("from a thread"))
            t.start()
            t.join()
    finally:
        log.removeHandler(handler)
    logs = raw.logs(ctx.job_run_id)
    got = [(x["level"], x["message"]) for x in logs]
    assert got == [("debug", "dbg 1"), ("info", "info"), ("milestone", "a milestone"), ("warning", "careful"),
                   ("error", "lookup failed"), ("error", "critical!"), ("info", "from a thread"),
                   ("milestone", "Summary")]
    name = log.name
    assert logs[1]["context"] == {"table": "users", "rows": 5, "logger": name}
    exc = logs[4]["context"]["exc"]
    assert logs[4]["context"]["key"] == "missing" and exc.startswith("Traceback") and "KeyError: 'missing'" in exc
    assert logs[0]["context"] == {"logger": name}


# -------------------------------------------------------------- progress


def test_progress_wrapper(env_socket, raw):
    with run_job("py-progress") as ctx:
        seen = [u for u in ctx.progress(["a", "b", "c", "d"], unit="users")]
        assert seen == ["a", "b", "c", "d"]
        assert ctx.logger.flush()
        prog = raw.call("getProgress", {"jobRunId": ctx.job_run_id})["progress"]
        assert (prog["progressCurrent"], prog["progressTotal"], prog["unit"], prog["progressPercent"]) == \
            (4, 4, "users", 100)
        for _ in ctx.progress(x for x in range(3)):  # no len(): increments only
            pass
    run = raw.run(ctx.job_run_id)
    assert run["progressCurrent"] == 7 and run["progressTotal"] == 4


# --------------------------------------------------------------- asyncio


def test_asyncio_variant(env_socket, raw):
    async def job():
        async with arun_job("py-async", params={"mode": "async"}, algorithm_version="v1") as ctx:
            lg = ctx.logger
            await lg.set_stage("Fetching")
            await lg.set_total(5, "pages")
            async for _ in ctx.progress(range(5)):
                await asyncio.sleep(0)
                lg.add_outcome("pages")
            await lg.milestone("fetched", pages=5)
            out = await lg.save_outcome()
            assert out["outcomeSummary"] == {"pages": 5}
            assert await lg.flush() is True
        return ctx

    ctx = asyncio.run(job())
    run = raw.run(ctx.job_run_id)
    assert run["status"] == "SUCCESS" and run["progressCurrent"] == 5 and run["progressTotal"] == 5
    assert run["metadata"]["params"] == {"mode": "async"}
    assert [x["message"] for x in raw.logs(ctx.job_run_id)] == ["Stage: Fetching", "fetched", "Summary"]


def test_asyncio_cancellation(env_socket, raw):
    holder = []

    async def job():
        async with arun_job("py-async-cancel") as ctx:
            holder.append(ctx)
            await asyncio.sleep(30)

    async def main():
        task = asyncio.ensure_future(job())
        while not holder:
            await asyncio.sleep(0.01)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    run = raw.run(holder[0].job_run_id)
    assert run["status"] == "CANCELLED", run


def test_asyncio_failure(env_socket, raw):
    async def job():
        async with arun_job("py-async-fail") as ctx:
            holder.append(ctx)
            raise RuntimeError("async boom")

    holder = []
    with pytest.raises(RuntimeError):
        asyncio.run(job())
    run = raw.run(holder[0].job_run_id)
    assert run["status"] == "FAILED" and run["error"]["message"] == "async boom"


# ------------------------------------------------------- errors, strict


def test_request_errors_warn_or_raise(client, raw, capfd):
    rid = raw.call("startRun", {"jobName": "py-errors"})["jobRunId"]
    raw.call("finishRun", {"jobRunId": rid, "status": "SUCCESS"})
    lg = create_job_logger(rid, "py-errors", client)
    lg.info("late, dropped by the daemon")
    assert lg.save_outcome() is None
    assert lg.save_outcome() is None
    err = capfd.readouterr().err
    assert err.count("joblog: warning:") == 1 and "run already finished" in err
    strict = create_job_logger(rid, "py-errors", client, strict=True)
    with pytest.raises(joblog.RpcError) as e:
        strict.save_outcome()
    assert e.value.code == -32002 and e.value.data == {"jobRunId": rid, "status": "SUCCESS"}
    assert lg.flush() is True  # a notification error never breaks the connection


def test_unknown_run_request(client):
    lg = create_job_logger("999999999", "ghost", client, strict=True)
    with pytest.raises(joblog.RpcError) as e:
        lg.log_summary()
    assert e.value.code == -32001


# -------------------------------------------------- threads and volume


def test_threads_share_a_client(client, raw):
    rid = raw.call("startRun", {"jobName": "py-threads"})["jobRunId"]
    lg = create_job_logger(rid, "py-threads", client)

    def work(t):
        for i in range(1000):
            lg.info("t%d-%d" % (t, i))
            lg.increment_progress()

    threads = [threading.Thread(target=work, args=(t,)) for t in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert lg.flush()
    run = raw.run(rid)
    assert run["logCounts"]["info"] == 8000 and run["progressCurrent"] == 8000
    logs = raw.logs(rid)
    for t in range(8):  # each thread's entries in its own order
        mine = [x["message"] for x in logs if x["message"].startswith("t%d-" % t)]
        assert mine == ["t%d-%d" % (t, i) for i in range(1000)]


def test_volume_without_requests_keeps_journal_bounded(client, raw):
    rid = raw.call("startRun", {"jobName": "py-volume"})["jobRunId"]
    lg = create_job_logger(rid, "py-volume", client)
    n = 300_000
    for _ in range(n):
        lg.increment_progress()
    assert lg.flush(timeout=60)
    assert raw.run(rid)["progressCurrent"] == n
    assert client.stats["dropped"] == 0 and client.unacknowledged() == 0


# ------------------------------------------------ daemon restart mid-job


def _messages(raw, rid):
    return [x["message"] for x in raw.logs(rid)]


@pytest.mark.parametrize("how", ["kill", "term"])
def test_reconnect_when_daemon_restarts(fresh_daemon, how, capfd):
    d = fresh_daemon
    c = joblog.Client(d.socket_path)
    try:
        with run_job("py-restart", client=c) as ctx:
            lg = ctx.logger
            lg.set_total(400, "rows")
            for i in range(200):
                lg.info("acked %d" % i, i=i)
                lg.increment_progress()
            assert lg.flush()  # everything so far is acknowledged
            d.kill() if how == "kill" else d.stop()
            for i in range(200):
                lg.info("after %d" % i, i=i)
                lg.increment_progress()
            time.sleep(0.5)  # the client notices, buffers and backs off
            assert not c.connected
            d.start()  # a new daemon on the same socket and database
            for i in range(100):
                lg.add_outcome("rows", 4)
            assert lg.flush(timeout=30)
        assert ctx.status == "SUCCESS" and ctx.outcome is not None
        raw = Raw(d.socket_path)
        try:
            msgs = _messages(raw, ctx.job_run_id)
            run = raw.run(ctx.job_run_id)
        finally:
            raw.close()
        for i in range(200):
            assert msgs.count("acked %d" % i) == 1, i
            assert msgs.count("after %d" % i) == 1, i  # never reached the dead daemon: sent once
        assert run["status"] == "SUCCESS" and run["progressCurrent"] == 400
        assert run["outcomeSummary"] == {"rows": 400}
        assert c.stats["connects"] >= 2  # (a connect may slip into the dying daemon's backlog)
        assert capfd.readouterr().err.count("lost the connection") == 1
    finally:
        c.close()


def test_kill_with_unacknowledged_messages_in_flight(fresh_daemon):
    """Killed while notifications are in flight: nothing acknowledged is lost
    or duplicated; what was in flight arrives at least once (at-least-once)."""
    d = fresh_daemon
    c = joblog.Client(d.socket_path, quiet=True)
    try:
        with run_job("py-restart-inflight", client=c) as ctx:
            lg = ctx.logger
            for i in range(100):
                lg.info("acked %d" % i)
            assert lg.flush()
            for i in range(2000):
                lg.info("inflight %d" % i)
            time.sleep(0.06)  # some of it written and maybe committed
            d.kill()
            for i in range(100):
                lg.info("after %d" % i)
            d.start()
        assert ctx.status == "SUCCESS"
        raw = Raw(d.socket_path)
        try:
            msgs = _messages(raw, ctx.job_run_id)
            run = raw.run(ctx.job_run_id)
        finally:
            raw.close()
        for i in range(100):
            assert msgs.count("acked %d" % i) == 1
            assert msgs.count("after %d" % i) == 1
        counts = [msgs.count("inflight %d" % i) for i in range(2000)]
        assert min(counts) >= 1
        dup = sum(1 for x in counts if x > 1)
        print("\nin flight at the kill: %d of 2000 entries were applied twice (at-least-once)" % dup)
        assert run["status"] == "SUCCESS"
    finally:
        c.close()


def test_request_waits_out_an_outage(fresh_daemon):
    d = fresh_daemon
    c = joblog.Client(d.socket_path, quiet=True)
    try:
        rid = c.call("startRun", {"jobName": "py-outage"})["jobRunId"]
        lg = create_job_logger(rid, "py-outage", c)
        d.kill()
        lg.info("during the outage")
        threading.Timer(1.0, d.start).start()
        t0 = time.monotonic()
        assert lg.flush(timeout=20) is True
        assert time.monotonic() - t0 >= 0.9
        assert lg.log_summary()["status"] == "RUNNING"
    finally:
        c.close()


def test_daemon_that_starts_late(daemon_bin, monkeypatch):
    """startRun waits (up to connect_timeout) for a daemon that is starting."""
    monkeypatch.delenv("JOBLOG_RUN_ID", raising=False)
    d = conformance_replay.Daemon(daemon_bin)
    try:
        c = joblog.Client(d.socket_path, connect_timeout=20, quiet=True)
        threading.Timer(0.5, d.start).start()
        with run_job("py-late", client=c) as ctx:
            ctx.logger.info("hello")
        assert ctx.job_run_id is not None and ctx.status == "SUCCESS" and ctx.outcome is not None
        c.close()
    finally:
        d.cleanup()


def test_gives_up_after_timeout_without_raising(fresh_daemon):
    d = fresh_daemon
    c = joblog.Client(d.socket_path, timeout=1.0, quiet=True)
    try:
        with run_job("py-gone", client=c) as ctx:
            d.kill()
            ctx.logger.info("nobody will store this")
            t0 = time.monotonic()
            assert ctx.logger.flush() is False
            assert time.monotonic() - t0 < 5
        assert ctx.outcome is None  # finishRun not delivered; the job was not disturbed
    finally:
        c.close(timeout=0.1)


def test_drop_oldest_when_the_journal_is_full(fresh_daemon, capfd):
    d = fresh_daemon
    c = joblog.Client(d.socket_path, max_unacked=1000)
    try:
        rid = c.call("startRun", {"jobName": "py-drop"})["jobRunId"]
        lg = create_job_logger(rid, "py-drop", c)
        d.kill()
        for i in range(5000):
            lg.info("m %d" % i)
        # (one more may be dropped for a ping, if the client had not yet
        # noticed the kill when the journal filled up)
        assert c.unacknowledged() == 1000 and c.stats["dropped"] in (4000, 4001)
        d.start()
        assert lg.flush(timeout=20)
        raw = Raw(d.socket_path)
        try:
            msgs = _messages(raw, rid)
        finally:
            raw.close()
        # Issue 10 #16: first, the client's note of the gap, as a warning entry;
        # then the newest 1000 (the oldest of them may give its slot to a ping)
        first = msgs[0]
        k = 5000 - (len(msgs) - 1)
        # (k may be off by one either way: a ping can take the slot of the oldest kept message)
        assert first in {
            "client dropped {:,} messages while the daemon was unreachable".format(n) for n in (k - 1, k, k + 1)
        }, first
        assert msgs[1:] == ["m %d" % i for i in range(k, 5000)] and k in (3999, 4000, 4001, 4002)
        assert capfd.readouterr().err.count("dropping the oldest") == 1
    finally:
        c.close()


# --------------------------------------------------------------- costs


def test_per_call_costs(client, raw, capsys):
    """Measures (prints, does not assert) what a call costs the job.

    burst: calls that fit in the buffer (no wait for the daemon);
    sustained: many more calls than the buffer holds, so the daemon's
    throughput (backpressure) is part of the figure."""
    rid = raw.call("startRun", {"jobName": "py-bench"})["jobRunId"]
    lg = create_job_logger(rid, "py-bench", client)
    rows = []

    def measure(label, n, fn):
        assert lg.flush(timeout=120)
        t0 = time.perf_counter()
        fn(n)
        dt = time.perf_counter() - t0
        rows.append((label, n, dt * 1e6 / n))

    def incr(n):
        for _ in range(n):
            lg.increment_progress()

    def info(n):
        for i in range(n):
            lg.info("Syncing user", userId=str(i), batch=3)

    def outcome(n):
        for _ in range(n):
            lg.add_outcome("synced")

    def ping(n):
        for _ in range(n):
            lg.flush()

    def save(n):
        for _ in range(n):
            lg.save_outcome()

    measure("burst: increment_progress()", 10_000, incr)
    measure("burst: info(msg, 2 context fields)", 10_000, info)
    measure("burst: add_outcome(key)", 10_000, outcome)
    measure("sustained: increment_progress()", 300_000, incr)
    measure("sustained: info(msg, 2 context fields)", 100_000, info)
    measure("acknowledged: flush() (a ping)", 2_000, ping)
    measure("acknowledged: save_outcome()", 1_000, save)
    t0 = time.perf_counter()
    assert lg.flush(timeout=60)
    with capsys.disabled():
        print("\nper-call cost (Python %s, %d CPUs):" % (sys.version.split()[0], os.cpu_count() or 0))
        for label, n, us in rows:
            print("  %-42s %9.2f us/call  (n=%d)" % (label, us, n))
