import JobLogJSON
import JobLogModel

/// `listRuns`: runs, newest first.
public struct ListRunsParams: RPCParams, Equatable {
    public static let maxLimit: Int64 = 1000

    public var jobName: String?
    public var status: RunStatus?
    /// Only runs started by this daemon (`--node-name`).
    public var node: String?
    public var limit: Int64
    public var beforeId: Int64?

    public init(
        jobName: String? = nil, status: RunStatus? = nil, node: String? = nil, limit: Int64 = 50,
        beforeId: Int64? = nil
    ) {
        self.jobName = jobName
        self.status = status
        self.node = node
        self.limit = limit
        self.beforeId = beforeId
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobName = try r.name("jobName", maxBytes: 200)
        status = try r.oneOf("status", RunStatus.init(rawValue:), names: RunStatus.namesList)
        node = try r.name("node", maxBytes: 200, minBytes: 1)
        limit = try r.int("limit", in: 1...Self.maxLimit) ?? 50
        beforeId = try r.id("beforeId")
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobName", jobName)
        b.add("status", status?.rawValue)
        b.add("node", node)
        b.add("limit", limit)
        b.add("beforeId", beforeId.map { String($0) })
        return b.object
    }
}
