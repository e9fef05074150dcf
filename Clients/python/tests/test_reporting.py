"""Issue 19 (#2-#5, #12-#14) and issue 10 #16: reporting never breaks a job,
mistakes never vanish. Offline tests need no daemon; live ones start one."""

from __future__ import annotations

import os
import pty
import select
import signal
import socket
import subprocess
import sys
import time
import warnings

import pytest

import joblog
from joblog import create_job_logger
from joblog._bar import Bar, format_interval

from conftest import CLIENT_DIR, Raw


def child_env(socket_path, **extra):
    env = dict(os.environ)
    env["JOBLOG_SOCKET"] = socket_path
    env.pop("JOBLOG_RUN_ID", None)
    env["PYTHONPATH"] = os.path.join(CLIENT_DIR, "src") + os.pathsep + env.get("PYTHONPATH", "")
    env.update(extra)
    return env


# ----------------------------------------------------- #14: no daemon, fast


@pytest.mark.parametrize("kind", ["missing", "plain-file", "dead-socket"])
def test_no_daemon_costs_at_most_0_2_s_and_says_why(tmp_path, monkeypatch, capfd, kind):
    monkeypatch.delenv("JOBLOG_RUN_ID", raising=False)
    path = str(tmp_path / "joblogd.sock")
    reason = {"missing": "no such file", "plain-file": "not a socket", "dead-socket": "nobody listening"}[kind]
    if kind == "plain-file":
        open(path, "w").close()
    elif kind == "dead-socket":
        s = socket.socket(socket.AF_UNIX)
        s.bind(path)
        s.close()
    c = joblog.Client(path)
    try:
        t0 = time.monotonic()
        with joblog.run_job("orphan", client=c) as ctx:
            ctx.logger.info("nobody listens")
        c.close()  # as at exit: no second wait for a daemon that was never there
        elapsed = time.monotonic() - t0
    finally:
        c.close(timeout=0.1)
    assert ctx.job_run_id is None
    assert elapsed <= 0.2 + 0.1, elapsed  # 0.2 s, plus scheduling slack on a loaded CI machine
    err = capfd.readouterr().err
    assert "daemon unreachable at %s (%s)" % (path, reason) in err, err


# ------------------------------------------------- #3: the job's own bugs


def test_bad_arguments_raise_even_without_a_daemon(tmp_path):
    c = joblog.Client(str(tmp_path / "none.sock"), quiet=True)
    try:
        lg = create_job_logger(None, "job", c)
        with pytest.raises(TypeError):
            lg.set_total("ten")
        with pytest.raises(TypeError):
            lg.set_total(3.7)
        with pytest.raises(TypeError):
            lg.set_total(None)
        with pytest.raises(ValueError):
            lg.set_total(-3)
    finally:
        c.close(timeout=0.1)


# ------------------------------------------------------------ #12: the bar


def test_bar_text_like_tqdm():
    assert format_interval(2) == "00:02" and format_interval(3725) == "1:02:05"
    b = Bar(10, "users", "sync", stream=open(os.devnull, "w"), width=80)
    b.start -= 2.0
    b.n = 4
    line = b.line()
    assert line.startswith("sync:  40%|") and "| 4/10 [00:02<00:03, 2.00users/s]" in line, line
    assert len(line) <= 79
    b.n = 10
    assert "10/10 [00:02<00:00," in b.line()
    b.total = None
    assert b.line().startswith("sync: 10 users [00:02, ")


def _run_in_pty(code, env):
    """Runs ``code`` with stderr (and stdout) on a pseudo-terminal; returns what it wrote."""
    pid, fd = pty.fork()
    if pid == 0:  # child
        os.execvpe(sys.executable, [sys.executable, "-c", code], env)
    out = b""
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        r, _, _ = select.select([fd], [], [], 0.5)
        if r:
            try:
                chunk = os.read(fd, 65536)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    return out.decode("utf-8", "replace"), os.waitstatus_to_exitcode(status)


BAR_JOB = """
import joblog, time
with joblog.run_job("bar") as ctx:
    for x in ctx.progress(range(20), unit="rows"%s):
        time.sleep(0.01)
print("DONE")
"""


