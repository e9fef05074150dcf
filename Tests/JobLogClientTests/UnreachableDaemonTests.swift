import Foundation
import JobLogClient
import JobLogProtocol
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 19 #14: without a daemon a request fails within 0.2 s, saying why, in the
/// wording every client shares: `daemon unreachable at <socket> (<reason>)`.
@Suite struct UnreachableDaemonTests {
    static func path(_ name: String) -> String {
        FileManager.default.temporaryDirectory.path
            + "/joblog-client-\(name)-\(getpid())-\(UUID().uuidString.prefix(6))"
    }

    /// A Unix socket file nobody listens on.
    static func deadSocket() throws -> String {
        let path = Self.path("dead") + ".sock"
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in path.utf8.enumerated() { raw[i] = b }
        }
        let rc = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        close(fd)
        guard rc == 0 else { throw CancellationError() }
        return path
    }

    /// Timed in a process of its own (this one's cooperative threads are shared with every
    /// suite running at once): the Swift example job, without a daemon, runs to its end.
    @Test func aJobWithoutDaemonLosesAtMost200ms() throws {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: TestDaemon.packageRoot + "/.build/debug/user-sync-example")
        p.environment = ["JOBLOG_SOCKET": Self.path("missing") + ".sock", "PATH": "/usr/bin:/bin"]
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle.nullDevice
        let started = Date()
        try p.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        let elapsed = Date().timeIntervalSince(started)
        #expect(p.terminationStatus == 0)
        #expect(printed.contains("run id: 0"), "\(printed)")
        // 0.15 s of waiting for the daemon, plus the process's start and the job itself.
        #expect(elapsed < 0.5, "\(elapsed) s")
    }

    @Test func saysWhy() async throws {
        let file = Self.path("file")
        _ = FileManager.default.createFile(atPath: file, contents: Data())
        let dead = try Self.deadSocket()
        defer {
            unlink(file)
            unlink(dead)
        }
        for (socket, reason) in [
            (Self.path("missing") + ".sock", "no such file"), (file, "not a socket"), (dead, "nobody listening"),
        ] {
            var configuration = ClientConfiguration(socketPath: socket)
            configuration.warnings = false
            let client = JobLogClient(configuration: configuration)
            defer { client.close(timeout: .milliseconds(10)) }
            var caught: JobLogClientError?
            do {
                _ = try await client.startRun(StartRunParams(jobName: "offline"))
            } catch {
                caught = error
            }
            guard case .daemonUnreachable(let s, let r)? = caught else {
                Issue.record("expected daemonUnreachable, got \(String(describing: caught))")
                continue
            }
            #expect(s == socket && r == reason)
            #expect(
                caught?.description
                    == "daemon unreachable at \(socket) (\(reason)); start it with: joblogd --socket \(socket)")
        }
    }
}
