"""Offline unit tests: wire encoding and the lines each API call produces."""

import json
import logging
import os

import pytest

import joblog
from joblog import JobLogger, encode, encode_notification, encode_request
from joblog._encoding import clip_middle_utf8, clip_utf8, json_depth, sanitize
from joblog.handler import level_for
from joblog.run import outcome_of_exception, run_job


import re
import time
import warnings

_AT = re.compile(r',"at":([0-9]+)')


def lines(rec):
    """The lines sent, without their ``at`` (checked by test_log_and_progress_carry_at)."""
    return [_AT.sub("", x.decode("utf-8")) for x in rec.lines]


def test_encode_is_compact_utf8_line():
    assert encode({"a": [1, 2], "b": "é€😀"}) == '{"a":[1,2],"b":"é€😀"}\n'.encode("utf-8")
    # identical to json.dumps with the prescribed options
    obj = {"x": "ü\n\"", "y": {"z": None, "w": True, "f": 1.5}}
    assert encode(obj) == (json.dumps(obj, separators=(",", ":"), ensure_ascii=False) + "\n").encode()


def test_encode_request_and_notification_key_order():
    assert encode_request("ping", None, 1) == b'{"jsonrpc":"2.0","method":"ping","id":1}\n'
    assert encode_request("getRun", {"jobRunId": "3"}, 9) == \
        b'{"jsonrpc":"2.0","method":"getRun","params":{"jobRunId":"3"},"id":9}\n'
    assert encode_notification("info", {"jobRunId": "3", "message": "m"}) == \
        b'{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"3","message":"m"}}\n'


def test_encode_never_raises_on_odd_values():
    class Thing:
        def __str__(self):
            return "thing!"

    out = json.loads(encode({"nan": float("nan"), "inf": float("inf"), "ninf": -float("inf"),
                             (1, 2): "tuple key", 3: "int key", "set": {1}, "bytes": b"\xffa",
                             "obj": Thing(), "tuple": (1, "a")}))
    assert out["nan"] == "NaN" and out["inf"] == "Infinity" and out["ninf"] == "-Infinity"
    assert out["(1, 2)"] == "tuple key" and out["3"] == "int key"
    assert out["set"] == [1] and out["bytes"] == "\ufffda" and out["obj"] == "thing!" and out["tuple"] == [1, "a"]
    # a lone surrogate cannot be UTF-8: replaced, the line stays valid
    line = encode({"s": "a\udc80b"})
    line.decode("utf-8")
    assert json.loads(line) == {"s": "a?b"}


def test_sanitize_keeps_plain_values():
    v = {"a": [1, 2.5, None, True, "x"]}
    assert sanitize(v) == v


def test_clip_utf8():
    assert clip_utf8("abc", 10) == ("abc", False)
    s, cut = clip_utf8("é" * 100, 51, "~")
    assert cut and len(s.encode()) <= 51 and s.endswith("~")
    m = clip_middle_utf8("H" * 1000 + "T" * 1000, 300)
    assert len(m.encode()) <= 300 and m.startswith("H") and m.endswith("T") and "truncated" in m


def test_json_depth():
    assert json_depth({}) == 1
    assert json_depth({"a": 1}) == 1
    assert json_depth({"a": {"b": [1]}}) == 3


