import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import Foundation
import Testing

@testable import AirlockAlerts

/// Every record kind Airlock emits, built the way the proxies and replay build them: each alert kind
/// (tunnel verdicts by every tunnel rule, a single suspicious name, quarantine, budgets, bypass, SNI mismatch, metadata access,
/// policy denials over DNS, HTTP and connections), each as a `first` and a `rollup`, enforced and in
/// report mode, with names a tunnel really sends (`=`, `+`, `/`, upper case) and IPv6 endpoints.
enum AlertCatalogue {
    static let t0 = 1_700_000_000.0
    static let sandbox = SandboxID("agent-1")
    static let client6 = Endpoint(address: IPAddress("2001:db8::7")!, port: 51_000)

    static func verdict(
        rule: String, domain: DomainKey, members: [DomainKey] = [], kind: VerdictKind = .tunnel
    ) -> Verdict {
        Verdict(
            kind: kind, rule: rule, score: 1.8, threshold: 1, domain: domain,
            evidence: [Evidence(feature: "suspicious_names", value: 5, threshold: 4, contribution: 1)], isFirst: true,
            queries: 12, nameBytes: 640, members: members, memberCount: members.count)
    }

    static func response(_ name: String, domain: DomainKey, at seconds: Double, client: Endpoint = Samples.client)
        -> DNSResponseEvent
    {
        DNSResponseEvent(
            time: Timestamp(seconds: seconds), client: client, server: Samples.resolver, transport: .udp, id: 7,
            name: DNSName(name)!, qtype: 25, domain: domain, sandbox: sandbox, rcode: 0, answerTypes: [25],
            payloadBytes: 120, addresses: [], minTTL: 0, truncated: false)
    }

    /// One decision per record shape, each raised twice (the second folds into a roll-up).
    static func decisions() -> [DecisionEvent] {
        let enforce = DecisionEventBuilder(policyVersion: String(repeating: "cd", count: 32))
        let report = DecisionEventBuilder(enforcement: .report, policyVersion: "v2")
        let monitor = DecisionEventBuilder(enforcement: .monitor)
        let t = Timestamp(seconds: t0)
        let pirate = Samples.domain
        let campaign = DomainKey(value: "cdn-sync.example", kind: .registeredDomain, labelCount: 2)
        let members = [
            campaign, DomainKey(value: "cdn-sync.example.net", kind: .registeredDomain, labelCount: 3),
            DomainKey(value: "198.18.7.7", kind: .serverAddress, labelCount: 0),
        ]
        let beacon = DomainKey(value: "telemetry-c2.example", kind: .registeredDomain, labelCount: 2)
        let leakOne = DomainKey(value: "files.example", kind: .registeredDomain, labelCount: 2)
        let metadataHTTP = DecisionRequest.http(method: "GET", host: "169.254.169.254", port: 80, path: "/latest/meta-data/")
        let metadataFlow = DecisionRequest.connection(
            destination: Endpoint(address: IPAddress("fd00:ec2::254")!, port: 80), transport: .tcp, serverName: nil)
        var out: [DecisionEvent] = Samples.tunnelDecisions(count: 200)  // dns.tunnel.domain_score + convicted_domain
        out += [
            enforce.decision(
                response: response("MZXW6YTBOI======.aGVsbG8+d29y/bGQ=.pirate.sea", domain: pirate, at: t0),
                verdict: verdict(rule: "dns.tunnel.domain_score", domain: pirate)),
            enforce.decision(
                response: response("k3j2h4g5.cdn-sync.example", domain: campaign, at: t0),
                verdict: verdict(rule: "dns.tunnel.campaign", domain: campaign, members: members)),
            monitor.decision(
                response: response("a1.telemetry-c2.example", domain: beacon, at: t0, client: client6),
                verdict: verdict(rule: "dns.tunnel.beacon", domain: beacon)),
            enforce.decision(
                response: response(
                    "mzxw6ytboi2dmnzuhe3tqojqgeztqmzrgiydsnbvgy4tonjxk5qq.mzxw6ytb.files.example", domain: leakOne, at: t0),
                verdict: verdict(rule: "dns.suspicious_name", domain: leakOne, kind: .suspiciousName)),
            enforce.quarantined(query: Samples.query(1, at: t0), until: Timestamp(seconds: t0 + 3600)),
            report.quarantined(query: Samples.query(2, at: t0, sandbox: nil), until: Timestamp(seconds: t0 + 3600)),
            enforce.budgetExhausted(
                time: t, source: .dns, sandbox: sandbox, client: Samples.client,
                request: .dns(name: "x.leak.example", qtype: 16, transport: .tcp), domain: "leak.example", used: 5000,
                budget: 4096, windowSeconds: 3600, rule: "dns.leak_budget"),
            enforce.budgetExhausted(
                time: t, source: .http, sandbox: sandbox, client: Samples.client,
                request: .http(method: "PUT", host: "upload.example", port: 443, path: "/bucket/o"), domain: "upload.example",
                used: 9_000_000, budget: 8_000_000, windowSeconds: 3600, rule: "http.upload_budget"),
            enforce.decision(
                bypassKind: "dns-over-https", serverName: "dns.google", reason: "DNS-over-HTTPS to 198.18.9.9:443", time: t,
                client: Samples.client, destination: Endpoint(address: IPAddress("198.18.9.9")!, port: 443), transport: .tcp,
                sandbox: sandbox),
            report.decision(
                bypassKind: "dns-over-tls", serverName: nil, reason: "DNS-over-TLS to [2001:db8::53]:853", time: t,
                client: client6, destination: Endpoint(address: IPAddress("2001:db8::53")!, port: 853), transport: .tcp,
                sandbox: nil),
            enforce.sniMismatch(
                time: t, sandbox: sandbox, client: Samples.client, requestedHost: "api.openai.com", port: 443,
                serverName: "evil.example"),
            enforce.metadataAccess(time: t, source: .http, sandbox: sandbox, client: Samples.client, request: metadataHTTP),
            report.metadataAccess(time: t, source: .flow, sandbox: nil, client: client6, request: metadataFlow),
            enforce.policyDecision(
                time: t, source: .dns, sandbox: sandbox, client: Samples.client,
                request: .dns(name: "db.internal.corp", qtype: 25, transport: .udp), rule: "dns.deny[2]",
                message: "internal name", denied: true, crossBoundary: true),
            enforce.policyDecision(
                time: t, source: .http, sandbox: sandbox, client: Samples.client,
                request: .http(method: "POST", host: "198.18.5.5", port: 8080, path: "/upload?x=1"),
                rule: "http.allow_private_destinations", message: "private destination", denied: true, crossBoundary: true),
            report.policyDecision(
                time: t, source: .http, sandbox: nil, client: client6,
                request: .http(method: "CONNECT", host: "files.example", port: 443, path: nil), rule: "http.deny[0]",
                message: "denied host", denied: true, crossBoundary: true),
            enforce.policyDecision(
                time: t, source: .flow, sandbox: sandbox, client: Samples.client,
                request: .connection(
                    destination: Endpoint(address: IPAddress("198.18.3.3")!, port: 22), transport: .tcp, serverName: nil),
                rule: "http.transparent.deny", message: "no rule allows this destination", denied: true, crossBoundary: true),
            enforce.fleetSync(
                lost: true, time: t, redis: HostPort(host: "redis.airlock.svc", port: 6379), instance: "node-a",
                detail: "cannot reach Redis at redis.airlock.svc:6379: connect: Connection refused"),
            report.fleetSync(
                lost: false, time: t, redis: HostPort(host: "2001:db8::6", port: 6380), instance: "node-b",
                detail: "after 12.5 s"),
        ]
        // Repeat every non-tunnel-stream decision a second later, so each opens a run and rolls up.
        let singles = out.suffix(from: out.count - 19)
        out += singles.map { d in
            var again = d
            again.time = Timestamp(nanoseconds: d.time.nanoseconds + 1_000_000_000)
            return again
        }
        return out
    }

