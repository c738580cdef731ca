import AirlockEngine
import AirlockEvents

/// A tunnel conviction as the fleet shares it: the domain (and, for a campaign, its other members),
/// when its quarantine started, which instance convicted it and why.
///
/// Made here when a verdict starts a quarantine (``DNSEnforcer``), handed to the fleet layer, and
/// adopted from other instances: a domain convicted anywhere is quarantined everywhere, each sandbox
/// applying its own `quarantine_seconds` from ``since``.
public struct Conviction: Sendable, Equatable {
    public var domain: DomainKey
    /// The campaign's other domains, quarantined with it.
    public var members: [DomainKey]
    /// When the convicting instance started the quarantine (its clock; instances keep NTP time).
    public var since: Timestamp
    /// The instance that convicted it; nil for this instance's own convictions until they are published.
    public var instance: String?
    /// The engine rule (`dns.tunnel.domain_score`, `dns.tunnel.campaign`…), its score and threshold.
    public var rule: String
    public var score: Double
    public var threshold: Double
    /// The features that crossed their thresholds.
    public var reasons: [String]
    /// The convicting sandbox's quarantine length (receivers apply their own; this says how long the
    /// conviction is worth republishing).
    public var quarantineSeconds: Int

    public init(
        domain: DomainKey, members: [DomainKey] = [], since: Timestamp, instance: String? = nil, rule: String,
        score: Double, threshold: Double, reasons: [String], quarantineSeconds: Int
    ) {
        self.domain = domain
        self.members = members
        self.since = since
        self.instance = instance
        self.rule = rule
        self.score = score
        self.threshold = threshold
        self.reasons = reasons
        self.quarantineSeconds = quarantineSeconds
    }

    /// The conviction a verdict that started a quarantine stands for.
    init(_ verdict: Verdict, domain: DomainKey, since: Timestamp, quarantineSeconds: Int) {
        self.init(
            domain: domain, members: verdict.isFirst ? verdict.members.filter { $0 != domain } : [], since: since,
            rule: verdict.rule, score: verdict.score, threshold: verdict.threshold, reasons: verdict.reasons,
            quarantineSeconds: quarantineSeconds)
    }

    /// When it stops being worth sharing.
    public var expires: Timestamp {
        Timestamp(nanoseconds: since.nanoseconds + Int64(quarantineSeconds) * 1_000_000_000)
    }

    /// "by fleet instance node-b (dns.tunnel.domain_score, score 2.31 ≥ 1.00: suspicious_names, …)"
    public var attribution: String {
        "by fleet instance \(instance ?? "(this one)") (\(rule), score \(Evidence.formatted(score)) ≥ "
            + "\(Evidence.formatted(threshold))" + (reasons.isEmpty ? "" : ": " + reasons.joined(separator: ", ")) + ")"
    }
}
