import Synchronization

#if canImport(Glibc)
    import Glibc
#endif

/// Decisions as JSON lines on a file descriptor (stdout, or a file opened for appending).
///
/// Each batch is formatted by the calling thread and written with one `write` under a lock, so
/// lines from different threads never interleave.
public final class JSONLinesDecisionLog: DecisionLog {
    private let fd: Int32
    private let ownsDescriptor: Bool
    private let writeLock = Mutex<Int>(0)

    /// Logs to standard output.
    public static func standardOutput() -> JSONLinesDecisionLog { JSONLinesDecisionLog(fd: 1, owns: false) }

    /// Logs to `path`, created if needed and appended to.
    public init(path: String) throws(ProxyError) {
        let fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o640)
        guard fd >= 0 else { throw .system(call: "open \(path)", errno: errno) }
        self.fd = fd
        self.ownsDescriptor = true
    }

    private init(fd: Int32, owns: Bool) {
        self.fd = fd
        self.ownsDescriptor = owns
    }

    deinit {
        if ownsDescriptor { close(fd) }
    }

    public func write(_ records: [DNSDecisionRecord]) {
        guard !records.isEmpty else { return }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(records.count * 320)
        DecisionFormat.append(records, to: &buffer)
        writeLock.withLock { written in
            buffer.withUnsafeBytes { raw in
                var offset = 0
                while offset < raw.count {
                    let n = Glibc.write(fd, raw.baseAddress! + offset, raw.count - offset)
                    if n < 0 && errno == EINTR { continue }
                    if n <= 0 { return }
                    offset += n
                }
            }
            written += records.count
        }
    }
}
