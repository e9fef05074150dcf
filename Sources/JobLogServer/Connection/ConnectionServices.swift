import JobLogStore
import Logging

/// What every connection shares: the store and the daemon-wide services.
struct ConnectionServices: Sendable {
    let store: JobLogStore
    let configuration: ServerConfiguration
    let rates: ProgressRates
    let hub: WatchHub
    let pruner: Pruner
    let stats: ServerStats
    let logger: Logger
    var cancels: CancelService? = nil
}
