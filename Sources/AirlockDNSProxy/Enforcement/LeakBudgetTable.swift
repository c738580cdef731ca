import AirlockEvents

/// Bytes of name information each sandbox has sent into each registered domain over a sliding window.
///
/// A tunnel that stays under the detector's thresholds still has to move its data through names; the
/// budget caps how much, whatever the names look like. Only distinct names count (a repeated lookup
/// carries nothing new), each at the engine's estimate of its information (length × entropy / 8).
/// The window slides in the usual two-bucket way: the previous window's total weighted by how much
/// of it still overlaps, plus the current window's.
struct LeakBudgetTable: Sendable {
    struct Key: Hashable, Sendable {
        var sandbox: String?
        var domain: DomainKey
    }

    struct Entry: Sendable {
        var windowStart: Int64
        var current = 0.0
        var previous = 0.0
        var recent = InlineArray<16, UInt64>(repeating: 0)
        var recentNext = 0

        init(windowStart: Int64) { self.windowStart = windowStart }

        /// Rolls the buckets forward to the window holding `now`, then returns the sliding total.
        mutating func total(now: Int64, window: Int64) -> Double {
            let elapsedWindows = (now - windowStart) / window
            if elapsedWindows == 1 {
                previous = current
                current = 0
                windowStart += window
            } else if elapsedWindows > 1 {
                previous = 0
                current = 0
                windowStart += elapsedWindows * window
            }
            let overlap = 1 - Double(now - windowStart) / Double(window)
            return previous * max(0, overlap) + current
        }

        /// True when `hash` was not among the recent names (and remembers it).
        mutating func remember(_ hash: UInt64) -> Bool {
            for i in 0..<16 where recent[i] == hash { return false }
            recent[recentNext] = hash
            recentNext = (recentNext + 1) & 15
            return true
        }
    }

    private var current: [Key: Entry] = [:]
    private var previous: [Key: Entry] = [:]
    let capacity: Int

    init(capacity: Int = 131_072) {
        self.capacity = max(capacity, 16)
    }

    var count: Int { current.count + previous.count }

    /// What charging a name would do: the bytes already used in the window and the name's cost
    /// (0 for a name sent recently). Nothing is recorded until ``charge(_:hash:bytes:)``.
    mutating func usage(
        _ key: Key, hash: UInt64, bytes: Double, now: Timestamp, windowSeconds: Int
    ) -> (used: Double, cost: Double) {
        let window = Int64(max(windowSeconds, 1)) * 1_000_000_000
        let now = now.nanoseconds
        var entry = take(key) ?? Entry(windowStart: now)
        let used = entry.total(now: now, window: window)
        let repeated = entry.recent.indices.contains { entry.recent[$0] == hash && hash != 0 }
        put(key, entry)
        return (used, repeated ? 0 : bytes)
    }

    /// Records a forwarded name's bytes against the budget.
    mutating func charge(_ key: Key, hash: UInt64, bytes: Double) {
        guard var entry = take(key) else { return }
        if entry.remember(hash) { entry.current += bytes }
        put(key, entry)
    }

    private mutating func take(_ key: Key) -> Entry? {
        if let entry = current[key] { return entry }
        return previous.removeValue(forKey: key)
    }

    private mutating func put(_ key: Key, _ entry: Entry) {
        if current[key] == nil && current.count >= capacity / 2 {
            previous = current
            current = [:]
        }
        current[key] = entry
    }
}
