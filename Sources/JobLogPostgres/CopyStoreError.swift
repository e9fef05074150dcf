/// Why `joblogd copy-store` stopped, in words for the person who ran it.
public enum CopyStoreError: Error, CustomStringConvertible {
    /// The source is not a joblogd SQLite store this version can read.
    case source(String)
    /// The target cannot be used (unreachable, a newer schema, TLS asked for).
    case target(String)
    /// The target already holds rows that are not a copy of this source.
    case foreignRows(String)
    /// The counts after the copy differ (one line per table that differs).
    case mismatch([String])
    /// `--stop-after-batches` was reached (tests: an interrupted copy).
    case stopped(batches: Int)

    public var description: String {
        switch self {
        case .source(let why), .target(let why), .foreignRows(let why): why
        case .mismatch(let lines):
            "the copy does not match its source:\n" + lines.map { "  " + $0 }.joined(separator: "\n")
        case .stopped(let batches): "stopped after \(batches) batches, as asked (run the same command again to go on)"
        }
    }
}
