import AirlockDNSWire
import AirlockEvents

/// The rules by which ``DNSWireReader`` (the fast path) is checked against libldns, shared by the
/// differential tests and the differential fuzz harness (Tools/fuzz/harnesses/dns_differential.swift).
///
/// Where both accept a message their fields must agree. Where only ldns accepts, the fast path must
/// have rejected it for one of the rules ldns does not check (``strictOnlyReasons``). Where only the
/// fast path accepts, the message must hold a record whose RDATA the fast path treats as opaque but
/// ldns decodes field by field (``opaqueTypesLDNSDecodes(_:)``): the one documented way ldns can be
/// the stricter side.
///
/// Those same rare types excuse any disagreement, because ldns also frames records differently
/// after one (found by fuzzing): `ldns_wire2rdf` stops at the last field its descriptor lists and
/// does not skip the rest of RDLENGTH, so the next record is read from inside this one's RDATA
/// (SINK with 4 RDATA bytes: ldns reads 1 and starts the next owner name 3 bytes early). The fast
/// path frames by RDLENGTH, as RFC 1035 §4.1.3 says.
public enum LDNSCrossCheck {
    /// How the two parsers judged one message.
    ///
    /// `opaqueTypes` are the record types, as the fast path frames the message, that the fast path
    /// keeps opaque and ldns decodes: when there are any, a disagreement is explained.
    public enum Outcome: Sendable {
        /// Both accept; `differences` lists the fields they disagree on (empty when they agree).
        case bothAccept(differences: [String], opaqueTypes: [UInt16])
        case bothReject
        /// Only ldns accepts.
        case onlyLDNSAccepts(DNSParseError, opaqueTypes: [UInt16])
        /// Only the fast path accepts.
        case onlyFastPathAccepts(LDNSError, opaqueTypes: [UInt16])

        /// Whether the outcome breaks the agreement rules.
        public var isProblem: Bool {
            switch self {
            case .bothAccept(let differences, let opaqueTypes): !differences.isEmpty && opaqueTypes.isEmpty
            case .bothReject: false
            case .onlyLDNSAccepts(let error, let opaqueTypes):
                !strictOnlyReasons.contains(error.reason) && opaqueTypes.isEmpty
            // The wrapper refuses what libldns mishandles (several TSIG records leak); the fast path need not.
            case .onlyFastPathAccepts(let error, let opaqueTypes): opaqueTypes.isEmpty && !error.isWrapperRefusal
            }
        }
    }

    /// Rules the fast path enforces that ldns_wire2pkt does not (each an RFC MUST or a layout check).
    public static let strictOnlyReasons: Set<String> = [
        "pointer_forward",  // RFC 1035 §4.1.4: a pointer names a prior occurrence; ldns follows any target
        "pointer_into_header",  // no name lives there; ldns only refuses offset 0
        "compression_loop",  // ldns allows 65535 hops and stops a loop only at 255 bytes of name
        "multiple_opt", "opt_outside_additional", "opt_owner_not_root",  // RFC 6891 §6.1.1–6.1.2
        "bad_edns_option",  // ldns keeps OPT RDATA unparsed
        "bad_rdata", "bad_address_length",  // ldns reads fields but does not require they fill RDLENGTH
    ]

    /// Types whose RDATA ldns decodes byte for byte with no names in it: its RDATA size must equal RDLENGTH.
    public static let exactTypes: Set<UInt16> = [
        DNSRecordType.a, DNSRecordType.aaaa, DNSRecordType.null, DNSRecordType.txt, 99,
    ]

    /// Parses `bytes` with both and applies the rules.
    public static func compare(_ bytes: [UInt8]) -> Outcome {
        switch (DNSWireReader.parse(bytes.span), LDNSCodec.parse(bytes)) {
        case (.success(let fast), .success(let ldns)):
            let records = (try? DNSWireReader.records(bytes.span).get()) ?? []
            return .bothAccept(
                differences: differences(fast: fast, ldns: ldns, records: records),
                opaqueTypes: opaqueTypesLDNSDecodes(records.map(\.summary.type)))
        case (.failure(let error), .success):
            return .onlyLDNSAccepts(error, opaqueTypes: opaqueTypesLDNSDecodes(framedRecordTypes(bytes)))
        case (.success, .failure(let error)):
            let records = (try? DNSWireReader.records(bytes.span).get()) ?? []
            return .onlyFastPathAccepts(error, opaqueTypes: opaqueTypesLDNSDecodes(records.map(\.summary.type)))
        case (.failure, .failure):
            return .bothReject
        }
    }

