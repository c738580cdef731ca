/// Big-endian field reads. Callers check bounds first; an out-of-range index traps rather than reading
/// garbage, so every caller guards the length before reading.
extension Span where Element == UInt8 {
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
    }

    @inline(__always)
    func be64(_ offset: Int) -> UInt64 {
        UInt64(be32(offset)) << 32 | UInt64(be32(offset + 4))
    }

    /// Appends `self[range]` to `array` (Span is not a Sequence, and pure modules take no pointers).
    func append(_ range: Range<Int>, to array: inout [UInt8]) {
        array.reserveCapacity(array.count + range.count)
        for index in range { array.append(self[index]) }
    }
}
