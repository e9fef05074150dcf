import CoreMetrics
import JobLogModel
import JobLogServer
import JobLogStore
import Prometheus
import Synchronization

/// The daemon's figures for `/metrics`, recorded through swift-metrics into a private
/// Prometheus registry (no global bootstrap: the daemon's own registry, nothing else's).
///
/// Daemon health: connections, watchers, write queue depth (sampled at scrape), messages by method, commit
/// latency, store errors, lagged events (counted as they happen). Job figures from each
/// commit, on the writer thread (a few counter updates): runs started by job name, finished
/// by job name and status, run duration by job name; and at scrape, the progress ratio of running runs.
/// Job names past the 1,000th distinct one are folded into `other`.
final class DaemonMetrics: ServerStatsSink, Sendable {
    let registry = PrometheusCollectorRegistry()
    private let factory: PrometheusMetricsFactory
    private let folder: JobNameFolder
    private let server: JobLogServer
    private let store: JobLogStore
    private let commitLatency: CoreMetrics.Timer
    private let storeErrors: CoreMetrics.Counter
    private let laggedEvents: CoreMetrics.Counter
    private let connections: CoreMetrics.Gauge
    private let watchers: CoreMetrics.Gauge
    private let queueDepth: CoreMetrics.Gauge
    /// Start times of the runs seen starting (bounded by the runs running at once).
    private let starts = Mutex<[Int64: Timestamp]>([:])
    /// Progress gauges of running runs, by run id (at most ``maxProgressGauges``).
    private let progressGauges = Mutex<[Int64: Prometheus.Gauge]>([:])
    static let maxProgressGauges = 200
    /// One counter per method name (a bounded set: the protocol's methods and `unknown`).
    private let messageCounters = Mutex<[String: CoreMetrics.Counter]>([:])

    init(server: JobLogServer, store: JobLogStore, jobNameLimit: Int = 1000) {
        self.server = server
        self.store = store
        folder = JobNameFolder(limit: jobNameLimit)
        var factory = PrometheusMetricsFactory(registry: registry)
        factory.durationHistogramBuckets = [
            "joblogd_commit_latency_seconds": [
                .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .seconds(1),
            ],
            "joblogd_run_duration_seconds": [
                .seconds(1), .seconds(5), .seconds(15), .seconds(60), .seconds(300), .seconds(900), .seconds(3600),
                .seconds(4 * 3600), .seconds(24 * 3600),
            ],
        ]
        self.factory = factory
        commitLatency = CoreMetrics.Timer(label: "joblogd_commit_latency_seconds", factory: factory)
        storeErrors = CoreMetrics.Counter(label: "joblogd_store_errors_total", factory: factory)
        laggedEvents = CoreMetrics.Counter(label: "joblogd_lagged_events_total", factory: factory)
        connections = CoreMetrics.Gauge(label: "joblogd_connections", factory: factory)
        watchers = CoreMetrics.Gauge(label: "joblogd_watchers", factory: factory)
        queueDepth = CoreMetrics.Gauge(label: "joblogd_write_queue_depth", factory: factory)
    }

    /// Starts recording: the server's events and the store's commits.
    func install() {
        server.stats.install(self)
        store.onCommit { [weak self] events in self?.record(events) }
    }

    // MARK: - ServerStatsSink

    func message(_ method: String, count: Int) {
        let counter = messageCounters.withLock { counters in
            if let c = counters[method] { return c }
            let c = CoreMetrics.Counter(
                label: "joblogd_messages_total", dimensions: [("method", method)], factory: factory)
            counters[method] = c
            return c
        }
        counter.increment(by: Int64(count))
    }

    func committed(after latency: Duration) { commitLatency.recordNanoseconds(latency.nanoseconds) }

    func storeError() { storeErrors.increment() }

    func lagged(_ dropped: Int64) { laggedEvents.increment(by: dropped) }

    // MARK: - Jobs

    private func record(_ events: [CommittedEvent]) {
        for event in events {
            switch event.kind {
            case .started:
                starts.withLock { $0[event.runID] = event.at }
                CoreMetrics.Counter(
                    label: "joblogd_runs_started_total", dimensions: [("job", folder.label(event.jobName))],
                    factory: factory
                ).increment()
            case .finished(let status):
                let job = folder.label(event.jobName)
                CoreMetrics.Counter(
                    label: "joblogd_runs_finished_total", dimensions: [("job", job), ("status", status.rawValue)],
                    factory: factory
                ).increment()
                if let start = starts.withLock({ $0.removeValue(forKey: event.runID) }) {
                    let ms = max(0, event.at.milliseconds - start.milliseconds)
                    CoreMetrics.Timer(
                        label: "joblogd_run_duration_seconds", dimensions: [("job", job)], factory: factory
                    )
                    .recordMilliseconds(ms)
                }
            default: break
            }
        }
    }

    // MARK: - Scrape

    /// The text exposition, after sampling the gauges.
    func scrape() async -> [UInt8] {
        connections.record(server.connectionCount)
        watchers.record(server.watcherCount)
        queueDepth.record(store.queuedWrites)
        await sampleProgress()
        var out: [UInt8] = []
        registry.emit(into: &out)
        return out
    }

    /// `joblogd_run_progress_ratio{job,run}` for running runs with a total (the newest 200).
    private func sampleProgress() async {
        guard
            let running = try? await store.listRuns(
                jobName: nil, status: .running, limit: Self.maxProgressGauges, beforeId: nil)
        else { return }
        var seen = Set<Int64>()
        for run in running {
            guard let total = run.progressTotal, total > 0 else { continue }
            seen.insert(run.id)
            let gauge = progressGauges.withLock { gauges in
                if let g = gauges[run.id] { return g }
                let g = registry.makeGauge(
                    descriptor: MetricNameDescriptor(
                        namespace: "joblogd", metricName: "run_progress", unitName: "ratio",
                        helpText: "Progress of a running run, current / total"),
                    labels: [("job", folder.label(run.jobName)), ("run", String(run.id))])
                gauges[run.id] = g
                return g
            }
            gauge.set(min(1, Double(run.progressCurrent) / Double(total)))
        }
        let gone = progressGauges.withLock { gauges -> [Prometheus.Gauge] in
            let ids = gauges.keys.filter { !seen.contains($0) }
            return ids.compactMap { gauges.removeValue(forKey: $0) }
        }
        for g in gone { registry.unregisterGauge(g) }
    }
}

extension Duration {
    fileprivate var nanoseconds: Int64 {
        let (s, atto) = components
        return s * 1_000_000_000 + atto / 1_000_000_000
    }
}
