/// Eight bytes of a span as one little-endian word, for code that works on names eight bytes a step
/// (the DNS name table's lookup hash and compare, the grouping cache's tails). Written as eight byte
/// reads of an 8-byte span (one bounds check): the optimizer merges them into a single 8-byte load
/// (pure modules take no pointers to load through).
extension Span where Element == UInt8 {
    @inlinable @inline(__always)
    package func word(at offset: Int) -> UInt64 {
        let bytes = extracting(offset..<(offset + 8))
        var word: UInt64 = 0
        for k in 0..<8 { word |= UInt64(bytes[k]) << (8 * k) }
        return word
    }

    /// The bytes `offset..<offset + length` (`length` at most 8) in a word's low bytes, the rest zero.
    @inlinable @inline(__always)
    package func shortWord(at offset: Int, length: Int) -> UInt64 {
        var word: UInt64 = 0
        for k in 0..<length { word |= UInt64(self[offset + k]) << (8 * k) }
        return word
    }

    /// Whether `other` holds the same bytes (same count checked first): eight bytes a step, the first
    /// difference ending it. ~25 instructions for a 70-byte name, where a loop a byte at a time OR-ing
    /// differences (vectorised, but with its tail a byte a step) took ~100.
    @inlinable
    package func sameBytes(_ other: Span<UInt8>) -> Bool {
        let count = self.count
        guard other.count == count else { return false }
        guard count >= 8 else { return shortWord(at: 0, length: count) == other.shortWord(at: 0, length: count) }
        var i = 0
        while i < count - 8 {
            if word(at: i) != other.word(at: i) { return false }
            i += 8
        }
        return word(at: count - 8) == other.word(at: count - 8)
    }
}
