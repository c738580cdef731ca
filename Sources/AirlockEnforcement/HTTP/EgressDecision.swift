import AirlockEngine
import AirlockPolicy

/// What kind of reason stands behind a decision, for alerting. The raw values match the alert
/// model's reason kinds (`policy-denial`, `resolver-bypass`…), so a decision maps onto an alert
/// without a translation table.
public enum EgressReasonKind: String, Sendable, Hashable {
    /// An ordinary allow.
    case routine
    /// A list rule, the default, a private destination or a malformed target said no.
    case policyDenial = "policy-denial"
    /// DNS-over-HTTPS or DNS-over-TLS: the sandbox is going around Airlock's resolver.
    case resolverBypass = "resolver-bypass"
    /// The TLS server name differs from the CONNECT host (domain fronting), or is hidden.
    case sniMismatch = "sni-mismatch"
    /// A cloud metadata endpoint.
    case metadataAccess = "metadata-access"
    /// An upload byte budget ran out.
    case budgetExhausted = "budget-exhausted"
    /// A heuristic over the traffic itself: request rate, high-entropy URL or header data.
    case detection
    /// The client did not prove which sandbox it is (token missing, expired, wrong).
    case authentication
    /// The request could not be served: malformed, unresolvable, unreachable.
    case error
}

/// One decision of the HTTP proxy with its rationale: what, under which rule, why, and the
/// figures behind it when a heuristic decided (the same ``Evidence`` the DNS engine reports).
public struct EgressDecision: Sendable, CustomStringConvertible {
    public var deny: Bool
    public var mode: PolicyMode
    /// Stable rule id: a policy rule (`http.allow[2]`, `http.doh_endpoints[0]`), a built-in check
    /// (`bypass.dns-over-https`, `http.sni_mismatch`, `http.metadata`), or a budget (`http.upload_budget`).
    public var rule: String
    /// One sentence: why.
    public var reason: String
    public var kind: EgressReasonKind
    public var evidence: [Evidence]

    public init(
        deny: Bool, mode: PolicyMode, rule: String, reason: String, kind: EgressReasonKind, evidence: [Evidence] = []
    ) {
        self.deny = deny
        self.mode = mode
        self.rule = rule
        self.reason = reason
        self.kind = kind
        self.evidence = evidence
    }

    /// From a policy decision (list rules, defaults, private destinations).
    init(_ decision: PolicyDecision, kind: EgressReasonKind? = nil) {
        self.init(
            deny: decision.wouldBlock, mode: decision.mode, rule: decision.ruleID, reason: decision.reason,
            kind: kind ?? (decision.wouldBlock ? .policyDenial : .routine))
    }

    /// The proxy must refuse: a deny under `enforce`.
    public var blocks: Bool { deny && mode == .enforce }
    /// Worth a log line: any deny not under `open`.
    public var shouldLog: Bool { deny && mode != .open }

    public var description: String {
        let verb = deny ? (mode == .enforce ? "deny" : "would deny") : "allow"
        let figures = evidence.isEmpty ? "" : " [" + evidence.map(\.description).joined(separator: ", ") + "]"
        return "\(verb) [\(mode.rawValue)] \(rule): \(reason)\(figures)"
    }
}