def test_logger_lines_exact(recorder):
    lg = JobLogger("7", "job", recorder)
    lg.set_stage("Initializing")
    lg.set_stage("Loading users", "Loading from database")
    lg.set_total(10, "users")
    lg.set_total(5)
    lg.increment_progress()
    lg.increment_progress(3)
    lg.set_progress(4)
    lg.info("Job started", batchSize=10)
    lg.debug("d")
    lg.milestone("Found", {"found": 10})
    lg.warning("w", {"a": 1}, b=2)
    lg.error("e", userId="4", error="Network timeout")
    lg.log("info", "via log", message="a context key called message", context="and context")
    lg.add_outcome("synced")
    lg.add_outcome("errors", -2)
    p = '{"jsonrpc":"2.0","method":"%s","params":{"jobRunId":"7"%s}}\n'
    assert lines(recorder) == [
        p % ("setStage", ',"stage":"Initializing"'),
        p % ("setStage", ',"stage":"Loading users","message":"Loading from database"'),
        p % ("setTotal", ',"total":10,"unit":"users"'),
        p % ("setTotal", ',"total":5'),
        p % ("incrementProgress", ""),
        p % ("incrementProgress", ',"by":3'),
        p % ("setProgress", ',"current":4'),
        p % ("info", ',"message":"Job started","context":{"batchSize":10}'),
        p % ("debug", ',"message":"d"'),
        p % ("milestone", ',"message":"Found","context":{"found":10}'),
        p % ("warning", ',"message":"w","context":{"a":1,"b":2}'),
        p % ("error", ',"message":"e","context":{"userId":"4","error":"Network timeout"}'),
        p % ("info", ',"message":"via log","context":{"message":"a context key called message",'
                     '"context":"and context"}'),
        p % ("addOutcome", ',"key":"synced","count":1'),
        p % ("addOutcome", ',"key":"errors","count":-2'),
    ]
    assert recorder.warnings == []


def test_logger_requests(recorder):
    lg = JobLogger(7, "job", recorder)
    assert lg.job_run_id == "7"
    assert lg.save_outcome() == {"id": "7"}
    assert lg.log_summary() == {"id": "7"}
    assert lg.flush() is True
    assert recorder.calls == [("saveOutcome", {"jobRunId": "7"}), ("logSummary", {"jobRunId": "7"}),
                             ("ping", {"rejected": True})]


def test_logger_coerces_and_rejects_numbers(recorder):
    # Issue 19 #3: bad arguments are the job's bug and raise at the call,
    # strict or not, with a run or without one; integral floats are fine.
    for lg in (JobLogger("7", "job", recorder), JobLogger(None, "job", recorder)):
        lg.set_total(10.0)
        for bad in ("ten", "10", 3.7, None, True, [1], object()):
            with pytest.raises(TypeError):
                lg.set_total(bad)
        with pytest.raises(ValueError):
            lg.set_total(-1)
        with pytest.raises(ValueError):
            lg.increment_progress(2**63)
        with pytest.raises(TypeError):
            lg.set_progress("3")
        with pytest.raises(TypeError):
            lg.increment_progress(1.5)
        with pytest.raises(TypeError):
            lg.add_outcome("k", "2")
        with pytest.raises(TypeError):
            lg.set_total(5, unit=7)
        with pytest.raises(ValueError):
            lg.log("fatal", "no such level")
    msgs = recorder.messages()
    assert [m["params"]["total"] for m in msgs] == [10]
    assert type(msgs[0]["params"]["total"]) is int
    assert recorder.warnings == []


def test_log_and_progress_carry_at(recorder):
    # Issue 19 #5: the time of the call, ms since the epoch, on log and progress methods.
    lg = JobLogger("7", "job", recorder)
    before = int(time.time() * 1000)
    lg.set_stage("s")
    lg.set_total(3)
    lg.increment_progress()
    lg.increment_progress(2)
    lg.set_progress(1)
    lg.info("i")
    lg.log("error", "e")
    lg.add_outcome("k")
    after = int(time.time() * 1000)
    msgs = recorder.messages(with_at=True)
    ats = [m["params"].get("at") for m in msgs]
    assert all(type(a) is int and before <= a <= after for a in ats[:-1]), ats
    assert ats[-1] is None  # addOutcome has no time


def test_logger_without_run_is_a_noop(recorder):
    lg = JobLogger(None, "job", recorder)
    assert not lg.enabled
    lg.set_stage("x")
    lg.info("y")
    lg.increment_progress()
    lg.add_outcome("k")
    assert lg.log_summary() is None and lg.save_outcome() is None
    assert recorder.lines == [] and recorder.calls == []


def test_oversized_message_and_context_are_fitted(recorder):
    lg = JobLogger("7", "job", recorder)
    lg.info("x" * 70000)
    lg.info("big", blob="y" * 70000)
    deep = {}
    d = deep
    for _ in range(40):
        d["a"] = {}
        d = d["a"]
    lg.info("deep", deep)
    m1, m2, m3 = recorder.messages()
    assert len(m1["params"]["message"].encode()) <= 65536 and m1["params"]["message"].endswith("[truncated]")
    assert m2["params"]["context"]["truncated"] is True and m2["params"]["context"]["contextBytes"] > 65536
    assert m3["params"]["context"]["truncated"] is True
    assert len(set(recorder.warnings)) == 2  # the real Client prints each kind once


