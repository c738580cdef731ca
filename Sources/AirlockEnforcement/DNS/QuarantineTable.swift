import AirlockEvents

/// Registered domains under quarantine: when each got its tunnel verdict.
///
/// One table for every sandbox, because a tunnel's evidence is one domain's evidence wherever its
/// queries came from; each sandbox applies its own `quarantine_seconds` to the start time. Bounded:
/// when full, entries older than the longest quarantine seen are dropped first, then the oldest.
struct QuarantineTable: Sendable {
    private var started: [DomainKey: Timestamp] = [:]
    private var longestSeconds = 0
    let capacity: Int

    init(capacity: Int = 16_384) {
        self.capacity = max(capacity, 16)
    }

    var count: Int { started.count }

    /// Starts (or restarts) the quarantine of `domain` at `time`.
    mutating func start(_ domain: DomainKey, at time: Timestamp, seconds: Int) {
        longestSeconds = max(longestSeconds, seconds)
        if started[domain] == nil && started.count >= capacity { evict(now: time) }
        started[domain] = time
    }

    /// Takes up a quarantine another instance started at `time`, unless this table already holds one
    /// that started as late or later. Returns whether it did.
    mutating func adopt(_ domain: DomainKey, at time: Timestamp) -> Bool {
        if let existing = started[domain], existing >= time { return false }
        if started[domain] == nil && started.count >= capacity { evict(now: time) }
        started[domain] = time
        return true
    }

    /// When `domain`'s quarantine started, if it is in the table.
    func start(of domain: DomainKey) -> Timestamp? { started[domain] }

    /// The longest `quarantine_seconds` any sandbox has applied so far.
    var longest: Int { longestSeconds }

    /// When the quarantine of `domain` ends for a sandbox whose quarantine lasts `seconds`; nil when
    /// the domain is not quarantined at `time` (never was, or the time is up, or `seconds` is 0).
    func end(of domain: DomainKey, at time: Timestamp, seconds: Int) -> Timestamp? {
        guard seconds > 0, let start = started[domain] else { return nil }
        let end = Timestamp(nanoseconds: start.nanoseconds + Int64(seconds) * 1_000_000_000)
        return time < end ? end : nil
    }

    private mutating func evict(now: Timestamp) {
        let horizon = now.nanoseconds - Int64(longestSeconds) * 1_000_000_000
        started = started.filter { $0.value.nanoseconds >= horizon }
        if started.count >= capacity {
            // Everything is live: drop the oldest half rather than refuse a new conviction.
            let sorted = started.sorted { $0.value < $1.value }
            for (key, _) in sorted.prefix(started.count / 2) { started[key] = nil }
        }
    }
}
