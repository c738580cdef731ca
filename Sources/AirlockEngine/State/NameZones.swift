import AirlockEvents

/// Whether recent names are exempt (``DomainExemptions``) and local (``LocalZones``), so a name asked
/// and then answered is looked up once: both are pure functions of the name's bytes, so a hit gives
/// exactly what looking up again would.
///
/// A direct-mapped table keyed by ``DNSName/wireHash`` (as many slots as the feature cache,
/// ``DetectionConfiguration/featureCacheSlots``: 4,096 by default, 65,536 in replay; ≈ 17 bytes each
/// plus the names' bytes, which are shared with the events); a slot is used only for the same bytes.
struct NameZones: Sendable {
    /// Slots less one (the count is a power of two).
    private let mask: Int
    /// One slot: the name's hash with its two answers in the low bits (0: empty) and its bytes, side by
    /// side (16 bytes; in two arrays a lookup missed the cache in each).
    private struct Slot {
        var key: UInt64 = 0
        var name: [UInt8] = []
    }

    private var slots: [Slot]

    /// `requested` slots, rounded down to a power of two within 16…65,536 (as ``FeatureCache``).
    init(slots requested: Double = 4_096) {
        var bits = 4
        while bits < 16 && Double(1 << (bits + 1)) <= requested { bits += 1 }
        mask = (1 << bits) - 1
        slots = [Slot](repeating: Slot(), count: 1 << bits)
    }

    /// `(exemptions.contains(name), localZones.contains(name))`.
    mutating func zones(
        of name: DNSName, _ exemptions: DomainExemptions, _ localZones: LocalZones
    ) -> (exempt: Bool, local: Bool) {
        let hash = name.wireHash
        let slot = Int(truncatingIfNeeded: (hash ^ (hash >> 29))) & mask
        let key = hash | 4
        let stored = slots[slot].key
        if stored & ~3 == key & ~3, stored != 0, slots[slot].name == name.wire {
            return (stored & 1 != 0, stored & 2 != 0)
        }
        var (exempt, local) = SuffixSet.contains(name.wire, in: exemptions.suffixes, localZones.suffixes)
        // A single label is local too (``LocalZones/contains(_:)``).
        if name.labelCount <= 1 { local = true }
        slots[slot] = Slot(key: key & ~3 | (exempt ? 1 : 0) | (local ? 2 : 0), name: name.wire)
        return (exempt, local)
    }
}
