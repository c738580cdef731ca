import AirlockEvents

/// Hashing for the decoder's flow tables (TCP connections, IP fragments being reassembled): a key's
/// fields folded into one 64-bit word and mixed with the table's seed by MurmurHash3's finaliser,
/// instead of the synthesized `Hashable`'s SipHash over every field and enum tag (~350 instructions a
/// lookup; the TCP table is looked up for every segment). Equality still compares every field, so
/// keys that fold alike cost a comparison, never a wrong match.
protocol FoldedKeyHashing: Hashable {
    /// The key's fields folded together (not unique).
    var folded: UInt64 { get }
}

extension FoldedKeyHashing {
    func hash(into hasher: inout Hasher) { hasher.combine(folded) }

    /// Hashable's customisation point for a table lookup's hash.
    func _rawHashValue(seed: Int) -> Int {
        var h = folded ^ (UInt64(bitPattern: Int64(seed)) &* 0x9E37_79B9_7F4A_7C15)
        h ^= h >> 33
        h &*= 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        h &*= 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        return Int(truncatingIfNeeded: h)
    }
}

extension Endpoint {
    /// The address and port folded into 64 bits.
    var folded: UInt64 { address.folded ^ UInt64(port) << 40 }
}
