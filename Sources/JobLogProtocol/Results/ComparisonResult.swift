import JobLogJSON
import JobLogModel

/// `compareRuns`' result: `{comparison}`.
public struct ComparisonResult: RPCResult, Equatable {
    public var comparison: RunComparison
    public init(comparison: RunComparison) { self.comparison = comparison }

    private static func ratio(_ r: Double?) -> JSONValue {
        r.map { .double(($0 * 1000).rounded() / 1000) } ?? .null
    }

    public var json: JSONValue {
        let c = comparison
        return .object(
            JSONObject([
                (
                    "comparison",
                    .object(
                        JSONObject([
                            ("baseline", .string(c.baseline)),
                            (
                                "durationMs",
                                .object(
                                    JSONObject([
                                        ("run", .int(orNull: c.duration.run)),
                                        ("baseline", .int(orNull: c.duration.baseline)),
                                        ("ratio", Self.ratio(c.duration.ratio)),
                                    ]))
                            ),
                            (
                                "stages",
                                .array(
                                    c.stages.map { s in
                                        .object(
                                            JSONObject([
                                                ("stage", .string(s.name)), ("run", .int(orNull: s.run)),
                                                ("baseline", .int(orNull: s.baseline)), ("ratio", Self.ratio(s.ratio)),
                                            ]))
                                    })
                            ),
                            (
                                "outcome",
                                .array(
                                    c.outcome.map { o in
                                        .object(
                                            JSONObject([
                                                ("key", .string(o.name)), ("run", .int(orNull: o.run)),
                                                ("baseline", .int(orNull: o.baseline)), ("delta", .int(o.delta)),
                                            ]))
                                    })
                            ),
                        ]))
                )
            ]))
    }

    public init(json: JSONValue) throws(ResultDecodingError) {
        let r = try ResultReader(try ResultReader(json).value("comparison"), field: "comparison")
        let d = try ResultReader(try r.value("durationMs"), field: "durationMs")
        var stages: [RunComparison.Row] = []
        for v in try r.array("stages") {
            let s = try ResultReader(v, field: "stages")
            stages.append(
                RunComparison.Row(
                    name: try s.string("stage"), run: s.optionalInt("run"), baseline: s.optionalInt("baseline")))
        }
        var outcome: [RunComparison.Row] = []
        for v in try r.array("outcome") {
            let o = try ResultReader(v, field: "outcome")
            outcome.append(
                RunComparison.Row(
                    name: try o.string("key"), run: o.optionalInt("run"), baseline: o.optionalInt("baseline")))
        }
        comparison = RunComparison(
            baseline: try r.string("baseline"),
            duration: RunComparison.Row(name: "", run: d.optionalInt("run"), baseline: d.optionalInt("baseline")),
            stages: stages, outcome: outcome)
    }
}
