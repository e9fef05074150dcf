import JobLogJSON
import JobLogModel
import Testing

@testable import JobLogPostgres

/// The bounds of the cross-node watch feed's memory: cursors per run, pending runs, forgotten ids.
struct WatchCursorsTests {
    static func run(_ id: Int64, node: String = "a", status: RunStatus = .running) -> RunRecord {
        var r = RunRecord(
            id: id, jobName: "j", status: status, startedAt: Timestamp(milliseconds: 1),
            lastHeartbeatAt: Timestamp(milliseconds: 1))
        r.node = node
        return r
    }

    @Test func pastMaxRunsTheLeastRecentlyChangedAreForgottenAndNotToldFromTheStartAgain() {
        var cursors = WatchCursors()
        let total = WatchCursors.maxRuns + 1
        for id in 1...Int64(total) {
            var c = RunCursor(fresh: Self.run(id))
            c.touched = UInt64(id)
            cursors.runs[id] = c
        }
        cursors.trim()
        #expect(cursors.runs.count <= WatchCursors.maxRuns)
        #expect(cursors.runs[1] == nil && cursors.runs[Int64(total)] != nil)
        // A forgotten run that still runs is followed from where it is, not told from its start.
        #expect(cursors.start(for: Self.run(1), ownNode: "b") == .baseline)
        #expect(cursors.start(for: Self.run(1, status: .success), ownNode: "b") == .skip)
        #expect(cursors.start(for: Self.run(Int64(total) + 1), ownNode: "b") == .fresh)
        // This node's own runs are told locally.
        #expect(cursors.start(for: Self.run(Int64(total) + 2, node: "b"), ownNode: "b") == .baseline)
    }

    @Test func tooManyPendingRunsTurnIntoOneSweep() {
        var cursors = WatchCursors()
        cursors.sweep = false
        cursors.note((1...Int64(WatchCursors.maxPending)).map { $0 })
        #expect(!cursors.sweep && cursors.pending.count == WatchCursors.maxPending)
        cursors.note([Int64(WatchCursors.maxPending) + 1])
        #expect(cursors.sweep && cursors.pending.isEmpty)
    }

    @Test func forgottenIdsAreBounded() {
        var cursors = WatchCursors()
        for id in 1...Int64(WatchCursors.maxForgotten + 100) { cursors.forget(id) }
        #expect(cursors.forgotten.count == WatchCursors.maxForgotten)
        #expect(!cursors.forgotten.contains(1))
    }
}
