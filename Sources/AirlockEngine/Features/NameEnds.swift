/// The first and last 16 bytes of a name's subdomain part (wire form), packed so that the bytes two
/// names share at either end can be counted with one XOR each.
///
/// Used to estimate how much of a new name is *new*: ordinary clients walk through names that differ
/// in a few characters (`host0041.shard`, `host0042.shard`, `bucket-…​.s3.us-east-1`), while a
/// tunnel's names share at most a short fixed prefix or suffix (`dnscat.`, `.=auth`) around data that
/// is fresh every time. Information is counted only for the bytes between the shared ends.
public struct NameEnds: Sendable, Equatable {
    /// Bytes 0–7 and 8–15 (byte 0 in the top bits).
    var headHigh: UInt64 = 0, headLow: UInt64 = 0
    /// The last 8 bytes, and the 8 before them (the last byte in the low bits of `tailLow`).
    var tailLow: UInt64 = 0, tailHigh: UInt64 = 0
    /// Length of the subdomain part in wire form (at most 254: a name is at most 255 bytes).
    private var storedLength: UInt8 = 0
    public var length: Int { Int(storedLength) }

    public init() {}

    /// Packs the ends of `bytes` (a subdomain part in wire form).
    init(_ bytes: Span<UInt8>) {
        storedLength = UInt8(truncatingIfNeeded: min(bytes.count, 255))
        for i in 0..<min(16, length) {
            let b = UInt64(bytes[i])
            if i < 8 { headHigh |= b << (56 - 8 * UInt64(i)) } else { headLow |= b << (56 - 8 * UInt64(i - 8)) }
        }
        for j in 0..<min(16, length) {
            let b = UInt64(bytes[length - 1 - j])
            if j < 8 { tailLow |= b << (8 * UInt64(j)) } else { tailHigh |= b << (8 * UInt64(j - 8)) }
        }
    }

    /// Bytes of `self` that `previous` has at the same place counted from either end (each end at
    /// most 16, together at most `length`).
    public func sharedBytes(with previous: NameEnds) -> Int {
        let shortest = min(length, previous.length)
        guard shortest > 0 else { return 0 }
        var head = 0
        if headHigh != previous.headHigh {
            head = (headHigh ^ previous.headHigh).leadingZeroBitCount / 8
        } else {
            head = 8 + (headLow ^ previous.headLow).leadingZeroBitCount / 8
        }
        var tail = 0
        if tailLow != previous.tailLow {
            tail = (tailLow ^ previous.tailLow).trailingZeroBitCount / 8
        } else {
            tail = 8 + (tailHigh ^ previous.tailHigh).trailingZeroBitCount / 8
        }
        return min(min(head, shortest) + min(tail, shortest), length)
    }
}
