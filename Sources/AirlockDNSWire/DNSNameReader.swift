/// Where a scanned name ended and what it holds, so it can be skipped or copied without rescanning rules.
struct DNSNameScan {
    /// Offset just after the name in place (after its first pointer, if it has one).
    var end: Int
    /// Expanded wire length including the root byte (1 for the root name).
    var wireLength: Int
    /// Compression pointers followed.
    var hops = 0
    /// Labels walked (the name's labels when no known name was added on).
    var labels = 0
}

/// Reads compressed names (RFC 1035 §4.1.4) strictly, without allocating.
///
/// Every pointer must target an offset after the header and before the start of the stretch of
/// bytes the name is being read from: so the walk moves strictly backwards and cannot loop, and a
/// pointer to a later byte (never written by a real encoder) is refused. Hops are also capped at
/// 127, the most labels a 255-byte name can have, so a chain of pointers cannot make one name cost
/// thousands of steps.
/// A name validated at `offset` in the message being read (scanned with the message's end as limit).
struct KnownName {
    var offset: Int
    var wireLength: Int
    var hops: Int
}

enum DNSNameReader {
    static let maxHops = 127

    /// Validates the name at `start`. `limit` bounds the bytes read in place (the message end, or the
    /// RDATA end for a name inside RDATA); bytes reached through a pointer are bounded by the message.
    /// Running out of bytes throws `truncated`, so the caller names the section it was reading.
    /// `known` is only used for names other than the one whose case and labels matter (`tracked` false):
    /// owners and names in RDATA.
    static func scan(
        _ s: Span<UInt8>, at start: Int, limit: Int, truncated: DNSParseError, tracked: Bool,
        known: KnownName? = nil
    ) throws(DNSParseError) -> DNSNameScan {
        var pos = start
        var bound = limit
        var end = -1
        var segmentStart = start
        var length = 1
        var hops = 0
        var labels = 0
        while true {
            guard pos < bound else { throw truncated }
            let b = s[pos]
            switch b & 0xC0 {
            case 0x00:
                if b == 0 {
                    return DNSNameScan(end: end < 0 ? pos + 1 : end, wireLength: length, hops: hops, labels: labels)
                }
                let n = Int(b)
                guard pos + 1 + n <= bound else { throw truncated }
                length += n + 1
                guard length <= 255 else { throw .nameTooLong(offset: start) }
                labels += 1
                pos += 1 + n
            case 0xC0:
                guard pos + 2 <= bound else { throw truncated }
                let target = Int(b & 0x3F) << 8 | Int(s[pos + 1])
                if end < 0 { end = pos + 2 }
                guard target >= DNSHeader.byteCount else { throw .pointerIntoHeader(offset: pos, target: target) }
                guard target < pos else { throw .pointerForward(offset: pos, target: target) }
                hops += 1
                guard target < segmentStart, hops <= maxHops else { throw .compressionLoop(offset: start) }
                // A pointer to a name this message already validated (the question, which answers'
                // owners point at): walking it again would take the same steps under the same rules
                // and succeed, so its length and hops are added instead — when the sums stay within
                // the limits; otherwise the walk below finds the same error the same way.
                if let known, !tracked, target == known.offset, length + known.wireLength - 1 <= 255,
                    hops + known.hops <= maxHops
                {
                    return DNSNameScan(end: end, wireLength: length + known.wireLength - 1, hops: hops + known.hops)
                }
                segmentStart = target
                pos = target
                bound = s.count
            default:
                throw .badLabelType(offset: pos, byte: b)
            }
        }
    }

    /// The labels of a name that ``scan`` accepted, lower-cased, without the root byte, following
    /// compression pointers (a name that has none is copied in one pass by ``DNSNameTable``).
    static func copyLowercased(_ s: Span<UInt8>, at start: Int, wireLength: Int) -> [UInt8] {
        var wire: [UInt8] = []
        wire.reserveCapacity(wireLength - 1)
        var pos = start
        while true {
            let b = s[pos]
            if b == 0 { return wire }
            if b >= 0xC0 {
                pos = Int(b & 0x3F) << 8 | Int(s[pos + 1])
                continue
            }
            wire.append(b)
            var i = pos + 1
            while i <= pos + Int(b) {
                let c = s[i]
                wire.append(c &- 0x41 < 26 ? c | 0x20 : c)
                i += 1
            }
            pos += 1 + Int(b)
        }
    }
}
