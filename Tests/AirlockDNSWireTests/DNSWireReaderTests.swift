import AirlockDNSWire
import AirlockEvents
import AirlockLDNS
import Testing

@Suite("DNSWireReader")
struct DNSWireReaderTests {
    /// `www.example.com A` answered by a CNAME into `cdn.example.com` and two addresses, all compressed.
    static let compressedResponse: [UInt8] = {
        let cnameTarget = [3] + Array("cdn".utf8) + Wire.pointer(16)  // cdn.example.com
        let cnameRR = Wire.rr(Wire.pointer(12), type: DNSRecordType.cname, ttl: 3600, rdata: cnameTarget)
        let targetOffset = 12 + 21 + 12  // header + question + CNAME fixed part: its RDATA
        return Wire.header(flags: 0x8180, an: 3) + Wire.question(Wire.name("www.example.com"))
            + cnameRR
            + Wire.rr(Wire.pointer(targetOffset), type: DNSRecordType.a, ttl: 60, rdata: [93, 184, 216, 34])
            + Wire.rr(
                Wire.pointer(targetOffset), type: DNSRecordType.aaaa, ttl: 120,
                rdata: [0x20, 0x01, 0x0d, 0xb8] + [UInt8](repeating: 0, count: 11) + [1])
    }()

    @Test func parsesAPlainQuery() throws {
        let bytes = Wire.header(id: 0xBEEF) + Wire.question(Wire.name("www.example.com"), type: DNSRecordType.txt)
        let message = try Wire.parse(bytes).get()
        #expect(message.id == 0xBEEF)
        #expect(!message.isResponse && message.flags.rd && message.flags.opcode == 0)
        #expect(message.question == DNSQuestion(name: DNSName("www.example.com")!, type: DNSRecordType.txt, qclass: 1))
        #expect(message.questionRange == 12..<(12 + 17 + 4))
        #expect(message.questionCount == 1 && message.answerCount == 0 && message.answers.isEmpty)
        #expect(message.edns == nil && message.rcode == 0 && message.minAnswerTTL == nil)
        #expect(message.byteCount == bytes.count && message.trailingBytes == 0)
    }

    @Test func followsCompressionInOwnersAndRDATA() throws {
        let message = try Wire.parse(Self.compressedResponse).get()
        #expect(message.isResponse && message.flags.ra && message.rcode == DNSResponseCode.noError)
        #expect(message.answerTypes == [DNSRecordType.cname, DNSRecordType.a, DNSRecordType.aaaa])
        #expect(message.answerAddresses == [IPAddress("93.184.216.34")!, IPAddress("2001:db8::1")!])
        #expect(message.answers[0].rdataLength == 6)  // compressed, as sent
        #expect(message.minAnswerTTL == 60)
        #expect(message.payloadBytes == 6 + 4 + 16)
        #expect(message.answers.count == 3)
        #expect(message.trailingBytes == 0)
    }

    @Test func countsTrailingBytes() throws {
        let message = try Wire.parse(Self.compressedResponse + [0xDE, 0xAD, 0xBE]).get()
        #expect(message.trailingBytes == 3)
        #expect(message.byteCount == Self.compressedResponse.count)
    }

    @Test func rejectsPointerLoops() {
        // The question name is `a` followed by a pointer back to its own first byte.
        let selfLoop = Wire.header() + [1, 0x61] + Wire.pointer(12) + Wire.u16(1) + Wire.u16(1)
        #expect(Wire.reason(selfLoop) == "compression_loop")
        // An answer owner whose pointer lands on a name that points back into the owner's own bytes.
        let base = Wire.header(an: 1) + Wire.question(Wire.name("a"))
        let owner = base.count
        let twoStep = base + [1, 0x62] + Wire.pointer(owner) + Wire.u16(1) + Wire.u16(1) + Wire.u32(0) + Wire.u16(0)
        #expect(Wire.reason(twoStep) == "compression_loop")
    }

