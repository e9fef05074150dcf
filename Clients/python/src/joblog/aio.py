"""The asyncio variant.

    from joblog.aio import arun_job

    async with arun_job("user-sync", params={"batchSize": 10}) as ctx:
        log = ctx.logger
        await log.set_stage("Initializing")
        await log.info("Job started", batchSize=10)
        log.add_outcome("synced")              # not awaited, as in the seed
        async for user in ctx.progress(users, unit="users"):
            ...
        await log.flush()

The connection is the same thread-safe ``Client`` as the synchronous API
(notifications are buffered in memory, so the ``await`` on them returns at
once); requests resolve an asyncio future from the client's background
thread, so nothing blocks the event loop while waiting for the daemon.
``asyncio.CancelledError`` finishes the run CANCELLED.
"""

from __future__ import annotations

import asyncio
import signal
import threading
import time
from types import TracebackType
from typing import Any, Dict, Optional, Type

from .client import Client, JobLogError, NotDelivered, RpcError, get_client
from .logger import JobLogger, _short_error_message
from .run import JobContext, _RunBase, outcome_of_exception

__all__ = ["arun_job", "AsyncJobLogger", "create_async_job_logger", "acall"]


async def acall(client: Client, method: str, params: Optional[Dict[str, Any]] = None, *,
                timeout: Optional[float] = None) -> Any:
    """``client.call`` without blocking the event loop."""
    loop = asyncio.get_running_loop()
    fut: "asyncio.Future[None]" = loop.create_future()

    def resolve(_: Any) -> None:
        if not fut.done():
            fut.set_result(None)

    def done(_: Any) -> None:
        try:
            loop.call_soon_threadsafe(resolve, None)
        except RuntimeError:  # loop closed
            pass

    req = client.start_request(method, params)
    req.add_done_callback(done)
    deadline = time.monotonic() + (client.timeout if timeout is None else timeout)
    while not req.done():
        try:
            await asyncio.wait_for(asyncio.shield(fut), 0.05)
        except asyncio.TimeoutError:
            why = client.give_up_reason(req, deadline)
            if why:
                raise NotDelivered("%s: %s" % (method, why)) from None
    return req.result()


