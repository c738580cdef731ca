import AirlockEvents

/// What the engine made of one query (or response): features, scores and, when reached, a verdict.
public struct DNSAssessment: Sendable {
    /// Lexical features of the name's subdomain part.
    public var features: NameFeatures
    /// Lexical score of the name in [0, 1].
    public var nameScore: Double
    /// The domain group's evidence score after this event.
    public var domainScore: Double
    /// A tunnel or suspicious-name verdict, when one applies to this event.
    public var verdict: Verdict?
    /// Whether the domain group holds a tunnel verdict (now or from before): what quarantine acts on.
    public var domainIsTunnel: Bool
    /// Whether the domain is exempt from scoring (a known service that encodes data in names).
    public var exempt: Bool
}

/// The detection engine: events in, assessments with rationale out. No I/O, no clocks (time comes
/// from the events), no C — so live proxies and offline replay give the same verdicts for the same
/// traffic, and tests drive it with plain values.
///
/// Not thread-safe by design: each pipeline owns one engine (a `struct`; copy-on-write state).
public struct DetectionEngine: Sendable {
    public let configuration: DetectionConfiguration
    private let extractor: NameFeatureExtractor
    private let nameScorer: NameScorer
    private let rules: VerdictRules
    private var domains: DomainTable
    private var convicted = ConvictedDomains()
    private var recentNames: RecentNames
    private let exemptions: DomainExemptions

    public init(
        configuration: DetectionConfiguration = .default, exemptions: DomainExemptions = .defaults,
        model: NGramModel = .legitimateNames
    ) {
        self.configuration = configuration
        self.extractor = NameFeatureExtractor(model: model)
        self.nameScorer = NameScorer(configuration: configuration)
        self.rules = VerdictRules(
            configuration: configuration, nameScorer: nameScorer, domainScorer: DomainScorer(configuration: configuration))
        self.domains = DomainTable(capacity: configuration.maxTrackedDomains)
        self.exemptions = exemptions
        self.recentNames = RecentNames(slots: configuration.recentNameSlots)
    }

    /// Domain groups (per client) currently held in memory.
    public var trackedDomains: Int { domains.count }
    /// Domain groups convicted of a tunnel (by any client's evidence) still remembered.
    public var convictedDomains: Int { convicted.count }

    /// The key a client's evidence about a domain is kept under.
    ///
    /// Iterative queries (RD clear) come from a recursive resolver working for clients the capture does
    /// not show, and a resolver pool spreads one client's queries over many source addresses (a
    /// tunnel through a public resolver reaches its server from dozens of them): those are pooled per
    /// domain rather than split by address.
    public func evidenceKey(
        domain: DomainKey, client: Endpoint, sandbox: SandboxID?, recursionDesired: Bool = true
    ) -> EvidenceKey {
        let separate = configuration.evidencePerClient > 0 && (recursionDesired || sandbox != nil)
        return EvidenceKey(domain: domain, client: separate ? ClientIdentity(client: client, sandbox: sandbox) : .everyone)
    }

    public func evidenceKey(for query: DNSQueryEvent) -> EvidenceKey {
        evidenceKey(
            domain: query.domain, client: query.client, sandbox: query.sandbox, recursionDesired: query.recursionDesired)
    }

    public func evidenceKey(for response: DNSResponseEvent) -> EvidenceKey {
        evidenceKey(
            domain: response.domain, client: response.client, sandbox: response.sandbox,
            recursionDesired: response.recursionDesired)
    }
    /// Domain groups dropped to stay within ``DetectionConfiguration/maxTrackedDomains``.
    public var evictedDomains: Int { domains.evictions }

