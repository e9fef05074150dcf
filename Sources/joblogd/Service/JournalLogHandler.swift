import Foundation
import Logging

#if canImport(Glibc)
    import Glibc
#endif

/// Log lines for journald, when stderr is a journal stream: each line starts with its syslog
/// priority, `<N>`, which journald strips and stores, so `journalctl -p warning -u joblogd`
/// filters by level. No timestamp (the journal adds one); metadata as `key=value` after the message.
struct JournalLogHandler: LogHandler {
    var logLevel: Logger.Level = .info
    var metadata: Logger.Metadata = [:]
    private let label: String

    init(label: String) { self.label = label }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// The syslog priority of a level: 7 debug, 6 info, 5 notice, 4 warning, 3 error, 2 critical.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: 7
        case .info: 6
        case .notice: 5
        case .warning: 4
        case .error: 3
        case .critical: 2
        }
    }

    /// True when `JOURNAL_STREAM` (`device:inode`, set by systemd) names the file stderr is: the
    /// variable alone is not enough, since children inherit it with stderr redirected elsewhere.
    static func stderrIsJournal(environment: [String: String]) -> Bool {
        guard let value = environment["JOURNAL_STREAM"] else { return false }
        let parts = value.split(separator: ":")
        guard parts.count == 2, let device = UInt64(parts[0]), let inode = UInt64(parts[1]) else { return false }
        var st = stat()
        guard fstat(STDERR_FILENO, &st) == 0 else { return false }
        return UInt64(st.st_dev) == device && UInt64(st.st_ino) == inode
    }

    func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { _, new in new } }
        var line = "<\(Self.priority(event.level))>\(event.message)"
        for (key, value) in all.sorted(by: { $0.key < $1.key }) { line += " \(key)=\(value)" }
        // One journal entry per event: a newline inside would start an entry without a priority.
        line = line.replacingOccurrences(of: "\n", with: "\\n") + "\n"
        FileHandle.standardError.write(Data(line.utf8))
    }
}