class AsyncJobLogger:
    """The JobLogger API with awaitable methods (``sync``: the underlying
    JobLogger, usable from threads)."""

    def __init__(self, job_run_id: Any, job_name: str, client: Optional[Client] = None, *,
                 strict: bool = False, sync: Optional[JobLogger] = None) -> None:
        self.sync = sync if sync is not None else JobLogger(job_run_id, job_name, client, strict=strict)
        self.job_run_id = self.sync.job_run_id
        self.job_name = self.sync.job_name
        self.client = self.sync.client
        self.strict = self.sync.strict

    @property
    def enabled(self) -> bool:
        return self.sync.enabled

    async def _request(self, method: str, params: Optional[Dict[str, Any]] = None) -> Any:
        try:
            return await acall(self.client, method, params)
        except JobLogError as e:
            if self.strict:
                raise
            self.client.warn("req:%s:%s" % (method, getattr(e, "code", type(e).__name__)),
                             "%s (the job goes on)" % e)
            return None

    # notifications: buffered, the await returns at once
    async def set_stage(self, stage: str, message: Optional[str] = None) -> None:
        self.sync.set_stage(stage, message)

    async def set_total(self, total: int, unit: Optional[str] = None) -> None:
        self.sync.set_total(total, unit)

    async def increment_progress(self, by: int = 1) -> None:
        self.sync.increment_progress(by)

    async def set_progress(self, current: int) -> None:
        self.sync.set_progress(current)

    async def log(self, level: str, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self.sync.log(level, message, context, **fields)

    async def debug(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self.sync.debug(message, context, **fields)

    async def info(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self.sync.info(message, context, **fields)

    async def milestone(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self.sync.milestone(message, context, **fields)

    async def warning(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self.sync.warning(message, context, **fields)

    async def error(self, message: Any, context: Optional[Dict[str, Any]] = None, /, **fields: Any) -> None:
        self.sync.error(message, context, **fields)

    def add_outcome(self, key: str, count: int = 1) -> None:
        """Not a coroutine (the seed does not await it either)."""
        self.sync.add_outcome(key, count)

    def progress(self, iterable: Any, unit: Optional[str] = None, total: Optional[int] = None) -> Any:
        return self.sync.progress(iterable, unit=unit, total=total)

    # requests
    async def save_outcome(self) -> Optional[Dict[str, Any]]:
        if not self.enabled:
            return None
        res = await self._request("saveOutcome", {"jobRunId": self.job_run_id})
        return res.get("outcome") if isinstance(res, dict) else None

    async def log_summary(self) -> Optional[Dict[str, Any]]:
        if not self.enabled:
            return None
        res = await self._request("logSummary", {"jobRunId": self.job_run_id})
        return res.get("outcome") if isinstance(res, dict) else None

    async def finish(self, status: str, error: Any = None) -> Optional[Dict[str, Any]]:
        if not self.enabled:
            return None
        params: Dict[str, Any] = {"jobRunId": self.job_run_id, "status": status}
        if error is not None:
            params["error"] = error
        try:
            res = await acall(self.client, "finishRun", params)
        except RpcError as e:
            if e.code != -32602 or error is None:
                return self.sync._request_failed("finishRun", e)
            self.client.warn("finish-error", "finishRun refused the error (%s); finishing with a short one" % e)
            params["error"] = {"message": _short_error_message(error)}
            res = await self._request("finishRun", params)
        except JobLogError as e:
            return self.sync._request_failed("finishRun", e)
        return res.get("outcome") if isinstance(res, dict) else None

    async def flush(self, timeout: Optional[float] = None) -> bool:
        try:
            await acall(self.client, "ping", {"rejected": True}, timeout=timeout)
            return True
        except JobLogError as e:
            if self.strict:
                raise
            self.client.warn("flush", "flush: %s" % e)
            return False

    def __repr__(self) -> str:
        return "AsyncJobLogger(job_run_id=%r, job_name=%r)" % (self.job_run_id, self.job_name)


def create_async_job_logger(job_run_id: Any, job_name: str, client: Optional[Client] = None, *,
                            strict: bool = False) -> AsyncJobLogger:
    return AsyncJobLogger(job_run_id, job_name, client, strict=strict)


class arun_job(_RunBase):
    """``async with arun_job(...) as ctx``: run_job for asyncio (same
    arguments); ``ctx.logger`` is an AsyncJobLogger.

    SIGTERM (when the job installed no handler for it, in the main thread's
    event loop) cancels the task in the block; the run is finished
    CANCELLED ("terminated by SIGTERM") and the process then exits 143."""

    _terminated = False
    _term_loop: Optional[asyncio.AbstractEventLoop] = None

    def _install_async_sigterm(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return
        try:
            if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
                return
            loop = asyncio.get_running_loop()
            task = asyncio.current_task()
            if task is None:
                return

            def on_term() -> None:
                self._terminated = True
                task.cancel("terminated by SIGTERM")

            loop.add_signal_handler(signal.SIGTERM, on_term)
            self._term_loop = loop
        except (ValueError, OSError, RuntimeError, NotImplementedError):
            pass

    def _remove_async_sigterm(self) -> None:
        loop, self._term_loop = self._term_loop, None
        if loop is not None:
            try:
                loop.remove_signal_handler(signal.SIGTERM)
            except (ValueError, OSError, RuntimeError):
                pass

    async def __aenter__(self) -> JobContext:
        self._install_async_sigterm()
        attached_id = self._attached_id()
        run_id: Optional[str] = attached_id
        if attached_id is None:
            try:
                res = await acall(self.client, "startRun", self._start_params())
                run_id = str(res["jobRunId"])
            except JobLogError as e:
                self._start_failed(e)
            except (KeyError, TypeError):
                self._start_failed(JobLogError("startRun: unexpected result"))
        sync = self._enter(run_id, attached_id is not None)
        logger = AsyncJobLogger(run_id, self.job_name, self.client, strict=self.strict, sync=sync)
        self.ctx = JobContext(run_id, self.job_name, logger, self.client, attached_id is not None)
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()
        if task is not None:
            def cancel_task(reason: str) -> None:
                loop.call_soon_threadsafe(task.cancel, "cancelled: %s" % reason)

            self._listen_for_cancel(self.ctx, cancel_task)
        return self.ctx

    async def __aexit__(self, exc_type: Optional[Type[BaseException]], exc: Optional[BaseException],
                        tb: Optional[TracebackType]) -> bool:
        ctx = self.ctx
        assert ctx is not None
        logger: AsyncJobLogger = ctx.logger
        self._remove_async_sigterm()
        self._stop_listening(ctx)
        terminated = self._terminated and exc_type is not None and issubclass(exc_type, asyncio.CancelledError)
        status, error = self._cancel_outcome(ctx, *outcome_of_exception(exc_type, exc, tb))

        if terminated and error is not None:
            error["message"] = "terminated by SIGTERM"
        ctx.status = status
        try:
            if ctx.attached:
                if status == "FAILED" and error is not None:
                    logger.sync.error(error["message"], {"stack": error["stack"]})
                await logger.log_summary()
            else:
                await logger.log_summary()
                ctx.outcome = await logger.finish(status, error)
        except JobLogError as e:
            if exc_type is None:
                raise
            self.client.warn("finish", "could not finish the run: %s" % e)
        finally:
            self._leave()
        if terminated:
            # The run is finished: exit as a process killed by SIGTERM is reported (128 + 15).
            raise SystemExit(143) from exc
        return False


def get_async_client(socket_path: Optional[str] = None) -> Client:
    return get_client(socket_path)
