import JobLogJSON
import JobLogModel
import Testing

@testable import JobLogProtocol

/// A `log` event's body is written directly; it must be the bytes the params tree gives.
@Suite struct WatchEventBodyTests {
    @Test(
        arguments: [
            ("plain", nil, #"{}"#),
            ("quote \" backslash \\ newline \n tab \t bell \u{07}", "Stage \"1\"", #"{"a":[1,{"b":null}],"é":"ü"}"#),
            ("<img src=x onerror=alert(1)> ünïcødé 🚀", "", #"{"k":"v\n"}"#),
            ("", "s", #"{"n":-1.5e3,"t":true}"#),
        ] as [(String, String?, String)])
    func logBodyIsTheTreeBody(message: String, stage: String?, context: String) throws {
        for level in LogLevel.allCases {
            for run: Int64? in [7, nil, Int64.max] {
                let entry = LogEntry(
                    id: 123_456_789, level: level, stage: stage, message: message,
                    context: try #require(RawJSON(validating: context)),
                    createdAt: Timestamp(milliseconds: 1_704_709_800_123))
                let at = Timestamp(milliseconds: 1_704_709_800_456)
                let fast = WatchEvent.body(jobRunId: run, at: at, kind: .log(entry))
                let tree = WatchEvent.treeBody(jobRunId: run, at: at, kind: .log(entry))
                #expect(fast == tree, "\(String(decoding: fast, as: UTF8.self))")
            }
        }
    }
}
