import GRDB

/// The database's write lock, held from the test (`BEGIN IMMEDIATE` on a connection of its
/// own) until ``release()``: the daemon's writer then blocks on its next transaction.
final class WriteLock {
    private let queue: DatabaseQueue

    init(path: String) throws {
        var configuration = Configuration()
        configuration.allowsUnsafeTransactions = true
        queue = try DatabaseQueue(path: path, configuration: configuration)
        try queue.inDatabase { try $0.execute(sql: "BEGIN IMMEDIATE") }
    }

    func release() throws {
        try queue.inDatabase { try $0.execute(sql: "COMMIT") }
        try queue.close()
    }
}
