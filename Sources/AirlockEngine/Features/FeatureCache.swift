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
/// A direct-mapped table (4,096 entries by default, ``DetectionConfiguration/featureCacheSlots``;
/// ≈ 200 bytes each: the name's bytes are shared with the events that carry it, not copied), so its
/// memory is fixed whatever the traffic.
struct FeatureCache: Sendable {
    /// Slots less one (the count is a power of two).
    private let mask: UInt64

    /// Per slot: the name's FNV-1a hash (0: empty), its wire bytes, the label count the features
    /// were taken with, and the features.
    private var hashes: [UInt64]
    private var names: [[UInt8]]
    private var groupLabels: [Int]
    private var features: [NameFeatures]

    /// `requested` slots, rounded down to a power of two within 16…65,536.
    init(slots requested: Double = 4096) {
        var bits = 4
        while bits < 16 && Double(1 << (bits + 1)) <= requested { bits += 1 }
        let count = 1 << bits
        mask = UInt64(count - 1)
        hashes = [UInt64](repeating: 0, count: count)
        names = [[UInt8]](repeating: [], count: count)
        groupLabels = [Int](repeating: 0, count: count)
        features = [NameFeatures](repeating: NameFeatures(), count: count)
    }

    /// The features of `name` below its rightmost `labels` labels, from the cache or `extractor`.
    mutating func features(
        of name: DNSName, groupLabels labels: Int, _ extractor: NameFeatureExtractor
    ) -> NameFeatures {
        let hash = ((name.wireHash ^ UInt64(truncatingIfNeeded: labels)) &* 0x100_0000_01b3) | 1
        let slot = Int(truncatingIfNeeded: (hash ^ (hash >> 29)) & mask)
        if hashes[slot] == hash && groupLabels[slot] == labels && names[slot] == name.wire {
            return features[slot]
        }
        let extracted = extractor.features(of: name, groupLabels: labels)
        hashes[slot] = hash
        names[slot] = name.wire
        groupLabels[slot] = labels
        features[slot] = extracted
        return extracted
    }
}
