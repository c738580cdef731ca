import AirlockDNSWire
import AirlockEvents
import AirlockLDNS
import Testing

/// Builders round-trip through both parsers: what the proxy sends must read the same to ldns.
@Suite("DNS builders")
struct DNSBuilderTests {
    /// Both parsers accept `bytes` and agree; returns the fast path's reading.
    static func bothParse(_ bytes: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) throws -> DNSMessage {
        let fast = try DNSWireReader.parse(bytes.span).get()
        let ldns = try LDNSCodec.parse(bytes).get()
        let records = try DNSWireReader.records(bytes.span).get()
        #expect(
            DNSDifferentialTests.differences(fast: fast, ldns: ldns, records: records) == [],
            sourceLocation: sourceLocation)
        #expect(fast.trailingBytes == 0, sourceLocation: sourceLocation)
        return fast
    }

    @Test func buildsQueries() throws {
        let plain = try Self.bothParse(
            DNSQueryBuilder.query(name: DNSName("www.example.com")!, type: DNSRecordType.aaaa, id: 7))
        #expect(plain.id == 7 && plain.flags.rd && !plain.isResponse && plain.edns == nil)
        #expect(plain.question == DNSQuestion(name: DNSName("www.example.com")!, type: DNSRecordType.aaaa, qclass: 1))
        #expect(plain.questionCount == 1 && plain.additionalCount == 0)

        let edns = try Self.bothParse(
            DNSQueryBuilder.query(
                name: DNSName("example.org")!, type: DNSRecordType.txt, id: 0xFFFF, recursionDesired: false,
                ednsUDPPayloadSize: 4096, dnssecOK: true))
        #expect(!edns.flags.rd && edns.edns?.udpPayloadSize == 4096 && edns.edns?.dnssecOK == true)
        #expect(edns.additionalCount == 1 && edns.payloadBytes == 0)

        let root = try Self.bothParse(DNSQueryBuilder.query(name: DNSName(".")!, type: DNSRecordType.ns, id: 1))
        #expect(root.question?.name.wire == [])
    }

    @Test func keepsLabelBytesAsGiven() throws {
        let bytes = try #require(
            DNSQueryBuilder.query(labels: [Array("wWw".utf8), [0x00, 0xFF], Array("Example".utf8)], type: 1, id: 2))
        let message = try Self.bothParse(bytes)
        #expect(message.question?.name.hadMixedCase == true)
        #expect(message.question?.name.wire == [3] + Array("www".utf8) + [2, 0x00, 0xFF, 7] + Array("example".utf8))
        #expect(DNSQueryBuilder.query(labels: [[]], type: 1, id: 0) == nil)
        #expect(DNSQueryBuilder.query(labels: [[UInt8](repeating: 0x61, count: 64)], type: 1, id: 0) == nil)
        #expect(
            DNSQueryBuilder.query(
                labels: Array(repeating: [UInt8](repeating: 0x61, count: 63), count: 4), type: 1, id: 0) == nil)
    }

    @Test(arguments: [
        DNSResponseCode.nxDomain, DNSResponseCode.refused, DNSResponseCode.servFail, DNSResponseCode.formErr,
    ])
    func answersWithTheGivenRcode(rcode: UInt16) throws {
        let query = try #require(
            DNSQueryBuilder.query(
                labels: ["2", "SeCURednS", "aVasT", "CoM"].map { Array($0.utf8) }, type: DNSRecordType.txt,
                id: 0x48C4, ednsUDPPayloadSize: 1400, dnssecOK: true))
        let response = DNSResponseBuilder.response(to: query.span, rcode: rcode)
        let message = try Self.bothParse(response)
        #expect(message.id == 0x48C4 && message.isResponse && message.flags.rd && message.flags.ra && !message.flags.aa)
        #expect(message.rcode == rcode)
        #expect(message.answerCount == 0 && message.authorityCount == 0)
        // The question comes back byte for byte, 0x20 case included.
        let queryQuestion = try #require(try DNSWireReader.parse(query.span).get().questionRange)
        let responseQuestion = try #require(message.questionRange)
        #expect(Array(response[responseQuestion]) == Array(query[queryQuestion]))
        // RFC 6891: EDNS in, EDNS out, with our payload size and the DO bit echoed.
        #expect(message.edns?.udpPayloadSize == DNSResponseBuilder.defaultUDPPayloadSize)
        #expect(message.edns?.dnssecOK == true && message.edns?.version == 0)
        #expect(message.additionalCount == 1)
    }

    @Test func answersWithoutEDNSWhenTheQueryHadNone() throws {
        let query = DNSQueryBuilder.query(name: DNSName("blocked.example")!, type: 1, id: 9, recursionDesired: false)
        let message = try Self.bothParse(
            DNSResponseBuilder.response(to: query.span, rcode: DNSResponseCode.nxDomain, recursionAvailable: false))
        #expect(message.edns == nil && message.additionalCount == 0)
        #expect(!message.flags.rd && !message.flags.ra && message.rcode == DNSResponseCode.nxDomain)
        // An extended rcode cannot be carried without OPT: SERVFAIL instead.
        let extended = try Self.bothParse(DNSResponseBuilder.response(to: query.span, rcode: 23))
        #expect(extended.rcode == DNSResponseCode.servFail)
    }

    @Test func carriesExtendedRcodesAndRefusesUnknownEDNSVersions() throws {
        let query = DNSQueryBuilder.query(name: DNSName("example.com")!, type: 1, id: 3, ednsUDPPayloadSize: 512)
        let badCookie = try Self.bothParse(DNSResponseBuilder.response(to: query.span, rcode: 23))
        #expect(badCookie.rcode == 23 && badCookie.flags.headerRcode == 7 && badCookie.edns?.extendedRcode == 1)

        // EDNS version 1: BADVERS whatever was asked (RFC 6891 §6.1.3).
        var v1 = Wire.header(id: 4, ar: 1) + Wire.question(Wire.name("example.com"))
        v1 += Wire.opt(udp: 1232, version: 1)
        let badVers = try Self.bothParse(DNSResponseBuilder.response(to: v1.span, rcode: DNSResponseCode.nxDomain))
        #expect(badVers.rcode == DNSResponseBuilder.badVersion && badVers.id == 4)
    }

    @Test func copiesOpcodeAndCD() throws {
        let query = Wire.header(id: 5, flags: 0x2110) + Wire.question(Wire.name("example.com"), type: DNSRecordType.soa)  // UPDATE, RD, CD
        let message = try Self.bothParse(DNSResponseBuilder.response(to: query.span, rcode: DNSResponseCode.refused))
        #expect(
            message.flags.opcode == 4 && message.flags.cd && message.flags.rd
                && message.rcode == DNSResponseCode.refused)
    }

    @Test func answersFormErrToGarbage() throws {
        let cases: [([UInt8], UInt16)] = [
            ([], 0), ([0xAB], 0), ([0xAB, 0xCD], 0xABCD), ([0xAB, 0xCD, 0x01], 0xABCD),
            (Wire.header(id: 0x1111) + [1, 0x61], 0x1111),  // question cut short
            (Wire.header(id: 0x2222) + [0x40, 0x61, 0] + Wire.u16(1) + Wire.u16(1), 0x2222),  // bad label type
        ]
        for (garbage, id) in cases {
            let response = DNSResponseBuilder.response(to: garbage.span, rcode: DNSResponseCode.nxDomain)
            let message = try Self.bothParse(response)
            #expect(message.id == id && message.isResponse && message.rcode == DNSResponseCode.formErr)
            #expect(message.questionCount == 0 && message.edns == nil && response.count == 12)
            #expect(message.flags.rd == (garbage.count >= 3 && garbage[2] & 0x01 != 0))
        }
        // A query without a question is answered with the rcode asked for and no question.
        let empty = try Self.bothParse(
            DNSResponseBuilder.response(to: Wire.header(id: 6, qd: 0).span, rcode: DNSResponseCode.refused))
        #expect(empty.rcode == DNSResponseCode.refused && empty.questionCount == 0)
    }

    @Test func ldnsRendersText() throws {
        let query = DNSQueryBuilder.query(
            name: DNSName("www.example.com")!, type: DNSRecordType.aaaa, id: 0x4242, ednsUDPPayloadSize: 1232)
        let text = try #require(LDNSCodec.render(query))
        #expect(text.contains("id: 16962"))
        #expect(text.contains("www.example.com.\tIN\tAAAA"))
        #expect(LDNSCodec.render([1, 2, 3]) == nil)
        guard case .failure(let error) = LDNSCodec.parse([1, 2, 3]) else {
            Issue.record("ldns accepted 3 bytes")
            return
        }
        #expect(!error.message.isEmpty && error.message == LDNSCodec.errorString(status: error.status))
    }
}
