import AirlockEnforcement
import AirlockEngine
import AirlockEvents

/// Alerts as Suricata EVE JSON (`event_type: alert`), for pipelines built around Suricata.
///
/// Field names and types follow Suricata's `etc/schema.json` (OISF/suricata): `timestamp`
/// (`YYYY-MM-DDTHH:MM:SS.ffffff+0000`) and `event_type` are the two required fields; `src_ip`,
/// `src_port`, `dest_ip`, `dest_port`, `proto`, `app_proto`, `flow_id`, and the `alert` object
/// (`action` allowed|blocked, `gid`, `signature_id`, `rev`, `signature`, `category`, `severity`
/// 1 high–3 low, `metadata.tag`) plus `dns` (`type`, `rrname`, `rrtype`), `http` (`hostname`,
/// `url`, `http_method`, `http_port`) and `tls` (`sni`) as the request calls for.
///
/// Suricata's schema forbids unknown top-level keys; Airlock's rationale goes in one `airlock`
/// object, which EVE consumers ignore or index. `strict` leaves it out for validators that
/// refuse unknown keys (the rationale is then only in `alert.signature` and `alert.metadata.tag`).
public struct EVEEncoder: Sendable {
    public var strict: Bool

    public init(strict: Bool = false) {
        self.strict = strict
    }

    /// Stable signature ids per alert kind, in the range Suricata leaves for local rules (≥ 9,000,000).
    public static func signatureID(_ kind: AlertKind) -> Int {
        let base = 9_100_000
        return base + (AlertKind.allCases.firstIndex(of: kind) ?? 99) + 1
    }

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
            var dns = JSONObjectBuilder()
            dns.add("type", "query")
            dns.add("rrname", name)
            dns.add("rrtype", DNSRecordType.name(qtype))
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
            o.add("http", http.value)
        case .connection(_, let transport, let serverName):
            o.add("proto", transport.rawValue.uppercased())
            if serverName != nil { o.add("app_proto", "tls") }
            o.add("alert", alertObject(alert))
            if let serverName { o.add("tls", .object([JSONMember("sni", .string(serverName))])) }
        }
        if !strict { o.add("airlock", AirlockFields.object(alert)) }
        return o.value
    }

    private func alertObject(_ alert: Alert) -> JSONValue {
        let d = alert.decision
        var a = JSONObjectBuilder()
        a.add("action", d.action.stopped ? "blocked" : "allowed")
        a.add("gid", 1)
        a.add("signature_id", Self.signatureID(alert.kind))
        a.add("rev", 1)
        a.add("signature", "AIRLOCK \(alert.kind.title) on \(d.domain) (\(d.rule))")
        a.add("category", alert.kind.title)
        a.add("severity", 5 - alert.kind.severityID)  // OCSF 4 High → EVE 1, 3 → 2, 2 → 3
        var tags: [JSONValue] = [
            .string("airlock_id:\(alert.id)"), .string("phase:\(alert.phase.rawValue)"), .string("count:\(alert.count)"),
            .string("action:\(d.action.rawValue)"),
        ]
        if let sandbox = d.sandbox { tags.append(.string("sandbox:\(sandbox)")) }
        tags += d.evidence.map { .string($0.description) }
        a.add("metadata", .object([JSONMember("tag", .array(tags))]))
        return a.value
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
