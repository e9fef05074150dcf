import Foundation
import JobLogProtocol
import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// `joblog run --capture`: reads the child's stdout and stderr through pipes, passes
/// the bytes through to joblog's own stdout and stderr at once, and hands each
/// complete line to `onLine` (on the reader's thread).
final class OutputCapture: Sendable {
    /// Which stream a line came from.
    enum Stream: Sendable {
        case stdout
        case stderr
    }

    /// The write ends, for the child's descriptors 1 and 2.
    let childStdout: Int32
    let childStderr: Int32
    private let readEnds: [Int32]
    private let onLine: @Sendable (Stream, String) -> Void
    private let readersLeft = Mutex(2)

    /// Creates the pipes (close-on-exec, so only the child's dup2'ed copies are inherited).
    init(onLine: @escaping @Sendable (Stream, String) -> Void) throws(ChildProcess.SpawnError) {
        var out: [Int32] = [-1, -1]
        var err: [Int32] = [-1, -1]
        guard pipe(&out) == 0, pipe(&err) == 0 else {
            throw ChildProcess.SpawnError(code: errno)
        }
        for fd in out + err { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        childStdout = out[1]
        childStderr = err[1]
        readEnds = [out[0], err[0]]
        self.onLine = onLine
    }

    /// Starts reading, once the child holds the write ends (joblog closes its copies).
    func start() {
        close(childStdout)
        close(childStderr)
        for (fd, stream) in zip(readEnds, [Stream.stdout, .stderr]) {
            let thread = Thread { [self] in
                pump(fd, stream)
                readersLeft.withLock { $0 -= 1 }
            }
            thread.name = "joblog-capture"
            thread.start()
        }
    }

    /// Waits until both streams ended (every writer closed them), for at most `timeout`:
    /// a background process the command left behind may keep them open.
    func finish(timeout: Duration = .seconds(2)) async {
        let deadline = ContinuousClock.now + timeout
        while readersLeft.withLock({ $0 }) > 0, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Closes the pipes without reading them (the child could not be started).
    func abandon() {
        for fd in [childStdout, childStderr] + readEnds { close(fd) }
    }

    private func pump(_ fd: Int32, _ stream: Stream) {
        let passThrough: Int32 = stream == .stdout ? 1 : 2
        var splitter = LineSplitter()
        var chunk = [UInt8](repeating: 0, count: 64 * 1024)
        while true {
            let n = chunk.withUnsafeMutableBytes { read(fd, $0.baseAddress, $0.count) }
            if n < 0, errno == EINTR { continue }
            guard n > 0 else { break }
            Console.write(passThrough, chunk[..<n])
            for line in splitter.append(chunk[..<n]) { deliver(line, stream) }
        }
        if let last = splitter.finish() { deliver(last, stream) }
        close(fd)
    }

    private func deliver(_ line: [UInt8], _ stream: Stream) {
        var text = String(decoding: line, as: UTF8.self)
        // Invalid UTF-8 grows when replaced; keep the entry within the daemon's message limit.
        if text.utf8.count > LogParams.maxMessageBytes {
            text = String(decoding: text.utf8.prefix(LogParams.maxMessageBytes - 4), as: UTF8.self)
        }
        // Blank lines carry nothing worth an entry.
        guard !text.allSatisfy(\.isWhitespace) else { return }
        onLine(stream, text)
    }
}
