import AirlockEvents

/// Bytes of name information each sandbox has sent into each registered domain over a sliding window.
///
/// A tunnel that stays under the detector's thresholds still has to move its data through names; the
/// budget caps how much, whatever the names look like. Only distinct names count (a repeated lookup
/// carries nothing new), each at the engine's estimate of its information (length × entropy / 8).
/// The window slides in the usual two-bucket way: the previous window's total weighted by how much
/// of it still overlaps, plus the current window's (``SlidingWindow``).
struct LeakBudgetTable: Sendable {
    struct Key: Hashable, Sendable {
        var sandbox: String?
        var domain: DomainKey
    }

    struct Entry: Sendable {
        var window: SlidingWindow
        var recent = InlineArray<16, UInt64>(repeating: 0)
        var recentNext = 0

        init(windowStart: Int64) { window = SlidingWindow(start: windowStart) }

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

    /// Checks one name against the budget and records it when it leaves, in one table access.
    ///
    /// - Parameters:
    ///   - limit: the budget's bytes; a name whose cost would take the window past it is over.
    ///   - charge: decides, given whether the name is over budget and its cost, whether it is
    ///     forwarded (and so charged): a report-mode sandbox forwards what it would block, and the
    ///     fleet-wide budget may stop a name the local one lets through.
    /// - Returns: the bytes already used in the window, the name's cost (0 for a name sent recently),
    ///   and whether it is over.
    mutating func check(
        _ key: Key, hash: UInt64, bytes: Double, now: Timestamp, windowSeconds: Int, limit: Double,
        charge: (_ over: Bool, _ cost: Double) -> Bool
    ) -> (used: Double, cost: Double, over: Bool) {
        let window = Int64(max(windowSeconds, 1)) * 1_000_000_000
        let now = now.nanoseconds
        return withEntry(key, now: now) { entry in
            let used = entry.window.total(now: now, length: window)
            let repeated = hash != 0 && entry.recent.indices.contains { entry.recent[$0] == hash }
            let cost = repeated ? 0 : bytes
            let over = used + cost > limit
            if charge(over, cost) && entry.remember(hash) { entry.window.add(cost) }
            return (used, cost, over)
        }
    }

    /// Runs `body` on the entry for `key` in place (one hash lookup when it exists), creating it
    /// (or promoting it from the previous generation) when needed.
    private mutating func withEntry<R>(_ key: Key, now: Int64, _ body: (inout Entry) -> R) -> R {
        if let index = current.index(forKey: key) { return body(&current.values[index]) }
        var entry = previous.removeValue(forKey: key) ?? Entry(windowStart: now)
        let result = body(&entry)
        put(key, entry)
        return result
    }

    private mutating func put(_ key: Key, _ entry: Entry) {
        if current[key] == nil && current.count >= capacity / 2 { rotate() }
        current[key] = entry
    }

    /// Drops the previous generation; its table, emptied keeping its capacity, becomes the new current
    /// one. Both tables are allocated once at full size (~26 MB each at the default capacity) and
    /// reused: regrown from empty at every generation, the new table's storage sat next to the one it
    /// doubled from and both generations, the largest transient of the live proxy under a flood of
    /// one-off domains (a rotation every few seconds).
    private mutating func rotate() {
        var reused = previous
        previous = current
        current = [:]
        reused.removeAll(keepingCapacity: true)
        if reused.capacity < capacity / 2 { reused.reserveCapacity(capacity / 2) }
        current = reused
    }
}