    @Test func capsPointerChains() {
        // NULL RDATA holding a root byte and then a chain of pointers, each to the one before it;
        // the next record's owner enters the chain at its end.
        func message(chain: Int) -> [UInt8] {
            let base = Wire.header(an: 2) + Wire.question(Wire.name("a"))
            let rdataStart = base.count + 1 + 10
            var rdata: [UInt8] = [0]
            for i in 0..<chain { rdata += Wire.pointer(rdataStart + (i == 0 ? 0 : 1 + 2 * (i - 1))) }
            let last = rdataStart + 1 + 2 * (chain - 1)
            return base + Wire.rr([0], type: DNSRecordType.null, rdata: rdata)
                + Wire.rr(Wire.pointer(last), type: DNSRecordType.null, rdata: [])
        }
        #expect(Wire.parsed(message(chain: 100)) != nil)
        #expect(Wire.reason(message(chain: 200)) == "compression_loop")
    }

    @Test func rejectsForwardPointersAndPointersIntoTheHeader() {
        let forward =
            Wire.header(an: 1) + Wire.question(Wire.pointer(40))
            + Wire.rr(Wire.name("x"), type: 1, rdata: [1, 2, 3, 4])
        #expect(Wire.reason(forward) == "pointer_forward")
        let intoHeader = Wire.header() + Wire.question(Wire.pointer(4))
        #expect(Wire.reason(intoHeader) == "pointer_into_header")
    }

    @Test func rejectsExtendedLabelTypes() {
        // A length byte of 64 is type bits 0b01, not a 64-byte label; 0b10 is the other retired type.
        let label64 = Wire.header() + [64] + [UInt8](repeating: 0x61, count: 64) + [0] + Wire.u16(1) + Wire.u16(1)
        #expect(Wire.reason(label64) == "bad_label_type")
        let label0x80 = Wire.header() + [0x80, 0x61, 0] + Wire.u16(1) + Wire.u16(1)
        #expect(Wire.reason(label0x80) == "bad_label_type")
        let label63 = Wire.header() + [63] + [UInt8](repeating: 0x61, count: 63) + [0] + Wire.u16(1) + Wire.u16(1)
        #expect(Wire.parsed(label63)?.question?.name.presentationLength == 63)
    }

    @Test func enforcesTheNameLengthLimit() {
        func label(_ n: Int) -> String { String(repeating: "a", count: n) }
        // 3 × 64 + 62 + root = 255 bytes: the longest legal name.
        let longest = [label(63), label(63), label(63), label(61)].joined(separator: ".")
        #expect(Wire.parsed(Wire.header() + Wire.question(Wire.name(longest)))?.question?.name.wire.count == 254)
        let tooLong = [label(63), label(63), label(63), label(62)].joined(separator: ".")
        #expect(Wire.reason(Wire.header() + Wire.question(Wire.name(tooLong))) == "name_too_long")
        // Too long only once expanded: 128 bytes of labels in front of a pointer to a 200-byte name.
        let target = [label(63), label(63), label(63), label(7)].joined(separator: ".")
        let compressed =
            Wire.header(an: 1) + Wire.question(Wire.name(target))
            + Wire.rr(
                [63] + Array(label(63).utf8) + [63] + Array(label(63).utf8) + Wire.pointer(12), type: 1,
                rdata: [1, 2, 3, 4])
        #expect(Wire.reason(compressed) == "name_too_long")
    }

