import Hummingbird
import JobLogJSON
import JobLogProtocol
import JobLogServer

/// `POST /api/admin/jobs/{jobRunId}/cancel`, the API's only write: the socket's `cancelRun`
/// with `jobRunId` from the path and `reason`, `graceMs` from a JSON body (both optional,
/// validated by the method itself). The token and the origin are checked before it
/// (``AccessMiddleware``, ``OriginCheck``); here the body must be declared JSON (`415`
/// otherwise, so a plain HTML form cannot post), at most ``maxBodyBytes`` (`413`), and a JSON
/// object (`400`). The caller acts as the daemon's own identity (an administrator, as the
/// token holder is), so the answer is the socket's: `{"run":…}`, or `404` for an unknown
/// run, `409` with `-32002` for a finished one.
struct CancelRoute: Sendable {
    let session: LocalSession

    /// Room for a 1 KiB reason written entirely in `\uXXXX` escapes, and `graceMs`.
    static let maxBodyBytes = 8192

    func add<Context: RequestContext>(to router: Router<Context>) {
        router.post("/api/admin/jobs/{jobRunId}/cancel") { request, context in
            try await cancel(request, jobRunId: try context.parameters.require("jobRunId"))
        }
    }

    private func cancel(_ request: Request, jobRunId: String) async throws -> Response {
        let contentType = request.headers[.contentType]
        guard let contentType, Self.isJSON(contentType) else { throw APIError.unsupportedMediaType(contentType) }
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch let error as HTTPResponseError where error.status == .contentTooLarge {
            throw APIError.bodyTooLarge(maxBytes: Self.maxBodyBytes)
        }
        var params = JSONObject([("jobRunId", .string(jobRunId))])
        for (key, value) in try Self.members(Array(buffer: body)) where key != "jobRunId" {
            params.append(key, value)
        }
        switch await session.call(.cancelRun, params).result {
        case .success(let value): return JSONBody.response(value)
        case .failure(let error): throw APIError(error)
        }
    }

    /// `application/json`, with or without parameters (`; charset=utf-8`).
    static func isJSON(_ contentType: String) -> Bool {
        let type = contentType.prefix { $0 != ";" }.filter { $0 != " " && $0 != "\t" }
        return type.lowercased() == "application/json"
    }

    /// The body's members; an empty body is `{}`.
    static func members(_ bytes: [UInt8]) throws -> [(key: String, value: JSONValue)] {
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { return [] }
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes)
        } catch {
            throw APIError(.parseError("the body is not JSON: \(error)"))
        }
        guard case .object(let object) = value else {
            throw APIError(.invalidRequest(#"the body must be a JSON object: {"reason":…,"graceMs":…}"#))
        }
        return object.members
    }
}
