import AirlockDNSWire
import AirlockEvents
import CLDNS

#if canImport(Glibc)
    import Glibc
#endif

/// Owns one `ldns_pkt` and is the only place in the project that touches ldns pointers.
///
/// Non-copyable so the packet is freed exactly once, when the owner goes away.
struct LDNSPacket: ~Copyable {
    private let packet: UnsafeMutablePointer<ldns_pkt>

    init(wire: [UInt8]) throws(LDNSError) {
        if Self.tsigRecordsLDNSWouldRead(wire) > 1 { throw .multipleTSIG }
        var result: UnsafeMutablePointer<ldns_pkt>?
        let status = wire.withUnsafeBufferPointer { buffer in
            ldns_wire2pkt(&result, buffer.baseAddress, buffer.count)
        }
        guard status == LDNS_STATUS_OK, let result else {
            if let result { ldns_pkt_free(result) }
            let code = Int(status.rawValue)
            throw LDNSError(status: code, message: LDNSPacket.errorString(status: code))
        }
        packet = result
    }

    deinit { ldns_pkt_free(packet) }

    /// How many TSIG records `ldns_wire2pkt` would meet in the additional section, framed exactly as it
    /// frames them (with its own `ldns_wire2rr`, which follows each type's descriptor rather than
    /// RDLENGTH) and with its loop bound (each TSIG lowers ARCOUNT). It keeps only the last one and
    /// leaks the others, so more than one must never reach it.
    private static func tsigRecordsLDNSWouldRead(_ wire: [UInt8]) -> Int {
        guard wire.count >= 12 else { return 0 }
        func count(_ at: Int) -> Int { Int(wire[at]) << 8 | Int(wire[at + 1]) }
        return wire.withUnsafeBufferPointer { buffer -> Int in
            guard let base = buffer.baseAddress else { return 0 }
            var pos = 12
            func read(_ section: ldns_pkt_section) -> ldns_rr_type? {
                var rr: UnsafeMutablePointer<ldns_rr>?
                guard ldns_wire2rr(&rr, base, buffer.count, &pos, section) == LDNS_STATUS_OK, let rr else {
                    if let rr { ldns_rr_free(rr) }
                    return nil
                }
                defer { ldns_rr_free(rr) }
                return ldns_rr_get_type(rr)
            }
            for _ in 0..<count(4) { guard read(LDNS_SECTION_QUESTION) != nil else { return 0 } }
            for _ in 0..<count(6) { guard read(LDNS_SECTION_ANSWER) != nil else { return 0 } }
            for _ in 0..<count(8) { guard read(LDNS_SECTION_AUTHORITY) != nil else { return 0 } }
            var tsig = 0
            var limit = count(10), i = 0
            while i < limit {
                guard let type = read(LDNS_SECTION_ADDITIONAL) else { break }
                if type == LDNS_RR_TYPE_TSIG {
                    tsig += 1
                    limit -= 1
                }
                i += 1
            }
            return tsig
        }
    }

    static func errorString(status: Int) -> String {
        guard let text = ldns_get_errorstr_by_id(ldns_status(rawValue: UInt32(truncatingIfNeeded: status))) else {
            return "unknown ldns status \(status)"
        }
        return String(cString: text)
    }