    /// Assesses a query leaving a sandbox and updates its domain's windows.
    public mutating func inspect(_ query: DNSQueryEvent) -> DNSAssessment {
        let features = extractor.features(of: query.name, groupLabels: query.domain.labelCount)
        let nameScore = nameScorer.score(features)
        if exemptions.contains(query.name) {
            return DNSAssessment(
                features: features, nameScore: nameScore, domainScore: 0, verdict: nil, domainIsTunnel: false,
                exempt: true)
        }
        let c = configuration
        let rules = self.rules
        let nameBytes = query.name.presentationLength
        let seenBefore = features.subdomainLabels > 0 && !recentNames.insert(features.nameHash)
        let key = evidenceKey(for: query)
        let elsewhere = convicted.conviction(of: query.domain)
        let (domainScore, verdict, isTunnel) = domains.withState(key, time: query.time) {
            state -> (Double, Verdict?, Bool) in
            let gap = query.time.seconds(since: state.lastTime)
            state.decay(to: query.time, window: c.windowSeconds, longWindow: c.longWindowSeconds)
            if state.totalQueries > 0 && gap >= 0 { state.recordGap(gap) }
            state.totalQueries += 1
            state.totalNameBytes += nameBytes
            state.queries += 1
            if Self.isRareQueryType(query.qtype) { state.rareTypeQueries += 1 }
            if features.subdomainLabels > 0 {
                let suspicious = nameScore >= c.suspiciousNameScore
                // A suspicious name counts in proportion to what it can carry: a 17-byte CDN endpoint id
                // is odd but holds little; data-bearing names are long or hold non-hostname bytes.
                let carried = features.nonHostnameBytes > 0
                    ? 1 : min(1, Double(features.subdomainLength) / max(1, c.suspiciousNameFullLength))
                var recall = state.remember(features.subdomainHash, suspicious: suspicious)
                // Beyond the domain's last 16 names, the shared table says whether the name is really new.
                if recall == .new && seenBefore { recall = .repeated }
                switch recall {
                case .new:
                    state.uniqueNames += 1
                    // Only the part between the ends this name shares with the previous new one is news.
                    let ends = features.ends
                    let novel = Double(ends.length - ends.sharedBytes(with: state.lastEnds)) / Double(max(1, ends.length))
                    state.lastEnds = ends
                    let unpronounceable = ramp(-features.ngramLogLikelihood, -c.ngramLow, -c.ngramHigh)
                    let share = c.readableInformationShare + (1 - c.readableInformationShare) * unpronounceable
                    let information = features.informationBits / 8 * novel * share
                    state.informationBytes += information
                    state.nameSizeBytes += features.informationBits / 8
                    state.longInformationBytes += information
                    if suspicious {
                        state.suspiciousNames += carried
                        state.longSuspiciousNames += carried
                    }
                case .repeatedSuspicious:
                    // A client asking again for the same odd name (A, then AAAA, then HTTPS) is resolving
                    // a host it means to reach — a CDN endpoint — not sending data: a tunnel's names are
                    // new every time. The name stops counting as suspicious; its information still counts.
                    state.suspiciousNames = max(0, state.suspiciousNames - carried)
                    state.longSuspiciousNames = max(0, state.longSuspiciousNames - carried)
                case .repeated:
                    break
                }
            }
            return rules.evaluate(
                &state, query.domain, nameScore: nameScore, features: features, convictedElsewhere: elsewhere)
        }
        if let verdict, verdict.kind == .tunnel, verdict.isFirst {
            convicted.convict(query.domain, .init(score: verdict.score))
        }
        return DNSAssessment(
            features: features, nameScore: nameScore, domainScore: domainScore, verdict: verdict,
            domainIsTunnel: isTunnel, exempt: false)
    }

    /// Folds a response into its domain's windows: NXDOMAIN ratio and downstream payload.
    /// Returns a tunnel verdict if the response tipped the domain over.
    public mutating func observe(_ response: DNSResponseEvent) -> Verdict? {
        guard !exemptions.contains(response.name) else { return nil }
        let c = configuration
        let rules = self.rules
        let key = evidenceKey(for: response)
        let verdict = domains.withExistingState(key) { state -> Verdict? in
            state.decay(to: response.time, window: c.windowSeconds, longWindow: c.longWindowSeconds)
            state.responses += 1
            if response.rcode == DNSResponseCode.nxDomain { state.nxdomains += 1 }
            // A tunnel's downstream data comes with new names (a cache would answer a repeat); the same
            // answer fetched again brings nothing new.
            if state.firstAnswer(Self.hash(response.name)) { state.payloadBytes += Double(response.payloadBytes) }
            guard !state.convicted else { return nil }
            let (_, verdict, _) = rules.evaluate(
                &state, response.domain, nameScore: 0, features: nil, convictedElsewhere: nil)
            return verdict
        } ?? nil
        if let verdict, verdict.kind == .tunnel, verdict.isFirst {
            convicted.convict(response.domain, .init(score: verdict.score))
        }
        return verdict
    }

