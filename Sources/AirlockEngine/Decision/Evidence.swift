import AirlockEvents

/// One feature compared with its threshold: the unit of every rationale Airlock gives.
public struct Evidence: Sendable, Equatable, CustomStringConvertible {
    /// Stable snake_case feature name, e.g. `suspicious_names`, `entropy`.
    public var feature: String
    /// The measured value.
    public var value: Double
    /// The threshold it was compared with.
    public var threshold: Double
    /// What it added to the score.
    public var contribution: Double

    public init(feature: String, value: Double, threshold: Double, contribution: Double) {
        self.feature = feature
        self.value = value
        self.threshold = threshold
        self.contribution = contribution
    }

    /// `entropy=4.41≥3.20(+0.33)`.
    public var description: String {
        "\(feature)=\(Self.format(value))≥\(Self.format(threshold))(+\(Self.format(contribution)))"
    }

    /// Two decimals at most, integers without a fraction.
    public static func formatted(_ v: Double) -> String { format(v) }

    static func format(_ v: Double) -> String {
        if v == v.rounded() && abs(v) < 1e9 { return String(Int(v)) }
        let scaled = (v * 100).rounded() / 100
        return String(scaled)
    }
}

/// What the engine concluded about a query's name or its domain.
public enum VerdictKind: String, Sendable, Equatable {
    /// The registered domain carries a tunnel: per-domain evidence crossed the tunnel score.
    case tunnel
    /// One name alone looks like encoded data (lexical evidence only).
    case suspiciousName = "suspicious-name"
}

/// A verdict with its rationale: which rule, which features crossed which thresholds, the score.
public struct Verdict: Sendable, Equatable {
    public var kind: VerdictKind
    /// Stable rule id, e.g. `dns.tunnel.domain_score` or `dns.suspicious_name`.
    public var rule: String
    /// The score that crossed ``threshold``.
    public var score: Double
    public var threshold: Double
    /// The domain group the verdict is about.
    public var domain: DomainKey
    /// Features that crossed their thresholds, largest contribution first.
    public var evidence: [Evidence]
    /// True the first time this kind of verdict is reached for the domain (alert once, act always).
    public var isFirst: Bool
    /// Queries seen for the domain up to and including this one.
    public var queries: Int
    /// Bytes of query names (presentation length) seen for the domain up to and including this one.
    public var nameBytes: Int
    /// For a campaign verdict (`dns.tunnel.campaign`): every domain group the campaign spans (the first
    /// 32), all convicted with it. Empty for verdicts about one domain.
    public var members: [DomainKey]
    /// For a campaign verdict: how many domain groups joined (beyond the 32 listed).
    public var memberCount: Int

    public init(
        kind: VerdictKind, rule: String, score: Double, threshold: Double, domain: DomainKey, evidence: [Evidence],
        isFirst: Bool, queries: Int, nameBytes: Int, members: [DomainKey] = [], memberCount: Int = 0
    ) {
        self.members = members
        self.memberCount = max(memberCount, members.count)
        self.kind = kind
        self.rule = rule
        self.score = score
        self.threshold = threshold
        self.domain = domain
        self.evidence = evidence
        self.isFirst = isFirst
        self.queries = queries
        self.nameBytes = nameBytes
    }

    /// Feature names that crossed, in order: the short reason list of summaries.
    public var reasons: [String] { evidence.map(\.feature) }

    /// One readable line: `tunnel on pirate.sea: score 2.41≥1 (suspicious_names=6≥4(+1.5), …)`.
    public var explanation: String {
        let scope = members.isEmpty
            ? "" : " (campaign of \(memberCount) domains: \(members.prefix(8).map(\.value).joined(separator: ", "))\(memberCount > 8 ? ", …" : ""))"
        return "\(kind.rawValue) on \(domain.value)\(scope): score \(Evidence.format(score))≥\(Evidence.format(threshold)) ("
            + evidence.map(\.description).joined(separator: ", ") + ")"
    }
}