def test_progress_bar_on_a_terminal_only(tmp_path):
    env = child_env(str(tmp_path / "none.sock"))
    out, rc = _run_in_pty(BAR_JOB % "", env)
    assert rc == 0 and "DONE" in out, out
    assert "100%|" in out and "20/20 [" in out and "rows/s]" in out, out
    out, rc = _run_in_pty(BAR_JOB % ", show=False", env)
    assert rc == 0 and "DONE" in out and "%|" not in out, out
    # Not a terminal: no bar (stderr to a pipe).
    p = subprocess.run([sys.executable, "-c", BAR_JOB % ""], env=env, capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "%|" not in p.stderr, p.stderr


# ----------------------------------------------------------- live: #4 SIGTERM


SIGTERM_JOB = """
import joblog, sys, time
with joblog.run_job("sigterm") as ctx:
    print(ctx.job_run_id, flush=True)
    try:
        time.sleep(30)
    except Exception:
        print("an except Exception must not stop it", flush=True)
print("not reached", flush=True)
"""


def test_sigterm_finishes_the_run_cancelled_and_exits_143(daemon, raw):
    p = subprocess.Popen([sys.executable, "-c", SIGTERM_JOB], env=child_env(daemon.socket_path),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rid = p.stdout.readline().strip()
    assert rid.isdigit(), p.stderr.read()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 143, (p.returncode, out, err)
    assert "not reached" not in out and "must not" not in out
    run = raw.call("getRun", {"jobRunId": rid})["run"]
    assert run["status"] == "CANCELLED", run
    assert run["error"]["message"] == "terminated by SIGTERM", run["error"]


ASYNC_SIGTERM_JOB = """
import asyncio, joblog
from joblog.aio import arun_job

async def main():
    async with arun_job("async-sigterm") as ctx:
        print(ctx.job_run_id, flush=True)
        await asyncio.sleep(30)
    print("not reached", flush=True)

asyncio.run(main())
"""


def test_sigterm_in_arun_job_finishes_cancelled_and_exits_143(daemon, raw):
    p = subprocess.Popen([sys.executable, "-c", ASYNC_SIGTERM_JOB], env=child_env(daemon.socket_path),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rid = p.stdout.readline().strip()
    assert rid.isdigit(), p.stderr.read()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 143, (p.returncode, out, err)
    run = raw.call("getRun", {"jobRunId": rid})["run"]
    assert run["status"] == "CANCELLED" and run["error"]["message"] == "terminated by SIGTERM", run


def test_a_job_with_its_own_sigterm_handler_keeps_it(daemon, raw):
    code = """
import joblog, signal, sys, time
got = []
signal.signal(signal.SIGTERM, lambda s, f: got.append(s))
with joblog.run_job("own-handler") as ctx:
    print(ctx.job_run_id, flush=True)
    while not got:
        time.sleep(0.01)
print("handled", flush=True)
"""
    p = subprocess.Popen([sys.executable, "-c", code], env=child_env(daemon.socket_path),
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    rid = p.stdout.readline().strip()
    p.send_signal(signal.SIGTERM)
    out, err = p.communicate(timeout=30)
    assert p.returncode == 0 and "handled" in out, (out, err)
    assert raw.call("getRun", {"jobRunId": rid})["run"]["status"] == "SUCCESS"


# ------------------------------------------------- live: #2 rejections


def test_rejected_notifications_are_reported(daemon, raw):
    c = joblog.Client(daemon.socket_path)
    try:
        rid = c.call("startRun", {"jobName": "py-rejected"})["jobRunId"]
        lg = create_job_logger(rid, "py-rejected", c)
        c.call("finishRun", {"jobRunId": rid, "status": "SUCCESS"})
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            lg.info("after the end")
            lg.set_total(5)
            assert lg.flush() is True  # stored or judged: the flush itself worked
        assert c.rejected == 2, c.rejected
        assert c.last_rejection == "setTotal: run already finished (SUCCESS)"
        texts = [str(w.message) for w in caught if issubclass(w.category, joblog.RejectedWarning)]
        assert texts and "rejected 2 notification(s)" in texts[0] and "run already finished" in texts[0], texts
        run = raw.call("getRun", {"jobRunId": rid})["run"]
        assert run["rejectedCount"] == 2 and run["lastRejection"] == "setTotal: run already finished (SUCCESS)"
    finally:
        c.close()


# ------------------------------------------------ live: #5 the call's time


def test_entries_keep_the_time_of_the_call(fresh_daemon):
    d = fresh_daemon
    c = joblog.Client(d.socket_path)
    try:
        rid = c.call("startRun", {"jobName": "py-at"})["jobRunId"]
        lg = create_job_logger(rid, "py-at", c)
        assert lg.flush()
        d.kill()
        lg.info("logged during the outage")
        time.sleep(1.5)
        d.start()
        lg.info("logged after it")
        assert lg.flush(timeout=20)
        raw = Raw(d.socket_path)
        try:
            logs = raw.call("getLogs", {"jobRunId": rid, "afterId": 0})["logs"]
        finally:
            raw.close()
        by_msg = {x["message"]: x for x in logs}
        t1 = by_msg["logged during the outage"]["createdAt"]
        t2 = by_msg["logged after it"]["createdAt"]
        from datetime import datetime

        assert t1 < t2, (t1, t2)
        # the job's time, not the daemon's time at the resend (1.5 s later)
        gap = (datetime.strptime(t2, "%Y-%m-%dT%H:%M:%S.%fZ") - datetime.strptime(t1, "%Y-%m-%dT%H:%M:%S.%fZ"))
        assert gap.total_seconds() >= 1.4, (t1, t2)
        ids = [int(x["id"]) for x in logs]
        assert ids == sorted(ids)
    finally:
        c.close()
