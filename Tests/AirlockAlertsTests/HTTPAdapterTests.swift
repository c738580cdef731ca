import AirlockAlerts
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import Testing

/// HTTP proxy decisions become the same alert kinds as the DNS side's.
@Suite struct HTTPAdapterTests {
    func record(
        _ stage: HTTPDecisionRecord.Stage, _ action: HTTPDecisionRecord.Action, kind: EgressReasonKind, rule: String
    ) -> HTTPDecisionRecord {
        HTTPDecisionRecord(
            time: Timestamp(nanoseconds: 1_700_000_000_000_000_000), stage: stage, action: action, sandbox: "agent-1",
            identity: "address", client: Endpoint(address: IPAddress("198.18.1.2")!, port: 40_000), method: "CONNECT",
            host: "api.example.com", port: 443, destination: Endpoint(address: IPAddress("198.18.100.10")!, port: 443),
            sni: "evil.example", rule: rule, reason: "why", kind: kind,
            evidence: [Evidence(feature: "upload_bytes", value: 2, threshold: 1, contribution: 1)], mode: .enforce,
            policyVersion: "abc")
    }

    @Test func kinds() throws {
        let builder = DecisionEventBuilder()
        let sni = try #require(
            builder.decision(http: record(.tls, .block, kind: .sniMismatch, rule: "http.sni_mismatch")))
        #expect(sni.alertKind == .sniMismatch && sni.action == .block && sni.source == .flow)
        #expect(
            sni.request
                == .connection(
                    destination: Endpoint(address: IPAddress("198.18.100.10")!, port: 443), transport: .tcp,
                    serverName: "evil.example"))
        let doh = try #require(
            builder.decision(http: record(.request, .block, kind: .resolverBypass, rule: "bypass.dns-over-https")))
        #expect(
            doh.alertKind == .resolverBypass
                && doh.request == .http(method: "CONNECT", host: "api.example.com", port: 443, path: nil))
        let metadata = try #require(
            builder.decision(http: record(.destination, .block, kind: .metadataAccess, rule: "http.metadata")))
        #expect(metadata.alertKind == .metadataAccess)
        let budget = try #require(
            builder.decision(http: record(.transfer, .block, kind: .budgetExhausted, rule: "http.upload_budget")))
        #expect(budget.alertKind == .budgetExhausted && budget.evidence.first?.feature == "upload_bytes")
        let entropy = try #require(
            builder.decision(http: record(.request, .wouldBlock, kind: .detection, rule: "http.url_entropy")))
        #expect(entropy.alertKind == .budgetExhausted && entropy.action == .wouldBlock)
        let denied = try #require(
            builder.decision(http: record(.request, .block, kind: .policyDenial, rule: "http.deny[0]")))
        #expect(denied.alertKind == .policyDenial)
        let allowed = try #require(
            builder.decision(http: record(.destination, .allow, kind: .routine, rule: "http.allow")))
        #expect(allowed.alertKind == nil)
        #expect(builder.decision(http: record(.transfer, .end, kind: .routine, rule: "http.transfer")) == nil)
        #expect(builder.decision(http: record(.upstream, .error, kind: .error, rule: "http.upstream")) == nil)
    }
}
