/// Every threshold and weight the engine uses, with the reason for each default.
///
/// The defaults are set from the general shape of tunnels and of ordinary traffic, not from any
/// one capture: a tunnel has to move its data through names (or answers), so what gives it away is
/// *information per registered domain* — many distinct, high-entropy, unpronounceable names — while
/// ordinary clients ask for a few, mostly repeated, readable names per domain. Operators can change
/// any value through the policy file's `detection:` section (keys in ``tunableKeys``).
public struct DetectionConfiguration: Sendable, Equatable {
    // MARK: Windows and bounds

    /// Time constant (seconds) of the exponentially decaying per-domain counters: a sliding window in
    /// which an event's weight halves every `window × ln 2` seconds. 300 s spans an agent task burst
    /// while letting a benign domain's history fade within minutes.
    public var windowSeconds: Double = 300
    /// Time constant (seconds) of the long window: catches low-and-slow exfiltration that never
    /// gathers much in five minutes (Paxson et al. budget names' information per day).
    public var longWindowSeconds: Double = 86_400
    /// Most registered domains held with full state (memory bound: see ``DomainTable``). 200,000
    /// domains × ~0.5 KB stays under ~128 MB even with dictionary overhead.
    public var maxTrackedDomains: Int = 200_000
    /// Slots of the table of recently seen names shared by all domains (8 bytes each; rounded down to
    /// a power of two, 256…67,108,864). A repeat found there is not new information. 1,048,576 slots
    /// (8 MB) remember the last ~million distinct names; a flood only makes repeats look new now and then.
    public var recentNameSlots: Double = 1_048_576
    /// Slots of the cache of recently extracted name features (≈ 200 bytes each; rounded down to a
    /// power of two, 16…65,536), and of the cache of recent names' exempt and local answers (≈ 17 bytes
    /// each). Changes what a query costs, never its verdict.
    public var featureCacheSlots: Double = 4_096
    /// Slots of the table of addresses that answered readable host names (8 bytes each; rounded down
    /// to a power of two, 256…16,777,216): 65,536 slots, 512 KB.
    public var hostAddressSlots: Double = 65_536
    /// 1: evidence is kept per client (sandbox, else address) and domain; 0: per domain, all clients
    /// together. Per client is the default because a tunnel is one client moving data while CDNs, video
    /// caches and storage buckets are many clients asking for a few odd names each — summed over a
    /// network they look like data. A conviction still applies to the domain for every client.
    /// Iterative queries (RD clear, from recursive resolvers) are pooled per domain either way.
    public var evidencePerClient: Double = 1

    // MARK: Per-name (lexical) evidence

    /// A name's lexical score at or above this makes it a *suspicious name* for the domain counters.
    public var suspiciousNameScore: Double = 0.6
    /// Subdomain bytes at which a suspicious name counts fully toward the domain's suspicious names;
    /// shorter ones count in proportion (names with non-hostname bytes count fully). Tunnels fill names
    /// (iodine, dns2tcp and dnscat2 send 30–250 bytes); odd short ids (`rr3---sn-5hne6nsz`) carry little.
    public var suspiciousNameFullLength: Double = 32
    /// A single name scoring at least this is reported on its own (`suspicious-name`) even before any
    /// domain evidence: one query can carry a whole secret (e.g. base64 of a small file).
    public var singleNameAlertScore: Double = 0.85
    /// …and only when the name can carry a secret on its own: at least this many bytes of payload in its
    /// odd labels (``NameFeatures/payloadBits``), or bytes no hostname contains. A digest is an address,
    /// not a payload: a GUID holds 16 bytes, a SHA-1 20, a SHA-256 in hex 32 (workspace ids, Lambda
    /// URLs, DNSBL hash lookups); they are listed as suspicious names, not alerts. 40 bytes is more
    /// than any digest and less than a credential or a chunk of a file.
    public var singleNamePayloadBytes: Double = 40
    /// Subdomain data shorter than this (bytes, dots excluded) never scores: short labels (`www`, `mx1`,
    /// `e1234`) carry too little to tell randomness from naming.
    public var minScoredLength: Int = 8
    /// Entropy (bits per character, lower-cased) where a label run starts to look random; English-like
    /// host labels sit near 2.5–3.3, random base32 of 30+ characters near 4.5.
    public var entropyLow: Double = 3.2
    /// Entropy at which the entropy evidence saturates.
    public var entropyHigh: Double = 4.3
    /// Mean log₂ likelihood per character under the legitimate-name model below which a label looks
    /// unpronounceable; real labels average around −3.5 and random encodings below −5.
    public var ngramLow: Double = -4.2
    /// Likelihood at which the n-gram evidence saturates.
    public var ngramHigh: Double = -5.6
    /// Subdomain length (bytes) where sheer size starts to count; hostnames rarely exceed 30.
    public var lengthLow: Int = 24
    /// Length at which size evidence saturates (a full 63-byte label plus change).
    public var lengthHigh: Int = 80