    @Test func rejectsEveryTruncation() throws {
        let full =
            Wire.header(flags: 0x8180, an: 1, ns: 1, ar: 1)
            + Wire.question(Wire.name("example.org"), type: DNSRecordType.txt)
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.txt, rdata: [5] + Array("hello".utf8))
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.ns, rdata: [2] + Array("ns".utf8) + Wire.pointer(12))
            + Wire.opt(flags: 0x8000, options: [(10, [UInt8](repeating: 7, count: 8))])
        #expect(Wire.parsed(full) != nil)
        #expect(throws: Never.self) { try LDNSCodec.parse(full).get() }
        var reasons: Set<String> = []
        for length in 0..<full.count {
            let prefix = Array(full[..<length])
            guard let reason = Wire.reason(prefix) else {
                Issue.record("prefix of \(length) bytes accepted")
                continue
            }
            reasons.insert(reason)
            if length < 12 { #expect(reason == "truncated_header") }
            #expect((try? LDNSCodec.parse(prefix).get()) == nil, "ldns accepted a \(length)-byte prefix")
        }
        #expect(reasons == ["truncated_header", "truncated_question", "truncated_rr", "rdata_overflow"])
    }

    @Test func readsEDNSAndTheExtendedRcode() throws {
        // BADCOOKIE (23) = extended 1 << 4 | header 7, with DO set, NSID and COOKIE options.
        let bytes =
            Wire.header(flags: 0x8187, ar: 1) + Wire.question(Wire.name("example.com"))
            + Wire.opt(
                udp: 4096, extendedRcode: 1, flags: 0x8000, options: [(3, []), (10, [UInt8](repeating: 1, count: 16))])
        let message = try Wire.parse(bytes).get()
        #expect(message.flags.headerRcode == 7)
        #expect(message.rcode == 23)
        let edns = try #require(message.edns)
        #expect(edns.udpPayloadSize == 4096 && edns.version == 0 && edns.dnssecOK)
        #expect(Array(edns.optionCodes) == [3, 10])
        #expect(message.payloadBytes == 0, "OPT RDATA is not payload")
        #expect(message.additionalCount == 1)
        // Without an OPT the header's 4 bits are the whole rcode.
        #expect(Wire.parsed(Wire.header(flags: 0x8183) + Wire.question(Wire.name("x")))?.rcode == 3)
    }

    @Test func enforcesOPTRules() {
        let base = Wire.question(Wire.name("example.com"))
        #expect(Wire.reason(Wire.header(ar: 2) + base + Wire.opt() + Wire.opt()) == "multiple_opt")
        #expect(Wire.reason(Wire.header(an: 1) + base + Wire.opt()) == "opt_outside_additional")
        let namedOPT = Wire.rr(Wire.name("x"), type: DNSRecordType.opt, rclass: 512, ttl: 0, rdata: [])
        #expect(Wire.reason(Wire.header(ar: 1) + base + namedOPT) == "opt_owner_not_root")
        let shortOption = Wire.rr(
            [0], type: DNSRecordType.opt, rclass: 512, ttl: 0, rdata: Wire.u16(10) + Wire.u16(8) + [1, 2])
        #expect(Wire.reason(Wire.header(ar: 1) + base + shortOption) == "bad_edns_option")
        // More options than are held inline: all kept, in order.
        let many = Wire.opt(options: (1...10).map { (UInt16($0), [UInt8]()) })
        let codes = Wire.parsed(Wire.header(ar: 1) + base + many)?.edns?.optionCodes
        #expect(codes.map(Array.init) == Array(1...10))
    }

    @Test func sumsPayloadAcrossSections() throws {
        let txt =
            [UInt8(200)] + [UInt8](repeating: 0x41, count: 200) + [UInt8(10)] + [UInt8](repeating: 0x42, count: 10)
        let null = [UInt8](repeating: 0xFF, count: 1000)
        let bytes =
            Wire.header(flags: 0x8400, an: 2, ns: 1, ar: 2)
            + Wire.question(Wire.name("t.pirate.sea"), type: DNSRecordType.null)
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.null, ttl: 0, rdata: null)
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.txt, ttl: 5, rdata: txt)
            + Wire.rr(Wire.pointer(14), type: DNSRecordType.txt, rdata: [3, 0x61, 0x62, 0x63])
            + Wire.opt()
            + Wire.rr(Wire.pointer(14), type: 65400, rdata: [9, 9])
        let message = try Wire.parse(bytes).get()
        #expect(message.payloadBytes == 1000 + 212 + 4 + 2)
        #expect(message.answers.map(\.rdataLength) == [1000, 212])
        #expect(message.minAnswerTTL == 0)
        #expect(message.answers.allSatisfy { $0.address == nil })
    }

    @Test func foldsCaseAndRecords0x20() throws {
        let mixed = try #require(
            Wire.parsed(Wire.header() + Wire.question(Wire.name("2.SeCURednS.aVasT.CoM"), type: DNSRecordType.txt)))
        #expect(mixed.question?.name.wire == DNSName("2.securedns.avast.com")?.wire)
        #expect(mixed.question?.name.hadMixedCase == true)
        let upper = try #require(Wire.parsed(Wire.header() + Wire.question(Wire.name("WWW.EXAMPLE.COM"))))
        #expect(upper.question?.name.wire == DNSName("www.example.com")?.wire)
        #expect(upper.question?.name.hadMixedCase == false)
    }

    @Test func keepsBinaryLabelBytes() throws {
        let label: [UInt8] = [0x00, 0x2E, 0xFF, 0x41, 0x5C, 0x20]
        let bytes =
            Wire.header() + [UInt8(label.count)] + label + Wire.name("example")
            + Wire.u16(DNSRecordType.null) + Wire.u16(1)
        let name = try #require(Wire.parsed(bytes)?.question?.name)
        #expect(name.wire == [6, 0x00, 0x2E, 0xFF, 0x61, 0x5C, 0x20, 7] + Array("example".utf8))
        #expect(name.description == "\\000\\.\\255a\\\\\\032.example")
        #expect(name.labelCount == 2)
    }

    @Test func checksAddressAndNameRDATALayouts() {
        let q = Wire.question(Wire.name("example.com"))
        #expect(
            Wire.reason(Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 1, rdata: [1, 2, 3, 4, 5]))
                == "bad_address_length")
        #expect(
            Wire.reason(Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 28, rdata: [1, 2, 3, 4]))
                == "bad_address_length")
        // Any class's A must be 4 bytes (as ldns holds too), but only IN's is an IPv4 address.
        #expect(
            Wire.reason(Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 1, rclass: 3, rdata: [1, 2, 3]))
                == "bad_address_length")
        let chaos = Wire.parsed(
            Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 1, rclass: 3, rdata: [1, 2, 3, 4]))
        #expect(chaos != nil && chaos?.answers.first?.address == nil)
        // UPDATE (RFC 2136 §2.4): empty RDATA with class ANY or NONE is a prerequisite or deletion.
        let update =
            Wire.header(flags: 0x2800, qd: 1, an: 2) + Wire.question(Wire.name("example.com"), type: DNSRecordType.soa)
            + Wire.rr(Wire.name("a.example.com"), type: 1, rclass: 255, ttl: 0, rdata: [])
            + Wire.rr(Wire.name("b.example.com"), type: 5, rclass: 254, ttl: 0, rdata: [])
        #expect(Wire.parsed(update)?.flags.opcode == 5)
        // A CNAME whose name stops short of RDLENGTH, and one that runs past it.
        #expect(
            Wire.reason(Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 5, rdata: Wire.pointer(12) + [0]))
                == "bad_rdata")
        #expect(
            Wire.reason(Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 5, rdata: [3, 0x61, 0x62]))
                == "bad_rdata")
        // MX without its name, SOA missing a counter.
        #expect(
            Wire.reason(Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 15, rdata: [0, 10])) == "bad_rdata")
        let soa = Wire.pointer(12) + Wire.pointer(12) + [UInt8](repeating: 0, count: 16)
        #expect(Wire.reason(Wire.header(ns: 1) + q + Wire.rr(Wire.pointer(12), type: 6, rdata: soa)) == "bad_rdata")
        #expect(
            Wire.parsed(Wire.header(ns: 1) + q + Wire.rr(Wire.pointer(12), type: 6, rdata: soa + [0, 0, 0, 0])) != nil)
        #expect(
            Wire.reason(Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: 1, rdata: [1, 2, 3, 4, 5, 6, 7]))
                == "bad_address_length")
    }

    @Test func layoutCheckedTypesAreTheOnesChecked() {
        // One 0xFF byte is never a valid start of a checked layout (a bare pointer half, a string
        // longer than the RDATA, or a fixed field cut short), and is fine as opaque RDATA.
        let q = Wire.question(Wire.name("example.com"))
        for type in DNSWireReader.layoutCheckedTypes.sorted() + [10, 99, 255, 65280, 41999] {
            let bytes = Wire.header(an: 1) + q + Wire.rr(Wire.pointer(12), type: type, rdata: [0xFF])
            let checked = DNSWireReader.layoutCheckedTypes.contains(type)
            #expect((Wire.reason(bytes) == "bad_rdata") == checked, "type \(type)")
            #expect((Wire.parsed(bytes) != nil) == !checked, "type \(type)")
        }
    }

    @Test func listsRecordsOfEverySection() throws {
        let bytes =
            Wire.header(flags: 0x8180, an: 1, ns: 1, ar: 2) + Wire.question(Wire.name("example.com"))
            + Wire.rr(Wire.pointer(12), type: 1, rdata: [192, 0, 2, 1])
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.ns, rdata: [2, 0x6E, 0x73] + Wire.pointer(12))
            + Wire.rr(Wire.pointer(45 + 12), type: DNSRecordType.aaaa, rdata: [UInt8](repeating: 0, count: 15) + [1])
            + Wire.opt()
        let records = try DNSWireReader.records(bytes.span).get()
        #expect(records.map(\.section) == [.answer, .authority, .additional, .additional])
        #expect(records.map(\.summary.type) == [1, 2, 28, 41])
        #expect(records[2].summary.address == IPAddress("::1"))
        #expect(records[1].rdataRange.count == 5 && bytes[records[1].rdataRange.lowerBound] == 2)
        #expect(Array(try Wire.parse(bytes).get().answers) == [records[0].summary])
    }

    @Test func keepsLongAnswerSectionsComplete() throws {
        var bytes = Wire.header(flags: 0x8180, an: 20) + Wire.question(Wire.name("many.example"))
        for i in 0..<20 {
            bytes += Wire.rr(Wire.pointer(12), type: 1, ttl: UInt32(100 - i), rdata: [10, 0, 0, UInt8(i)])
        }
        let message = try Wire.parse(bytes).get()
        #expect(message.answers.count == 20)
        #expect(message.answerAddresses == (0..<20).map { IPAddress.v4(0x0A00_0000 | UInt32($0)) })
        #expect(message.minAnswerTTL == 81)
        #expect(message.answers[19].ttl == 81 && message.answers[7].ttl == 93)
    }

    @Test func rejectsHeadersAndOversizedInput() {
        #expect(Wire.reason([]) == "truncated_header")
        #expect(Wire.reason([1, 2, 3]) == "truncated_header")
        #expect(Wire.reason([UInt8](repeating: 0, count: 65536)) == "message_too_large")
        #expect(
            DNSWireReader.header([0xAB, 0xCD, 0x81, 0x83, 0, 1, 0, 2, 0, 3, 0, 4].span)
                == DNSHeader(
                    id: 0xABCD, flags: DNSFlags(rawValue: 0x8183), questionCount: 1, answerCount: 2, authorityCount: 3,
                    additionalCount: 4))
        #expect(DNSWireReader.header([1, 2, 3].span) == nil)
        // A header claiming records the message does not have.
        #expect(Wire.reason(Wire.header(qd: 0, an: 1)) == "truncated_rr")
        #expect(Wire.reason(Wire.header(qd: 2) + Wire.question(Wire.name("a"))) == "truncated_question")
    }

    @Test func everyReasonIsListedOnce() {
        #expect(Set(DNSParseError.allReasons).count == DNSParseError.allReasons.count)
        let samples: [DNSParseError] = [
            .messageTooLarge(length: 1), .truncatedHeader(length: 1), .truncatedQuestion(index: 0),
            .truncatedRR(section: .answer, index: 0),
            .rdataOverflow(section: .answer, index: 0, rdataLength: 1, available: 0),
            .badLabelType(offset: 0, byte: 0x40), .compressionLoop(offset: 0), .pointerForward(offset: 0, target: 1),
            .pointerIntoHeader(offset: 0, target: 1), .nameTooLong(offset: 0),
            .badAddressLength(section: .answer, index: 0, type: 1, rdataLength: 3),
            .badRDATA(section: .answer, index: 0, type: 5),
            .optOutsideAdditional(section: .answer), .multipleOPT, .optOwnerNotRoot, .badEDNSOption(offset: 0),
        ]
        #expect(samples.map(\.reason) == DNSParseError.allReasons)
        #expect(samples.allSatisfy { $0.description.hasPrefix($0.reason + ": ") })
    }
}
