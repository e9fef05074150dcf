import JobLogModel
import JobLogProtocol

/// Sends captured output lines as log entries (notifications: no round trip per line).
struct CaptureReporter: Sendable {
    let session: Session
    let runID: Int64

    init(_ session: Session, _ runID: Int64) {
        self.session = session
        self.runID = runID
    }

    /// stdout lines are `info` entries, stderr lines `warning` entries.
    func record(_ line: String, from stream: OutputCapture.Stream) {
        let level: LogLevel = stream == .stdout ? .info : .warning
        let params = LogParams(jobRunId: runID, level: level, message: line)
        session.client.notify(params.method, params)
    }
}
