import AirlockEnforcement
import AirlockEngine
import AirlockEvents

/// The record formats a sink can write.
public enum AlertFormat: String, Sendable, CaseIterable {
    /// OCSF 1.x JSON: Detection Finding (2004) for detections, DNS Activity (4003) or HTTP Activity
    /// (4002) for policy denials. The default: SIEMs and security lakes ingest it without a parser.
    case ocsf
    /// Suricata EVE JSON (`event_type: alert`), for pipelines built around Suricata.
    case eve

    /// One JSON line for `alert` in this format.
    public func encode(_ alert: Alert, product: ProductInfo = .airlock) -> String {
        switch self {
        case .ocsf: return OCSFEncoder(product: product).encode(alert).rendered
        case .eve: return EVEEncoder().encode(alert).rendered
        }
    }
}

/// Who produced the record (OCSF `metadata.product`).
public struct ProductInfo: Sendable, Equatable {
    public var name: String
    public var vendor: String
    public var version: String

    public init(name: String, vendor: String, version: String) {
        self.name = name
        self.vendor = vendor
        self.version = version
    }

    public static let airlock = ProductInfo(name: "Airlock", vendor: "Airlock", version: "0.1.0")
}

/// Airlock's own fields, the same in every format: the full rationale an analyst needs (rule,
/// verdict, evidence with thresholds, counts, policy version) whether or not the schema has a slot.
enum AirlockFields {
    static func object(_ alert: Alert) -> JSONValue {
        let d = alert.decision
        var o = JSONObjectBuilder()
        o.add("alert_id", alert.id)
        o.add("kind", alert.kind.rawValue)
        o.add("phase", alert.phase.rawValue)
        o.add("count", alert.count)
        o.add("sequence", alert.sequence)
        o.add("source", d.source.rawValue)
        o.add("sandbox", d.sandbox?.name)
        o.add("client", d.client.description)
        o.add("server", d.server?.description)
        o.add("domain", d.domain)
        o.add("request", request(d.request))
        o.add("action", d.action.rawValue)
        o.add("rule", d.rule)
        if let v = d.verdict {
            var verdict = JSONObjectBuilder()
            verdict.add("kind", v.kind.rawValue)
            verdict.add("score", v.score)
            verdict.add("threshold", v.threshold)
            verdict.add("domain_kind", v.domain.kind.rawValue)
            if !v.members.isEmpty {
                verdict.add("members", .array(v.members.map { .string($0.value) }))
                verdict.add("member_count", v.memberCount)
            }
            o.add("verdict", verdict.value)
        }
        o.add("evidence", .array(d.evidence.map(evidence)))
        o.add("queries", d.queries)
        o.add("name_bytes", d.nameBytes)
        o.add("policy_version", d.policyVersion)
        o.add("first_time", alert.firstTime.description)
        o.add("last_time", alert.lastTime.description)
        o.add("window_start", alert.windowStart.description)
        o.add("window_end", alert.windowEnd.description)
        o.add("message", d.message)
        return o.value
    }

    static func evidence(_ e: Evidence) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("feature", e.feature)
        o.add("value", e.value)
        o.add("threshold", e.threshold)
        o.add("contribution", e.contribution)
        return o.value
    }

    static func request(_ r: DecisionRequest) -> JSONValue {
        var o = JSONObjectBuilder()
        switch r {
        case .dns(let name, let qtype, let transport):
            o.add("type", "dns")
            o.add("name", name)
            o.add("qtype", DNSRecordType.name(qtype))
            o.add("transport", transport.rawValue)
        case .http(let method, let host, let port, let path):
            o.add("type", "http")
            o.add("method", method)
            o.add("host", host)
            o.add("port", Int(port))
            o.add("path", path)
        case .connection(let destination, let transport, let serverName):
            o.add("type", "connection")
            o.add("destination", destination.description)
            o.add("transport", transport.rawValue)
            o.add("server_name", serverName)
        }
        return o.value
    }

    /// Milliseconds since the epoch (OCSF `timestamp_t`).
    static func millis(_ t: Timestamp) -> Int64 {
        t.nanoseconds >= 0 ? t.nanoseconds / 1_000_000 : (t.nanoseconds - 999_999) / 1_000_000
    }
}
