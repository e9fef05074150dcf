import Foundation
import JobLogTestSupport
import Testing

/// `--node-lease-ms` is checked before anything starts (no PostgreSQL needed).
struct FleetLeaseFlagTests {
    /// The lease is a limit: shorter than 3 heartbeats (or longer than a day) is a usage error.
    @Test(arguments: ["2999", "86400001", "0"])
    func aLeaseOutOfRangeIsAUsageError(_ value: String) throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.binary)
        let dir = FileManager.default.temporaryDirectory.path + "/fleet-lease-" + UUID().uuidString.prefix(8)
        p.arguments = ["--socket", dir + "/sock", "--db", dir + "/db.sqlite", "--node-lease-ms", value]
        let errors = Pipe()
        p.standardError = errors
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        let text = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus == 64)
        #expect(text.contains("--node-lease-ms must be between 3000 and 86400000 (got \(value))"), "\(text)")
    }
}
