import JobLogJSON
import Testing

@testable import JobLogProtocol

/// The `incrementProgress` fast path reads a line only when the full decoder would make the same
/// notification of it; everything else goes to the full decoder.
@Suite struct IncrementLineTests {
    /// What the full decoder and the params reader make of a line: the params of a notification
    /// `incrementProgress`, or nil (an error, a request, another method).
    static func full(_ line: String) -> IncrementProgressParams? {
        guard let value = try? JSONParser.parse(Array(line.utf8), rawDepth: 3) else { return nil }
        guard case .request(let r) = RPCDecoder.message(value), r.id == nil, r.method == "incrementProgress",
            !r.positionalParams
        else { return nil }
        return try? IncrementProgressParams(from: ParamReader(r.params))
    }

    static func fast(_ line: String) -> IncrementProgressParams? {
        Array(line.utf8).withUnsafeBytes { IncrementLine.parse($0) }
    }

    static let head = #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"#

    @Test(arguments: [
        #""jobRunId":"5""#, #""jobRunId":5"#, #""jobRunId":"007""#, #""jobRunId":"123456789012345678""#,
        #""jobRunId":"5","by":3"#, #""by":0,"jobRunId":"5""#, #""jobRunId":"5","at":1733140000000"#,
        #""at":1,"by":2,"jobRunId":9"#, #""jobRunId":"5","by":999999999999999999"#,
    ])
    func canonicalLinesAreReadAsTheFullDecoderReadsThem(params: String) throws {
        let line = Self.head + params + "}}"
        let fast = try #require(Self.fast(line))
        #expect(fast == Self.full(line))
    }

    @Test(arguments: [
        // Values the full decoder refuses or reads otherwise.
        #""jobRunId":"0""#, #""jobRunId":0"#, #""jobRunId":007"#, #""jobRunId":"1234567890123456789""#,
        #""jobRunId":"-5""#, #""jobRunId":"5","by":-1"#, #""jobRunId":"5","by":01"#, #""jobRunId":"5","by":1.0"#,
        #""jobRunId":"5","by":null"#, #""jobRunId":"5","at":null"#, #""jobRunId":"5","by":1e3"#,
        #""jobRunId":"5","by":"3""#, #""jobRunId":"5","by":1234567890123456789"#,
        // Forms left to the full decoder.
        #""jobRunId":"5","jobRunId":"6""#, #""jobRunId":"5","by":1,"by":2"#, #""jobRunId":"5","extra":1"#,
        #""jobRunId": "5""#, #""by":2"#, "", #""jobRunId":"5","#, #""jobRunId":"5\""#, #""jobRunId":"\u0035""#,
    ])
    func otherLinesAreLeftToTheFullDecoder(params: String) {
        #expect(Self.fast(Self.head + params + "}}") == nil)
    }

    @Test func envelopesOtherThanTheCanonicalAreLeftToTheFullDecoder() {
        for line in [
            #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"5"},"id":1}"#,
            #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"5"}} "#,
            #" {"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"5"}}"#,
            #"{"method":"incrementProgress","jsonrpc":"2.0","params":{"jobRunId":"5"}}"#,
            #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"5"}}}"#,
            #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"5"}"#,
            #"{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"5"}}x"#,
            #"{"jsonrpc":"2.0","method":"setProgress","params":{"jobRunId":"5"}}"#,
            #"[{"jsonrpc":"2.0","method":"incrementProgress","params":{"jobRunId":"5"}}]"#,
        ] {
            #expect(Self.fast(line) == nil, "\(line)")
        }
    }

    /// Random lines near the canonical form: whenever the fast path reads one, the full decoder
    /// reads the same params.
    @Test func nearMissesNeverDisagree() {
        var rng = SystemRandomNumberGenerator()
        let pieces = [
            #""jobRunId":"#, #""by":"#, #""at":"#, "\"", "5", "0", "9", "-", ",", "}", "{", " ", "null", "1.5", "e",
            "123456789", #""x":"#,
        ]
        var agreed = 0
        for _ in 0..<20_000 {
            var params = ""
            for _ in 0..<Int.random(in: 1...8, using: &rng) { params += pieces.randomElement(using: &rng)! }
            let line = Self.head + params + "}}"
            if let fast = Self.fast(line) {
                #expect(fast == Self.full(line), "\(line)")
                agreed += 1
            }
        }
        #expect(agreed > 0)
    }
}
