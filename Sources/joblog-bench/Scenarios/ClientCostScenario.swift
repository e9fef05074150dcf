import Foundation
import JobLogClient
import JobLogProtocol

/// 6. What a call costs a job, per client: a notification, and an acknowledged call.
enum ClientCostScenario {
    static func run(_ daemon: DaemonUnderTest, _ sizes: Sizes, root: String, into report: inout Report) async throws {
        try await swiftClient(daemon, sizes, into: &report)
        python(daemon, sizes, root: root, into: &report)
        c(daemon, sizes, root: root, into: &report)
        shell(daemon, sizes, root: root, into: &report)
        cli(daemon, into: &report)
    }

    static func swiftClient(_ daemon: DaemonUnderTest, _ sizes: Sizes, into report: inout Report) async throws {
        let client = JobLogClient(socketPath: daemon.socketPath)
        defer { client.close() }
        let run = try await client.startRun(StartRunParams(jobName: "swift-client")).jobRunId
        let logger = JobLogger(jobRunId: run, jobName: "swift-client", client: client)
        let n = sizes.clientCalls
        let t0 = now()
        for _ in 0..<n { await logger.incrementProgress() }
        let t1 = now()
        _ = await client.flush()
        let t2 = now()
        for i in 0..<n / 4 { await logger.info("item", context: ["i": .int(i)]) }
        let t3 = now()
        _ = await client.flush()
        let acks = max(10, sizes.roundTrips / 2)
        let t4 = now()
        for _ in 0..<acks { _ = await client.flush() }
        let t5 = now()
        report.add(
            Figure(
                name: "Swift client: notification (incrementProgress)", value: (t1 - t0) / Double(n) * 1e6,
                unit: "µs/call",
                note: "stored end to end \(Report.number((t2 - t0) / Double(n) * 1e6)) µs/call"))
        report.add(
            Figure(
                name: "Swift client: notification (info + context)", value: (t3 - t2) / Double(n / 4) * 1e6,
                unit: "µs/call"))
        report.add(
            Figure(
                name: "Swift client: acknowledged call (flush)", value: (t5 - t4) / Double(acks) * 1e6, unit: "µs/call")
        )
    }

