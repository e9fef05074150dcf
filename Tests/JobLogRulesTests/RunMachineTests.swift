import JobLogJSON
import JobLogModel
import JobLogRules
import Testing

/// One test per rule of PROTOCOL.md §6–8, without a database.
@Suite struct RunMachineTests {
    static let owner: UInt32 = 1000
    static let t0 = Timestamp(milliseconds: 1_700_000_000_000)
    static let settings = RuleSettings(permissions: Permissions(trustedUids: [0]))

    /// A RUNNING run of uid 1000 started at `t0`, and the effects of starting it.
    static func started(effects: inout RecordingEffects) -> RunMachine {
        var new = NewRun(
            jobName: "etl", trigger: "MANUAL", scope: "system", algorithmVersion: nil, params: #"{"a":1}"#,
            ownerUid: Int64(owner))
        new.stallAfterMs = 5000
        return RunMachine.start(new, id: 7, at: t0, effects: &effects)
    }

    static func at(_ ms: Int64) -> Timestamp { Timestamp(milliseconds: t0.milliseconds + ms) }

    @discardableResult
    static func apply(
        _ machine: inout RunMachine, _ command: RunCommand, at ms: Int64 = 10, caller: UInt32? = owner,
        settings: RuleSettings = settings, _ effects: inout RecordingEffects
    ) throws -> RunAnswer {
        try machine.apply(command, at: at(ms), caller: caller, settings: settings, effects: &effects)
    }

    @Test func startingARunTellsWatchers() {
        var fx = RecordingEffects()
        let m = Self.started(effects: &fx)
        #expect(m.run.status == .running)
        #expect(m.run.id == 7)
        #expect(m.run.params.text == #"{"a":1}"#)
        #expect(m.run.stallAfterMs == 5000)
        #expect(m.run.lastHeartbeatAt == Self.t0)
        #expect(fx.eventNames == ["started"])
    }

