import AirlockEvents

/// What a campaign gathers: one client's odd names spread over registered domains.
enum CampaignScope: Hashable, Sendable {
    /// Registered domains the client first contacted within the churn window and sent nothing but odd
    /// names (C2 rotating over lookalike domains, exfiltration split over many domains).
    case unfamiliarDomains
    /// Names whose suffix is not a real public suffix, sent straight to one server (a made-up TLD per
    /// query): every name is "its own domain", so only the server ties them together.
    case server(IPAddress)
}

/// A client's campaign: the evidence its member domains gathered, judged like one domain's, and the
/// members a verdict quarantines.
///
/// State per campaign: one ``DomainState`` (320 bytes) and up to 32 member keys (each a short string:
/// ≈ 2 KB at most); tables hold at most ``CampaignTable`` capacity campaigns (4,096: ≈ 10 MB worst case).
struct Campaign {
    var state: DomainState
    /// The first 32 members, in joining order.
    var members: [DomainKey] = []
    /// All members that joined (members beyond 32 are counted, not kept).
    var memberCount = 0

    init(time: Timestamp) { state = DomainState(time: time) }

    mutating func add(_ domain: DomainKey) -> Bool {
        if members.contains(domain) { return false }
        memberCount += 1
        if members.count < 32 { members.append(domain) }
        return true
    }
}

struct CampaignKey: Hashable, Sendable {
    var client: ClientIdentity
    var scope: CampaignScope

    /// The fields folded into one combine (responses look campaigns up by key).
    func hash(into hasher: inout Hasher) {
        let scopeCode: UInt64 =
            switch scope {
            case .unfamiliarDomains: 0x5F3D
            case .server(let address): address.folded &* 0xBF58_476D_1CE4_E5B9
            }
        switch client {
        case .address(let address): hasher.combine(scopeCode ^ address.folded &* 0x9E37_79B9_7F4A_7C15)
        case .everyone: hasher.combine(scopeCode ^ 0x5A5A)
        case .sandbox(let sandbox):
            hasher.combine(scopeCode)
            hasher.combine(sandbox.name)
        }
    }

    /// The same folded value mixed with the table's seed, without a SipHash round (see ``EvidenceKey``).
    func _rawHashValue(seed: Int) -> Int {
        let scopeCode: UInt64 =
            switch scope {
            case .unfamiliarDomains: 0x5F3D
            case .server(let address): address.folded &* 0xBF58_476D_1CE4_E5B9
            }
        switch client {
        case .address(let address): return KeyMixing.mix(scopeCode ^ address.folded &* 0x9E37_79B9_7F4A_7C15, seed)
        case .everyone: return KeyMixing.mix(scopeCode ^ 0x5A5A, seed)
        case .sandbox(let sandbox): return KeyMixing.mix(scopeCode ^ UInt64(bitPattern: Int64(sandbox.name.hashValue)), seed)
        }
    }
}

/// Campaigns per client and scope, bounded by two generations like ``DomainTable``.
struct CampaignTable {
    private var current: [CampaignKey: Campaign] = [:]
    private var previous: [CampaignKey: Campaign] = [:]
    private let generationSize: Int

    init(capacity: Int = 4_096) {
        generationSize = max(capacity / 2, 4)
    }

    var count: Int { current.count + previous.count }

    func campaign(_ key: CampaignKey) -> Campaign? { current[key] ?? previous[key] }

    /// Whether there is a campaign for `key` (without copying it out).
    func contains(_ key: CampaignKey) -> Bool { current.index(forKey: key) != nil || previous.index(forKey: key) != nil }

    mutating func withCampaign<R>(_ key: CampaignKey, time: Timestamp, _ body: (inout Campaign) -> R) -> R {
        if let index = current.index(forKey: key) { return body(&current.values[index]) }
        let promoted = previous.removeValue(forKey: key)
        if current.count >= generationSize {
            previous = current
            current = [:]
        }
        current[key] = promoted ?? Campaign(time: time)
        return body(&current[key]!)
    }
}
