"""run_job: the seed's ``runJob`` as a context manager.

    with run_job("user-sync", params={"batchSize": 10}) as ctx:
        ctx.logger.set_stage("Initializing")
        ...

On entry: ``startRun`` (a request). On exit: ``logSummary`` (always), then
``finishRun`` with SUCCESS, FAILED (the exception's message and traceback as
``error: {message, stack}``) or CANCELLED (KeyboardInterrupt, asyncio
cancellation, SIGTERM: see ``Terminated``). When ``JOBLOG_RUN_ID`` is set, the run it names is reported
into instead: no ``startRun``, no ``finishRun`` (whoever set the variable
finishes the run), but still the summary.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import threading
import traceback
from types import TracebackType
from typing import Any, Dict, Iterable, Optional, Tuple, Type, TypeVar

from ._encoding import MAX_OBJECT_BYTES, clip_middle_utf8, clip_utf8, encode
from .client import Client, JobLogError, get_client
from .logger import JobCancelled, JobLogger, Progress, _pop, _push

__all__ = ["run_job", "JobContext", "outcome_of_exception", "Terminated", "JobCancelled"]


class Terminated(BaseException):
    """Raised in the main thread by the SIGTERM handler that ``run_job``
    installs (when the job has none): the run is finished CANCELLED and the
    process then exits 143, as a shell reports a death by SIGTERM. A
    ``BaseException``, so ``except Exception`` in the job does not stop it."""

    def __init__(self, signum: int = signal.SIGTERM) -> None:
        super().__init__("terminated by %s" % signal.Signals(signum).name)
        self.signum = signum


T = TypeVar("T")
_ID_RE = re.compile(r"^[1-9][0-9]{0,18}$")


class JobContext:
    """What a job gets: ``job_run_id``, ``job_name`` and ``logger``."""

    def __init__(self, job_run_id: Optional[str], job_name: str, logger: Any, client: Client,
                 attached: bool) -> None:
        self.job_run_id = job_run_id
        self.job_name = job_name
        self.logger = logger
        self.client = client
        #: True when reporting into a run named by ``JOBLOG_RUN_ID``.
        self.attached = attached
        #: What finishRun returned (the outcome object), after the block.
        self.outcome: Optional[Dict[str, Any]] = None
        #: The status the run was finished with, after the block.
        self.status: Optional[str] = None
        #: The reason of the run's cancel request, once it arrived.
        self.cancel_reason: Optional[str] = None
        self._cancelled = threading.Event()

    @property
    def cancel_requested(self) -> bool:
        """True once someone asked the run to stop (``cancelRun``): for jobs that poll."""
        return self._cancelled.is_set()

    def _on_cancel(self, reason: str) -> None:
        self.cancel_reason = reason
        self._cancelled.set()

    def progress(self, iterable: Iterable[T], unit: Optional[str] = None, total: Optional[int] = None,
                 *, show: Optional[bool] = None) -> Progress:
        """``for x in ctx.progress(items, unit="users")``: sets the total
        (when ``len()`` works or ``total`` is given), increments per item.
        On a terminal it also draws a local bar on stderr, as tqdm does, with
        rate, elapsed time and ETA (``show=False``: never; ``True``: always)."""
        lg = self.logger
        return Progress(getattr(lg, "sync", lg), iterable, unit=unit, total=total, show=show)

    def env(self) -> Dict[str, str]:
        """Environment variables that make a child process report into this run."""
        env = {"JOBLOG_SOCKET": self.client.socket_path}
        if self.job_run_id is not None:
            env["JOBLOG_RUN_ID"] = self.job_run_id
        return env

    def __repr__(self) -> str:
        return "JobContext(job_run_id=%r, job_name=%r)" % (self.job_run_id, self.job_name)


# joblogd limits finishRun's error to 64 KiB (message and stack together, as
# measured: not in PROTOCOL.md) and the stack becomes the context of an error
# entry (64 KiB as sent). Stay under both.
_ERROR_BUDGET = MAX_OBJECT_BYTES - 512
_MESSAGE_BUDGET = 16 * 1024


def error_object(exc_type: Type[BaseException], exc: BaseException, tb: Optional[TracebackType],
                 message: Optional[str] = None) -> Dict[str, str]:
    """``{"message", "stack"}`` for finishRun, cut to the daemon's limits
    (the head and the tail of a long traceback are kept)."""
    if message is None:
        message = str(exc) or exc_type.__name__
    stack = "".join(traceback.format_exception(exc_type, exc, tb))
    mlen = len(message.encode("utf-8", "replace"))
    if mlen + len(stack.encode("utf-8", "replace")) > _ERROR_BUDGET:
        message = clip_utf8(message, _MESSAGE_BUDGET)[0]
        budget = _ERROR_BUDGET - len(message.encode("utf-8", "replace"))
        while True:
            clipped = clip_middle_utf8(stack, budget)
            if len(encode({"stack": clipped})) - 1 <= _ERROR_BUDGET or budget < 1024:
                break
            budget = budget * 9 // 10
        stack = clipped
    elif len(encode({"stack": stack})) - 1 > _ERROR_BUDGET:
        stack = clip_middle_utf8(stack, _ERROR_BUDGET * 3 // 4)
    return {"message": message, "stack": stack}


def outcome_of_exception(exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                         tb: Optional[TracebackType]) -> Tuple[str, Optional[Dict[str, Any]]]:
    """(status, error) for a job that ended with this exception (or none)."""
    if exc_type is None or exc is None:
        return "SUCCESS", None
    if issubclass(exc_type, SystemExit):
        code = exc.code  # type: ignore[attr-defined]
        if code is None or code == 0:
            return "SUCCESS", None
        return "FAILED", error_object(exc_type, exc, tb, "SystemExit: %s" % (code,))
    if issubclass(exc_type, Terminated):
        return "CANCELLED", error_object(exc_type, exc, tb)
    if issubclass(exc_type, JobCancelled):
        return "CANCELLED", error_object(exc_type, exc, tb, "Cancelled: %s" % exc.reason if exc.reason else "Cancelled")  # type: ignore[attr-defined]
    if issubclass(exc_type, (KeyboardInterrupt, asyncio.CancelledError, GeneratorExit)):
        return "CANCELLED", error_object(exc_type, exc, tb)
    return "FAILED", error_object(exc_type, exc, tb)


class _RunBase:
    def __init__(
        self,
        job_name: str,
        *,
        params: Optional[Dict[str, Any]] = None,
        trigger: str = "MANUAL",
        scope: str = "system",
        algorithm_version: Optional[str] = None,
        client: Optional[Client] = None,
        socket_path: Optional[str] = None,
        strict: bool = False,
        pid: Optional[int] = None,
        heartbeat_timeout_ms: Optional[int] = None,
        run_id: Optional[Any] = None,
    ) -> None:
        self.job_name = job_name
        self.params = params
        self.trigger = trigger
        self.scope = scope
        self.algorithm_version = algorithm_version
        self._client = client
        self.socket_path = socket_path
        self.strict = strict
        self.pid = pid
        self.heartbeat_timeout_ms = heartbeat_timeout_ms
        self.run_id = run_id
        self.ctx: Optional[JobContext] = None
        self._token: Any = None
        self._logger: Optional[JobLogger] = None
        self._sigterm_installed = False

    def _install_sigterm(self) -> None:
        """In the main thread, when SIGTERM has its default action (the job
        installed no handler): raise ``Terminated`` instead of dying, so the
        run ends CANCELLED (systemd, Kubernetes and ``timeout`` send SIGTERM)."""
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                return
            signal.signal(signal.SIGTERM, _raise_terminated)
            self._sigterm_installed = True
        except (ValueError, OSError):
            pass

    def _restore_sigterm(self) -> None:
        if self._sigterm_installed:
            self._sigterm_installed = False
            try:
                if signal.getsignal(signal.SIGTERM) is _raise_terminated:
                    signal.signal(signal.SIGTERM, signal.SIG_DFL)
            except (ValueError, OSError):
                pass

    @property
    def client(self) -> Client:
        if self._client is None:
            self._client = get_client(self.socket_path)
        return self._client

    def _start_params(self) -> Dict[str, Any]:
        p: Dict[str, Any] = {"jobName": self.job_name, "trigger": self.trigger, "scope": self.scope}
        if self.algorithm_version is not None:
            p["algorithmVersion"] = self.algorithm_version
        if self.params is not None:
            p["params"] = self.params
        if self.pid is not None:
            p["pid"] = self.pid
        if self.heartbeat_timeout_ms is not None:
            p["heartbeatTimeoutMs"] = self.heartbeat_timeout_ms
        p["acceptsCancel"] = True
        return p

    def _listen_for_cancel(self, ctx: "JobContext", act: Any) -> None:
        """Routes the run's ``cancel`` notification to ``ctx`` and then ``act(reason)``."""
        if ctx.attached or ctx.job_run_id is None:
            return

        def handler(params: Dict[str, Any]) -> None:
            reason = params.get("reason")
            reason = reason if isinstance(reason, str) else ""
            if ctx.cancel_requested:
                return
            ctx._on_cancel(reason)
            act(reason)

        on_cancel = getattr(self.client, "on_cancel", None)  # a stand-in client may have none
        if on_cancel is not None:
            on_cancel(ctx.job_run_id, handler)

    def _stop_listening(self, ctx: "JobContext") -> None:
        on_cancel = getattr(self.client, "on_cancel", None)
        if ctx.job_run_id is not None and not ctx.attached and on_cancel is not None:
            on_cancel(ctx.job_run_id, None)

    @staticmethod
    def _cancel_outcome(ctx: "JobContext", status: str, error: Optional[Dict[str, Any]]) -> Tuple[str, Any]:
        """After a cancel request, a run that ends without failing ends CANCELLED with the reason."""
        if ctx.cancel_requested and status != "FAILED":
            message = "Cancelled: %s" % ctx.cancel_reason if ctx.cancel_reason else "Cancelled"
            return "CANCELLED", dict(error or {}, message=message)
        return status, error

    def _attached_id(self) -> Optional[str]:
        """The run to report into instead of starting one (``run_id`` or
        ``$JOBLOG_RUN_ID``)."""
        rid = self.run_id if self.run_id is not None else os.environ.get("JOBLOG_RUN_ID")
        if rid is None or str(rid).strip() == "":
            return None
        rid = str(rid).strip()
        if not _ID_RE.match(rid):
            text = "JOBLOG_RUN_ID=%r is not a run id; starting a new run" % rid
            if self.strict:
                raise JobLogError(text)
            self.client.warn("runid", text)
            return None
        return rid

    def _start_failed(self, e: JobLogError) -> None:
        if self.strict:
            raise e
        self.client.warn("start", "could not start the run of %r: %s; the job runs without reporting"
                         % (self.job_name, e))

    def _enter(self, run_id: Optional[str], attached: bool) -> JobLogger:
        logger = JobLogger(run_id, self.job_name, self.client, strict=self.strict)
        self._logger = logger
        self._token = _push(logger)
        return logger

    def _leave(self) -> None:
        if self._logger is not None:
            _pop(self._logger, self._token)


