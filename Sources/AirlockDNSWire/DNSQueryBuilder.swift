import AirlockEvents

/// Builds query messages: for tests, benchmarks and the proxy's own upstream probes.
public enum DNSQueryBuilder {
    /// A one-question query for `name` (lower case, as ``DNSName`` holds it).
    /// With `ednsUDPPayloadSize` an OPT record is added (version 0, DO from `dnssecOK`).
    public static func query(
        name: DNSName, type: UInt16, id: UInt16, qclass: UInt16 = 1, recursionDesired: Bool = true,
        ednsUDPPayloadSize: UInt16? = nil, dnssecOK: Bool = false
    ) -> [UInt8] {
        build(
            wireName: name.wire, type: type, id: id, qclass: qclass, flags: DNSFlags(rd: recursionDesired),
            ednsUDPPayloadSize: ednsUDPPayloadSize, dnssecOK: dnssecOK)
    }

    /// A one-question query for `question` (its name in lower case, as ``DNSName`` holds it) with
    /// only the header bits a query asks with: RD, AD and CD from `flags`, opcode QUERY, every other
    /// bit clear. With `ednsUDPPayloadSize` an OPT record without options is added (version 0, DO
    /// from `dnssecOK`).
    public static func query(
        question: DNSQuestion, id: UInt16, flags: DNSFlags, ednsUDPPayloadSize: UInt16?, dnssecOK: Bool
    ) -> [UInt8] {
        build(
            wireName: question.name.wire, type: question.type, id: id, qclass: question.qclass,
            flags: DNSFlags(rd: flags.rd, ad: flags.ad, cd: flags.cd), ednsUDPPayloadSize: ednsUDPPayloadSize,
            dnssecOK: dnssecOK)
    }

    /// Like ``query(name:type:id:qclass:recursionDesired:ednsUDPPayloadSize:dnssecOK:)`` but with the
    /// label bytes sent exactly as given (mixed case, binary bytes). Nil when a label is empty or
    /// longer than 63 bytes, or the name longer than 255.
    public static func query(
        labels: [[UInt8]], type: UInt16, id: UInt16, qclass: UInt16 = 1, recursionDesired: Bool = true,
        ednsUDPPayloadSize: UInt16? = nil, dnssecOK: Bool = false
    ) -> [UInt8]? {
        var wire: [UInt8] = []
        for label in labels {
            guard !label.isEmpty, label.count <= 63 else { return nil }
            wire.append(UInt8(label.count))
            wire.append(contentsOf: label)
        }
        guard wire.count + 1 <= DNSName.maxWireLength else { return nil }
        return build(
            wireName: wire, type: type, id: id, qclass: qclass, flags: DNSFlags(rd: recursionDesired),
            ednsUDPPayloadSize: ednsUDPPayloadSize, dnssecOK: dnssecOK)
    }

    static func build(
        wireName: [UInt8], type: UInt16, id: UInt16, qclass: UInt16, flags: DNSFlags,
        ednsUDPPayloadSize: UInt16?, dnssecOK: Bool
    ) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(DNSHeader.byteCount + wireName.count + 5 + 11)
        let header = DNSHeader(
            id: id, flags: flags, questionCount: 1,
            additionalCount: ednsUDPPayloadSize == nil ? 0 : 1)
        DNSWireWriter.append(header, to: &out)
        out.append(contentsOf: wireName)
        out.append(0)
        DNSWireWriter.append(type, to: &out)
        DNSWireWriter.append(qclass, to: &out)
        if let size = ednsUDPPayloadSize {
            DNSWireWriter.appendOPT(udpPayloadSize: size, extendedRcode: 0, dnssecOK: dnssecOK, to: &out)
        }
        return out
    }
}

/// Big-endian field writers shared by the builders.
enum DNSWireWriter {
    static func append(_ value: UInt16, to out: inout [UInt8]) {
        out.append(UInt8(truncatingIfNeeded: value >> 8))
        out.append(UInt8(truncatingIfNeeded: value))
    }

    static func append(_ header: DNSHeader, to out: inout [UInt8]) {
        append(header.id, to: &out)
        append(header.flags.rawValue, to: &out)
        append(header.questionCount, to: &out)
        append(header.answerCount, to: &out)
        append(header.authorityCount, to: &out)
        append(header.additionalCount, to: &out)
    }

    /// An OPT record: root owner, CLASS = payload size, TTL = extended rcode, version 0 and the DO
    /// bit (RFC 6891 §6.1.2–6.1.3), RDATA = `options` (already encoded, empty by default).
    static func appendOPT(
        udpPayloadSize: UInt16, extendedRcode: UInt8, dnssecOK: Bool, options: [UInt8] = [], to out: inout [UInt8]
    ) {
        out.append(0)
        append(DNSRecordType.opt, to: &out)
        append(udpPayloadSize, to: &out)
        out.append(extendedRcode)
        out.append(0)
        append(dnssecOK ? 0x8000 : 0, to: &out)
        append(UInt16(options.count), to: &out)
        out += options
    }
}
