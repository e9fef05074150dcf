import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Logs for journald: with `JOURNAL_STREAM` naming stderr (device:inode), every line starts
/// with its syslog priority; otherwise the usual format.
@Suite struct JournalLogTests {
    @Test func linesCarrySyslogPrioritiesWhenStderrIsTheJournal() throws {
        let dir = try ServiceProcess.makeDirectory()
        let log = dir + "/daemon.log"
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        // ulimit -n 256 with --max-connections 1000: a warning at start.
        let daemon = try ServiceProcess(
            directory: dir, launcher: ["/bin/sh", "-c", #"ulimit -n 256 && exec "$0" "$@""#],
            arguments: [
                "--socket", dir + "/sock", "--db", dir + "/db.sqlite", "--log-level", "debug",
                "--max-connections", "1000",
            ],
            environment: ["JOURNAL_STREAM": ServiceProcess.journalStream(of: log)])
        #expect(eventually { (try? LineClient(path: dir + "/sock").result("ping")) != nil }, "log: \(daemon.log())")

        // A write that waits out the busy timeout (5 s) behind the test's lock: an error line.
        let lock = try WriteLock(path: dir + "/db.sqlite")
        let job = try LineClient(path: dir + "/sock")
        let refused = try job.call("startRun", ["jobName": "journal"])
        #expect(refused["error"] != nil)
        try lock.release()
        job.close()
        #expect(daemon.terminate() == 0)

        let lines = daemon.log().split(separator: "\n").map(String.init)
        #expect(!lines.isEmpty)
        let unprefixed = lines.filter { $0.range(of: #"^<[0-7]>"#, options: .regularExpression) == nil }
        #expect(unprefixed.isEmpty, "every line has a priority: \(unprefixed)")
        #expect(lines.contains { $0.hasPrefix("<7>connection opened") })
        #expect(lines.contains { $0.hasPrefix("<6>store open") })
        #expect(lines.contains { $0.hasPrefix("<4>too few file descriptors") })
        #expect(lines.contains { $0.hasPrefix("<3>store write failed") })
    }

    @Test func anotherStreamKeepsTheUsualFormat() throws {
        let dir = try ServiceProcess.makeDirectory()
        // Inherited from a parent whose stderr was the journal: not this stderr.
        let daemon = try ServiceProcess(
            directory: dir, arguments: ["--socket", dir + "/sock", "--db", dir + "/db.sqlite"],
            environment: ["JOURNAL_STREAM": "1:1"])
        #expect(eventually { (try? LineClient(path: dir + "/sock").result("ping")) != nil })
        #expect(daemon.terminate() == 0)
        let lines = daemon.log().split(separator: "\n")
        #expect(lines.contains { $0.contains("info joblogd") && $0.contains("store open") }, "\(lines)")
        #expect(!lines.contains { $0.hasPrefix("<") })
    }
}
