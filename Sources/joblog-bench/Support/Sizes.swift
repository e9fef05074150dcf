/// How much each scenario does: the full run, or the quick mode CI uses so the harness cannot rot.
struct Sizes {
    var ingest: Int
    var storm: Int
    var roundTrips: Int
    var storeRuns: Int
    var logsPerRun: Int
    var queries: Int
    var watchIngest: Int
    /// Events in each ingest of the 50-viewer rounds: as many as the ingest figure's, so the
    /// viewers' first second (a paced subscription's burst) does not stand for sustained ingest.
    var viewersIngest: Int
    var watcherCounts: [Int]
    var clientCalls: Int
    var idleConnections: Int
    var baselineRows: Int
    var directRows: Int

    static let full = Sizes(
        ingest: 1_000_000, storm: 1_000_000, roundTrips: 20_000, storeRuns: 10_000, logsPerRun: 1000, queries: 2000,
        watchIngest: 300_000, viewersIngest: 1_000_000, watcherCounts: [0, 10, 100], clientCalls: 200_000,
        idleConnections: 1000,
        baselineRows: 1_000_000, directRows: 50_000)

    static let quick = Sizes(
        ingest: 5000, storm: 20_000, roundTrips: 200, storeRuns: 20, logsPerRun: 200, queries: 50,
        watchIngest: 2000, viewersIngest: 2000, watcherCounts: [0, 10], clientCalls: 2000, idleConnections: 50,
        baselineRows: 5000, directRows: 1000)
}
