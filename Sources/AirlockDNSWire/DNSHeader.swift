/// The 16 flag bits of a DNS header (bytes 2–3) as they arrived, with named accessors.
///
/// Kept raw so nothing is lost (the Z bit, unknown opcodes); the accessors decode on demand.
public struct DNSFlags: Hashable, Sendable, CustomStringConvertible {
    public var rawValue: UInt16

    public init(rawValue: UInt16) { self.rawValue = rawValue }

    /// Builds flags from fields; `rcode` keeps only its low 4 bits (the header's share of it).
    public init(
        qr: Bool = false, opcode: UInt8 = 0, aa: Bool = false, tc: Bool = false, rd: Bool = false,
        ra: Bool = false, z: Bool = false, ad: Bool = false, cd: Bool = false, rcode: UInt16 = 0
    ) {
        var v: UInt16 = 0
        if qr { v |= 0x8000 }
        v |= UInt16(opcode & 0x0F) << 11
        if aa { v |= 0x0400 }
        if tc { v |= 0x0200 }
        if rd { v |= 0x0100 }
        if ra { v |= 0x0080 }
        if z { v |= 0x0040 }
        if ad { v |= 0x0020 }
        if cd { v |= 0x0010 }
        v |= rcode & 0x000F
        rawValue = v
    }

    /// Set in responses.
    public var qr: Bool { rawValue & 0x8000 != 0 }
    /// 0 QUERY, 1 IQUERY (obsolete), 2 STATUS, 4 NOTIFY, 5 UPDATE.
    public var opcode: UInt8 { UInt8(truncatingIfNeeded: (rawValue >> 11) & 0x0F) }
    public var aa: Bool { rawValue & 0x0400 != 0 }
    /// Truncated: the client should retry over TCP.
    public var tc: Bool { rawValue & 0x0200 != 0 }
    public var rd: Bool { rawValue & 0x0100 != 0 }
    public var ra: Bool { rawValue & 0x0080 != 0 }
    /// The reserved bit; must be zero, kept because odd values are a fingerprint.
    public var z: Bool { rawValue & 0x0040 != 0 }
    public var ad: Bool { rawValue & 0x0020 != 0 }
    public var cd: Bool { rawValue & 0x0010 != 0 }
    /// The header's 4 RCODE bits (see ``DNSMessage/rcode`` for the EDNS-extended value).
    public var headerRcode: UInt16 { rawValue & 0x000F }

    /// e.g. `qr rd ra opcode=0 rcode=3`.
    public var description: String {
        var parts: [String] = []
        if qr { parts.append("qr") }
        if aa { parts.append("aa") }
        if tc { parts.append("tc") }
        if rd { parts.append("rd") }
        if ra { parts.append("ra") }
        if z { parts.append("z") }
        if ad { parts.append("ad") }
        if cd { parts.append("cd") }
        parts.append("opcode=\(opcode)")
        parts.append("rcode=\(headerRcode)")
        return parts.joined(separator: " ")
    }
}

/// The fixed 12-byte header: enough to answer FORMERR or match a response to a query.
public struct DNSHeader: Hashable, Sendable {
    public var id: UInt16
    public var flags: DNSFlags
    public var questionCount: UInt16
    public var answerCount: UInt16
    public var authorityCount: UInt16
    public var additionalCount: UInt16

    public init(
        id: UInt16, flags: DNSFlags, questionCount: UInt16 = 0, answerCount: UInt16 = 0,
        authorityCount: UInt16 = 0, additionalCount: UInt16 = 0
    ) {
        self.id = id
        self.flags = flags
        self.questionCount = questionCount
        self.answerCount = answerCount
        self.authorityCount = authorityCount
        self.additionalCount = additionalCount
    }

    public static let byteCount = 12
}
