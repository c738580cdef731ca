import AirlockEngine
import AirlockEvents

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
        let host = r.host ?? r.destination?.address.description ?? "-"
        let request: DecisionRequest
        if r.stage == .tls, let destination = r.destination {
            request = .connection(destination: destination, transport: .tcp, serverName: r.sni)
        } else {
            request = .http(
                method: r.method ?? "-", host: host, port: r.port ?? 0, path: r.method == "CONNECT" ? nil : r.path)
        }
        let reason: DecisionReasonKind
        switch r.kind {
        case .routine, .error: reason = .routine
        case .policyDenial, .authentication: reason = .policyDenial
        case .resolverBypass: reason = .resolverBypass
        case .sniMismatch: reason = .sniMismatch
        case .metadataAccess: reason = .metadataAccess
        // The HTTP heuristics are budgets: upload bytes, bits of high-entropy URL data, requests.
        case .budgetExhausted, .detection: reason = .budgetExhausted
        }
        return DecisionEvent(
            time: r.time, source: r.stage == .tls ? .flow : .http, sandbox: r.sandbox.map(SandboxID.init),
            client: r.client, server: r.destination, request: request, action: action, reason: reason,
            rule: r.rule ?? "http", evidence: r.evidence, message: r.reason ?? r.action.rawValue,
            policyVersion: r.policyVersion, domain: host)
    }
}
