import AirlockEvents

/// Names whose features were extracted recently, so a name is read once however often it comes
/// back: a client's usual hosts asked again and again, A then AAAA then HTTPS for one host, and the
/// response to a query (the engine reads an answered name again to learn host addresses).
///
/// Features are a pure function of the name's bytes and the group's label count (the extractor is
/// fixed per engine), so a hit returns exactly what extracting again would: the cache changes the
/// time a query costs, never its verdict. A slot is reused only for the same name (bytes compared,
/// not only hashed) and the same label count.
///
/// A table of 4,096 entries by default (``DetectionConfiguration/featureCacheSlots``; ≈ 200 bytes each:
/// the name's bytes are shared with the events that carry it, not copied), so its memory is fixed
/// whatever the traffic, in sets of ``CacheSets/ways`` (newest first): direct-mapped, two
/// names sharing a slot were extracted again each time they alternated.
struct FeatureCache: Sendable {
    private let sets: CacheSets

    /// One slot: the name's FNV-1a hash (0: empty), its wire bytes, the label count the features
    /// were taken with, and the features, side by side (≈ 3 cache lines read together; in four
    /// arrays a lookup missed the cache in each).
    private struct Slot {
        var hash: UInt64 = 0
        var groupLabels = 0
        var name: [UInt8] = []
        var features = NameFeatures()
    }

    private var slots: [Slot]
    /// Names extracted (not found in the cache), for tests.
    private(set) var misses = 0

    /// `requested` slots, rounded down to a power of two within 16…65,536.
    init(slots requested: Double = 4096) {
        var bits = 4
        while bits < 16 && Double(1 << (bits + 1)) <= requested { bits += 1 }
        sets = CacheSets(slots: 1 << bits)
        slots = [Slot](repeating: Slot(), count: sets.slotCount)
    }

    /// The features of `name` below its rightmost `labels` labels, from the cache or `extractor`.
    mutating func features(
        of name: DNSName, groupLabels labels: Int, _ extractor: NameFeatureExtractor
    ) -> NameFeatures {
        let hash = ((name.wireHash ^ UInt64(truncatingIfNeeded: labels)) &* 0x100_0000_01b3) | 1
        let set = sets.firstSlot(of: hash)
        var way = 0
        while way < CacheSets.ways && slots[set + way].hash != 0 {
            if slots[set + way].hash == hash && slots[set + way].groupLabels == labels
                && slots[set + way].name == name.wire
            {
                return slots[set + way].features
            }
            way += 1
        }
        let extracted = extractor.features(of: name, groupLabels: labels)
        // The oldest (or an empty slot) goes; the ones before it move down one.
        CacheSets.makeRoom(&slots, set: set, from: min(way, CacheSets.ways - 1))
        slots[set] = Slot(hash: hash, groupLabels: labels, name: name.wire, features: extracted)
        misses += 1
        return extracted
    }
}
