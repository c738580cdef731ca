/// An IPv4 or IPv6 address as a value, cheap to hash and compare.
public enum IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// Host byte order: `0x7F000001` is 127.0.0.1.
    case v4(UInt32)
    /// The 128 bits as two big-endian halves: `high` holds bytes 0–7.
    case v6(high: UInt64, low: UInt64)

    /// Builds an address from 4 or 16 network-order bytes; nil for any other length.
    public init?<C: Collection>(bytes: C) where C.Element == UInt8 {
        switch bytes.count {
        case 4:
            self = .v4(bytes.reduce(0) { $0 << 8 | UInt32($1) })
        case 16:
            var high: UInt64 = 0, low: UInt64 = 0
            for (i, b) in bytes.enumerated() {
                if i < 8 { high = high << 8 | UInt64(b) } else { low = low << 8 | UInt64(b) }
            }
            self = .v6(high: high, low: low)
        default:
            return nil
        }
    }

    /// The address in network byte order.
    public var bytes: [UInt8] {
        switch self {
        case .v4(let v): return (0..<4).map { UInt8(truncatingIfNeeded: v >> (24 - 8 * $0)) }
        case .v6(let h, let l):
            return (0..<8).map { UInt8(truncatingIfNeeded: h >> (56 - 8 * $0)) }
                + (0..<8).map { UInt8(truncatingIfNeeded: l >> (56 - 8 * $0)) }
        }
    }

    public var isIPv4: Bool { if case .v4 = self { return true } else { return false } }

    /// The address folded into 64 bits, for keys that hash several fields with one `Hasher.combine`
    /// (each combine is a SipHash round; table keys are hashed several times per query). Not unique:
    /// equality still compares the addresses.
    public var folded: UInt64 {
        switch self {
        case .v4(let v): return UInt64(v) | 0x4_0000_0000
        case .v6(let high, let low): return (high &* 0x9E37_79B9_7F4A_7C15) ^ low ^ 0x6
        }
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (longest zero run compressed, IPv4-mapped shown dotted).
    public var description: String {
        switch self {
        case .v4(let v):
            return "\(v >> 24).\((v >> 16) & 0xFF).\((v >> 8) & 0xFF).\(v & 0xFF)"
        case .v6(let h, let l):
            if h == 0 && l >> 32 == 0xFFFF {
                return "::ffff:" + IPAddress.v4(UInt32(truncatingIfNeeded: l)).description
            }
            let groups = (0..<4).map { UInt16(truncatingIfNeeded: h >> (48 - 16 * $0)) }
                + (0..<4).map { UInt16(truncatingIfNeeded: l >> (48 - 16 * $0)) }
            var bestStart = -1, bestLen = 0, i = 0
            while i < 8 {
                if groups[i] == 0 {
                    var j = i
                    while j < 8 && groups[j] == 0 { j += 1 }
                    if j - i > bestLen && j - i > 1 { bestStart = i; bestLen = j - i }
                    i = j
                } else { i += 1 }
            }
            func hex(_ g: UInt16) -> String { String(g, radix: 16) }
            if bestStart < 0 { return groups.map(hex).joined(separator: ":") }
            let head = groups[..<bestStart].map(hex).joined(separator: ":")
            let tail = groups[(bestStart + bestLen)...].map(hex).joined(separator: ":")
            return head + "::" + tail
        }
    }

    /// Parses dotted-quad IPv4 or textual IPv6 (with `::` and an embedded dotted quad).
    public init?(_ text: some StringProtocol) {
        if let v4 = IPAddress.parseV4(Substring(text)) { self = .v4(v4); return }
        guard let v6 = IPAddress.parseV6(Substring(text)) else { return nil }
        self = v6
    }

    private static func parseV4(_ s: Substring) -> UInt32? {
        let parts = s.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4 else { return nil }
        var value: UInt32 = 0
        for p in parts {
            guard !p.isEmpty, p.count <= 3, p.allSatisfy({ $0.isASCII && $0.isNumber }), let n = UInt32(p), n <= 255 else {
                return nil
            }
            value = value << 8 | n
        }
        return value
    }

    private static func parseV6(_ s: Substring) -> IPAddress? {
        guard s.contains(":"), !s.contains(":::") else { return nil }
        var groups: [UInt16] = []
        var tailGroups: [UInt16] = []
        let halves = s.components(separatedByDoubleColon: ())
        guard halves.count <= 2 else { return nil }
        func parseGroups(_ part: Substring, into out: inout [UInt16], allowV4: Bool) -> Bool {
            if part.isEmpty { return true }
            let pieces = part.split(separator: ":", omittingEmptySubsequences: false)
            for (i, piece) in pieces.enumerated() {
                if allowV4 && i == pieces.count - 1 && piece.contains(".") {
                    guard let v4 = parseV4(piece) else { return false }
                    out.append(UInt16(v4 >> 16)); out.append(UInt16(v4 & 0xFFFF))
                } else {
                    guard (1...4).contains(piece.count), let g = UInt16(piece, radix: 16) else { return false }
                    out.append(g)
                }
            }
            return true
        }
        if halves.count == 1 {
            guard parseGroups(halves[0], into: &groups, allowV4: true), groups.count == 8 else { return nil }
        } else {
            guard parseGroups(halves[0], into: &groups, allowV4: false),
                parseGroups(halves[1], into: &tailGroups, allowV4: true),
                groups.count + tailGroups.count <= 7
            else { return nil }
            groups += [UInt16](repeating: 0, count: 8 - groups.count - tailGroups.count) + tailGroups
        }
        var high: UInt64 = 0, low: UInt64 = 0
        for (i, g) in groups.enumerated() {
            if i < 4 { high = high << 16 | UInt64(g) } else { low = low << 16 | UInt64(g) }
        }
        return .v6(high: high, low: low)
    }
}

extension Substring {
    /// Splits at the first `::` only (an address holds at most one).
    fileprivate func components(separatedByDoubleColon _: Void) -> [Substring] {
        var i = startIndex
        while i < endIndex {
            let next = index(after: i)
            if self[i] == ":" && next < endIndex && self[next] == ":" {
                let rest = self[index(after: next)...]
                if rest.contains("::") { return [self, self, self] }
                return [self[startIndex..<i], rest]
            }
            i = next
        }
        return [self]
    }
}
