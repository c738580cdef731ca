import AirlockEnforcement
import AirlockSystem
import Synchronization

/// Decisions as JSON lines (``DecisionFormat``) on standard output or appended to a file.
///
/// Each batch is formatted by the calling thread and handed to the ``JSONLinesFile`` as one write,
/// so lines from different threads never interleave. The format buffers are kept for the next batch
/// (one per thread writing at the same time): a batch of 256 lines is ~100 KB, and allocating it fresh
/// each time (then growing it) was a fifth of what logging every query cost.
public final class JSONLinesDecisionLog: DecisionLog {
    private let file: JSONLinesFile
    private let spareBuffers = Mutex<[[UInt8]]>([])
    /// Bytes reserved per line: a plain allowed query's line is ~400 bytes; lines with a verdict are
    /// longer and grow the buffer, which is then kept.
    private static let bytesPerLine = 512
    /// A buffer grown past this (a batch of long lines) is not kept.
    private static let largestKept = 1 << 20

    /// Logs to standard output.
    public static func standardOutput() -> JSONLinesDecisionLog { JSONLinesDecisionLog(.standardOutput()) }

    /// Logs to `path`, created if needed and appended to.
    public convenience init(path: String) throws(SystemError) {
        self.init(try JSONLinesFile(path: path))
    }

    public init(_ file: JSONLinesFile) {
        self.file = file
    }

    public func write(_ records: [DNSDecisionRecord]) {
        guard !records.isEmpty else { return }
        var buffer = spareBuffers.withLock { $0.popLast() } ?? []
        buffer.reserveCapacity(records.count * Self.bytesPerLine)
        DecisionFormat.append(records, to: &buffer)
        // A full disk or a closed descriptor loses these lines, never the decisions themselves.
        try? file.write(buffer)
        guard buffer.capacity <= Self.largestKept else { return }
        buffer.removeAll(keepingCapacity: true)
        spareBuffers.withLock { $0.append(buffer) }
    }
}
