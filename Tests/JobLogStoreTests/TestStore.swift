import Foundation
import Logging

@testable import JobLogStore

/// A store on a new database in a fresh temporary directory, committing within 5 ms; the
/// caller closes the store and removes the directory (the second value).
func makeTestStore(_ configure: (inout StoreConfiguration) -> Void = { _ in }) throws -> (JobLogStore, String) {
    let dir = FileManager.default.temporaryDirectory.path + "/store-test-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    var config = StoreConfiguration(path: dir + "/db.sqlite")
    config.flushIntervalMs = 5
    configure(&config)
    return (try JobLogStore(configuration: config, logger: Logger(label: "test")), dir)
}
