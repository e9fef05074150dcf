import ArgumentParser
import JobLogClient
import JobLogJSON
import JobLogProtocol

/// One command's connection to the daemon. A failed call prints one clear line on
/// stderr and throws the matching `ExitCode`, so commands only handle success.
struct Session: Sendable {
    let client: JobLogClient
    /// A daemon that does not answer ends the command with 0 and no message (`--quiet-if-absent`).
    var quietIfAbsent = false

    var socketPath: String { client.socketPath }

    /// Sends a request; returns the daemon's result unchanged.
    func call<P: RPCParams>(_ method: Method, _ params: P) async throws(ExitCode) -> JSONValue {
        do {
            return try await client.callRaw(method.rawValue, params.json)
        } catch {
            throw fail(error, method)
        }
    }

    /// Sends a request and decodes its result.
    func call<P: RPCParams, R: RPCResult>(_ method: Method, _ params: P, as type: R.Type) async throws(ExitCode) -> R {
        try decode(type, from: try await call(method, params), method: method)
    }

    /// Decodes a result returned by `call`.
    func decode<R: RPCResult>(_ type: R.Type, from value: JSONValue, method: Method) throws(ExitCode) -> R {
        do {
            return try R(json: value)
        } catch {
            throw fail(.badResponse(error.description), method)
        }
    }

    /// Prints what went wrong and returns the exit code for it.
    func fail(_ error: JobLogClientError, _ method: Method) -> ExitCode {
        let report = ClientErrorReport(error: error, method: method, socketPath: socketPath)
        if quietIfAbsent, report.exitCode == ExitStatus.unavailable { return .success }
        Console.error("joblog: " + report.message)
        return report.exitCode
    }

    /// Waits briefly for everything sent to be acknowledged, then closes the connection.
    func close() {
        client.close(timeout: .seconds(2))
    }
}
