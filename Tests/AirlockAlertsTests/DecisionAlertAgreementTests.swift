import AirlockDNSProxy
import AirlockDNSWire
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPolicy
import Foundation
import Testing

@testable import AirlockAlerts

/// Issue #11: the DNS decision log marked suspicious-name verdicts `"alert":true`, and the alert
/// sinks had no record of them. Every record the log calls an alert must raise one.
@Suite struct DecisionAlertAgreementTests {
    static let local = Endpoint(address: .v4(0x7F00_0001), port: 53)
    static let upstream = Endpoint(address: IPAddress("198.18.0.53")!, port: 53)
    static let client = Endpoint(address: IPAddress("198.18.1.10")!, port: 40_000)

    /// A name the engine gives a suspicious-name verdict on its own (49 bytes of payload in base32
    /// labels; `airlock explain` says so), a tunnel's worth of names, and ordinary lookups.
    @Test func everyDNSRecordTheLogCallsAnAlertRaisesOne() throws {
        let policy = try PolicyLoader.load(
            text: "version: 1\n", name: "p.yaml", knownDetectionKeys: PolicySnapshot.knownDetectionKeys)
        let snapshot = try PolicySnapshot(policy: policy, defaultUpstreams: [Self.upstream])
        var core = DNSProxyCore(
            configuration: ProxyConfiguration(listen: [Self.local], upstreams: [Self.upstream]),
            shared: SharedInspection(policy: snapshot))
        let handle = ClientHandle(transport: .udp, peer: Self.client, local: Self.local, channel: 0)
        var names = ["mzxw6ytboi2dmnzuhe3tqojqgeztqmzrgiydsnbvgy4tonjxk5qq.mzxw6ytboi2dmnzuhe3tqojq.example.com"]
        for i in 0..<40 { names += [Samples.tunnelName(i), "www.example.org"] }
        var records: [DNSDecisionRecord] = []
        for (i, name) in names.enumerated() {
            let query = DNSQueryBuilder.query(name: DNSName(name)!, type: DNSRecordType.txt, id: UInt16(i))
            let time = ProxyTime(wall: Timestamp(seconds: 1_700_000_000 + Double(i) * 0.05), monotonic: Int64(i) * 50_000_000)
            _ = core.receiveQuery(query, from: handle, at: time)
            records += core.takeRecords()
        }
        let alerting = records.filter(\.alert)
        let kinds = Set(alerting.compactMap { $0.verdict?.kind })
        #expect(kinds == [.tunnel, .suspiciousName], "the traffic must produce both kinds of verdict: \(kinds)")

        let builder = DecisionEventBuilder(policyVersion: String(repeating: "ab", count: 32))
        for record in alerting {
            let decision = try #require(builder.decision(record: record))
            #expect(decision.alertKind != nil, "\(DecisionFormat.string(record)) raises no alert")
        }
        let suspicious = try #require(alerting.first { $0.verdict?.kind == .suspiciousName })
        let alert = try #require(builder.decision(record: suspicious)?.alertKind)
        #expect(alert == .suspiciousName)
        #expect(alert.severityID == 2 && alert.title == "Suspicious DNS name")
        // Existing kinds keep their Suricata signature ids (new kinds come last).
        #expect(EVEEncoder.signatureID(.tunnel) == 9_100_001)
        #expect(EVEEncoder.signatureID(.suspiciousName) == 9_100_008)
        #expect(EVEEncoder.signatureID(.fleetSyncLost) == 9_100_009 && EVEEncoder.signatureID(.fleetSyncReturned) == 9_100_010)
    }
}
