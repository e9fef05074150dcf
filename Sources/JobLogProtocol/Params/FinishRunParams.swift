import JobLogJSON
import JobLogModel

/// `finishRun`: ends the run with a final status.
public struct FinishRunParams: RPCParams, Equatable {
    public var jobRunId: Int64
    public var status: RunStatus
    public var errorMessage: String?
    public var errorStack: String?

    public init(jobRunId: Int64, status: RunStatus, errorMessage: String? = nil, errorStack: String? = nil) {
        self.jobRunId = jobRunId
        self.status = status
        self.errorMessage = errorMessage
        self.errorStack = errorStack
    }

    public init(from r: ParamReader) throws(RPCError) {
        jobRunId = try r.requiredID("jobRunId")
        let names = RunStatus.finishable.map(\.rawValue).joined(separator: ", ")
        let parsed = try r.oneOf(
            "status", { RunStatus(rawValue: $0).flatMap { RunStatus.finishable.contains($0) ? $0 : nil } },
            names: names)
        guard let parsed else { throw .invalidParams(field: "status", reason: "required") }
        status = parsed
        switch r.object["error"] {
        case nil, .null?: break
        case .string(let s)?:
            guard s.utf8.count <= LogParams.maxMessageBytes else {
                throw .invalidParams(field: "error", reason: "too long")
            }
            errorMessage = s
        case let value?:
            guard let o = value.objectValue, case .string(let m)? = o["message"] else {
                throw .invalidParams(field: "error", reason: "must be a string or {message, stack}")
            }
            errorMessage = m
            if case .string(let st)? = o["stack"] { errorStack = st }
            let size = m.utf8.count + (errorStack?.utf8.count ?? 0)
            guard size <= LogParams.maxMessageBytes else { throw .invalidParams(field: "error", reason: "too long") }
        }
    }

    public var json: JSONObject {
        var b = ParamsBuilder()
        b.add("jobRunId", String(jobRunId))
        b.add("status", status.rawValue)
        if let errorMessage {
            if let errorStack {
                b.add(
                    "error",
                    JSONValue.object(JSONObject([("message", .string(errorMessage)), ("stack", .string(errorStack))])))
            } else {
                b.add("error", errorMessage)
            }
        }
        return b.object
    }
}
