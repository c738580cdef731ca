import AirlockEvents

/// One packet's record header as the capture file stores it. The bytes travel beside it as a `Span`.
public struct PacketRecord: Hashable, Sendable {
    /// Position among the packets this reader delivered, from 0. With a BPF filter, packets the filter
    /// rejected are not counted, so this is not the file's frame number then.
    public var index: Int
    /// When the packet was captured, to the nanosecond where the file has it.
    public var time: Timestamp
    /// Bytes present in the file (at most the snapshot length).
    public var capturedLength: Int
    /// Bytes the packet had on the wire; larger than ``capturedLength`` when the snapshot length cut it.
    public var originalLength: Int

    public init(index: Int, time: Timestamp, capturedLength: Int, originalLength: Int) {
        self.index = index
        self.time = time
        self.capturedLength = capturedLength
        self.originalLength = originalLength
    }
}

/// How a read over a capture file ended.
public enum ReadOutcome: Hashable, Sendable, CustomStringConvertible {
    /// Every record in the file was read.
    case complete
    /// A damaged or cut-off record stopped the read. The `atPacket` packets before it were delivered;
    /// `byteOffset` is where that record starts in the file, when libpcap exposes the file position.
    case stopped(atPacket: Int, byteOffset: Int64?, reason: String)

    public var isComplete: Bool { self == .complete }

    public var description: String {
        switch self {
        case .complete:
            return "complete"
        case .stopped(let packet, let offset, let reason):
            let at = offset.map { " at byte \($0)" } ?? ""
            return "stopped after \(packet) packets\(at): \(reason)"
        }
    }
}
