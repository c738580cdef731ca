import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import Testing

/// Issue #11 findings 1 and 2: what of a client's query reaches the upstream. Only the question (in
/// lower case) and a clean OPT record may; everything else a client can fill with data is left out,
/// counted and logged.
@Suite struct UpstreamQueryTests {
    /// A query for `labels` with an OPT record carrying `options`, `extraFlags` in the header, the
    /// OPT TTL `optTTL`, and `trailing` bytes after the message.
    static func query(
        _ labels: [String], id: UInt16 = 0x5151, options: [(code: UInt16, data: [UInt8])] = [],
        extraFlags: UInt16 = 0, optTTL: UInt32 = 0x0000_8000, udpSize: UInt16 = 4096, trailing: [UInt8] = []
    ) -> [UInt8] {
        var out = DNSQueryBuilder.query(labels: labels.map { Array($0.utf8) }, type: DNSRecordType.a, id: id)!
        out[2] |= UInt8(extraFlags >> 8)
        out[3] |= UInt8(extraFlags & 0xFF)
        out[11] = 1
        var rdata: [UInt8] = []
        for option in options {
            rdata += [UInt8(option.code >> 8), UInt8(option.code & 0xFF)]
            rdata += [UInt8(option.data.count >> 8), UInt8(option.data.count & 0xFF)]
            rdata += option.data
        }
        out += [0, 0, 41, UInt8(udpSize >> 8), UInt8(udpSize & 0xFF)]
        out += [UInt8(optTTL >> 24), UInt8((optTTL >> 16) & 0xFF), UInt8((optTTL >> 8) & 0xFF), UInt8(optTTL & 0xFF)]
        out += [UInt8(rdata.count >> 8), UInt8(rdata.count & 0xFF)] + rdata
        return out + trailing
    }

    /// The bytes of the question name in a query (offset 12 to the root label).
    static func questionName(_ bytes: [UInt8]) -> [UInt8] {
        var i = 12
        while i < bytes.count && bytes[i] != 0 { i += Int(bytes[i]) + 1 }
        return Array(bytes[12...min(i, bytes.count - 1)])
    }

