import NIOCore

#if canImport(Glibc)
    import Glibc
#endif

/// Who is on the other end of a Unix socket, as the kernel says (SO_PEERCRED):
/// the client cannot choose these values.
public struct PeerCredentials: Sendable, Equatable {
    public var pid: Int32
    public var uid: UInt32
    public var gid: UInt32

    public init(pid: Int32, uid: UInt32, gid: UInt32) {
        self.pid = pid
        self.uid = uid
        self.gid = gid
    }

    /// Glibc's `struct ucred`, which its Swift module does not export.
    struct UCred {
        var pid: Int32 = 0
        var uid: UInt32 = 0
        var gid: UInt32 = 0
    }

    /// Reads the peer's credentials from a connected Unix socket channel.
    static func read(from channel: any Channel) async -> PeerCredentials? {
        #if os(Linux)
            guard let provider = channel as? any SocketOptionProvider else { return nil }
            do {
                let cred: UCred = try await provider.unsafeGetSocketOption(
                    level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED)
                ).get()
                return PeerCredentials(pid: cred.pid, uid: cred.uid, gid: cred.gid)
            } catch {
                return nil
            }
        #else
            return nil
        #endif
    }
}
