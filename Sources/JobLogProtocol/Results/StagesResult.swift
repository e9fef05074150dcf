import JobLogJSON
import JobLogModel

/// `getStages`' result: `{stages}`, oldest first.
public struct StagesResult: RPCResult, Equatable {
    public var stages: [StageSpan]
    public init(stages: [StageSpan]) { self.stages = stages }

    public var json: JSONValue {
        .object(
            JSONObject([
                (
                    "stages",
                    .array(
                        stages.map { s in
                            .object(
                                JSONObject([
                                    ("stage", .string(s.stage)), ("message", .string(orNull: s.message)),
                                    ("startedAt", .timestamp(s.startedAt)), ("finishedAt", .timestamp(s.finishedAt)),
                                    ("durationMs", .int(orNull: s.durationMs)),
                                    ("progressAtStart", .int(orNull: s.progressAtStart)),
                                    ("progressAtEnd", .int(orNull: s.progressAtEnd)),
                                ]))
                        })
                )
            ]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        var out: [StageSpan] = []
        for v in try ResultReader(json).array("stages") {
            let r = try ResultReader(v, field: "stages")
            out.append(
                StageSpan(
                    stage: try r.string("stage"), message: r.optionalString("message"),
                    startedAt: try r.timestamp("startedAt"), finishedAt: r.optionalTimestamp("finishedAt"),
                    progressAtStart: r.optionalInt("progressAtStart"), progressAtEnd: r.optionalInt("progressAtEnd")))
        }
        stages = out
    }
}
