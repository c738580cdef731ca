import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import Testing

/// Every answer the proxy blocks carries an Extended DNS Error (RFC 8914) naming the rule.
@Suite struct ExtendedErrorTests {
    static func errors(_ action: ProxyAction) -> [ExtendedDNSError] {
        action.response.flatMap { ExtendedDNSError.read(from: $0.bytes) } ?? []
    }

    @Test func aDenyRuleSaysBlockedAndNamesTheRule() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let answer = h.query("evil.example.com")
        #expect(answer.message?.rcode == DNSResponseCode.nxDomain)
        #expect(Self.errors(answer) == [ExtendedDNSError(infoCode: 15, extraText: "airlock: dns.deny[0] 'evil.example.com' on evil.example.com")])
        let bytes = try #require(answer.response?.bytes)
        // The option is the whole OPT RDATA: code 15, length 2 + text, info code 15.
        let text = Array("airlock: dns.deny[0] 'evil.example.com' on evil.example.com".utf8)
        #expect(Array(bytes.suffix(text.count + 6)) == [0, 15, 0, UInt8(text.count + 2), 0, 15] + text)
    }

    @Test func aQueryWithoutEDNSGetsNoOPT() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let answer = h.query("evil.example.com", edns: nil)
        #expect(answer.message?.rcode == DNSResponseCode.nxDomain)
        #expect(answer.message?.edns == nil)
        #expect(answer.message?.additionalCount == 0)
    }

    @Test func aDefaultDenyAndARecordTypeSayWhich() throws {
        var h = try CoreHarness(
            policy: basicPolicy.replacing("default: allow", with: "default: deny\n  allow: [.example.com]\n  allowed_types: [A, AAAA]"))
        #expect(Self.errors(h.query("files.example.net")) == [ExtendedDNSError(infoCode: 15, extraText: "airlock: dns.default deny on files.example.net")])
        #expect(
            Self.errors(h.query("x.example.com", type: 25))
                == [ExtendedDNSError(infoCode: 18, extraText: "airlock: dns.allowed_types KEY not allowed on x.example.com")])
    }

    @Test func aQuarantineNamesTheTunnelVerdict() throws {
        var h = try CoreHarness(policy: basicPolicy)
        var labels = LabelGenerator()
        var blocked: ProxyAction?
        for _ in 1...40 where blocked == nil {
            let action = h.query("\(labels.base32(50)).t.tunnel-zone.com", type: DNSRecordType.txt)
            if let forward = action.forwarded { _ = h.answer(forward, [.txt(200)]) } else { blocked = action }
        }
        let action = try #require(blocked)
        #expect(Self.errors(action) == [ExtendedDNSError(infoCode: 15, extraText: "airlock: dns.quarantine_seconds tunnel verdict on tunnel-zone.com")])
        #expect(Self.errors(h.query("www.tunnel-zone.com")).first?.extraText == "airlock: dns.quarantine_seconds tunnel verdict on tunnel-zone.com")
    }

    @Test func aRebindingAnswerSaysFiltered() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let forward = try #require(h.query("meta.example.com").forwarded)
        let answer = h.answer(forward, [.a("169.254.169.254")])
        let error = try #require(Self.errors(answer).first)
        #expect(error.infoCode == 17)
        #expect(
            error.extraText
                == "airlock: dns.rebinding.allow_private_answers_for answer 169.254.169.254 is link-local (cloud metadata lives here) for meta.example.com")
    }

    @Test func theTextIsCutToFitA512ByteAnswer() {
        let long = ExtendedDNSError(infoCode: 15, extraText: "airlock: " + String(repeating: "é", count: 300))
        #expect(long.extraText.utf8.count <= ExtendedDNSError.maxExtraTextBytes)
        #expect(long.extraText.hasSuffix("é"))
    }
}