    static func python(_ daemon: DaemonUnderTest, _ sizes: Sizes, root: String, into report: inout Report) {
        let script = """
            import sys, time, sqlite3, json
            sys.path.insert(0, sys.argv[1] + "/Clients/python/src")
            import joblog
            sock, n, db = sys.argv[2], int(sys.argv[3]), sys.argv[4]
            c = joblog.Client(sock, quiet=True)
            rid = c.call("startRun", {"jobName": "python-client"})["jobRunId"]
            log = joblog.create_job_logger(rid, "python-client", c)
            t0 = time.perf_counter()
            for i in range(n):
                log.info("processed item %d" % i, userId="u-%d" % i, batch=i // 100)
            t1 = time.perf_counter()
            c.flush()
            t2 = time.perf_counter()
            acks = 200
            for _ in range(acks):
                c.flush()
            t3 = time.perf_counter()
            # The anti-pattern: the job writes each entry itself, committing per row.
            con = sqlite3.connect(db)
            con.execute("PRAGMA journal_mode=WAL"); con.execute("PRAGMA synchronous=NORMAL")
            con.execute("INSERT INTO runs (job_name, status, trigger, scope, started_at, last_heartbeat_at) VALUES ('d','RUNNING','MANUAL','system',0,0)")
            con.commit()
            m = min(n, 5000)
            t4 = time.perf_counter()
            for i in range(m):
                ctx = json.dumps({"userId": "u-%d" % i, "batch": i // 100})
                con.execute("INSERT INTO logs (run_id, level, stage, message, context, created_at) VALUES (1, 1, NULL, ?, ?, ?)", ("processed item %d" % i, ctx, i))
                con.commit()
            t5 = time.perf_counter()
            print(json.dumps({"notify": (t1 - t0) / n * 1e6, "stored": (t2 - t0) / n * 1e6, "ack": (t3 - t2) / acks * 1e6, "direct": (t5 - t4) / m * 1e6}))
            c.close()
            """
        guard let db = try? SQLiteBaseline.freshDatabase(daemon.directory),
            let out = runProcess(["python3", "-c", script, root, daemon.socketPath, String(sizes.clientCalls), db]),
            let line = out.split(separator: "\n").last,
            let obj = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Double],
            let notify = obj["notify"], let ack = obj["ack"], let direct = obj["direct"]
        else {
            report.facts.append(("Python client", "not measured (python3 or Clients/python missing)"))
            return
        }
        report.add(
            Figure(
                name: "Python client: notification (info + context)", value: notify, unit: "µs/call",
                baselineName: "Python direct write, commit per row", baseline: direct, target: "≤ 1/5 of direct write",
                met: notify <= direct / 5, note: "stored end to end \(Report.number(obj["stored"] ?? 0)) µs/call"))
        report.add(Figure(name: "Python client: acknowledged call (flush)", value: ack, unit: "µs/call"))
    }

    static func c(_ daemon: DaemonUnderTest, _ sizes: Sizes, root: String, into report: inout Report) {
        let bench = root + "/Clients/c/build/bench"
        guard FileManager.default.isExecutableFile(atPath: bench),
            let out = runProcess([bench, daemon.socketPath, String(sizes.clientCalls)])
        else {
            report.facts.append(("C client", "not measured (build it: make -C Clients/c)"))
            return
        }
        func value(_ prefix: String) -> Double? {
            for line in out.split(separator: "\n") where line.hasPrefix(prefix) {
                let parts = line.dropFirst(prefix.count).split(separator: " ", omittingEmptySubsequences: true)
                return parts.first.flatMap { Double($0) }
            }
            return nil
        }
        if let v = value("notification: joblog_inc") {
            report.add(Figure(name: "C client: notification (joblog_inc)", value: v, unit: "µs/call"))
        }
        if let v = value("acknowledged: joblog_flush (ping)") {
            report.add(Figure(name: "C client: acknowledged call (flush)", value: v, unit: "µs/call"))
        }
    }

    static func shell(_ daemon: DaemonUnderTest, _ sizes: Sizes, root: String, into report: inout Report) {
        let n = max(20, min(300, sizes.clientCalls / 100))
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/socat"),
            let out = runProcess(["sh", root + "/Clients/shell/tests/bench.sh", daemon.socketPath, String(n)])
        else {
            report.facts.append(("shell client", "not measured (needs socat)"))
            return
        }
        func value(_ key: String) -> Double? {
            for line in out.split(separator: "\n") where line.contains(key) {
                let parts = line.split(separator: " ")
                if let i = parts.firstIndex(of: "us/call"), i > 0 { return Double(parts[i - 1]) }
            }
            return nil
        }
        guard let oneShot = value("oneshot notification(joblog_inc)"),
            let persistent = value("persistent notification(joblog_inc)")
        else { return }
        report.add(Figure(name: "shell helper, one-shot socat: notification", value: oneShot, unit: "µs/call"))
        report.add(
            Figure(
                name: "shell helper, persistent: notification", value: persistent, unit: "µs/call",
                baselineName: "one-shot",
                baseline: oneShot, target: "≤ 1/20 of one-shot", met: persistent <= oneShot / 20))
        if let ack = value("persistent acknowledged") {
            report.add(Figure(name: "shell helper, persistent: acknowledged (ping)", value: ack, unit: "µs/call"))
        }
    }

    static func cli(_ daemon: DaemonUnderTest, into report: inout Report) {
        let joblog = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent(
            "joblog"
        ).path
        guard FileManager.default.isExecutableFile(atPath: joblog),
            let started = runProcess([joblog, "start", "cli-cost", "--socket", daemon.socketPath]),
            let run = started.split(separator: "\n").last.map(String.init)
        else {
            report.facts.append(("joblog command", "not measured (no joblog binary next to joblog-bench)"))
            return
        }
        let n = 20
        let t0 = now()
        for _ in 0..<n { _ = runProcess([joblog, "inc", "--run", run, "--socket", daemon.socketPath]) }
        report.add(Figure(name: "joblog command: one call", value: (now() - t0) / Double(n) * 1e6, unit: "µs/call"))
    }

    /// Runs a command; its stdout, or nil when it failed.
    static func runProcess(_ arguments: [String]) -> String? {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = arguments
        let out = Pipe()
        p.standardOutput = out
        p.standardError = FileHandle(forWritingAtPath: "/dev/null")
        do { try p.run() } catch { return nil }
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return p.terminationStatus == 0 ? String(decoding: data, as: UTF8.self) : nil
    }
}
