import JobLogJSON
import JobLogModel
import Testing

@testable import JobLogProtocol

@Suite struct RPCDecoderTests {
    func decode(_ s: String) -> IncomingLine { RPCDecoder.decode(line: Array(s.utf8)) }

    @Test func requestAndNotification() {
        guard
            case .single(.request(let r)) = decode(
                #"{"jsonrpc":"2.0","method":"info","params":{"jobRunId":"3","message":"m","context":{"a":[1]}},"id":"x"}"#
            )
        else {
            Issue.record("not a request")
            return
        }
        #expect(r.method == "info")
        #expect(r.id == .string("x"))
        guard case .raw(let ctx)? = r.params["context"] else {
            Issue.record("context not raw")
            return
        }
        #expect(ctx.text == #"{"a":[1]}"#)
        guard case .single(.request(let n)) = decode(#"{"jsonrpc":"2.0","method":"ping"}"#) else {
            Issue.record("not a notification")
            return
        }
        #expect(n.isNotification)
    }

    @Test func blankAndErrors() {
        if case .blank = decode(" \t\r") {} else { Issue.record("blank") }
        if case .failure(let e) = decode("{") { #expect(e.code == -32700) } else { Issue.record("parse error") }
        if case .failure(let e) = decode("[]") { #expect(e.code == -32600) } else { Issue.record("empty batch") }
        if case .single(.invalid(let e, let id)) = decode(#"{"jsonrpc":"2.0","method":5,"id":9}"#) {
            #expect(e.code == -32600)
            #expect(id == .number("9"))
        } else {
            Issue.record("invalid request")
        }
        if case .batch(let members) = decode(#"[1,{"jsonrpc":"2.0","method":"ping","id":1}]"#) {
            #expect(members.count == 2)
        } else {
            Issue.record("batch")
        }
    }

    @Test func paramsValidation() throws {
        func params(_ s: String) -> ParamReader {
            ParamReader((try? JSONParser.parse(Array(s.utf8), rawDepth: 2))?.objectValue ?? JSONObject())
        }
        let ok = try StartRunParams(from: params(#"{"jobName":"j","params":{"k":1},"pid":42}"#))
        #expect(ok.trigger == "MANUAL" && ok.scope == "system" && ok.pid == 42 && ok.params.text == #"{"k":1}"#)
        #expect(throws: RPCError.invalidParams(field: "jobName", reason: "required")) {
            try StartRunParams(from: params("{}"))
        }
        #expect(throws: RPCError.invalidParams(field: "jobRunId", reason: "must be an integer")) {
            try RunParams(from: params(#"{"jobRunId":"12a"}"#))
        }
        #expect(throws: RPCError.invalidParams(field: "jobRunId", reason: "out of range")) {
            try RunParams(from: params(#"{"jobRunId":"99999999999999999999"}"#))
        }
        #expect(try RunParams(from: params(#"{"jobRunId":"77"}"#)).jobRunId == 77)
        #expect(try GetLogsParams(from: params(#"{"jobRunId":1,"afterId":0}"#)).afterId == 0)
        let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)
        #expect(throws: RPCError.invalidParams(field: "context", reason: "too deep")) {
            try LogParams(level: .info, from: params(#"{"jobRunId":1,"message":"m","context":{"a":\#(deep)}}"#))
        }
        let big = String(repeating: "x", count: 70_000)
        #expect(throws: RPCError.invalidParams(field: "context", reason: "too long")) {
            try LogParams(level: .info, from: params(#"{"jobRunId":1,"message":"m","context":{"a":"\#(big)"}}"#))
        }
        let finish = try FinishRunParams(
            from: params(#"{"jobRunId":1,"status":"FAILED","error":{"message":"m","stack":"s"}}"#))
        #expect(finish.errorMessage == "m" && finish.errorStack == "s")
    }

    @Test func encodesRequestsAndResponses() throws {
        let req = RPCRequest(.setTotal, SetTotalParams(jobRunId: 5, total: 10, unit: "u"), id: nil)
        #expect(
            String(decoding: req.line, as: UTF8.self)
                == #"{"jsonrpc":"2.0","method":"setTotal","params":{"jobRunId":"5","total":10,"unit":"u"}}"# + "\n")
        let ok = RPCResponse.success(EmptyResult().json, id: .number("1.50"))
        #expect(String(decoding: ok, as: UTF8.self) == #"{"jsonrpc":"2.0","result":{},"id":1.50}"#)
        guard
            case .response(let id, .failure(let e)) = try ServerMessage.decode(
                line: RPCResponse.failure(.unknownRun(3), id: .string("a")))
        else {
            Issue.record("decode")
            return
        }
        #expect(id == .string("a"))
        #expect(e == .unknownRun(3))
    }

    @Test func runInfoRoundTrips() throws {
        var counters = OutcomeCounters()
        counters.add("synced", 9)
        let run = RunInfo(
            id: 4, jobName: "j", status: .running, currentStage: "S", progressCurrent: 50, progressTotal: 100,
            startedAt: Timestamp(milliseconds: 1000), lastHeartbeatAt: Timestamp(milliseconds: 2000), outcome: counters)
        #expect(run.progressPercent == 50)
        #expect(run.progressMessage == "S (50 / 100)")
        let back = try RunInfo(json: JSONParser.parse(JSONWriter.encode(run.json)))
        #expect(back.id == 4 && back.progressTotal == 100 && back.outcome == counters && back.currentStage == "S")
        var over = run
        over.progressCurrent = Int64.max
        over.progressTotal = 3
        #expect(over.progressPercent == 100)
    }
}

@Suite struct WatchEventTests {
    @Test func sharedBodyMakesTheSameLine() throws {
        let event = WatchEvent(
            subscription: "12", jobRunId: 7, at: Timestamp(milliseconds: 0), kind: .progress(current: 3, total: nil))
        let whole = RPCResponse.notification(method: "event", params: event.params)
        #expect(event.line == whole)
        guard case .notification(let method, let params) = try ServerMessage.decode(line: event.line) else {
            Issue.record("not a notification")
            return
        }
        #expect(method == "event")
        #expect(try WatchEvent(params: params) == event)
    }
}
