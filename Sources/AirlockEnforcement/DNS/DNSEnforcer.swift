import AirlockDNSWire
import AirlockEngine
import AirlockEvents
import AirlockPipeline
import AirlockPolicy

/// The policy-aware half of DNS inspection: what the policy's actions need to remember across
/// queries — quarantined domains and leak budgets — applied to the engine's assessments.
///
/// Separate from the pipeline so both users can put it beside theirs: the live proxy keeps one
/// pipeline and one enforcer behind one lock (shared by every thread, so a tunnel spread over
/// threads is still one domain's evidence); `airlock replay --policy` keeps one of each per replay.
/// The same traffic therefore gets the same decisions live and offline. Pure: no clocks, no I/O.
public struct DNSEnforcer: Sendable {
    var quarantine = QuarantineTable()
    var budgets = LeakBudgetTable()
    /// Fleet mode: shared convictions and the fleet-wide budget (nil when this instance works alone).
    var fleet: FleetLedger?
    /// Tunnel verdicts that started a quarantine, for status output.
    public private(set) var quarantinesStarted = 0

    public init() {}

    /// Puts the enforcer in a fleet: its quarantines are published, other instances' adopted, and
    /// names are charged to the fleet-wide budget too (``FleetPeer`` is how the fleet layer reaches it).
    public mutating func joinFleet(_ terms: FleetTerms) {
        if fleet?.terms != terms { fleet = FleetLedger(terms: terms) }
    }

    /// Judges a query the engine has assessed: the sandbox's list and type decision first, then
    /// quarantine, then the leak budget. `decision` is pure and may be computed outside any lock.
    public mutating func judge(
        _ event: DNSQueryEvent, _ assessment: DNSAssessment, sandbox: SandboxPolicy, decision: PolicyDecision
    ) -> QueryJudgement {
        judge(event, assessment, terms: EnforcementTerms(sandbox), decision: decision)
    }

    /// ``judge(_:_:sandbox:decision:)`` with the few settings it reads taken out of the policy once.
    /// The event and the assessment are consumed: they move into the judgement (both are large
    /// values; the live proxy judges every query).
    public mutating func judge(
        _ event: consuming DNSQueryEvent, _ assessment: consuming DNSAssessment, terms: EnforcementTerms,
        decision: PolicyDecision
    ) -> QueryJudgement {
        let domain = event.domain
        let time = event.time
        let verdict = assessment.verdict
        let exempt = assessment.exempt
        let subdomainLabels = assessment.features.subdomainLabels
        let subdomainHash = assessment.features.subdomainHash
        let informationBits = assessment.features.informationBits
        var judgement = QueryJudgement(
            event: event, assessment: assessment, block: nil, mode: terms.mode, quarantineStarted: false)
        if decision.action.isDeny { judgement.block = .policy(decision) }

        // Quarantine: a first tunnel verdict starts it; a convicted domain whose quarantine ran out
        // starts another only while its current evidence still crosses the threshold.
        let quarantineSeconds = terms.quarantineSeconds
        var quarantineEnd = quarantine.end(of: domain, at: time, seconds: quarantineSeconds)
        if let verdict, verdict.kind == .tunnel,
            verdict.isFirst
                || (quarantineSeconds > 0 && quarantineEnd == nil && verdict.score >= verdict.threshold)
        {
            quarantine.start(domain, at: time, seconds: quarantineSeconds)
            quarantinesStarted += 1
            // A campaign verdict convicts every member domain: each is quarantined with it.
            if verdict.isFirst {
                for member in verdict.members where member != domain {
                    quarantine.start(member, at: time, seconds: quarantineSeconds)
                }
            }
            quarantineEnd = quarantine.end(of: domain, at: time, seconds: quarantineSeconds)
            judgement.quarantineStarted = quarantineEnd != nil
            if quarantineEnd != nil {
                fleet?.convicted(
                    Conviction(verdict, domain: domain, since: time, quarantineSeconds: quarantineSeconds))
            }
        }
        if judgement.block == nil, let end = quarantineEnd {
            let since = Timestamp(nanoseconds: end.nanoseconds - Int64(quarantineSeconds) * 1_000_000_000)
            judgement.block = .quarantine(
                domain: domain, since: since, until: end, by: fleet?.remoteConviction(of: domain))
        }

        // Leak budget: charged only for names that leave (not blocked), exempt services excepted.
        if !exempt && subdomainLabels > 0 {
            let key = LeakBudgetTable.Key(sandbox: terms.sandbox, domain: domain)
            let blockedBefore = judgement.block != nil
            let enforcing = terms.mode == .enforce
            let budget = terms.leakBudget
            // The fleet-wide budget: the last known fleet total (never a wait on Redis) plus this name.
            let fleetKey = fleet?.budgetKey(sandbox: terms.sandbox, domain: domain)
            let fleetBudget = fleet?.terms.leakBudget
            let fleetUsed = fleetKey.map {
                fleet!.used($0, at: time, windowSeconds: fleetBudget!.windowSeconds)
            }
            var fleetOver = false
            var forwarded = false
            let (used, cost, over) = budgets.check(
                key, hash: subdomainHash,
                bytes: (informationBits / 8).rounded(.up),
                now: time, windowSeconds: budget.windowSeconds, limit: Double(budget.bytes)
            ) { over, cost in
                if let fleetUsed, let fleetBudget { fleetOver = fleetUsed + cost > Double(fleetBudget.bytes) }
                forwarded = !((blockedBefore || over || fleetOver) && enforcing)
                return forwarded
            }
            if !blockedBefore && over {
                judgement.block = .leakBudget(domain: domain, used: used, cost: cost, budget: budget)
            } else if !blockedBefore && fleetOver, let fleetUsed, let fleetBudget {
                judgement.block = .leakBudget(
                    domain: domain, used: fleetUsed, cost: cost, budget: fleetBudget, fleet: true)
            }
            if forwarded, cost > 0, let fleetKey, let fleetBudget {
                fleet!.charge(fleetKey, bytes: cost, at: time, windowSeconds: fleetBudget.windowSeconds)
            }
        }
        return judgement
    }

