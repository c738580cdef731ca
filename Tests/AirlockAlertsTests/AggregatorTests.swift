import AirlockDigest
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import Testing

@testable import AirlockAlerts

@Suite struct AggregatorTests {
    @Test func sha256KnownVectors() {
        var h = SHA256()
        h.update("abc")
        #expect(SHA256.hexEncoded(h.finalize()) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        var long = SHA256()
        long.update(Array(repeating: UInt8(ascii: "a"), count: 1_000_000))
        #expect(SHA256.hexEncoded(long.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test func tunnelRaisesOneAlertAndRollupsPerWindow() {
        var aggregator = AlertAggregator(windowSeconds: 60)
        // 10,000 tunnel queries over 100 s: one every 10 ms.
        var alerts: [Alert] = []
        let stream = Samples.tunnelStream(count: 10_000)
        let tunnel = stream.filter { $0.alertKind == .tunnel }
        #expect(tunnel.count > 9_900)
        for decision in stream { alerts += aggregator.add(decision) }
        alerts += aggregator.flush()
        #expect(alerts.count == 3)
        #expect(alerts.map(\.phase) == [.first, .rollup, .rollup])
        #expect(alerts[0].count == 1)
        #expect(alerts[0].decision.verdict?.isFirst == true)
        #expect(alerts.reduce(0) { $0 + $1.count } == tunnel.count)
        #expect(alerts[1].windowStart == alerts[0].windowStart)
        #expect(alerts[2].windowStart == alerts[1].windowEnd)
        #expect(alerts[2].decision.queries == 10_000)
        #expect(Set(alerts.map(\.id)).count == 3)
        #expect(alerts.allSatisfy { $0.kind == .tunnel })
    }

    @Test func quietWindowEndsTheRunAndTheNextOccurrenceIsFirstAgain() {
        var aggregator = AlertAggregator(windowSeconds: 10)
        let stream = Samples.tunnelDecisions(count: 40, interval: 0.1)
        var alerts = aggregator.add(stream[0])
        alerts += aggregator.add(stream[1])
        // Nothing for 25 s: the first window rolls up the repeat, the second is quiet and closes the run.
        alerts += aggregator.advance(to: Timestamp(seconds: 1_700_000_025))
        #expect(alerts.map(\.phase) == [.first, .rollup])
        #expect(aggregator.openRuns == 0)
        let later = Samples.tunnelDecisions(count: 40, start: 1_700_000_030)[0]
        let again = aggregator.add(later)
        #expect(again.map(\.phase) == [.first])
        #expect(again[0].id != alerts[0].id)
    }

    @Test func keysSeparateSandboxesDomainsAndKinds() {
        var aggregator = AlertAggregator(windowSeconds: 60)
        let a = Samples.tunnelDecisions(count: 40, sandbox: "agent-1")
        let b = Samples.tunnelDecisions(count: 40, sandbox: "agent-2")
        var alerts: [Alert] = []
        for d in a + b { alerts += aggregator.add(d) }
        #expect(alerts.filter { $0.phase == .first }.count == 2)
    }

    @Test func routineDecisionsRaiseNothing() {
        var aggregator = AlertAggregator()
        #expect(aggregator.add(Samples.routine(at: 1_700_000_000)).isEmpty)
        #expect(Samples.routine(at: 1).alertKind == nil)
        // Before the domain's evidence adds up, single odd names are decisions, not alerts.
        let early = Samples.tunnelStream(count: 3)
        #expect(early.allSatisfy { $0.alertKind == nil && $0.action == .allow })
    }

    @Test func sameTrafficGivesSameRecords() {
        func run() -> [String] {
            var aggregator = AlertAggregator(windowSeconds: 30)
            var lines: [String] = []
            for d in Samples.tunnelStream(count: 5_000, interval: 0.02) {
                lines += aggregator.add(d).map { AlertFormat.ocsf.encode($0) }
            }
            lines += aggregator.flush().map { AlertFormat.ocsf.encode($0) }
            return lines
        }
        let first = run(), second = run()
        #expect(first.count == 5)
        #expect(first == second)
    }

    @Test func builderActionsFollowEnforcement() {
        func firstTunnel(_ builder: DecisionEventBuilder) -> DecisionEvent {
            Samples.tunnelStream(count: 40, builder: builder).first { $0.alertKind == .tunnel }!
        }
        #expect(firstTunnel(DecisionEventBuilder(enforcement: .enforce)).action == .quarantine)
        #expect(firstTunnel(DecisionEventBuilder(enforcement: .report)).action == .wouldQuarantine)
        #expect(firstTunnel(DecisionEventBuilder(enforcement: .monitor)).action == .alert)
        #expect(firstTunnel(DecisionEventBuilder(enforcement: .enforce, quarantine: false)).action == .alert)
        let d = firstTunnel(DecisionEventBuilder(policyVersion: "abc"))
        #expect(d.policyVersion == "abc")
        #expect(d.domain == "pirate.sea")
        #expect(d.queries ?? 0 >= 4)
        #expect(!d.evidence.isEmpty)
        #expect(d.rule == "dns.tunnel.domain_score")
        #expect(d.server == Samples.resolver)
    }

    @Test func otherAlertKinds() {
        let b = DecisionEventBuilder()
        let time = Timestamp(seconds: 1)
        let bypass = ResolverBypass(
            kind: .dnsOverHTTPS, destination: Endpoint(address: IPAddress("198.18.9.9")!, port: 443), transport: .tcp,
            evidence: [.resolverHostName(sni: "dns.google", entry: "dns.google", provider: "Google")])
        #expect(b.decision(bypass: bypass, time: time, client: Samples.client, sandbox: nil, serverName: "dns.google").alertKind == .resolverBypass)
        let http = DecisionRequest.http(method: "GET", host: "169.254.169.254", port: 80, path: "/latest/meta-data/")
        #expect(b.metadataAccess(time: time, source: .http, sandbox: nil, client: Samples.client, request: http).alertKind == .metadataAccess)
        #expect(b.sniMismatch(time: time, sandbox: nil, client: Samples.client, requestedHost: "a.com", port: 443, serverName: "b.com").alertKind == .sniMismatch)
        let budget = b.budgetExhausted(
            time: time, source: .dns, sandbox: nil, client: Samples.client, request: .dns(name: "x.pirate.sea", qtype: 16, transport: .udp),
            domain: "pirate.sea", used: 5000, budget: 4096, windowSeconds: 300, rule: "dns.leak_budget")
        #expect(budget.alertKind == .budgetExhausted)
        #expect(budget.evidence.first?.threshold == 4096)
        let denied = b.policyDecision(
            time: time, source: .http, sandbox: nil, client: Samples.client, request: http, rule: "http.allow_private_destinations",
            message: "private", denied: true, crossBoundary: true)
        #expect(denied.alertKind == .policyDenial)
        #expect(denied.action == .block)
        let routineDeny = b.policyDecision(
            time: time, source: .dns, sandbox: nil, client: Samples.client, request: .dns(name: "ads.example", qtype: 1, transport: .udp),
            rule: "dns.deny[0]", message: "listed", denied: true, crossBoundary: false)
        #expect(routineDeny.alertKind == nil)
    }
}
