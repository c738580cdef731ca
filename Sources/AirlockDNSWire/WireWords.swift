/// Eight bytes of a span as one little-endian word, for code that works on a name eight bytes a step
/// (the name table's lookup hash and compare). Written as eight byte reads of an 8-byte span (one bounds check):
/// the optimizer merges them into a single 8-byte load (pure modules take no pointers to load through).
extension Span where Element == UInt8 {
    @inline(__always)
    func word(at offset: Int) -> UInt64 {
        let bytes = extracting(offset..<(offset + 8))
        var word: UInt64 = 0
        for k in 0..<8 { word |= UInt64(bytes[k]) << (8 * k) }
        return word
    }

    /// The bytes `offset..<offset + length` (`length` at most 8) in a word's low bytes, the rest zero.
    @inline(__always)
    func shortWord(at offset: Int, length: Int) -> UInt64 {
        var word: UInt64 = 0
        for k in 0..<length { word |= UInt64(self[offset + k]) << (8 * k) }
        return word
    }
}