    static func alerts() -> [Alert] {
        var aggregator = AlertAggregator(windowSeconds: 60)
        var alerts: [Alert] = []
        for d in decisions().sorted(by: { $0.time < $1.time }) { alerts += aggregator.add(d) }
        return alerts + aggregator.flush()
    }
}

@Suite struct SchemaValidationTests {
    @Test func theCatalogueHoldsEveryKindPhaseAndClass() {
        let alerts = AlertCatalogue.alerts()
        for kind in AlertKind.allCases {
            #expect(alerts.contains { $0.kind == kind && $0.phase == .first }, "\(kind) first")
            #expect(alerts.contains { $0.kind == kind && $0.phase == .rollup }, "\(kind) rollup")
        }
        let rules = Set(alerts.compactMap { $0.kind == .tunnel ? $0.decision.rule : nil })
        #expect(rules.isSuperset(of: ["dns.tunnel.domain_score", "dns.tunnel.campaign", "dns.tunnel.beacon"]))
        let classes = Set(alerts.map { Samples.parse(AlertFormat.ocsf.encode($0))["class_uid"] as? Int ?? 0 })
        #expect(classes == [2004, 4002, 4003])
    }

    @Test(.enabled(if: SharedSchemas.available, "\(SharedSchemas.unavailableReason ?? "")"))
    func everyOCSFRecordValidatesAgainstOCSF140() throws {
        let lines = AlertCatalogue.alerts().map { AlertFormat.ocsf.encode($0) }
        let result = try SharedSchemas.validate("ocsf", lines)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("ocsf: \(lines.count) valid, 0 invalid"), "\(result.output)")
    }

    @Test(.enabled(if: SharedSchemas.available, "\(SharedSchemas.unavailableReason ?? "")"))
    func everyEVERecordValidatesAgainstSuricata806() throws {
        let lines = AlertCatalogue.alerts().map { AlertFormat.eve.encode($0) }
        let result = try SharedSchemas.validate("eve", lines)
        #expect(result.status == 0, "\(result.output)")
        #expect(result.output.contains("eve: \(lines.count) valid, 0 invalid"), "\(result.output)")
    }

    /// The validator does refuse: the records as they were before 1.4.0 (version 1.3.0, a top-level
    /// `airlock` key in EVE, a `dns` object without `version`) fail.
    @Test(.enabled(if: SharedSchemas.available, "\(SharedSchemas.unavailableReason ?? "")"))
    func theValidatorRefusesTheOldRecords() throws {
        let alert = AlertCatalogue.alerts()[0]
        let ocsf = AlertFormat.ocsf.encode(alert).replacingOccurrences(of: "\"1.4.0\"", with: "\"1.3.0\"")
        let old = try SharedSchemas.validate("ocsf", [ocsf])
        #expect(old.status == 1 && old.output.contains("ocsf: 0 valid, 1 invalid"), "\(old.output)")
        let eve = AlertFormat.eve.encode(alert)
        let withKey = String(eve.dropLast()) + ",\"airlock\":{}}"
        let withoutVersion = eve.replacingOccurrences(of: "\"version\":3,", with: "")
        let bad = try SharedSchemas.validate("eve", [withKey, withoutVersion])
        #expect(bad.status == 1 && bad.output.contains("eve: 0 valid, 2 invalid"), "\(bad.output)")
    }

    @Test func campaignMembersAreInTheFinding() {
        let alert = AlertCatalogue.alerts().first { $0.decision.rule == "dns.tunnel.campaign" }!
        let ocsf = Samples.parse(AlertFormat.ocsf.encode(alert))
        let observables = ocsf["observables"] as? [[String: Any]] ?? []
        #expect(observables.compactMap { $0["value"] as? String } == ["cdn-sync.example", "cdn-sync.example.net", "198.18.7.7"])
        #expect(observables.map { $0["type_id"] as? Int } == [1, 1, 2])
        let verdict = ((ocsf["unmapped"] as? [String: Any])?["airlock"] as? [String: Any])?["verdict"] as? [String: Any]
        #expect(verdict?["members"] as? [String] == ["cdn-sync.example", "cdn-sync.example.net", "198.18.7.7"])
        let eve = Samples.parse(AlertFormat.eve.encode(alert))
        let metadata = (eve["alert"] as? [String: Any])?["metadata"] as? [String: Any]
        #expect(metadata?["airlock_members"] as? [String] == ["cdn-sync.example", "cdn-sync.example.net", "198.18.7.7"])
        #expect(metadata?["airlock_rule"] as? [String] == ["dns.tunnel.campaign"])
    }

    /// One signature text per signature id (a Suricata rule has one `msg`), whatever the domain or rule.
    @Test func eachSignatureIDHasOneSignatureText() {
        var texts: [Int: Set<String>] = [:]
        for alert in AlertCatalogue.alerts() {
            let a = Samples.parse(AlertFormat.eve.encode(alert))["alert"] as? [String: Any]
            texts[a?["signature_id"] as? Int ?? 0, default: []].insert(a?["signature"] as? String ?? "")
        }
        #expect(texts.count == AlertKind.allCases.count)
        #expect(texts.values.allSatisfy { $0.count == 1 }, "\(texts)")
    }

    @Test func recordTypesAreMnemonics() {
        let key = AlertCatalogue.alerts().first { $0.decision.rule == "dns.deny[2]" }!
        let eve = Samples.parse(AlertFormat.eve.encode(key))
        let queries = (eve["dns"] as? [String: Any])?["queries"] as? [[String: Any]]
        #expect(queries?.first?["rrtype"] as? String == "KEY")
        let ocsf = Samples.parse(AlertFormat.ocsf.encode(key))
        #expect((ocsf["query"] as? [String: Any])?["type"] as? String == "KEY")
        #expect(EVEEncoder.rrtype(65399) == "65399")
        #expect(DNSRecordType.name(25) == "KEY")
    }

    @Test func aStoppedHTTPRequestCarriesAirlocksResponse() {
        let alerts = AlertCatalogue.alerts().filter { $0.kind == .policyDenial }
        let blocked = alerts.first { $0.decision.rule == "http.allow_private_destinations" }!
        let event = Samples.parse(AlertFormat.ocsf.encode(blocked))
        #expect(event["class_uid"] as? Int == 4002)
        #expect((event["http_response"] as? [String: Any])?["code"] as? Int == 403)
        let reported = alerts.first { $0.decision.rule == "http.deny[0]" }!
        #expect(Samples.parse(AlertFormat.ocsf.encode(reported))["http_response"] == nil)
    }
}
