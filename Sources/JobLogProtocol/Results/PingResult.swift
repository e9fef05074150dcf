import JobLogJSON

/// `ping`'s result.
public struct PingResult: RPCResult, Equatable {
    /// The version of this protocol.
    public static let protocolVersion: Int64 = 1

    public var version: String
    public var protocolVersion: Int64

    public init(version: String, protocolVersion: Int64 = PingResult.protocolVersion) {
        self.version = version
        self.protocolVersion = protocolVersion
    }

    public var json: JSONValue {
        .object(JSONObject([("version", .string(version)), ("protocolVersion", .int(protocolVersion))]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json)
        version = try r.string("version")
        protocolVersion = try r.int("protocolVersion")
    }
}
