import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A real PostgreSQL server for tests: `$JOBLOG_TEST_POSTGRES_URL` when set (CI's
/// `Scripts/test-all.sh` starts one), else a private cluster this process starts in a temporary
/// directory on a free loopback port (`initdb`, `pg_ctl`, as the `postgres` or `nobody` user when
/// run as root: initdb refuses root) and stops at exit. Nil when neither is possible.
///
/// Each test takes its own database (``makeDatabase()``), so tests run in parallel.
public enum PostgresCluster {
    /// The server's base URL, `postgres://USER@HOST:PORT` (no database), or nil.
    public static let baseURL: String? = {
        if let url = ProcessInfo.processInfo.environment["JOBLOG_TEST_POSTGRES_URL"], !url.isEmpty {
            // The URL names a database: keep the part before it.
            guard let slash = url.range(of: "/", options: .backwards), slash.lowerBound > url.startIndex,
                url[url.index(before: slash.lowerBound)] != "/"
            else { return url }
            return String(url[..<slash.lowerBound])
        }
        return try? startPrivateCluster()
    }()

    /// Why no server is available (for the skip trait's reason).
    public static let unavailableReason =
        "no PostgreSQL: set JOBLOG_TEST_POSTGRES_URL or install postgresql (initdb, pg_ctl)"

    /// A new empty database; its URL.
    public static func makeDatabase() throws -> String {
        guard let baseURL else { throw ClusterError.unavailable }
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try run(psqlPath(), ["-X", "-q", "-d", baseURL + "/postgres", "-c", "CREATE DATABASE \(name)"])
        return baseURL + "/" + name
    }

    /// One SQL statement run with `psql` on the database at `url`; its output, trimmed.
    public static func query(url: String, _ sql: String) throws -> String {
        let outputPath = FileManager.default.temporaryDirectory.path + "/joblog-psql-" + UUID().uuidString
        defer { unlink(outputPath) }
        try run(try psqlPath(), ["-X", "-q", "-A", "-t", "-d", url, "-o", outputPath, "-c", sql])
        let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return text.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    public enum ClusterError: Error {
        case unavailable
        case failed(String)
    }

    /// The directory of PostgreSQL's server programs: `$JOBLOG_PG_BIN`, Debian's newest
    /// `/usr/lib/postgresql/N/bin`, else nil (programs are looked up on PATH).
    static func binDirectory() -> String? {
        if let dir = ProcessInfo.processInfo.environment["JOBLOG_PG_BIN"], !dir.isEmpty { return dir }
        let root = "/usr/lib/postgresql"
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: root)) ?? []
        let newest = versions.compactMap(Int.init).max()
        return newest.map { "\(root)/\($0)/bin" }
    }

    static func program(_ name: String) -> String? {
        var candidates: [String] = []
        if let dir = binDirectory() { candidates.append(dir + "/" + name) }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":") {
            candidates.append(dir + "/" + name)
        }
        return candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func psqlPath() throws -> String {
        guard let psql = program("psql") else { throw ClusterError.failed("no psql") }
        return psql
    }

    private static func startPrivateCluster() throws -> String {
        guard let initdb = program("initdb"), let pgCtl = program("pg_ctl") else { throw ClusterError.unavailable }
        let dir = FileManager.default.temporaryDirectory.path + "/joblog-pg-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        // initdb refuses root: run the server programs as an unprivileged user owning the directory.
        var runAs: [String] = []
        if getuid() == 0 {
            let user = getpwnam("postgres") != nil ? "postgres" : "nobody"
            guard let pw = getpwnam(user) else { throw ClusterError.unavailable }
            chown(dir, pw.pointee.pw_uid, pw.pointee.pw_gid)
            runAs = ["/usr/sbin/runuser", "-u", user, "--"]
        }
        let data = dir + "/data"
        let port = try freePort()
        try run(
            runAs.first ?? initdb,
            Array(runAs.dropFirst()) + (runAs.isEmpty ? [] : [initdb]) + [
                "-D", data, "-U", "joblog", "--auth=trust", "-E", "UTF8", "--locale=C", "-N",
            ])
        let options = "-p \(port) -k \(dir) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200"
        try run(
            runAs.first ?? pgCtl,
            Array(runAs.dropFirst()) + (runAs.isEmpty ? [] : [pgCtl]) + [
                "-D", data, "-l", dir + "/server.log", "-o", options, "-w", "start",
            ])
        stopCommand = (runAs.first ?? pgCtl, Array(runAs.dropFirst()) + (runAs.isEmpty ? [] : [pgCtl]), data, dir)
        atexit {
            guard let (program, prefix, data, dir) = PostgresCluster.stopCommand else { return }
            try? PostgresCluster.run(program, prefix + ["-D", data, "-m", "immediate", "-w", "stop"])
            try? FileManager.default.removeItem(atPath: dir)
        }
        return "postgres://joblog@127.0.0.1:\(port)"
    }

    nonisolated(unsafe) static var stopCommand: (String, [String], String, String)?

    /// A loopback port nobody listens on now.
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { pointer in
                bind(fd, pointer, length) == 0 && getsockname(fd, pointer, &length) == 0
            }
        }
        guard bound else { throw ClusterError.failed("no free port") }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Runs a program to its end; throws with its output when it fails. Spawned and reaped
    /// directly (`posix_spawn`, `waitpid`): Foundation's `Process` did not notice the exit of
    /// `pg_ctl start`, whose server lives on. The output goes to a file, not a pipe the server
    /// would hold open.
    static func run(_ program: String, _ arguments: [String]) throws {
        let outputPath = FileManager.default.temporaryDirectory.path + "/joblog-pg-out-" + UUID().uuidString
        defer { unlink(outputPath) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputPath, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        let argv = ([program] + arguments).map { strdup($0) } + [nil]
        defer { for arg in argv { free(arg) } }
        var pid: pid_t = 0
        let rc = posix_spawn(&pid, program, &actions, nil, argv, environ)
        guard rc == 0 else { throw ClusterError.failed("\(program): \(String(cString: strerror(rc)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        // Exited normally with status 0 (WIFEXITED and WEXITSTATUS, spelled out).
        guard status & 0x7f == 0, (status >> 8) & 0xff == 0 else {
            let text = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
            throw ClusterError.failed("\(program) \(arguments.joined(separator: " ")): \(text)")
        }
    }
}
