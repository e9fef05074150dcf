import JobLogJSON
import JobLogProtocol

#if canImport(Glibc)
    import Glibc
#endif

/// The `hello` exchange at the start of every connection (protocol version 2): says which
/// session this client is and the number of its oldest kept message; the daemon answers how
/// many of the session's messages it has applied.
enum SessionHello {
    enum Answer: Equatable {
        /// The session's committed count: the connection's next message is number `applied + 1`.
        case applied(Int64)
        /// A version 1 daemon (`method not found`): no session, messages are resent at least once.
        case unsupported
        /// The store cannot take writes now (`-32005`): retry later.
        case unavailable(String)
        /// The connection broke or the answer did not come in time.
        case failed(String)
    }

    /// Sends `hello` on the non-blocking socket `fd` and waits until `deadline` for its answer.
    /// `rest` receives any bytes read after the answer's line.
    static func exchange(
        _ fd: Int32, session: String, firstSeq: Int64, deadline: ContinuousClock.Instant, rest: inout [UInt8]
    ) -> Answer {
        let line = RPCRequest(
            .hello, HelloParams(session: session, firstSeq: firstSeq, acceptsCancel: true), id: .string("hello")
        ).line
        var written = 0
        while written < line.count {
            let n = line.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + written, line.count - written, Int32(MSG_NOSIGNAL))
            }
            if n > 0 {
                written += n
            } else if n < 0, errno == EAGAIN || errno == EWOULDBLOCK {
                guard wait(fd, Int16(POLLOUT), until: deadline) else { return .failed("hello not sent in time") }
            } else {
                return .failed("connection closed")
            }
        }
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            if let newline = buffer.firstIndex(of: 0x0A) {
                rest = Array(buffer[(newline + 1)...])
                return answer(Array(buffer[..<newline]))
            }
            guard wait(fd, Int16(POLLIN), until: deadline) else { return .failed("no answer to hello in time") }
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                buffer.append(contentsOf: chunk[..<n])
            } else if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR) {
                return .failed("connection closed")
            }
        }
    }

    static func answer(_ line: [UInt8]) -> Answer {
        guard case .response(_, let result)? = try? ServerMessage.decode(line: line) else {
            return .failed("unexpected answer to hello")
        }
        switch result {
        case .success(let json):
            guard let r = try? HelloResult(json: json) else { return .failed("unexpected answer to hello") }
            return .applied(r.applied)
        case .failure(let e) where e.code == RPCErrorCode.methodNotFound:
            return .unsupported
        case .failure(let e) where e.code == RPCErrorCode.storeUnavailable:
            return .unavailable(e.description)
        case .failure(let e):
            return .failed(e.description)
        }
    }

    private static func wait(_ fd: Int32, _ events: Int16, until deadline: ContinuousClock.Instant) -> Bool {
        let left = ContinuousClock.now.duration(to: deadline).components
        let ms = Int32(clamping: max(0, left.seconds * 1000 + left.attoseconds / 1_000_000_000_000_000))
        var p = pollfd(fd: fd, events: events, revents: 0)
        return poll(&p, 1, ms) > 0 && p.revents & (events | Int16(POLLHUP) | Int16(POLLERR)) != 0
    }
}
