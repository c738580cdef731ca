import AirlockEnforcement
import AirlockSystem

/// Decisions as JSON lines on standard output or appended to a file: one write per batch through
/// the ``JSONLinesFile``, so lines from different threads (and from the DNS log sharing the file)
/// never interleave mid-line.
public final class JSONLinesHTTPDecisionLog: HTTPDecisionLog {
    private let file: JSONLinesFile

    public static func standardOutput() -> JSONLinesHTTPDecisionLog { JSONLinesHTTPDecisionLog(.standardOutput()) }

    public convenience init(path: String) throws(SystemError) {
        self.init(try JSONLinesFile(path: path))
    }

    public init(_ file: JSONLinesFile) {
        self.file = file
    }

    public func write(_ records: [HTTPDecisionRecord]) {
        guard !records.isEmpty else { return }
        var buffer: [UInt8] = []
        buffer.reserveCapacity(records.count * 400)
        for record in records { HTTPDecisionFormat.append(record, to: &buffer) }
        try? file.write(buffer)
    }
}
