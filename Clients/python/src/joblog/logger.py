"""JobLogger: the seed's logger API with Python names.

Notifications (stages, progress, log entries, outcome counters) are queued
in memory and cost a few microseconds; ``save_outcome``, ``log_summary`` and
``flush`` are acknowledged requests. Reporting never raises into the job
unless the logger is strict (failures print one warning to stderr), or the run
was cancelled: then the next reporting call raises ``JobCancelled``. Bad
arguments from the job's own code (``set_total("ten")``, ``set_total(3.7)``,
``set_total(-1)``, an unknown level) are the job's bug: they raise
``TypeError``/``ValueError`` at the call, with or without a daemon.

Log and progress notifications carry ``at``, the time of the call in
milliseconds since the epoch: the daemon stores it as the entry's
``createdAt`` (when within 24 h of its clock), so entries buffered during
an outage keep the time they were logged.
"""

from __future__ import annotations

import contextvars
import operator
import sys
import threading
import time
from typing import Any, Dict, Iterable, Iterator, List, Optional, TypeVar

from ._encoding import (
    MAX_DEPTH,
    MAX_MESSAGE_BYTES,
    MAX_NAME_BYTES,
    MAX_OBJECT_BYTES,
    clip_utf8,
    encode,
    json_depth,
    sanitize,
)
from .client import Client, JobLogError, RpcError, get_client

__all__ = ["JobLogger", "JobCancelled", "create_job_logger", "current_logger", "Progress", "LEVELS"]


class JobCancelled(BaseException):
    """Raised by a reporting call (progress, log, outcome, stage) in the job's
    thread after someone cancelled the run (``cancelRun``, ``joblog cancel``):
    the call that raises sends nothing. ``run_job`` then finishes the run
    CANCELLED with the reason. A ``BaseException``, so ``except Exception``
    in the job's loop does not swallow it."""

    def __init__(self, reason: str = "") -> None:
        super().__init__(reason)
        self.reason = reason

LEVELS = ("debug", "info", "milestone", "warning", "error")

T = TypeVar("T")


