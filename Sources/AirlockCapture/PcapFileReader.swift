import AirlockEvents

/// Reads a pcap or pcapng file through libpcap and hands each packet's bytes out without copying.
///
/// The reader is single-pass: once ``forEachPacket(_:)`` returns, later calls deliver nothing and report
/// the same outcome. Timestamps are read at nanosecond precision whatever the file stores.
public final class PcapFileReader {
    /// The file this reader was opened on, for messages.
    public let path: String
    /// The file's link-layer type (a `DLT_` value, e.g. 1 for Ethernet, 276 for Linux SLL2).
    public let linkType: Int32
    /// The capture's snapshot length: no record holds more bytes than this.
    public let snapshotLength: Int
    /// The BPF filter applied while reading, if any.
    public let filter: String?

    private let handle: LibpcapHandle
    private var delivered = 0
    private var finished: ReadOutcome?
    /// Where the next record starts, tracked by arithmetic for classic pcap read without a filter
    /// (24-byte file header, 16-byte record headers): asking the OS (ftello) costs a syscall a packet.
    private var nextRecordOffset: Int64?

    /// Opens `path`; with `filter`, only packets matching that BPF expression (tcpdump syntax) are read.
    public init(path: String, filter: String? = nil) throws(CaptureError) {
        let handle = try LibpcapHandle.openOffline(path: path)
        if let filter {
            if let message = handle.setFilter(filter) {
                throw .badFilter(path: path, filter: filter, message: message)
            }
        }
        self.path = path
        self.handle = handle
        self.linkType = handle.linkType
        self.snapshotLength = handle.snapshotLength
        self.filter = filter
        if filter == nil, handle.fileOffset == 24 { nextRecordOffset = 24 }
    }

    /// The link type's libpcap name, e.g. `EN10MB` or `LINUX_SLL2`.
    public var linkTypeName: String { LibpcapHandle.name(ofLinkType: linkType) }

    /// Calls `body` with each packet in file order. The span points into libpcap's buffer and is valid
    /// only during that call. An error thrown by `body` ends the read and is rethrown; a damaged or
    /// truncated file ends it with ``ReadOutcome/stopped(atPacket:byteOffset:reason:)``.
    public func forEachPacket<E: Error>(
        _ body: (PacketRecord, Span<UInt8>) throws(E) -> Void
    ) throws(E) -> ReadOutcome {
        if let finished { return finished }
        while true {
            let offsetBefore = nextRecordOffset ?? handle.fileOffset
            let outcome = try handle.next { (seconds, nanoseconds, captured, original, bytes) throws(E) in
                let record = PacketRecord(
                    index: delivered,
                    time: Timestamp(nanoseconds: seconds * 1_000_000_000 + nanoseconds),
                    capturedLength: captured, originalLength: original)
                delivered += 1
                if let offset = nextRecordOffset {
                    // libpcap cuts records longer than the snapshot length and skips the rest of their
                    // bytes, so `captured` no longer says where the next record starts: ask the file.
                    nextRecordOffset = captured < snapshotLength ? offset + 16 + Int64(captured) : handle.fileOffset
                }
                try body(record, bytes)
            }
            switch outcome {
            case .packet:
                continue
            case .endOfFile:
                finished = .complete
            case .failed(let message):
                finished = .stopped(atPacket: delivered, byteOffset: offsetBefore, reason: message)
            }
            return finished!
        }
    }
}
