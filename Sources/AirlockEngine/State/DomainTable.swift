import AirlockEvents

/// The per-domain states, bounded in count whatever the traffic.
///
/// Two generations: lookups hit the current one or promote from the previous one; when the current
/// generation fills half the capacity, the previous is dropped and the current becomes previous.
/// A flood of one-off domains therefore pushes out only other one-off domains, while anything queried
/// again within a generation survives. Entries that hold evidence (a suspicious name, a verdict) are
/// carried over an eviction once more, up to an eighth of capacity, so a tunnel under a flood of random
/// domains keeps its state. Bound: `capacity + capacity/8` entries.
struct DomainTable {
    private(set) var current: [DomainKey: DomainState] = [:]
    private(set) var previous: [DomainKey: DomainState] = [:]
    let capacity: Int
    private(set) var evictions = 0

    init(capacity: Int) {
        self.capacity = max(capacity, 16)
    }

    var count: Int { current.count + previous.count }

    /// Runs `body` on the state for `key`, creating it at `time` when new.
    /// (Presence is tested with `index(forKey:)`: reading `current[key]` would copy the ~0.4 KB state.)
    mutating func withState<R>(_ key: DomainKey, time: Timestamp, _ body: (inout DomainState) -> R) -> R {
        if current.index(forKey: key) == nil {
            if let promoted = previous.removeValue(forKey: key) {
                current[key] = promoted
            } else {
                if current.count >= capacity / 2 { rotate() }
                current[key] = DomainState(time: time)
            }
        }
        return body(&current[key]!)
    }

    /// Runs `body` on an existing state; nil (and nothing created) when the domain is unknown.
    mutating func withExistingState<R>(_ key: DomainKey, _ body: (inout DomainState) -> R) -> R? {
        if current.index(forKey: key) != nil { return body(&current[key]!) }
        if previous.index(forKey: key) != nil { return body(&previous[key]!) }
        return nil
    }

    func state(_ key: DomainKey) -> DomainState? { current[key] ?? previous[key] }

    private mutating func rotate() {
        var next = current
        let rescueLimit = capacity / 8
        var rescued = 0
        for (key, state) in previous where state.holdsEvidence && rescued < rescueLimit {
            next[key] = state
            rescued += 1
        }
        evictions += previous.count - rescued
        previous = next
        current = [:]
        current.reserveCapacity(capacity / 2)
    }
}
