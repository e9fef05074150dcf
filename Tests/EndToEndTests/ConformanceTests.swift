import Foundation
import JobLogJSON
import JobLogTestSupport
import Testing

/// Every `Spec/conformance` vector, replayed against a live daemon (a fresh one per file).
@Suite struct ConformanceTests {
    @Test(arguments: ConformanceVector.files())
    func replay(file: String) throws {
        let vectors = try ConformanceVector.load(file)
        #expect(!vectors.isEmpty)
        let daemon = try TestDaemon()
        let client = try daemon.connect()
        var matcher = ConformanceMatcher()
        for vector in vectors {
            try client.sendBytes(matcher.substitute(vector.send) + [0x0A])
            guard let expect = vector.expect else { continue }
            guard let line = try client.readLine() else { throw TestFailure("\(vector.name): connection closed") }
            let got = try JSONParser.parse(Array(line.utf8))
            let mismatch = matcher.match(expect, got, topLevel: true)
            #expect(
                mismatch == nil,
                "\(URL(fileURLWithPath: file).lastPathComponent) «\(vector.name)»: \(mismatch ?? "")\n  got: \(line)")
        }
        // Whatever was not answered must not be answered late: the next line answers this ping.
        try client.send(#"{"jsonrpc":"2.0","method":"ping","id":"final"}"#)
        let last = try client.readLine() ?? ""
        #expect(last.contains(#""id":"final""#), "an unexpected line: \(last)")
    }
}
