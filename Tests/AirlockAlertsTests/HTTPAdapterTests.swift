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
        // Issue #11: a client over its connection share and a head over the information budget alert per client.
        let share = try #require(
            builder.decision(http: record(.connection, .block, kind: .budgetExhausted, rule: "http.client_connections")))
        #expect(share.alertKind == .budgetExhausted && share.client.address == IPAddress("198.18.1.2"))
        var limit = record(.connection, .block, kind: .budgetExhausted, rule: "http.client_connections")
        (limit.method, limit.host, limit.port, limit.destination, limit.sni) = (nil, nil, nil, nil, nil)
        #expect(builder.decision(http: limit)?.domain == "198.18.1.2", "alerts on a client's connections name the client")
        let heads = try #require(
            builder.decision(http: record(.request, .block, kind: .budgetExhausted, rule: "http.information_budget")))
        #expect(heads.alertKind == .budgetExhausted && heads.rule == "http.information_budget")
        let denied = try #require(
            builder.decision(http: record(.request, .block, kind: .policyDenial, rule: "http.deny[0]")))
        #expect(denied.alertKind == .policyDenial)
        let allowed = try #require(
            builder.decision(http: record(.destination, .allow, kind: .routine, rule: "http.allow")))
        #expect(allowed.alertKind == nil)
        #expect(builder.decision(http: record(.transfer, .end, kind: .routine, rule: "http.transfer")) == nil)
        #expect(builder.decision(http: record(.upstream, .error, kind: .error, rule: "http.upstream")) == nil)
    }

    /// A request for a cloud metadata service is a High metadata-access alert whichever rule refused
    /// it: the default deny, a deny list, the private-destination rule, an IPv6 or IPv4-mapped form.
    @Test func metadataRequestsAlertAsMetadataAccessWhicheverRuleRefusedThem() throws {
        let builder = DecisionEventBuilder()
        for (host, destination, rule, stage) in [
            ("169.254.169.254", nil, "http.default", HTTPDecisionRecord.Stage.request),
            ("169.254.169.254", nil, "http.deny[2]", .request),
            ("[fd00:ec2::254]", nil, "http.allow_private_destinations", .request),
            ("metadata.internal.example", "::ffff:169.254.170.2", "http.allow_private_destinations", .destination),
            ("168.63.129.16", nil, "http.default", .request),
        ] as [(String, String?, String, HTTPDecisionRecord.Stage)] {
            var r = record(stage, .block, kind: .policyDenial, rule: rule)
            r.method = "GET"
            r.host = host
            r.port = 80
            r.destination = destination.map { Endpoint(address: IPAddress($0)!, port: 80) }
            let decision = try #require(builder.decision(http: r))
            #expect(decision.alertKind == .metadataAccess, "\(host) \(rule)")
            #expect(decision.alertKind?.severityID == 4)
            #expect(decision.rule == rule)
            #expect(decision.message.contains("refused by \(rule)"), "\(decision.message)")
        }
        // Report mode too; an explicit allow of the address is the operator's choice and no alert.
        var report = record(.request, .wouldBlock, kind: .policyDenial, rule: "http.default")
        report.host = "169.254.169.254"
        #expect(try #require(builder.decision(http: report)).alertKind == .metadataAccess)
        var allowed = record(.destination, .allow, kind: .routine, rule: "http.allow_private_destinations")
        allowed.host = "169.254.169.254"
        #expect(try #require(builder.decision(http: allowed)).alertKind == nil)
        // Other private destinations stay policy denials.
        var lan = record(.request, .block, kind: .policyDenial, rule: "http.allow_private_destinations")
        lan.host = "10.0.0.5"
        lan.destination = nil
        #expect(try #require(builder.decision(http: lan)).alertKind == .policyDenial)
    }
}