    /// Lifetime query and name-byte totals for a client's domain group still held in memory.
    public func totals(for key: EvidenceKey) -> (queries: Int, nameBytes: Int)? {
        domains.state(key).map { ($0.totalQueries, $0.totalNameBytes) }
    }

    /// The current evidence a client's queries hold against a domain group, for status pages and tests.
    public func evidence(for key: EvidenceKey) -> (score: Double, evidence: [Evidence])? {
        guard let state = domains.state(key) else { return nil }
        return rules.domainScorer.score(state, explain: true)
    }

    /// FNV-1a of a name's wire form.
    static func hash(_ name: DNSName) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in name.wire { hash = (hash ^ UInt64(byte)) &* 0x100_0000_01b3 }
        return hash
    }

    /// Query types ordinary stub resolvers rarely ask for, and tunnels favour for their capacity.
    static func isRareQueryType(_ type: UInt16) -> Bool {
        switch type {
        case DNSRecordType.a, DNSRecordType.aaaa, DNSRecordType.https, DNSRecordType.svcb, DNSRecordType.ptr,
            DNSRecordType.soa, DNSRecordType.ns, DNSRecordType.ds, DNSRecordType.dnskey, DNSRecordType.srv,
            257 /* CAA */, 52 /* TLSA */:
            return false
        default:
            return true
        }
    }
}

/// Turns a domain's state into a verdict: the tunnel rule first, then the single-name rule.
struct VerdictRules: Sendable {
    let configuration: DetectionConfiguration
    let nameScorer: NameScorer
    let domainScorer: DomainScorer

        func evaluate(
            _ state: inout DomainState, _ domain: DomainKey, nameScore: Double, features: NameFeatures?,
            convictedElsewhere: ConvictedDomains.Conviction?
        ) -> (Double, Verdict?, Bool) {
            let c = configuration
            let (score, _) = domainScorer.score(state, explain: false)
            state.peakScore = max(state.peakScore, score)
            if state.convicted {
                // Already convicted: every further query carries the verdict (for quarantine), not a new alert.
                let (_, evidence) = domainScorer.score(state, explain: true)
                let verdict = Verdict(
                    kind: .tunnel, rule: "dns.tunnel.domain_score", score: score, threshold: c.tunnelScore, domain: domain,
                    evidence: evidence, isFirst: false, queries: state.totalQueries, nameBytes: state.totalNameBytes)
                return (score, verdict, true)
            }
            if score >= c.tunnelScore && domainScorer.hasEnoughNames(state) && domainScorer.carriesData(state) {
                state.convicted = true
                let (_, evidence) = domainScorer.score(state, explain: true)
                let verdict = Verdict(
                    kind: .tunnel, rule: "dns.tunnel.domain_score", score: score, threshold: c.tunnelScore, domain: domain,
                    evidence: evidence, isFirst: true, queries: state.totalQueries, nameBytes: state.totalNameBytes)
                return (score, verdict, true)
            }
            if let conviction = convictedElsewhere {
                // Another client's evidence convicted the zone: this client's queries carry that verdict
                // (a running quarantine covers them) without a new alert; the score is this client's own,
                // so a quarantine that ran out restarts only on evidence, as for the convicting client.
                let verdict = Verdict(
                    kind: .tunnel, rule: "dns.tunnel.convicted_domain", score: score, threshold: c.tunnelScore,
                    domain: domain,
                    evidence: [
                        Evidence(
                            feature: "domain_convicted", value: conviction.score, threshold: c.tunnelScore,
                            contribution: conviction.score)
                    ],
                    isFirst: false, queries: state.totalQueries, nameBytes: state.totalNameBytes)
                return (score, verdict, true)
            }
            if let features, nameScore >= c.singleNameAlertScore,
            Double(features.subdomainLength) >= c.singleNameMinLength || features.nonHostnameBytes > 0
        {
                let first = !state.suspiciousNameReported
                state.suspiciousNameReported = true
                let verdict = Verdict(
                    kind: .suspiciousName, rule: "dns.suspicious_name", score: nameScore, threshold: c.singleNameAlertScore,
                    domain: domain, evidence: nameScorer.evidence(features), isFirst: first, queries: state.totalQueries,
                    nameBytes: state.totalNameBytes)
                return (score, verdict, false)
            }
            return (score, nil, false)
        }
}
