import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPolicy
import Testing

/// The enforcer's side of fleet mode, through the proxy core and the shared inspection as the fleet
/// layer sees it (``FleetPeer``), without Redis: other instances' convictions refuse queries here and
/// say who convicted; local convictions and charged bytes come out in batches; the fleet-wide budget
/// is enforced with the last known total plus what was charged here since.
@Suite struct FleetEnforcementTests {
    static let tunnelZone = DomainKey(value: "tunnel-zone.com", kind: .registeredDomain, labelCount: 2)
    static let budgetZone = DomainKey(value: "budget-zone.com", kind: .registeredDomain, labelCount: 2)

    static func remote(_ domain: DomainKey, by instance: String, at time: Timestamp) -> Conviction {
        Conviction(
            domain: domain, since: time, instance: instance, rule: "dns.tunnel.domain_score", score: 2.4, threshold: 1,
            reasons: ["suspicious_names", "mean_information_bytes"], quarantineSeconds: 600)
    }

    @Test func anotherInstancesConvictionRefusesTheDomainAndSaysWhoConvictedIt() throws {
        var h = try CoreHarness(policy: basicPolicy)
        h.shared.joinFleet(FleetTerms(instance: "a"))
        #expect(h.query("www.tunnel-zone.com").forwarded != nil)
        h.shared.install(FleetIncoming(convictions: [Self.remote(Self.tunnelZone, by: "b", at: h.time.wall)], time: h.time.wall))
        _ = h.records
        let action = h.query("www.tunnel-zone.com")
        #expect(action.message?.rcode == DNSResponseCode.nxDomain)
        let record = try #require(h.records.last)
        #expect(record.rule == "dns.quarantine_seconds" && record.domain == Self.tunnelZone)
        guard case .quarantine(_, _, _, let by?)? = record.basis else {
            Issue.record("not a fleet quarantine: \(String(describing: record.basis))")
            return
        }
        #expect(by.instance == "b")
        let line = DecisionFormat.string(record)
        #expect(line.contains("\"convicted_by\":\"b\"") && line.contains("\"conviction_rule\":\"dns.tunnel.domain_score\""))
        #expect(line.contains("by fleet instance b (dns.tunnel.domain_score, score 2.4"))
        // The answer's Extended DNS Error names the instance too.
        #expect(
            ExtendedErrorTests.errors(action) == [
                ExtendedDNSError(
                    infoCode: 15, extraText: "airlock: dns.quarantine_seconds tunnel verdict on tunnel-zone.com by b")
            ])
        // The alerting decision carries the conviction as evidence.
        let event = try #require(DecisionEventBuilder().decision(record: record))
        #expect(event.action == .quarantine && event.reason == .quarantine)
        #expect(event.message.contains("by fleet instance b") && event.evidence.first?.feature == "fleet_conviction")
        // A sandbox's own quarantine length applies from the remote start: 60 s here.
        h.advance(seconds: 61)
        #expect(h.query("www.tunnel-zone.com").forwarded != nil)
        #expect(h.shared.fleetLedgerStatus().adoptedConvictions == 1)
    }

    @Test func ownConvictionsGoOutOnceAndTheirOwnEchoIsIgnored() throws {
        var h = try CoreHarness(policy: basicPolicy)
        h.shared.joinFleet(FleetTerms(instance: "a"))
        var labels = LabelGenerator()
        for _ in 0..<30 {
            if let forward = h.query("\(labels.base32(50)).t.tunnel-zone.com", type: DNSRecordType.txt).forwarded {
                _ = h.answer(forward, [.txt(200)])
            }
        }
        let out = h.shared.takeOutgoing()
        #expect(out.convictions.count == 1)
        let conviction = try #require(out.convictions.first)
        #expect(conviction.domain == Self.tunnelZone && conviction.instance == "a" && conviction.quarantineSeconds == 60)
        #expect(conviction.rule.hasPrefix("dns.tunnel.") && !conviction.reasons.isEmpty)
        #expect(h.shared.takeOutgoing().convictions.isEmpty)
        #expect(h.shared.localConvictions(now: h.time.wall).map(\.domain) == [Self.tunnelZone])
        #expect(h.shared.localConvictions(now: Timestamp(nanoseconds: h.time.wall.nanoseconds + 61_000_000_000)).isEmpty)
        // A batch that did not reach Redis comes out again with the next one.
        h.shared.restore(out)
        #expect(h.shared.takeOutgoing().convictions == out.convictions)
        // Its own entry read back from the stream changes nothing.
        h.shared.install(FleetIncoming(convictions: [conviction], time: h.time.wall))
        #expect(h.shared.fleetLedgerStatus().adoptedConvictions == 0)
    }

    @Test func theFleetBudgetStopsADomainOnTheFleetsTotal() throws {
        // The sandbox's own budget is far away; the fleet's is 300 bytes per 300 s.
        let policy = basicPolicy.replacing("quarantine_seconds: 60", with: "quarantine_seconds: 0")
        var h = try CoreHarness(policy: policy)
        h.shared.joinFleet(FleetTerms(instance: "a", leakBudget: Budget(bytes: 300, windowSeconds: 300)))
        var labels = LabelGenerator()
        func send(_ n: Int) -> (forwarded: Int, blocked: DNSDecisionRecord?) {
            var forwarded = 0
            var blocked: DNSDecisionRecord?
            for _ in 0..<n {
                if h.query("\(labels.base32(20)).budget-zone.com").forwarded != nil {
                    forwarded += 1
                } else if blocked == nil {
                    blocked = h.records.last
                }
            }
            return (forwarded, blocked)
        }
        // Five names leave and are counted for the fleet.
        #expect(send(5).forwarded == 5)
        let batch = h.shared.takeOutgoing()
        #expect(batch.counts.count == 1 && batch.counts[0].key == FleetBudgetKey(sandbox: nil, domain: Self.budgetZone))
        let mine = batch.counts[0].bytes
        #expect(mine > 40 && mine < 80)
        // Bytes taken for a batch still count (in flight) until the fleet's total comes back.
        #expect(send(1).forwarded == 1)
        // Redis says the fleet has sent 250 bytes in this window (other instances' included).
        let window = FleetWindow.index(h.time.wall, seconds: 300)
        h.shared.install(
            FleetIncoming(
                figures: [(batch.counts[0].key, FleetFigure(window: window, previous: 0, current: 250))], time: h.time.wall))
        let (forwarded, blocked) = send(10)
        #expect(forwarded <= 4)
        let record = try #require(blocked)
        #expect(record.rule == "fleet.leak_budget")
        #expect(record.basis?.reason.contains("by the fleet") == true && record.basis?.reason.contains("fleet-wide budget of 300 bytes per 300 s") == true)
        let event = try #require(DecisionEventBuilder().decision(record: record))
        #expect(event.reason == .budgetExhausted)
        if record.verdict == nil { #expect(event.evidence.first?.feature == "fleet_leak_bytes") }
        // Other domains have their own fleet budget.
        #expect(h.query("\(labels.base32(20)).other-zone.com").forwarded != nil)
    }

    @Test func perSandboxBudgetsAndTheKeyCapCountLocallyBeyondIt() throws {
        let policy = basicPolicy + """

            sandboxes:
              - name: agents
                match: [198.18.1.0/24]
            """
        var h = try CoreHarness(policy: policy)
        h.shared.joinFleet(
            FleetTerms(
                instance: "a", leakBudget: Budget(bytes: 100_000, windowSeconds: 60), perSandbox: true, maxBudgetKeys: 2))
        var labels = LabelGenerator()
        for zone in ["one.com", "two.com", "three.com"] { _ = h.query("\(labels.base32(20)).\(zone)") }
        _ = h.query("\(labels.base32(20)).one.com", client: CoreHarness.client("198.18.9.9"))
        let batch = h.shared.takeOutgoing()
        #expect(batch.counts.map(\.key.sandbox) == ["agents", "agents"])
        #expect(batch.counts.map(\.key.domain.value) == ["one.com", "two.com"])
        #expect(h.shared.fleetLedgerStatus().refusedKeys == 2)
        #expect(h.shared.fleetLedgerStatus().trackedKeys == 2)
    }

    @Test func withoutAFleetNothingIsKeptForOne() throws {
        var h = try CoreHarness(policy: basicPolicy)
        var labels = LabelGenerator()
        for _ in 0..<30 {
            if let forward = h.query("\(labels.base32(50)).t.tunnel-zone.com", type: DNSRecordType.txt).forwarded {
                _ = h.answer(forward, [.txt(200)])
            }
        }
        #expect(h.shared.takeOutgoing().isEmpty)
        h.shared.install(FleetIncoming(convictions: [Self.remote(Self.budgetZone, by: "b", at: h.time.wall)], time: h.time.wall))
        #expect(h.query("www.budget-zone.com").forwarded != nil)
    }
}
