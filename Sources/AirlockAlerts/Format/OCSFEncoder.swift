import AirlockEnforcement
import AirlockEngine
import AirlockEvents

/// Alerts as OCSF 1.4.0 events (schema https://schema.ocsf.io, sources in github.com/ocsf/ocsf-schema at
/// tag 1.4.0). 1.4.0 is the first version with every attribute used here: the Security Control profile's
/// `is_alert` and `policy` on activity classes; earlier versions refuse them.
///
/// - Detections (tunnels, bypass, SNI mismatch, metadata access, budgets, quarantines) are
///   **Detection Finding** (class 2004, category 2 Findings): `activity_id` 1 Create for a run's first
///   alert, 2 Update for a roll-up, with `finding_info.uid` = the alert id and `count` the repeats.
/// - Policy denials are the activity itself with the Security Control profile: **DNS Activity**
///   (4003, activity 1 Query) or **HTTP Activity** (4002, activity by method); connection-level
///   denials are reported as findings.
///
/// Every event carries the base event's required attributes (`activity_id`, `category_uid`,
/// `class_uid`, `metadata` with `product` and `version`, `severity_id`, `time`, `type_uid`) and
/// Airlock's full rationale under `unmapped.airlock`. A campaign verdict's member domains are also
/// `observables` (type 1 Hostname), so a SIEM can search and pivot on them. Every record kind is
/// validated against the compiled 1.4.0 schema in `Tests/AirlockAlertsTests/SchemaValidationTests.swift`.
public struct OCSFEncoder: Sendable {
    public static let schemaVersion = "1.4.0"
    public var product: ProductInfo

    public init(product: ProductInfo = .airlock) {
        self.product = product
    }

    public func encode(_ alert: Alert) -> JSONValue {
        let d = alert.decision
        if alert.kind == .policyDenial {
            switch d.request {
            case .dns(let name, let qtype, _): return dnsActivity(alert, name: name, qtype: qtype)
            case .http(let method, let host, let port, let path):
                return httpActivity(alert, method: method, host: host, port: port, path: path)
            case .connection: break
            }
        }
        return detectionFinding(alert)
    }

    // MARK: Classes

    private func detectionFinding(_ alert: Alert) -> JSONValue {
        let activity = alert.phase == .first ? (1, "Create") : (2, "Update")
        var o = header(alert, classUID: 2004, className: "Detection Finding", category: (2, "Findings"), activity: activity)
        var info = JSONObjectBuilder()
        info.add("uid", alert.id)
        info.add("title", alert.kind.title + " on " + alert.decision.domain)
        info.add("desc", alert.decision.message)
        info.add("types", .array([.string(alert.kind.rawValue)]))
        var analytic = JSONObjectBuilder()
        analytic.add("uid", alert.decision.rule)
        analytic.add("name", alert.decision.rule)
        analytic.add("type_id", 1)
        analytic.add("type", "Rule")
        info.add("analytic", analytic.value)
        info.add("first_seen_time", AirlockFields.millis(alert.firstTime))
        info.add("last_seen_time", AirlockFields.millis(alert.lastTime))
        info.add("related_events_count", alert.count)
        o.add("finding_info", info.value)
        o.add("status_id", 1)
        o.add("status", "New")
        o.add("confidence_id", alert.kind == .tunnel ? 3 : 2)
        o.add("evidences", .array([evidenceArtifacts(alert.decision)]))
        if let score = alert.decision.verdict?.score { o.add("risk_score", Int(min(100, score * 50).rounded())) }
        if let members = alert.decision.verdict?.members, !members.isEmpty {
            o.add(
                "observables",
                .array(
                    members.map { member in
                        var observable = JSONObjectBuilder()
                        observable.add("name", "unmapped.airlock.verdict.members")
                        observable.add("type_id", member.kind == .serverAddress ? 2 : 1)
                        observable.add("type", member.kind == .serverAddress ? "IP Address" : "Hostname")
                        observable.add("value", member.value)
                        return observable.value
                    }))
        }
        footer(alert, into: &o)
        return o.value
    }

    private func dnsActivity(_ alert: Alert, name: String, qtype: UInt16) -> JSONValue {
        var o = header(alert, classUID: 4003, className: "DNS Activity", category: (4, "Network Activity"), activity: (1, "Query"))
        o.add("query", dnsQuery(name: name, qtype: qtype))
        endpoints(alert.decision, into: &o)
        footer(alert, into: &o)
        return o.value
    }

    private func httpActivity(_ alert: Alert, method: String, host: String, port: UInt16, path: String?) -> JSONValue {
        let activity = Self.httpActivity(method)
        var o = header(alert, classUID: 4002, className: "HTTP Activity", category: (4, "Network Activity"), activity: activity)
        o.add("http_request", httpRequest(method: method, host: host, port: port, path: path))
        if let response = httpResponse(alert.decision) { o.add("http_response", response) }
        endpoints(alert.decision, into: &o)
        footer(alert, into: &o)
        return o.value
    }

    // MARK: Shared parts

