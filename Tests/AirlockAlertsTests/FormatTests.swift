import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import Foundation
import Testing

@testable import AirlockAlerts

/// Required attributes, written from the OCSF 1.x schema sources (the full check against the compiled
/// 1.4.0 schema is `SchemaValidationTests`) (github.com/ocsf/ocsf-schema):
/// - events/base_event.json: activity_id, category_uid, class_uid, metadata, severity_id, time,
///   type_uid are "requirement": "required".
/// - objects/metadata.json: product, version required; objects/product.json: name required
///   (1.0–1.2 also required vendor_name, which Airlock sets too).
/// - events/findings/finding.json: finding_info required; objects/finding_info.json: uid required
///   (title required in 1.0–1.2, recommended later; Airlock sets it).
/// - events/network/network.json: constraint at_least_one of src_endpoint, dst_endpoint.
/// - events/network/dns_activity.json (4003) with objects/dns_query.json: query.hostname required.
/// - events/network/http_activity.json (4002): at_least_one of http_request, http_response;
///   objects/http_request.json: url required; objects/url.json: hostname, path required.
enum OCSFSchema {
    static let base = ["activity_id", "category_uid", "class_uid", "metadata", "severity_id", "time", "type_uid"]
    static let metadata = ["product", "version"]
    static let product = ["name", "vendor_name"]
    static let finding = ["finding_info"]
    static let findingInfo = ["uid", "title"]

    /// Every missing required attribute, as dotted paths; empty when the event validates.
    static func missing(_ event: [String: Any]) -> [String] {
        var out: [String] = []
        func need(_ object: [String: Any]?, _ keys: [String], _ prefix: String) {
            for key in keys where object?[key] == nil { out.append(prefix + key) }
        }
        need(event, base, "")
        let metadata = event["metadata"] as? [String: Any]
        need(metadata, Self.metadata, "metadata.")
        need(metadata?["product"] as? [String: Any], product, "metadata.product.")
        guard let classUID = event["class_uid"] as? Int else { return out + ["class_uid (integer)"] }
        if let type = event["type_uid"] as? Int, let activity = event["activity_id"] as? Int, type != classUID * 100 + activity {
            out.append("type_uid = class_uid*100 + activity_id")
        }
        switch classUID {
        case 2004:
            if event["category_uid"] as? Int != 2 { out.append("category_uid=2") }
            need(event, finding, "")
            need(event["finding_info"] as? [String: Any], findingInfo, "finding_info.")
        case 4003:
            if event["category_uid"] as? Int != 4 { out.append("category_uid=4") }
            if event["src_endpoint"] == nil && event["dst_endpoint"] == nil { out.append("src_endpoint|dst_endpoint") }
            if let query = event["query"] as? [String: Any], query["hostname"] == nil { out.append("query.hostname") }
        case 4002:
            if event["category_uid"] as? Int != 4 { out.append("category_uid=4") }
            if event["src_endpoint"] == nil && event["dst_endpoint"] == nil { out.append("src_endpoint|dst_endpoint") }
            guard let request = event["http_request"] as? [String: Any] else {
                if event["http_response"] == nil { out.append("http_request|http_response") }
                return out
            }
            guard let url = request["url"] as? [String: Any] else { return out + ["http_request.url"] }
            need(url, ["hostname", "path"], "http_request.url.")
        default:
            out.append("class_uid in {2004, 4002, 4003}")
        }
        return out
    }
}

/// Suricata's etc/schema.json (OISF/suricata): `event_type` and `timestamp` are required; the
/// timestamp pattern is `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+[+\-]\d+$`; the top level, `alert`
/// and `dns` have `"additionalProperties": false`, and `dns` requires `version`. (The full schema
/// check is `SchemaValidationTests`, when ../shared is beside the repository.)
enum EVESchema {
    static let required = ["event_type", "timestamp"]
    static let topLevel: Set<String> = [
        "timestamp", "flow_id", "event_type", "src_ip", "src_port", "dest_ip", "dest_port", "proto", "app_proto", "alert",
        "dns", "http", "tls",
    ]
    static let alert: Set<String> = [
        "action", "category", "gid", "rev", "rule", "severity", "signature", "signature_id", "xff", "metadata", "source",
        "target",
    ]
    static let dns: Set<String> = [
        "aa", "flags", "id", "qr", "ra", "rcode", "rd", "rrname", "rrtype", "tx_id", "type", "version", "queries",
    ]

