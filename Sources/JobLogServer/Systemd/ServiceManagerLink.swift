#if canImport(Glibc)
    import Glibc
#endif

/// What a service manager (systemd, with `Type=notify`) expects of this process, read from its
/// environment: where to send notifications (`NOTIFY_SOCKET`) and whether to feed a watchdog
/// (`WATCHDOG_USEC`). Nil when the daemon was started by hand.
public struct ServiceManagerLink: Sendable {
    public let notifier: ServiceNotifier
    public let watchdog: ServiceWatchdog?
    /// How often a `STATUS=` line is sent.
    public var statusInterval: Duration = .seconds(5)

    public init?(environment: [String: String], pid: Int32 = getpid()) {
        guard let notifier = ServiceNotifier(environment: environment) else { return nil }
        self.notifier = notifier
        watchdog = ServiceWatchdog(environment: environment, notifier: notifier, pid: pid)
    }

    /// The `STATUS=` text.
    static func statusLine(connections: Int, runningRuns: Int?, commitsPerSecond: Double) -> String {
        let runs = runningRuns.map(String.init) ?? "?"
        let rate = (commitsPerSecond * 10).rounded() / 10
        return "serving: \(connections) connections, \(runs) runs running, \(rate) commits/s"
    }
}
