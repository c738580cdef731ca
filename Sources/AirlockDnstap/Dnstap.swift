import AirlockEvents

/// One dnstap record (dnstap.proto's `Dnstap` with its `Message`), the fields Airlock reads.
///
/// Decoded by hand: protobuf's wire format is four encodings (varint, 64-bit, length-delimited,
/// 32-bit) and dnstap's schema is two flat messages, so a reader of ~100 lines in safe Swift does the
/// job without generated C (protobuf-c) crossing into the process, and it is fuzzable like the other
/// parsers. Unknown fields are skipped, as protobuf requires; wrong wire types are errors.
public struct DnstapRecord: Sendable, Equatable {
    /// dnstap.Message.Type: what a resolver saw.
    public enum MessageType: UInt32, Sendable {
        case authQuery = 1, authResponse, resolverQuery, resolverResponse, clientQuery, clientResponse
        case forwarderQuery, forwarderResponse, stubQuery, stubResponse, toolQuery, toolResponse
        case updateQuery, updateResponse

        /// Queries and responses between clients and the resolver: the sandbox's own traffic. The
        /// resolver's own iterative queries (resolver/forwarder/auth) are reported too, RD clear.
        public var isQuery: Bool { rawValue % 2 == 1 }
    }

    public var identity: String?
    public var type: MessageType?
    /// UDP or TCP as the DNS message travelled (DoT, DoH and DoQ count as TCP for the engine).
    public var transport: Transport = .udp
    public var queryAddress: IPAddress?
    public var responseAddress: IPAddress?
    public var queryPort: UInt16 = 0
    public var responsePort: UInt16 = 0
    public var queryTime: Timestamp?
    public var responseTime: Timestamp?
    public var queryMessage: [UInt8]?
    public var responseMessage: [UInt8]?

    public init() {}

    public enum DecodeError: Error, Equatable, CustomStringConvertible {
        case truncated(field: UInt64)
        case badWireType(field: UInt64, wireType: UInt64)
        case varintTooLong

        public var description: String {
            switch self {
            case .truncated(let f): return "protobuf field \(f) runs past the end"
            case .badWireType(let f, let w): return "protobuf field \(f) has wire type \(w)"
            case .varintTooLong: return "protobuf varint longer than 10 bytes"
            }
        }
    }

    /// Decodes one serialised `Dnstap` message (a Frame Streams data frame).
    public static func decode(_ bytes: [UInt8]) throws(DecodeError) -> DnstapRecord {
        var record = DnstapRecord()
        var reader = ProtobufReader(bytes, 0..<bytes.count)
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .bytes(let r)): record.identity = String(decoding: bytes[r], as: UTF8.self)
            case (14, .bytes(let r)): try record.decodeMessage(bytes, r)
            case (1, _), (14, _): throw .badWireType(field: field, wireType: value.wireType)
            default: break
            }
        }
        return record
    }

    private mutating func decodeMessage(_ bytes: [UInt8], _ range: Range<Int>) throws(DecodeError) {
        var reader = ProtobufReader(bytes, range)
        var querySeconds: UInt64?, queryNanos: UInt32 = 0, responseSeconds: UInt64?, responseNanos: UInt32 = 0
        while let (field, value) = try reader.next() {
            switch (field, value) {
            case (1, .varint(let v)): type = MessageType(rawValue: UInt32(truncatingIfNeeded: v))
            case (3, .varint(let v)): transport = v == 1 ? .udp : .tcp
            case (4, .bytes(let r)): queryAddress = IPAddress(bytes: bytes[r])
            case (5, .bytes(let r)): responseAddress = IPAddress(bytes: bytes[r])
            case (6, .varint(let v)): queryPort = UInt16(truncatingIfNeeded: v)
            case (7, .varint(let v)): responsePort = UInt16(truncatingIfNeeded: v)
            case (8, .varint(let v)): querySeconds = v
            case (9, .fixed32(let v)): queryNanos = v
            case (10, .bytes(let r)): queryMessage = Array(bytes[r])
            case (12, .varint(let v)): responseSeconds = v
            case (13, .fixed32(let v)): responseNanos = v
            case (14, .bytes(let r)): responseMessage = Array(bytes[r])
            case (1...14, _) where field != 2 && field != 11:
                throw .badWireType(field: field, wireType: value.wireType)
            default: break  // socket_family (2), query_zone (11), policy, http_protocol, unknown
            }
        }
        if let s = querySeconds { queryTime = Timestamp(nanoseconds: Int64(s) * 1_000_000_000 + Int64(queryNanos)) }
        if let s = responseSeconds {
            responseTime = Timestamp(nanoseconds: Int64(s) * 1_000_000_000 + Int64(responseNanos))
        }
    }
}

/// Protobuf's wire format over a byte range.
struct ProtobufReader {
    enum Value {
        case varint(UInt64)
        case fixed64(UInt64)
        case bytes(Range<Int>)
        case fixed32(UInt32)

        var wireType: UInt64 {
            switch self {
            case .varint: return 0
            case .fixed64: return 1
            case .bytes: return 2
            case .fixed32: return 5
            }
        }
    }

    let bytes: [UInt8]
    var pos: Int
    let end: Int

    init(_ bytes: [UInt8], _ range: Range<Int>) {
        self.bytes = bytes
        pos = range.lowerBound
        end = range.upperBound
    }

    mutating func next() throws(DnstapRecord.DecodeError) -> (UInt64, Value)? {
        guard pos < end else { return nil }
        let key = try varint(field: 0)
        let field = key >> 3
        switch key & 7 {
        case 0: return (field, .varint(try varint(field: field)))
        case 1:
            guard end - pos >= 8 else { throw .truncated(field: field) }
            var v: UInt64 = 0
            for i in 0..<8 { v |= UInt64(bytes[pos + i]) << (8 * UInt64(i)) }
            pos += 8
            return (field, .fixed64(v))
        case 2:
            let length = try varint(field: field)
            guard length <= UInt64(end - pos) else { throw .truncated(field: field) }
            let r = pos..<(pos + Int(length))
            pos += Int(length)
            return (field, .bytes(r))
        case 5:
            guard end - pos >= 4 else { throw .truncated(field: field) }
            var v: UInt32 = 0
            for i in 0..<4 { v |= UInt32(bytes[pos + i]) << (8 * UInt32(i)) }
            pos += 4
            return (field, .fixed32(v))
        default:
            throw .badWireType(field: field, wireType: key & 7)
        }
    }

    private mutating func varint(field: UInt64) throws(DnstapRecord.DecodeError) -> UInt64 {
        var v: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard pos < end else { throw .truncated(field: field) }
            let b = bytes[pos]
            pos += 1
            guard shift < 64 else { throw .varintTooLong }
            v |= UInt64(b & 0x7F) << shift
            if b & 0x80 == 0 { return v }
            shift += 7
        }
    }
}