    // MARK: Per-domain evidence (the weights sum per crossed threshold; ≥ tunnelScore is a tunnel)

    /// Verdict threshold on the summed domain evidence.
    public var tunnelScore: Double = 1.0
    /// Distinct names needed before any domain verdict: three queries can't make a tunnel.
    public var minUniqueNames: Double = 4
    /// Suspicious distinct names in the window to cross; weight 1.0 alone convicts.
    public var suspiciousNamesThreshold: Double = 4
    public var suspiciousNamesWeight: Double = 1.0
    /// Bytes of information sent in distinct names (upper bound, Paxson et al. 2013 style) to cross.
    /// Ordinary domains stay well under 1 KB per window; a tunnel moving anything passes it fast.
    public var nameInformationThreshold: Double = 1024
    public var nameInformationWeight: Double = 1.0
    /// Share of a pronounceable name's information (length × entropy) that counts toward the volume
    /// thresholds; it rises to 1 as the name's n-gram likelihood falls from `ngram_low` to `ngram_high`.
    /// Length × entropy overstates words: `backup-42.storage` scores ~60 bits but a word list carries
    /// 10–11 bits a word, about half. Random encodings are unpronounceable and count whole, so this only
    /// lets a client that walks through hundreds of readable hosts (monitoring, inventory) go twice as
    /// far, and a tunnel that encodes data as words pays what words really carry.
    public var readableInformationShare: Double = 0.5
    /// Distinct names in the window: many alone is a CDN or a crawler, so this weighs little.
    public var uniqueNamesThreshold: Double = 40
    public var uniqueNamesWeight: Double = 0.35
    /// Mean information per distinct name (bytes): readable hostnames carry a few bytes, encoded data many.
    public var meanInformationThreshold: Double = 14
    public var meanInformationWeight: Double = 0.45
    /// Share of queries with record types stub resolvers rarely ask (TXT, NULL, CNAME, MX, ANY, PRIVATE…).
    public var rareTypeShareThreshold: Double = 0.5
    public var rareTypeShareWeight: Double = 0.35
    /// Share of answered queries that came back NXDOMAIN (exfiltration needs no answer).
    public var nxdomainRatioThreshold: Double = 0.7
    public var nxdomainRatioWeight: Double = 0.25
    /// Bytes of answer payload (RDATA) returned for this domain in the window: the downstream channel.
    public var responsePayloadThreshold: Double = 8192
    public var responsePayloadWeight: Double = 0.4
    /// Long window: bytes of name information per domain (Paxson et al. 2013 flag 4 KB a day).
    public var longInformationThreshold: Double = 4096
    public var longInformationWeight: Double = 1.0
    /// Long window: distinct suspicious names per domain; a slow tunnel still sends many.
    public var longSuspiciousNamesThreshold: Double = 12
    public var longSuspiciousNamesWeight: Double = 1.0
    /// Coefficient of variation of inter-query gaps at or below which timing looks machine-regular.
    public var timingRegularityThreshold: Double = 0.35
    public var timingRegularityWeight: Double = 0.15
    /// Queries needed before timing regularity is judged.
    public var timingMinQueries: Double = 12

    // MARK: Odd-name churn, first contact, campaigns and beacons

