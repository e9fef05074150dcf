import Foundation
import JobLogStore
import Logging

@testable import JobLogServer

/// Runs `body` with a real SQLite store in a new temporary directory (also given, for sockets),
/// and closes and removes both after it.
func withTemporaryStore<T>(_ name: String, _ body: (JobLogStore, URL) async throws -> T) async throws -> T {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("\(name)-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: dir) }
    let store = try JobLogStore(
        configuration: StoreConfiguration(path: dir.appendingPathComponent("db").path), logger: Logger(label: "test"))
    defer { store.close() }
    return try await body(store, dir)
}

extension RequestContext {
    /// What a connection of `peer` would get, without watches.
    static func test(_ store: JobLogStore, peer: PeerCredentials) -> RequestContext {
        RequestContext(
            store: store, peer: peer, version: "test", logger: Logger(label: "test"), rates: ProgressRates(),
            connectionID: 1, watches: nil, pruner: Pruner(store: store, logger: Logger(label: "test")),
            permissions: store.permissions)
    }
}
