import JobLogJSON

/// The typed result of one method: written by the server, read by clients.
public protocol RPCResult: Sendable {
    /// The result as JSON.
    var json: JSONValue { get }
    /// Reads a result sent by the daemon.
    init(json: JSONValue) throws(ResultDecodingError)
}

/// The `{}` result of job-side writes (`setStage`, `setTotal`, ...).
public struct EmptyResult: RPCResult, Equatable {
    public init() {}
    public init(json: JSONValue) throws(ResultDecodingError) {}
    public var json: JSONValue { .object(JSONObject()) }
}
