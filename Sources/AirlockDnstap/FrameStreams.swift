/// Frame Streams (the transport dnstap uses, `fstrm`): a byte stream of frames, each a 32-bit
/// big-endian length and that many bytes; a length of 0 escapes a control frame (32-bit length,
/// 32-bit type, then fields: type 1 = content type, length, bytes).
///
/// A decoder state machine in the swift-nio style: bytes in, events out, no I/O. The caller feeds
/// what it read and performs the actions: on a bidirectional connection (Unbound, Knot Resolver,
/// dnsdist and BIND connect to a socket the reader listens on) it must answer READY with ACCEPT and
/// STOP with FINISH, which ``FrameStreamDecoder/Event`` says and ``FrameStreams/control(_:contentType:)``
/// encodes.
///
/// State: ``buffer`` holds bytes not yet framed (at most one frame plus a read), ``started`` whether
/// START was seen (data frames before it are a protocol error), ``finished`` whether STOP was.
public struct FrameStreamDecoder: Sendable {
    public enum Event: Sendable, Equatable {
        /// A data frame: one serialised dnstap message.
        case data([UInt8])
        /// READY from a writer offering content types: answer ACCEPT.
        case ready(contentTypes: [String])
        /// START: data frames follow (with the content type, if the writer named one).
        case start(contentType: String?)
        /// STOP: the writer is done; on a bidirectional stream answer FINISH and close.
        case stop
        /// ACCEPT or FINISH (only a writer receives these), or an unknown control type: ignored.
        case otherControl(type: UInt32)
    }

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case frameTooLarge(Int)
        case badControlFrame(String)
        case dataBeforeStart

        public var description: String {
            switch self {
            case .frameTooLarge(let n): return "frame of \(n) bytes exceeds the limit"
            case .badControlFrame(let why): return "bad control frame: \(why)"
            case .dataBeforeStart: return "data frame before START"
            }
        }
    }

    /// The largest frame accepted: a DNS message is at most 64 KB, a dnstap record holds two of them.
    public static let maxFrame = 256 * 1024
    private var buffer: [UInt8] = []
    private var consumed = 0
    public private(set) var started = false
    /// STOP was seen: the writer is done with this stream.
    public private(set) var finished = false

    public init() {}

    /// Appends bytes that arrived.
    public mutating func feed(_ bytes: some Sequence<UInt8>) {
        if consumed > 0 && consumed >= buffer.count / 2 {
            buffer.removeFirst(consumed)
            consumed = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete frame, nil when more bytes are needed.
    public mutating func next() throws(DecodeError) -> Event? {
        guard let length = u32(at: consumed) else { return nil }
        if length != 0 {
            let n = Int(length)
            guard n <= Self.maxFrame else { throw .frameTooLarge(n) }
            guard buffer.count - consumed - 4 >= n else { return nil }
            let frame = Array(buffer[(consumed + 4)..<(consumed + 4 + n)])
            consumed += 4 + n
            guard started else { throw .dataBeforeStart }
            return .data(frame)
        }
        // Control frame: escape (0), control length, then the control frame itself.
        guard let controlLength = u32(at: consumed + 4) else { return nil }
        let n = Int(controlLength)
        guard n >= 4, n <= 4096 else { throw .badControlFrame("length \(n)") }
        guard buffer.count - consumed - 8 >= n else { return nil }
        let start = consumed + 8
        let end = start + n
        consumed = end
        let type = u32(at: start)!
        var types: [String] = []
        var pos = start + 4
        while pos < end {
            guard pos + 8 <= end, let field = u32(at: pos), let fieldLength = u32(at: pos + 4) else {
                throw .badControlFrame("truncated field")
            }
            let valueEnd = pos + 8 + Int(fieldLength)
            guard valueEnd <= end else { throw .badControlFrame("field overruns the frame") }
            if field == FrameStreams.fieldContentType {
                types.append(String(decoding: buffer[(pos + 8)..<valueEnd], as: UTF8.self))
            }
            pos = valueEnd
        }
        switch type {
        case FrameStreams.ready: return .ready(contentTypes: types)
        case FrameStreams.start:
            started = true
            return .start(contentType: types.first)
        case FrameStreams.stop:
            started = false
            finished = true
            return .stop
        default: return .otherControl(type: type)
        }
    }

    /// Bytes received but not yet framed (a stream that ends with some is cut short).
    public var pendingBytes: Int { buffer.count - consumed }

    private func u32(at i: Int) -> UInt32? {
        guard i + 4 <= buffer.count else { return nil }
        return UInt32(buffer[i]) << 24 | UInt32(buffer[i + 1]) << 16 | UInt32(buffer[i + 2]) << 8 | UInt32(buffer[i + 3])
    }
}

/// Frame Streams constants and the control frames a reader sends.
public enum FrameStreams {
    public static let accept: UInt32 = 1
    public static let start: UInt32 = 2
    public static let stop: UInt32 = 3
    public static let ready: UInt32 = 4
    public static let finish: UInt32 = 5
    public static let fieldContentType: UInt32 = 1
    /// dnstap's content type.
    public static let dnstapContentType = "protobuf:dnstap.Dnstap"

    /// A control frame with its escape: `type` and an optional content type field.
    public static func control(_ type: UInt32, contentType: String? = nil) -> [UInt8] {
        var body = be32(type)
        if let contentType {
            let bytes = Array(contentType.utf8)
            body += be32(fieldContentType) + be32(UInt32(bytes.count)) + bytes
        }
        return be32(0) + be32(UInt32(body.count)) + body
    }

    /// A data frame (for tests and writers).
    public static func data(_ payload: [UInt8]) -> [UInt8] { be32(UInt32(payload.count)) + payload }

    static func be32(_ v: UInt32) -> [UInt8] { [UInt8(v >> 24), UInt8((v >> 16) & 0xFF), UInt8((v >> 8) & 0xFF), UInt8(v & 0xFF)] }
}
