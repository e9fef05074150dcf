import JobLogJSON
import JobLogModel

/// `listRuns`: runs, newest first.
public struct ListRunsParams: RPCParams, Equatable {
    public static let maxLimit: Int64 = 1000

    public var jobName: String?
    public var status: RunStatus?
    public var limit: Int64
    public var beforeId: Int64?

    public init(jobName: String? = nil, status: RunStatus? = nil, limit: Int64 = 50, beforeId: Int64? = nil) {
        self.jobName = jobName
        self.status = status
        self.limit = limit
        self.beforeId = beforeId
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobName = try r.name("jobName", maxBytes: 200)
        status = try r.oneOf("status", RunStatus.init(rawValue:), names: RunStatus.namesList)
        limit = try r.int("limit", in: 1...Self.maxLimit) ?? 50
        beforeId = try r.id("beforeId")
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobName", jobName)
        b.add("status", status?.rawValue)
        b.add("limit", limit)
        b.add("beforeId", beforeId.map { String($0) })
        return b.object
    }
}
