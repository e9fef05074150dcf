/// The lines the scenarios send: realistic job traffic, encoded once up front.
enum Workload {
    /// One `info` notification with a realistic context (about 200 bytes).
    static func info(run: String, _ i: Int, level: String = "info") -> String {
        #"{"jsonrpc":"2.0","method":"\#(level)","params":{"jobRunId":"\#(run)","message":"processed item \#(i)","context":{"userId":"u-\#(i)","batch":\#(i / 100),"tags":["sync","daily"],"durationMs":12.5}}}"#
    }

    /// One `info` notification with a context of about 60 bytes (the instruction counts).
    static func shortInfo(run: String, _ i: Int) -> String {
        #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"\#(run)","message":"processed item \#(i)","context":{"userId":"u-\#(i)","batch":\#(i / 100),"tag":"daily","ok":true,"ms":12.5}}}"#
    }

    /// The same entry as the store keeps it (for the raw SQLite baselines).
    static func storedContext(_ i: Int) -> String {
        #"{"userId":"u-\#(i)","batch":\#(i / 100),"tags":["sync","daily"],"durationMs":12.5}"#
    }

    static func increment(run: String) -> String {
        #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"\#(run)"}}"#
    }

    static func startRun(_ name: String, id: Int = 1) -> String {
        #"{"jsonrpc":"2.0","method":"startRun","params":{"jobName":"\#(name)"},"id":\#(id)}"#
    }

    static func ping(_ id: Int) -> String { #"{"jsonrpc":"2.0","method":"ping","id":\#(id)}"# }

    /// Lines joined into large writes, the way a buffering client sends them.
    static func chunks(_ lines: [String], bytes: Int = 256 * 1024) -> [[UInt8]] {
        var out: [[UInt8]] = []
        var current: [UInt8] = []
        current.reserveCapacity(bytes + 512)
        for line in lines {
            current.append(contentsOf: line.utf8)
            current.append(0x0A)
            if current.count >= bytes {
                out.append(current)
                current.removeAll(keepingCapacity: true)
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The `jobRunId` from a startRun response line.
    static func runID(_ response: String) throws -> String {
        guard let r = response.range(of: #""jobRunId":""#) else { throw BenchError("no run id in \(response)") }
        return String(response[r.upperBound...].prefix { $0 != "\"" })
    }
}
