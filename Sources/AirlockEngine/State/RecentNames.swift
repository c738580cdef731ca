/// Names seen recently, across all domains: a fixed table of full-name hashes (direct-mapped, a new
/// hash overwrites whatever shared its slot).
///
/// Each domain also remembers its last 16 names, but a client cycling through a few hundred ordinary
/// names of one domain (shards, a crawler, a benchmark) would count every repeat as new information and
/// look like a tunnel. This table remembers far more names for a fixed 8 MB; under a flood of random
/// names slots churn, which only makes a repeat look new now and then — never a new name look repeated
/// unless two names share a 64-bit hash.
struct RecentNames: Sendable {
    private var slots: [UInt64]
    private let mask: Int

    /// - Parameter slots: table size, rounded down to a power of two within 2⁸…2²⁶
    ///   (1,048,576 slots: 8 MB).
    init(slots requested: Double = 1_048_576) {
        var bits = 8
        while bits < 26 && Double(1 << (bits + 1)) <= requested { bits += 1 }
        slots = [UInt64](repeating: 0, count: 1 << bits)
        mask = (1 << bits) - 1
    }

    /// Records `hash`; true when it was not in the table.
    mutating func insert(_ hash: UInt64) -> Bool {
        let key = hash | 1  // 0 marks an empty slot
        let slot = Int(truncatingIfNeeded: (key ^ (key >> 31)) & UInt64(mask))
        if slots[slot] == key { return false }
        slots[slot] = key
        return true
    }
}