    /// 300 case patterns of one ordinary name (the issue's 0x20 channel: ~1 bit per letter, and an
    /// attacker's TTL-0 answers keep every query off the cache) reach the upstream as one casing;
    /// each client still gets its own case back.
    @Test func caseVariantsOfOneNameReachTheUpstreamInOneCasing() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let letters = Array("wwwexamplecom")
        var casingsUpstream: Set<[UInt8]> = []
        var casingsSent: Set<String> = []
        for pattern in 1...300 {
            let chars = letters.enumerated().map { i, c in pattern >> i & 1 == 1 ? Character(c.uppercased()) : c }
            let name = String(chars[0..<3]) + "." + String(chars[3..<10]) + "." + String(chars[10...])
            casingsSent.insert(name)
            let query = CoreHarness.queryBytes(name, id: UInt16(pattern))
            let forward = try #require(h.core.receiveQuery(query, from: CoreHarness.client(), at: h.time).forwarded)
            casingsUpstream.insert(Self.questionName(forward.bytes))
            let answer = h.answer(forward)
            let bytes = try #require(answer.response?.bytes)
            // The question comes back as this client wrote it (resolvers that check 0x20 need it).
            #expect(Self.questionName(bytes) == Self.questionName(query), "\(name)")
            #expect(answer.message?.answers.first?.address == IPAddress("93.184.216.34"))
        }
        #expect(casingsSent.count == 300)
        #expect(casingsUpstream.count <= 1, "\(casingsUpstream.count) distinct casings reached the upstream")
        let lower: [UInt8] = [3] + Array("www".utf8) + [7] + Array("example".utf8) + [3] + Array("com".utf8) + [0]
        #expect(casingsUpstream.first == lower)
        #expect(h.core.stats.strippedCase == 300)
    }

    /// The proxy's own answers to a forwarded query (SERVFAIL after every upstream timed out, a
    /// rebinding block) echo the client's case too.
    @Test func theProxysOwnAnswersEchoTheClientsCase() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let query = CoreHarness.queryBytes("WwW.Example.COM", id: 0x0202)
        #expect(h.core.receiveQuery(query, from: CoreHarness.client(), at: h.time).forwarded != nil)
        var actions: [ProxyAction] = []
        for _ in 0..<2 {
            h.advance(seconds: 0.6)
            h.core.expire(at: h.time, into: &actions)
        }
        let bytes = try #require(actions.last?.response?.bytes)
        #expect(actions.last?.message?.rcode == DNSResponseCode.servFail)
        #expect(Self.questionName(bytes) == Self.questionName(query))

        let rebind = CoreHarness.queryBytes("Rebind.Example.COM", id: 0x0303)
        let forward = try #require(h.core.receiveQuery(rebind, from: CoreHarness.client(), at: h.time).forwarded)
        let blocked = h.answer(forward, [.a("127.0.0.1")])
        #expect(blocked.message?.rcode == DNSResponseCode.nxDomain)
        #expect(Self.questionName(blocked.response?.bytes ?? []) == Self.questionName(rebind))
    }

    /// An unknown option of 3,000 bytes, padding filled with data, a cookie, a client subnet, the Z
    /// and AA bits, OPT flag bits other than DO and 40 bytes of junk after the message: the upstream
    /// gets the question and an empty OPT record with DO and the proxy's payload size, nothing else.
    @Test func onlyTheQuestionAndACleanOPTRecordReachTheUpstream() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let payload = (0..<3000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 1) }
        let padding = Array("secret data in the padding".utf8)
        let cookie: [UInt8] = [1, 2, 3, 4, 5, 6, 7, 8]
        let subnet: [UInt8] = [0, 1, 24, 0, 198, 18, 1]
        let bytes = Self.query(
            ["api", "Example", "com"],
            options: [(65_001, payload), (12, padding), (10, cookie), (8, subnet)],
            extraFlags: 0x0440, optTTL: 0x0700_C123, trailing: [UInt8](repeating: 0xEE, count: 40))
        guard case .success(let parsed) = DNSWireReader.parse(bytes.span) else {
            Issue.record("the test query does not parse")
            return
        }
        #expect(parsed.trailingBytes == 40)
        let client = CoreHarness.client()
        let forward = try #require(h.core.receiveQuery(bytes, from: client, at: h.time).forwarded)

        let expected = DNSQueryBuilder.query(
            name: DNSName("api.example.com")!, type: DNSRecordType.a, id: forward.id, ednsUDPPayloadSize: 1232,
            dnssecOK: true)
        #expect(forward.bytes == expected, "upstream got \(forward.bytes.count) bytes: \(forward.bytes.prefix(80))")
        let sent = try #require(
            { () -> DNSMessage? in
                if case .success(let m) = DNSWireReader.parse(forward.bytes.span) { return m }
                return nil
            }())
        #expect(sent.edns?.optionCodes.isEmpty == true && sent.edns?.dnssecOK == true && sent.trailingBytes == 0)
        #expect(sent.flags.rawValue == 0x0100)

        let record = try #require(h.records.last)
        #expect(record.action == .allow)
        let stripped = try #require(record.stripped)
        #expect(stripped.ednsOptions == [65_001, 12, 10, 8])
        #expect(stripped.ednsOptionBytes == 4 * 4 + payload.count + padding.count + cookie.count + subnet.count)
        #expect(stripped.unusualOption)
        #expect(stripped.trailingBytes == 40)
        #expect(stripped.headerFlags == 0x0440)
        #expect(stripped.ednsFlags == 0x0700_4123)
        #expect(stripped.upperCaseLetters == 1)
        #expect(record.isNotable)
        let line = DecisionFormat.string(record)
        #expect(line.contains("\"stripped\":{\"upper_case_letters\":1,\"edns_options\":[65001,12,10,8]"), "\(line)")
        #expect(h.core.stats.strippedOptions == 4 && h.core.stats.strippedTrailingBytes == 40)
        #expect(h.core.stats.strippedUnusualOptions == 1 && h.core.stats.strippedFlags == 1)
        #expect(h.core.stats.json.contains("\"stripped_edns_option_bytes\":\(stripped.ednsOptionBytes)"))

        // The client's answer: its ID and case, an OPT record (it sent one).
        let reply = h.answer(forward)
        #expect(reply.response?.client == client)
        #expect(reply.message?.id == 0x5151)
        #expect(Self.questionName(reply.response?.bytes ?? []) == Self.questionName(bytes))
    }

    /// Over TCP an option can be 8,000 bytes: it does not travel either, and a TCP retry after a
    /// truncated UDP answer sends the same clean query.
    @Test func aLargeOptionOverTCPStaysBehind() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let bytes = Self.query(["www", "example", "com"], options: [(65_002, [UInt8](repeating: 0x41, count: 8000))])
        let client = CoreHarness.client(transport: .tcp)
        let forward = try #require(h.core.receiveQuery(bytes, from: client, at: h.time).forwarded)
        #expect(forward.bytes.count == 12 + 17 + 4 + 11)
        let retry = try #require(h.answer(forward, [], tc: true).forwarded)
        #expect(retry.transport == .tcp && retry.bytes.count == forward.bytes.count)
        #expect(Array(retry.bytes[2...]) == Array(forward.bytes[2...]))
    }

    /// Ordinary clients' options (a dig cookie, zero padding, an NSID request) are left out too, but
    /// the record is not made notable for them; a query without EDNS goes without.
    @Test func ordinaryOptionsAreLeftOutQuietly() throws {
        var h = try CoreHarness(policy: basicPolicy, logLevel: .notable)
        let bytes = Self.query(
            ["www", "example", "com"], options: [(10, [9, 9, 9, 9, 9, 9, 9, 9]), (12, [0, 0, 0, 0]), (3, [])])
        let forward = try #require(h.core.receiveQuery(bytes, from: CoreHarness.client(), at: h.time).forwarded)
        #expect(forward.bytes.count == 12 + 17 + 4 + 11)
        #expect(h.records.isEmpty)
        #expect(h.core.stats.strippedOptions == 3 && h.core.stats.strippedUnusualOptions == 0)

        let plain = try #require(h.query("www.example.com", edns: nil).forwarded)
        #expect(plain.bytes.count == 12 + 17 + 4)
    }

    /// Records in the answer, authority or additional section of a query: FORMERR, nothing
    /// forwarded, counted by reason and logged.
    @Test func queriesCarryingRecordsAreRefused() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let base = CoreHarness.queryBytes("www.example.com", id: 0x0909, edns: nil)
        let record: [UInt8] = [0xC0, 12, 0, 16, 0, 1, 0, 0, 0, 0, 0, 5, 4] + Array("data".utf8)
        for countOffset in [7, 9, 11] {
            var bytes = base + record
            bytes[countOffset] = 1
            let action = h.core.receiveQuery(bytes, from: CoreHarness.client(), at: h.time)
            #expect(action.forwarded == nil)
            #expect(action.message?.rcode == DNSResponseCode.formErr)
            #expect(action.message?.id == 0x0909)
        }
        // An OPT record plus a TXT record in the additional section.
        var both = Self.query(["www", "example", "com"])
        both[11] = 2
        both += record
        #expect(h.core.receiveQuery(both, from: CoreHarness.client(), at: h.time).message?.rcode == 1)
        #expect(h.core.stats.malformed["records_in_query"] == 4)
        #expect(h.core.stats.forwarded == 0 && h.core.pendingCount == 0)
        let logged = h.records
        #expect(logged.count == 4)
        #expect(logged.allSatisfy { $0.action == .formerr && $0.detail?.contains("records") == true })
    }

    /// EDNS version 1: BADVERS from the proxy itself (RFC 6891 §6.1.3), not forwarded.
    @Test func ednsVersionAboveZeroIsAnsweredBADVERS() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let bytes = Self.query(["www", "example", "com"], optTTL: 0x0001_0000)
        let action = h.core.receiveQuery(bytes, from: CoreHarness.client(), at: h.time)
        #expect(action.forwarded == nil)
        #expect(action.message?.rcode == 16)
        #expect(h.core.stats.badVersion == 1)
    }
}
