import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 10 points 12 and 15: one uid cannot take every connection, and a permission problem is
/// reported as one.
@Suite struct FairnessTests {
    @Test(.enabled(if: Hardening.canSwitchUser, "needs root and setpriv to connect as another uid"))
    func oneUidCannotLockOutRoot() throws {
        let daemon = try TestDaemon(arguments: [
            "--socket-mode", "666", "--max-connections", "40", "--max-connections-per-uid", "20",
        ])
        chmod(daemon.directory, 0o755)
        // nobody opens 60 connections and keeps them; it gets 20, the rest are refused with -32006.
        let script = """
            import json, socket, sys, time
            held, refused = [], 0
            for i in range(60):
                s = socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]); s.settimeout(0.3)
                try:
                    line = s.makefile("rb").readline()
                    if line and json.loads(line)["error"]["code"] == -32006: refused += 1; s.close(); continue
                except socket.timeout:
                    pass
                held.append(s)
            print(len(held), refused, flush=True)
            sys.stdin.readline()
            """
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = [
            "--reuid=\(Hardening.otherUid)", "--regid=\(Hardening.otherUid)", "--clear-groups", "/usr/bin/python3",
            "-c",
            script, daemon.socketPath,
        ]
        let input = Pipe()
        let output = Pipe()
        p.standardInput = input
        p.standardOutput = output
        try p.run()
        defer {
            try? input.fileHandleForWriting.close()
            p.waitUntilExit()
        }
        let line = String(decoding: output.fileHandleForReading.availableDataLine(), as: UTF8.self)
        #expect(line == "20 40", "held and refused: \(line)")
        // Root still connects and starts a run while nobody holds its share.
        let root = try daemon.connect()
        #expect(try root.result("startRun", ["jobName": "admin"])["jobRunId"] != nil)
    }

    @Test(
        .enabled(if: Hardening.canSwitchUser, "needs root and setpriv to run the daemon as another uid"),
        .enabled(if: !TestDaemon.onPostgres, "\(TestDaemon.sqliteOnlyReason)"))
    func anUnreachableDirectoryIsReportedAsAPermissionProblem() throws {
        let dir = FileManager.default.temporaryDirectory.path + "/joblogd-perm-" + UUID().uuidString.prefix(8)
        let dbDir = dir + "/db"
        try FileManager.default.createDirectory(atPath: dbDir, withIntermediateDirectories: true)
        defer {
            chmod(dbDir, 0o755)
            try? FileManager.default.removeItem(atPath: dir)
        }
        chown(dir, Hardening.otherUid, Hardening.otherUid)
        chown(dbDir, Hardening.otherUid, Hardening.otherUid)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        p.arguments = [
            "--reuid=\(Hardening.otherUid)", "--regid=\(Hardening.otherUid)", "--clear-groups", TestDaemon.binary,
            "--socket", dir + "/sock", "--db", dbDir + "/db.sqlite", "--socket-mode", "666",
        ]
        p.standardError = FileHandle.nullDevice
        try p.run()
        defer {
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
        }
        let up = Hardening.eventually(20) { (try? LineClient(path: dir + "/sock")) != nil }
        try #require(up, "the daemon started as nobody")
        let client = try LineClient(path: dir + "/sock")
        let run = try #require(try client.result("startRun", ["jobName": "perm"])["jobRunId"] as? String)
        // Make the writer drop its connection: another process holds the write lock past the busy timeout.
        let holder = Process()
        holder.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        holder.arguments = [
            "python3", "-c",
            "import sqlite3,sys; c=sqlite3.connect(sys.argv[1], isolation_level=None); c.execute('BEGIN IMMEDIATE'); print('held', flush=True); sys.stdin.readline()",
            dbDir + "/db.sqlite",
        ]
        let holderInput = Pipe()
        let holderOutput = Pipe()
        holder.standardInput = holderInput
        holder.standardOutput = holderOutput
        try holder.run()
        #expect(String(decoding: holderOutput.fileHandleForReading.availableDataLine(), as: UTF8.self) == "held")
        let locked = try client.call("info", ["jobRunId": run, "message": "while locked"])
        #expect(Hardening.code(locked) == -32005, "\(locked)")
        chmod(dbDir, 0o000)
        try holderInput.fileHandleForWriting.close()
        holder.waitUntilExit()
        let last = try client.call("info", ["jobRunId": run, "message": "x"])
        #expect(Hardening.reason(last).contains("ermission denied"), "errno's own reason: \(last)")
        #expect(!Hardening.reason(last).contains("gone"), "not 'gone': \(last)")
    }
}

extension FileHandle {
    /// Reads up to the first newline (without it).
    func availableDataLine() -> Data {
        var data = Data()
        while true {
            let byte = readData(ofLength: 1)
            if byte.isEmpty || byte.first == 0x0A { return data }
            data.append(byte)
        }
    }
}
