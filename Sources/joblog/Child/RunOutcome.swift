import JobLogModel

#if canImport(Glibc)
    import Glibc
#endif

/// How `joblog run` records the end of its command, and the code it exits with.
struct RunOutcome: Equatable {
    let status: RunStatus
    /// The run's error message (nil on success).
    let error: String?
    /// joblog's own exit code: the command's, 128+N when it was killed by signal N.
    let exitCode: Int32

    /// - exit 0: SUCCESS.
    /// - killed by SIGINT or SIGTERM: CANCELLED, "killed by signal N".
    /// - killed by another signal: FAILED, "killed by signal N".
    /// - exit N after joblog received SIGINT/SIGTERM (the command handled it and quit): CANCELLED, "exit code N".
    /// - exit N otherwise: FAILED, "exit code N".
    init(_ termination: Termination, signalReceived: Int32?) {
        switch termination {
        case .exited(0):
            self.init(status: .success, error: nil, exitCode: 0)
        case .exited(let code):
            self.init(
                status: signalReceived == nil ? .failed : .cancelled, error: "exit code \(code)", exitCode: code)
        case .signaled(let signo):
            let cancelled = signo == SIGINT || signo == SIGTERM
            self.init(
                status: cancelled ? .cancelled : .failed, error: "killed by signal \(signo)", exitCode: 128 + signo)
        }
    }

    /// After a cancel request (`joblog cancel`): CANCELLED with the reason, whatever the exit.
    func cancelled(reason: String) -> RunOutcome {
        let how = exitCode >= 128 ? "killed by signal \(exitCode - 128)" : "exit code \(exitCode)"
        let what = reason.isEmpty ? "Cancelled" : "Cancelled: \(reason)"
        return RunOutcome(status: .cancelled, error: "\(what) (\(how))", exitCode: exitCode)
    }

    /// The command could not be started: FAILED; 127 when it was not found, else 126 (as shells do).
    init(spawnFailure: ChildProcess.SpawnError, command: String) {
        self.init(
            status: .failed, error: "cannot run \(command): \(spawnFailure)",
            exitCode: spawnFailure.code == ENOENT ? 127 : 126)
    }

    private init(status: RunStatus, error: String?, exitCode: Int32) {
        self.status = status
        self.error = error
        self.exitCode = exitCode
    }
}
