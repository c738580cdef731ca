import AirlockEngine
import AirlockEvents

/// What a decision was about: a DNS question, an HTTP request, or a connection seen by its first bytes.
public enum DecisionRequest: Sendable, Equatable {
    /// A DNS question (presentation-form name, numeric type).
    case dns(name: String, qtype: UInt16, transport: Transport)
    /// An HTTP request or CONNECT through the egress proxy. `path` is nil for CONNECT.
    case http(method: String, host: String, port: UInt16, path: String?)
    /// A connection judged by its destination and ClientHello (resolver bypass, metadata access).
    case connection(destination: Endpoint, transport: Transport, serverName: String?)

    /// The host or name the request targets, for aggregation keys and syslog structured data.
    public var target: String {
        switch self {
        case .dns(let name, _, _): return name
        case .http(_, let host, _, _): return host
        case .connection(let destination, _, let serverName): return serverName ?? destination.address.description
        }
    }
}

/// What Airlock did. `would-*` actions are report-mode decisions: logged, not enforced.
public enum DecisionAction: String, Sendable, Equatable, CaseIterable {
    case allow
    case block
    case quarantine
    case wouldBlock = "would-block"
    case wouldQuarantine = "would-quarantine"
    /// Forwarded, but flagged for a human (detection without enforcement, e.g. offline replay).
    case alert
    /// Answered with an error (FORMERR, NOTIMP, SERVFAIL) or dropped: not a policy outcome.
    case error

    /// Whether the request was stopped.
    public var stopped: Bool { self == .block || self == .quarantine }
}

/// Which component made the decision. Replay reports the component whose traffic it replays, so a
/// replayed DNS decision is a `dns` decision like a live one.
public enum DecisionSource: String, Sendable, Equatable {
    case dns
    case http
    /// A flow classified from its first bytes (ClientHello, destination).
    case flow
    /// Fleet mode's link to the other instances (sync with Redis lost or back).
    case fleet
}

/// Why a decision that is not a detection verdict was made: a policy rule, a budget, a bypass.
public enum DecisionReasonKind: String, Sendable, Equatable, CaseIterable {
    /// A verdict from the detection engine (tunnel or suspicious name).
    case detection
    /// The registered domain is quarantined after a tunnel verdict.
    case quarantine
    /// A leak/upload byte budget ran out.
    case budgetExhausted = "budget-exhausted"
    /// DNS over HTTPS/TLS/QUIC, DNSCrypt or plain DNS to another resolver.
    case resolverBypass = "resolver-bypass"
    /// The TLS server name does not match the host the sandbox asked for.
    case sniMismatch = "sni-mismatch"
    /// A cloud metadata endpoint (169.254.169.254 and friends).
    case metadataAccess = "metadata-access"
    /// A policy rule denied access across the sandbox boundary (private destination, denied host).
    case policyDenial = "policy-denial"
    /// An ordinary allow or an ordinary list decision nobody needs to look at.
    case routine
    /// Fleet sync with Redis was lost: this instance enforces with its own state only.
    case fleetSyncLost = "fleet-sync-lost"
    /// Fleet sync with Redis is back.
    case fleetSyncReturned = "fleet-sync-returned"
}

/// One decision from any part of Airlock, with everything an analyst needs to understand it without
/// opening a capture: who, what, what was done, which rule, and the evidence behind it.
///
/// The live DNS proxy, the HTTP proxy and offline replay all describe their decisions with this one
/// type (see ``DecisionEventBuilder``), so the alert records they produce are the same for the same traffic.
public struct DecisionEvent: Sendable, Equatable {
    public var time: Timestamp
    public var source: DecisionSource
    public var sandbox: SandboxID?
    public var client: Endpoint
    /// The resolver or server the request went to, when known.
    public var server: Endpoint?
    public var request: DecisionRequest
    public var action: DecisionAction
    public var reason: DecisionReasonKind
    /// Stable rule id (`dns.tunnel.domain_score`, `dns.deny[3]`, `bypass.dns-over-https`).
    public var rule: String
    /// The engine's verdict when one applies (tunnel or suspicious name).
    public var verdict: Verdict?
    /// The features and thresholds that fired (the verdict's evidence, or a budget's figures).
    public var evidence: [Evidence]
    /// One readable line: why this decision was made. For verdicts it is the verdict's explanation,
    /// formatted only when read (most decisions are folded into roll-ups and never rendered).
    public var message: String {
        get { explicitMessage ?? verdict?.explanation ?? "" }
        set { explicitMessage = newValue }
    }
    private var explicitMessage: String?
    /// SHA-256 hex of the policy file in force, when a policy was loaded.
    public var policyVersion: String?
    /// The group the decision is about: the registered domain for DNS, the host for HTTP, the
    /// destination for flows.
    public var domain: String
    /// For tunnels: queries and name bytes seen for the domain so far.
    public var queries: Int?
    public var nameBytes: Int?

    public init(
        time: Timestamp, source: DecisionSource, sandbox: SandboxID?, client: Endpoint, server: Endpoint? = nil,
        request: DecisionRequest, action: DecisionAction, reason: DecisionReasonKind, rule: String, verdict: Verdict? = nil,
        evidence: [Evidence] = [], message: String? = nil, policyVersion: String? = nil, domain: String,
        queries: Int? = nil, nameBytes: Int? = nil
    ) {
        self.time = time
        self.source = source
        self.sandbox = sandbox
        self.client = client
        self.server = server
        self.request = request
        self.action = action
        self.reason = reason
        self.rule = rule
        self.verdict = verdict
        self.evidence = evidence
        self.explicitMessage = message
        self.policyVersion = policyVersion
        self.domain = domain
        self.queries = queries
        self.nameBytes = nameBytes
    }
}
