import JobLogJSON
import JobLogModel

/// `pruneRuns`: delete finished runs older than a number of days, with their logs.
public struct PruneRunsParams: RPCParams, Equatable {
    public var olderThanDays: Int64
    public var status: RunStatus?

    public init(olderThanDays: Int64, status: RunStatus? = nil) {
        self.olderThanDays = olderThanDays
        self.status = status
    }

    public init(from r: ParamReader) throws(RPCError) {
        guard let days = try r.int("olderThanDays", in: 0...100_000) else {
            throw .invalidParams(field: "olderThanDays", reason: "required")
        }
        olderThanDays = days
        let finished = RunStatus.allCases.filter(\.isFinished)
        status = try r.oneOf(
            "status", { RunStatus(rawValue: $0).flatMap { $0.isFinished ? $0 : nil } },
            names: finished.map(\.rawValue).joined(separator: ", "))
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("olderThanDays", olderThanDays)
        b.add("status", status?.rawValue)
        return b.object
    }
}

/// `pruneRuns`' result.
public struct PruneRunsResult: RPCResult, Equatable {
    public var deletedRuns: Int64
    public var deletedLogs: Int64

    public init(deletedRuns: Int64, deletedLogs: Int64) {
        self.deletedRuns = deletedRuns
        self.deletedLogs = deletedLogs
    }

    public var json: JSONValue {
        .object(JSONObject([("deletedRuns", .int(deletedRuns)), ("deletedLogs", .int(deletedLogs))]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json)
        deletedRuns = try r.int("deletedRuns")
        deletedLogs = try r.int("deletedLogs")
    }
}