    static func missing(_ event: [String: Any]) -> [String] {
        var out = required.filter { event[$0] == nil }
        if let ts = event["timestamp"] as? String,
            ts.range(of: #"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+[+\-]\d+$"#, options: .regularExpression) == nil
        {
            out.append("timestamp pattern")
        }
        out += event.keys.filter { !topLevel.contains($0) }.map { "unknown top-level \($0)" }
        if let a = event["alert"] as? [String: Any] { out += a.keys.filter { !alert.contains($0) }.map { "unknown alert.\($0)" } }
        if let d = event["dns"] as? [String: Any] {
            out += d.keys.filter { !dns.contains($0) }.map { "unknown dns.\($0)" }
            if d["version"] == nil { out.append("dns.version") }
        }
        return out
    }
}

@Suite struct FormatTests {
    /// One alert of every shape the encoders distinguish.
    static func sampleAlerts() -> [Alert] {
        var aggregator = AlertAggregator(windowSeconds: 60)
        var alerts: [Alert] = []
        for d in Samples.tunnelStream(count: 200) { alerts += aggregator.add(d) }
        let b = DecisionEventBuilder(policyVersion: "0123")
        let t = Timestamp(seconds: 1_700_000_100)
        let http = DecisionRequest.http(method: "GET", host: "169.254.169.254", port: 80, path: "/latest/meta-data/")
        let extra: [DecisionEvent] = [
            b.metadataAccess(time: t, source: .http, sandbox: SandboxID("agent-1"), client: Samples.client, request: http),
            b.decision(
                bypassKind: "dns-over-https", serverName: "dns.google", reason: "DNS-over-HTTPS to 198.18.9.9:443",
                time: t, client: Samples.client, destination: Endpoint(address: IPAddress("198.18.9.9")!, port: 443),
                transport: .tcp, sandbox: nil),
            b.policyDecision(
                time: t, source: .http, sandbox: nil, client: Samples.client,
                request: .http(method: "POST", host: "198.18.5.5", port: 8080, path: "/upload"),
                rule: "http.allow_private_destinations", message: "private destination", denied: true, crossBoundary: true),
            b.policyDecision(
                time: t, source: .dns, sandbox: nil, client: Samples.client,
                request: .dns(name: "db.internal.corp", qtype: 1, transport: .udp), rule: "dns.deny[2]",
                message: "internal name", denied: true, crossBoundary: true),
            b.sniMismatch(time: t, sandbox: nil, client: Samples.client, requestedHost: "api.openai.com", port: 443, serverName: "evil.example"),
        ]
        for d in extra { alerts += aggregator.add(d) }
        alerts += aggregator.flush()
        return alerts
    }

    @Test func ocsfRecordsCarryEveryRequiredAttribute() {
        let alerts = Self.sampleAlerts()
        var classes: Set<Int> = []
        for alert in alerts {
            let line = AlertFormat.ocsf.encode(alert)
            #expect(!line.contains("\n"))
            let event = Samples.parse(line)
            #expect(OCSFSchema.missing(event) == [], "\(alert.kind) \(alert.phase): \(line)")
            classes.insert(event["class_uid"] as? Int ?? 0)
            let airlock = (event["unmapped"] as? [String: Any])?["airlock"] as? [String: Any]
            #expect(airlock?["alert_id"] as? String == alert.id)
            #expect(airlock?["rule"] as? String == alert.decision.rule)
        }
        #expect(classes == [2004, 4002, 4003])
    }

