import AirlockEnforcement
import AirlockEngine
import AirlockEvents

/// Alerts as Suricata EVE JSON (`event_type: alert`), for pipelines built around Suricata.
///
/// Every record validates against Suricata 8.0.6's `etc/schema.json` (OISF/suricata; checked in
/// `Tests/AirlockAlertsTests/SchemaValidationTests.swift`): `timestamp`
/// (`YYYY-MM-DDTHH:MM:SS.ffffff+0000`) and `event_type` are the two required fields; `src_ip`,
/// `src_port`, `dest_ip`, `dest_port`, `proto`, `app_proto`, `flow_id`, and the `alert` object
/// (`action` allowed|blocked, `gid`, `signature_id`, `rev`, `signature`, `category`, `severity`
/// 1 high–3 low, `metadata`) plus `dns` (EVE DNS version 3: `version`, `type`, `queries` with
/// `rrname` and `rrtype`), `http` (`hostname`, `url`, `http_method`, `http_port`, `status` when
/// Airlock answered) and `tls` (`sni`) as the request calls for.
///
/// The schema refuses unknown top-level keys, so Airlock's rationale travels where Suricata's rule
/// metadata goes: `alert.metadata`, one list of strings per key as Suricata writes a rule's
/// `metadata:` keyword (`airlock_rule`, `airlock_evidence`, `airlock_members`, …; see
/// ``metadata(_:)``). A signature is one text per `signature_id`, as a Suricata rule has: the domain,
/// rule and figures are in the metadata, never in `alert.signature`.
public struct EVEEncoder: Sendable {
    public init() {}

    /// Version of the `dns` object's layout: Suricata 8 writes version 3 (`queries` as a list).
    public static let dnsVersion = 3

    /// Stable signature ids per alert kind, in the range Suricata leaves for local rules (≥ 9,000,000).
    public static func signatureID(_ kind: AlertKind) -> Int {
        let base = 9_100_000
        return base + (AlertKind.allCases.firstIndex(of: kind) ?? 99) + 1
    }

    /// The one signature text of ``signatureID(_:)``.
    public static func signature(_ kind: AlertKind) -> String { "AIRLOCK \(kind.title)" }

    /// A record type as Suricata names it: the mnemonic (`KEY`, `NULL`, `TXT`), else the number.
    public static func rrtype(_ type: UInt16) -> String { DNSRecordType.mnemonics[type] ?? String(type) }

    public func encode(_ alert: Alert) -> JSONValue {
        let d = alert.decision
        var o = JSONObjectBuilder()
        o.add("timestamp", Self.timestamp(alert.time))
        o.add("flow_id", Self.flowID(alert.id))
        o.add("event_type", "alert")
        o.add("src_ip", d.client.address.description)
        o.add("src_port", Int(d.client.port))
        if let server = d.server {
            o.add("dest_ip", server.address.description)
            o.add("dest_port", Int(server.port))
        } else if case .http(_, let host, let port, _) = d.request, IPAddress(host) != nil {
            o.add("dest_ip", host)
            o.add("dest_port", Int(port))
        }
        switch d.request {
        case .dns(let name, let qtype, let transport):
            o.add("proto", transport.rawValue.uppercased())
            o.add("app_proto", "dns")
            o.add("alert", alertObject(alert))
            var query = JSONObjectBuilder()
            query.add("rrname", name)
            query.add("rrtype", Self.rrtype(qtype))
            var dns = JSONObjectBuilder()
            dns.add("version", Self.dnsVersion)
            dns.add("type", "request")
            dns.add("queries", .array([query.value]))
            o.add("dns", dns.value)
        case .http(let method, let host, let port, let path):
            o.add("proto", "TCP")
            o.add("app_proto", "http")
            o.add("alert", alertObject(alert))
            var http = JSONObjectBuilder()
            http.add("hostname", host)
            http.add("url", path ?? "\(host):\(port)")
            http.add("http_method", method)
            http.add("http_port", Int(port))
            if d.action.stopped { http.add("status", 403) }
            o.add("http", http.value)
        case .connection(_, let transport, let serverName):
            o.add("proto", transport.rawValue.uppercased())
            if serverName != nil { o.add("app_proto", "tls") }
            o.add("alert", alertObject(alert))
            if let serverName { o.add("tls", .object([JSONMember("sni", .string(serverName))])) }
        }
        return o.value
    }

