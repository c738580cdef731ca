import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import Testing

@Suite struct ForwardingTests {
    @Test func allowedQueryIsForwardedWithARandomIDAndTheAnswerGetsTheClientIDBack() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let client = CoreHarness.client()
        let query = CoreHarness.queryBytes("www.Example.com", id: 0x4242)
        let action = h.core.receiveQuery(query, from: client, at: h.time)
        let forward = try #require(action.forwarded)
        #expect(forward.transport == .udp)
        #expect([CoreHarness.upstreamA, CoreHarness.upstreamB].contains(forward.upstream))
        // The question goes upstream in lower case with a clean OPT record (UpstreamQueryTests says why).
        let expected = DNSQueryBuilder.query(
            name: DNSName("www.example.com")!, type: DNSRecordType.a, id: forward.id, ednsUDPPayloadSize: 1232)
        #expect(forward.bytes == expected)

        let reply = h.answer(forward)
        let (to, bytes) = try #require(reply.response)
        #expect(to == client)
        #expect(bytes[0] == 0x42 && bytes[1] == 0x42)
        #expect(String(decoding: bytes[13..<24], as: UTF8.self) == "www\u{7}Example")
        let message = try #require(reply.message)
        #expect(message.answers.first?.address == IPAddress("93.184.216.34"))
        #expect(h.core.pendingCount == 0)
    }

    @Test func upstreamIDsVary() throws {
        var h = try CoreHarness(policy: basicPolicy)
        var ids: Set<UInt16> = []
        for i in 0..<200 {
            let forward = try #require(h.query("host\(i).example.com", id: 7).forwarded)
            ids.insert(forward.id)
        }
        // 200 draws from 65536 values: a fixed or counting ID would give 1 or a run; expect near 200.
        #expect(ids.count > 190)
    }

    @Test func spoofedLateAndMismatchedAnswersAreDropped() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let forward = try #require(h.query("www.example.com").forwarded)

        // Wrong ID.
        var wrongID = forward
        wrongID.id &+= 1
        var bytes = wrongID.bytes
        bytes[0] = UInt8(wrongID.id >> 8)
        bytes[1] = UInt8(wrongID.id & 0xFF)
        wrongID.bytes = bytes
        #expect(h.answer(wrongID).isNone)

        // Right ID from another server.
        var otherServer = forward
        otherServer.upstream = Endpoint(address: IPAddress("198.18.9.9")!, port: 53)
        #expect(h.answer(otherServer).isNone)

        // Right ID, different question: dropped, and the real answer still gets through.
        var otherQuestion = forward
        let spoof = CoreHarness.queryBytes("evil.example.net", id: forward.id)
        otherQuestion.bytes = spoof
        #expect(h.answer(otherQuestion).isNone)
        #expect(h.core.stats.upstreamMismatched == 1)
        #expect(h.core.stats.upstreamUnmatched == 2)

        #expect(h.answer(forward).response != nil)
        // A second copy of the real answer is late: nothing is waiting for it.
        #expect(h.answer(forward).isNone)
    }

    @Test func timeoutsRetryTheNextUpstreamThenServfail() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let first = try #require(h.query("www.example.com", id: 0x0101).forwarded)
        var actions: [ProxyAction] = []
        h.advance(seconds: 0.4)
        h.core.expire(at: h.time, into: &actions)
        #expect(actions.isEmpty)
        h.advance(seconds: 0.2)
        h.core.expire(at: h.time, into: &actions)
        let second = try #require(actions.first?.forwarded)
        #expect(second.upstream != first.upstream)
        #expect(second.id != first.id || second.upstream != first.upstream)
        actions = []
        h.advance(seconds: 0.6)
        h.core.expire(at: h.time, into: &actions)
        let message = try #require(actions.first?.message)
        #expect(message.rcode == DNSResponseCode.servFail)
        #expect(message.id == 0x0101)
        #expect(message.question?.name == DNSName("www.example.com"))
        #expect(h.core.stats.servfail == 1)
        // The answer to the first attempt now arrives late: dropped.
        #expect(h.answer(first).isNone)
        let failure = try #require(h.records.last)
        #expect(failure.action == .servfail && failure.stage == .answer)
    }

    @Test func unreachableUpstreamFailsOverAtOnce() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let first = try #require(h.query("www.example.com").forwarded)
        var actions: [ProxyAction] = []
        h.core.upstreamFailed(first.upstream, transport: .udp, id: nil, at: h.time, into: &actions)
        let second = try #require(actions.first?.forwarded)
        actions = []
        h.core.upstreamFailed(second.upstream, transport: .udp, id: second.id, at: h.time, into: &actions)
        #expect(actions.first?.message?.rcode == DNSResponseCode.servFail)
    }

    @Test func servfailFromOneUpstreamTriesTheNext() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let first = try #require(h.query("www.example.com").forwarded)
        let second = try #require(h.answer(first, [], rcode: DNSResponseCode.servFail).forwarded)
        #expect(second.upstream != first.upstream)
        #expect(h.answer(second).message?.rcode == DNSResponseCode.noError)
    }

    @Test func truncatedUDPAnswerIsFetchedOverTCPForTCPClients() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let tcpClient = CoreHarness.client(transport: .tcp)
        let first = try #require(h.query("big.example.com", type: DNSRecordType.txt, client: tcpClient).forwarded)
        let retry = try #require(h.answer(first, [], tc: true).forwarded)
        #expect(retry.transport == .tcp)
        #expect(retry.upstream == first.upstream)
        let reply = h.answer(retry, [.txt(3000)])
        #expect(reply.message?.answers.first?.rdataLength ?? 0 > 3000)
        #expect(h.core.stats.tcpFallbacks == 1)

        // A UDP client gets the TC answer and retries over TCP itself.
        let udp = try #require(h.query("big.example.com", type: DNSRecordType.txt).forwarded)
        #expect(h.answer(udp, [], tc: true).message?.flags.tc == true)
    }

    @Test func answersLargerThanTheClientsBufferAreTruncated() throws {
        var h = try CoreHarness(policy: basicPolicy)
        let forward = try #require(h.query("big.example.com", type: DNSRecordType.txt, edns: nil).forwarded)
        let reply = h.answer(forward, [.txt(1000)])
        let bytes = try #require(reply.response?.bytes)
        #expect(bytes.count <= 512)
        let message = try #require(reply.message)
        #expect(message.flags.tc)
        #expect(message.question?.name == DNSName("big.example.com"))
    }
}
