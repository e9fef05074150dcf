"""Issue 15: a cancelled run stops the Python job (run_job, arun_job, polling)."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

import joblog
from joblog import JobCancelled, run_job
from joblog.aio import arun_job


def _cancel_when(raw, holder, reached, reason="test stop"):
    """Waits until ``reached()`` holds, then cancels the run; returns what was done then."""
    deadline = time.monotonic() + 30
    while not reached():
        assert time.monotonic() < deadline, "the job never got there"
        time.sleep(0.002)
    raw.call("cancelRun", {"jobRunId": holder[0].job_run_id, "reason": reason, "graceMs": 60000})


def test_run_job_loop_stops_within_one_item(env_socket, raw):
    holder = []
    done = [0]
    at_request = []

    def canceller():
        _cancel_when(raw, holder, lambda: done[0] >= 100)
        at_request.append(done[0])

    t = threading.Thread(target=canceller)
    t.start()
    with pytest.raises(JobCancelled) as caught:
        with run_job("py-cancel-loop") as ctx:
            holder.append(ctx)
            log = ctx.logger
            log.set_total(1000, "items")
            for _ in range(1000):
                time.sleep(0.005)
                log.add_outcome("processed")
                log.increment_progress()
                done[0] += 1
    t.join()
    assert caught.value.reason == "test stop"
    assert ctx.cancel_requested and ctx.cancel_reason == "test stop"
    assert done[0] < 1000
    assert done[0] - at_request[0] <= 2, (done[0], at_request[0])
    run = raw.run(ctx.job_run_id)
    assert run["status"] == "CANCELLED", run
    assert run["error"]["message"] == "Cancelled: test stop"
    assert run["progressCurrent"] == done[0], "exact up to where it stopped"
    assert run["outcomeSummary"] == {"processed": done[0]}
    messages = [x["message"] for x in raw.logs(ctx.job_run_id)]
    assert "Summary" in messages and "Cancel requested: test stop" in messages
    assert any("stopMs" in x["context"] for x in raw.logs(ctx.job_run_id))


def test_a_job_that_polls_ends_cancelled(env_socket, raw):
    holder = []
    t = threading.Thread(target=_cancel_when, args=(raw, holder, lambda: bool(holder), "poll"))
    t.start()
    with run_job("py-cancel-poll") as ctx:
        holder.append(ctx)
        deadline = time.monotonic() + 30
        while not ctx.cancel_requested and time.monotonic() < deadline:
            time.sleep(0.005)
    t.join()
    run = raw.run(ctx.job_run_id)
    assert run["status"] == "CANCELLED" and run["error"]["message"] == "Cancelled: poll", run


def test_arun_job_task_is_cancelled(env_socket, raw):
    holder = []
    done = [0]

    async def job():
        async with arun_job("py-async-cancel-loop") as ctx:
            holder.append(ctx)
            for _ in range(1000):
                await asyncio.sleep(0.005)
                ctx.logger.add_outcome("processed")
                await ctx.logger.increment_progress()
                done[0] += 1

    async def main():
        task = asyncio.ensure_future(job())
        while done[0] < 50:
            await asyncio.sleep(0.005)
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: raw.call("cancelRun", {"jobRunId": holder[0].job_run_id, "reason": "async stop"}))
        with pytest.raises(asyncio.CancelledError):
            await task

    asyncio.run(main())
    run = raw.run(holder[0].job_run_id)
    assert run["status"] == "CANCELLED", run
    assert run["error"]["message"] == "Cancelled: async stop"
    assert run["progressCurrent"] == done[0] and done[0] < 1000
