/// Cheap tests of whether bytes can be a DNS message, used to keep TCP framing honest (junk after a
/// message, resynchronising after a gap) and to spot plain DNS on non-DNS ports. These are not parsers:
/// the DNS wire module does the real work on whatever passes.
enum DNSPlausibility {
    /// Assigned opcodes: QUERY, IQUERY, STATUS, NOTIFY, UPDATE, DSO.
    @inline(__always)
    static func opcodeIsAssigned(_ flagsHigh: UInt8) -> Bool {
        switch (flagsHigh >> 3) & 0x0F {
        case 0, 1, 2, 4, 5, 6: return true
        default: return false
        }
    }

    /// The 12-byte header at `offset` could start a message of `length` bytes: section counts that fit
    /// (a question takes at least 5 bytes, a record at least 11) and, unless `anyOpcode`, an assigned
    /// opcode. Every valid message passes; random bytes rarely do.
    ///
    /// `anyOpcode` is for messages whose start the framing already tells (a synchronised TCP stream):
    /// an unassigned opcode is still a framed message the parser reads, and calling it junk would skip
    /// the messages after it in the same segment, so a peer could hide its queries behind one (found
    /// by fuzzing). Where nothing tells where a message starts, the opcode is part of the evidence.
    static func headerFits(_ bytes: Span<UInt8>, at offset: Int, length: Int, anyOpcode: Bool = false) -> Bool {
        guard length >= 12, bytes.count - offset >= 12 else { return false }
        guard anyOpcode || opcodeIsAssigned(bytes[offset + 2]) else { return false }
        let questions = Int(bytes.be16(offset + 4))
        let records = Int(bytes.be16(offset + 6)) + Int(bytes.be16(offset + 8)) + Int(bytes.be16(offset + 10))
        return questions * 5 + records * 11 <= length - 12
    }

    /// A stricter test for where no framing tells us a message starts: the header fits, and either it
    /// has exactly one question whose name is well-formed as far as `bytes` reach (with a known class when
    /// the question is complete), or it is a DSO message (opcode 6, no sections).
    ///
    /// With `requireCompleteQuestion`, the question must lie entirely within `bytes`.
    static func looksLikeMessageStart(
        _ bytes: Span<UInt8>, at offset: Int, length: Int, requireCompleteQuestion: Bool
    ) -> Bool {
        guard headerFits(bytes, at: offset, length: length) else { return false }
        let opcode = (bytes[offset + 2] >> 3) & 0x0F
        let questions = bytes.be16(offset + 4)
        if opcode == 6 {
            return questions == 0 && bytes.be16(offset + 6) == 0 && bytes.be16(offset + 8) == 0
                && bytes.be16(offset + 10) == 0
        }
        guard questions == 1 else { return false }
        let messageEnd = offset + length
        var position = offset + 12
        var nameLength = 1
        while true {
            guard position < messageEnd else { return false }
            guard position < bytes.count else { return !requireCompleteQuestion }
            let label = Int(bytes[position])
            if label == 0 { break }
            // The first name cannot be compressed: nothing precedes it to point at.
            guard label <= 63 else { return false }
            nameLength += label + 1
            guard nameLength <= 255 else { return false }
            position += label + 1
        }
        // position is at the root label; type and class follow.
        guard position + 5 <= messageEnd else { return false }
        guard position + 5 <= bytes.count else { return !requireCompleteQuestion }
        let questionClass = bytes.be16(position + 3) & 0x7FFF  // top bit: mDNS unicast-response
        switch questionClass {
        case 1, 3, 4, 254, 255: return true
        default: return false
        }
    }
}
