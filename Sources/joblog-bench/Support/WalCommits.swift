import Foundation

/// The number of transactions committed to a WAL database, read from its wal-index
/// (`-shm`) header: SQLite's `iChange`, a native-endian u32 at offset 8 that every
/// commit increments. Read from outside, without a connection of its own.
enum WalCommits {
    static func count(databasePath: String) -> UInt32? {
        guard let handle = FileHandle(forReadingAtPath: databasePath + "-shm") else { return nil }
        defer { try? handle.close() }
        guard let data = try? handle.read(upToCount: 12), data.count == 12 else { return nil }
        return data.withUnsafeBytes { $0.loadUnaligned(fromByteOffset: 8, as: UInt32.self) }
    }
}
