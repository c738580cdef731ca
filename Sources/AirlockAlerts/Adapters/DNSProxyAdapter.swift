import AirlockDNSProxy
import AirlockEnforcement
import AirlockEngine
import AirlockEvents
import AirlockPolicy

extension AlertBuilder {
    /// Cloud metadata service addresses: an answer pointing a name at one of these is an attempt
    /// to reach instance credentials from a sandbox.
    static let metadataAddresses: Set<IPAddress> = [
        IPAddress("169.254.169.254")!,  // AWS, GCP, Azure, OpenStack, DigitalOcean, Oracle
        IPAddress("fd00:ec2::254")!,  // AWS IMDS over IPv6
        IPAddress("100.100.100.200")!,  // Alibaba Cloud
    ]

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
        case .quarantine?:
            if action == .block { action = .quarantine } else if action == .wouldBlock { action = .wouldQuarantine }
            reason = .quarantine
        case .leakBudget(_, let used, let cost, let budget)?:
            reason = .budgetExhausted
            evidence = [
                Evidence(
                    feature: "leak_bytes", value: used + cost, threshold: Double(budget.bytes), contribution: 1)
            ]
            nameBytes = Int(used.rounded())
        case .rebinding(let decision)?:
            if case .dnsAnswer(_, let address) = decision.subject, Self.metadataAddresses.contains(address) {
                reason = .metadataAccess
            } else {
                reason = .policyDenial
            }
        case .policy?, nil:
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

/// The DNS proxy's ``DecisionLog`` that feeds the alert pipeline (and, optionally, another log):
/// `airlock serve --alerts FILE` puts it between the proxy and its JSON-lines log.
///
/// Called once per event-loop turn with the turn's records. Plain allowed queries cost two counter
/// increments; only records with a verdict or a refusal become ``DecisionEvent``s.
public final class AlertingDecisionLog: DecisionLog {
    public let pipeline: AlertPipeline
    private let next: DecisionLog?
    private let nextLevel: DecisionLogLevel
    private let builder: AlertBuilder

    /// - Parameters:
    ///   - next: the decision log to forward to, with the records `nextLevel` wants (the proxy must
    ///     then run at log level `all`, so alerting sees every record whatever the log keeps).
    public init(
        pipeline: AlertPipeline, forwardingTo next: DecisionLog? = nil, nextLevel: DecisionLogLevel = .all,
        builder: AlertBuilder = AlertBuilder()
    ) {
        self.pipeline = pipeline
        self.next = next
        self.nextLevel = nextLevel
        self.builder = builder
    }

    public func write(_ records: [DNSDecisionRecord]) {
        if let next {
            switch nextLevel {
            case .all: next.write(records)
            case .notable:
                let notable = records.filter(\.isNotable)
                if !notable.isEmpty { next.write(notable) }
            case .none: break
            }
        }
        let metrics = pipeline.metrics
        for r in records {
            switch r.stage {
            case .query: metrics.queries.increment()
            case .packet:
                metrics.malformed.increment(r.detail.map { Self.reasonLabel($0) } ?? "unparseable")
            case .answer: break
            }
            if r.verdict == nil && r.basis == nil && r.action == .allow {
                pipeline.submitRoutine(action: .allow, time: r.time)
                continue
            }
            if let decision = builder.decision(record: r) { pipeline.submit(decision) }
        }
    }

    /// A metric label from a parse-failure text: its first words, lower-cased, `_`-joined.
    static func reasonLabel(_ detail: String) -> String {
        let words = detail.lowercased().split(whereSeparator: { !$0.isLetter && !$0.isNumber }).prefix(4)
        return words.isEmpty ? "unparseable" : words.joined(separator: "_")
    }
}
