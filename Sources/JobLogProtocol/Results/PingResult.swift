import JobLogJSON

/// `ping`'s result.
public struct PingResult: RPCResult, Equatable {
    /// The version of this protocol.
    public static let protocolVersion: Int64 = 2

    public var version: String
    public var protocolVersion: Int64
    /// With `ping {"rejected": true}`: the notifications of this connection that the daemon
    /// refused since the previous such `ping` (nil when not asked; the member is then absent).
    public var rejected: Int64?
    /// The last refused notification's `<method>: <reason>` (nil when none), with `rejected`.
    public var lastRejection: String?

    public init(
        version: String, protocolVersion: Int64 = PingResult.protocolVersion, rejected: Int64? = nil,
        lastRejection: String? = nil
    ) {
        self.version = version
        self.protocolVersion = protocolVersion
        self.rejected = rejected
        self.lastRejection = lastRejection
    }

    public var json: JSONValue {
        var o = JSONObject([("version", .string(version)), ("protocolVersion", .int(protocolVersion))])
        if let rejected {
            o.append("rejected", .int(rejected))
            o.append("lastRejection", .string(orNull: lastRejection))
        }
        return .object(o)
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(json)
        version = try r.string("version")
        protocolVersion = try r.int("protocolVersion")
        rejected = r.optionalInt("rejected")
        lastRejection = r.optionalString("lastRejection")
    }
}
