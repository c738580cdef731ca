import AirlockEvents

/// Domain groups some client's evidence convicted of carrying a tunnel, and how.
///
/// Evidence is gathered per client, but a verdict is about the zone: once one sandbox's traffic shows
/// that a domain's authoritative server takes data, every sandbox's queries to it carry the verdict
/// (and the live proxy's quarantine), and a second sandbox starting the same tunnel is blocked from its
/// first query. Bounded like ``DomainTable``: two generations, so a flood of convictions can only push
/// out the oldest ones.
struct ConvictedDomains: Sendable {
    /// The score the convicting client's evidence reached (shown as evidence to the other clients).
    struct Conviction: Sendable {
        var score: Double
    }

    private var current: [DomainKey: Conviction] = [:]
    private var previous: [DomainKey: Conviction] = [:]
    private let generationSize: Int

    init(capacity: Int = 65_536) {
        generationSize = max(capacity / 2, 8)
    }

    var count: Int { current.count + previous.count }

    func conviction(of domain: DomainKey) -> Conviction? {
        // Nearly always empty: no hashing then.
        if current.isEmpty && previous.isEmpty { return nil }
        return current[domain] ?? previous[domain]
    }

    mutating func convict(_ domain: DomainKey, _ conviction: Conviction) {
        if current[domain] != nil { return }
        if let earlier = previous.removeValue(forKey: domain) {
            current[domain] = earlier
            return
        }
        if current.count >= generationSize {
            previous = current
            current = [:]
        }
        current[domain] = conviction
    }
}
