import JobLogModel
import JobLogStore
import Logging
import ServiceLifecycle

/// Marks runs ABANDONED whose owner is gone, from facts, not timers: the owning
/// process no longer exists (or its pid now belongs to a process started later).
/// A live process that reports nothing stays RUNNING. Only runs started with
/// `heartbeatTimeoutMs` (owners the daemon cannot see) are judged by silence.
/// The first pass runs at start, for runs a previous daemon left RUNNING.
public struct LivenessReaper: Service {
    let store: JobLogStore
    let logger: Logger
    let interval: Duration

    public init(store: JobLogStore, logger: Logger, interval: Duration = .seconds(1)) {
        self.store = store
        self.logger = logger
        self.interval = interval
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                await sweep()
                try? await Task.sleep(for: interval)
            }
        }
    }

    /// One pass over the RUNNING runs.
    public func sweep() async {
        guard let owners = try? await store.runningRuns() else { return }
        let now = Timestamp.now()
        for owner in owners {
            guard let reason = Self.verdict(owner, now: now) else { continue }
            if case .run = await store.write(.abandon(run: owner.runID, reason: reason)) {
                logger.notice("run abandoned", metadata: ["run": "\(owner.runID)", "reason": "\(reason)"])
            }
        }
    }

    /// Why the run is abandoned, or nil while its owner may still report.
    static func verdict(_ owner: RunOwner, now: Timestamp) -> String? {
        if let timeout = owner.heartbeatTimeoutMs {
            let silent = now.milliseconds - owner.lastHeartbeatAt.milliseconds
            return silent > timeout ? "nothing heard for \(silent) ms (heartbeatTimeoutMs \(timeout))" : nil
        }
        guard let pid = owner.pid, pid > 0, let startTime = owner.startTime else { return nil }
        // One read of /proc: gone, or now a later process with the same pid.
        switch ProcessTable.startTime(pid: Int32(pid)) {
        case nil: return "owner process \(pid) exited"
        case startTime?: return nil
        default: return "owner process \(pid) exited (its pid was reused)"
        }
    }
}
