#!/usr/bin/env python3
"""The user-sync scenario (Spec/scenario/USER-SYNC.md) with the Python client.

    JOBLOG_SOCKET=/path/to/joblogd.sock python3 examples/user_sync.py

Prints the run id on stdout. Check the stored run with
``Spec/scenario/check_user_sync.py --socket PATH --run ID``.
"""

import os
import sys

try:
    from joblog import run_job
except ImportError:  # running from a checkout without installing
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))
    from joblog import run_job


class SyncError(Exception):
    pass


def load_users(batch_size):
    """Stands in for the database query: users 1..batch_size."""
    return [{"id": i} for i in range(1, batch_size + 1)]


def sync_user_to_external_service(user):
    """Stands in for the external call: user 4 fails, deterministically."""
    if user["id"] == 4:
        raise SyncError("Network timeout")


def run_user_sync_job(batch_size=10):
    # run_job writes the summary (logSummary) and finishes the run
    # (finishRun SUCCESS, or FAILED/CANCELLED) when the block ends.
    with run_job(
        "user-sync",
        trigger="MANUAL",
        scope="system",
        algorithm_version="v1",
        params={"batchSize": batch_size},
    ) as ctx:
        logger = ctx.logger

        # ===== STAGE 1: Initialize =====
        logger.set_stage("Initializing")
        logger.info("Job started", batchSize=batch_size)

        # ===== STAGE 2: Load users =====
        logger.set_stage("Loading users", "Loading from database")
        users = load_users(batch_size)
        logger.set_total(len(users), "users")
        logger.milestone("Found %d users to sync" % len(users), found=len(users))

        # ===== STAGE 3: Sync users =====
        logger.set_stage("Syncing users")
        synced = 0
        failed = 0
        for user in users:
            logger.debug("Syncing user %d" % user["id"], userId=str(user["id"]))
            try:
                sync_user_to_external_service(user)
                synced += 1
                logger.add_outcome("synced", 1)
            except SyncError as err:
                failed += 1
                logger.add_outcome("errors", 1)
                logger.error("Failed to sync user %d" % user["id"], userId=str(user["id"]), error=str(err))
            if user["id"] == 7:
                logger.warning("User has invalid data", userId=str(user["id"]))

            logger.increment_progress()

            if (synced + failed) % 5 == 0:
                logger.info("Progress: %d/%d" % (synced + failed, len(users)), synced=synced, failed=failed)

        # ===== STAGE 4: Finalize =====
        logger.set_stage("Finalizing")
        logger.milestone("Sync complete", total=len(users), synced=synced, failed=failed)

    return ctx.job_run_id


if __name__ == "__main__":
    run_id = run_user_sync_job(10)
    if run_id is None:
        print("user-sync: the run was not recorded (joblogd unreachable)", file=sys.stderr)
        sys.exit(1)
    print(run_id)
