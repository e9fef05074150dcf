import Foundation
import GRDB
import GRDBSQLite

/// A time budget for one read: SQLite's progress handler interrupts the statement once the
/// deadline has passed, and the read fails with ``StoreError/tooExpensive(_:)`` instead of
/// holding a reader (and the clients waiting for one) for as long as it likes.
enum ReadBudget {
    /// How many SQLite VM steps between two looks at the clock.
    static let stepsPerCheck: Int32 = 10_000

    /// Runs `body` on `db` with at most `milliseconds` of work; nil runs it without a budget.
    static func run<T>(_ db: Database, milliseconds: Int?, _ body: () throws -> T) throws -> T {
        guard let milliseconds, let connection = db.sqliteConnection else { return try body() }
        let deadline = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
        deadline.initialize(to: DispatchTime.now().uptimeNanoseconds + UInt64(max(0, milliseconds)) * 1_000_000)
        defer {
            sqlite3_progress_handler(connection, 0, nil, nil)
            deadline.deallocate()
        }
        sqlite3_progress_handler(
            connection, stepsPerCheck,
            { context in
                guard let context else { return 0 }
                let limit = context.assumingMemoryBound(to: UInt64.self).pointee
                return DispatchTime.now().uptimeNanoseconds > limit ? 1 : 0
            }, deadline)
        do {
            return try body()
        } catch let error as DatabaseError where error.resultCode == .SQLITE_INTERRUPT {
            throw StoreError.tooExpensive(
                "the read took more than its budget of \(milliseconds) ms; ask for less (a smaller limit) and page with afterId"
            )
        }
    }
}
