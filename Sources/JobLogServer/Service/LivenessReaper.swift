import JobLogModel
import JobLogStore
import Logging
import ServiceLifecycle
import Synchronization

/// Marks runs ABANDONED whose owner is gone, from facts, not timers: the owning
/// process no longer exists (or its pid now belongs to a process started later).
/// A live process that reports nothing stays RUNNING. Only runs started with
/// `heartbeatTimeoutMs` (owners the daemon cannot see) are judged by silence.
/// The first pass runs at start, for runs a previous daemon left RUNNING.
///
/// In a fleet (several daemons on one database, ``JobLogStore/sharesRuns``) a daemon judges only
/// the runs its own node started, renews its node's lease every second and abandons the RUNNING
/// runs of nodes whose lease expired (see LivenessReaper+Nodes.swift).
public struct LivenessReaper: Service {
    let store: JobLogStore
    let logger: Logger
    let interval: Duration
    /// The shortest silence that makes a RUNNING run stalled (`--stall-min-ms`).
    let stallMinMs: Int64
    /// How old another node's lease may grow before its runs are abandoned (`--node-lease-ms`).
    let nodeLeaseMs: Int64
    let gaps = ProgressGaps()
    let usualDurations = UsualDurations()

    public init(
        store: JobLogStore, logger: Logger, interval: Duration = .seconds(1),
        stallMinMs: Int64 = LivenessReaper.defaultStallMinMs, nodeLeaseMs: Int64 = LivenessReaper.defaultNodeLeaseMs
    ) {
        self.store = store
        self.logger = logger
        self.interval = interval
        self.stallMinMs = stallMinMs
        self.nodeLeaseMs = nodeLeaseMs
    }

    /// `--stall-min-ms` by default: 5 minutes.
    public static let defaultStallMinMs: Int64 = 300_000

    public func run() async throws {
        let gaps = self.gaps
        let usualDurations = self.usualDurations
        store.onCommit {
            gaps.record($0)
            usualDurations.record($0)
        }
        await cancelWhenGracefulShutdown {
            await withTaskGroup(of: Void.self) { group in
                if store.sharesRuns { group.addTask { await renewLeases() } }
                while !Task.isCancelled {
                    await sweep()
                    try? await Task.sleep(for: interval)
                }
                group.cancelAll()
            }
        }
    }

    /// One pass over the RUNNING runs: `/proc` is read once per distinct owner pid, not once per
    /// run, and the runs of owners that are gone are abandoned in large groups (one transaction
    /// each, shared with ingest), not one commit per run.
    public func sweep() async {
        store.verifyFileIdentity()
        guard let owners = try? await store.runningRuns() else { return }
        let now = Timestamp.now()
        var processes: [Int64: Int64?] = [:]
        var doomed: [(run: Int64, reason: String)] = []
        for owner in owners {
            let reason = Self.verdict(owner, now: now) { pid in
                if let known = processes[pid] { return known }
                let startTime = ProcessTable.startTime(pid: Int32(clamping: pid))
                processes[pid] = startTime
                return startTime
            }
            if let reason { doomed.append((owner.runID, reason)) }
        }
        await flag(owners, except: Set(doomed.map(\.run)), now: now)
        var start = doomed.startIndex
        while start < doomed.endIndex {
            let end = min(start + Self.abandonGroup, doomed.endIndex)
            let abandoned = await abandon(doomed[start..<end])
            // One line per run for the first few, then one line per group: 100,000 runs of a
            // dead owner are not 100,000 lines of the daemon's log.
            for (run, reason) in abandoned.prefix(Self.runsLoggedPerGroup) {
                logger.notice("run abandoned", metadata: ["run": "\(run)", "reason": "\(reason)"])
            }
            if abandoned.count > Self.runsLoggedPerGroup {
                logger.notice(
                    "runs abandoned",
                    metadata: [
                        "runs": "\(abandoned.count - Self.runsLoggedPerGroup) more",
                        "lastRun": "\(abandoned.last.map { "\($0.0)" } ?? "")",
                    ])
            }
            start = end
        }
        if store.sharesRuns { await reapExpiredNodes() }
    }

    /// Runs abandoned per group of writes.
    static let abandonGroup = 500
    /// Runs of one group logged one by one.
    static let runsLoggedPerGroup = 10

    /// Queues one abandon per run at once and waits for all of them; returns those applied.
    func abandon(_ group: ArraySlice<(run: Int64, reason: String)>) async -> [(Int64, String)] {
        guard !group.isEmpty else { return [] }
        return await withCheckedContinuation { continuation in
            let tally = AbandonTally(expected: group.count) { continuation.resume(returning: $0) }
            let ops = group.map { run, reason in
                WriteOp(.abandon(run: run, reason: reason)) { tally.record(run, reason, $0) }
            }
            Task { await store.submit(ops) }
        }
    }

    /// Why the run is abandoned, or nil while its owner may still report. `startTime(pid)` is the
    /// current start time of the process with that pid, nil when there is none.
    static func verdict(
        _ owner: RunOwner, now: Timestamp,
        startTime: (Int64) -> Int64? = { ProcessTable.startTime(pid: Int32(clamping: $0)) }
    )
        -> String?
    {
        if let timeout = owner.heartbeatTimeoutMs {
            let silent = now.milliseconds &- owner.lastHeartbeatAt.milliseconds
            return silent > timeout ? "nothing heard for \(silent) ms (heartbeatTimeoutMs \(timeout))" : nil
        }
        guard let pid = owner.pid, pid > 0 else { return nil }
        // One read of /proc: gone, or now a later process with the same pid. A run whose owner's
        // start time was never recorded (it did not exist at startRun) is judged by existence alone.
        switch (startTime(pid), owner.startTime) {
        case (nil, _): return "owner process \(pid) exited"
        case (_, nil): return nil
        case (let now?, let then?) where now == then: return nil
        default: return "owner process \(pid) exited (its pid was reused)"
        }
    }
}

/// Collects the outcomes of one group of abandons and reports once all are in.
final class AbandonTally: Sendable {
    private let state: Mutex<(left: Int, applied: [(Int64, String)])>
    private let done: @Sendable ([(Int64, String)]) -> Void

    init(expected: Int, done: @escaping @Sendable ([(Int64, String)]) -> Void) {
        state = Mutex((expected, []))
        self.done = done
    }

    func record(_ run: Int64, _ reason: String, _ outcome: WriteOutcome) {
        let finished = state.withLock { s -> [(Int64, String)]? in
            if case .run = outcome { s.applied.append((run, reason)) }
            s.left -= 1
            return s.left == 0 ? s.applied : nil
        }
        if let finished { done(finished) }
    }
}
