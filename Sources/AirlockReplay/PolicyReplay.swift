import AirlockEnforcement
import AirlockDNSWire
import AirlockEngine
import AirlockEvents
import AirlockPolicy

/// `airlock replay --policy`: the live proxy's policy decisions applied to recorded traffic — the
/// same ``DNSEnforcer`` (lists, types, quarantine, leak budget) on the same engine assessments, and
/// the rebinding check on recorded answers — so an operator sees what a policy would have blocked
/// and why before enforcing it.
struct PolicyReplay {
    let policy: Policy
    var enforcer = DNSEnforcer()
    var summary: PolicyReplaySummary

    init(policy: Policy) {
        self.policy = policy
        summary = PolicyReplaySummary(policyVersion: policy.version, file: policy.file)
    }

    /// The decision for a recorded query the pipeline assessed.
    mutating func query(_ event: DNSQueryEvent, _ assessment: DNSAssessment, file: String) -> DNSDecisionRecord {
        let sandbox = policy.sandbox(for: event.client.address)
        let decision = sandbox.decideDNS(name: event.name, qtype: event.qtype)
        let judgement = enforcer.judge(event, assessment, sandbox: sandbox, decision: decision)
        let record = DNSDecisionRecord(judgement, policyVersion: policy.version)
        summary.count(record, file: file)
        return record
    }

    /// The answer-stage decision for a recorded response: a refused rebinding answer, else nil.
    mutating func response(
        _ message: DNSMessage, _ event: DNSResponseEvent, _ verdict: Verdict?, file: String
    ) -> DNSDecisionRecord? {
        enforcer.observe(event, verdict: verdict)
        let sandbox = policy.sandbox(for: event.client.address)
        guard sandbox.mode != .open, let refused = DNSEnforcer.rebinding(message, name: event.name, sandbox: sandbox)
        else { return nil }
        let record = DNSDecisionRecord(
            time: event.time, stage: .answer, action: sandbox.mode == .enforce ? .block : .wouldBlock,
            sandbox: sandbox.name, client: event.client, transport: event.transport, name: event.name,
            qtype: event.qtype, domain: event.domain, basis: .rebinding(refused), mode: sandbox.mode,
            policyVersion: policy.version)
        summary.count(record, file: file)
        return record
    }
}

/// What a policy would have done to a replayed capture.
public struct PolicyReplaySummary: Sendable {
    /// One refusal reason seen for a domain: the first occurrence, and how many followed.
    public struct Refusal: Sendable {
        public var file: String
        public var domain: String
        public var rule: String
        public var action: String
        public var count: Int
        public var first: DNSDecisionRecord
    }

    public var policyVersion: String
    public var file: String
    public var queries = 0
    public var blocked = 0
    public var wouldBlock = 0
    public var byRule: [String: Int] = [:]
    /// First refusal per (domain, rule), in order of appearance (at most ``maxRefusals``).
    public var refusals: [Refusal] = []
    private var refusalIndex: [String: Int] = [:]
    static let maxRefusals = 1_000

    init(policyVersion: String, file: String) {
        self.policyVersion = policyVersion
        self.file = file
    }

    mutating func count(_ record: DNSDecisionRecord, file: String) {
        if record.stage == .query { queries += 1 }
        switch record.action {
        case .block: blocked += 1
        case .wouldBlock: wouldBlock += 1
        default: return
        }
        let rule = record.rule ?? "?"
        byRule[rule, default: 0] += 1
        let key = (record.domain?.value ?? "") + "\u{0}" + rule
        if let index = refusalIndex[key] {
            refusals[index].count += 1
        } else if refusals.count < Self.maxRefusals {
            refusalIndex[key] = refusals.count
            refusals.append(
                Refusal(
                    file: file, domain: record.domain?.value ?? "", rule: rule, action: record.action.rawValue,
                    count: 1,
                    first: record))
        }
    }

    /// The `policy` member of the `--summary` object.
    func json() -> String {
        var w = JSONObjectWriter()
        w.add("file", file)
        w.add("policy_version", "sha256:" + policyVersion)
        w.add("queries", queries)
        w.add("blocked", blocked)
        w.add("would_block", wouldBlock)
        var rules = JSONObjectWriter()
        for (rule, count) in byRule.sorted(by: { $0.key < $1.key }) { rules.add(rule, count) }
        w.add("by_rule", raw: rules.finish())
        w.add(
            "refusals",
            raw: JSONObjectWriter.array(
                refusals.map { r in
                    var o = JSONObjectWriter()
                    o.add("domain", r.domain)
                    o.add("rule", r.rule)
                    o.add("action", r.action)
                    o.add("count", r.count)
                    o.add("first_time", r.first.time.description)
                    o.add("first_name", r.first.name?.description)
                    o.add("client", r.first.client.description)
                    o.add("sandbox", r.first.sandbox)
                    o.add("reason", r.first.basis?.reason)
                    o.add("file", r.file)
                    return o.finish()
                }))
        return w.finish()
    }
}
