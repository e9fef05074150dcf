import JobLogModel

extension Permissions {
    /// Whether the peer of a connection may run destructive admin methods (no peer: no).
    func mayAdminister(_ peer: PeerCredentials?) -> Bool {
        guard let peer else { return false }
        return mayAdminister(uid: peer.uid, gid: peer.gid)
    }
}
