import JobLogModel
import JobLogStore
import Synchronization

/// The usual duration of each RUNNING run's job, as the slow check of the reaper's pass reads it,
/// kept between passes: a job's usual duration moves only when one of its runs finishes. A value
/// is read again after a run of that job finished here, after ``maxAge`` (runs finished through
/// another node of a fleet), and forgotten once no run of the job is RUNNING. Without it the pass
/// would read the store once per job every second, a query each on PostgreSQL.
final class UsualDurations: Sendable {
    private struct Entry {
        /// The median, or nil when the job has too little history to have one.
        var median: Int64?
        var readAt: ContinuousClock.Instant
    }

    /// How long a value is kept at most.
    static let maxAge: Duration = .seconds(60)
    private let entries = Mutex<[String: Entry]>([:])

    init() {}

    /// The kept value for `job`: `.some(median)` (the median may be nil: no history), or nil when
    /// it must be read.
    func kept(job: String) -> Int64?? {
        entries.withLock { all in
            guard let entry = all[job], ContinuousClock.now - entry.readAt < Self.maxAge else { return nil }
            return .some(entry.median)
        }
    }

    func keep(job: String, median: Int64?) {
        entries.withLock { $0[job] = Entry(median: median, readAt: .now) }
    }

    /// Forgets every job that has no RUNNING run (called once per pass).
    func retain(_ jobs: Set<String>) {
        entries.withLock { all in all = all.filter { jobs.contains($0.key) } }
    }

    /// Called after each commit (writer thread): a finished run changes its job's usual duration.
    func record(_ events: [CommittedEvent]) {
        var jobs: Set<String> = []
        for event in events {
            if case .finished = event.kind { jobs.insert(event.jobName) }
        }
        guard !jobs.isEmpty else { return }
        entries.withLock { all in
            for job in jobs { all[job] = nil }
        }
    }
}
