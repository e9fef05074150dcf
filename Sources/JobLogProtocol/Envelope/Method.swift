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
    // Sessions (protocol version 2).
    case hello
}

// The lookup lives outside the enum's body, which lists the cases only (Spec/tests reads it).
extension Method {
    /// The method with this wire name: the hot notifications by one comparison, the rest by
    /// one hash lookup instead of a comparison per case.
    public static func named(_ name: String) -> Method? {
        switch name.utf8.count {
        case 4:
            if name == "info" { return .info }
        case 17:
            if name == "incrementProgress" { return .incrementProgress }
        default:
            break
        }
        return byName[name]
    }

    private static let byName: [String: Method] = Dictionary(uniqueKeysWithValues: allCases.map { ($0.rawValue, $0) })
}