    @Test func ocsfTunnelFindingHasTheRationale() {
        let alert = Self.sampleAlerts().first { $0.kind == .tunnel && $0.phase == .first }!
        let event = Samples.parse(AlertFormat.ocsf.encode(alert))
        #expect(event["class_uid"] as? Int == 2004)
        #expect(event["type_uid"] as? Int == 200_401)
        #expect(event["severity_id"] as? Int == 4)
        #expect(event["action_id"] as? Int == 2)
        #expect(event["disposition_id"] as? Int == 2)
        let info = event["finding_info"] as? [String: Any]
        #expect(info?["uid"] as? String == alert.id)
        #expect((info?["analytic"] as? [String: Any])?["uid"] as? String == "dns.tunnel.domain_score")
        let airlock = (event["unmapped"] as? [String: Any])?["airlock"] as? [String: Any]
        let evidence = airlock?["evidence"] as? [[String: Any]] ?? []
        #expect(!evidence.isEmpty)
        #expect(evidence.allSatisfy { $0["feature"] is String && $0["threshold"] is NSNumber && $0["value"] is NSNumber })
        #expect(airlock?["policy_version"] as? String == String(repeating: "ab", count: 32))
        #expect(airlock?["domain"] as? String == "pirate.sea")
        #expect((airlock?["queries"] as? Int ?? 0) > 0)
        let evidences = event["evidences"] as? [[String: Any]]
        #expect((evidences?.first?["query"] as? [String: Any])?["hostname"] as? String == alert.decision.request.target)
        let rollup = Self.sampleAlerts().first { $0.kind == .tunnel && $0.phase == .rollup }!
        let update = Samples.parse(AlertFormat.ocsf.encode(rollup))
        #expect(update["activity_id"] as? Int == 2)
        #expect(update["count"] as? Int == rollup.count)
    }

    @Test func eveRecordsCarryTheRequiredFields() {
        for alert in Self.sampleAlerts() {
            let event = Samples.parse(EVEEncoder().encode(alert).rendered)
            #expect(EVESchema.missing(event) == [], "\(event)")
            let a = event["alert"] as? [String: Any]
            let metadata = a?["metadata"] as? [String: Any]
            #expect(metadata?["airlock_alert_id"] as? [String] == [alert.id])
            #expect(metadata?["airlock_rule"] as? [String] == [alert.decision.rule])
            #expect(a?["signature_id"] as? Int == EVEEncoder.signatureID(alert.kind))
            #expect(a?["signature"] as? String == EVEEncoder.signature(alert.kind))
            #expect(["allowed", "blocked"].contains(a?["action"] as? String ?? ""))
            #expect((1...3).contains(a?["severity"] as? Int ?? 0))
        }
        let tunnel = Self.sampleAlerts().first { $0.kind == .tunnel }!
        let eve = Samples.parse(AlertFormat.eve.encode(tunnel))
        #expect(eve["event_type"] as? String == "alert")
        let dns = eve["dns"] as? [String: Any]
        #expect(dns?["version"] as? Int == 3)
        #expect((dns?["queries"] as? [[String: Any]])?.first?["rrtype"] as? String == "TXT")
        #expect(eve["src_ip"] as? String == "198.18.1.7")
        #expect(eve["dest_port"] as? Int == 53)
        let evidence = ((eve["alert"] as? [String: Any])?["metadata"] as? [String: Any])?["airlock_evidence"] as? [String]
        #expect(!(evidence ?? []).isEmpty)
    }

    @Test func jsonEscapesControlCharactersAndQuotes() {
        let v = JSONValue.object([JSONMember("k\"", .string("a\u{1}b\n\\\u{2028}"))])
        #expect(v.rendered == #"{"k\"":"a\u0001b\n\\\u2028"}"#)
        #expect(JSONValue.double(.nan).rendered == "null")
        #expect(JSONValue.double(2.5).rendered == "2.5")
    }
}
