import AirlockEngine
import AirlockEvents
import AirlockPolicy

extension DecisionEventBuilder {
    /// A live DNS proxy decision record. Nil for records without a question (unparseable packets:
    /// those are counted as malformed, not decided).
    public func decision(record r: DNSDecisionRecord) -> DecisionEvent? {
        guard let name = r.name, let qtype = r.qtype else { return nil }
        let request = DecisionRequest.dns(name: name.description, qtype: qtype, transport: r.transport)
        let domain = r.domain?.value ?? name.description
        let sandbox = r.sandbox.map(SandboxID.init)
        var action: DecisionAction
        switch r.action {
        case .allow: action = .allow
        case .block: action = .block
        case .wouldBlock: action = .wouldBlock
        case .formerr, .notimp, .servfail, .drop: action = .error
        }
        var reason = DecisionReasonKind.routine
        var rule = r.rule ?? "dns.allow"
        var message: String? = r.detail ?? "forwarded"
        var evidence = r.verdict?.evidence ?? []
        var nameBytes = r.verdict?.nameBytes
        switch r.basis {
        case .quarantine(_, _, _, let conviction)?:
            if action == .block { action = .quarantine } else if action == .wouldBlock { action = .wouldQuarantine }
            reason = .quarantine
            if let conviction {
                // Another instance's verdict: its rule, score and features are the evidence here.
                evidence = [
                    Evidence(
                        feature: "fleet_conviction", value: conviction.score, threshold: conviction.threshold,
                        contribution: 1)
                ]
            }
        case .leakBudget(_, let used, let cost, let budget, let fleet)?:
            reason = .budgetExhausted
            evidence = [
                Evidence(
                    feature: fleet ? "fleet_leak_bytes" : "leak_bytes", value: used + cost,
                    threshold: Double(budget.bytes), contribution: 1)
            ]
            nameBytes = Int(used.rounded())
        case .rebinding(let decision)?:
            if case .dnsAnswer(_, let address) = decision.subject, SpecialAddress.metadataService(at: address) != nil {
                reason = .metadataAccess
            } else {
                reason = .policyDenial
            }
        case .policy(let decision)?:
            // A threat-intelligence feed's block is an incident, not routine list upkeep: it alerts,
            // naming the feed and the entry (rule dns.feeds[i], message the feed line).
            if case .feed = decision.basis, action != .allow { reason = .policyDenial }
        case nil:
            break
        }
        if let verdict = r.verdict, verdict.kind == .tunnel || r.basis == nil {
            // The verdict is the rationale; a quarantine it started is the action taken.
            message = nil  // the verdict's explanation, formatted only if the decision is rendered
            rule = verdict.rule
            evidence = verdict.evidence
            if reason == .routine || reason == .quarantine { reason = .detection }
        } else if let basis = r.basis {
            message = basis.reason
        }
        if r.verdict != nil && reason == .routine { reason = .detection }
        return DecisionEvent(
            time: r.time, source: .dns, sandbox: sandbox, client: r.client, request: request, action: action,
            reason: reason, rule: rule, verdict: r.verdict, evidence: evidence, message: message,
            policyVersion: r.policyVersion, domain: domain, queries: r.verdict?.queries, nameBytes: nameBytes)
    }
}