    /// Time constant (seconds) of the odd-name window: C2 implants spread a few dozen short random
    /// names over an hour or more (the published rule of thumb is "more than 8 unique names per
    /// domain per hour"), which a 5-minute window never gathers.
    public var churnWindowSeconds: Double = 3600
    /// Subdomain bytes below which a name is never odd: `e12`, `mx1` are too short to judge.
    public var oddNameMinLength: Double = 5
    /// Mean n-gram likelihood (log₂ per character) where a subdomain starts to count as odd, and where it
    /// counts fully. Random labels of 5–12 characters measure −5 to −8.5, readable hosts −3 to −4.5
    /// (`api-eu` −4.9 is the odd one out), so the ramp sits below the readable range.
    public var oddNameLow: Double = -4.4
    public var oddNameHigh: Double = -5.6
    /// Distinct odd names a client sent one domain (or one campaign) in the churn window to cross;
    /// a data signal. Names the client resolved as hosts (asked again, A then AAAA) don't count.
    public var oddNamesThreshold: Double = 8
    public var oddNamesWeight: Double = 1.0
    /// Readable names at least this long (subdomain bytes) that a client sends a domain once each count as
    /// fresh names: a word-list encoding (`rain-open-lake-aged-fund.example.org`) reads like hosts but
    /// never repeats, and at a slow rate stays under the information threshold. Names embedding another
    /// name (a search-list expansion: `pypi.org.corp.example.com`) never count.
    /// 16 bytes is four short words joined (`ableacidagedalso`) or two of the PGP word list's; at 20, a
    /// tunnel of four-word names leaked 3.3 KB unseen while the benign day stayed quiet at 12 and 16 alike.
    public var freshNameMinLength: Double = 16
    /// Fresh names per churn window (an hour) to cross: a data signal. Clients repeat the hosts they use;
    /// 64 long readable names, each asked once, from one client to one domain in an hour is data.
    public var freshNamesThreshold: Double = 64
    public var freshNamesWeight: Double = 1.0
    /// Answers whose smallest TTL is at most this many seconds defeat the resolver's cache: every
    /// query reaches the zone's server (iodine answers with TTL 0, Cobalt Strike's default is 1).
    public var lowTTLSeconds: Double = 1
    /// Share of answered queries with a TTL at or below ``lowTTLSeconds`` to cross (soft signal).
    public var lowTTLShareThreshold: Double = 0.5
    public var lowTTLShareWeight: Double = 0.3
    /// Seconds after a client's first query to a domain during which the first-contact signal applies.
    public var firstContactSeconds: Double = 600
    /// First contact: at least this many distinct names, nearly all odd (``firstContactOddShare``), with
    /// the zone's server behaving like a tunnel's (low TTLs, rare record types or NXDOMAINs). Real tools'
    /// handshakes (iodine's version, login and codec probes; a C2 check-in) look like this before any
    /// data flows; a data signal.
    public var firstContactNames: Double = 4
    public var firstContactOddShare: Double = 0.8
    public var firstContactWeight: Double = 0.6
    /// A domain joins its client's campaign when the client sent it at least this many distinct odd
    /// names, with at least ``firstContactOddShare`` of its names odd, within the churn window of first
    /// contact. Ordinary domains mix readable hosts with few odd ids; a C2's rotation domains hold
    /// nothing but odd names.
    public var campaignMemberOddNames: Double = 2
    /// A domain asked for by at least this many distinct clients is a shared service (an ad network, a
    /// cloud API) handing out identifiers, not one implant's lookalike: it never joins a campaign, its
    /// odd, suspicious and fresh names don't count, and the day-long window does not judge it; the
    /// information volume in names (5 minutes) and the downstream payload still do, and so do beacons.
    /// A C2's rotation domains are asked by the implants alone; a fleet's services by many of its
    /// sandboxes. Data spread thinly over many sandboxes to one domain is the leak budget's to stop.
    public var popularDomainClients: Double = 5
    /// Member domains a campaign needs before its own verdict (one domain is its own evidence).
    public var campaignMinMembers: Double = 2
    /// Beacons: intervals needed, the longest and shortest median interval judged (seconds), and the
    /// most dispersion (median absolute deviation over median) and skew (Bowley) that still look like a
    /// timer with jitter. RITA's beacon analysis scores the same three properties.
    public var beaconMinIntervals: Double = 10
    public var beaconMinSeconds: Double = 5
    public var beaconMaxSeconds: Double = 14_400
    public var beaconMaxDispersion: Double = 0.25
    public var beaconMaxSkew: Double = 0.5

    public init() {}

    /// The defaults, documented above.
    public static let `default` = DetectionConfiguration()
}

