import AirlockEnforcement
import AirlockSystem

/// Decisions as JSON lines (``DecisionFormat``) on standard output or appended to a file.
///
/// Each batch is formatted by the calling thread and handed to the ``JSONLinesFile`` as one write,
/// so lines from different threads never interleave.
public final class JSONLinesDecisionLog: DecisionLog {
    private let file: JSONLinesFile

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
        var buffer: [UInt8] = []
        buffer.reserveCapacity(records.count * 320)
        DecisionFormat.append(records, to: &buffer)
        // A full disk or a closed descriptor loses these lines, never the decisions themselves.
        try? file.write(buffer)
    }
}
