import Foundation
import GRDB
import JobLogModel
import Logging

/// The embedded store: one SQLite database in WAL mode, written through one connection of the
/// writer thread, read through GRDB's reader pool (and one reader kept for short reads).
///
/// The write connection is dropped after a failed transaction and reopened for the next one: a
/// connection that SQLite opened read-only (the file was not writable then) would otherwise refuse
/// every write after the file became writable.
public final class SQLiteBackend: StoreBackend, @unchecked Sendable {
    let pool: DatabasePool
    /// One reader kept for short reads (a run, a page of runs, the liveness reaper's list), so
    /// long reads on the pool never make them wait.
    let shortReader: DatabaseQueue
    let configuration: StoreConfiguration
    let fileGuard: DatabaseFileGuard
    private let connectionConfiguration: Configuration

    // The writer thread's own (see ``transaction(_:)``).
    private var connection: DatabaseQueue?
    private var open: SQLiteTransaction?
    private var checkpointedAfterLoss = false

    /// Opens (creating if needed) and migrates the database.
    public init(configuration: StoreConfiguration, logger: Logger) throws {
        self.configuration = configuration
        var config = Configuration()
        config.busyMode = .timeout(5)
        config.maximumReaderCount = 4
        let syncFull = configuration.syncFull
        config.prepareDatabase { db in
            try db.execute(sql: syncFull ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
            try db.execute(sql: "PRAGMA journal_size_limit = 67108864")
            // Checkpoint the WAL every ~16 MB instead of every 4 MB: fewer stalls of the writer.
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 4000")
        }
        connectionConfiguration = config
        let directory = (configuration.path as NSString).deletingLastPathComponent
        if !directory.isEmpty {
            try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            // A new file gets incremental auto-vacuum (so pruning can return space) before WAL mode
            // is switched on: SQLite fixes auto_vacuum when the first table is created.
            let size = (try? FileManager.default.attributesOfItem(atPath: configuration.path)[.size] as? Int) ?? nil
            if size == nil || size == 0 {
                let queue = try DatabaseQueue(path: configuration.path)
                try queue.writeWithoutTransaction { db in
                    try db.execute(sql: "PRAGMA auto_vacuum = INCREMENTAL")
                    try db.execute(sql: "VACUUM")
                }
                try queue.close()
            }
            var readOnly = false
            do {
                pool = try DatabasePool(path: configuration.path, configuration: config)
            } catch let error as DatabaseError where error.resultCode == .SQLITE_READONLY {
                // The file cannot be written now: serve reads; writes are refused until it can.
                var readOnlyConfig = config
                readOnlyConfig.readonly = true
                pool = try DatabasePool(path: configuration.path, configuration: readOnlyConfig)
                readOnly = true
            }
            let migrator = Migrations.migrator
            if try pool.read({ try migrator.hasBeenSuperseded($0) }) {
                throw StoreError.incompatible(
                    "the database \(configuration.path) was written by a newer joblogd; refusing to use it")
            }
            if readOnly {
                guard try pool.read({ try migrator.hasCompletedMigrations($0) }) else {
                    throw StoreError.incompatible(
                        "the database \(configuration.path) is read-only and its schema needs an update")
                }
                logger.warning(
                    "the database is read-only: serving reads, refusing writes until it is writable",
                    metadata: ["db": "\(configuration.path)"])
            } else {
                try migrator.migrate(pool)
            }
        } catch let error as StoreError {
            throw error
        } catch {
            throw StoreError.incompatible("cannot open the database \(configuration.path): \(error)")
        }
        fileGuard = DatabaseFileGuard(path: configuration.path)
        do {
            var shortConfig = config
            shortConfig.readonly = true
            shortReader = try DatabaseQueue(path: configuration.path, configuration: shortConfig)
        } catch {
            throw StoreError.incompatible("cannot open the database \(configuration.path): \(error)")
        }
    }

    // MARK: - Writes

    public func transaction(_ body: (SQLiteTransaction) throws -> Void) throws {
        do {
            try writeConnection().writeWithoutTransaction { db in
                let tx = try open ?? SQLiteTransaction(db)
                open = tx
                try db.cachedStatement(sql: "BEGIN IMMEDIATE").execute()
                do {
                    try body(tx)
                    try db.cachedStatement(sql: "COMMIT").execute()
                } catch {
                    try? db.execute(sql: "ROLLBACK")
                    throw error
                }
            }
        } catch {
            // Reopened for the next transaction (see the type's documentation).
            open = nil
            connection = nil
            throw error
        }
    }

    public func failureReason(_ error: any Error) -> String {
        if let e = error as? DatabaseError {
            switch e.resultCode {
            case .SQLITE_FULL: return "disk full"
            case .SQLITE_READONLY: return "database is read-only"
            case .SQLITE_BUSY, .SQLITE_LOCKED: return "database is locked"
            case .SQLITE_IOERR: return "I/O error"
            default: return e.message ?? "\(e.resultCode)"
            }
        }
        if case .unavailable(let why)? = error as? StoreError { return why }
        if let e = error as? StoreError { return e.description }
        return "\(error)"
    }

    public func verifyLocation() -> String? { fileGuard.verify() }

    public func writerStopped() {
        open = nil
        connection = nil
    }

    /// The write connection, opened when there is none. Never creates the file: a database
    /// removed under the daemon is an error, not a new empty file.
    private func writeConnection() throws -> DatabaseQueue {
        if let lost = fileGuard.lostReason {
            // Move what the WAL holds into the file that was opened and empty it, so that no later
            // open of the path (a new file put there) replays our frames onto another database.
            if let connection, !checkpointedAfterLoss {
                checkpointedAfterLoss = true
                try? connection.writeWithoutTransaction { try $0.execute(sql: "PRAGMA wal_checkpoint(TRUNCATE)") }
            }
            throw StoreError.unavailable(lost)
        }
        if let connection { return connection }
        let path = configuration.path
        var st = stat()
        if stat(path, &st) != 0 {
            let code = errno
            if code == ENOENT { throw StoreError.unavailable("the database file \(path) is gone") }
            throw StoreError.unavailable("cannot reach the database file \(path): \(String(cString: strerror(code)))")
        }
        let opened = try DatabaseQueue(path: path, configuration: connectionConfiguration)
        connection = opened
        return opened
    }
}