def test_progress_wrapper(recorder):
    lg = JobLogger("7", "job", recorder)
    seen = [x for x in lg.progress(["a", "b", "c"], unit="users")]
    assert seen == ["a", "b", "c"]
    methods = [(m["method"], m["params"]) for m in recorder.messages()]
    assert methods[0] == ("setTotal", {"jobRunId": "7", "total": 3, "unit": "users"})
    assert [m for m, _ in methods[1:]] == ["incrementProgress"] * 3
    recorder.lines.clear()
    list(lg.progress(iter(range(4))))  # no len(): no total
    assert [m["method"] for m in recorder.messages()] == ["incrementProgress"] * 4


def test_run_job_success_and_failure_calls(recorder, monkeypatch):
    monkeypatch.delenv("JOBLOG_RUN_ID", raising=False)
    with run_job("user-sync", params={"batchSize": 10}, algorithm_version="v1", client=recorder) as ctx:
        assert ctx.job_run_id == "7" and ctx.job_name == "user-sync"
    assert recorder.calls == [
        ("startRun", {"jobName": "user-sync", "trigger": "MANUAL", "scope": "system", "algorithmVersion": "v1",
                      "params": {"batchSize": 10}, "acceptsCancel": True}),
        ("logSummary", {"jobRunId": "7"}),
        ("finishRun", {"jobRunId": "7", "status": "SUCCESS"}),
    ]
    recorder.calls.clear()
    with pytest.raises(ZeroDivisionError):
        with run_job("j", client=recorder):
            1 / 0
    (m1, p1), (m2, p2), (m3, p3) = recorder.calls
    assert (m2, m3) == ("logSummary", "finishRun")
    assert p3["status"] == "FAILED" and p3["error"]["message"] == "division by zero"
    assert "ZeroDivisionError: division by zero" in p3["error"]["stack"]


def test_run_job_attached(recorder, monkeypatch):
    monkeypatch.setenv("JOBLOG_RUN_ID", "42")
    with pytest.raises(RuntimeError):
        with run_job("j", client=recorder) as ctx:
            assert ctx.job_run_id == "42" and ctx.attached
            raise RuntimeError("bad")
    assert [c[0] for c in recorder.calls] == ["logSummary"]
    (err,) = recorder.messages()
    assert err["method"] == "error" and err["params"]["message"] == "bad" and "RuntimeError" in \
        err["params"]["context"]["stack"]


def test_outcome_of_exception():
    assert outcome_of_exception(None, None, None) == ("SUCCESS", None)
    for exc, status in [(KeyboardInterrupt(), "CANCELLED"), (ValueError("v"), "FAILED"),
                        (SystemExit(0), "SUCCESS"), (SystemExit(3), "FAILED")]:
        try:
            raise exc
        except BaseException as e:
            s, err = outcome_of_exception(type(e), e, e.__traceback__)
        assert s == status, exc
    try:
        raise ValueError("x\"" * 100000)
    except ValueError as e:
        s, err = outcome_of_exception(type(e), e, e.__traceback__)
    # joblogd takes at most 64 KiB of message + stack, and the stack becomes a context
    assert len(err["message"].encode()) + len(err["stack"].encode()) <= 65536
    assert len(encode({"stack": err["stack"]})) - 1 <= 65536
    assert err["stack"].rstrip().endswith('x"x"') and "truncated" in err["stack"]


def test_finish_retries_with_a_short_error_when_refused(recorder):
    from joblog.client import RpcError

    class Refusing(type(recorder)):
        def call(self, method, params=None, timeout=None):
            if method == "finishRun" and isinstance(params.get("error"), dict) and "stack" in params["error"]:
                self.calls.append((method, params))
                raise RpcError(method, -32602, "invalid params", {"field": "error", "reason": "too long"})
            return super().call(method, params, timeout)

    rec = Refusing()
    lg = JobLogger("7", "job", rec)
    assert lg.finish("FAILED", {"message": "m" * 5000, "stack": "s"}) == {"id": "7"}
    assert [c[0] for c in rec.calls] == ["finishRun", "finishRun"]
    assert rec.calls[1][1]["error"] == {"message": "m" * (1024 - len("...[truncated]")) + "...[truncated]"}


