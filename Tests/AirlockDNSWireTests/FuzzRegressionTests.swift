import AirlockDNSWire
import AirlockEvents
import AirlockLDNS
import Foundation
import Testing

/// Inputs the fuzz harnesses (Tools/fuzz/harnesses/dns_*.swift) once failed on, kept in
/// Fixtures/fuzz-regressions/ and replayed with the harnesses' checks, plus each case rebuilt by hand
/// so the test says what the input is about.
@Suite("DNS fuzz regressions")
struct FuzzRegressionTests {
    static func regressionInputs() throws -> [(name: String, bytes: [UInt8])] {
        let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
            .appendingPathComponent("Fixtures/fuzz-regressions")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasSuffix(".bin") }
        return try names.sorted().map { name in
            (name, Array(try Data(contentsOf: folder.appendingPathComponent(name))))
        }
    }

    @Test func everyKeptInputPassesTheHarnessChecks() throws {
        let inputs = try Self.regressionInputs()
        #expect(inputs.count >= 2, "the fuzz regression inputs went missing")
        for (name, bytes) in inputs {
            let outcome = LDNSCrossCheck.compare(bytes)
            #expect(!outcome.isProblem, "\(name): \(outcome)")
            _ = LDNSCodec.render(bytes)
            let response = DNSResponseBuilder.response(to: bytes.span, rcode: DNSResponseCode.refused)
            #expect((try? DNSWireReader.parse(response.span).get()) != nil, "\(name): built response does not parse")
        }
    }

    /// libldns 1.8.3 keeps one TSIG record per message and leaks any other it reads (LeakSanitizer in
    /// the dns_differential harness, `multiple-tsig-leak.bin`): the wrapper refuses such messages
    /// before ldns sees them, and the cross-check counts that as the wrapper's rule, not a disagreement.
    @Test func messagesWithTwoTSIGRecordsNeverReachLibldns() {
        // Algorithm (root name), time signed (48 bits), fudge, MAC size 0, original ID, error, other length 0.
        let tsig = Wire.rr([0], type: 250, rclass: 255, ttl: 0, rdata: [0] + [UInt8](repeating: 0, count: 16))
        // ldns lowers ARCOUNT for each TSIG it meets, so it reads a second one only when ARCOUNT says 3.
        let message = Wire.header(flags: 0x8180, qd: 0, ar: 3) + tsig + tsig
        guard case .failure(let error) = LDNSCodec.parse(message) else {
            Issue.record("ldns was handed a message with two TSIG records")
            return
        }
        #expect(error.isWrapperRefusal)
        #expect(!LDNSCrossCheck.compare(message).isProblem)
        let one = Wire.header(flags: 0x8180, qd: 0, ar: 1) + tsig
        if case .failure(let e) = LDNSCodec.parse(one) { Issue.record("one TSIG record refused: \(e)") }
    }

    /// ldns_wire2rdf stops after the fields its descriptor lists (SINK: one byte) and reads the next
    /// record from inside the rest of RDATA; the fast path frames by RDLENGTH. Here ldns sees a second
    /// record (an A record hidden in the SINK's RDATA) where the message ends for the fast path.
    @Test func ldnsFramingInsideOpaqueRDATAIsExplained() throws {
        let hidden = Wire.rr([0], type: DNSRecordType.a, rdata: [192, 0, 2, 1])
        let message = Wire.header(flags: 0x8180, qd: 0, an: 2) + Wire.rr([0], type: 40, rdata: [1] + hidden)
        guard case .failure(let error) = DNSWireReader.parse(message.span) else {
            Issue.record("the fast path accepted a message one record short")
            return
        }
        #expect(error.reason == "truncated_rr")
        let ldns = try LDNSCodec.parse(message).get()
        #expect(ldns.answers.map(\.type) == [40, DNSRecordType.a])
        guard case .onlyLDNSAccepts(_, let opaqueTypes) = LDNSCrossCheck.compare(message) else {
            Issue.record("expected only ldns to accept")
            return
        }
        #expect(opaqueTypes == [40])
        #expect(!LDNSCrossCheck.compare(message).isProblem)
    }

    /// ldns 1.8.3 crashes printing an EDNS CHAIN option (a null `ldns_rdf **` in its printer):
    /// render lists CHAIN options itself, after ldns's text of the rest.
    @Test func renderSurvivesAnEDNSChainOption() throws {
        let opt = Wire.opt(options: [
            (8, [0, 1, 0, 0]), (13, Array("\u{7}example\u{3}com\u{0}".utf8)), (13, []), (3, []),
        ])
        let message = Wire.header(ar: 1) + Wire.question(Wire.name("example.com")) + opt
        let ldns = try LDNSCodec.parse(message).get()
        #expect(ldns.edns.map { Array($0.optionCodes) } == [8, 13, 13, 3])
        let text = try #require(LDNSCodec.render(message))
        #expect(text.contains(";; EDNS CHAIN (not decoded): 076578616d706c6503636f6d00"))
        #expect(text.contains(";; EDNS CHAIN (not decoded): (empty)"))
        #expect(text.contains("; NSID"), "the other options are still printed by ldns")
        // The packet's own option list is put back: a second render gives the same text.
        #expect(LDNSCodec.render(message) == text)
    }

    /// ldns parses a CAA record whose tag is not alphanumeric but ldns_pkt2str refuses to print it:
    /// render gives nil for a message parse accepts.
    @Test func renderMayRefuseWhatParseAccepts() throws {
        let caa = Wire.rr([0], type: 257, rdata: [0, 2, 0xFF, 0xFF])
        let message = Wire.header(flags: 0x8180, qd: 0, an: 1) + caa
        #expect((try? LDNSCodec.parse(message).get()) != nil)
        #expect(LDNSCodec.render(message) == nil)
        let printable =
            Wire.header(flags: 0x8180, qd: 0, an: 1) + Wire.rr([0], type: 257, rdata: [0, 2] + Array("ab".utf8))
        #expect(LDNSCodec.render(printable) != nil)
    }
}
