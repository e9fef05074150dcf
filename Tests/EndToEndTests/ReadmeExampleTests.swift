import Foundation
import JobLogTestSupport
import Testing

/// The README's examples are files under `Examples/`, shown verbatim in the README and run here.
@Suite struct ReadmeExampleTests {
    static let readme = (try? String(contentsOfFile: TestDaemon.packageRoot + "/README.md", encoding: .utf8)) ?? ""

    static func example(_ name: String) throws -> String {
        try String(contentsOfFile: TestDaemon.packageRoot + "/Examples/" + name, encoding: .utf8)
    }

    /// The script without its `#!` line.
    static func body(_ script: String) -> String {
        script.components(separatedBy: "\n").dropFirst().joined(separator: "\n")
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    static func run(_ command: [String], socket: String, extraEnvironment: [String: String] = [:]) throws -> (
        Int32, String
    ) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = command
        var env = ProcessInfo.processInfo.environment
        env["JOBLOG_SOCKET"] = socket
        env["PATH"] = TestDaemon.packageRoot + "/.build/debug:" + (env["PATH"] ?? "/usr/bin:/bin")
        for (k, v) in extraEnvironment { env[k] = v }
        p.environment = env
        p.currentDirectoryURL = URL(fileURLWithPath: TestDaemon.packageRoot)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test(
        .enabled(
            if: FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"),
            "socat is not installed (apt-get install -y socat): socat example skipped"))
    func socatJob() throws {
        let script = try Self.example("socat-job.sh")
        #expect(Self.readme.contains(Self.body(script)), "README shows Examples/socat-job.sh")
        let daemon = try TestDaemon()
        let (status, output) = try Self.run(["sh", "Examples/socat-job.sh"], socket: daemon.socketPath)
        #expect(status == 0, "\(output)")
        #expect(output.contains(#""status":"SUCCESS""#))
        #expect(output.split(separator: "\n").first == "run id: 1", "a labelled run id line: \(output)")
        let admin = try daemon.connect()
        let run = try admin.result("getRun", ["jobRunId": "1"])["run"] as! [String: Any]
        #expect(run["jobName"] as? String == "backup")
        #expect(run["progressCurrent"] as? Int == 3)
        #expect(run["outcomeSummary"] as? [String: Int] == ["copied": 3])
        #expect((run["logCounts"] as? [String: Int])?["info"] == 4)
    }

    /// Every README block marked `<!-- excerpt: PATH -->` stands verbatim in that file (which its tests run).
    @Test func excerptsMatchTheirFiles() throws {
        let lines = Self.readme.components(separatedBy: "\n")
        var checked = 0
        var i = 0
        while i < lines.count {
            let line = lines[i]
            if line.hasPrefix("<!-- excerpt: "), let end = line.range(of: " -->") {
                let path = String(line[line.index(line.startIndex, offsetBy: 14)..<end.lowerBound])
                var j = i + 2
                var block: [String] = []
                while j < lines.count, !lines[j].hasPrefix("```") {
                    block.append(lines[j])
                    j += 1
                }
                let file = try String(contentsOfFile: TestDaemon.packageRoot + "/" + path, encoding: .utf8)
                #expect(
                    file.contains(block.joined(separator: "\n")), "README excerpt of \(path) no longer matches the file"
                )
                checked += 1
                i = j
            }
            i += 1
        }
        #expect(checked >= 4)
    }
}
