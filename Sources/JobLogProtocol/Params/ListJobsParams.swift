import JobLogJSON

/// `listJobs`: job names, the most recently started first.
public struct ListJobsParams: RPCParams, Equatable {
    public static let maxLimit: Int64 = 1000

    /// Only names that start with it.
    public var jobName: String?
    public var limit: Int64

    public init(jobName: String? = nil, limit: Int64 = 100) {
        self.jobName = jobName
        self.limit = limit
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobName = try r.string("jobName", maxBytes: 200)
        limit = try r.int("limit", in: 1...Self.maxLimit) ?? 100
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobName", jobName)
        b.add("limit", limit)
        return b.object
    }
}
