// The seed's user-sync job, with the Swift client (Spec/scenario/USER-SYNC.md).
// Run it against a daemon: `swift run user-sync-example` (JOBLOG_SOCKET picks the socket).
import JobLogClient

struct SyncError: Error, CustomStringConvertible {
    let description: String
}

let users = Array(1...10)

let result = try await runJob(
    JobOptions(
        jobName: "user-sync", trigger: "MANUAL", scope: "system", algorithmVersion: "v1", params: ["batchSize": 10])
) { ctx in
    let logger = createJobLogger(ctx.jobRunId, ctx.jobName)

    await logger.setStage("Initializing")
    await logger.info("Job started", context: ["batchSize": 10])

    await logger.setStage("Loading users", "Loading from database")
    await logger.setTotal(users.count, "users")
    await logger.milestone("Found \(users.count) users to sync", context: ["found": .int(users.count)])

    await logger.setStage("Syncing users")
    var synced = 0
    var failed = 0
    for user in users {
        await logger.debug("Syncing user \(user)", context: ["userId": "\(user)"])
        do {
            if user == 4 { throw SyncError(description: "Network timeout") }
            synced += 1
            logger.addOutcome("synced", 1)
        } catch {
            failed += 1
            logger.addOutcome("errors", 1)
            await logger.error("Failed to sync user \(user)", context: ["userId": "\(user)", "error": "\(error)"])
        }
        if user == 7 { await logger.warning("User has invalid data", context: ["userId": "7"]) }
        await logger.incrementProgress()
        if (synced + failed) % 5 == 0 {
            await logger.info(
                "Progress: \(synced + failed)/\(users.count)",
                context: ["synced": .int(synced), "failed": .int(failed)])
        }
    }

    await logger.setStage("Finalizing")
    await logger.milestone(
        "Sync complete", context: ["total": .int(users.count), "synced": .int(synced), "failed": .int(failed)])
    print("run id: \(ctx.jobRunId)")
    return (synced, failed)
}
_ = result
