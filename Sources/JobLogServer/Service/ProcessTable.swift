import Foundation

/// Facts about local processes from `/proc`.
enum ProcessTable {
    /// The process's start time (clock ticks since boot, field 22 of `/proc/PID/stat`),
    /// which tells a live process from a later one that reused its pid. Nil when it does not exist.
    static func startTime(pid: Int32) -> Int64? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return nil }
        // The command name (field 2) may hold spaces and parentheses: fields after the last ')'.
        guard let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state); field 22 is fields[19].
        guard fields.count > 19 else { return nil }
        return Int64(fields[19])
    }
}

extension ProcessTable {
    /// The real uid of a process (the `Uid:` line of `/proc/PID/status`), nil when it does not exist.
    static func uid(pid: Int32) -> UInt32? {
        guard let status = try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8) else { return nil }
        for line in status.split(separator: "\n") where line.hasPrefix("Uid:") {
            return line.split(whereSeparator: { $0 == "\t" || $0 == " " }).dropFirst().first.flatMap { UInt32($0) }
        }
        return nil
    }
}
