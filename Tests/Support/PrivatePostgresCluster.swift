import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A PostgreSQL cluster of one test's own, in a temporary directory on a free loopback port, that
/// the test may stop, start and restart (`pg_ctl restart -m fast`) without touching the shared
/// server of ``PostgresCluster`` (CI's, which other tests use at the same time). Stopped
/// (`-m immediate`) and removed when released.
public final class PrivatePostgresCluster: @unchecked Sendable {
    /// The server's base URL, `postgres://joblog@127.0.0.1:PORT` (no database); the same across
    /// restarts.
    public let baseURL: String
    public let port: Int
    private let directory: String
    private let data: String
    /// The `runuser -u USER --` prefix when run as root (initdb refuses root), else empty.
    private let runAs: [String]
    private let pgCtl: String

    /// Whether this machine can start one (`initdb` and `pg_ctl` found).
    public static var available: Bool {
        PostgresCluster.program("initdb") != nil && PostgresCluster.program("pg_ctl") != nil
    }

    /// Why none can be started (for the skip trait's reason).
    public static let unavailableReason = "no initdb/pg_ctl: install postgresql (or set JOBLOG_PG_BIN)"

    /// A server certificate and its key (PEM files) for a cluster that takes TLS only.
    public struct TLSFiles: Sendable {
        public var certificate: String
        public var key: String
        public init(certificate: String, key: String) {
            self.certificate = certificate
            self.key = key
        }
    }

    private let tls: TLSFiles?

    /// Makes a new cluster and starts it. With `tls`, the server has `ssl=on` with those files
    /// (copied into its directory, owned by the server's user) and its TCP entries in
    /// `pg_hba.conf` are `hostssl`: a connection without TLS is refused.
    public init(tls: TLSFiles? = nil) throws {
        guard let initdb = PostgresCluster.program("initdb"), let pgCtl = PostgresCluster.program("pg_ctl") else {
            throw PostgresCluster.ClusterError.unavailable
        }
        directory = FileManager.default.temporaryDirectory.path + "/joblog-pgp-" + UUID().uuidString.prefix(8)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var runAs: [String] = []
        if getuid() == 0 {
            let user = getpwnam("postgres") != nil ? "postgres" : "nobody"
            guard let pw = getpwnam(user) else { throw PostgresCluster.ClusterError.unavailable }
            chown(directory, pw.pointee.pw_uid, pw.pointee.pw_gid)
            runAs = ["/usr/sbin/runuser", "-u", user, "--"]
        }
        self.runAs = runAs
        self.pgCtl = pgCtl
        data = directory + "/data"
        port = try PostgresCluster.freePort()
        baseURL = "postgres://joblog@127.0.0.1:\(port)"
        try Self.run(runAs, initdb, ["-D", data, "-U", "joblog", "--auth=trust", "-E", "UTF8", "--locale=C", "-N"])
        if let tls {
            let certificate = directory + "/server.crt"
            let key = directory + "/server.key"
            try FileManager.default.copyItem(atPath: tls.certificate, toPath: certificate)
            try FileManager.default.copyItem(atPath: tls.key, toPath: key)
            chmod(key, 0o600)
            if getuid() == 0, let user = runAs.dropFirst(2).first, let pw = getpwnam(user) {
                chown(certificate, pw.pointee.pw_uid, pw.pointee.pw_gid)
                chown(key, pw.pointee.pw_uid, pw.pointee.pw_gid)
            }
            let hba = data + "/pg_hba.conf"
            let rules = try String(contentsOfFile: hba, encoding: .utf8)
                .split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.hasPrefix("host ") ? "hostssl" + $0.dropFirst(4) : $0 }
                .joined(separator: "\n")
            try rules.write(toFile: hba, atomically: false, encoding: .utf8)
            self.tls = TLSFiles(certificate: certificate, key: key)
        } else {
            self.tls = nil
        }
        try start()
    }

    /// The server's options: its own port and socket directory, loopback only.
    private var serverOptions: String {
        "-p \(port) -k \(directory) -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=100"
            + (tls.map { " -c ssl=on -c ssl_cert_file=\($0.certificate) -c ssl_key_file=\($0.key)" } ?? "")
    }

    /// Starts the server and waits until it accepts connections.
    public func start() throws {
        try Self.run(runAs, pgCtl, ["-D", data, "-l", directory + "/server.log", "-o", serverOptions, "-w", "start"])
    }

    /// Stops the server (`fast`: disconnects clients, rolls back their transactions, shuts down
    /// cleanly; `immediate`: no clean shutdown) and waits until it is down.
    public func stop(mode: String = "fast") throws {
        try Self.run(runAs, pgCtl, ["-D", data, "-m", mode, "-w", "stop"])
    }

    /// `pg_ctl restart -m fast`: down and up again, waited for.
    public func restart() throws {
        try Self.run(
            runAs, pgCtl,
            ["-D", data, "-l", directory + "/server.log", "-o", serverOptions, "-m", "fast", "-w", "restart"])
    }

    /// A new empty database on this server; its URL.
    public func makeDatabase() throws -> String {
        let name = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
        try PostgresCluster.run(
            try PostgresCluster.psqlPath(), ["-X", "-q", "-d", baseURL + "/postgres", "-c", "CREATE DATABASE \(name)"])
        return baseURL + "/" + name
    }

    /// The server's log, for failure messages.
    public func serverLog() -> String {
        (try? String(contentsOfFile: directory + "/server.log", encoding: .utf8)) ?? ""
    }

    private static func run(_ runAs: [String], _ program: String, _ arguments: [String]) throws {
        if runAs.isEmpty {
            try PostgresCluster.run(program, arguments)
        } else {
            try PostgresCluster.run(runAs[0], Array(runAs.dropFirst()) + [program] + arguments)
        }
    }

    deinit {
        try? stop(mode: "immediate")
        try? FileManager.default.removeItem(atPath: directory)
    }
}