    /// Classification, occurrence, metadata and the Security Control outcome.
    private func header(
        _ alert: Alert, classUID: Int, className: String, category: (Int, String), activity: (Int, String)
    ) -> JSONObjectBuilder {
        var o = JSONObjectBuilder()
        o.add("class_uid", classUID)
        o.add("class_name", className)
        o.add("category_uid", category.0)
        o.add("category_name", category.1)
        o.add("activity_id", activity.0)
        o.add("activity_name", activity.1)
        o.add("type_uid", classUID * 100 + activity.0)
        o.add("type_name", "\(className): \(activity.1)")
        o.add("severity_id", alert.kind.severityID)
        o.add("severity", alert.kind.severityName)
        o.add("time", AirlockFields.millis(alert.time))
        o.add("start_time", AirlockFields.millis(alert.firstTime))
        o.add("end_time", AirlockFields.millis(alert.lastTime))
        o.add("count", alert.count)
        o.add("message", alert.summary)
        var meta = JSONObjectBuilder()
        meta.add("version", Self.schemaVersion)
        var productObject = JSONObjectBuilder()
        productObject.add("name", product.name)
        productObject.add("vendor_name", product.vendor)
        productObject.add("version", product.version)
        meta.add("product", productObject.value)
        meta.add("uid", alert.id)
        meta.add("log_name", "alerts")
        meta.add("profiles", .array([.string("security_control")]))
        meta.add("sequence", alert.sequence)
        meta.add("correlation_uid", alert.decision.sandbox.map { "\($0)/\(alert.decision.domain)/\(alert.kind.rawValue)" })
        o.add("metadata", meta.value)
        let (actionID, action, dispositionID, disposition) = Self.outcome(alert.decision.action)
        o.add("action_id", actionID)
        o.add("action", action)
        o.add("disposition_id", dispositionID)
        o.add("disposition", disposition)
        o.add("is_alert", true)
        var policy = JSONObjectBuilder()
        policy.add("name", alert.decision.rule)
        policy.add("uid", alert.decision.rule)
        policy.add("version", alert.decision.policyVersion)
        o.add("policy", policy.value)
        return o
    }

    private func footer(_ alert: Alert, into o: inout JSONObjectBuilder) {
        o.add("unmapped", .object([JSONMember("airlock", AirlockFields.object(alert))]))
    }

    private func endpoints(_ d: DecisionEvent, into o: inout JSONObjectBuilder) {
        o.add("src_endpoint", endpoint(d.client, name: d.sandbox?.name))
        if let server = d.server { o.add("dst_endpoint", endpoint(server, name: nil)) }
    }

    private func endpoint(_ e: Endpoint, name: String?, hostname: String? = nil) -> JSONValue {
        var o = JSONObjectBuilder()
        o.add("ip", e.address.description)
        o.add("port", Int(e.port))
        o.add("name", name)
        o.add("hostname", hostname)
        return o.value
    }

    /// The answer Airlock itself gave a request it stopped: `403 Forbidden` with the reason (the
    /// proxy's `X-Airlock-Reason`). Requests that went on (report mode) got the upstream's answer,
    /// which the decision does not hold, so they carry no response.
    private func httpResponse(_ d: DecisionEvent) -> JSONValue? {
        guard d.action.stopped else { return nil }
        var r = JSONObjectBuilder()
        r.add("code", 403)
        r.add("status", "Forbidden")
        r.add("message", d.message)
        return r.value
    }

    private func dnsQuery(name: String, qtype: UInt16) -> JSONValue {
        var q = JSONObjectBuilder()
        q.add("hostname", name)
        q.add("type", DNSRecordType.name(qtype))
        q.add("class", "IN")
        return q.value
    }

    private func httpRequest(method: String, host: String, port: UInt16, path: String?) -> JSONValue {
        var url = JSONObjectBuilder()
        url.add("hostname", host)
        url.add("port", Int(port))
        // OCSF keeps the query apart from the path (`url.query_string`).
        let parts = (path ?? "").split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        url.add("path", parts.first.map(String.init) ?? "")
        if parts.count == 2 { url.add("query_string", String(parts[1])) }
        url.add("scheme", path == nil ? nil : (port == 443 ? "https" : "http"))
        url.add("url_string", path.map { "\(port == 443 ? "https" : "http")://\(host):\(port)\($0)" } ?? "\(host):\(port)")
        var r = JSONObjectBuilder()
        r.add("http_method", method)
        r.add("url", url.value)
        return r.value
    }

    /// The activity behind a finding: the DNS query, HTTP request or connection, with endpoints.
    private func evidenceArtifacts(_ d: DecisionEvent) -> JSONValue {
        var o = JSONObjectBuilder()
        switch d.request {
        case .dns(let name, let qtype, _): o.add("query", dnsQuery(name: name, qtype: qtype))
        case .http(let method, let host, let port, let path):
            o.add("http_request", httpRequest(method: method, host: host, port: port, path: path))
        case .connection(let destination, _, let serverName):
            // The server name from the ClientHello is the destination's host name. (OCSF's `tls`
            // object requires the negotiated version, which a refused ClientHello never reaches.)
            o.add("src_endpoint", endpoint(d.client, name: d.sandbox?.name))
            o.add("dst_endpoint", endpoint(d.server ?? destination, name: nil, hostname: serverName))
            return o.value
        }
        o.add("src_endpoint", endpoint(d.client, name: d.sandbox?.name))
        if let server = d.server { o.add("dst_endpoint", endpoint(server, name: nil)) }
        return o.value
    }

    /// OCSF action_id/disposition_id for an Airlock action (1 Allowed / 2 Denied; dispositions
    /// 1 Allowed, 2 Blocked, 19 Alert).
    static func outcome(_ action: DecisionAction) -> (Int, String, Int, String) {
        switch action {
        case .allow: return (1, "Allowed", 1, "Allowed")
        case .block, .quarantine: return (2, "Denied", 2, "Blocked")
        case .wouldBlock, .wouldQuarantine, .alert: return (1, "Allowed", 19, "Alert")
        case .error: return (0, "Unknown", 27, "Error")
        }
    }

    static func httpActivity(_ method: String) -> (Int, String) {
        let methods = ["CONNECT", "DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT", "TRACE", "PATCH"]
        if let index = methods.firstIndex(of: method.uppercased()) {
            return (index + 1, method.prefix(1).uppercased() + method.dropFirst().lowercased())
        }
        return (99, "Other")
    }
}
