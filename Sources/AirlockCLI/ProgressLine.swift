import AirlockReplay

/// The progress line replay and report draw on a terminal's standard error: percent of the file's
/// bytes read (compressed bytes for gzip), an ETA from the rate so far, the packet count; for a pipe,
/// whose size is unknown, bytes read and packets only. Redrawn in place (`\r`, erase line).
///
/// State: the file being read and when its first progress report arrived (the rate's start).
final class ProgressLine {
    private let stream: OutputStream
    private let clock = ContinuousClock()
    private var file = ""
    private var started = ContinuousClock.now
    private var startBytes: Int64 = 0

    init(_ stream: OutputStream) { self.stream = stream }

    func update(_ p: ReplayProgress, prefix: String = "") {
        if prefix + p.file != file {
            file = prefix + p.file
            started = clock.now
            startBytes = p.bytesRead ?? 0
        }
        stream.write("\r\u{1B}[K" + prefix + Self.text(p, elapsed: seconds(clock.now - started), startBytes: startBytes))
    }

    func clear() { stream.write("\r\u{1B}[K") }

    /// e.g. `big.pcap.gz: 42% of 283 MB, 1,245,184 packets, ETA 0:07`.
    static func text(_ p: ReplayProgress, elapsed: Double, startBytes: Int64) -> String {
        let name = p.file == "-" ? "standard input" : p.file
        var parts: [String] = []
        if let fraction = p.fraction, let total = p.totalBytes {
            parts.append("\(Int(fraction * 100))% of \(megabytes(total))")
        } else if let read = p.bytesRead {
            parts.append("\(megabytes(read)) read")
        }
        parts.append("\(p.packets) packets")
        if let fraction = p.fraction, let read = p.bytesRead, let total = p.totalBytes, elapsed > 0.05,
            read > startBytes, fraction < 1
        {
            let rate = Double(read - startBytes) / elapsed
            parts.append("ETA " + clockText(Double(total - read) / rate))
        }
        return name + ": " + parts.joined(separator: ", ")
    }

    static func megabytes(_ bytes: Int64) -> String {
        let mb = Double(bytes) / 1_000_000
        return mb < 10 ? "\(Double(Int(mb * 10)) / 10) MB" : "\(Int(mb)) MB"
    }

    /// `m:ss`, or `h:mm:ss` from an hour up.
    static func clockText(_ seconds: Double) -> String {
        let s = max(0, Int(seconds.rounded()))
        let two = { (v: Int) in v < 10 ? "0\(v)" : "\(v)" }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }

    private func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}
