import JobLogProtocol

/// How a subscription's events are written for its transport.
public enum EventFraming: Sendable {
    /// Socket lines: `{"jsonrpc":"2.0","method":"event","params":{…}}` and a newline.
    case lines
    /// WebSocket text frames (server to client: not masked), each holding one event's `params`
    /// object; the chunk a delivery writes is whole frames, ready for the wire.
    case webSocketText

    /// Appends one event: `head` is the subscription's prefix for this framing (``head(subscription:)``),
    /// `body` the event's shared encoding (``WatchEvent/body(jobRunId:at:kind:)``: the params'
    /// members after the subscription, the params' closing brace and the envelope's).
    func append(head: [UInt8], body: [UInt8], to out: inout [UInt8]) {
        switch self {
        case .lines:
            out += head
            out += body
            out.append(0x0A)
        case .webSocketText:
            // The params object: the head, then the body without the envelope's closing brace.
            let payload = head.count + body.count - 1
            Self.appendTextFrameHeader(length: payload, to: &out)
            out += head
            out += body[..<(body.count - 1)]
        }
    }

    /// What comes before each event's body.
    func head(subscription: String) -> [UInt8] {
        switch self {
        case .lines: WatchEvent.prefix(subscription: subscription)
        case .webSocketText: WatchEvent.paramsHead(subscription: subscription)
        }
    }

    /// A final text frame's header for a payload of `length` bytes (RFC 6455 section 5.2).
    public static func appendTextFrameHeader(length: Int, to out: inout [UInt8]) {
        out.append(0x81)
        if length < 126 {
            out.append(UInt8(length))
        } else if length <= 0xFFFF {
            out.append(126)
            out.append(UInt8(length >> 8))
            out.append(UInt8(length & 0xFF))
        } else {
            out.append(127)
            for shift in stride(from: 56, through: 0, by: -8) { out.append(UInt8((length >> shift) & 0xFF)) }
        }
    }

    /// One text frame holding `payload`.
    public static func textFrame(_ payload: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(payload.count + 10)
        appendTextFrameHeader(length: payload.count, to: &out)
        out += payload
        return out
    }
}