def _raise_terminated(signum: int, frame: Any) -> None:
    raise Terminated(signum)


class run_job(_RunBase):
    """Context manager running a job as a joblogd run; yields a JobContext.

    Keyword arguments: ``params`` (stored as ``metadata.params``),
    ``trigger`` (MANUAL), ``scope`` (system), ``algorithm_version``,
    ``client``/``socket_path`` (default: the shared client of
    ``$JOBLOG_SOCKET``), ``strict`` (raise JobLogError when reporting fails,
    instead of one warning), ``pid`` and ``heartbeat_timeout_ms`` (passed to
    startRun), ``run_id`` (report into this run, as ``JOBLOG_RUN_ID``).

    SIGTERM (when the job installed no handler for it and this is the main
    thread) finishes the run CANCELLED, then the process exits 143.
    """

    def __enter__(self) -> JobContext:
        self._install_sigterm()
        attached_id = self._attached_id()
        run_id: Optional[str] = attached_id
        if attached_id is None:
            try:
                res = self.client.call("startRun", self._start_params())
                run_id = str(res["jobRunId"])
            except JobLogError as e:
                self._start_failed(e)
            except (KeyError, TypeError):
                self._start_failed(JobLogError("startRun: unexpected result"))
        logger = self._enter(run_id, attached_id is not None)
        self.ctx = JobContext(run_id, self.job_name, logger, self.client, attached_id is not None)
        logger._cancel_thread = threading.get_ident()

        def raise_at_next_call(reason: str) -> None:
            logger.cancel_reason = reason
            logger._cancel_pending = True

        self._listen_for_cancel(self.ctx, raise_at_next_call)
        return self.ctx

    def __exit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                 tb: Optional[TracebackType]) -> bool:
        ctx = self.ctx
        assert ctx is not None
        logger = ctx.logger
        self._stop_listening(ctx)
        logger._cancel_pending = False
        status, error = self._cancel_outcome(ctx, *outcome_of_exception(exc_type, exc, tb))
        ctx.status = status
        try:
            if ctx.attached:
                if status == "FAILED" and error is not None:
                    logger.error(error["message"], {"stack": error["stack"]})
                logger.log_summary()
            else:
                logger.log_summary()
                ctx.outcome = logger.finish(status, error)
        except JobLogError as e:
            if exc_type is None:
                raise
            self.client.warn("finish", "could not finish the run: %s" % e)
        finally:
            self._leave()
            installed = self._sigterm_installed
            self._restore_sigterm()
        if installed and exc_type is not None and issubclass(exc_type, Terminated):
            # The run is finished: exit as a process killed by SIGTERM is reported (128 + 15).
            raise SystemExit(143) from exc
        return False
