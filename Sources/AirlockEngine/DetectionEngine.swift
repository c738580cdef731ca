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
    /// What a domain's state is updated with (``StateWindows``), taken from the configuration once.
    private let windows: StateWindows
    private var domains: DomainTable
    private var convicted = ConvictedDomains()
    private var recentNames: RecentNames
    /// Each client's search suffixes, so expansions can be taken back once their bare name resolves.
    private var searchSuffixes = SearchSuffixes(slots: 4096)
    private let exemptions: DomainExemptions
    private let localZones: LocalZones
    /// Per client: odd names spread over unfamiliar domains, or over made-up suffixes sent to one server.
    private var campaigns = CampaignTable()
    /// Per client and domain: check-in timing of odd names.
    private var beacons = BeaconTable()
    /// Addresses that answered readable host names: where services are served from.
    private var hostAddresses: HostAddresses
    /// Distinct clients per domain: a fleet's shared services never join a campaign.
    private var popularity = DomainPopularity()
    /// Features of recent names: a name asked again, or answered, is read once.
    private var featureCache: FeatureCache
    /// Whether recent names are exempt or local: a query's name is looked up again for its response.
    private var nameZones: NameZones

    public init(
        configuration: DetectionConfiguration = .default, exemptions: DomainExemptions = .defaults,
        localZones: LocalZones = .defaults, model: NGramModel = .legitimateNames
    ) {
        self.configuration = configuration
        self.extractor = NameFeatureExtractor(model: model, configuration: configuration)
        self.nameScorer = NameScorer(configuration: configuration)
        self.rules = VerdictRules(
            configuration: configuration, nameScorer: nameScorer, domainScorer: DomainScorer(configuration: configuration))
        self.windows = StateWindows(configuration)
        self.domains = DomainTable(capacity: configuration.maxTrackedDomains)
        self.exemptions = exemptions
        self.localZones = localZones
        self.recentNames = RecentNames(slots: configuration.recentNameSlots)
        self.hostAddresses = HostAddresses(slots: configuration.hostAddressSlots)
        self.featureCache = FeatureCache(slots: configuration.featureCacheSlots)
        self.nameZones = NameZones(slots: configuration.featureCacheSlots)
    }

    /// Domain groups (per client) currently held in memory.
    public var trackedDomains: Int { domains.count }
    /// Domain groups convicted of a tunnel (by any client's evidence) still remembered.
    public var convictedDomains: Int { convicted.count }
    /// Campaigns (per client) and beacon tracks currently held in memory.
    public var trackedCampaigns: Int { campaigns.count }
    public var trackedBeacons: Int { beacons.count }

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

    // Inlined into the engine's own calls: called, the caller copied the whole event to pass it.
    @inline(__always)
    public func evidenceKey(for query: DNSQueryEvent) -> EvidenceKey {
        evidenceKey(
            domain: query.domain, client: query.client, sandbox: query.storedSandbox.optional,
            recursionDesired: query.recursionDesired)
    }

    @inline(__always)
    public func evidenceKey(for response: DNSResponseEvent) -> EvidenceKey {
        evidenceKey(
            domain: response.domain, client: response.client, sandbox: response.storedSandbox.optional,
            recursionDesired: response.recursionDesired)
    }
    /// Domain groups dropped to stay within ``DetectionConfiguration/maxTrackedDomains``.
    public var evictedDomains: Int { domains.evictions }

    /// Whether `name` lies in a zone no outside server answers for (never convicted; see ``LocalZones``).
    public func isLocal(_ name: DNSName) -> Bool { localZones.contains(name) }

    /// Assesses a query leaving a sandbox and updates its domain's windows, its client's campaigns and
    /// its check-in timing.
    public mutating func inspect(_ query: borrowing DNSQueryEvent) -> DNSAssessment {
        let features = featureCache.features(of: query.name, groupLabels: query.domain.labelCount, extractor)
        let nameScore = nameScorer.score(features)
        let (exempt, local) = nameZones.zones(of: query.name, exemptions, localZones)
        if exempt {
            return DNSAssessment(
                features: features, nameScore: nameScore, domainScore: 0, verdict: nil, domainIsTunnel: false,
                exempt: true)
        }
        let rules = self.rules, windows = self.windows
        let facts = QueryFacts(
            features, nameScore: nameScore, qtype: query.qtype, time: query.time,
            nameBytes: query.name.presentationLength, rules.configuration)
        let seenBefore = features.subdomainLabels > 0 && !recentNames.insert(features.nameHash)
        let key = evidenceKey(for: query)
        if features.embedsTLD && !local && query.domain.kind == .registeredDomain {
            searchSuffixes.learn(query.name, domain: query.domain, client: key.client)
        }
        let elsewhere = local ? nil : convicted.conviction(of: query.domain)
        let named = (query.domain.kind == .registeredDomain || query.domain.kind == .unlistedSuffix) && !local
        let popular = named && Double(popularity.record(query.domain, key.client)) >= rules.configuration.popularDomainClients
        // Names under made-up suffixes pool by server (their own scope), not with registered domains. A name
        // with a TLD inside (`<id>.safeframe.googlesyndication.com.dc1.acme.com`) is a search-list expansion's
        // shape: it never makes its domain a campaign member (a pod's on-premises suffix gets two odd
        // names per odd lookup before the bare name resolves and takes them back).
        let memberKind = named && !popular && query.domain.kind == .registeredDomain && !features.embedsTLD
        var joining: JoiningState?
        var member = false
        // The closure captures the domain, not the event (a capture copies the whole event).
        let domain = query.domain
        let (domainScore, domainVerdict, domainIsTunnel, recall) = domains.withState(key, time: query.time) {
            state -> (Double, Verdict?, Bool, DomainState.Recall?) in
            let recall = state.record(facts, seenBefore: seenBefore, windows)
            state.popular = popular
            if local {
                let (score, verdict) = rules.evaluateLocal(&state, domain, nameScore: nameScore, features: features)
                return (score, verdict, false, recall)
            }
            let (score, verdict, tunnel) = rules.evaluate(
                &state, domain, nameScore: nameScore, features: features, convictedElsewhere: elsewhere)
            if !tunnel && memberKind {
                if state.campaignMember {
                    member = true
                } else if rules.joinsCampaign(&state) {
                    state.campaignMember = true
                    joining = JoiningState(state)
                }
            }
            return (score, verdict, tunnel, recall)
        }
        var verdict = domainVerdict
        var isTunnel = domainIsTunnel
        if let verdict, verdict.kind == .tunnel, verdict.isFirst {
            convicted.convict(query.domain, .init(score: verdict.score))
        }
        if !local && !isTunnel {
            let newName = recall == .new && !seenBefore
            let repeated = recall == .firstRepeat || recall == .repeated
            if let found = campaignVerdict(query, key, facts, seenBefore, joining: joining, member: member)
                ?? beaconVerdict(query, key, features, facts, newName: newName, repeated: repeated)
            {
                verdict = found
                isTunnel = true
            }
        }
        return DNSAssessment(
            features: features, nameScore: nameScore, domainScore: domainScore, verdict: verdict,
            domainIsTunnel: isTunnel, exempt: local)
    }

    /// Folds a response into its domain's windows (and its campaign's): NXDOMAIN ratio, TTLs and
    /// downstream payload. Returns a tunnel verdict if the response tipped the domain over.
    public mutating func observe(_ response: borrowing DNSResponseEvent) -> Verdict? {
        let (exempt, local) = nameZones.zones(of: response.name, exemptions, localZones)
        guard !exempt else { return nil }
        let rules = self.rules, windows = self.windows
        let key = evidenceKey(for: response)
        var member = false
        // An odd name answered with an address a readable host of the same domain was served from is
        // a host lookup (an ad slot's frame, a CDN object), not a tunnel's name; a readable name's answers
        // teach the addresses. Per domain, so a tunnel can't borrow a popular site's address.
        var hostLookup: QueryFacts?
        if !response.addresses.isEmpty && !local {
            let features = featureCache.features(
                of: response.name, groupLabels: response.domain.labelCount, extractor)
            let facts = QueryFacts(
                features, nameScore: nameScorer.score(features), qtype: response.qtype, time: response.time,
                nameBytes: 0, rules.configuration)
            // The group's stored code (the same on every run; `hashValue` is seeded per process, so which
            // addresses shared a slot of the direct-mapped table changed from run to run).
            let zone = Int(response.domain.hashCode)
            if facts.oddName {
                if response.addresses.contains(where: { hostAddresses.contains($0, zone: zone) }) { hostLookup = facts }
            } else {
                for address in response.addresses { hostAddresses.insert(address, zone: zone) }
            }
        }
        if response.rcode == DNSResponseCode.noError && !local {
            takeBackExpansions(of: response, client: key.client)
        }
        var tookBack = false
        var payloadCounted = false
        let recorded = ResponseFacts(response)
        let domain = response.domain
        let verdict = domains.withExistingState(key) { state -> Verdict? in
            payloadCounted = state.record(recorded, windows)
            if let hostLookup { tookBack = state.takeBackIfRecent(hostLookup) }
            member = state.campaignMember
            guard !state.convicted, !local else { return nil }
            let (_, verdict, _) = rules.evaluate(&state, domain, convictedElsewhere: nil)
            return verdict
        } ?? nil
        if let verdict, verdict.kind == .tunnel, verdict.isFirst {
            convicted.convict(response.domain, .init(score: verdict.score))
        }
        // A possible expansion's NXDOMAIN (the suffix zone's SOA): taken back with it if the bare name resolves.
        if payloadCounted && response.rcode == DNSResponseCode.nxDomain && !local
            && searchSuffixes.isUnderSuffix(response.name, client: key.client)
        {
            searchSuffixes.noteAnswer(response.name, client: key.client, bytes: response.payloadBytes)
        }
        if !local {
            var scopes: [CampaignScope] = []
            if member { scopes.append(.unfamiliarDomains) }
            if response.domain.kind == .unlistedSuffix { scopes.append(.server(response.server.address)) }
            for scope in scopes {
                let campaignKey = CampaignKey(client: key.client, scope: scope)
                if campaigns.contains(campaignKey) {
                    campaigns.withCampaign(campaignKey, time: response.time) { campaign in
                        campaign.state.record(recorded, windows)
                        if tookBack, let hostLookup { _ = campaign.state.takeBackIfRecent(hostLookup) }
                    }
                }
            }
        }
        return verdict
    }

    /// A name that resolved was looked up, so its expansions under the client's search suffixes, asked
    /// just before and answered NXDOMAIN, were the stub resolver's search list, not data for those zones.
    private mutating func takeBackExpansions(of response: DNSResponseEvent, client: ClientIdentity) {
        let c = configuration
        for suffix in searchSuffixes.suffixes(of: client) {
            // Nothing to take back when the client holds no evidence under the suffix's domain: found
            // out in the one visit below, before the expansion's name is built (a copy and a hash for
            // every answered name of a client that ever showed a search suffix, nearly always for
            // nothing). The hashes run on from the name's stored hash over the suffix's bytes: cheaper
            // than a second lookup of the domain's state.
            guard let hashes = SearchSuffixes.expansionHashes(of: response.name, under: suffix) else { continue }
            let key = EvidenceKey(domain: suffix.domain, client: client)
            // The answer's bytes were noted only if they were counted, and are taken once (when the
            // client has evidence under the suffix's domain).
            let noted = searchSuffixes.answer(wireHash: hashes.wireHash, client: client)
            let answered = Double(noted.bytes)
            // Read the expansion's features only when it is among the domain's recent names to take back
            // (``DomainState/takeBackExpansion(_:)`` finds it by its subdomain's hash, which is cheap);
            // otherwise only the answer's bytes come off, in the same visit. The name itself is built
            // only then.
            let takesBack = domains.withExistingState(key) { state -> Bool in
                if state.takesBackExpansion(hashes.subdomainHash) { return true }
                state.payloadBytes = max(0, state.payloadBytes - answered)
                return false
            }
            guard let takesBack else { continue }
            searchSuffixes.forgetAnswer(noted)
            guard takesBack, let expansion = SearchSuffixes.expansion(of: response.name, under: suffix) else { continue }
            let features = featureCache.features(
                of: expansion.name, groupLabels: expansion.domain.labelCount, extractor)
            let facts = QueryFacts(
                features, nameScore: nameScorer.score(features), qtype: response.qtype, time: response.time,
                nameBytes: 0, c)
            let tookBack = domains.withExistingState(key) { state -> Bool in
                state.payloadBytes = max(0, state.payloadBytes - answered)
                return state.takeBackExpansion(facts)
            }
            if tookBack == true {
                beacons.markLatestHostLookup(key)
            }
        }
    }

    /// Adds the query to its client's campaigns and returns a campaign verdict when one convicts (or
    /// already has). Two scopes: unfamiliar domains the client sends only odd names (the domain joins
    /// once it qualifies, bringing its evidence), and made-up suffixes sent to one server (every
    /// query joins; its features are taken over all labels but the last, since the "domain" itself is
    /// the data).
    private mutating func campaignVerdict(
        _ query: DNSQueryEvent, _ key: EvidenceKey, _ facts: QueryFacts, _ seenBefore: Bool,
        joining: JoiningState?, member: Bool
    ) -> Verdict? {
        var found: Verdict?
        if joining != nil || member {
            found = judgeCampaign(
                CampaignKey(client: key.client, scope: .unfamiliarDomains), query, facts, seenBefore, joining: joining)
        }
        if found == nil && query.domain.kind == .unlistedSuffix {
            let whole = featureCache.features(of: query.name, groupLabels: 1, extractor)
            let wholeFacts = QueryFacts(
                whole, nameScore: nameScorer.score(whole), qtype: query.qtype, time: query.time,
                nameBytes: query.name.presentationLength, configuration)
            found = judgeCampaign(
                CampaignKey(client: key.client, scope: .server(query.server.address)), query, wholeFacts, seenBefore,
                joining: nil)
        }
        return found
    }

    private mutating func judgeCampaign(
        _ campaignKey: CampaignKey, _ query: DNSQueryEvent, _ facts: QueryFacts, _ seenBefore: Bool,
        joining: JoiningState?
    ) -> Verdict? {
        let c = configuration
        let rules = self.rules, windows = self.windows
        let popularity = self.popularity
        let (verdict, convictNow) = campaigns.withCampaign(campaignKey, time: query.time) {
            campaign -> (Verdict?, [DomainKey]) in
            let newMember = campaign.add(query.domain)
            // A member many clients have asked for since it joined is a shared service: it leaves.
            let before = campaign.members.count
            campaign.members.removeAll { Double(popularity.clients($0)) >= c.popularDomainClients }
            campaign.memberCount -= before - campaign.members.count
            if let joining, newMember {
                campaign.state.absorb(joining.state, windows)
            } else {
                _ = campaign.state.record(facts, seenBefore: seenBefore, windows)
            }
            if campaign.state.convicted {
                // Already convicted: a domain joining now is convicted with it (its first verdict); the
                // server scope's made-up names are one group, reported once.
                guard newMember, case .unfamiliarDomains = campaignKey.scope else {
                    return (rules.campaignVerdict(campaign, campaignKey, query.domain, isFirst: false), [])
                }
                return (rules.campaignVerdict(campaign, campaignKey, query.domain, isFirst: true), [query.domain])
            }
            guard Double(campaign.memberCount) >= c.campaignMinMembers else { return (nil, []) }
            let (score, _) = rules.domainScorer.score(campaign.state, explain: false)
            campaign.state.peakScore = max(campaign.state.peakScore, score)
            guard score >= c.tunnelScore, rules.domainScorer.hasEnoughNames(campaign.state),
                rules.domainScorer.carriesData(campaign.state)
            else { return (nil, []) }
            campaign.state.convicted = true
            return (rules.campaignVerdict(campaign, campaignKey, query.domain, isFirst: true), campaign.members)
        }
        if let verdict {
            for domain in convictNow { convicted.convict(domain, .init(score: verdict.score)) }
        }
        return verdict
    }

    /// Records an odd name's check-in time and returns a beacon verdict when the client's check-ins to
    /// the domain run on a timer and every one reaches the server (new names, or answers too short-lived
    /// to cache).
    private mutating func beaconVerdict(
        _ query: DNSQueryEvent, _ key: EvidenceKey, _ features: NameFeatures, _ facts: QueryFacts, newName: Bool,
        repeated: Bool
    ) -> Verdict? {
        let c = configuration
        guard facts.oddness >= 0.5, features.subdomainLabels > 0 else { return nil }
        let track = beacons.record(
            key, time: query.time, length: features.subdomainLength, new: newName, repeated: repeated)
        guard !track.convicted, Double(track.intervalCount) >= c.beaconMinIntervals else { return nil }
        let shape = BeaconShape(track)
        guard shape.median >= c.beaconMinSeconds, shape.median <= c.beaconMaxSeconds,
            shape.dispersion <= c.beaconMaxDispersion, abs(shape.skew) <= c.beaconMaxSkew,
            shape.lengthDispersion <= 2, shape.hostShare <= 0.2
        else { return nil }
        let state = domains.state(key)
        let lowTTLShare = state.map { $0.ttlAnswers >= 2 ? $0.lowTTLAnswers / $0.ttlAnswers : 0 } ?? 0
        let uncacheable = shape.newShare >= 0.8 || lowTTLShare >= c.lowTTLShareThreshold
        guard uncacheable else { return nil }
        beacons.markConvicted(key)
        _ = domains.withExistingState(key) { $0.convicted = true }
        let score = c.tunnelScore + (c.beaconMaxDispersion - shape.dispersion) / max(0.01, c.beaconMaxDispersion)
        convicted.convict(query.domain, .init(score: score))
        var evidence = [
            Evidence(feature: "beacon_intervals", value: Double(shape.intervals), threshold: c.beaconMinIntervals, contribution: 0),
            Evidence(feature: "beacon_interval_seconds", value: shape.median, threshold: c.beaconMinSeconds, contribution: 0),
            Evidence(
                feature: "beacon_dispersion", value: shape.dispersion, threshold: c.beaconMaxDispersion,
                contribution: score - c.tunnelScore),
            Evidence(feature: "beacon_skew", value: abs(shape.skew), threshold: c.beaconMaxSkew, contribution: 0),
            Evidence(feature: "beacon_name_length_spread", value: shape.lengthDispersion, threshold: 2, contribution: 0),
        ]
        if shape.newShare >= 0.8 {
            evidence.append(Evidence(feature: "beacon_new_names", value: shape.newShare, threshold: 0.8, contribution: c.tunnelScore))
        } else {
            evidence.append(
                Evidence(feature: "low_ttl_share", value: lowTTLShare, threshold: c.lowTTLShareThreshold, contribution: c.tunnelScore))
        }
        let totals = state.map { ($0.totalQueries, $0.totalNameBytes) } ?? (0, 0)
        return Verdict(
            kind: .tunnel, rule: "dns.tunnel.beacon", score: score, threshold: c.tunnelScore, domain: query.domain,
            evidence: evidence, isFirst: true, queries: totals.0, nameBytes: totals.1)
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

    /// FNV-1a of a name's wire form (worked out when the name was made).
    static func hash(_ name: DNSName) -> UInt64 { name.wireHash }

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
///
/// A class, immutable: the engine hands it to the closures that update a domain's state, and a
/// reference is one pointer where the struct was three copies of the configuration (~1.6 KB a query).
final class VerdictRules: Sendable {
    let configuration: DetectionConfiguration
    let nameScorer: NameScorer
    let domainScorer: DomainScorer

    init(configuration: DetectionConfiguration, nameScorer: NameScorer, domainScorer: DomainScorer) {
        self.configuration = configuration
        self.nameScorer = nameScorer
        self.domainScorer = domainScorer
    }

        /// A query's domain after the query: the domain rules, then the single-name rule.
        func evaluate(
            _ state: inout DomainState, _ domain: DomainKey, nameScore: Double, features: NameFeatures,
            convictedElsewhere: ConvictedDomains.Conviction?
        ) -> (Double, Verdict?, Bool) {
            let (score, verdict, tunnel) = evaluate(&state, domain, convictedElsewhere: convictedElsewhere)
            if verdict != nil { return (score, verdict, tunnel) }
            if let verdict = singleName(&state, domain, nameScore: nameScore, features: features) {
                return (score, verdict, false)
            }
            return (score, nil, false)
        }

        /// The domain rules alone (after a response, which brings no name of its own to judge). The
        /// state is taken `inout` down to the scorer: passed on by value, its 316 bytes were copied.
        func evaluate(
            _ state: inout DomainState, _ domain: DomainKey, convictedElsewhere: ConvictedDomains.Conviction?
        ) -> (Double, Verdict?, Bool) {
            let c = configuration
            // A convicted domain's verdict carries its evidence: the same sum, taken once with it.
            let (score, scored) = domainScorer.score(&state, explain: state.convicted)
            state.peakScore = max(state.peakScore, score)
            if state.convicted {
                // Already convicted: every further query carries the verdict (for quarantine), not a new alert.
                let evidence = scored
                let verdict = Verdict(
                    kind: .tunnel, rule: "dns.tunnel.domain_score", score: score, threshold: c.tunnelScore, domain: domain,
                    evidence: evidence, isFirst: false, queries: state.totalQueries, nameBytes: state.totalNameBytes)
                return (score, verdict, true)
            }
            if score >= c.tunnelScore && domainScorer.hasEnoughNames(state) && domainScorer.carriesData(state) {
                state.convicted = true
                let (_, evidence) = domainScorer.score(&state, explain: true)
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
            return (score, nil, false)
        }

        /// Local zones are never convicted: only the single-name report applies.
        func evaluateLocal(
            _ state: inout DomainState, _ domain: DomainKey, nameScore: Double, features: NameFeatures
        ) -> (Double, Verdict?) {
            let (score, _) = domainScorer.score(&state, explain: false)
            // A search-list expansion (`<lambda id>.lambda-url.eu-west-1.on.aws.<node>.internal.cloudapp.net`)
            // is judged when the name it embeds is asked on its own, right after: here the node's random
            // suffix label would add its bytes to the name's and call an ordinary lookup a payload.
            guard !features.embedsTLD else { return (score, nil) }
            return (score, singleName(&state, domain, nameScore: nameScore, features: features))
        }

        /// One name alone is an incident only when it can carry a payload of its own: a high lexical
        /// score and more payload than a digest in its odd labels, or bytes no hostname contains.
        func singleName(
            _ state: inout DomainState, _ domain: DomainKey, nameScore: Double, features: NameFeatures
        ) -> Verdict? {
            let c = configuration
            if nameScore >= c.singleNameAlertScore,
            features.payloadBits / 8 >= c.singleNamePayloadBytes || features.nonHostnameBytes > 0
        {
                let first = !state.suspiciousNameReported
                state.suspiciousNameReported = true
                return Verdict(
                    kind: .suspiciousName, rule: "dns.suspicious_name", score: nameScore, threshold: c.singleNameAlertScore,
                    domain: domain, evidence: nameScorer.evidence(features), isFirst: first, queries: state.totalQueries,
                    nameBytes: state.totalNameBytes)
            }
            return nil
        }

        /// Whether a client's domain joins its campaign: first contacted within the churn window, nearly
        /// nothing but odd names, and at least ``DetectionConfiguration/campaignMemberOddNames`` of them
        /// (or one that is data-sized).
        /// (`inout` only so that the caller's state is read where it is, not copied.)
        func joinsCampaign(_ s: inout DomainState) -> Bool {
            let c = configuration
            // A data-sized odd name (a suspicious name of full length) joins on its own: exfiltration
            // split over many domains may send each only one chunk at a time.
            return s.lastTime.seconds(since: s.firstTime) <= c.churnWindowSeconds
                && s.oddShare >= c.firstContactOddShare
                && (Double(s.distinctOddNames) >= c.campaignMemberOddNames * 0.95 || s.suspiciousNames >= 0.95)
        }

        /// A campaign's verdict, with its evidence and members.
        func campaignVerdict(_ campaign: Campaign, _ key: CampaignKey, _ domain: DomainKey, isFirst: Bool) -> Verdict {
            let c = configuration
            let (score, evidence) = domainScorer.score(campaign.state, explain: true)
            var members = campaign.members
            if case .server(let address) = key.scope {
                members.insert(DomainKey(value: address.description, kind: .serverAddress, labelCount: 0), at: 0)
            }
            let spread = Evidence(
                feature: "campaign_domains", value: Double(campaign.memberCount), threshold: c.campaignMinMembers,
                contribution: 0)
            return Verdict(
                kind: .tunnel, rule: "dns.tunnel.campaign", score: score, threshold: c.tunnelScore, domain: domain,
                evidence: evidence + [spread], isFirst: isFirst, queries: campaign.state.totalQueries,
                nameBytes: campaign.state.totalNameBytes, members: members,
                memberCount: campaign.memberCount + (members.count - campaign.members.count))
        }
}

/// A domain's state as it joins its client's campaign, held by reference: it is nearly always absent,
/// and an absent `DomainState?` passed on was copied whole (316 bytes) at each step of every query.
final class JoiningState {
    let state: DomainState

    init(_ state: DomainState) {
        self.state = state
    }
}
