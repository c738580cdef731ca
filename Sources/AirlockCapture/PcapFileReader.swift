import AirlockEvents

#if canImport(Glibc)
    import Glibc
#endif

/// Reads a pcap or pcapng file through libpcap and hands each packet's bytes out without copying.
///
/// A gzip-compressed file (`.pcap.gz`, `.pcapng.gz`: recognised by its magic bytes, not its name)
/// and standard input (path `-`, compressed or not) are inflated by zlib on a thread of their own
/// (``GzipStream``) and read by libpcap as a stream; a damaged gzip member ends the read like a
/// damaged record, with zlib's reason.
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

    /// The file's size in bytes (compressed size for gzip), when it is a regular file: for progress.
    public let totalBytes: Int64?

    private let handle: LibpcapHandle
    /// The inflating thread, for gzip files and standard input.
    private let gzip: GzipStream?
    private var delivered = 0
    private var finished: ReadOutcome?
    /// Where the next record starts, tracked by arithmetic for classic pcap read without a filter
    /// (24-byte file header, 16-byte record headers): asking the OS (ftello) costs a syscall a packet.
    private var nextRecordOffset: Int64?

    /// Opens `path`; with `filter`, only packets matching that BPF expression (tcpdump syntax) are read.
    public init(path: String, filter: String? = nil) throws(CaptureError) {
        let handle: LibpcapHandle
        if path == "-" {
            let input = dup(0)
            guard input >= 0 else { throw .unreadable(path: path, message: String(cString: strerror(errno))) }
            totalBytes = Self.regularFileSize(input)
            let stream = try GzipStream(sourceDescriptor: input)
            gzip = stream
            handle = try LibpcapHandle.openStream(descriptor: stream.readDescriptor, path: "standard input")
        } else if Self.isGzip(path) {
            let input = open(path, O_RDONLY | O_CLOEXEC)
            guard input >= 0 else { throw .unreadable(path: path, message: String(cString: strerror(errno))) }
            totalBytes = Self.regularFileSize(input)
            let stream = try GzipStream(sourceDescriptor: input)
            gzip = stream
            handle = try LibpcapHandle.openStream(descriptor: stream.readDescriptor, path: path)
        } else {
            handle = try LibpcapHandle.openOffline(path: path)
            gzip = nil
            var status = stat()
            totalBytes = stat(path, &status) == 0 ? Int64(status.st_size) : nil
        }
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
        if filter == nil, gzip == nil, handle.fileOffset == 24 { nextRecordOffset = 24 }
    }

    /// Bytes of the file read so far (compressed bytes for gzip), for progress; nil when unknown.
    public var bytesRead: Int64? { gzip?.consumed ?? nextRecordOffset ?? handle.fileOffset }

    /// True when the file starts with gzip's magic bytes (1f 8b).
    static func isGzip(_ path: String) -> Bool {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var magic: [UInt8] = [0, 0]
        let n = magic.withUnsafeMutableBytes { raw in unsafe read(fd, raw.baseAddress, 2) }
        return n == 2 && magic == [0x1F, 0x8B]
    }

    static func regularFileSize(_ fd: Int32) -> Int64? {
        var status = stat()
        guard fstat(fd, &status) == 0, (status.st_mode & S_IFMT) == S_IFREG else { return nil }
        return Int64(status.st_size)
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
                if let failure = gzip?.failure {
                    finished = .stopped(atPacket: delivered, byteOffset: nil, reason: "gzip: " + failure)
                } else {
                    finished = .complete
                }
            case .failed(let message):
                if let failure = gzip?.failure {
                    finished = .stopped(atPacket: delivered, byteOffset: nil, reason: "gzip: " + failure)
                } else {
                    finished = .stopped(atPacket: delivered, byteOffset: gzip == nil ? offsetBefore : nil, reason: message)
                }
            }
            return finished!
        }
    }
}
