import Hummingbird
import JobLogJSON

/// Turns query parameters into a socket method's params: same names, numbers in decimal.
/// Ids stay strings (the socket's spelling); other numeric fields become JSON numbers when
/// they are decimal integers, and stay strings otherwise so the method rejects them (400).
enum QueryParams {
    static func params(
        _ request: Request, strings: [String] = [], ids: [String] = [], numbers: [String] = [],
        path: [(String, String)] = []
    ) -> JSONObject {
        let query = request.uri.queryParameters
        var o = JSONObject()
        for (name, value) in path { o.append(name, .string(value)) }
        for name in strings { if let v = query[name[...]] { o.append(name, .string(String(v))) } }
        for name in ids { if let v = query[name[...]] { o.append(name, .string(String(v))) } }
        for name in numbers {
            guard let v = query[name[...]] else { continue }
            let text = String(v)
            let isDecimal = !text.isEmpty && text.count <= 20 && text.utf8.allSatisfy { $0 >= 0x30 && $0 <= 0x39 }
            o.append(name, isDecimal ? .number(text) : .string(text))
        }
        return o
    }
}
