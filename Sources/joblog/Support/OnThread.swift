import Foundation

/// Runs a blocking function (`waitpid`, `read`) on a thread of its own, so that it
/// never holds one of Swift's few cooperative threads.
func onThread<T: Sendable>(_ name: String, _ body: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        let thread = Thread { continuation.resume(returning: body()) }
        thread.name = name
        thread.start()
    }
}
