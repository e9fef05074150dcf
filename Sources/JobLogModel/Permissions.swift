#if canImport(Glibc)
    import Glibc
#endif

/// The daemon's one permission policy, built once from its configuration and shared by the
/// store (who may write to a run) and the server (who may prune, who may cancel any run).
///
/// - A run's writes: its owner (the uid that started it), and the trusted uids.
/// - Destructive admin methods (`pruneRuns`, `cancelRun` of another user's run): the trusted
///   uids and members of the admin group.
public struct Permissions: Sendable, Equatable {
    /// Users who may write to any run and administer the daemon: root and the daemon's own user.
    public var trustedUids: Set<UInt32>
    /// Members of this group may administer the daemon (`--admin-group`).
    public var adminGroup: UInt32?

    public init(trustedUids: Set<UInt32>, adminGroup: UInt32? = nil) {
        self.trustedUids = trustedUids
        self.adminGroup = adminGroup
    }

    /// The default policy: root and the user the daemon runs as are trusted.
    public static func standard(adminGroup: UInt32? = nil) -> Permissions {
        Permissions(trustedUids: [0, getuid()], adminGroup: adminGroup)
    }

    /// Whether `caller` may write to a run owned by `owner` (nil: a caller or run with no
    /// recorded user, such as a write the daemon makes itself).
    @inline(__always)
    public func mayWrite(owner: Int64?, caller: UInt32?) -> Bool {
        // The owner's own writes (the usual case) first: no hashing of the trusted set.
        guard let caller, let owner, owner != Int64(caller) else { return true }
        return trustedUids.contains(caller)
    }

    /// Whether the user `uid` (primary group `gid`) may run destructive admin methods.
    public func mayAdminister(uid: UInt32, gid: UInt32) -> Bool {
        if trustedUids.contains(uid) { return true }
        guard let adminGroup else { return false }
        if gid == adminGroup { return true }
        return Self.isMember(uid: uid, of: adminGroup)
    }

    /// The gid of a group name (or a numeric gid).
    public static func groupID(_ name: String) -> UInt32? {
        if let gid = UInt32(name) { return gid }
        guard let group = getgrnam(name) else { return nil }
        return group.pointee.gr_gid
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
