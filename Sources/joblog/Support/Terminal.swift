import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The size of the terminal on stdout.
enum Terminal {
    /// Columns: from the terminal, else `$COLUMNS`, else 80.
    static var columns: Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        if let text = ProcessInfo.processInfo.environment["COLUMNS"], let n = Int(text), n > 0 { return n }
        return 80
    }

    /// Rows: from the terminal, else `$LINES`, else 24.
    static var rows: Int {
        var size = winsize()
        if ioctl(1, UInt(TIOCGWINSZ), &size) == 0, size.ws_row > 0 { return Int(size.ws_row) }
        if let text = ProcessInfo.processInfo.environment["LINES"], let n = Int(text), n > 0 { return n }
        return 24
    }
}
