import HTTPTypes
import Hummingbird
import JobLogJSON
import JobLogProtocol
import JobLogServer
import ServiceLifecycle
import Synchronization

/// `GET /api/admin/events`: a `watch` as Server-Sent Events.
///
/// Each event is `event: TYPE` and `data: PARAMS` (the socket event's params without
/// `subscription`); a `log` event also carries `id: LOGID`. With `Last-Event-ID` on a
/// `jobRunId` stream, the entries after it are replayed from the store first: the subscription
/// exists before the replay reads, and live entries up to the last replayed id are skipped,
/// so there is no gap and no duplicate. A `: keep-alive` comment goes out every interval.
struct EventStreamRoute: Sendable {
    let server: JobLogServer
    let keepAlive: Duration
    /// At most this many log entries a second (nil: all); the rest are told as `lagged`.
    let logRate: Int?
    static let replayPage = 1000

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.get("/api/admin/events") { request, _ in try await stream(request) }
    }

    private func stream(_ request: Request) async throws -> Response {
        let params = QueryParams.params(request, strings: ["jobName", "level"], ids: ["jobRunId"])
        let lastID = request.headers[HTTPField.Name("Last-Event-ID")!].flatMap { Int64($0) }
        // Bad params are a 400 now; the subscription itself is made when the body is written, so a
        // response that is never sent leaves none behind.
        do {
            _ = try WatchParams(from: ParamReader(params))
        } catch {
            throw APIError(error)
        }
        let server = self.server
        let runID = params["jobRunId"]?.stringValue.flatMap { Int64($0) }
        let level = params["level"]
        let (keepAlive, logRate) = (self.keepAlive, self.logRate)
        let headers: HTTPFields = [
            .contentType: "text/event-stream", .cacheControl: "no-store", HTTPField.Name("X-Accel-Buffering")!: "no",
        ]
        return Response(
            status: .ok, headers: headers,
            body: ResponseBody { writer in
                let handoff = Handoff<[UInt8]>()
                let replayed = ReplayMark()
                let session = server.localSession(logRate: logRate) { bytes in
                    let skip = replayed.value
                    var out: [UInt8] = []
                    for p in EventLines.params(bytes) {
                        out += EventLines.serverSentEvent(p, skipLogsUpTo: skip) ?? []
                    }
                    if !out.isEmpty { try await handoff.put(out) }
                }
                defer { session.close() }
                let answer = await session.call(.watch, params)
                if case .failure(let error) = answer.result {
                    let data = JSONValue.object(JSONObject([("error", error.json)]))
                    try await writer.write(ByteBuffer(bytes: EventLines.frame(type: "error", id: nil, data: data)))
                    try await writer.finish(nil)
                    return
                }
                try await writer.write(ByteBuffer(string: ": joblogd events\n\n"))
                if let runID, let lastID {
                    let last = try await Self.replay(
                        session, run: runID, after: lastID, level: level, into: &writer)
                    replayed.value = last
                }
                answer.afterDelivery?()
                let ticker = Task {
                    while !Task.isCancelled {
                        try await Task.sleep(for: keepAlive)
                        try await handoff.put(Array(": keep-alive\n\n".utf8))
                    }
                }
                defer { ticker.cancel() }
                await withGracefulShutdownHandler {
                    await handoff.drain { try await writer.write(ByteBuffer(bytes: $0)) }
                } onGracefulShutdown: {
                    handoff.finish()
                }
                try await writer.finish(nil)
            })
    }

    /// Writes the run's entries after `after` as `log` events; returns the last id written.
    private static func replay(
        _ session: LocalSession, run: Int64, after: Int64, level: JSONValue?, into writer: inout any ResponseBodyWriter
    ) async throws -> Int64 {
        var cursor = after
        while true {
            var params = JSONObject([
                ("jobRunId", .string(String(run))), ("afterId", .string(String(cursor))),
                ("limit", .int(replayPage)),
            ])
            if let level { params.append("level", level) }
            guard case .success(let value) = await session.call(.getLogs, params).result,
                case .array(let logs)? = value.objectValue?["logs"]
            else { return cursor }
            var out: [UInt8] = []
            for entry in logs {
                guard case .object(let e) = entry, let id = e["id"]?.stringValue.flatMap({ Int64($0) }) else {
                    continue
                }
                let data = JSONObject([
                    ("jobRunId", .string(String(run))), ("type", .string("log")), ("at", e["createdAt"] ?? .null),
                    ("log", entry),
                ])
                out += EventLines.frame(type: "log", id: id, data: .object(data))
                cursor = max(cursor, id)
            }
            if !out.isEmpty { try await writer.write(ByteBuffer(bytes: out)) }
            if logs.count < replayPage { return cursor }
        }
    }
}

/// The last log id a replay wrote: live entries up to it are skipped.
final class ReplayMark: Sendable {
    private let mark = Mutex<Int64>(0)
    var value: Int64 {
        get { mark.withLock { $0 } }
        set { mark.withLock { $0 = newValue } }
    }
}