    /// Notes a verdict reached on a response: a first tunnel verdict starts the domain's quarantine
    /// like one reached on a query.
    public mutating func observe(_ event: DNSResponseEvent, verdict: Verdict?) {
        guard let verdict, verdict.kind == .tunnel, verdict.isFirst else { return }
        quarantine.start(event.domain, at: event.time, seconds: 0)
        quarantinesStarted += 1
        if quarantine.longest > 0 {
            fleet?.convicted(
                Conviction(verdict, domain: event.domain, since: event.time, quarantineSeconds: quarantine.longest))
        }
    }

    // MARK: Fleet

    /// See ``FleetPeer/takeOutgoing()``.
    public mutating func takeFleetOutgoing() -> FleetOutgoing { fleet?.takeOutgoing() ?? FleetOutgoing() }

    /// See ``FleetPeer/install(_:)``.
    public mutating func installFleet(_ incoming: FleetIncoming) { fleet?.install(incoming, into: &quarantine) }

    /// See ``FleetPeer/restore(_:)``.
    public mutating func restoreFleet(_ outgoing: FleetOutgoing) { fleet?.restore(outgoing) }

    /// See ``FleetPeer/localConvictions(now:)``.
    public func localConvictions(now: Timestamp) -> [Conviction] { fleet?.localConvictions(now: now) ?? [] }

    /// See ``FleetPeer/fleetLedgerStatus()``.
    public var fleetStatus: FleetLedgerStatus { fleet?.currentStatus ?? FleetLedgerStatus() }

    /// The first answer address the sandbox's rebinding protection refuses, as a decision; nil when
    /// every A/AAAA answer is a global address or covered by an exception.
    public static func rebinding(_ message: DNSMessage, name: DNSName, sandbox: SandboxPolicy) -> PolicyDecision? {
        for record in message.answers {
            // A global address is always allowed (``SandboxPolicy/decideDNSAnswer(name:address:)``
            // says so first): only the rare special one is worth a decision, which is built with its
            // subject and reason (every answer of every query goes through here).
            guard let address = record.address, SpecialAddress.category(of: address) != nil else { continue }
            let decision = sandbox.decideDNSAnswer(name: name, address: address)
            if decision.action.isDeny { return decision }
        }
        return nil
    }
}

/// The settings of a sandbox the enforcer reads, copied out of the policy once (the live proxy keeps
/// them per sandbox) rather than passing the whole policy for every query.
public struct EnforcementTerms: Sendable {
    public var sandbox: String?
    public var mode: PolicyMode
    public var quarantineSeconds: Int
    public var leakBudget: Budget

    public init(_ policy: SandboxPolicy) {
        sandbox = policy.name
        mode = policy.mode
        quarantineSeconds = policy.dns.quarantineSeconds
        leakBudget = policy.dns.leakBudget
    }
}

extension SandboxDirectory {
    /// The sandbox directory the pipeline labels events with, from a policy's `match` prefixes
    /// (IPv4 prefixes also as their IPv4-mapped IPv6 form, as the policy matches them).
    public init(policy: Policy) {
        var entries: [(network: IPAddress, prefix: Int, sandbox: SandboxID)] = []
        for sandbox in policy.sandboxes {
            guard let id = sandbox.sandboxID else { continue }
            for rule in sandbox.match {
                entries.append((rule.cidr.address, rule.cidr.prefixLength, id))
                if case .v4(let v) = rule.cidr.address {
                    entries.append((.v6(high: 0, low: 0xFFFF_0000_0000 | UInt64(v)), 96 + rule.cidr.prefixLength, id))
                }
            }
        }
        self.init(entries)
    }
}
