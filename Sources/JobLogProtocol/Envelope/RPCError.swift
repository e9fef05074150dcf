import JobLogJSON
import JobLogModel

/// A JSON-RPC error object: one of the codes in `Spec/PROTOCOL.md` section 3.
public struct RPCError: Error, Sendable, Equatable, CustomStringConvertible {
    public var code: Int
    public var message: String
    public var data: JSONValue?

    public init(code: Int, message: String, data: JSONValue? = nil) {
        self.code = code
        self.message = message
        self.data = data
    }

    public var description: String {
        var s = "\(message) (\(code))"
        if let data { s += " \(JSONWriter.string(data))" }
        return s
    }

    /// The error as JSON.
    public var json: JSONValue {
        var o = JSONObject([("code", .int(code)), ("message", .string(message))])
        if let data { o.append("data", data) }
        return .object(o)
    }

    /// Reads an error object.
    public init?(json: JSONValue) {
        guard let o = json.objectValue, let code = o["code"]?.int64Value, let message = o["message"]?.stringValue else {
            return nil
        }
        self.init(code: Int(code), message: message, data: o["data"])
    }

    private static func reason(_ r: String) -> JSONValue { .object(JSONObject([("reason", .string(r))])) }

    public static func parseError(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.parseError, message: "parse error", data: Self.reason(reason))
    }
    public static func invalidRequest(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.invalidRequest, message: "invalid request", data: Self.reason(reason))
    }
    public static func methodNotFound(_ method: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.methodNotFound, message: "method not found",
            data: .object(JSONObject([("method", .string(method))])))
    }
    public static func invalidParams(field: String, reason: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.invalidParams, message: "invalid params",
            data: .object(JSONObject([("field", .string(field)), ("reason", .string(reason))])))
    }
    public static let internalError = RPCError(code: RPCErrorCode.internalError, message: "internal error")
    public static func unknownRun(_ id: Int64) -> RPCError {
        RPCError(
            code: RPCErrorCode.unknownRun, message: "unknown run",
            data: .object(JSONObject([("jobRunId", .string(String(id)))])))
    }
    public static func runFinished(_ id: Int64, status: RunStatus) -> RPCError {
        RPCError(
            code: RPCErrorCode.runFinished, message: "run already finished",
            data: .object(JSONObject([("jobRunId", .string(String(id))), ("status", .string(status.rawValue))])))
    }
    public static func notPermitted(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.notPermitted, message: "not permitted", data: Self.reason(reason))
    }
    public static func lineTooLong(maxLineBytes: Int) -> RPCError {
        RPCError(
            code: RPCErrorCode.lineTooLong, message: "line too long",
            data: .object(JSONObject([("maxLineBytes", .int(maxLineBytes))])))
    }
    public static func storeUnavailable(_ reason: String) -> RPCError {
        RPCError(code: RPCErrorCode.storeUnavailable, message: "store unavailable", data: Self.reason(reason))
    }
    public static func tooManyConnections(_ max: Int) -> RPCError {
        RPCError(
            code: RPCErrorCode.tooManyConnections, message: "too many connections",
            data: .object(JSONObject([("maxConnections", .int(max))])))
    }
    /// One uid holds its share of the connections (`--max-connections-per-uid`).
    public static func tooManyConnectionsForUid(_ uid: UInt32, max: Int) -> RPCError {
        RPCError(
            code: RPCErrorCode.tooManyConnections, message: "too many connections",
            data: .object(JSONObject([("uid", .int(Int64(uid))), ("maxConnectionsPerUid", .int(Int64(max)))])))
    }
    public static let shuttingDown = RPCError(code: RPCErrorCode.shuttingDown, message: "shutting down")
    public static func unknownSubscription(_ id: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.unknownSubscription, message: "unknown subscription",
            data: .object(JSONObject([("subscription", .string(id))])))
    }
    public static func queryTooExpensive(_ reason: String) -> RPCError {
        RPCError(
            code: RPCErrorCode.queryTooExpensive, message: "query too expensive",
            data: .object(
                JSONObject([
                    ("reason", .string(reason)),
                    ("hint", .string("page: a smaller limit, then afterId = the last id received")),
                ])))
    }
    public static func answerTooLarge(maxPendingBytes: Int) -> RPCError {
        RPCError(
            code: RPCErrorCode.answerTooLarge, message: "answer too large",
            data: .object(JSONObject([("maxPendingBytes", .int(maxPendingBytes))])))
    }
}
