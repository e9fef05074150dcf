#if canImport(Glibc)
    import Glibc
#endif

/// Who may run destructive admin methods: root, the daemon's own user, and members of `--admin-group`.
/// (Writes to a run are checked by the store: only its owner, root or the daemon's user.)
public struct Permissions: Sendable {
    public var trustedUids: Set<UInt32>
    public var adminGroup: UInt32?

    public init(trustedUids: Set<UInt32>, adminGroup: UInt32? = nil) {
        self.trustedUids = trustedUids
        self.adminGroup = adminGroup
    }

    /// The gid of a group name (or a numeric gid).
    public static func groupID(_ name: String) -> UInt32? {
        if let gid = UInt32(name) { return gid }
        guard let group = getgrnam(name) else { return nil }
        return group.pointee.gr_gid
    }

    func mayAdminister(_ peer: PeerCredentials?) -> Bool {
        guard let peer else { return false }
        if trustedUids.contains(peer.uid) { return true }
        guard let adminGroup else { return false }
        if peer.gid == adminGroup { return true }
        return Self.isMember(uid: peer.uid, of: adminGroup)
    }

    /// Supplementary membership, from the group database.
    static func isMember(uid: UInt32, of gid: UInt32) -> Bool {
        guard let user = getpwuid(uid), let name = user.pointee.pw_name else { return false }
        if user.pointee.pw_gid == gid { return true }
        guard let group = getgrgid(gid), var member = group.pointee.gr_mem else { return false }
        while let m = member.pointee {
            if strcmp(m, name) == 0 { return true }
            member += 1
        }
        return false
    }
}
