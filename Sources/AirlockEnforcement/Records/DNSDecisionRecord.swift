import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// One decision, with its rationale: the unit of the proxy's log and, later, of alert sinks.
///
/// Built cheaply on the packet path (no strings formatted); sinks format what they keep.
public struct DNSDecisionRecord: Sendable {
    /// Which step decided: the query, the upstream's answer (rebinding, failures), or a bad packet.
    public enum Stage: String, Sendable {
        case query
        case answer
        case packet
    }

    /// What the proxy did with a query or an answer.
    public enum Action: String, Sendable {
        /// Forwarded upstream, or answered from the cache.
        case allow
        /// Answered with the block response (NXDOMAIN or REFUSED) instead of forwarding.
        case block
        /// Report mode: the policy refuses it, but it was forwarded anyway.
        case wouldBlock = "would-block"
        /// A malformed query, answered FORMERR.
        case formerr
        /// A query the proxy does not serve: an opcode other than QUERY (answered NOTIMP), or an EDNS
        /// version above 0 (answered BADVERS; `rcode` says which).
        case notimp
        /// No upstream answered in time: answered SERVFAIL.
        case servfail
        /// Nothing sent back (unparseable bytes, a response sent as a query).
        case drop
    }

    public var time: Timestamp
    public var stage: Stage
    public var action: Action
    public var sandbox: String?
    public var client: Endpoint
    public var transport: Transport
    public var name: DNSName?
    public var qtype: UInt16?
    public var domain: DomainKey?
    /// Why the policy refused (or would refuse) it; nil when nothing did.
    public var basis: BlockBasis?
    /// The engine's verdict on this query, if any.
    public var verdict: Verdict?
    /// The first tunnel verdict (quarantine start) or first suspicious name of a domain: alert on it.
    public var alert: Bool
    /// Answered from the packet cache.
    public var cached: Bool
    /// The RCODE the client got, when the proxy answered itself.
    public var rcode: UInt16?
    /// Extra words for errors: the parse failure, which upstreams failed.
    public var detail: String?
    /// What the proxy left out of the query it forwards (query stage; nil when nothing).
    public var stripped: QueryStripped?
    public var mode: PolicyMode?
    /// SHA-256 of the policy file that decided.
    public var policyVersion: String

    public init(
        time: Timestamp, stage: Stage, action: Action, sandbox: String?, client: Endpoint, transport: Transport,
        name: DNSName? = nil, qtype: UInt16? = nil, domain: DomainKey? = nil, basis: BlockBasis? = nil,
        verdict: Verdict? = nil, alert: Bool = false, cached: Bool = false, rcode: UInt16? = nil, detail: String? = nil,
        mode: PolicyMode? = nil, policyVersion: String
    ) {
        self.time = time
        self.stage = stage
        self.action = action
        self.sandbox = sandbox
        self.client = client
        self.transport = transport
        self.name = name
        self.qtype = qtype
        self.domain = domain
        self.basis = basis
        self.verdict = verdict
        self.alert = alert
        self.cached = cached
        self.rcode = rcode
        self.detail = detail
        self.mode = mode
        self.policyVersion = policyVersion
    }

    /// The query-stage record of a judgement: what the proxy logs for every query it decides, and
    /// what `airlock replay --policy` reports for recorded ones.
    public init(_ judgement: QueryJudgement, policyVersion: String) {
        let event = judgement.event
        let verdict = judgement.assessment.verdict
        self.init(
            time: event.time, stage: .query,
            action: judgement.blocks ? .block : judgement.wouldBlock ? .wouldBlock : .allow,
            sandbox: event.sandbox?.name, client: event.client, transport: event.transport, name: event.name,
            qtype: event.qtype, domain: event.domain, basis: judgement.mode == .open ? nil : judgement.block,
            verdict: verdict,
            alert: judgement.quarantineStarted || (verdict?.isFirst ?? false)
                || (judgement.mode != .open && judgement.block?.isFeed == true),
            mode: judgement.mode, policyVersion: policyVersion)
    }

    /// The policy rule that refused it, else the engine rule of its verdict.
    public var rule: String? { basis?.rule ?? verdict?.rule }

    /// Whether this is worth logging when only blocks and alerts are wanted.
    public var isNotable: Bool { action != .allow || alert || verdict != nil || stripped?.isUnusual == true }
}

/// Where decisions go. The proxy hands over a batch per event-loop turn, in decision order.
public protocol DecisionLog: Sendable {
    func write(_ records: [DNSDecisionRecord])
}
