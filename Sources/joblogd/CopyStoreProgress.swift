import Foundation
import JobLogPostgres
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// The progress of `joblogd copy-store` on stderr: a bar redrawn in place on a terminal (at most
/// ten times a second), else a plain line every few seconds.
final class CopyStoreProgress: Sendable {
    private struct State {
        var lastShown: ContinuousClock.Instant?
        var shownAny = false
    }

    private let terminal = isatty(2) == 1
    private let started = ContinuousClock.now
    private let state = Mutex(State())

    func show(_ progress: CopyStore.Progress) {
        let now = ContinuousClock.now
        let interval: Duration = terminal ? .milliseconds(100) : .seconds(5)
        let due = state.withLock { state in
            let last = progress.copied == progress.total
            if let shown = state.lastShown, now - shown < interval, !last { return false }
            state.lastShown = now
            state.shownAny = true
            return true
        }
        guard due else { return }
        let fraction = progress.total > 0 ? Double(progress.copied) / Double(progress.total) : 1
        let seconds = Double((now - started).components.seconds) + Double((now - started).components.attoseconds) / 1e18
        let rate = seconds > 0 ? Int(Double(progress.copied) / seconds) : 0
        let figures =
            "\(Int(fraction * 100))% \(progress.copied)/\(progress.total) rows, \(rate) rows/s (\(progress.table))"
        if terminal {
            let width = 30
            let filled = min(width, Int(fraction * Double(width)))
            let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
            Self.write("\r\u{1B}[K[\(bar)] \(figures)")
        } else {
            Self.write("copy-store: \(figures)\n")
        }
    }

    /// Ends the bar's line (on a terminal).
    func finish() {
        if terminal, state.withLock({ $0.shownAny }) { Self.write("\n") }
    }

    private static func write(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }
}
