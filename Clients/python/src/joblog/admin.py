"""The admin side: reads of runs, jobs and their history (PROTOCOL.md section 7).

    from joblog import Admin
    admin = Admin()                      # the default socket, or Admin(client)
    admin.list_jobs(prefix="sync")       # [{"jobName", "runs", "running", "lastRun", "lastSuccessAt"}]
    admin.get_job_stats("user-sync", last=100)
    admin.get_stages(run_id)             # the stage timeline
    admin.compare_runs(run_id)           # against the median of the last 20 SUCCESS runs

Every method returns the daemon's result member as plain dicts and lists, and
raises ``RpcError`` for an error response (unknown run, invalid params).
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional

from .client import Client, get_client


class Admin:
    """Typed calls of the admin methods over a ``Client``."""

    def __init__(self, client: Optional[Client] = None, *, timeout: Optional[float] = 10.0) -> None:
        self.client = client if client is not None else get_client()
        self.timeout = timeout

    def _call(self, method: str, params: Dict[str, Any]) -> Any:
        return self.client.call(method, {k: v for k, v in params.items() if v is not None}, timeout=self.timeout)

    def get_run(self, run_id: Any) -> Dict[str, Any]:
        return self._call("getRun", {"jobRunId": str(run_id)})["run"]

    def list_runs(self, job_name: Optional[str] = None, status: Optional[str] = None,
                  limit: int = 50) -> List[Dict[str, Any]]:
        return self._call("listRuns", {"jobName": job_name, "status": status, "limit": limit})["runs"]

    def get_stages(self, run_id: Any) -> List[Dict[str, Any]]:
        """The run's stage timeline, oldest first."""
        return self._call("getStages", {"jobRunId": str(run_id)})["stages"]

    def list_jobs(self, prefix: Optional[str] = None, limit: int = 100) -> List[Dict[str, Any]]:
        """Job names, the most recently started first; ``prefix`` filters the names."""
        return self._call("listJobs", {"jobName": prefix, "limit": limit})["jobs"]

    def get_job_stats(self, job_name: str, last: int = 20) -> Dict[str, Any]:
        """Statistics over the job's last ``last`` finished runs (1-1000)."""
        return self._call("getJobStats", {"jobName": job_name, "last": last})["stats"]

    def compare_runs(self, run_id: Any, baseline_run_id: Any = None) -> Dict[str, Any]:
        """The run against another run, or the usual run of its job."""
        baseline = None if baseline_run_id is None else str(baseline_run_id)
        return self._call("compareRuns", {"jobRunId": str(run_id), "baselineRunId": baseline})["comparison"]
