import Foundation
import Testing

@testable import JobLogHTTP

/// The committed `Generated/WebAssets.swift` is what `Scripts/embed-web.py` makes of `Web/` now.
@Suite struct WebAssetsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func generatedFileIsUpToDate() throws {
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("WebAssets-\(getpid()).swift")
        defer { try? FileManager.default.removeItem(at: out) }
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", Self.root.appendingPathComponent("Scripts/embed-web.py").path, out.path]
        try p.run()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0)
        let fresh = try String(contentsOf: out, encoding: .utf8)
        let committed = try String(
            contentsOf: Self.root.appendingPathComponent("Sources/JobLogHTTP/Generated/WebAssets.swift"),
            encoding: .utf8)
        #expect(fresh == committed, "run: python3 Scripts/embed-web.py")
    }

    @Test func indexIsEmbeddedWithItsETag() throws {
        let index = try #require(WebAssets.files["index.html"])
        #expect(index.contentType.hasPrefix("text/html"))
        #expect(index.text.utf8.count == index.size)
        #expect(index.etag.hasPrefix("\"") && index.etag.count == 18)
    }
}
