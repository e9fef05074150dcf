import JobLogProtocol

/// Joins batch members through the protocol module.
enum RPCResponseBatch {
    static func join(_ members: [[UInt8]]) -> [UInt8] { RPCResponse.batch(members) }
}
