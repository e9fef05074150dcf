import JobLogJSON

/// `getJobStats`: statistics over the last `last` finished runs of a job.
public struct JobStatsParams: RPCParams, Equatable {
    public static let maxLast: Int64 = 1000

    public var jobName: String
    public var last: Int64

    public init(jobName: String, last: Int64 = 20) {
        self.jobName = jobName
        self.last = last
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobName = try r.requiredString("jobName", maxBytes: 200, minBytes: 1)
        last = try r.int("last", in: 1...Self.maxLast) ?? 20
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobName", jobName)
        b.add("last", last)
        return b.object
    }
}
