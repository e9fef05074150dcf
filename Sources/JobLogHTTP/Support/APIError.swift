import Hummingbird
import JobLogJSON
import JobLogProtocol

/// An error that renders itself: `{"error":{code,message,data}}` with the socket's JSON-RPC
/// error object, and the HTTP status the issue maps its code to.
struct APIError: HTTPResponseError {
    let error: RPCError
    let status: HTTPResponse.Status
    var headers: HTTPFields = [:]

    init(_ error: RPCError, status: HTTPResponse.Status? = nil, headers: HTTPFields = [:]) {
        self.error = error
        self.status = status ?? Self.status(for: error)
        self.headers = headers
    }

    /// The status for a socket error code.
    static func status(for error: RPCError) -> HTTPResponse.Status {
        switch error.code {
        case RPCErrorCode.unknownRun: .notFound
        case RPCErrorCode.runFinished: .conflict
        case RPCErrorCode.invalidParams, RPCErrorCode.invalidRequest, RPCErrorCode.parseError: .badRequest
        case RPCErrorCode.notPermitted: .forbidden
        case RPCErrorCode.storeUnavailable, RPCErrorCode.shuttingDown, RPCErrorCode.tooManyConnections:
            .serviceUnavailable
        case RPCErrorCode.unknownSubscription: .notFound
        default: .internalServerError
        }
    }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var response = JSONBody.response(.object(JSONObject([("error", error.json)])), status: status)
        response.headers.append(contentsOf: headers)
        return response
    }

    /// Missing or wrong token.
    static let unauthorized = APIError(
        RPCError(
            code: RPCErrorCode.notPermitted, message: "unauthorized",
            data: .object(
                JSONObject([("reason", .string("missing or wrong token: send Authorization: Bearer TOKEN"))]))),
        status: .unauthorized, headers: [.wwwAuthenticate: "Bearer"])

    /// No such path.
    static func notFound(_ path: String) -> APIError {
        APIError(
            RPCError(
                code: RPCErrorCode.methodNotFound, message: "not found",
                data: .object(JSONObject([("path", .string(path))]))),
            status: .notFound)
    }

    /// A method the path does not take (`allow`: the ones it does).
    static func methodNotAllowed(_ method: HTTPRequest.Method, allow: String = "GET, HEAD") -> APIError {
        APIError(
            RPCError(
                code: RPCErrorCode.invalidRequest, message: "method not allowed",
                data: .object(JSONObject([("method", .string(method.rawValue)), ("allow", .string(allow))]))),
            status: .methodNotAllowed, headers: [.allow: allow])
    }

    /// A write from a page of another origin (``OriginCheck``).
    static func crossOrigin(_ reason: String) -> APIError {
        APIError(
            RPCError(
                code: RPCErrorCode.notPermitted, message: "cross-origin request refused",
                data: .object(JSONObject([("reason", .string(reason))]))),
            status: .forbidden)
    }

    /// A write whose body is not declared `application/json`.
    static func unsupportedMediaType(_ contentType: String?) -> APIError {
        APIError(
            RPCError(
                code: RPCErrorCode.invalidRequest, message: "unsupported media type",
                data: .object(
                    JSONObject([
                        ("contentType", .string(orNull: contentType)), ("accept", .string("application/json")),
                    ]))),
            status: .unsupportedMediaType)
    }

    /// A request body over `maxBytes`.
    static func bodyTooLarge(maxBytes: Int) -> APIError {
        APIError(
            RPCError(
                code: RPCErrorCode.invalidRequest, message: "body too large",
                data: .object(JSONObject([("maxBodyBytes", .int(Int64(maxBytes)))]))),
            status: .contentTooLarge)
    }
}