extension DetectionConfiguration {
    /// Names accepted in the policy's `detection:` section, mapped to the fields they set.
    public static let tunableKeys: [String: WritableKeyPath<DetectionConfiguration, Double> & Sendable] = [
        "window_seconds": \.windowSeconds,
        "evidence_per_client": \.evidencePerClient,
        "recent_name_slots": \.recentNameSlots,
        "feature_cache_slots": \.featureCacheSlots,
        "host_address_slots": \.hostAddressSlots,
        "long_window_seconds": \.longWindowSeconds,
        "long_information_threshold": \.longInformationThreshold,
        "long_information_weight": \.longInformationWeight,
        "long_suspicious_names_threshold": \.longSuspiciousNamesThreshold,
        "long_suspicious_names_weight": \.longSuspiciousNamesWeight,
        "suspicious_name_score": \.suspiciousNameScore,
        "suspicious_name_full_length": \.suspiciousNameFullLength,
        "single_name_alert_score": \.singleNameAlertScore,
                "entropy_low": \.entropyLow,
        "entropy_high": \.entropyHigh,
        "ngram_low": \.ngramLow,
        "ngram_high": \.ngramHigh,
        "tunnel_score": \.tunnelScore,
        "min_unique_names": \.minUniqueNames,
        "suspicious_names_threshold": \.suspiciousNamesThreshold,
        "suspicious_names_weight": \.suspiciousNamesWeight,
        "name_information_threshold": \.nameInformationThreshold,
        "name_information_weight": \.nameInformationWeight,
        "readable_information_share": \.readableInformationShare,
        "unique_names_threshold": \.uniqueNamesThreshold,
        "unique_names_weight": \.uniqueNamesWeight,
        "mean_information_threshold": \.meanInformationThreshold,
        "mean_information_weight": \.meanInformationWeight,
        "rare_type_share_threshold": \.rareTypeShareThreshold,
        "rare_type_share_weight": \.rareTypeShareWeight,
        "nxdomain_ratio_threshold": \.nxdomainRatioThreshold,
        "nxdomain_ratio_weight": \.nxdomainRatioWeight,
        "response_payload_threshold": \.responsePayloadThreshold,
        "response_payload_weight": \.responsePayloadWeight,
        "timing_regularity_threshold": \.timingRegularityThreshold,
        "timing_regularity_weight": \.timingRegularityWeight,
        "timing_min_queries": \.timingMinQueries,
        "single_name_payload_bytes": \.singleNamePayloadBytes,
        "churn_window_seconds": \.churnWindowSeconds,
        "odd_name_min_length": \.oddNameMinLength,
        "odd_name_low": \.oddNameLow,
        "odd_name_high": \.oddNameHigh,
        "odd_names_threshold": \.oddNamesThreshold,
        "odd_names_weight": \.oddNamesWeight,
        "fresh_name_min_length": \.freshNameMinLength,
        "fresh_names_threshold": \.freshNamesThreshold,
        "fresh_names_weight": \.freshNamesWeight,
        "low_ttl_seconds": \.lowTTLSeconds,
        "low_ttl_share_threshold": \.lowTTLShareThreshold,
        "low_ttl_share_weight": \.lowTTLShareWeight,
        "first_contact_seconds": \.firstContactSeconds,
        "first_contact_names": \.firstContactNames,
        "first_contact_odd_share": \.firstContactOddShare,
        "first_contact_weight": \.firstContactWeight,
        "campaign_member_odd_names": \.campaignMemberOddNames,
        "campaign_min_members": \.campaignMinMembers,
        "popular_domain_clients": \.popularDomainClients,
        "beacon_min_intervals": \.beaconMinIntervals,
        "beacon_min_seconds": \.beaconMinSeconds,
        "beacon_max_seconds": \.beaconMaxSeconds,
        "beacon_max_dispersion": \.beaconMaxDispersion,
        "beacon_max_skew": \.beaconMaxSkew,
    ]

    /// Applies `detection:` overrides; unknown keys are returned so the caller can report them.
    public mutating func apply(overrides: [String: Double]) -> [String] {
        var unknown: [String] = []
        for (key, value) in overrides.sorted(by: { $0.key < $1.key }) {
            if let path = Self.tunableKeys[key] { self[keyPath: path] = value } else { unknown.append(key) }
        }
        return unknown
    }
}
