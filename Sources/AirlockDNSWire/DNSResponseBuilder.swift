import AirlockEvents

/// Builds the answers the proxy gives itself (NXDOMAIN, REFUSED, SERVFAIL, FORMERR) from the query.
///
/// The question is copied byte for byte, so a resolver's 0x20 case randomisation survives the round
/// trip (resolvers drop responses whose question case differs). EDNS follows RFC 6891: a query with
/// an OPT record gets one back, and a version we do not speak gets BADVERS.
public enum DNSResponseBuilder {
    /// The EDNS payload size we advertise: the DNS Flag Day 2020 value, safe from fragmentation.
    public static let defaultUDPPayloadSize: UInt16 = 1232
    /// RCODE 16 (RFC 6891 §9), sent when the query's EDNS version is above 0.
    public static let badVersion: UInt16 = 16

    /// A response to `query` with `rcode`: same ID and opcode, QR set, RD and CD copied, RA as given,
    /// the first question echoed, an OPT record when the query had one. An unparseable query gets
    /// ``formatError(to:)``. RCODEs above 15 need EDNS to carry their upper bits; without an OPT in
    /// the query they are sent as SERVFAIL. `extendedError` goes in the OPT record (RFC 8914) when
    /// the query had one of version 0.
    public static func response(
        to query: Span<UInt8>, rcode: UInt16, recursionAvailable: Bool = true,
        udpPayloadSize: UInt16 = defaultUDPPayloadSize, extendedError: ExtendedDNSError? = nil
    ) -> [UInt8] {
        guard case .success(let message) = DNSWireReader.parse(query) else { return formatError(to: query) }
        var code = rcode & 0x0FFF
        if let edns = message.edns {
            if edns.version > 0 { code = badVersion }
        } else if code > 0x0F {
            code = DNSResponseCode.servFail
        }
        let flags = DNSFlags(
            qr: true, opcode: message.flags.opcode, rd: message.flags.rd, ra: recursionAvailable,
            cd: message.flags.cd, rcode: code)
        let header = DNSHeader(
            id: message.id, flags: flags, questionCount: message.questionRange == nil ? 0 : 1,
            additionalCount: message.edns == nil ? 0 : 1)
        var out: [UInt8] = []
        out.reserveCapacity(DNSHeader.byteCount + (message.questionRange?.count ?? 0) + 11)
        DNSWireWriter.append(header, to: &out)
        if let range = message.questionRange {
            for i in range { out.append(query[i]) }
        }
        if let edns = message.edns {
            DNSWireWriter.appendOPT(
                udpPayloadSize: max(udpPayloadSize, 512), extendedRcode: UInt8(truncatingIfNeeded: code >> 4),
                dnssecOK: edns.dnssecOK, options: edns.version == 0 ? extendedError?.optionBytes ?? [] : [], to: &out)
        }
        return out
    }

    /// FORMERR for bytes that are not a valid query: a bare header with the ID when two bytes are
    /// there, and the opcode and RD bit when the third is (RFC 1035 §4.1.1 gives nothing else to copy).
    public static func formatError(to query: Span<UInt8>) -> [UInt8] {
        let id = query.count >= 2 ? DNSWireReader.u16(query, 0) : 0
        var opcode: UInt8 = 0
        var rd = false
        if query.count >= 3 {
            let flags = DNSFlags(rawValue: UInt16(query[2]) << 8)
            opcode = flags.opcode
            rd = flags.rd
        }
        var out: [UInt8] = []
        out.reserveCapacity(DNSHeader.byteCount)
        DNSWireWriter.append(
            DNSHeader(id: id, flags: DNSFlags(qr: true, opcode: opcode, rd: rd, rcode: DNSResponseCode.formErr)),
            to: &out)
        return out
    }
}
