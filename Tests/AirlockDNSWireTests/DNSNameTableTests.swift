import AirlockDNSWire
import AirlockEvents
import AirlockTestSupport
import Testing

/// Parsing through a name table gives the same message as parsing alone: same bytes, same mixed-case
/// flag, whether the name was in the table, was not, or collided with another.
@Suite struct DNSNameTableTests {
    static func query(_ owner: [UInt8], id: UInt16) -> [UInt8] {
        Wire.header(id: id) + Wire.question(owner)
    }

    @Test func parsingThroughTheTableGivesTheSameMessage() throws {
        var table = DNSNameTable()
        var owners: [[UInt8]] = [
            Wire.name("www.example.com"), Wire.name("WWW.Example.COM"), Wire.name("www.example.com"),
            Wire.name("wWw.eXample.com"), Wire.name("www.example.co"), Wire.name("ww.wexample.com"),
            Wire.name(""), Wire.name("a"), Wire.name("A"),
        ]
        var seed: UInt64 = 7
        for _ in 0..<40_000 {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let length = 1 + Int(seed >> 60)
            var label: [UInt8] = []
            for k in 0..<length { label.append(Array("aBc9-".utf8)[Int((seed >> UInt64(8 + 3 * k)) % 5)]) }
            owners.append([UInt8(label.count)] + label + Wire.name("example.com"))
        }
        for (i, owner) in owners.enumerated() {
            let bytes = Self.query(owner, id: UInt16(truncatingIfNeeded: i))
            let plain = try DNSWireReader.parse(bytes.span).get()
            let interned = try DNSWireReader.parse(bytes.span, names: &table)
            #expect(interned == plain)
            #expect(interned.question?.name.hadMixedCase == plain.question?.name.hadMixedCase)
            // The hash and label count the reader hands over are the ones the name works out itself.
            if let name = interned.question?.name {
                let rebuilt = DNSName(validatedWire: name.wire, hadMixedCase: name.hadMixedCase)
                #expect(name.wireHash == rebuilt.wireHash && name.labelCount == rebuilt.labelCount)
            }
        }
    }

    @Test func aResponseParsedTwiceKeepsItsNameAndCaseFlag() throws {
        // A response whose answer owner points at the question; the second parse takes the name from
        // the table and must still carry this message's mixed-case flag.
        var table = DNSNameTable()
        let plain = Wire.header(flags: 0x8180, an: 1) + Wire.question(Wire.name("Mail.Example.org"))
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.a, rdata: [192, 0, 2, 1])
        let first = try DNSWireReader.parse(plain.span, names: &table)
        let again = try DNSWireReader.parse(plain.span, names: &table)
        #expect(first == again)
        #expect(again.question?.name.wire == DNSName("mail.example.org")?.wire)
        #expect(again.question?.name.hadMixedCase == true)
    }

    @Test func namesSharingASlotSetStayUntilTheSetIsFull() throws {
        // Same length, same first and last eight bytes: one lookup hash, so one set of the table.
        var table = DNSNameTable()
        let misses = fourWaySetMisses(Array("bcdez"), ask: { letter in
            let owner = Wire.name("aaaaaaaaaa\(letter)aaaa.example.com")
            let name = try? DNSWireReader.parse(Self.query(owner, id: 1).span, names: &table).question?.name
            #expect(name == DNSName("aaaaaaaaaa\(letter)aaaa.example.com"))
        }, misses: { table.copies })
        #expect(misses == [4, 4, 5, 6])
    }

    @Test func aMalformedMessageIsRefusedAsWithoutTheTable() {
        var table = DNSNameTable()
        let bytes = Wire.header() + [3, 0x61, 0x62]
        #expect(throws: DNSParseError.self) { try DNSWireReader.parse(bytes.span, names: &table) }
        #expect(throws: DNSParseError.self) { try DNSWireReader.parse(bytes.span).get() }
    }
}
