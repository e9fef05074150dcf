import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A daemon under test with its HTTP service on a free loopback port: its port and token.
enum WebDaemon {
    static func start(binary: String, arguments: [String] = []) throws -> (
        daemon: DaemonUnderTest, port: Int, token: String
    ) {
        let scratch = NSTemporaryDirectory() + "joblog-bench-http-" + UUID().uuidString.prefix(6)
        try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: scratch) }
        let daemon = try DaemonUnderTest(
            binary: binary,
            arguments: [
                "--http", "127.0.0.1:0", "--http-port-file", scratch + "/port", "--http-token-file", scratch + "/token",
            ] + arguments)
        do {
            let port = try waitForPort(scratch + "/port")
            let token = try String(contentsOfFile: scratch + "/token", encoding: .utf8).trimmingCharacters(
                in: .whitespacesAndNewlines)
            return (daemon, port, token)
        } catch {
            daemon.stop()
            throw error
        }
    }

    static func waitForPort(_ path: String) throws -> Int {
        let t0 = now()
        while now() - t0 < 30 {
            if let text = try? String(contentsOfFile: path, encoding: .utf8),
                let port = Int(text.trimmingCharacters(in: .whitespacesAndNewlines))
            {
                return port
            }
            usleep(10_000)
        }
        throw BenchError("the daemon wrote no HTTP port within 30 s")
    }
}
