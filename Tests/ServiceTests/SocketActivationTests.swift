import Foundation
import JobLogTestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Socket activation: the daemon serves a socket it was passed (`LISTEN_FDS`, `LISTEN_PID`,
/// `LISTEN_FDNAMES`), answers a job that connected before it started, and leaves the socket
/// file (mode, inode) alone when it exits.
@Suite(.enabled(if: python3 != nil, "needs python3 for the socket-activation launcher"))
struct SocketActivationTests {
    struct FileIdentity: Equatable {
        let inode: UInt64
        let mode: UInt32
    }

    static func identity(_ path: String) -> FileIdentity? {
        var st = stat()
        guard lstat(path, &st) == 0 else { return nil }
        return FileIdentity(inode: UInt64(st.st_ino), mode: UInt32(st.st_mode) & 0o7777)
    }

    @Test func aJobConnectedBeforeTheDaemonStartedIsAnswered() throws {
        let dir = try ServiceProcess.makeDirectory()
        let sock = dir + "/sock"
        let go = dir + "/go"
        let daemon = try ServiceProcess(
            directory: dir, launcher: Launcher.argv(python: python3!, go: go, sockets: ["jsonrpc=\(sock)"]),
            arguments: ["--socket", sock, "--db", dir + "/db.sqlite", "--log-level", "debug"], environment: [:])
        #expect(eventually { Self.identity(sock) != nil }, "the launcher bound the socket")
        let before = try #require(Self.identity(sock))
        #expect(before.mode == 0o604)

        // The job connects and sends its first request while no daemon runs yet.
        let job = try LineClient(path: sock)
        try job.send(#"{"jsonrpc":"2.0","method":"ping","id":1}"#)
        usleep(200_000)
        #expect(!daemon.log().contains("listening"), "the daemon has not started yet")
        _ = FileManager.default.createFile(atPath: go, contents: nil)

        let answer = try #require(try job.readLine())
        #expect(answer.contains(#""result""#) && answer.contains(#""id":1"#), "answer: \(answer)")
        _ = try job.result("startRun", ["jobName": "activated"])
        #expect(eventually { daemon.log().contains("activated=true") })

        #expect(daemon.terminate() == 0, "clean exit: \(daemon.log())")
        // Not unlinked, not replaced, not chmod-ed (joblogd's own default would be 0600).
        #expect(Self.identity(sock) == before)
    }

    @Test func theJSONRPCSocketIsTakenByName() throws {
        let dir = try ServiceProcess.makeDirectory()
        let sock = dir + "/sock"
        let http = dir + "/http.sock"
        let go = dir + "/go"
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        // The HTTP listener comes first: by name, the daemon still serves the JSON-RPC one.
        let daemon = try ServiceProcess(
            directory: dir,
            launcher: Launcher.argv(python: python3!, go: go, sockets: ["http=\(http)", "jsonrpc=\(sock)"]),
            arguments: ["--db", dir + "/db.sqlite"], environment: [:])
        #expect(eventually { (try? LineClient(path: sock).result("ping")) != nil }, "log: \(daemon.log())")
        #expect(eventually { daemon.log().contains("socket=\(sock)") }, "log: \(daemon.log())")
        #expect(daemon.terminate() == 0)
        #expect(Self.identity(sock) != nil && Self.identity(http) != nil)
    }

    @Test func anUnnamedSocketIsTakenToo() throws {
        let dir = try ServiceProcess.makeDirectory()
        let sock = dir + "/sock"
        let go = dir + "/go"
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        // No LISTEN_FDNAMES (a unit without FileDescriptorName=, or an older manager).
        let daemon = try ServiceProcess(
            directory: dir, launcher: Launcher.argv(python: python3!, go: go, sockets: ["-=\(sock)"]),
            arguments: ["--db", dir + "/db.sqlite"], environment: [:])
        #expect(eventually { (try? LineClient(path: sock).result("ping")) != nil }, "log: \(daemon.log())")
        #expect(daemon.terminate() == 0)
        #expect(Self.identity(sock)?.mode == 0o604)
    }

    @Test func noUsableSocketIsAnErrorNotASilentFallback() throws {
        let dir = try ServiceProcess.makeDirectory()
        let go = dir + "/go"
        _ = FileManager.default.createFile(atPath: go, contents: nil)
        let daemon = try ServiceProcess(
            directory: dir,
            launcher: Launcher.argv(python: python3!, go: go, sockets: ["dgram:jsonrpc=\(dir)/dgram"]),
            arguments: ["--socket", dir + "/sock", "--db", dir + "/db.sqlite"], environment: [:])
        #expect(daemon.waitForExit(timeout: 20) == 3, "log: \(daemon.log())")
        #expect(daemon.log().contains("no listening Unix stream socket"))
        #expect(Self.identity(dir + "/sock") == nil, "did not bind a socket of its own")
    }

    @Test(
        .enabled(
            if: findInPath("systemd-socket-activate") != nil,
            "systemd-socket-activate is not installed (Debian systemd)"))
    func underSystemdSocketActivate() throws {
        let dir = try ServiceProcess.makeDirectory()
        let sock = dir + "/sock"
        let daemon = try ServiceProcess(
            directory: dir,
            launcher: [findInPath("systemd-socket-activate")!, "--listen=\(sock)", "--fdname=jsonrpc"],
            arguments: ["--db", dir + "/db.sqlite"], environment: [:])
        #expect(eventually { Self.identity(sock) != nil })
        let before = Self.identity(sock)
        // systemd-socket-activate execs the daemon (same pid) on this first connection.
        let job = try LineClient(path: sock)
        let ping = try job.result("ping")
        #expect(ping["version"] != nil)
        #expect(eventually { daemon.log().contains("activated=true") }, "log: \(daemon.log())")
        job.close()
        #expect(daemon.terminate() == 0)
        #expect(Self.identity(sock) == before, "the passed socket's file is left as it was")
    }
}
