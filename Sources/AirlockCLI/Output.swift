#if canImport(Glibc)
    import Glibc
#endif

/// Writing to stdout/stderr without the C `stderr` global (a Swift 6 concurrency error) and with
/// one buffered write per line batch, so millions of JSON lines don't cost a syscall each.
struct OutputStream: Sendable {
    let fd: Int32
    static let standardOutput = OutputStream(fd: 1)
    static let standardError = OutputStream(fd: 2)

    var isTerminal: Bool { isatty(fd) != 0 }

    func write(_ text: String) {
        var text = text
        text.withUTF8 { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = unsafe Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 {
                    if n < 0 && errno == EINTR { continue }
                    return
                }
                offset += n
            }
        }
    }

    func line(_ text: String) { write(text + "\n") }
}

/// Accumulates output and flushes it in large writes.
final class BufferedOutput {
    let stream: OutputStream
    private var buffer = ""
    private let limit = 1 << 16

    init(_ stream: OutputStream) {
        self.stream = stream
        buffer.reserveCapacity(limit + 1024)
    }

    func line(_ text: String) {
        buffer += text
        buffer += "\n"
        if buffer.utf8.count >= limit { flush() }
    }

    func flush() {
        guard !buffer.isEmpty else { return }
        stream.write(buffer)
        buffer.removeAll(keepingCapacity: true)
    }

    deinit { flush() }
}
