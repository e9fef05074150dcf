import Dispatch

/// Hands each commit's events from the writer thread to one fan-out thread, in commit order, so
/// the writer (the thread ingest waits on) does not wrap, filter and queue events for watchers
/// itself. At most `bound` commits wait: past that the writer waits for the fan-out, so a fan-out
/// that cannot keep up slows commits and never grows.
final class FanOut: Sendable {
    private let queue = DispatchQueue(label: "joblogd.watch-fan-out")
    private let slots: DispatchSemaphore

    init(bound: Int = 64) { slots = DispatchSemaphore(value: bound) }

    func send(_ work: @escaping @Sendable () -> Void) {
        slots.wait()
        let slots = self.slots
        queue.async {
            work()
            slots.signal()
        }
    }
}
