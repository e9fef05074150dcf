import Foundation
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Notices when the database file is deleted or replaced while the daemon has it open.
///
/// SQLite keeps writing to the open (now nameless) file, so every later write would be
/// acknowledged and lost at the next start; a file put in its place would receive the old
/// WAL at the next start. Once the path no longer names the file that was opened, the
/// writer refuses every write with the cause until the daemon is restarted.
final class DatabaseFileGuard: Sendable {
    private struct Identity: Equatable {
        var device: UInt64
        var inode: UInt64
    }

    let path: String
    private let opened: Identity?
    private let lost = Mutex<String?>(nil)

    init(path: String) {
        self.path = path
        opened = Self.identity(path)
    }

    /// Why writes are refused, or nil while the file is the one that was opened.
    var lostReason: String? { lost.withLock { $0 } }

    /// Compares the path with the opened file; returns the reason when it changed just now.
    func verify() -> String? {
        guard let opened, lostReason == nil else { return nil }
        var st = stat()
        let reason: String
        if stat(path, &st) != 0 {
            let code = errno
            // A permission problem on the directory is not a deleted file: writes report it themselves.
            guard code == ENOENT || code == ENOTDIR else { return nil }
            reason =
                "the database file \(path) was deleted while joblogd ran; writes are refused: "
                + "restart joblogd to start a new store (or restore the file)"
        } else if Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) != opened {
            reason =
                "the database file \(path) was replaced by another file while joblogd ran; writes are refused: "
                + "restart joblogd to open the new file"
        } else {
            return nil
        }
        lost.withLock { $0 = reason }
        return reason
    }

    private static func identity(_ path: String) -> Identity? {
        var st = stat()
        guard stat(path, &st) == 0 else { return nil }
        return Identity(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
    }
}