class JobLogger:
    """Reports into one run (``job_run_id``).

    With ``job_run_id=None`` (the run could not be started) every method is a
    no-op, so a job keeps running when the daemon is unreachable.
    """

    def __init__(
        self,
        job_run_id: Any,
        job_name: str,
        client: Optional[Client] = None,
        *,
        strict: bool = False,
    ) -> None:
        self.job_run_id: Optional[str] = None if job_run_id is None else str(job_run_id)
        self.job_name = job_name
        self.client = client if client is not None else get_client()
        self.strict = strict
        self._done = False
        #: Set (from the I/O thread) when the run is cancelled: the next reporting
        #: call in ``_cancel_thread`` raises JobCancelled (once).
        self._cancel_pending = False
        self._cancel_thread: Optional[int] = None
        self.cancel_reason: Optional[str] = None
        self._send = self.client.send_line
        rid = self.job_run_id
        self._rid = rid
        # incrementProgress {} is the hot path: a pre-encoded line and the time.
        self._incr_head = (
            b'{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":%s,"at":'
            % encode(rid)[:-1] if rid is not None else b""
        )

    @property
    def enabled(self) -> bool:
        """False when there is no run to report into."""
        return self._rid is not None

    # ---------------------------------------------------------- internals

    def _raise_if_cancelled(self) -> None:
        """Raises JobCancelled in the job's thread, once, after a cancel request."""
        if self._cancel_thread is not None and threading.get_ident() != self._cancel_thread:
            return
        self._cancel_pending = False
        raise JobCancelled(self.cancel_reason or "")

    def _notify(self, method: str, params: Dict[str, Any]) -> None:
        if self._cancel_pending:
            self._raise_if_cancelled()
        if method in _TIMED:
            params["at"] = int(time.time() * 1000)
        line = encode({"jsonrpc": "2.0", "method": method, "params": params})
        if len(line) > MAX_MESSAGE_BYTES or line.count(b"{") + line.count(b"[") > MAX_DEPTH + 2:
            line = self._fit(method, params, line)
            if line is None:
                return
        self._send(line)

    def _fit(self, method: str, params: Dict[str, Any], line: bytes) -> Optional[bytes]:
        """Make a message the daemon would reject for its size or depth fit
        (it would drop a notification silently)."""
        changed = False
        ctx = params.get("context")
        if ctx is not None:
            clean = sanitize(ctx)
            size = len(encode(clean)) - 1
            if size > MAX_OBJECT_BYTES or json_depth(clean) > MAX_DEPTH:
                preview, _ = clip_utf8(encode(clean)[:-1].decode("utf-8", "replace"), 1024)
                params = dict(params, context={"truncated": True, "contextBytes": size, "preview": preview})
                changed = True
                self._problem("context", "a log context over 64 KiB or nested deeper than 32 was replaced "
                                         "by a truncation note")
        msg = params.get("message")
        if isinstance(msg, str):
            clipped, cut = clip_utf8(msg, MAX_MESSAGE_BYTES)
            if cut:
                params = dict(params, message=clipped)
                changed = True
                self._problem("message", "a log message over 64 KiB was truncated")
        if not changed:
            return line
        return encode({"jsonrpc": "2.0", "method": method, "params": params})

    def _problem(self, key: str, text: str) -> None:
        self.client.warn(key, text)

    @staticmethod
    def _count(what: str, value: Any, minimum: Optional[int] = 0) -> int:
        """``value`` as an int for the daemon; the job's bug raises here:
        TypeError when it is not an integer (``"ten"``, ``None``, ``3.7``,
        ``True``), ValueError when it is out of range (below ``minimum``, or
        beyond 64 bits)."""
        if type(value) is int:
            n = value
        elif isinstance(value, float) and value.is_integer():
            n = int(value)
        elif isinstance(value, bool) or isinstance(value, float):
            raise TypeError("%s must be an integer, not %r" % (what, value))
        else:
            try:
                n = int(operator.index(value))  # int(): a bool stays a bool on 3.9
            except TypeError:
                raise TypeError("%s must be an integer, not %s (%r)"
                                % (what, type(value).__name__, value)) from None
        if (minimum is not None and n < minimum) or not (-(2**63) <= n < 2**63):
            raise ValueError("%s out of range: %r" % (what, value))
        return n

    def _name(self, what: str, value: Any) -> str:
        text = value if isinstance(value, str) else str(value)
        clipped, cut = clip_utf8(text, MAX_NAME_BYTES, "...")
        if cut:
            self._problem("name:" + what, "a %s longer than 200 bytes was truncated" % what)
        return clipped

    def _request(self, method: str, params: Optional[Dict[str, Any]] = None) -> Any:
        try:
            return self.client.call(method, params)
        except JobLogError as e:
            return self._request_failed(method, e)

    def _request_failed(self, method: str, e: JobLogError) -> None:
        if self.strict:
            raise e
        self.client.warn("req:%s:%s" % (method, getattr(e, "code", type(e).__name__)),
                         "%s (the job goes on)" % e)
        return None

    # ------------------------------------------------------------- stages

    def set_stage(self, stage: str, message: Optional[str] = None) -> None:
        """Set the current stage; writes an info entry (``message`` or
        ``Stage: <stage>``)."""
        if self._rid is None:
            return
        params: Dict[str, Any] = {"jobRunId": self._rid, "stage": self._name("stage", stage)}
        if message is not None:
            params["message"] = message if isinstance(message, str) else str(message)
        self._notify("setStage", params)

    # ----------------------------------------------------------- progress

    def set_total(self, total: int, unit: Optional[str] = None) -> None:
        """The number of units the run will process (an int >= 0; else
        TypeError/ValueError)."""
        n = self._count("total", total)
        if unit is not None and not isinstance(unit, str):
            raise TypeError("unit must be a str, not %s" % type(unit).__name__)
        if self._rid is None:
            return
        params: Dict[str, Any] = {"jobRunId": self._rid, "total": n}
        if unit is not None:
            params["unit"] = self._name("unit", unit)
        self._notify("setTotal", params)

    def increment_progress(self, by: int = 1) -> None:
        if self._cancel_pending:
            self._raise_if_cancelled()
        if by == 1 and type(by) is int:
            if self._rid is not None:
                self._send(b"%s%d}}\n" % (self._incr_head, time.time() * 1000))
            return
        n = self._count("by", by)
        if self._rid is not None:
            self._notify("incrementProgress", {"jobRunId": self._rid, "by": n})

    def set_progress(self, current: int) -> None:
        n = self._count("current", current)
        if self._rid is not None:
            self._notify("setProgress", {"jobRunId": self._rid, "current": n})

    def progress(self, iterable: Iterable[T], unit: Optional[str] = None, total: Optional[int] = None,
                 *, show: Optional[bool] = None) -> "Progress[T]":
        """Iterate ``iterable`` reporting progress: sets the total (``total``
        or ``len(iterable)`` when it has one) and increments once per item.
        ``show``: draw a local bar on stderr (default: when it is a TTY)."""
        return Progress(self, iterable, unit=unit, total=total, show=show)

    # -------------------------------------------------------------- logs

    def log(self, level: str, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        """A log entry at ``level`` (debug, info, milestone, warning, error).

        The context is ``context`` (a dict) and/or the keyword arguments."""
        if level not in LEVELS:
            raise ValueError("unknown log level %r (one of %s)" % (level, ", ".join(LEVELS)))
        self._entry(level, message, context, fields)

    def _entry(self, method: str, message: Any, context: Optional[Dict[str, Any]], fields: Dict[str, Any]) -> None:
        if self._rid is None:
            return
        params: Dict[str, Any] = {
            "jobRunId": self._rid,
            "message": message if isinstance(message, str) else str(message),
        }
        if fields:
            params["context"] = dict(context, **fields) if context else fields
        elif context is not None:
            params["context"] = context if isinstance(context, dict) else {"value": context}
        self._notify(method, params)

    def debug(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self._entry("debug", message, context, fields)

    def info(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self._entry("info", message, context, fields)

    def milestone(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self._entry("milestone", message, context, fields)

    def warning(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self._entry("warning", message, context, fields)

    def error(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self._entry("error", message, context, fields)

    warn = warning

    # ----------------------------------------------------------- outcome

    def add_outcome(self, key: str, count: int = 1) -> None:
        """Add ``count`` (may be negative) to the counter ``key``."""
        n = self._count("count", count, minimum=None)
        if self._rid is None:
            return
        self._notify("addOutcome", {"jobRunId": self._rid, "key": self._name("key", key), "count": n})

    def save_outcome(self) -> Optional[Dict[str, Any]]:
        """Write the counters into ``metadata.outcome``; returns the outcome
        object (as ``getOutcome``), or None when not delivered."""
        if self._rid is None:
            return None
        res = self._request("saveOutcome", {"jobRunId": self._rid})
        return res.get("outcome") if isinstance(res, dict) else None

    def log_summary(self) -> Optional[Dict[str, Any]]:
        """Save the outcome and write the ``Summary`` milestone; returns the
        outcome object, or None when not delivered."""
        if self._rid is None:
            return None
        res = self._request("logSummary", {"jobRunId": self._rid})
        return res.get("outcome") if isinstance(res, dict) else None

    def finish(self, status: str, error: Any = None) -> Optional[Dict[str, Any]]:
        """``finishRun``: status SUCCESS, FAILED or CANCELLED; ``error`` a
        string or ``{"message": ..., "stack": ...}``. ``run_job`` calls it."""
        if self._rid is None:
            return None
        params: Dict[str, Any] = {"jobRunId": self._rid, "status": status}
        if error is not None:
            params["error"] = error
        try:
            res = self.client.call("finishRun", params)
        except RpcError as e:
            if e.code != -32602 or error is None:
                return self._request_failed("finishRun", e)
            # The error was refused (too long?): finish the run anyway.
            self.client.warn("finish-error", "finishRun refused the error (%s); finishing with a short one" % e)
            params["error"] = {"message": _short_error_message(error)}
            res = self._request("finishRun", params)
        except JobLogError as e:
            return self._request_failed("finishRun", e)
        return res.get("outcome") if isinstance(res, dict) else None

    def flush(self, timeout: Optional[float] = None) -> bool:
        """Wait until everything logged so far is stored (a ``ping``).
        True when it is; False (or JobLogError when strict) otherwise."""
        try:
            self.client.call("ping", {"rejected": True}, timeout=timeout)
            return True
        except JobLogError as e:
            if self.strict:
                raise
            self.client.warn("flush", "flush: %s" % e)
            return False

    def __repr__(self) -> str:
        return "JobLogger(job_run_id=%r, job_name=%r)" % (self.job_run_id, self.job_name)


#: The methods that carry ``at`` (the time of the call).
_TIMED = frozenset(("setStage", "setTotal", "incrementProgress", "setProgress", "log") + LEVELS)


def _short_error_message(error: Any) -> str:
    msg = error.get("message") if isinstance(error, dict) else error
    return clip_utf8(str(msg), 1024)[0]


def create_job_logger(job_run_id: Any, job_name: str, client: Optional[Client] = None, *,
                      strict: bool = False) -> JobLogger:
    """A JobLogger for an existing run (``createJobLogger`` of the seed)."""
    return JobLogger(job_run_id, job_name, client, strict=strict)


class Progress(Iterable[T]):
    """``for x in logger.progress(items, unit="users")``: sets the total when
    it is known and increments the progress after each item.

    With ``show`` (default: when stderr is a terminal, as tqdm does) it also
    draws a local bar on stderr with the rate, the elapsed time and the ETA;
    ``show=False`` turns it off."""

    def __init__(self, logger: JobLogger, iterable: Iterable[T], unit: Optional[str] = None,
                 total: Optional[int] = None, *, show: Optional[bool] = None) -> None:
        self.logger = logger
        self.iterable = iterable
        self.unit = unit
        self.total = total
        if show is None:
            try:
                show = sys.stderr is not None and sys.stderr.isatty()
            except Exception:
                show = False
        self.show = show
        if self.total is None:
            try:
                self.total = len(iterable)  # type: ignore[arg-type]
            except (TypeError, AttributeError):
                self.total = None

    def __len__(self) -> int:
        if self.total is None:
            raise TypeError("the total of this progress is not known")
        return self.total

    def _bar(self) -> Any:
        if not self.show:
            return None
        from ._bar import Bar

        return Bar(self.total, self.unit, getattr(self.logger, "job_name", None))

    def __iter__(self) -> Iterator[T]:
        logger = self.logger
        if self.total is not None:
            logger.set_total(self.total, self.unit)
        bar = self._bar()
        if bar is None:
            for item in self.iterable:
                yield item
                logger.increment_progress()
            return
        try:
            for item in self.iterable:
                yield item
                logger.increment_progress()
                bar.update()
        finally:
            bar.close()

    def __aiter__(self) -> Any:
        return self._aiter()

    async def _aiter(self) -> Any:
        logger = self.logger
        if self.total is not None:
            logger.set_total(self.total, self.unit)
        it = self.iterable
        bar = self._bar()
        try:
            if hasattr(it, "__aiter__"):
                async for item in it:  # type: ignore[attr-defined]
                    yield item
                    logger.increment_progress()
                    if bar is not None:
                        bar.update()
            else:
                for item in it:
                    yield item
                    logger.increment_progress()
                    if bar is not None:
                        bar.update()
        finally:
            if bar is not None:
                bar.close()


# ------------------------------------------------------------ current run
# The run that JobLogHandler reports into: the innermost run_job of this
# context (asyncio task / thread context), else the innermost active run of
# the process (so worker threads find it too).

_current: "contextvars.ContextVar[Optional[JobLogger]]" = contextvars.ContextVar("joblog_current", default=None)
_active: List[JobLogger] = []
_active_lock = threading.Lock()


def _push(logger: JobLogger) -> "contextvars.Token[Optional[JobLogger]]":
    logger._done = False
    with _active_lock:
        _active.append(logger)
    return _current.set(logger)


def _pop(logger: JobLogger, token: "contextvars.Token[Optional[JobLogger]]") -> None:
    logger._done = True
    with _active_lock:
        for i in range(len(_active) - 1, -1, -1):
            if _active[i] is logger:
                del _active[i]
                break
    try:
        _current.reset(token)
    except ValueError:  # reset from another context
        _current.set(None)


def current_logger() -> Optional[JobLogger]:
    """The JobLogger of the run in progress, if any."""
    lg = _current.get()
    if lg is not None and not lg._done:
        return lg
    with _active_lock:
        return _active[-1] if _active else None
