import AirlockDNSWire
import AirlockEvents
import Testing

/// Owners and RDATA names that point at the question are not walked again (its length and hops are
/// added): the limits must still hold exactly as a walk would find them.
@Suite struct KnownNameTests {
    /// A question name of `labels` labels of 47 bytes (48 with the length byte) under `com`.
    static func longName(_ labels: Int) -> [UInt8] {
        var out: [UInt8] = []
        for i in 0..<labels { out += [47] + [UInt8](repeating: UInt8(ascii: "a") + UInt8(i), count: 47) }
        return out + [3] + Array("com".utf8) + [0]
    }

    static func response(question: [UInt8], owner: [UInt8]) -> [UInt8] {
        Wire.header(flags: 0x8180, an: 1) + Wire.question(question)
            + Wire.rr(owner, type: DNSRecordType.a, rdata: [192, 0, 2, 1])
    }

    @Test func anOwnerPointingAtTheQuestionHasItsLength() throws {
        let message = try Wire.parse(Self.response(question: Self.longName(4), owner: Wire.pointer(12))).get()
        #expect(message.answers.count == 1)
        // 4 × 48 + 4 + 1 = 197 bytes: a label of up to 58 more still fits 255.
        let owner = [UInt8(57)] + [UInt8](repeating: 0x62, count: 57) + Wire.pointer(12)
        #expect(throws: Never.self) { try Wire.parse(Self.response(question: Self.longName(4), owner: owner)).get() }
    }

    @Test func anOwnerThatWouldPassTheLengthLimitThroughThePointerIsRefused() throws {
        let question = Self.longName(4)
        let owner = [UInt8(58)] + [UInt8](repeating: 0x62, count: 58) + Wire.pointer(12)
        let bytes = Self.response(question: question, owner: owner)
        let ownerOffset = 12 + question.count + 4
        let result = Wire.parse(bytes)
        guard case .failure(let error) = result else {
            Issue.record("a 256-byte owner name was accepted")
            return
        }
        #expect(error.reason == DNSParseError.nameTooLong(offset: ownerOffset).reason)
        #expect(error.description == DNSParseError.nameTooLong(offset: ownerOffset).description)
    }

    @Test func aCNAMETargetPointingAtTheQuestionIsChecked() throws {
        let question = Self.longName(4)
        let good = Wire.header(flags: 0x8180, an: 1) + Wire.question(question)
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.cname, rdata: [3] + Array("www".utf8) + Wire.pointer(12))
        #expect(throws: Never.self) { try Wire.parse(good).get() }
        let long = [UInt8(60)] + [UInt8](repeating: 0x63, count: 60) + Wire.pointer(12)
        let bad = Wire.header(flags: 0x8180, an: 1) + Wire.question(question)
            + Wire.rr(Wire.pointer(12), type: DNSRecordType.cname, rdata: long)
        guard case .failure(let error) = Wire.parse(bad) else {
            Issue.record("a CNAME target of 258 bytes was accepted")
            return
        }
        #expect(error.reason == "bad_rdata" || error.reason == DNSParseError.nameTooLong(offset: 0).reason)
    }
}
