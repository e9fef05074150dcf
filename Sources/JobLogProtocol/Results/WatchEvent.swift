import JobLogJSON
import JobLogModel

/// One `event` notification of a `watch` subscription.
public struct WatchEvent: Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        case runStarted(jobName: String)
        case stage(String)
        case progress(current: Int64, total: Int64?)
        case log(LogEntry)
        case outcome(OutcomeCounters)
        case runFinished(RunStatus)
        /// The run has not moved since `since` (a flag, not a status).
        case stalled(since: Timestamp)
        /// The run moved again after a stall.
        case unstalled
        /// The run took (or is taking) more than 2× its usual time.
        case slow
        /// Someone asked the run to stop (`cancelRun`).
        case cancelRequested(reason: String)
        /// The subscriber fell behind: `dropped` events were lost.
        case lagged(dropped: Int64, resumeAfterId: Int64)
    }

    public var subscription: String
    /// Nil only for `lagged` on a subscription that follows several runs.
    public var jobRunId: Int64?
    public var at: Timestamp
    public var kind: Kind

    public init(subscription: String, jobRunId: Int64?, at: Timestamp, kind: Kind) {
        self.subscription = subscription
        self.jobRunId = jobRunId
        self.at = at
        self.kind = kind
    }

    /// The wire name of the type.
    public var type: String {
        switch kind {
        case .runStarted: "run.started"
        case .stage: "stage"
        case .progress: "progress"
        case .log: "log"
        case .outcome: "outcome"
        case .runFinished: "run.finished"
        case .stalled: "stalled"
        case .unstalled: "unstalled"
        case .slow: "slow"
        case .cancelRequested: "cancel"
        case .lagged: "lagged"
        }
    }

    /// The notification's params.
    public var params: JSONValue {
        var o = JSONObject([
            ("subscription", .string(subscription)), ("jobRunId", jobRunId.map { .string(String($0)) } ?? .null),
            ("type", .string(type)), ("at", .string(at.iso8601)),
        ])
        switch kind {
        case .runStarted(let name): o.append("jobName", .string(name))
        case .stage(let s): o.append("stage", .string(s))
        case .progress(let current, let total):
            o.append("current", .int(current))
            o.append("total", .int(orNull: total))
        case .log(let entry): o.append("log", entry.json)
        case .outcome(let counters): o.append("outcomeSummary", counters.json)
        case .runFinished(let status): o.append("status", .string(status.rawValue))
        case .stalled(let since): o.append("stalledSince", .string(since.iso8601))
        case .unstalled, .slow: break
        case .cancelRequested(let reason): o.append("reason", .string(reason))
        case .lagged(let dropped, let resume):
            o.append("dropped", .int(dropped))
            o.append("resumeAfterId", .string(String(resume)))
        }
        return .object(o)
    }

    /// The notification line (without newline).
    public var line: [UInt8] {
        Self.prefix(subscription: subscription) + Self.body(jobRunId: jobRunId, at: at, kind: kind)
    }

    /// The start of an event line, up to the subscription (one per subscriber).
    public static func prefix(subscription: String) -> [UInt8] {
        var w = JSONWriter(capacity: 80)
        w.append("{\"jsonrpc\":\"2.0\",\"method\":\"event\",\"params\":")
        w.bytes += paramsHead(subscription: subscription)
        return w.bytes
    }

    /// The start of an event's params, up to the subscription: `{"subscription":"ID"`.
    public static func paramsHead(subscription: String) -> [UInt8] {
        var w = JSONWriter(capacity: 32)
        w.append("{\"subscription\":")
        w.writeString(subscription)
        return w.bytes
    }

    /// The rest of an event line after the subscription: the same for every subscriber,
    /// so a fan-out to many watchers encodes each event once.
    public static func body(jobRunId: Int64?, at: Timestamp, kind: Kind) -> [UInt8] {
        if case .log(let entry) = kind { return logBody(jobRunId: jobRunId, at: at, entry: entry) }
        return treeBody(jobRunId: jobRunId, at: at, kind: kind)
    }

    /// A `log` event's body written member by member, as ``treeBody(jobRunId:at:kind:)`` would
    /// write it (the same bytes; tested), without building the tree: the common event of a busy
    /// fan-out, where live views each take different entries.
    static func logBody(jobRunId: Int64?, at: Timestamp, entry: LogEntry) -> [UInt8] {
        var w = JSONWriter(capacity: 224 + entry.message.utf8.count + entry.context.byteCount)
        w.append(",\"jobRunId\":")
        if let jobRunId { w.writeString(String(jobRunId)) } else { w.append("null") }
        w.append(",\"type\":\"log\",\"at\":")
        w.writeString(at.iso8601)
        w.append(",\"log\":{\"id\":")
        w.writeString(String(entry.id))
        w.append(",\"level\":")
        w.writeString(entry.level.name)
        w.append(",\"stage\":")
        if let stage = entry.stage { w.writeString(stage) } else { w.append("null") }
        w.append(",\"message\":")
        w.writeString(entry.message)
        w.append(",\"context\":")
        w.write(.raw(entry.context))
        w.append(",\"createdAt\":")
        w.writeString(entry.createdAt.iso8601)
        w.append("}}}")
        return w.bytes
    }

    /// Any event's body, from its params.
    static func treeBody(jobRunId: Int64?, at: Timestamp, kind: Kind) -> [UInt8] {
        let event = WatchEvent(subscription: "", jobRunId: jobRunId, at: at, kind: kind)
        guard case .object(var o) = event.params else { return [] }
        o.members.removeFirst()
        var w = JSONWriter(capacity: 160)
        w.write(.object(o))
        w.bytes[0] = UInt8(ascii: ",")  // the object's members continue the params after the subscription
        w.append("}")
        return w.bytes
    }

    /// Reads an event's params (client side).
    public init(params: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(params, field: "params")
        subscription = try r.string("subscription")
        jobRunId = r.optionalString("jobRunId").flatMap { Int64($0) }
        at = try r.timestamp("at")
        switch try r.string("type") {
        case "run.started": kind = .runStarted(jobName: try r.string("jobName"))
        case "stage": kind = .stage(try r.string("stage"))
        case "progress": kind = .progress(current: try r.int("current"), total: r.optionalInt("total"))
        case "log": kind = .log(try LogEntry(json: try r.value("log")))
        case "outcome": kind = .outcome(OutcomeCounters(json: try r.object("outcomeSummary")))
        case "run.finished": kind = .runFinished(try r.status("status"))
        case "stalled": kind = .stalled(since: try r.timestamp("stalledSince"))
        case "unstalled": kind = .unstalled
        case "slow": kind = .slow
        case "cancel": kind = .cancelRequested(reason: r.optionalString("reason") ?? "")
        case "lagged": kind = .lagged(dropped: try r.int("dropped"), resumeAfterId: try r.id("resumeAfterId"))
        default: throw ResultDecodingError(field: "type")
        }
    }
}
