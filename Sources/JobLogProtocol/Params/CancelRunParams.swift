import JobLogJSON

/// `cancelRun`: asks a RUNNING run to stop; the daemon escalates to signals after `graceMs`.
public struct CancelRunParams: RPCParams, Equatable {
    public var jobRunId: Int64
    /// Why (at most 1 KiB); stored in the `Cancel requested: <reason>` entry.
    public var reason: String
    /// How long the job has to stop before SIGTERM, then again before SIGKILL.
    public var graceMs: Int64

    /// The default grace: 30 s.
    public static let defaultGraceMs: Int64 = 30_000
    /// The longest grace accepted: one day.
    public static let maxGraceMs: Int64 = 86_400_000

    public init(jobRunId: Int64, reason: String = "", graceMs: Int64 = CancelRunParams.defaultGraceMs) {
        self.jobRunId = jobRunId
        self.reason = reason
        self.graceMs = graceMs
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        reason = try r.string("reason", maxBytes: 1024) ?? ""
        graceMs = try r.int("graceMs", in: 0...Self.maxGraceMs) ?? Self.defaultGraceMs
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", .string(String(jobRunId)))
        b.add("reason", reason)
        b.add("graceMs", graceMs)
        return b.object
    }
}

/// The `cancel` notification the daemon sends to the connections of a run that accept it.
public struct CancelNotification: Sendable, Equatable {
    public var jobRunId: Int64
    public var reason: String
    public var graceMs: Int64

    public init(jobRunId: Int64, reason: String, graceMs: Int64) {
        self.jobRunId = jobRunId
        self.reason = reason
        self.graceMs = graceMs
    }

    /// The notification's method name.
    public static let method = "cancel"

    /// The notification line (without newline).
    public var line: [UInt8] {
        var w = JSONWriter(capacity: 120)
        w.write(
            .object(
                JSONObject([
                    ("jsonrpc", .string("2.0")), ("method", .string(Self.method)),
                    (
                        "params",
                        .object(
                            JSONObject([
                                ("jobRunId", .string(String(jobRunId))), ("reason", .string(reason)),
                                ("graceMs", .int(graceMs)),
                            ]))
                    ),
                ])))
        return w.bytes
    }

    /// Reads the params of a `cancel` notification (client side).
    public init(params: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(params, field: "params")
        jobRunId = try r.id("jobRunId")
        reason = r.optionalString("reason") ?? ""
        graceMs = r.optionalInt("graceMs") ?? CancelRunParams.defaultGraceMs
    }
}
