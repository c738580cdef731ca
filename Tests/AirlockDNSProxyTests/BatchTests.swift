import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEvents
import Testing

/// A `recvmmsg` batch goes through the shared engine under one lock: the decisions must be the ones
/// the same queries get one by one — blocks, forwards, FORMERR, the tunnel's conviction and its
/// quarantine — and the answers' verdicts likewise.
@Suite struct BatchTests {
    /// A tunnel's queries mixed with ordinary ones, a denied name and malformed datagrams.
    static func datagrams() -> [(bytes: [UInt8], client: ClientHandle)] {
        var labels = LabelGenerator()
        var out: [(bytes: [UInt8], client: ClientHandle)] = []
        let implant = CoreHarness.client("198.18.1.66", port: 41_000)
        let browser = CoreHarness.client("198.18.1.10")
        for i in 0..<120 {
            let id = UInt16(i)
            out.append((CoreHarness.queryBytes("\(labels.base32(48)).t.tunnel-zone.com", type: DNSRecordType.txt, id: id), implant))
            if i % 3 == 0 { out.append((CoreHarness.queryBytes("www.example.com", id: id), browser)) }
            if i % 17 == 0 { out.append((CoreHarness.queryBytes("evil.example.com", id: id), browser)) }
            if i % 29 == 0 { out.append(([0x12, 0x34, 0x01], browser)) }
            if i % 31 == 0 { out.append((Array(CoreHarness.queryBytes("x.example.com", id: id).prefix(20)), browser)) }
        }
        return out
    }

    /// What a decision looks like without the random upstream ID: its kind and, for answers, the bytes.
    static func shape(_ action: ProxyAction) -> String {
        switch action {
        case .none: return "none"
        case .forward(let query): return "forward \(query.transport) \(query.bytes.count)"
        case .respond(let client, let bytes): return "respond \(client.peer) \(bytes)"
        }
    }

    @Test func aBatchDecidesAsTheSameQueriesOneByOne() throws {
        var single = try CoreHarness(policy: basicPolicy)
        var batched = try CoreHarness(policy: basicPolicy)
        let all = Self.datagrams()
        var one: [String] = []
        var many: [String] = []
        var start = 0
        var size = 1
        while start < all.count {
            let chunk = all[start..<min(all.count, start + size)]
            single.advance(seconds: 0.05)
            batched.advance(seconds: 0.05)
            for datagram in chunk {
                one.append(Self.shape(single.core.receiveQuery(datagram.bytes, from: datagram.client, at: single.time)))
            }
            var actions: [ProxyAction] = []
            batched.core.receiveQueries(
                chunk.map { IncomingQuery(bytes: $0.bytes, client: $0.client) }, at: batched.time, into: &actions)
            many += actions.map(Self.shape)
            start += size
            size = size % 64 + 7
        }
        // Queries answered before the engine come first within a batch: compare as multisets per run,
        // and the engine's decisions in order.
        #expect(one.sorted() == many.sorted())
        #expect(one.filter { $0.hasPrefix("forward") }.count == many.filter { $0.hasPrefix("forward") }.count)
        let singleRecords = single.records.map(DecisionFormat.string)
        let batchedRecords = batched.records.map(DecisionFormat.string)
        #expect(singleRecords.sorted() == batchedRecords.sorted())
        #expect(singleRecords.contains { $0.contains("dns.tunnel") }, "the tunnel is convicted")
        #expect(
            singleRecords.filter { !$0.contains("\"formerr\"") && !$0.contains("\"drop\"") }
                == batchedRecords.filter { !$0.contains("\"formerr\"") && !$0.contains("\"drop\"") })
    }

    @Test func aBatchOfAnswersIsObservedAsOneByOne() throws {
        var single = try CoreHarness(policy: basicPolicy)
        var batched = try CoreHarness(policy: basicPolicy)
        var labels = LabelGenerator()
        let implant = CoreHarness.client("198.18.1.66", port: 41_000)
        var oneForwards: [UpstreamQuery] = []
        var manyForwards: [UpstreamQuery] = []
        for i in 0..<60 {
            let bytes = CoreHarness.queryBytes("\(labels.base32(40)).t.tunnel-zone.com", type: DNSRecordType.txt, id: UInt16(i))
            if let forward = single.core.receiveQuery(bytes, from: implant, at: single.time).forwarded { oneForwards.append(forward) }
            if let forward = batched.core.receiveQuery(bytes, from: implant, at: batched.time).forwarded { manyForwards.append(forward) }
        }
        _ = single.records
        _ = batched.records
        var one: [String] = []
        for forward in oneForwards {
            one.append(Self.shape(single.answer(forward, [.txt(200)])))
        }
        batched.advance(seconds: 0.005)
        var actions: [ProxyAction] = []
        let answers = manyForwards.map {
            (bytes: CoreHarness.response(to: $0.bytes, records: [.txt(200)]), upstream: $0.upstream)
        }
        batched.core.receiveUpstreams(answers, transport: .udp, at: batched.time, into: &actions)
        #expect(one == actions.map(Self.shape))
        #expect(single.records.map(\.action) == batched.records.map(\.action))
    }
}
