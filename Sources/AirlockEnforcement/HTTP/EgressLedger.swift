/// Per sandbox and destination, what went out recently: request count, upload bytes, bits of
/// high-entropy URL and header data, and novel bytes of plain-HTTP heads (``HeadMemory``). Shared by every worker behind one lock (one critical
/// section per request, and one per relayed chunk of a tunnel).
///
/// Windows slide the two-bucket way the DNS leak budget's do (``SlidingWindow``). Memory is
/// bounded: past `capacity` keys the older generation is dropped (a dropped key starts again at 0,
/// which only ever errs toward allowing a little more, never toward a false block).
public struct EgressLedger: Sendable {
    public struct Key: Hashable, Sendable {
        public var sandbox: String?
        /// The registered domain, or the address for IP literals.
        public var destination: String

        public init(sandbox: String?, destination: String) {
            self.sandbox = sandbox
            self.destination = destination
        }
    }

    struct Entry: Sendable {
        var requests = SlidingWindow()
        var upload = SlidingWindow()
        var entropy = SlidingWindow()
        var information = SlidingWindow()
        /// The previous plain-HTTP head sent to this destination, for counting what the next one adds.
        var head = HeadMemory()
        /// Hashes of high-entropy tokens already charged (a repeated API key counts once).
        var recent = [UInt64](repeating: 0, count: 64)
        var recentNext = 0

        mutating func remember(_ hash: UInt64) -> Bool {
            if recent.contains(hash) { return false }
            recent[recentNext] = hash
            recentNext = (recentNext + 1) & 63
            return true
        }
    }

    private var current: [Key: Entry] = [:]
    private var older: [Key: Entry] = [:]
    let capacity: Int

    public init(capacity: Int = 65_536) {
        self.capacity = max(capacity, 16)
    }

    public var count: Int { current.count + older.count }

    private mutating func with<R>(_ key: Key, _ body: (inout Entry) -> R) -> R {
        var entry = current[key] ?? older.removeValue(forKey: key) ?? Entry()
        let result = body(&entry)
        if current[key] == nil && current.count >= capacity / 2 {
            older = current
            current = [:]
        }
        current[key] = entry
        return result
    }

    static func nanoseconds(_ seconds: Int) -> Int64 { Int64(max(seconds, 1)) * 1_000_000_000 }

    /// Counts one request; returns the requests in the window, this one included.
    public mutating func countRequest(_ key: Key, now: Int64, windowSeconds: Int) -> Double {
        with(key) { entry in
            let total = entry.requests.total(now: now, length: Self.nanoseconds(windowSeconds))
            entry.requests.add(1)
            return total + 1
        }
    }

    /// Upload bytes already in the window.
    public mutating func uploaded(_ key: Key, now: Int64, windowSeconds: Int) -> Double {
        with(key) { $0.upload.total(now: now, length: Self.nanoseconds(windowSeconds)) }
    }

    /// Adds upload bytes; returns the new total in the window.
    public mutating func chargeUpload(_ key: Key, bytes: Int, now: Int64, windowSeconds: Int) -> Double {
        with(key) { entry in
            let total = entry.upload.total(now: now, length: Self.nanoseconds(windowSeconds))
            entry.upload.add(Double(bytes))
            return total + Double(bytes)
        }
    }

    /// Adds the novel bytes of a plain-HTTP head; returns (total in the window, bytes added).
    public mutating func chargeInformation(
        _ key: Key, head: HeadLines, now: Int64, windowSeconds: Int
    ) -> (total: Double, added: Double) {
        with(key) { entry in
            let total = entry.information.total(now: now, length: Self.nanoseconds(windowSeconds))
            let added = Double(entry.head.charge(head))
            entry.information.add(added)
            return (total + added, added)
        }
    }

    /// Adds the bits of the tokens not charged recently; returns (total in the window, bits added).
    public mutating func chargeEntropy(
        _ key: Key, tokens: [(hash: UInt64, bits: Double)], now: Int64, windowSeconds: Int
    ) -> (total: Double, added: Double) {
        with(key) { entry in
            let total = entry.entropy.total(now: now, length: Self.nanoseconds(windowSeconds))
            var added = 0.0
            for token in tokens where entry.remember(token.hash) { added += token.bits }
            entry.entropy.add(added)
            return (total + added, added)
        }
    }
}
