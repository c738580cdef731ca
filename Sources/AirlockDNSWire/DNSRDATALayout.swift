extension DNSWireReader {
    /// Types whose RDATA layout the reader checks (besides A and AAAA, which must be 4 and 16 bytes).
    ///
    /// These are the types whose RDATA holds domain names, character-strings or length-prefixed
    /// fields, where a bad length would make a decoder read the wrong bytes: the same ones libldns
    /// decodes field by field. RDATA of every other type is opaque (RFC 3597) and only its RDLENGTH
    /// is checked against the message.
    public static let layoutCheckedTypes: Set<UInt16> = [
        2, 3, 4, 5, 7, 8, 9, 12, 39,  // NS MD MF CNAME MB MG MR PTR DNAME: one name
        15, 18, 21, 36, 107,  // MX AFSDB RT KX LP: 16-bit preference, name
        14, 17, 58,  // MINFO RP TALINK: two names
        6,  // SOA
        33,  // SRV
        26,  // PX
        35,  // NAPTR
        13,  // HINFO
        16, 99,  // TXT SPF
        24, 46,  // SIG RRSIG
        30, 47,  // NXT NSEC
        50, 51,  // NSEC3 NSEC3PARAM
        64, 65,  // SVCB HTTPS
        249, 250,  // TKEY TSIG
        257,  // CAA
        43, 59, 32769,  // DS CDS DLV
        25, 48, 60,  // KEY DNSKEY CDNSKEY
        52, 53,  // TLSA SMIMEA
        44,  // SSHFP
    ]

    /// Checks that RDATA is exactly the fields its type defines (RFC 1035 §3.3, RFC 1183, RFC 2163,
    /// RFC 2230, RFC 2782, RFC 2845, RFC 2930, RFC 3403, RFC 4034, RFC 4255, RFC 5155, RFC 6672,
    /// RFC 6698, RFC 6742, RFC 8659, RFC 9460); names inside follow the same compression rules as
    /// owner names. Types outside ``layoutCheckedTypes`` are left alone.
    static func checkRDATALayout(
        _ s: Span<UInt8>, type: UInt16, start: Int, end: Int, section: DNSSection, index: Int,
        known: KnownName? = nil
    ) throws(DNSParseError) {
        let bad = DNSParseError.badRDATA(section: section, index: index, type: type)
        var pos = start
        switch type {
        case 2, 3, 4, 5, 7, 8, 9, 12, 39:
            try name(s, &pos, end, bad, known)
        case 15, 18, 21, 36, 107:
            try fixed(2, &pos, end, bad)
            try name(s, &pos, end, bad, known)
        case 14, 17, 58:
            try name(s, &pos, end, bad, known)
            try name(s, &pos, end, bad, known)
        case 6:  // mname, rname, serial refresh retry expire minimum
            try name(s, &pos, end, bad, known)
            try name(s, &pos, end, bad, known)
            try fixed(20, &pos, end, bad)
        case 33:  // priority weight port, target
            try fixed(6, &pos, end, bad)
            try name(s, &pos, end, bad, known)
        case 26:  // preference, map822, mapx400
            try fixed(2, &pos, end, bad)
            try name(s, &pos, end, bad, known)
            try name(s, &pos, end, bad, known)
        case 35:  // order preference, flags, services, regexp, replacement
            try fixed(4, &pos, end, bad)
            try string(s, &pos, end, bad)
            try string(s, &pos, end, bad)
            try string(s, &pos, end, bad)
            try name(s, &pos, end, bad, known)
        case 13:  // cpu, os
            try string(s, &pos, end, bad)
            try string(s, &pos, end, bad)
        case 16, 99:  // character-strings to the end (none at all is tolerated: it is seen in the wild)
            while pos < end { try string(s, &pos, end, bad) }
        case 24, 46:  // type covered .. key tag (18 bytes), signer, signature
            try fixed(18, &pos, end, bad)
            try name(s, &pos, end, bad, known)
            pos = end
        case 30, 47:  // next name, type bitmap
            try name(s, &pos, end, bad, known)
            pos = end
        case 50:  // algorithm flags iterations, salt, next hashed owner, type bitmap
            try fixed(4, &pos, end, bad)
            try string(s, &pos, end, bad)
            try string(s, &pos, end, bad)
            pos = end
        case 51:  // algorithm flags iterations, salt
            try fixed(4, &pos, end, bad)
            try string(s, &pos, end, bad)
        case 64, 65:  // priority, target, parameters
            try fixed(2, &pos, end, bad)
            try name(s, &pos, end, bad, known)
            pos = end
        case 249:  // algorithm, inception expiration mode error, key, other
            try name(s, &pos, end, bad, known)
            try fixed(12, &pos, end, bad)
            try lengthPrefixed(s, &pos, end, bad)
            try lengthPrefixed(s, &pos, end, bad)
        case 250:  // algorithm, time signed + fudge, MAC, original ID + error, other
            try name(s, &pos, end, bad, known)
            try fixed(8, &pos, end, bad)
            try lengthPrefixed(s, &pos, end, bad)
            try fixed(4, &pos, end, bad)
            try lengthPrefixed(s, &pos, end, bad)
        case 257:  // flags, tag, value
            try fixed(1, &pos, end, bad)
            try string(s, &pos, end, bad)
            pos = end
        case 43, 59, 32769, 25, 48, 60:  // key tag/flags, algorithm, digest type/protocol, then data
            try fixed(4, &pos, end, bad)
            pos = end
        case 52, 53:  // usage selector matching type, data
            try fixed(3, &pos, end, bad)
            pos = end
        case 44:  // algorithm fingerprint type, fingerprint
            try fixed(2, &pos, end, bad)
            pos = end
        default:
            return
        }
        guard pos == end else { throw bad }
    }

    @inline(__always)
    private static func fixed(_ count: Int, _ pos: inout Int, _ end: Int, _ bad: DNSParseError) throws(DNSParseError) {
        guard pos + count <= end else { throw bad }
        pos += count
    }

    @inline(__always)
    private static func name(
        _ s: Span<UInt8>, _ pos: inout Int, _ end: Int, _ bad: DNSParseError, _ known: KnownName? = nil
    ) throws(DNSParseError) {
        pos = try DNSNameReader.scan(s, at: pos, limit: end, truncated: bad, tracked: false, known: known).end
    }

    /// A <character-string>: a length byte and that many bytes.
    @inline(__always)
    private static func string(_ s: Span<UInt8>, _ pos: inout Int, _ end: Int, _ bad: DNSParseError)
        throws(DNSParseError)
    {
        guard pos < end, pos + 1 + Int(s[pos]) <= end else { throw bad }
        pos += 1 + Int(s[pos])
    }

    /// A 16-bit length and that many bytes (TSIG/TKEY MAC, key and other data).
    @inline(__always)
    private static func lengthPrefixed(_ s: Span<UInt8>, _ pos: inout Int, _ end: Int, _ bad: DNSParseError)
        throws(DNSParseError)
    {
        guard pos + 2 <= end, pos + 2 + Int(u16(s, pos)) <= end else { throw bad }
        pos += 2 + Int(u16(s, pos))
    }
}
