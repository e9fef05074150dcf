/// Every method of the protocol, by its wire name.
public enum Method: String, Sendable, CaseIterable {
    // Job side.
    case startRun
    case setStage
    case setTotal
    case incrementProgress
    case setProgress
    case debug
    case info
    case milestone
    case warning
    case error
    case log
    case addOutcome
    case saveOutcome
    case logSummary
    case finishRun
    // Admin side.
    case getLogs
    case searchLogs
    case getProgress
    case getOutcome
    case getRun
    case listRuns
    case ping
    case watch
    case unwatch
    case pruneRuns
    case getStages
    case listJobs
    case getJobStats
    case compareRuns
    case cancelRun

    /// The method with this wire name: one hash lookup instead of a comparison per case.
    public static func named(_ name: String) -> Method? { byName[name] }

    private static let byName: [String: Method] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
}
