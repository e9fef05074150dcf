import Foundation
import Testing

@testable import JobLogJSON

@Suite struct JSONParserTests {
    func parse(_ s: String, rawDepth: Int = 0) throws -> JSONValue {
        try JSONParser.parse(Array(s.utf8), rawDepth: rawDepth)
    }

    @Test func scalarsAndContainers() throws {
        #expect(try parse("null") == .null)
        #expect(try parse(" true ") == .bool(true))
        #expect(try parse("-1.50e+3") == .number("-1.50e+3"))
        #expect(try parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) == .string("a\"\\/\u{8}\u{c}\n\r\té😀"))
        let o = try parse(#"{"a":[1,{"b":null}],"c":"d"}"#)
        #expect(o.objectValue?["c"] == .string("d"))
        #expect(o.objectValue?["a"]?.arrayValue?.count == 2)
    }

    @Test func rawDepthKeepsText() throws {
        let v = try parse(#"{"params":{"context":{ "k" : [1, 2] },"n":1}}"#, rawDepth: 3)
        guard case .raw(let r)? = v.objectValue?["params"]?.objectValue?["context"] else {
            Issue.record("context was not kept raw")
            return
        }
        #expect(r.text == #"{ "k" : [1, 2] }"#)
        #expect(r.depth == 2)
        #expect(r.isObject)
        #expect(r.parsed()?.objectValue?["k"]?.arrayValue?.count == 2)
    }

    @Test(arguments: [
        "", " ", "{", "[1,]", "{\"a\":1,}", "01", "1.", "-", "1e", "tru", "\"abc", "\"\\x\"", "\"\\ud800\"",
        "{\"a\" 1}", "[1 2]", "nul", "\"a\u{1}\"", "{} {}", "[\"\\u12\"]", "{\"a\":{\"b\":1,}}",
    ])
    func rejects(_ text: String) {
        #expect(throws: JSONParseError.self) { try parse(text) }
        #expect(throws: JSONParseError.self) { try parse("{\"x\":\(text)}", rawDepth: 2) }
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONParseError.self) { try parse(deep) }
        #expect(throws: JSONParseError.self) { try parse("{\"a\":" + deep, rawDepth: 2) }
        let ok = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect((try? parse(ok)) != nil)
        let tooDeep = String(repeating: "[", count: 600) + String(repeating: "]", count: 600)
        #expect(throws: JSONParseError.self) { try parse(tooDeep) }
        #expect(throws: JSONParseError.self) { try parse("{\"a\":" + tooDeep + "}", rawDepth: 2) }
    }

    @Test func invalidUTF8() {
        for bad: [UInt8] in [
            [0x22, 0xFF, 0x22], [0x22, 0xC0, 0xAF, 0x22], [0x22, 0xED, 0xA0, 0x80, 0x22],
            [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], [0x22, 0xE2, 0x82, 0x22],
        ] {
            #expect(throws: JSONParseError.self) { try JSONParser.parse(bad) }
        }
        #expect((try? JSONParser.parse(Array("\"é€😀\"".utf8))) == .string("é€😀"))
    }

    @Test func writerRoundTrips() throws {
        let value = JSONValue.object(
            JSONObject([
                ("s", .string("quote\" back\\ nl\n tab\t nul\u{0} bell\u{7} é")), ("n", .number("1.50")),
                ("a", .array([.null, .bool(false)])),
            ]))
        let text = JSONWriter.string(value)
        #expect(!text.contains("\n"))
        #expect(try parse(text) == value)
    }

    /// Found by Fuzz/run.sh: an object with a duplicate key was not equal to itself.
    @Test func duplicateKeysCompareAsLookupsSeeThem() throws {
        let twice = try parse(#"{"a":"b","a":"c"}"#)
        #expect(twice == twice)
        #expect(twice == (try parse(#"{"a":"c"}"#)))
        #expect(twice != (try parse(#"{"a":"b"}"#)))
        #expect(try parse(#"{"a":1,"b":2}"#) == (try parse(#"{"b":2,"a":1}"#)))
        #expect(try parse(#"{"a":1}"#) != (try parse(#"{"a":1,"b":2}"#)))
    }

    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent(
            "shared/testdata/JSONTestSuite/test_parsing")

    /// The public JSON test corpus: every `y_` parses, every `n_` is rejected, no `i_` crashes.
    @Test(
        .enabled(
            if: FileManager.default.fileExists(atPath: corpus.path),
            "the JSONTestSuite corpus (../shared/testdata/JSONTestSuite) is not beside the package"))
    func jsonTestSuiteCorpus() throws {
        let dir = Self.corpus
        let names = try FileManager.default.contentsOfDirectory(atPath: dir.path)
        var checked = 0
        for name in names.sorted() where name.hasSuffix(".json") {
            let bytes = Array(try Data(contentsOf: dir.appendingPathComponent(name)))
            let result = try? JSONParser.parse(bytes)
            if name.hasPrefix("y_") { #expect(result != nil, "\(name) should parse") }
            if name.hasPrefix("n_") { #expect(result == nil, "\(name) should be rejected") }
            // Also through the raw path.
            let wrapped = Array("{\"x\":".utf8) + bytes + Array("}".utf8)
            let raw = try? JSONParser.parse(wrapped, rawDepth: 2)
            if name.hasPrefix("n_") { #expect(raw == nil, "\(name) should be rejected when kept raw") }
            checked += 1
        }
        #expect(checked > 300)
    }
}
