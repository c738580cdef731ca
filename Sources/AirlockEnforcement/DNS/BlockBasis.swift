import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// Why a query or answer is refused (or, in report mode, would have been).
public enum BlockBasis: Sendable {
    /// The sandbox's lists, default or allowed record types said no.
    case policy(PolicyDecision)
    /// The registered domain got a tunnel verdict at `since`; queries to it are refused until `until`.
    /// `by` is the other fleet instance's conviction when the verdict was reached there.
    case quarantine(domain: DomainKey, since: Timestamp, until: Timestamp, by: Conviction? = nil)
    /// Forwarding this name would take the domain past the bytes of name information allowed: the
    /// sandbox's budget, or with `fleet` the fleet-wide budget (`used` is then the fleet's total).
    case leakBudget(domain: DomainKey, used: Double, cost: Double, budget: Budget, fleet: Bool = false)
    /// The answer maps the name to a private, loopback, link-local or metadata address.
    case rebinding(PolicyDecision)

    /// The rule or setting id logged with the decision (`dns.deny[2]`, `dns.quarantine_seconds`...).
    public var rule: String {
        switch self {
        case .policy(let decision), .rebinding(let decision): return decision.ruleID
        case .quarantine: return "dns.quarantine_seconds"
        case .leakBudget(_, _, _, _, let fleet): return fleet ? "fleet.leak_budget" : "dns.leak_budget"
        }
    }

    /// One sentence saying why.
    public var reason: String {
        switch self {
        case .policy(let decision), .rebinding(let decision):
            return decision.reason
        case .quarantine(let domain, let since, let until, let conviction):
            return "\(domain.value) is quarantined after a tunnel verdict"
                + (conviction.map { " " + $0.attribution } ?? "") + " at \(since) until \(until)"
        case .leakBudget(let domain, let used, let cost, let budget, let fleet):
            return "\(Int(used.rounded())) bytes of name information already sent to \(domain.value) in the window"
                + (fleet ? " by the fleet" : "") + "; \(Int(cost.rounded())) more would pass the "
                + (fleet ? "fleet-wide budget" : "budget") + " of \(budget)"
        }
    }
}

/// What the enforcer made of one query: the engine's view, and whether the policy refuses it.
public struct QueryJudgement: Sendable {
    public var event: DNSQueryEvent
    public var assessment: DNSAssessment
    /// The first reason to refuse the query, nil when nothing refuses it.
    public var block: BlockBasis?
    /// The sandbox's mode: whether a refusal blocks (`enforce`), is logged only (`report`) or neither.
    public var mode: PolicyMode
    /// This query's verdict put its domain under quarantine (the one alert for the quarantine).
    public var quarantineStarted: Bool

    /// The proxy must answer with the block response instead of forwarding.
    public var blocks: Bool { block != nil && mode == .enforce }
    /// A refusal the mode does not enforce but reports ("would block").
    public var wouldBlock: Bool { block != nil && mode == .report }
}
