import ArgumentParser
import JobLogClient
import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `joblog watch [ID]`: live progress bars until the run (or every run shown) ends.
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Show live progress of a run, or of every RUNNING run.",
        discussion: """
            Each run gets a bar: percent, current/total with the unit, rate (over the last 30 s), \
            elapsed and remaining time as tqdm writes them ([00:02<00:08]), and the current stage; a \
            run without a total gets a counter and a rate. On a terminal the bars are redrawn in \
            place and fit its width (the bar goes first, then the stage, the rate and the times); \
            with more runs than rows the most recently active are shown and a last line says how \
            many are hidden (--job NAME filters). Otherwise one plain line is printed per change; \
            --json prints each changed getProgress result on a line. The state is read every 200 ms.

            With an ID, watch ends when that run is no longer RUNNING and prints its final status. \
            Without, it shows every RUNNING run (and those that start meanwhile), prints each one's \
            final status as it ends, and exits when none is left running after at least one was \
            seen (with nothing running it waits for a run to start). Ctrl-C stops it at any time. \
            The exit code is 0 whatever the runs' status.
            """)

    static let pollInterval: Duration = .milliseconds(200)

    @Argument(help: "The run to watch (default: every RUNNING run).")
    var id: Int64?

    @Option(help: "Only runs of this job (without an ID).")
    var job: String?

    @OptionGroup var output: OutputOptions
    @OptionGroup var connection: ConnectionOptions

    func validate() throws {
        if let id, id <= 0 { throw ValidationError("The run id must be positive.") }
        if id != nil, job != nil { throw ValidationError("Give a run id or --job, not both.") }
    }

    func run() async throws {
        let session = connection.session()
        defer { session.close() }
        var view = WatchView(json: output.json, terminal: Console.stdoutIsTerminal, raw: output.raw)
        if let id {
            try await watch(id, session, &view)
        } else {
            try await watchAll(session, &view)
        }
    }

    /// One run, until it ends.
    private func watch(_ id: Int64, _ session: Session, _ view: inout WatchView) async throws {
        while true {
            let snapshot = try await progress(id, session)
            if snapshot.run.status == .running {
                view.update(running: [snapshot], ended: [])
                try await Task.sleep(for: Self.pollInterval)
                continue
            }
            let final = try await session.call(.getRun, RunParams(jobRunId: id), as: RunResult.self).run
            view.update(running: [], ended: [(snapshot, final)])
            return
        }
    }

    /// Every RUNNING run, until none is left after at least one was seen.
    private func watchAll(_ session: Session, _ view: inout WatchView) async throws {
        var tracked: [Int64] = []
        var done: Set<Int64> = []
        var seen = false
        while true {
            let params = ListRunsParams(jobName: job, status: .running, limit: ListRunsParams.maxLimit)
            let list = try await session.call(.listRuns, params, as: ListRunsResult.self).runs
            for run in list.reversed() where !tracked.contains(run.id) && !done.contains(run.id) {
                tracked.append(run.id)
            }
            var running: [WatchView.Snapshot] = []
            var ended: [(WatchView.Snapshot, RunRecord)] = []
            for id in tracked {
                guard let snapshot = try await progressIfExists(id, session) else {
                    done.insert(id)  // pruned meanwhile
                    continue
                }
                if snapshot.run.status == .running {
                    running.append(snapshot)
                } else {
                    let final = try? await session.client.getRun(id)
                    ended.append((snapshot, final ?? snapshot.run))
                    done.insert(id)
                }
            }
            tracked.removeAll { done.contains($0) }
            seen = seen || !running.isEmpty || !ended.isEmpty
            view.update(running: running, ended: ended, waiting: !seen)
            if seen, tracked.isEmpty { return }
            try await Task.sleep(for: Self.pollInterval)
        }
    }

    private func progress(_ id: Int64, _ session: Session) async throws(ExitCode) -> WatchView.Snapshot {
        let raw = try await session.call(.getProgress, RunParams(jobRunId: id))
        let run = try session.decode(ProgressResult.self, from: raw, method: .getProgress).run
        return WatchView.Snapshot(run: run, raw: raw)
    }

    /// The run's progress; nil when the run no longer exists.
    private func progressIfExists(_ id: Int64, _ session: Session) async throws(ExitCode) -> WatchView.Snapshot? {
        let raw: JSONValue
        do {
            raw = try await session.client.callRaw(Method.getProgress.rawValue, RunParams(jobRunId: id).json)
        } catch {
            if case .rpc(let e) = error, e.code == RPCErrorCode.unknownRun { return nil }
            throw session.fail(error, .getProgress)
        }
        let run = try session.decode(ProgressResult.self, from: raw, method: .getProgress).run
        return WatchView.Snapshot(run: run, raw: raw)
    }
}
