import Foundation
import JobLogTestSupport
import Testing

/// The systemd units in Scripts/systemd pass `systemd-analyze verify` (no warnings either),
/// with ExecStart pointed at the built daemon; and both binaries report one version.
@Suite struct UnitFileTests {
    static let analyze = findInPath("systemd-analyze")
    static let units = TestDaemon.packageRoot + "/Scripts/systemd"

    /// Runs a program; its exit status and its output (stdout and stderr).
    static func run(_ argv: [String], environment: [String: String] = [:]) throws -> (Int32, String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: argv[0])
        p.arguments = Array(argv.dropFirst())
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let pipe = Pipe()
        p.standardOutput = pipe
        p.standardError = pipe
        try p.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    /// Copies a unit pair into `dir` with the daemon's path replaced by the built binary.
    static func stage(_ source: String, into dir: String, replacing binary: String) throws -> [String] {
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return try ["joblogd.socket", "joblogd.service"].map { name in
            let text = try String(contentsOfFile: source + "/" + name, encoding: .utf8)
                .replacingOccurrences(of: binary, with: ServiceProcess.daemonBinary)
            try text.write(toFile: dir + "/" + name, atomically: true, encoding: .utf8)
            return dir + "/" + name
        }
    }

    @Test(.enabled(if: analyze != nil, "systemd-analyze is not installed (Debian systemd)"))
    func systemUnitsVerify() throws {
        let dir = try ServiceProcess.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try Self.stage(Self.units, into: dir, replacing: "/usr/local/bin/joblogd")
        let (status, output) = try Self.run([Self.analyze!, "verify", "--man=no"] + files)
        #expect(status == 0 && output.isEmpty, "systemd-analyze verify: \(output)")
    }

    @Test(.enabled(if: analyze != nil, "systemd-analyze is not installed (Debian systemd)"))
    func userUnitsVerify() throws {
        let dir = try ServiceProcess.makeDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let files = try Self.stage(Self.units + "/user", into: dir + "/units", replacing: "%h/.local/bin/joblogd")
        let runtime = dir + "/runtime"
        try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: true)
        let (status, output) = try Self.run(
            [Self.analyze!, "--user", "verify", "--man=no"] + files, environment: ["XDG_RUNTIME_DIR": runtime])
        #expect(status == 0 && output.isEmpty, "systemd-analyze --user verify: \(output)")
    }

    @Test func unitsCarryTheSettingsTheIssueAsksFor() throws {
        let socket = try String(contentsOfFile: Self.units + "/joblogd.socket", encoding: .utf8)
        let service = try String(contentsOfFile: Self.units + "/joblogd.service", encoding: .utf8)
        for line in [
            "ListenStream=/run/joblogd/joblogd.sock", "SocketGroup=joblog", "SocketMode=0660",
            "FileDescriptorName=jsonrpc",
        ] {
            #expect(socket.contains("\n\(line)\n"), "joblogd.socket: \(line)")
        }
        for line in [
            "Type=notify", "Restart=on-failure", "StateDirectory=joblogd", "ProtectSystem=strict", "ProtectHome=yes",
            "NoNewPrivileges=yes", "PrivateTmp=yes", "RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6",
        ] {
            #expect(service.contains("\n\(line)\n"), "joblogd.service: \(line)")
        }
        #expect(service.contains("--admin-group joblog"))
        #expect(service.contains("\nWatchdogSec=") && service.contains("\nMemoryMax="))
        let userSocket = try String(contentsOfFile: Self.units + "/user/joblogd.socket", encoding: .utf8)
        #expect(userSocket.contains("\nListenStream=%t/joblogd.sock\n"))
    }

    @Test func daemonAndCLIReportOneVersion() throws {
        let (s1, daemon) = try Self.run([ServiceProcess.daemonBinary, "--version"])
        let (s2, cli) = try Self.run([ServiceProcess.cliBinary, "--version"])
        #expect(s1 == 0 && s2 == 0)
        #expect(!daemon.isEmpty && daemon == cli, "joblogd \(daemon), joblog \(cli)")
        let test = try TestDaemon()
        let ping = try test.connect().result("ping")
        #expect(ping["version"] as? String == daemon.trimmingCharacters(in: .whitespacesAndNewlines))
    }
}
