import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// One decision of the HTTP proxy: the unit of its log (and of alert sinks).
public struct HTTPDecisionRecord: Sendable {
    /// Which step decided.
    public enum Stage: String, Sendable {
        /// The client's connection itself: its share of the proxy's connections (refused or closed).
        case connection
        /// The client's identity (token).
        case identity
        /// The request head itself (malformed → 400).
        case parse
        /// Host and port against the lists and built-in bypass checks; heuristics on the request.
        case request
        /// Name resolution through Airlock's DNS path.
        case dns
        /// The resolved or literal address.
        case destination
        /// The TLS ClientHello inside a CONNECT tunnel.
        case tls
        /// Bytes already flowing: upload budget, timeouts, the end of a tunnel or exchange.
        case transfer
        /// Upstream connect or response problems.
        case upstream
    }

    public enum Action: String, Sendable {
        case allow
        case block
        case wouldBlock = "would-block"
        /// The request failed for a reason that is not a policy decision (bad gateway, timeout).
        case error
        /// A tunnel or exchange finished: bytes each way.
        case end
    }

    public var time: Timestamp
    public var stage: Stage
    public var action: Action
    public var sandbox: String?
    /// How the sandbox was identified: `address` or `token`.
    public var identity: String
    public var client: Endpoint
    public var method: String?
    public var host: String?
    public var port: UInt16?
    /// For plain HTTP, the path (at most 256 bytes).
    public var path: String?
    public var destination: Endpoint?
    public var sni: String?
    public var rule: String?
    public var reason: String?
    public var kind: EgressReasonKind
    public var evidence: [Evidence]
    public var mode: PolicyMode?
    /// The status the proxy answered with, when it answered itself.
    public var status: Int?
    public var bytesUp: Int?
    public var bytesDown: Int?
    public var policyVersion: String
    /// For `end` records: seconds from the request head to the end of the exchange (a tunnel's
    /// whole life for CONNECT).
    public var durationSeconds: Double?

    public init(
        time: Timestamp, stage: Stage, action: Action, sandbox: String?, identity: String, client: Endpoint,
        method: String? = nil, host: String? = nil, port: UInt16? = nil, path: String? = nil,
        destination: Endpoint? = nil, sni: String? = nil, rule: String? = nil, reason: String? = nil,
        kind: EgressReasonKind = .routine, evidence: [Evidence] = [], mode: PolicyMode? = nil, status: Int? = nil,
        bytesUp: Int? = nil, bytesDown: Int? = nil, policyVersion: String
    ) {
        self.time = time
        self.stage = stage
        self.action = action
        self.sandbox = sandbox
        self.identity = identity
        self.client = client
        self.method = method
        self.host = host
        self.port = port
        self.path = path
        self.destination = destination
        self.sni = sni
        self.rule = rule
        self.reason = reason
        self.kind = kind
        self.evidence = evidence
        self.mode = mode
        self.status = status
        self.bytesUp = bytesUp
        self.bytesDown = bytesDown
        self.policyVersion = policyVersion
    }

    /// Blocks, would-blocks and errors.
    public var isNotable: Bool { action == .block || action == .wouldBlock || action == .error }
}

/// Where HTTP decisions go; a worker hands over a batch per event-loop turn.
public protocol HTTPDecisionLog: Sendable {
    func write(_ records: [HTTPDecisionRecord])
}
