import AirlockEngine
import AirlockEvents
import AirlockPolicy

extension DecisionEventBuilder {
    /// An HTTP proxy decision record. Nil for records that are not decisions: the end of an exchange
    /// (byte counts) and errors the proxy made itself (bad gateway, timeouts).
    public func decision(http r: HTTPDecisionRecord) -> DecisionEvent? {
        let action: DecisionAction
        switch r.action {
        case .allow: action = .allow
        case .block: action = .block
        case .wouldBlock: action = .wouldBlock
        case .error, .end: return nil
        }
        // A connection-limit record has no destination: it is about the client (alerts group per client).
        let host = r.host ?? r.destination?.address.description ?? (r.stage == .connection ? r.client.address.description : "-")
        let request: DecisionRequest
        if r.stage == .tls, let destination = r.destination {
            request = .connection(destination: destination, transport: .tcp, serverName: r.sni)
        } else {
            request = .http(
                method: r.method ?? "-", host: host, port: r.port ?? 0, path: r.method == "CONNECT" ? nil : r.path)
        }
        var reason: DecisionReasonKind
        switch r.kind {
        case .routine, .error: reason = .routine
        case .policyDenial, .authentication: reason = .policyDenial
        case .resolverBypass: reason = .resolverBypass
        case .sniMismatch: reason = .sniMismatch
        case .metadataAccess: reason = .metadataAccess
        // The HTTP heuristics are budgets: upload bytes, bits of high-entropy URL data, requests.
        case .budgetExhausted, .detection: reason = .budgetExhausted
        }
        var message = r.reason ?? r.action.rawValue
        // A refused request for a cloud metadata service is a metadata-access alert (High) whichever
        // rule refused it first: `http.default: deny` or a deny list stops it before the guard's own
        // metadata check, and a Low policy denial would hide an attempt on instance credentials.
        if action != .allow, reason != .metadataAccess, let service = Self.metadataService(host: r.host, r.destination) {
            reason = .metadataAccess
            message = "\(host) is \(service): instance credentials must not reach a sandbox (refused by \(r.rule ?? "http")"
                + (r.reason.map { ": \($0)" } ?? "") + ")"
        }
        return DecisionEvent(
            time: r.time, source: r.stage == .tls ? .flow : .http, sandbox: r.sandbox.map(SandboxID.init),
            client: r.client, server: r.destination, request: request, action: action, reason: reason,
            rule: r.rule ?? "http", evidence: r.evidence, message: message,
            policyVersion: r.policyVersion, domain: host)
    }

    /// The metadata service a request targets, by its IP-literal host or the address it resolved to
    /// (``SpecialAddress/metadataServices``, the one table the guard reads too).
    static func metadataService(host: String?, _ destination: Endpoint?) -> String? {
        if let host, let address = IPAddress(host.hasPrefix("[") ? String(host.dropFirst().dropLast()) : host),
            let service = SpecialAddress.metadataService(at: address)
        {
            return service
        }
        return destination.flatMap { SpecialAddress.metadataService(at: $0.address) }
    }
}