    /// `ldns_pkt2str`, except for EDNS CHAIN options (RFC 7901), which are listed here in hex after
    /// ldns's text: ldns 1.8.3 prints CHAIN by handing `ldns_str2rdf_dname` a null `ldns_rdf **`
    /// (and the option data as if it were a C string), so any message carrying one would crash the
    /// process (found by fuzzing). ldns prints the packet with a copy of its option list minus CHAIN.
    func text() -> String? {
        let p = packet
        var chains: [[UInt8]] = []
        var withoutChains: UnsafeMutablePointer<ldns_edns_option_list>?
        let original = p.pointee._edns_present != 0 ? ldns_pkt_edns_get_option_list(p) : nil
        if let original, LDNSPacket.options(original).contains(where: LDNSPacket.isChain) {
            guard let copy = ldns_edns_option_list_new() else { return nil }
            for option in LDNSPacket.options(original) {
                if LDNSPacket.isChain(option) {
                    let size = ldns_edns_get_size(option)
                    chains.append(
                        ldns_edns_get_data(option).map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
                } else if let clone = ldns_edns_clone(option), ldns_edns_option_list_push(copy, clone) == 0 {
                    ldns_edns_deep_free(clone)
                }
            }
            withoutChains = copy
            p.pointee._edns_list = copy
        }
        defer {
            if let withoutChains {
                p.pointee._edns_list = original
                ldns_edns_option_list_deep_free(withoutChains)
            }
        }
        guard let text = ldns_pkt2str(p) else { return nil }
        defer { free(text) }
        var result = String(cString: text)
        for data in chains {
            let hex = data.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
            result += ";; EDNS CHAIN (not decoded): \(hex.isEmpty ? "(empty)" : hex)\n"
        }
        return result
    }

    private typealias Option = UnsafeMutablePointer<ldns_edns_option>

    private static func options(_ list: UnsafeMutablePointer<ldns_edns_option_list>) -> [Option] {
        (0..<ldns_edns_option_list_get_count(list)).compactMap { ldns_edns_option_list_get_option(list, $0) }
    }

    private static func isChain(_ option: Option) -> Bool {
        ldns_edns_get_code(option) == LDNS_EDNS_CHAIN
    }

    func message(inputLength: Int) -> DNSMessage {
        let p = packet
        let hasEDNS = p.pointee._edns_present != 0
        let tsig = ldns_pkt_tsig(p)
        let flags = DNSFlags(
            qr: ldns_pkt_qr(p) != 0, opcode: UInt8(truncatingIfNeeded: ldns_pkt_get_opcode(p).rawValue),
            aa: ldns_pkt_aa(p) != 0, tc: ldns_pkt_tc(p) != 0, rd: ldns_pkt_rd(p) != 0, ra: ldns_pkt_ra(p) != 0,
            ad: ldns_pkt_ad(p) != 0,
            cd: ldns_pkt_cd(p) != 0, rcode: UInt16(truncatingIfNeeded: ldns_pkt_get_rcode(p).rawValue))
        // ldns takes OPT and TSIG out of the additional section and its count: put them back.
        let additional = Int(ldns_pkt_arcount(p)) + (hasEDNS ? 1 : 0) + (tsig == nil ? 0 : 1)
        let header = DNSHeader(
            id: ldns_pkt_id(p), flags: flags, questionCount: ldns_pkt_qdcount(p), answerCount: ldns_pkt_ancount(p),
            authorityCount: ldns_pkt_nscount(p), additionalCount: UInt16(truncatingIfNeeded: additional))

        var question: DNSQuestion?
        if let list = ldns_pkt_question(p), ldns_rr_list_rr_count(list) > 0, let rr = ldns_rr_list_rr(list, 0) {
            question = DNSQuestion(
                name: LDNSPacket.name(ldns_rr_owner(rr)),
                type: UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue),
                qclass: UInt16(truncatingIfNeeded: ldns_rr_get_class(rr).rawValue))
        }

        var answers = DNSAnswerSummary()
        var minTTL: UInt32?
        var payload = 0
        for rr in LDNSPacket.records(ldns_pkt_answer(p)) {
            let summary = LDNSPacket.summary(rr)
            answers.append(summary)
            minTTL = min(minTTL ?? summary.ttl, summary.ttl)
            payload += Int(summary.rdataLength)
        }
        for rr in LDNSPacket.records(ldns_pkt_authority(p)) + LDNSPacket.records(ldns_pkt_additional(p)) {
            payload += LDNSPacket.rdataLength(rr)
        }
        if let tsig { payload += LDNSPacket.rdataLength(tsig) }

        var edns: EDNSInfo?
        if hasEDNS {
            var codes = EDNSOptionCodes()
            if let list = ldns_pkt_edns_get_option_list(p) {
                for i in 0..<ldns_edns_option_list_get_count(list) {
                    if let option = ldns_edns_option_list_get_option(list, i) {
                        codes.append(UInt16(truncatingIfNeeded: ldns_edns_get_code(option).rawValue))
                    }
                }
            }
            edns = EDNSInfo(
                udpPayloadSize: ldns_pkt_edns_udp_size(p), extendedRcode: ldns_pkt_edns_extended_rcode(p),
                version: ldns_pkt_edns_version(p), flags: ldns_pkt_edns_z(p), optionCodes: codes)
        }

        return DNSMessage(
            header: header, question: question, questionRange: nil, answers: answers, payloadBytes: payload,
            minAnswerTTL: minTTL, edns: edns, byteCount: inputLength, trailingBytes: 0)
    }

    private static func records(_ list: UnsafeMutablePointer<ldns_rr_list>?) -> [UnsafeMutablePointer<ldns_rr>] {
        guard let list else { return [] }
        return (0..<ldns_rr_list_rr_count(list)).compactMap { ldns_rr_list_rr(list, $0) }
    }

    private static func rdataLength(_ rr: UnsafeMutablePointer<ldns_rr>) -> Int {
        (0..<ldns_rr_rd_count(rr)).reduce(0) { sum, i in sum + (ldns_rr_rdf(rr, i).map { ldns_rdf_size($0) } ?? 0) }
    }

    private static func summary(_ rr: UnsafeMutablePointer<ldns_rr>) -> DNSRecordSummary {
        let type = UInt16(truncatingIfNeeded: ldns_rr_get_type(rr).rawValue)
        let rclass = UInt16(truncatingIfNeeded: ldns_rr_get_class(rr).rawValue)
        var address: IPAddress?
        if (type == DNSRecordType.a || type == DNSRecordType.aaaa) && rclass & 0x7FFF == 1, ldns_rr_rd_count(rr) == 1,
            let rdf = ldns_rr_rdf(rr, 0), let data = ldns_rdf_data(rdf)
        {
            address = IPAddress(bytes: UnsafeBufferPointer(start: data, count: ldns_rdf_size(rdf)))
        }
        return DNSRecordSummary(
            type: type, rclass: rclass, ttl: ldns_rr_ttl(rr), rdataLength: UInt16(truncatingIfNeeded: rdataLength(rr)),
            address: address)
    }

    /// An ldns dname rdf (uncompressed labels ending in the root byte) as a ``DNSName``.
    private static func name(_ rdf: UnsafeMutablePointer<ldns_rdf>?) -> DNSName {
        var labels: [[UInt8]] = []
        if let rdf, let data = ldns_rdf_data(rdf) {
            let bytes = UnsafeBufferPointer(start: data, count: ldns_rdf_size(rdf))
            var i = 0
            while i < bytes.count, bytes[i] != 0, i + 1 + Int(bytes[i]) <= bytes.count {
                labels.append(Array(bytes[(i + 1)..<(i + 1 + Int(bytes[i]))]))
                i += 1 + Int(bytes[i])
            }
        }
        return DNSName(labels: labels) ?? DNSName(validatedWire: [], hadMixedCase: false)
    }
}
