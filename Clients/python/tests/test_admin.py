"""The admin side against a live joblogd: stage timeline, jobs, statistics, comparison."""

from __future__ import annotations

import time

import pytest

import joblog


def _run(raw, job, stages, outcome=None, status="SUCCESS"):
    rid = raw.call("startRun", {"jobName": job})["jobRunId"]
    for stage, ms in stages:
        raw.call("setStage", {"jobRunId": rid, "stage": stage})
        time.sleep(ms / 1000)
    for key, count in (outcome or {}).items():
        raw.call("addOutcome", {"jobRunId": rid, "key": key, "count": count})
    raw.call("finishRun", {"jobRunId": rid, "status": status})
    return rid


def test_admin_reads_stages_jobs_stats_and_comparisons(client, raw):
    admin = joblog.Admin(client)
    ids = [_run(raw, "py-admin", [("Fetch", 5), ("Sync", ms)], {"rows": n})
           for ms, n in [(10, 3), (30, 5), (20, 4)]]
    stages = admin.get_stages(ids[0])
    assert [s["stage"] for s in stages] == ["Fetch", "Sync"]
    assert stages[-1]["finishedAt"] == admin.get_run(ids[0])["finishedAt"]
    jobs = admin.list_jobs(prefix="py-admin")
    assert jobs[0]["jobName"] == "py-admin" and jobs[0]["runs"] == 3 and jobs[0]["running"] == 0
    assert jobs[0]["lastRun"]["id"] == ids[-1]
    stats = admin.get_job_stats("py-admin", last=3)
    runs = admin.list_runs("py-admin", limit=3)
    durations = sorted(r["durationMs"] for r in runs)
    assert stats["runs"] == 3 and stats["byStatus"] == {"SUCCESS": 3} and stats["successRate"] == 1
    assert stats["durationMs"]["p50"] == durations[1] and stats["durationMs"]["max"] == durations[2]
    assert stats["outcome"]["rows"] == {"last": 4, "median": 4, "min": 3, "max": 5}
    comparison = admin.compare_runs(ids[1])
    assert comparison["baseline"] == "median of 2 runs"
    assert [o["key"] for o in comparison["outcome"]] == ["rows"]
    against = admin.compare_runs(ids[1], ids[0])
    assert against["baseline"] == "run %s" % ids[0]
    assert against["outcome"][0]["delta"] == 2
    with pytest.raises(joblog.RpcError) as e:
        admin.get_stages("999999999")
    assert e.value.code == -32001