    /// The types of the records whose RDATA lies wholly in the message, framed by RDLENGTH as the
    /// fast path frames them but without its checks, up to where framing fails: what a message the
    /// fast path rejected held before the point of rejection.
    static func framedRecordTypes(_ bytes: [UInt8]) -> [UInt16] {
        guard bytes.count >= 12 else { return [] }
        func u16(_ i: Int) -> Int { Int(bytes[i]) << 8 | Int(bytes[i + 1]) }
        var pos = 12
        func skipName() -> Bool {
            while pos < bytes.count {
                let length = bytes[pos]
                if length == 0 {
                    pos += 1
                    return true
                }
                if length & 0xC0 == 0xC0 {
                    pos += 2
                    return pos <= bytes.count
                }
                guard length & 0xC0 == 0 else { return false }
                pos += 1 + Int(length)
            }
            return false
        }
        var types: [UInt16] = []
        for _ in 0..<u16(4) {
            guard skipName(), pos + 4 <= bytes.count else { return types }
            pos += 4
        }
        for _ in 0..<(u16(6) + u16(8) + u16(10)) {
            guard skipName(), pos + 10 <= bytes.count else { return types }
            let end = pos + 10 + u16(pos + 8)
            guard end <= bytes.count else { return types }
            types.append(UInt16(u16(pos)))
            pos = end
        }
        return types
    }

    /// Field-by-field differences (empty when they agree), named for the failure message. RDATA
    /// lengths are compared where ldns can reproduce them (see ``exactTypes``): elsewhere ldns reports
    /// decoded sizes (compressed names expanded, which is longer except for a pointer to the root,
    /// or fields past its descriptor dropped), so there is no relation to check.
    public static func differences(fast: DNSMessage, ldns: DNSMessage, records: [DNSRecordInfo]) -> [String] {
        var out: [String] = []
        func check<T: Equatable>(_ name: String, _ a: T, _ b: T) { if a != b { out.append("\(name): \(a) vs \(b)") } }
        // Z is the one header bit ldns drops.
        check("flags", fast.flags.rawValue & ~0x0040, ldns.flags.rawValue)
        check("id", fast.id, ldns.id)
        check(
            "counts", [fast.questionCount, fast.answerCount, fast.authorityCount, fast.additionalCount],
            [ldns.questionCount, ldns.answerCount, ldns.authorityCount, ldns.additionalCount])
        check("rcode", fast.rcode, ldns.rcode)
        check("question.name", fast.question?.name.wire, ldns.question?.name.wire)
        check("question.hadMixedCase", fast.question?.name.hadMixedCase, ldns.question?.name.hadMixedCase)
        check("question.type", fast.question?.type, ldns.question?.type)
        check("question.class", fast.question?.qclass, ldns.question?.qclass)
        check("answers.count", fast.answers.count, ldns.answers.count)
        check("minAnswerTTL", fast.minAnswerTTL, ldns.minAnswerTTL)
        for (i, (a, b)) in zip(fast.answers, ldns.answers).enumerated() {
            check("answer[\(i)].type", a.type, b.type)
            check("answer[\(i)].class", a.rclass, b.rclass)
            check("answer[\(i)].ttl", a.ttl, b.ttl)
            check("answer[\(i)].address", a.address, b.address)
            if exactTypes.contains(a.type) {
                check("answer[\(i)].rdataLength", a.rdataLength, b.rdataLength)
            }
        }
        check("edns.present", fast.edns != nil, ldns.edns != nil)
        if let a = fast.edns, let b = ldns.edns {
            check("edns.udpPayloadSize", a.udpPayloadSize, b.udpPayloadSize)
            check("edns.extendedRcode", a.extendedRcode, b.extendedRcode)
            check("edns.version", a.version, b.version)
            check("edns.flags", a.flags, b.flags)
            check("edns.optionCodes", Array(a.optionCodes), Array(b.optionCodes))
        }
        if payloadIsComparable(records) { check("payloadBytes", fast.payloadBytes, ldns.payloadBytes) }
        return out
    }

    /// Whether ldns's payload sum can be compared exactly: every non-OPT record is of an exact type.
    public static func payloadIsComparable(_ records: [DNSRecordInfo]) -> Bool {
        records.allSatisfy { $0.summary.type == DNSRecordType.opt || exactTypes.contains($0.summary.type) }
    }

    /// Record types in the message whose RDATA the fast path treats as opaque but ldns decodes (and may
    /// reject) field by field.
    public static func opaqueTypesLDNSDecodes(_ records: [DNSRecordInfo]) -> [UInt16] {
        opaqueTypesLDNSDecodes(records.map(\.summary.type))
    }

    /// The types among `types` the fast path treats as opaque but ldns decodes field by field.
    public static func opaqueTypesLDNSDecodes(_ types: [UInt16]) -> [UInt16] {
        types.filter { type in
            let ldnsKnows = type < 110 || (249...261).contains(type) || type == 32768 || type == 32769
            return ldnsKnows && !DNSWireReader.layoutCheckedTypes.contains(type)
                && ![DNSRecordType.a, DNSRecordType.aaaa, DNSRecordType.opt, DNSRecordType.null].contains(type)
        }
    }
}
