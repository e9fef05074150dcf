import JobLogJSON
import JobLogModel
import JobLogProtocol

/// `debug`, `info`, `milestone`, `warning`, `error` (level from the name) and `log` (level as a param).
enum LogHandler {
    static func route(level: LogLevel?, _ params: ParamReader, _ context: RequestContext) throws(RPCError) -> Plan {
        let p: LogParams
        if let level {
            p = try LogParams(level: level, from: params)
        } else {
            p = try LogParams(from: params)
        }
        return .write(.log(run: p.jobRunId, level: p.level, message: p.message, context: p.context?.text), at: p.at) {
            outcome in
            switch outcome {
            case .logID(let id): return .success(LogIDResult(id: id).json)
            case .failed(let e): return .failure(RPCError(e))
            default: return .success(EmptyResult().json)
            }
        }
    }
}
