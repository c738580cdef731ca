import AirlockEvents

/// The fast-path DNS message reader: validates a whole message and keeps its hot fields.
///
/// Replay parses about a million messages a second, so the reader works on a borrowed `Span`, keeps
/// answers inline and allocates once per message (the question name). Validation is strict where
/// the RFCs say MUST (name rules, record bounds, OPT placement) so that anything a tunnel tool
/// smuggles in a malformed message shows up as a counted reason instead of a field read wrongly.
/// RDATA is read where a field depends on it or a wrong length would mislead a decoder: A/AAAA
/// addresses, OPT options, and the types in ``layoutCheckedTypes`` (names, character-strings and
/// length-prefixed fields, which must fill RDLENGTH exactly). Other RDATA is opaque (RFC 3597).
public enum DNSWireReader {
    /// Parses and validates a whole message. Bytes after the last record are counted in
    /// ``DNSMessage/trailingBytes``, not rejected.
    public static func parse(_ bytes: Span<UInt8>) -> Result<DNSMessage, DNSParseError> {
        var none: [DNSRecordInfo]? = nil
        var noTable = DNSNameTable.disabled
        do {
            return .success(try read(bytes, records: &none, names: &noTable))
        } catch {
            return .failure(error)
        }
    }

    /// The same, with the question name taken from `names` when it is there (no copy) and put there
    /// when not: for a reader that parses a stream of messages (replay's reader thread). Throws
    /// instead of returning a `Result`, so the ~0.5 KB message is not copied into and out of one.
    public static func parse(_ bytes: Span<UInt8>, names: inout DNSNameTable) throws(DNSParseError) -> DNSMessage {
        var none: [DNSRecordInfo]? = nil
        return try read(bytes, records: &none, names: &names)
    }

    /// Every resource record of every section (OPT included), in wire order, with where its RDATA
    /// lies: for verbose output, tests and tools that look past the hot fields. Allocates; validates
    /// the message the same way ``parse(_:)`` does.
    public static func records(_ bytes: Span<UInt8>) -> Result<[DNSRecordInfo], DNSParseError> {
        var all: [DNSRecordInfo]? = []
        do {
            var noTable = DNSNameTable.disabled
            _ = try read(bytes, records: &all, names: &noTable)
            return .success(all ?? [])
        } catch {
            return .failure(error)
        }
    }

    /// Only the 12-byte header, nil when there are fewer bytes: enough to answer FORMERR.
    public static func header(_ bytes: Span<UInt8>) -> DNSHeader? {
        guard bytes.count >= DNSHeader.byteCount else { return nil }
        return DNSHeader(
            id: u16(bytes, 0), flags: DNSFlags(rawValue: u16(bytes, 2)), questionCount: u16(bytes, 4),
            answerCount: u16(bytes, 6), authorityCount: u16(bytes, 8), additionalCount: u16(bytes, 10))
    }

    @inline(__always)
    static func u16(_ s: Span<UInt8>, _ i: Int) -> UInt16 {
        UInt16(s[i]) << 8 | UInt16(s[i + 1])
    }

    @inline(__always)
    static func u32(_ s: Span<UInt8>, _ i: Int) -> UInt32 {
        UInt32(s[i]) << 24 | UInt32(s[i + 1]) << 16 | UInt32(s[i + 2]) << 8 | UInt32(s[i + 3])
    }

