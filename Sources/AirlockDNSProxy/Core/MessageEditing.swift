import AirlockDNSWire
import AirlockEvents

/// Small edits of DNS messages in place, and the answers the proxy makes itself.
enum MessageEditing {
    static func setID(_ id: UInt16, in bytes: inout [UInt8]) {
        bytes[0] = UInt8(truncatingIfNeeded: id >> 8)
        bytes[1] = UInt8(truncatingIfNeeded: id)
    }

    /// Writes the client's question bytes over the question of `message` at `range`: an answer to
    /// the lower-case query sent upstream gets back the client's letter case (0x20-checking
    /// resolvers drop answers whose question differs). Same length by construction (names differ
    /// only in case, and a query's question name cannot be compressed); anything else is left alone.
    static func restoreQuestion(_ question: [UInt8], in message: inout [UInt8], at range: Range<Int>?) {
        guard let range, range.count == question.count, range.upperBound <= message.count else { return }
        for i in 0..<question.count { message[range.lowerBound + i] = question[i] }
    }

    /// A response with `rcode` for `query` (question echoed, EDNS answered, with `extendedError` when
    /// given and the query has EDNS), with `id` in place: blocks, SERVFAIL, NOTIMP.
    static func response(
        to query: Span<UInt8>, id: UInt16, rcode: UInt16, extendedError: ExtendedDNSError? = nil
    ) -> [UInt8] {
        var out = DNSResponseBuilder.response(to: query, rcode: rcode, extendedError: extendedError)
        if out.count >= 2 { setID(id, in: &out) }
        return out
    }

    /// What the pipeline sees of a response the proxy builds with ``response(to:id:rcode:)``: the same
    /// fields its parser would read from those bytes, built without them.
    static func synthesized(_ query: DNSMessage, rcode: UInt16) -> DNSMessage {
        var header = query.header
        var code = rcode
        if let edns = query.edns, edns.version > 0 { code = DNSResponseBuilder.badVersion }
        header.flags = DNSFlags(
            qr: true, opcode: query.flags.opcode, rd: query.flags.rd, ra: true, cd: query.flags.cd, rcode: code)
        header.answerCount = 0
        header.authorityCount = 0
        header.additionalCount = query.edns == nil ? 0 : 1
        let edns = query.edns.map {
            EDNSInfo(
                udpPayloadSize: max(DNSResponseBuilder.defaultUDPPayloadSize, 512),
                extendedRcode: UInt8(truncatingIfNeeded: code >> 4), flags: $0.dnssecOK ? 0x8000 : 0)
        }
        return DNSMessage(
            header: header, question: query.question, questionRange: query.questionRange, answers: DNSAnswerSummary(),
            payloadBytes: 0, minAnswerTTL: nil, edns: edns, byteCount: 0, trailingBytes: 0)
    }

    /// A truncated answer (TC set, question only) for a UDP client whose buffer the full answer
    /// exceeds: the client retries over TCP (RFC 7766).
    static func truncated(_ response: Span<UInt8>, message: DNSMessage) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(12 + (message.questionRange?.count ?? 0))
        for i in 0..<4 { out.append(response[i]) }
        out[2] |= 0x02  // TC
        out += [0, message.questionRange == nil ? 0 : 1, 0, 0, 0, 0, 0, 0]
        if let range = message.questionRange {
            for i in range { out.append(response[i]) }
        }
        return out
    }

    /// The largest answer a UDP client accepts: its EDNS payload size, or 512 without EDNS.
    static func udpLimit(of query: DNSMessage) -> Int {
        guard let edns = query.edns else { return 512 }
        return max(512, Int(edns.udpPayloadSize))
    }
}
