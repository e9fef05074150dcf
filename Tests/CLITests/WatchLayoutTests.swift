import Foundation
import JobLogTestSupport
import Testing

/// Issue 19 #8: `joblog watch` fits the terminal: at 60 columns the bar goes first (percent
/// and count stay), at 120 everything shows; with more runs than rows the most recently
/// active are shown with a count of the hidden; `--job` filters; lines are never wrapped.
@Suite(.serialized) struct WatchLayoutTests {
    /// 15 RUNNING runs: ten `sync-N` with a total, five `scan-N` with a counter only.
    struct Fixture {
        let daemon: TestDaemon
        var ids: [String] = []

        init() throws {
            daemon = try TestDaemon()
            let view = try DaemonView(daemon)
            for i in 0..<15 {
                let name = i < 10 ? "sync-\(i)" : "scan-\(i)"
                let id = try view.startRun(name)
                try view.call("setStage", ["jobRunId": id, "stage": "Stage of run \(i) with a long description"])
                if i < 10 {
                    try view.call("setTotal", ["jobRunId": id, "total": 100, "unit": "users"])
                    try view.call("setProgress", ["jobRunId": id, "current": 40])
                } else {
                    try view.call("incrementProgress", ["jobRunId": id, "by": 7])
                }
                ids.append(id)
            }
        }

        /// `joblog watch ARGS` in a columns x rows terminal; the pane once every run is drawn.
        func pane(columns: Int, rows: Int, _ arguments: String = "", until: (String) -> Bool) throws -> String {
            let command = "env JOBLOG_SOCKET='\(daemon.socketPath)' '\(CLI.binary)' watch \(arguments); sleep 60"
            let tmux = try Tmux(command: command, columns: columns, rows: rows)
            defer { tmux.kill() }
            var pane = ""
            try CLI.waitUntil("the runs are drawn") {
                pane = try tmux.capture()
                return until(pane)
            }
            usleep(300_000)  // one more frame: the layout is stable
            return try tmux.capture()
        }
    }

    static func runLines(_ pane: String) -> [Substring] {
        pane.split(separator: "\n").filter { $0.hasPrefix("#") }
    }

    @Test(.enabled(if: Tmux.isInstalled, "tmux is not installed: the terminal layout tests are skipped"))
    func at60ColumnsTheBarGoesFirst() throws {
        let f = try Fixture()
        let pane = try f.pane(columns: 60, rows: 30) { Self.runLines($0).count == 15 }
        let lines = Self.runLines(pane)
        #expect(lines.count == 15, "one line per run, none wrapped:\n\(pane)")
        #expect(!pane.contains("█") && !pane.contains("░"), "no bar at 60 columns:\n\(pane)")
        for line in lines where line.contains("sync-") {
            #expect(line.contains(" 40%") && line.contains("40/100 users"), "percent and count stay: \(line)")
        }
        for line in lines where line.contains("scan-") {
            #expect(line.contains("7 users") || line.contains("  7"), "a counter: \(line)")
            #expect(!line.contains("%"), "no percent without a total: \(line)")
        }
        #expect(pane.split(separator: "\n").allSatisfy { $0.count <= 60 })
    }

    @Test(.enabled(if: Tmux.isInstalled, "tmux is not installed: the terminal layout tests are skipped"))
    func at120ColumnsEverythingShows() throws {
        let f = try Fixture()
        let pane = try f.pane(columns: 120, rows: 30) { Self.runLines($0).count == 15 }
        let lines = Self.runLines(pane)
        #expect(lines.count == 15, "\(pane)")
        let sync = try #require(lines.first { $0.contains("sync-0 ") })
        #expect(sync.contains("█") && sync.contains(" 40%") && sync.contains("40/100 users"), "\(sync)")
        #expect(
            sync.range(of: #"\[\d\d:\d\d<"#, options: .regularExpression) != nil, "tqdm's elapsed<remaining: \(sync)")
        let scan = try #require(lines.first { $0.contains("scan-10 ") })
        #expect(scan.range(of: #"\[\d\d:\d\d\]"#, options: .regularExpression) != nil, "elapsed only: \(scan)")
        #expect(!pane.contains("ETA"), "no ETA 0ms")
    }

    @Test(.enabled(if: Tmux.isInstalled, "tmux is not installed: the terminal layout tests are skipped"))
    func moreRunsThanRowsShowsTheMostRecentlyActive() throws {
        let f = try Fixture()
        let view = try DaemonView(f.daemon)
        usleep(50_000)
        try view.call("incrementProgress", ["jobRunId": f.ids[0], "by": 1])  // the oldest run is now the most active
        let pane = try f.pane(columns: 100, rows: 10) { $0.contains("more running") }
        let lines = Self.runLines(pane)
        #expect(lines.count == 8, "rows - 2 runs and one line for the hidden:\n\(pane)")
        #expect(pane.contains("… 7 more running"), "\(pane)")
        #expect(lines.contains { $0.hasPrefix("#\(f.ids[0]) ") }, "the most recently active is shown:\n\(pane)")
        #expect(!lines.contains { $0.hasPrefix("#\(f.ids[1]) ") }, "the least recently active is hidden")

        let filtered = try f.pane(columns: 100, rows: 10, "--job scan-12") { Self.runLines($0).count == 1 }
        #expect(Self.runLines(filtered).first?.contains("scan-12") == true, "\(filtered)")
        #expect(!filtered.contains("more running"))
    }
}
