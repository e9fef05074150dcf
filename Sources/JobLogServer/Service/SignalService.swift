import JobLogStore
import Logging
import ServiceLifecycle
import UnixSignals

#if canImport(Glibc)
    import Glibc
#endif

/// The signals that would otherwise kill the daemon without its graceful shutdown.
///
/// SIGTERM, SIGINT and SIGQUIT stop it gracefully (the service group handles those). SIGUSR1
/// logs a status line; SIGHUP is logged and otherwise ignored (there is no log file to reopen:
/// logs go to stderr); SIGUSR2 and SIGALRM are logged and ignored. Signals nobody sends on purpose
/// (SIGIO, SIGPROF, SIGVTALRM, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT, the real-time signals) are
/// ignored from the start, so a stray `kill -SIG` never loses what the daemon has read.
public struct SignalService: Service {
    let store: JobLogStore
    let server: JobLogServer
    let logger: Logger

    public init(store: JobLogStore, server: JobLogServer, logger: Logger) {
        self.store = store
        self.server = server
        self.logger = logger
        Self.ignoreStraySignals()
    }

    public func run() async throws {
        let signals = await UnixSignalsSequence(trapping: .sighup, .sigusr1, .sigusr2, .sigalrm)
        await cancelWhenGracefulShutdown {
            let meter = CommitMeter(store: store)
            for await signal in signals {
                switch signal {
                case .sigusr1:
                    let rate = meter.rate()
                    let running = (try? await store.runningCount()).map { "\($0)" } ?? "unknown"
                    logger.notice(
                        "status",
                        metadata: [
                            "connections": "\(server.connectionCount)", "queuedWrites": "\(store.queuedWrites)",
                            "runningRuns": "\(running)", "commits": "\(store.commitCount)",
                            "commitsPerSecond": "\(Int(rate.rounded()))",
                        ])
                case .sighup:
                    logger.notice("SIGHUP: nothing to reopen (logs go to stderr); still serving")
                default:
                    logger.notice("signal ignored", metadata: ["signal": "\(signal)"])
                }
            }
        }
    }

    /// Sets SIG_IGN for signals whose default action would end the process and that the daemon has no use for.
    static func ignoreStraySignals() {
        for s in [SIGIO, SIGPROF, SIGVTALRM, SIGXCPU, SIGXFSZ, SIGPWR, SIGSTKFLT] { signal(s, SIG_IGN) }
        let low = Int32(__libc_current_sigrtmin())
        let high = Int32(__libc_current_sigrtmax())
        if low > 0, high >= low {
            for s in low...high { signal(s, SIG_IGN) }
        }
    }
}
