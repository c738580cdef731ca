import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPipeline
import AirlockPolicy
import Foundation
import Synchronization
import Testing

@testable import AirlockAlerts

/// The same queries through the live DNS proxy core (records → ``AlertingDecisionLog``) and
/// through the replay path (``DNSPipeline`` → ``DecisionEventBuilder``) give the same alert records.
@Suite struct LiveReplayParityTests {
    static let local = Endpoint(address: .v4(0x7F00_0001), port: 53)
    static let upstream = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)
    static let client = Endpoint(address: IPAddress("198.18.1.10")!, port: 40_000)

    /// Tunnel queries to pirate.sea mixed with ordinary lookups, 20 ms apart.
    static func traffic() -> [(time: Timestamp, bytes: [UInt8])] {
        (0..<600).map { i in
            let name = i % 5 == 4 ? "www.example.com" : Samples.tunnelName(i)
            let type = i % 5 == 4 ? DNSRecordType.a : DNSRecordType.txt
            let bytes = DNSQueryBuilder.query(name: DNSName(name)!, type: type, id: UInt16(i), ednsUDPPayloadSize: 1232)
            return (Timestamp(seconds: 1_700_000_000 + Double(i) * 0.02), bytes)
        }
    }

    /// Collects the alerts a pipeline raises.
    final class Collector: Sendable {
        private let box = Mutex<[Alert]>([])
        var alerts: [Alert] { box.withLock { $0 } }
        var observer: @Sendable (Alert) -> Void { { alert in self.box.withLock { $0.append(alert) } } }
    }

    @Test func liveProxyAndReplayRaiseTheSameAlerts() throws {
        var config = AlertingConfiguration()
        config.windowSeconds = 2

        // Live: the proxy core decides each query; its records go through the alerting log.
        let liveAlerts = Collector()
        let livePipeline = try AlertPipeline(configuration: config, observer: liveAlerts.observer)
        let policy = try PolicyLoader.load(text: "version: 1\n", name: "p.yaml", knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
        let snapshot = try PolicySnapshot(policy: policy, defaultUpstreams: [Self.upstream])
        var core = DNSProxyCore(
            configuration: ProxyConfiguration(listen: [Self.local], upstreams: [Self.upstream]),
            shared: SharedInspection(policy: snapshot))
        let log = AlertingDecisionLog(sink: livePipeline)
        let handle = ClientHandle(transport: .udp, peer: Self.client, local: Self.local, channel: 0)
        // What a capture on the sandbox side would hold: each query and the proxy's own answers.
        var wire: [(time: Timestamp, bytes: [UInt8], response: Bool)] = []
        for (i, q) in Self.traffic().enumerated() {
            let action = core.receiveQuery(q.bytes, from: handle, at: ProxyTime(wall: q.time, monotonic: Int64(i) * 20_000_000))
            log.write(core.takeRecords())
            wire.append((q.time, q.bytes, false))
            if case .respond(_, let bytes) = action { wire.append((q.time, bytes, true)) }
        }
        livePipeline.finish()

        // Replay: the shared pipeline over the same messages.
        let replayAlerts = Collector()
        let replayPipeline = try AlertPipeline(configuration: config, observer: replayAlerts.observer)
        var pipeline = DNSPipeline()
        let builder = DecisionEventBuilder()
        for q in wire {
            guard case .success(let message) = DNSWireReader.parse(q.bytes.span) else { continue }
            let origin = MessageOrigin(
                time: q.time, source: q.response ? Self.local : Self.client, destination: q.response ? Self.client : Self.local,
                transport: .udp)
            if let decision = builder.decision(pipeline.handle(message, from: origin)) { replayPipeline.submit(decision) }
        }
        replayPipeline.finish()

        let live = liveAlerts.alerts, replay = replayAlerts.alerts
        print(
            "live/replay parity: live \(live.count) alerts \(live.map { "\($0.kind.rawValue)/\($0.phase.rawValue)×\($0.count)" }), "
                + "replay \(replay.count) alerts \(replay.map { "\($0.kind.rawValue)/\($0.phase.rawValue)×\($0.count)" })")
        #expect(!live.isEmpty)
        #expect(wire.contains { $0.response }, "the proxy answered some queries itself (quarantine)")
        #expect(live.map(\.id) == replay.map(\.id))
        #expect(live.map(\.kind) == replay.map(\.kind))
        #expect(live.map(\.count) == replay.map(\.count))
        #expect(live.map(\.decision.rule) == replay.map(\.decision.rule))
        #expect(live.map(\.decision.evidence) == replay.map(\.decision.evidence))
        #expect(live.map(\.decision.action) == replay.map(\.decision.action))
    }

    @Test func proxyFeedsTheUpstreamLatencyHistogram() throws {
        let metrics = Metrics()
        let latency = metrics.upstreamLatency
        var configuration = ProxyConfiguration(listen: [Self.local], upstreams: [Self.upstream])
        configuration.upstreamLatencyObserver = { latency.observe(seconds: $0) }
        let policy = try PolicyLoader.load(text: "version: 1\n", name: "p.yaml", knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
        var core = DNSProxyCore(
            configuration: configuration,
            shared: SharedInspection(policy: try PolicySnapshot(policy: policy, defaultUpstreams: [Self.upstream])))
        let handle = ClientHandle(transport: .udp, peer: Self.client, local: Self.local, channel: 0)
        let query = DNSQueryBuilder.query(name: DNSName("www.example.com")!, type: DNSRecordType.a, id: 7)
        let t0 = ProxyTime(wall: Timestamp(seconds: 1_700_000_000), monotonic: 1_000_000_000)
        guard case .forward(let forwarded) = core.receiveQuery(query, from: handle, at: t0) else {
            Issue.record("query not forwarded")
            return
        }
        // The upstream's answer 30 ms later: same id and question, QR set, no records.
        var answer = forwarded.bytes
        answer[2] |= 0x80
        let t1 = ProxyTime(wall: Timestamp(seconds: 1_700_000_000.03), monotonic: 1_030_000_000)
        _ = core.receiveUpstream(answer, from: forwarded.upstream, transport: forwarded.transport, at: t1)
        let snapshot = latency.snapshot
        #expect(snapshot.count == 1)
        #expect(abs(snapshot.sum - 0.03) < 1e-9)
        #expect(metrics.render().contains("airlock_upstream_latency_seconds_bucket{le=\"0.05\"} 1\n"))
    }
}
