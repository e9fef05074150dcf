import JobLogJSON
import JobLogModel
import JobLogProtocol
import JobLogStore
import Logging
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Cancel requests after they are stored: sends the `cancel` notification to the connections
/// that started the run with `acceptsCancel`, and escalates while the run stays RUNNING:
/// SIGTERM to its owner `graceMs` after the request, SIGKILL after another `graceMs`, each
/// step a log entry. A signal only goes to the recorded owner whose start time still matches
/// (never to a process that reused its pid), and only when the daemon may signal it (root,
/// or the owner runs as the daemon's uid). The liveness reaper then ends the run CANCELLED.
final class CancelService: Sendable {
    private struct State {
        /// Per run: the connections to tell, and how to write to each.
        var listeners: [Int64: [UInt64: @Sendable ([UInt8]) -> Void]] = [:]
        var runsOf: [UInt64: Set<Int64>] = [:]
        /// Per run: the connections already told (a catch-up never tells one twice).
        var told: [Int64: Set<UInt64>] = [:]
        /// Runs with an escalation under way (one per run, however often it is asked).
        var escalating: Set<Int64> = []
    }

    /// Runs one connection may be told about: past it, later runs of the connection are not.
    static let maxRunsPerConnection = 4096

    private let state = Mutex(State())
    private let store: JobLogStore
    private let logger: Logger

    init(store: JobLogStore, logger: Logger) {
        self.store = store
        self.logger = logger
        store.onCommit { [weak self] events in
            for e in events {
                if case .finished = e.kind { self?.finished(e.runID) }
            }
        }
    }

    /// The connection takes the `cancel` notification of this run.
    func listen(connection: UInt64, run: Int64, send: @escaping @Sendable ([UInt8]) -> Void) {
        state.withLock { s in
            guard s.runsOf[connection, default: []].count < Self.maxRunsPerConnection else { return }
            s.runsOf[connection, default: []].insert(run)
            s.listeners[run, default: [:]][connection] = send
        }
    }

    /// Sends `notice` (a request stored while the connection was not listening) to a
    /// connection registered for its run, unless it was told already.
    func catchUp(connection: UInt64, _ notice: CancelNotification) {
        let send: (@Sendable ([UInt8]) -> Void)? = state.withLock { s in
            guard let send = s.listeners[notice.jobRunId]?[connection],
                s.told[notice.jobRunId, default: []].insert(connection).inserted
            else { return nil }
            return send
        }
        guard let send else { return }
        var line = notice.line
        line.append(0x0A)
        send(line)
    }

    /// The connection closed.
    func forget(connection: UInt64) {
        state.withLock { s in
            guard let runs = s.runsOf.removeValue(forKey: connection) else { return }
            for run in runs {
                s.told[run]?.remove(connection)
                s.listeners[run]?[connection] = nil
                if s.listeners[run]?.isEmpty == true { s.listeners[run] = nil }
            }
        }
    }

    /// The run ended: its listeners are forgotten.
    func finished(_ run: Int64) {
        state.withLock { s in
            s.told[run] = nil
            guard let connections = s.listeners.removeValue(forKey: run) else { return }
            for c in connections.keys { s.runsOf[c]?.remove(run) }
        }
    }

    /// A request was stored: tell the job, and escalate unless an escalation is under way. Only
    /// the daemon whose node started the run escalates (`escalate`): its owner process is on that host.
    func requested(_ notice: CancelNotification, escalate mayEscalate: Bool = true) {
        let (senders, escalate) = state.withLock { s in
            let listeners = s.listeners[notice.jobRunId] ?? [:]
            s.told[notice.jobRunId, default: []].formUnion(listeners.keys)
            return (Array(listeners.values), mayEscalate && s.escalating.insert(notice.jobRunId).inserted)
        }
        var line = notice.line
        line.append(0x0A)
        for send in senders { send(line) }
        guard escalate else { return }
        Task { [self] in
            await escalation(notice)
            _ = state.withLock { $0.escalating.remove(notice.jobRunId) }
        }
    }

    private func escalation(_ notice: CancelNotification) async {
        let run = notice.jobRunId
        for (signal, name) in [(SIGTERM, "SIGTERM"), (SIGKILL, "SIGKILL")] {
            try? await Task.sleep(for: .milliseconds(notice.graceMs))
            guard let owner = try? await store.runningOwner(of: run) else { return }
            switch Self.target(owner) {
            case .signal(let pid):
                let sent = kill(pid, signal) == 0
                let message =
                    sent
                    ? "Cancel: sent \(name) to process \(pid) (still running \(notice.graceMs) ms after the request)"
                    : "Cancel: could not send \(name) to process \(pid): \(String(cString: strerror(errno)))"
                logger.notice("cancel escalation", metadata: ["run": "\(run)", "step": "\(message)"])
                await note(run, message, pid: Int64(pid), signal: name)
                if !sent { return }
            case .refused(let why):
                await note(run, "Cancel: no signal sent: \(why)", pid: owner.pid, signal: nil)
                return
            }
        }
    }

    /// A warning entry on the run, written as the daemon.
    private func note(_ run: Int64, _ message: String, pid: Int64?, signal: String?) async {
        let context = JSONObject([("pid", .int(orNull: pid)), ("signal", .string(orNull: signal))])
        _ = await store.write(
            .log(run: run, level: .warning, message: message, context: JSONWriter.string(.object(context))))
    }

    /// Whom a step may signal.
    enum Target: Equatable {
        case signal(pid_t)
        case refused(String)
    }

    /// The owner to signal: the recorded pid, only while the process with that pid is the one
    /// that was recorded (same start time), and only when the daemon may signal it.
    static func target(
        _ owner: RunOwner,
        startTime: (Int32) -> Int64? = { ProcessTable.startTime(pid: $0) },
        uid: (Int32) -> UInt32? = { ProcessTable.uid(pid: $0) },
        daemonUid: UInt32 = geteuid()
    ) -> Target {
        guard let pid = owner.pid, pid > 0, pid <= Int64(Int32.max) else {
            return .refused("the run has no owner process")
        }
        guard owner.heartbeatTimeoutMs == nil else {
            return .refused("the owner is one the daemon cannot see (heartbeatTimeoutMs)")
        }
        let p = Int32(pid)
        guard let recorded = owner.startTime else {
            return .refused("the start time of process \(pid) was not recorded")
        }
        guard let now = startTime(p), now == recorded else {
            return .refused("process \(pid) is no longer the run's owner")
        }
        guard daemonUid == 0 || uid(p) == daemonUid else {
            return .refused("process \(pid) belongs to another user and the daemon is not root")
        }
        return .signal(p)
    }
}
