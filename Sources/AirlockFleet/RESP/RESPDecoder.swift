/// Why a byte stream is not RESP2 (the connection is then closed and opened anew).
public enum RESPError: Error, Equatable, Sendable, CustomStringConvertible {
    /// A type byte other than `+ - : $ *`.
    case unknownType(UInt8)
    /// A length or integer that is not a decimal number.
    case badNumber
    /// A line without CR LF within ``RESPDecoder/Limits/maxLineBytes``, or a bulk string not
    /// followed by CR LF.
    case badFraming
    /// A bulk string, array or nesting beyond the limits.
    case tooLarge(String)

    public var description: String {
        switch self {
        case .unknownType(let byte): return "not RESP2: type byte 0x\(String(byte, radix: 16))"
        case .badNumber: return "not RESP2: bad length or integer"
        case .badFraming: return "not RESP2: missing CR LF"
        case .tooLarge(let what): return "reply too large: \(what)"
        }
    }
}

/// An incremental RESP2 reply decoder: bytes in as they arrive, complete values out, nothing read
/// twice (a half-received array keeps its finished elements on a stack). Bounded: every length is
/// checked against ``Limits`` before anything is allocated for it. No I/O; fuzzable.
public struct RESPDecoder: Sendable {
    public struct Limits: Sendable {
        /// Longest bulk string (Airlock's values are at most a few hundred bytes).
        public var maxBulkBytes = 1 << 20
        /// Most elements in one array (an XREVRANGE of every kept conviction).
        public var maxArrayCount = 1 << 20
        /// Deepest nesting (XREAD's reply is four levels deep).
        public var maxDepth = 8
        /// Longest `+`/`-`/`:` line or length header.
        public var maxLineBytes = 64 * 1024

        public init() {}
    }

    private struct Frame: Sendable {
        var items: [RESPValue]
        var remaining: Int
    }

    public let limits: Limits
    private var buffer: [UInt8] = []
    private var offset = 0
    private var stack: [Frame] = []

    public init(limits: Limits = Limits()) {
        self.limits = limits
    }

    /// Bytes received and not yet decoded into a value.
    public var buffered: Int { buffer.count - offset }

    public mutating func feed(_ bytes: [UInt8]) {
        if offset > 0 && offset >= buffer.count / 2 {
            buffer.removeFirst(offset)
            offset = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// The next complete top-level value, nil when more bytes are needed.
    public mutating func next() throws(RESPError) -> RESPValue? {
        while true {
            guard let value = try element() else { return nil }
            var finished = value
            while true {
                guard !stack.isEmpty else { return finished }
                stack[stack.count - 1].items.append(finished)
                stack[stack.count - 1].remaining -= 1
                guard stack[stack.count - 1].remaining == 0 else { break }
                finished = .array(stack.removeLast().items)
            }
        }
    }

    /// One element at the read position: a scalar, an empty or null array, or nil when incomplete.
    /// A non-empty array header pushes a frame and reads its first element.
    private mutating func element() throws(RESPError) -> RESPValue? {
        while true {
            guard let (line, next) = try readLine() else { return nil }
            guard let type = line.first else { throw .badFraming }
            let body = line.dropFirst()
            switch type {
            case UInt8(ascii: "+"):
                offset = next
                return .simple(String(decoding: body, as: UTF8.self))
            case UInt8(ascii: "-"):
                offset = next
                return .error(String(decoding: body, as: UTF8.self))
            case UInt8(ascii: ":"):
                guard let n = Self.integer(body) else { throw .badNumber }
                offset = next
                return .integer(n)
            case UInt8(ascii: "$"):
                guard let n = Self.integer(body), n >= -1 else { throw .badNumber }
                if n == -1 {
                    offset = next
                    return .bulk(nil)
                }
                guard n <= limits.maxBulkBytes else { throw .tooLarge("bulk string of \(n) bytes") }
                let end = next + Int(n)
                guard buffer.count >= end + 2 else { return nil }
                guard buffer[end] == 13 && buffer[end + 1] == 10 else { throw .badFraming }
                offset = end + 2
                return .bulk(Array(buffer[next..<end]))
            case UInt8(ascii: "*"):
                guard let n = Self.integer(body), n >= -1 else { throw .badNumber }
                offset = next
                if n == -1 { return .array(nil) }
                if n == 0 { return .array([]) }
                guard n <= limits.maxArrayCount else { throw .tooLarge("array of \(n) elements") }
                guard stack.count < limits.maxDepth else { throw .tooLarge("nesting deeper than \(limits.maxDepth)") }
                var items: [RESPValue] = []
                items.reserveCapacity(min(Int(n), 4096))
                stack.append(Frame(items: items, remaining: Int(n)))
            default:
                throw .unknownType(type)
            }
        }
    }

    /// The line at the read position without its CR LF, and where the next one starts.
    private func readLine() throws(RESPError) -> (ArraySlice<UInt8>, Int)? {
        var i = offset
        let limit = min(buffer.count, offset + limits.maxLineBytes)
        while i + 1 < limit {
            if buffer[i] == 13 {
                guard buffer[i + 1] == 10 else { throw .badFraming }
                return (buffer[offset..<i], i + 2)
            }
            i += 1
        }
        if buffer.count - offset >= limits.maxLineBytes { throw .badFraming }
        return nil
    }

    private static func integer(_ bytes: ArraySlice<UInt8>) -> Int64? {
        guard !bytes.isEmpty, bytes.count <= 20 else { return nil }
        var digits = bytes
        var negative = false
        if digits.first == UInt8(ascii: "-") {
            negative = true
            digits = digits.dropFirst()
        }
        guard !digits.isEmpty else { return nil }
        var value: Int64 = 0
        for b in digits {
            guard b >= 0x30 && b <= 0x39 else { return nil }
            let (m, o1) = value.multipliedReportingOverflow(by: 10)
            let (s, o2) = m.addingReportingOverflow(Int64(b - 0x30))
            guard !o1 && !o2 else { return nil }
            value = s
        }
        return negative ? -value : value
    }
}