def test_handler_levels():
    assert [level_for(x) for x in (5, 10, 20, 25, 30, 40, 50)] == \
        ["debug", "debug", "info", "milestone", "warning", "error", "error"]


def test_handler_context(recorder):
    lg = JobLogger("7", "job", recorder)
    h = joblog.JobLogHandler(lg)
    log = logging.getLogger("joblog-test-unit")
    log.propagate = False
    log.setLevel(logging.DEBUG)
    log.addHandler(h)
    try:
        log.info("hello %s", "world", extra={"table": "users", "n": 3})
        log.debug("plain")
        try:
            raise KeyError("k")
        except KeyError:
            log.exception("oops")
    finally:
        log.removeHandler(h)
    a, b, c = recorder.messages()
    assert a["method"] == "info" and a["params"]["message"] == "hello world"
    # Issue 19 #13: the logger's name, and an exception's formatted traceback as context.exc.
    assert a["params"]["context"] == {"table": "users", "n": 3, "logger": "joblog-test-unit"}
    assert b["method"] == "debug" and b["params"]["context"] == {"logger": "joblog-test-unit"}
    exc = c["params"]["context"]["exc"]
    assert c["method"] == "error" and exc.startswith("Traceback (most recent call last):")
    assert "KeyError: 'k'" in exc and "raise KeyError" in exc


def test_handler_never_blocks_without_a_daemon(tmp_path, monkeypatch):
    # Issue 19 #13: with no daemon (a run that could not start, or a daemon gone
    # while the run goes on) a record costs what buffering costs.
    monkeypatch.delenv("JOBLOG_RUN_ID", raising=False)
    c = joblog.Client(str(tmp_path / "none.sock"), quiet=True, max_unacked=1000)
    log = logging.getLogger("joblog-test-noblock")
    log.propagate = False
    h = joblog.JobLogHandler(JobLogger("42", "job", c))  # a run id, but nobody listens
    log.addHandler(h)
    try:
        t0 = time.perf_counter()
        for i in range(5000):
            log.warning("record %d", i)
        per_record = (time.perf_counter() - t0) / 5000
    finally:
        log.removeHandler(h)
        c.close(timeout=0.1)
    assert per_record < 0.001, per_record  # microseconds in practice; never a connect wait


def test_default_socket_path(monkeypatch):
    monkeypatch.setenv("JOBLOG_SOCKET", "/x/y.sock")
    assert joblog.default_socket_path() == "/x/y.sock"
    monkeypatch.delenv("JOBLOG_SOCKET")
    monkeypatch.setenv("XDG_RUNTIME_DIR", "/run/user/5")
    assert joblog.default_socket_path() == "/run/user/5/joblogd.sock"
    monkeypatch.delenv("XDG_RUNTIME_DIR")
    assert joblog.default_socket_path() == "/tmp/joblogd-%d.sock" % os.getuid()


def test_daemon_absent_job_still_runs(tmp_path, capfd, monkeypatch):
    monkeypatch.delenv("JOBLOG_RUN_ID", raising=False)
    c = joblog.Client(str(tmp_path / "none.sock"), connect_timeout=0.2)
    ran = False
    with run_job("orphan", client=c) as ctx:
        ctx.logger.info("nobody listens")
        ctx.logger.increment_progress()
        ran = True
    assert ran and ctx.job_run_id is None
    assert ctx.logger.flush() is False  # disabled logger: the client still answers
    c.close(timeout=0.1)
    err = capfd.readouterr().err
    assert err.count("joblog: warning:") >= 1 and "could not start the run" in err


def test_strict_raises_when_daemon_absent(tmp_path, monkeypatch):
    monkeypatch.delenv("JOBLOG_RUN_ID", raising=False)
    c = joblog.Client(str(tmp_path / "none.sock"), connect_timeout=0.2, quiet=True)
    with pytest.raises(joblog.JobLogError):
        with run_job("orphan", client=c, strict=True):
            pass
    c.close(timeout=0.1)
