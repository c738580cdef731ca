import AirlockEvents

/// The per-domain (per client) states, bounded in count whatever the traffic.
///
/// Two generations: lookups hit the current one or promote from the previous one; when the current
/// generation fills half the capacity, the previous is dropped and the current becomes previous.
/// A flood of one-off domains therefore pushes out only other one-off domains, while anything queried
/// again within a generation survives. Entries that hold evidence (a suspicious name, a verdict) are
/// carried over an eviction once more, up to an eighth of capacity, so a tunnel under a flood of random
/// domains keeps its state. Bound: two generations of ``generationSize`` (≤ capacity/2); the rescued
/// eighth starts the new current generation, so it is inside that bound. From the first rotation on,
/// both generations' tables stay allocated at full size and are reused (see ``rotate()``).
struct DomainTable {
    private(set) var current: [EvidenceKey: DomainState] = [:]
    private(set) var previous: [EvidenceKey: DomainState] = [:]
    let capacity: Int
    private(set) var evictions = 0

    /// Entries per generation: at most half the capacity, rounded down to three quarters of a power
    /// of two — Swift's dictionaries keep their load under 3/4, so 100,000 entries would take 262,144
    /// buckets where 98,304 take 131,072.
    let generationSize: Int

    init(capacity: Int) {
        self.capacity = max(capacity, 2)
        let half = self.capacity / 2
        var buckets = 16
        while buckets * 2 * 3 / 4 <= half { buckets *= 2 }
        // Below 24 entries the loop never runs and 12 would exceed half a small capacity: never more
        // than half.
        generationSize = min(buckets * 3 / 4, half)
    }

    var count: Int { current.count + previous.count }

    /// Runs `body` on the state for `key`, creating it at `time` when new.
    /// (Presence is tested with `index(forKey:)`: reading `current[key]` would copy the ~0.4 KB state.)
    mutating func withState<R>(_ key: EvidenceKey, time: Timestamp, _ body: (inout DomainState) -> R) -> R {
        if let index = current.index(forKey: key) { return body(&current.values[index]) }
        // A promoted entry is taken out first, then the current generation rotates if full, so neither
        // generation ever passes generationSize (promotions into a full one did: found by fuzzing).
        let promoted = previous.removeValue(forKey: key)
        if current.count >= generationSize { rotate() }
        current[key] = promoted ?? DomainState(time: time)
        return body(&current[key]!)
    }

    /// Runs `body` on an existing state; nil (and nothing created) when the domain is unknown.
    mutating func withExistingState<R>(_ key: EvidenceKey, _ body: (inout DomainState) -> R) -> R? {
        if let index = current.index(forKey: key) { return body(&current.values[index]) }
        if let index = previous.index(forKey: key) { return body(&previous.values[index]) }
        return nil
    }

    func state(_ key: EvidenceKey) -> DomainState? { current[key] ?? previous[key] }

    /// Whether there is a state for `key` (without copying it out).
    func contains(_ key: EvidenceKey) -> Bool { current.index(forKey: key) != nil || previous.index(forKey: key) != nil }

    /// Drops the previous generation. The current one becomes previous by move (no copy-on-write
    /// duplicate), and the dropped generation's table, emptied keeping its capacity, becomes the new
    /// current one, restarted with the dropped entries that hold evidence. The two generations' tables
    /// are therefore allocated once (at full size from the first rotation on) and reused: a fresh
    /// table regrown from empty at every rotation held its old and new storage side by side at each
    /// doubling, next to both generations, and under a flood of one-off domains (a rotation every few
    /// seconds) the freed tables were most of the live proxy's peak RSS.
    private mutating func rotate() {
        var reused = previous
        previous = current
        current = [:]
        let rescueLimit = capacity / 8
        var rescued: [(key: EvidenceKey, state: DomainState)] = []
        for (key, state) in reused where state.holdsEvidence {
            guard rescued.count < rescueLimit else { break }
            rescued.append((key, state))
        }
        evictions += reused.count - rescued.count
        reused.removeAll(keepingCapacity: true)
        if reused.capacity < generationSize { reused.reserveCapacity(generationSize) }
        for entry in rescued { reused[entry.key] = entry.state }
        current = reused
    }
}
