import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPolicy
import Testing

@Suite struct CacheTests {
    @Test func cachedAnswerKeepsTheClientsIDAndCaseAndAgesTTLs() throws {
        var h = try CoreHarness(policy: basicPolicy, cacheEntries: 100)
        let forward = try #require(h.query("www.example.com", id: 1).forwarded)
        _ = h.answer(forward)
        h.advance(seconds: 100)
        let hit = h.query("wWw.ExAmple.com", id: 2)
        let bytes = try #require(hit.response?.bytes)
        #expect(bytes[0] == 0 && bytes[1] == 2)
        // The question comes back byte for byte as this client wrote it (0x20 case).
        #expect(String(decoding: bytes[13..<16], as: UTF8.self) == "wWw")
        let message = try #require(hit.message)
        #expect(message.answers.first?.ttl ?? 0 <= 200)
        #expect(message.answers.first?.ttl ?? 0 >= 199)
        #expect(h.core.stats.cacheHits == 1)
        #expect(h.records.last?.cached == true)
        // Expired after its TTL.
        h.advance(seconds: 250)
        #expect(h.query("www.example.com").forwarded != nil)
    }

    @Test func cachedQueriesStillPassTheEngineAndThePolicy() throws {
        var h = try CoreHarness(policy: basicPolicy, cacheEntries: 100)
        let before = h.shared.enforcerStatus().queries
        let forward = try #require(h.query("www.example.com").forwarded)
        _ = h.answer(forward)
        for _ in 0..<5 { #expect(h.query("www.example.com").response != nil) }
        #expect(h.shared.enforcerStatus().queries == before + 6)
        // A reload that denies the name wins over the cache.
        let stricter = try AirlockPolicy.PolicyLoader.load(
            text: basicPolicy.replacing("deny: [evil.example.com]", with: "deny: [www.example.com]"),
            name: "t.yaml")
        h.shared.install(try PolicySnapshot(policy: stricter, defaultUpstreams: [CoreHarness.upstreamA]))
        h.core.refreshPolicy()
        #expect(h.query("www.example.com").message?.rcode == DNSResponseCode.nxDomain)
    }

    @Test func cacheKeepsDNSSECAndPlainAnswersApart() throws {
        var h = try CoreHarness(policy: basicPolicy, cacheEntries: 100)
        let forward = try #require(h.query("www.example.com").forwarded)
        _ = h.answer(forward)
        let doQuery = DNSQueryBuilder.query(
            name: DNSName("www.example.com")!, type: DNSRecordType.a, id: 3, ednsUDPPayloadSize: 1232, dnssecOK: true)
        #expect(h.core.receiveQuery(doQuery, from: CoreHarness.client(), at: h.time).forwarded != nil)
    }

    @Test func cachedRebindingAnswersAreCheckedPerSandbox() throws {
        let policy =
            basicPolicy + """

                  rebinding:
                    allow_private_answers_for: [printer.example.com]
                sandboxes:
                  - name: strict
                    match: [198.18.3.0/24]
                """
        var h = try CoreHarness(policy: policy, cacheEntries: 100)
        let forward = try #require(h.query("printer.example.com").forwarded)
        #expect(h.answer(forward, [.a("192.168.1.9")]).message?.answers.count == 1)
        #expect(h.query("printer.example.com").message?.answers.count == 1)
        // The sandbox inherits the exception (lists are added), so it is served too.
        #expect(h.query("printer.example.com", client: CoreHarness.client("198.18.3.3")).message?.answers.count == 1)
    }
}

@Suite struct BadPacketTests {
    @Test func malformedQueriesAreCountedAndAnsweredFORMERROrDropped() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let client = CoreHarness.client()
        // Shorter than a header: dropped.
        #expect(h.core.receiveQuery([1, 2, 3], from: client, at: h.time).isNone)
        // A header claiming a question that is not there: FORMERR with the ID.
        let truncated: [UInt8] = [0xAB, 0xCD, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, 0x77]
        let formerr = try #require(h.core.receiveQuery(truncated, from: client, at: h.time).response?.bytes)
        #expect(formerr[0] == 0xAB && formerr[1] == 0xCD && formerr[3] & 0x0F == 1)
        // A name whose compression pointer leads back into itself.
        let loop: [UInt8] = [0, 1, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 1, 0x61, 0xC0, 12, 0, 1, 0, 1]
        #expect(h.core.receiveQuery(loop, from: client, at: h.time).message?.rcode == DNSResponseCode.formErr)
        // Oversized datagram.
        let big = CoreHarness.queryBytes("www.example.com") + [UInt8](repeating: 0, count: 5000)
        #expect(h.core.receiveQuery(big, from: client, at: h.time).message?.rcode == DNSResponseCode.formErr)
        // A response sent as a query: dropped (never reflect).
        var response = CoreHarness.queryBytes("www.example.com")
        response[2] |= 0x80
        #expect(h.core.receiveQuery(response, from: client, at: h.time).isNone)
        // Two questions.
        var two = CoreHarness.queryBytes("www.example.com", edns: nil)
        two[5] = 2
        two += two[12...]
        #expect(h.core.receiveQuery(two, from: client, at: h.time).message?.rcode == DNSResponseCode.formErr)
        // NOTIFY: not served.
        var notify = CoreHarness.queryBytes("www.example.com")
        notify[2] = 0x20
        #expect(h.core.receiveQuery(notify, from: client, at: h.time).message?.rcode == DNSResponseCode.notImp)

        let malformed = h.core.stats.malformed
        #expect(malformed["truncated_header"] == 1)
        #expect(malformed["truncated_question"] == 1)
        #expect(malformed["compression_loop"] == 1)
        #expect(malformed["oversized"] == 1)
        #expect(malformed["response_as_query"] == 1)
        #expect(malformed["question_count"] == 1)
        #expect(h.core.stats.formerr == 4)
        #expect(h.core.pendingCount == 0)
    }

    @Test func randomBytesNeverCrashOrReachAnUpstream() throws {
        var h = try CoreHarness(policy: basicPolicy)
        var random = LabelGenerator(state: 42)
        let valid = CoreHarness.queryBytes("www.example.com")
        var forwardedFromNoise = 0
        for i in 0..<20_000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int(random.next() % 80)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            } else {
                // Mutations of a valid query: flipped bytes and cut ends.
                bytes = valid
                for _ in 0..<3 {
                    bytes[Int(random.next() % UInt64(bytes.count))] = UInt8(truncatingIfNeeded: random.next())
                }
                bytes.removeLast(Int(random.next() % 8))
            }
            let action = h.core.receiveQuery(bytes, from: CoreHarness.client(), at: h.time)
            if let forward = action.forwarded {
                // Only well-formed single-question queries may go upstream.
                guard case .success(let m) = DNSWireReader.parse(forward.bytes.span) else {
                    Issue.record("unparseable bytes forwarded")
                    continue
                }
                #expect(m.questionCount == 1 && !m.isResponse)
                forwardedFromNoise += 1
            }
            if i % 1000 == 0 { _ = h.core.takeRecords() }
        }
        #expect(h.core.stats.queries == 20_000)
        #expect(h.core.stats.malformed.values.reduce(0, +) > 10_000)
        // Upstream garbage is counted, never forwarded to a client.
        let forward = try #require(h.query("www.example.com").forwarded)
        for _ in 0..<1000 {
            let noise = (0..<Int(random.next() % 600)).map { _ in UInt8(truncatingIfNeeded: random.next()) }
            #expect(h.core.receiveUpstream(noise, from: forward.upstream, transport: .udp, at: h.time).response == nil)
        }
        #expect(h.answer(forward).response != nil)
    }
}
