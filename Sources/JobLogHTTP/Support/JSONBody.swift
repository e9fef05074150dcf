import Hummingbird
import JobLogJSON

/// JSON responses written with the protocol's own writer, so a body is byte for byte what the
/// socket would put in `result`.
enum JSONBody {
    static func response(_ value: JSONValue, status: HTTPResponse.Status = .ok) -> Response {
        var w = JSONWriter(capacity: 256)
        w.write(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json", .cacheControl: "no-store"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: w.bytes)))
    }
}
