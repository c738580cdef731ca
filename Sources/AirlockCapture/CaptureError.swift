/// Why a capture file could not be opened or filtered. Reading problems after a successful open are not
/// errors: they end the read with ``ReadOutcome/stopped(atPacket:byteOffset:reason:)`` so the packets
/// before the damage still count.
public enum CaptureError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing exists at the path.
    case fileNotFound(path: String)
    /// The path exists but cannot be opened for reading (permissions, a directory, an I/O error).
    case unreadable(path: String, message: String)
    /// The file opened but libpcap recognises neither pcap nor pcapng in it (or its header is cut short).
    case notACapture(path: String, message: String)
    /// libpcap rejected the BPF filter expression.
    case badFilter(path: String, filter: String, message: String)

    public var description: String {
        switch self {
        case .fileNotFound(let path):
            return "capture file not found: \(path)"
        case .unreadable(let path, let message):
            return "cannot read capture file \(path): \(message)"
        case .notACapture(let path, let message):
            return "not a pcap or pcapng capture: \(path): \(message)"
        case .badFilter(let path, let filter, let message):
            return "bad capture filter \"\(filter)\" for \(path): \(message)"
        }
    }
}
