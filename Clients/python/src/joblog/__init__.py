"""joblog: the Python client of joblogd (batch-job logs and progress).

    from joblog import run_job

    with run_job("user-sync", params={"batchSize": 10}, algorithm_version="v1") as ctx:
        log = ctx.logger
        log.set_stage("Loading users", "Loading from database")
        for user in ctx.progress(users, unit="users"):
            ...
            log.add_outcome("synced")

Standard library only. See README.md for the API, environment variables and
the delivery guarantees.
"""

from .admin import Admin
from ._encoding import encode, encode_notification, encode_request
from .client import (
    Client,
    JobLogError,
    NotDelivered,
    RejectedWarning,
    RpcError,
    default_socket_path,
    get_client,
)
from .handler import MILESTONE, JobLogHandler
from .logger import LEVELS, JobCancelled, JobLogger, Progress, create_job_logger, current_logger
from .run import JobContext, Terminated, run_job

__version__ = "0.1.0"

__all__ = [
    "Admin",
    "run_job",
    "JobContext",
    "JobLogger",
    "create_job_logger",
    "current_logger",
    "Progress",
    "JobLogHandler",
    "MILESTONE",
    "LEVELS",
    "Client",
    "get_client",
    "default_socket_path",
    "JobLogError",
    "RpcError",
    "NotDelivered",
    "RejectedWarning",
    "Terminated",
    "JobCancelled",
    "encode",
    "encode_notification",
    "encode_request",
    "__version__",
]
