import Foundation
import JobLogTestSupport
import Testing

/// A stalled watcher's memory (issue 10, point 7): 64 subscriptions on one connection that never
/// reads, with 64 KiB messages, took RSS from 30 MB to 1.2 GB (bounded only by 64 × 4,096 events).
/// Each subscriber's queue is now bounded in bytes too, and the connection's subscriptions together;
/// past either, the queue is emptied and the subscriber gets `lagged`, as before.
@Suite struct WatcherBytesTests {
    @Test func sixtyFourStalledWatchersHoldBoundedMemory() throws {
        let daemon = try TestDaemon()
        let pid = daemon.pid
        let baseline = Reliability.rssMB(pid)
        let watcher = try daemon.connect()
        var watches = ""
        for i in 0..<64 {
            watches += #"{"jsonrpc":"2.0","id":\#(i),"method":"watch","params":{"level":"debug"}}"# + "\n"
        }
        try watcher.sendBytes(Array(watches.utf8))
        for _ in 0..<64 {
            let line = try watcher.readLine() ?? ""
            #expect(line.contains(#""subscription""#), "\(line)")
        }
        let start = Date()
        // From here on the watcher never reads.
        let writer = try daemon.connect()
        let id = try writer.result("startRun", ["jobName": "stalled-watchers"])["jobRunId"] as! String
        let message = String(repeating: "x", count: 64 * 1024 - 16)
        let entries = 2000
        for batch in 0..<(entries / 50) {
            var lines: [UInt8] = []
            for i in 0..<50 {
                let line =
                    #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(id)","message":"\#(batch * 50 + i) \#(message)"}}"#
                lines += Array(line.utf8) + [0x0A]
            }
            try writer.sendBytes(lines)
            _ = try writer.result("ping")
        }
        let ingested = Reliability.ms(since: start)
        usleep(1_000_000)
        let held = Reliability.rssMB(pid)
        let peak = Reliability.peakRSSMB(pid)
        #expect(peak - baseline < 120, "RSS \(baseline) -> peak \(peak) MB")
        // Others are still served.
        #expect(try writer.result("getRun", ["jobRunId": id])["run"] != nil)
        print(
            "stalledWatchers: 64 subscriptions never read, \(entries) x 64 KiB entries: RSS \(Reliability.mb(baseline))"
                + " -> \(Reliability.mb(held)), peak \(Reliability.mb(peak)); ingest took \(ingested) ms")
        // When it reads at last, it is told what it missed.
        var lagged = false
        let reading = Date()
        defer { print("stalledWatchers: lagged found after \(Reliability.ms(since: reading)) ms") }
        for _ in 0..<5000 {
            guard let line = try watcher.readLine() else { break }
            if line.contains(#""lagged""#) {
                lagged = true
                break
            }
        }
        #expect(lagged)
    }
}