    private func alertObject(_ alert: Alert) -> JSONValue {
        var a = JSONObjectBuilder()
        a.add("action", alert.decision.action.stopped ? "blocked" : "allowed")
        a.add("gid", 1)
        a.add("signature_id", Self.signatureID(alert.kind))
        a.add("rev", 1)
        a.add("signature", Self.signature(alert.kind))
        a.add("category", alert.kind.title)
        a.add("severity", 5 - alert.kind.severityID)  // OCSF 4 High → EVE 1, 3 → 2, 2 → 3
        a.add("metadata", Self.metadata(alert))
        return a.value
    }

    /// Airlock's rationale as rule metadata: every value a list of strings, as Suricata logs a rule's
    /// `metadata:` keyword, so EVE tooling indexes it like any other rule's. `tag` keeps the short
    /// `key:value` form older consumers read; `policy` names the rule that decided.
    static func metadata(_ alert: Alert) -> JSONValue {
        let d = alert.decision
        var m = JSONObjectBuilder()
        func add(_ key: String, _ values: [String]) {
            if !values.isEmpty { m.add(key, .array(values.map(JSONValue.string))) }
        }
        var tags = ["airlock_id:\(alert.id)", "phase:\(alert.phase.rawValue)", "count:\(alert.count)", "action:\(d.action.rawValue)"]
        if let sandbox = d.sandbox { tags.append("sandbox:\(sandbox)") }
        add("tag", tags)
        add("policy", [d.rule])
        add("signature_severity", [alert.kind.severityName])
        add("airlock_alert_id", [alert.id])
        add("airlock_kind", [alert.kind.rawValue])
        add("airlock_phase", [alert.phase.rawValue])
        add("airlock_count", [String(alert.count)])
        add("airlock_sequence", [String(alert.sequence)])
        add("airlock_source", [d.source.rawValue])
        add("airlock_sandbox", d.sandbox.map { [$0.name] } ?? [])
        add("airlock_domain", [d.domain])
        add("airlock_action", [d.action.rawValue])
        add("airlock_rule", [d.rule])
        if let v = d.verdict {
            add("airlock_verdict", [v.kind.rawValue])
            add("airlock_score", [Evidence.formatted(v.score)])
            add("airlock_threshold", [Evidence.formatted(v.threshold)])
            add("airlock_members", v.members.map(\.value))
            if !v.members.isEmpty { add("airlock_member_count", [String(v.memberCount)]) }
        }
        add("airlock_evidence", d.evidence.map(\.description))
        add("airlock_queries", d.queries.map { [String($0)] } ?? [])
        add("airlock_name_bytes", d.nameBytes.map { [String($0)] } ?? [])
        add("airlock_policy_version", d.policyVersion.map { [$0] } ?? [])
        add("airlock_window", [alert.windowStart.description, alert.windowEnd.description])
        add("airlock_message", [d.message])
        return m.value
    }

    /// `2024-05-01T12:00:00.123456+0000`: Suricata's timestamp form (schema pattern
    /// `^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d+[+\-]\d+$`).
    static func timestamp(_ t: Timestamp) -> String {
        String(t.description.dropLast()) + "+0000"
    }

    /// A positive 52-bit integer from the alert id, so records of one alert share a flow id.
    static func flowID(_ id: String) -> Int64 {
        let hex = id.filter { $0 != "-" }.prefix(13)
        return Int64(hex, radix: 16) ?? 0
    }
}