    @Test func aStageChangeLogsItsNameAndOpensItInTheTimeline() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .incrementProgress(by: 3), &fx)
        try Self.apply(&m, .setStage(stage: "load", message: nil), at: 20, &fx)
        #expect(m.run.currentStage == "load")
        #expect(fx.effects.contains(.beginStage(stage: "load", message: "Stage: load", at: Self.at(20), progress: 3)))
        #expect(fx.logged.last! == (.info, "Stage: load"))
        #expect(fx.lastContext == #"{"stage":"load"}"#)
        // The pending progress goes out before the stage event (commit order per run).
        #expect(fx.eventNames == ["started", "progress", "stage"])
        try Self.apply(&m, .setStage(stage: "save", message: "Saving 3 files"), &fx)
        #expect(fx.logged.last! == (.info, "Saving 3 files"))
    }

    @Test func theJobsOwnTimeDatesItsEntries() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        let jobTime = Self.at(-5)
        _ = try m.apply(
            .log(level: .info, message: "x", context: nil), at: Self.at(10), jobTime: jobTime, caller: Self.owner,
            settings: Self.settings, effects: &fx)
        #expect(fx.effects.last == .appendLog(level: .info, message: "x", context: "{}", at: jobTime, stage: nil))
        #expect(m.run.lastHeartbeatAt == Self.at(10))
    }

    @Test func aLogEntryAnswersItsIdAndCountsItsLevel() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        #expect(try Self.apply(&m, .log(level: .warning, message: "w", context: #"{"k":1}"#), &fx) == .logID(1))
        #expect(try Self.apply(&m, .log(level: .debug, message: "d", context: nil), &fx) == .logID(2))
        #expect(m.run.logCounts.warning == 1)
        #expect(m.run.logCounts.debug == 1)
        #expect(m.run.logCounts.total == 2)
    }

    @Test func theSummaryEntryCarriesOutcomeProgressAndElapsedTime() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .setTotal(total: 10, unit: "rows"), &fx)
        try Self.apply(&m, .incrementProgress(by: 4), &fx)
        try Self.apply(&m, .addOutcome(key: "ok", count: 4), &fx)
        #expect(try Self.apply(&m, .logSummary, at: 1500, &fx) == .run)
        #expect(fx.logged.last! == (.milestone, "Summary"))
        #expect(
            fx.lastContext
                == #"{"outcome":{"ok":4},"progress":{"current":4,"total":10,"unit":"rows"},"elapsedMs":1500}"#)
        #expect(m.run.savedOutcome == m.run.outcome)
    }

    @Test func aSummaryIsAllowedOnAFinishedRunButOnlyForItsWriters() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .finish(status: .success, errorMessage: nil, errorStack: nil), at: 100, &fx)
        #expect(try Self.apply(&m, .logSummary, at: 5000, &fx) == .run)
        #expect(fx.lastContext?.hasSuffix(#""elapsedMs":100}"#) == true)
        #expect(
            try Self.apply(&m, .logSummary, caller: 2000, &fx) == .refused(.notPermitted("run 7 belongs to uid 1000")))
    }

    @Test(arguments: [
        RunCommand.setStage(stage: "s", message: nil), .setTotal(total: 1, unit: nil), .incrementProgress(by: 1),
        .setProgress(current: 1), .log(level: .error, message: "e", context: nil), .addOutcome(key: "k", count: 1),
        .saveOutcome, .finish(status: .failed, errorMessage: nil, errorStack: nil),
        .cancel(reason: "", by: nil, graceMs: 0), .abandon(reason: "gone"),
        .flag(.slow(message: "slow")),
    ])
    func aFinishedRunAcceptsNoWrites(_ command: RunCommand) throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .finish(status: .success, errorMessage: nil, errorStack: nil), &fx)
        let before = m.run
        let effects = fx.effects.count
        #expect(try Self.apply(&m, command, at: 99, &fx) == .refused(.runFinished(7, .success)))
        #expect(m.run == before)
        #expect(fx.effects.count == effects)
    }

    @Test(arguments: [
        (caller: UInt32?(1000), allowed: true),  // the owner
        (caller: nil, allowed: true),  // in-process: trusted
        (caller: 0, allowed: true),  // a trusted uid
        (caller: 2000, allowed: false),  // anyone else
    ])
    func onlyTheOwnerOrATrustedUidMayWrite(caller: UInt32?, allowed: Bool) throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        let answer = try Self.apply(&m, .incrementProgress(by: 1), caller: caller, &fx)
        if allowed {
            #expect(answer == .done)
            #expect(m.run.progressCurrent == 1)
        } else {
            #expect(answer == .refused(.notPermitted("run 7 belongs to uid 1000")))
            #expect(m.run.progressCurrent == 0)
        }
    }

    @Test func theJobsOwnCommandsAreSignsOfLifeAndOthersAreNot() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .incrementProgress(by: 1), at: 50, &fx)
        #expect(m.run.lastHeartbeatAt == Self.at(50))
        try Self.apply(&m, .flag(.slow(message: "slow")), at: 60, caller: nil, &fx)
        try Self.apply(&m, .cancel(reason: "", by: 0, graceMs: 0), at: 70, caller: 0, &fx)
        #expect(m.run.lastHeartbeatAt == Self.at(50))
    }

    @Test func aStalledRunThatMovesResumesWithAnEntry() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .flag(.stalled(since: Self.t0, message: "No progress for 5s")), at: 5000, &fx)
        #expect(m.run.stalledSince == Self.t0)
        #expect(fx.logged.last! == (.warning, "No progress for 5s"))
        try Self.apply(&m, .incrementProgress(by: 1), at: 65_000, &fx)
        #expect(m.run.stalledSince == nil)
        #expect(fx.logged.last! == (.info, "Progress resumed after 1m05s"))
        #expect(fx.eventNames == ["started", "stalled", "unstalled"])
    }

    @Test func aStallFlagIsIgnoredWhenTheRunMovedSinceTheReaperLooked() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .incrementProgress(by: 1), at: 100, &fx)
        try Self.apply(&m, .flag(.stalled(since: Self.t0, message: "stalled")), at: 200, &fx)
        #expect(m.run.stalledSince == nil)
        try Self.apply(&m, .flag(.slow(message: "slow")), &fx)
        try Self.apply(&m, .flag(.slow(message: "slow again")), &fx)
        #expect(fx.logged.filter { $0.0 == .warning }.count == 1)
    }

    @Test func progressChangesAreToldOncePerTransaction() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .setTotal(total: 100, unit: nil), &fx)
        for _ in 0..<5 { try Self.apply(&m, .incrementProgress(by: 2), &fx) }
        #expect(fx.eventNames == ["started"])
        #expect(m.progressPending)
        m.flushProgress(at: Self.at(20), effects: &fx)
        m.flushProgress(at: Self.at(30), effects: &fx)
        #expect(fx.eventNames == ["started", "progress"])
        guard case .progress(let current, let total) = fx.events.last else {
            Issue.record("no progress event")
            return
        }
        #expect(current == 10)
        #expect(total == 100)
        #expect(m.run.progressPercent == 10)
        #expect(m.run.progressMessage == "Processing (10 / 100)")
    }

    @Test(arguments: [
        (command: RunCommand.incrementProgress(by: 1), field: "progress"),
        (command: .addOutcome(key: "rows", count: 1), field: "outcome rows"),
    ])
    func aCounterPastInt64MaxIsRefused(command: RunCommand, field: String) throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .setProgress(current: .max), &fx)
        try Self.apply(&m, .addOutcome(key: "rows", count: .max), &fx)
        let answer = try Self.apply(&m, command, &fx)
        #expect(answer == .refused(.overflow(field)))
        #expect(m.run.progressCurrent == .max)
        #expect(m.run.outcome["rows"] == .max)
    }

    @Test func finishingLogsTheErrorClosesTheStageAndSavesTheCounters() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .setStage(stage: "load", message: nil), &fx)
        try Self.apply(&m, .addOutcome(key: "bad", count: 2), &fx)
        try Self.apply(&m, .incrementProgress(by: 4), &fx)
        let answer = try Self.apply(
            &m, .finish(status: .failed, errorMessage: "boom", errorStack: "at main"), at: 300, &fx)
        #expect(answer == .run)
        #expect(m.run.status == .failed)
        #expect(m.run.finishedAt == Self.at(300))
        #expect(m.run.errorMessage == "boom")
        #expect(m.run.errorStack == "at main")
        #expect(m.run.savedOutcome["bad"] == 2)
        #expect(fx.logged.last! == (.error, "boom"))
        #expect(fx.lastContext == #"{"stack":"at main"}"#)
        #expect(fx.effects.last == .endStage(at: Self.at(300), progress: 4))
        #expect(fx.eventNames.suffix(2) == ["progress", "finished"])
        #expect(!fx.effects.contains(.jobSucceeded("etl")))
    }

    @Test func aSuccessMuchSlowerThanUsualIsFlaggedSlow() throws {
        var fx = RecordingEffects()
        fx.slowAnswer = "Took 10s, 5× the usual 2s"
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .finish(status: .success, errorMessage: nil, errorStack: nil), &fx)
        #expect(fx.effects.contains(.jobSucceeded("etl")))
        #expect(m.run.slow)
        #expect(fx.logged.last! == (.warning, "Took 10s, 5× the usual 2s"))
        #expect(fx.eventNames == ["started", "slow", "finished"])
    }

    @Test func aCancelRequestIsLoggedAndACancelledFinishSaysHowLongItTook() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        #expect(
            try Self.apply(&m, .cancel(reason: "wrong input", by: 0, graceMs: 5000), at: 100, caller: 0, &fx) == .run)
        #expect(m.run.cancelRequestedAt == Self.at(100))
        #expect(m.run.cancelReason == "wrong input")
        #expect(fx.logged.last! == (.warning, "Cancel requested: wrong input"))
        #expect(fx.lastContext == #"{"by":0,"reason":"wrong input","graceMs":5000}"#)
        #expect(fx.eventNames.last == "cancelRequested")
        try Self.apply(&m, .finish(status: .cancelled, errorMessage: nil, errorStack: nil), at: 350, &fx)
        #expect(fx.logged.last! == (.info, "Stopped 250 ms after the cancel request"))
        #expect(m.run.errorMessage == "Cancelled: wrong input")
        #expect(m.run.status == .cancelled)
    }

    @Test func aCancelWithoutAReasonSaysJustThat() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .cancel(reason: "", by: nil, graceMs: 0), caller: 0, &fx)
        #expect(fx.logged.last! == (.warning, "Cancel requested"))
        try Self.apply(&m, .finish(status: .cancelled, errorMessage: nil, errorStack: nil), &fx)
        #expect(m.run.errorMessage == "Cancelled")
        #expect(RunMachine.cancelled(nil) == "Cancelled")
    }

    @Test func aRunWhoseOwnerIsGoneIsAbandonedWithWhereItWas() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .setStage(stage: "load", message: nil), &fx)
        try Self.apply(&m, .setTotal(total: 10, unit: nil), &fx)
        try Self.apply(&m, .incrementProgress(by: 5), at: 20, &fx)
        try Self.apply(&m, .abandon(reason: "owner process 42 exited"), at: 9000, caller: nil, &fx)
        #expect(m.run.status == .abandoned)
        let message =
            "Run abandoned: owner process 42 exited; last stage 'load', progress 5/10, "
            + "last heard from at \(Self.at(20).iso8601)"
        #expect(m.run.errorMessage == message)
        #expect(fx.logged.last! == (.error, message))
        #expect(fx.eventNames.suffix(2) == ["progress", "finished"])
    }

    @Test func aRunWhoseOwnerLeftAfterACancelRequestIsCancelled() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .cancel(reason: "stop", by: 0, graceMs: 0), at: 100, caller: 0, &fx)
        try Self.apply(&m, .abandon(reason: "owner process 42 exited"), at: 400, caller: nil, &fx)
        #expect(m.run.status == .cancelled)
        #expect(m.run.errorMessage == "Run cancelled: stop (owner process 42 exited)")
        #expect(
            fx.logged.suffix(2).map(\.1) == [
                "Run cancelled: stop (owner process 42 exited)", "Stopped 300 ms after the cancel request",
            ])
    }

    /// The budget keeps 3 entries; each row: what the run holds, the new entry, what happens.
    @Test(arguments: [
        (held: [LogLevel.debug, .info, .info], new: LogLevel.info, dropped: LogLevel?.some(.debug), kept: true),
        (held: [.info, .info, .warning], new: .debug, dropped: nil, kept: false),
        (held: [.info, .info, .warning], new: .info, dropped: .info, kept: true),
        (held: [.info, .milestone, .error], new: .warning, dropped: .info, kept: true),
        (held: [.milestone, .warning, .error], new: .info, dropped: nil, kept: false),
        (held: [.milestone, .warning, .error], new: .error, dropped: nil, kept: true),
        (held: [.debug, .debug], new: .debug, dropped: nil, kept: true),
    ])
    func theLogBudgetDropsDebugThenInfoAndNeverMore(held: [LogLevel], new: LogLevel, dropped: LogLevel?, kept: Bool)
        throws
    {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        var settings = Self.settings
        settings.maxLogsPerRun = 3
        for level in held {
            try Self.apply(&m, .log(level: level, message: "old", context: nil), settings: settings, &fx)
        }
        let answer = try Self.apply(&m, .log(level: new, message: "new", context: nil), settings: settings, &fx)
        #expect((answer != .logID(0)) == kept)
        #expect(fx.effects.contains(where: { if case .dropOldestLog = $0 { true } else { false } }) == (dropped != nil))
        if let dropped { #expect(fx.effects.contains(.dropOldestLog(dropped))) }
        let total = held.count + 1
        #expect(m.run.logCounts.total + m.run.droppedLogCounts.total == Int64(total))
        #expect(Int64(fx.entries.count) == m.run.logCounts.total)
    }

    @Test func logEventsAreBuiltOnlyForWatchedLevels() throws {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        try Self.apply(&m, .log(level: .error, message: "unwatched", context: nil), &fx)
        var settings = Self.settings
        settings.watchedLevel = .warning
        try Self.apply(&m, .log(level: .info, message: "below", context: nil), settings: settings, &fx)
        try Self.apply(&m, .incrementProgress(by: 1), settings: settings, &fx)
        try Self.apply(
            &m, .log(level: .warning, message: "seen", context: #"{"x":1}"#), at: 40, settings: settings, &fx)
        #expect(fx.eventNames == ["started", "progress", "log"])
        guard case .log(let record) = fx.events.last else {
            Issue.record("no log event")
            return
        }
        #expect(record.message == "seen")
        #expect(record.id == 3)
        #expect(record.context.text == #"{"x":1}"#)
        #expect(record.createdAt == Self.at(40))
    }

    @Test func aRefusedNotificationCountsOnARunItsCallerMayWrite() {
        var fx = RecordingEffects()
        var m = Self.started(effects: &fx)
        let counted = m.countRejection("info: invalid params", caller: Self.owner, settings: Self.settings)
        let stranger = m.countRejection("info: invalid params", caller: 2000, settings: Self.settings)
        #expect(counted)
        #expect(!stranger)
        #expect(m.run.rejectedCount == 1)
        #expect(m.run.lastRejection == "info: invalid params")
    }
}
