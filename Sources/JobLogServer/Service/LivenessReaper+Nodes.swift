import JobLogModel
import JobLogRules
import JobLogStore

/// The reaper's part in a fleet: this node's lease, and the runs of nodes whose lease expired.
extension LivenessReaper {
    /// `--node-lease-ms` by default: 30 s.
    public static let defaultNodeLeaseMs: Int64 = 30_000
    /// How often the node's lease is renewed (whatever the reaper's own interval).
    static let leaseRenewal: Duration = .seconds(1)

    /// Renews the lease every second until cancelled; a failure (database unreachable) is logged
    /// once until a renewal succeeds again.
    func renewLeases() async {
        var failing = false
        while !Task.isCancelled {
            do {
                try await store.renewLease()
                if failing { logger.notice("node lease renewed again") }
                failing = false
            } catch {
                if !failing { logger.warning("cannot renew the node lease", metadata: ["error": "\(error)"]) }
                failing = true
            }
            try? await Task.sleep(for: Self.leaseRenewal)
        }
    }

    /// Abandons the RUNNING runs of the other nodes whose lease is older than ``nodeLeaseMs``,
    /// with the entry `Node <name> stopped reporting at <time>`, through the normal abandon write.
    /// Exactly once across the fleet: the store hands each expired node to one daemon at a time,
    /// and a run another daemon already abandoned is finished (the second abandon is refused).
    func reapExpiredNodes() async {
        do {
            _ = try await store.reapExpiredNodes(leaseMs: nodeLeaseMs) { node in
                let reason = AbandonReason.nodeStopped(node.name, at: node.heartbeatAt)
                var applied = 0
                var start = node.runs.startIndex
                while start < node.runs.endIndex {
                    let end = min(start + Self.abandonGroup, node.runs.endIndex)
                    applied += await abandon(node.runs[start..<end].map { (run: $0, reason: reason) }[...]).count
                    start = end
                }
                logger.notice(
                    "node lease expired: its runs abandoned",
                    metadata: [
                        "node": "\(node.name)", "lastHeartbeat": "\(node.heartbeatAt.iso8601)",
                        "runs": "\(applied)", "leaseMs": "\(nodeLeaseMs)",
                    ])
            }
        } catch {
            logger.debug("cannot check the other nodes' leases", metadata: ["error": "\(error)"])
        }
    }
}
