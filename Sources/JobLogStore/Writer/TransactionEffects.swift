import JobLogModel
import JobLogRules

/// The run rules' effects inside one transaction: storage goes to the backend's transaction,
/// events to the list told to watchers once the transaction has committed.
struct TransactionEffects<Transaction: StoreTransaction>: RunEffects {
    let tx: Transaction
    var events: [CommittedEvent] = []

    init(_ tx: Transaction) { self.tx = tx }

    func appendLog(run: Int64, stage: String?, level: LogLevel, message: String, context: String, at: Timestamp)
        throws -> Int64
    {
        try tx.appendLog(run: run, stage: stage, level: level, message: message, context: context, at: at)
    }

    func dropOldestLog(run: Int64, level: LogLevel) throws {
        try tx.dropOldestLog(run: run, level: level)
    }

    func beginStage(run: Int64, stage: String, message: String, at: Timestamp, progress: Int64) throws {
        try tx.beginStage(run: run, stage: stage, message: message, at: at, progress: progress)
    }

    func endStage(run: Int64, at: Timestamp, progress: Int64) throws {
        try tx.endStage(run: run, at: at, progress: progress)
    }

    func jobSucceeded(job: String, at: Timestamp) throws {
        try tx.jobSucceeded(job: job, at: at)
    }

    func slowWarning(_ run: RunRecord) throws -> String? {
        try tx.slowWarning(run)
    }

    mutating func emit(_ event: consuming CommittedEvent) {
        events.append(event)
    }
}