    // Inlined into its three callers: called, its 264-byte result was built and then copied out
    // (twice per message on replay's reader thread).
    @inline(__always)
    static func read(
        _ s: Span<UInt8>, records: inout [DNSRecordInfo]?, names: inout DNSNameTable
    ) throws(DNSParseError) -> DNSMessage {
        guard s.count <= 65535 else { throw .messageTooLarge(length: s.count) }
        guard let header = header(s) else { throw .truncatedHeader(length: s.count) }
        var pos = DNSHeader.byteCount

        var question: DNSQuestion?
        var questionRange: Range<Int>?
        /// The first question's name: answers' owners and names in RDATA point at it.
        var known: KnownName?
        for index in 0..<Int(header.questionCount) {
            let truncated = DNSParseError.truncatedQuestion(index: index)
            let name = try DNSNameReader.scan(s, at: pos, limit: s.count, truncated: truncated, tracked: index == 0)
            guard name.end + 4 <= s.count else { throw truncated }
            if index == 0 {
                let questionName = names.name(s, at: pos, name)
                question = DNSQuestion(
                    name: questionName,
                    type: u16(s, name.end), qclass: u16(s, name.end + 2))
                questionRange = pos..<(name.end + 4)
                known = KnownName(offset: pos, wireLength: name.wireLength, hops: name.hops)
            }
            pos = name.end + 4
        }

        var answers = DNSAnswerSummary()
        var payloadBytes = 0
        var minTTL: UInt32?
        var edns: EDNSInfo?
        // Three passes without a collection of sections: an array literal here would allocate per message.
        for pass in 0..<3 {
            let (section, count): (DNSSection, UInt16) =
                switch pass {
                case 0: (.answer, header.answerCount)
                case 1: (.authority, header.authorityCount)
                default: (.additional, header.additionalCount)
                }
            for index in 0..<Int(count) {
                let truncated = DNSParseError.truncatedRR(section: section, index: index)
                let owner = try DNSNameReader.scan(
                    s, at: pos, limit: s.count, truncated: truncated, tracked: false, known: known)
                guard owner.end + 10 <= s.count else { throw truncated }
                // The ten fixed bytes as their own span: one bounds check, not one a byte.
                let fixed = s.extracting(owner.end..<(owner.end + 10))
                let type = u16(fixed, 0)
                let rclass = u16(fixed, 2)
                let ttl = u32(fixed, 4)
                let rdLength = u16(fixed, 8)
                let rdStart = owner.end + 10
                let rdEnd = rdStart + Int(rdLength)
                guard rdEnd <= s.count else {
                    throw .rdataOverflow(
                        section: section, index: index, rdataLength: Int(rdLength), available: s.count - rdStart)
                }
                pos = rdEnd

                if type == DNSRecordType.opt {
                    guard section == .additional else { throw .optOutsideAdditional(section: section) }
                    guard edns == nil else { throw .multipleOPT }
                    guard owner.wireLength == 1 else { throw .optOwnerNotRoot }
                    edns = try readOPT(s, rdStart: rdStart, rdEnd: rdEnd, rclass: rclass, ttl: ttl)
                    records?.append(
                        DNSRecordInfo(
                            section: section, index: index,
                            summary: DNSRecordSummary(type: type, rclass: rclass, ttl: ttl, rdataLength: rdLength),
                            rdataRange: rdStart..<rdEnd))
                    continue
                }
                payloadBytes += Int(rdLength)

                var address: IPAddress?
                // Empty RDATA with class NONE or ANY is an UPDATE prerequisite or deletion (RFC 2136 §2.4).
                let updateMeta = rdLength == 0 && (rclass == 254 || rclass == 255)
                if type == DNSRecordType.a || type == DNSRecordType.aaaa, !updateMeta {
                    let expected = type == DNSRecordType.a ? 4 : 16
                    guard Int(rdLength) == expected else {
                        throw .badAddressLength(section: section, index: index, type: type, rdataLength: Int(rdLength))
                    }
                    if rclass & 0x7FFF == 1 && (section == .answer || records != nil) {
                        address = readAddress(s, at: rdStart, count: expected)
                    }
                } else if !updateMeta {
                    try checkRDATALayout(
                        s, type: type, start: rdStart, end: rdEnd, section: section, index: index, known: known)
                }

                let record = DNSRecordSummary(
                    type: type, rclass: rclass, ttl: ttl, rdataLength: rdLength, address: address)
                if section == .answer {
                    answers.append(record)
                    minTTL = min(minTTL ?? ttl, ttl)
                }
                records?.append(
                    DNSRecordInfo(section: section, index: index, summary: record, rdataRange: rdStart..<rdEnd))
            }
        }

        return DNSMessage(
            header: header, question: question, questionRange: questionRange, answers: answers,
            payloadBytes: payloadBytes, minAnswerTTL: minTTL, edns: edns, byteCount: pos,
            trailingBytes: s.count - pos)
    }

    static func readAddress(_ s: Span<UInt8>, at start: Int, count: Int) -> IPAddress {
        if count == 4 { return .v4(u32(s, start)) }
        var high: UInt64 = 0
        var low: UInt64 = 0
        for i in 0..<8 { high = high << 8 | UInt64(s[start + i]) }
        for i in 8..<16 { low = low << 8 | UInt64(s[start + i]) }
        return .v6(high: high, low: low)
    }

    static func readOPT(_ s: Span<UInt8>, rdStart: Int, rdEnd: Int, rclass: UInt16, ttl: UInt32) throws(DNSParseError)
        -> EDNSInfo
    {
        var codes = EDNSOptionCodes()
        var pos = rdStart
        while pos < rdEnd {
            guard pos + 4 <= rdEnd else { throw .badEDNSOption(offset: pos) }
            let length = Int(u16(s, pos + 2))
            guard pos + 4 + length <= rdEnd else { throw .badEDNSOption(offset: pos) }
            codes.append(u16(s, pos))
            pos += 4 + length
        }
        return EDNSInfo(
            udpPayloadSize: rclass, extendedRcode: UInt8(truncatingIfNeeded: ttl >> 24),
            version: UInt8(truncatingIfNeeded: ttl >> 16), flags: UInt16(truncatingIfNeeded: ttl), optionCodes: codes)
    }
}
