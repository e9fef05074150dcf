import JobLogModel
import JobLogRules
import Testing

/// Random command sequences keep the run rules' invariants. A seeded generator (SplitMix64), so a
/// failure names its seed and can be replayed.
@Suite struct RunMachinePropertyTests {
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static func command(_ g: inout SplitMix64) -> RunCommand {
        let levels: [LogLevel] = [.debug, .info, .milestone, .warning, .error]
        switch Int.random(in: 0..<100, using: &g) {
        case 0..<30: return .incrementProgress(by: Int64.random(in: 0...5, using: &g))
        case 30..<55:
            return .log(level: levels.randomElement(using: &g)!, message: "m", context: nil)
        case 55..<60: return .setStage(stage: ["a", "b", "c"].randomElement(using: &g)!, message: nil)
        case 60..<64: return .setProgress(current: Int64.random(in: 0...50, using: &g))
        case 64..<67: return .setTotal(total: Int64.random(in: 1...100, using: &g), unit: nil)
        case 67..<75: return .addOutcome(key: ["ok", "bad"].randomElement(using: &g)!, count: 1)
        case 75..<78: return .saveOutcome
        case 78..<81: return .logSummary
        case 81..<84: return .incrementProgress(by: .max)  // overflows once current > 0
        case 84..<86: return .cancel(reason: "r", by: 0, graceMs: 0)
        case 86..<88: return .flag(.slow(message: "slow"))
        case 88..<90: return .flag(.stalled(since: Timestamp(milliseconds: 0), message: "stalled"))
        case 90..<92: return .abandon(reason: "gone")
        case 92..<94:
            return .finish(
                status: [.success, .failed, .cancelled].randomElement(using: &g)!, errorMessage: nil, errorStack: nil)
        default: return .log(level: .debug, message: "d", context: nil)
        }
    }

    @Test(arguments: 0..<40)
    func randomSequencesKeepTheInvariants(seed: UInt64) throws {
        var g = SplitMix64(state: seed)
        var fx = RecordingEffects()
        let budget: Int64? = Bool.random(using: &g) ? Int64.random(in: 1...8, using: &g) : nil
        let settings = RuleSettings(permissions: Permissions(trustedUids: [0]), maxLogsPerRun: budget)
        var m = RunMachine.start(
            NewRun(jobName: "j", trigger: "MANUAL", scope: "s", algorithmVersion: nil, params: "{}", ownerUid: 1000),
            id: 1, at: Timestamp(milliseconds: 0), effects: &fx)
        // What a reference model says the progress is.
        var expectedProgress: Int64 = 0
        var attempted = LogLevelCounts()
        var finished = false
        for step in 1...80 {
            let command = Self.command(&g)
            let caller: UInt32? = Int.random(in: 0..<10, using: &g) == 0 ? 2000 : 1000
            let before = m.run
            let logsBefore = fx.logged.count
            let answer = try m.apply(
                command, at: Timestamp(milliseconds: Int64(step) * 10), caller: caller, settings: settings,
                effects: &fx)
            for (level, _) in fx.logged[logsBefore...] { attempted[level] += 1 }
            // Dropped new entries are not in `logged`: count them from the run's own counters.
            let context = "seed \(seed), step \(step), \(command)"
            if finished, case .logSummary = command {
            } else if finished {
                // A finished run accepts no writes.
                #expect(answer == .refused(.runFinished(1, m.run.status)), "\(context)")
                #expect(m.run == before, "\(context)")
                continue
            }
            if caller == 2000 {
                #expect(answer == .refused(.notPermitted("run 1 belongs to uid 1000")), "\(context)")
                #expect(m.run == before, "\(context)")
                continue
            }
            switch (command, answer) {
            case (.incrementProgress(let by), .done): expectedProgress += by
            case (.setProgress(let current), .done): expectedProgress = current
            default: break
            }
            if m.run.status != .running { finished = true }
            #expect(m.run.progressCurrent == expectedProgress, "\(context)")
            // Counts per level: the kept entries are the store's entries, and kept + dropped is every
            // entry the rules were asked to write.
            for level in LogLevel.allCases {
                let stored = Int64(fx.entries.filter { $0.level == level }.count)
                #expect(m.run.logCounts[level] == stored, "\(context), \(level)")
            }
            if let budget, m.run.logCounts.total > budget {
                // Over the budget only with entries that are never dropped.
                #expect(m.run.logCounts.debug == 0 && m.run.logCounts.info == 0, "\(context)")
            }
            // Only debug and info entries are ever dropped.
            #expect(m.run.droppedLogCounts.milestone == 0 && m.run.droppedLogCounts.warning == 0, "\(context)")
            #expect(m.run.droppedLogCounts.error == 0, "\(context)")
            // A finished run's counters were saved, and its open stage closed.
            if m.run.status != .running {
                #expect(m.run.savedOutcome == m.run.outcome, "\(context)")
                #expect(m.run.finishedAt != nil, "\(context)")
            }
        }
        m.flushProgress(at: Timestamp(milliseconds: 10_000), effects: &fx)
        #expect(!m.progressPending)
        // Events: `started` first, at most one `finished`, and it is the last one.
        #expect(fx.eventNames.first == "started")
        #expect(fx.eventNames.filter { $0 == "finished" }.count <= 1)
        if let i = fx.eventNames.firstIndex(of: "finished") {
            #expect(fx.eventNames[(i + 1)...].allSatisfy { $0 == "log" || $0 == "progress" }, "seed \(seed)")
        }
        // Every entry written was either kept or dropped by the budget later.
        #expect(
            attempted.total - Int64(fx.entries.count)
                == fx.effects.filter { if case .dropOldestLog = $0 { true } else { false } }.count.int64, "seed \(seed)"
        )
    }
}

extension Int {
    fileprivate var int64: Int64 { Int64(self) }
}
