import AirlockEvents

/// Question names parsed recently, so a name that comes back is not copied again: the response to a
/// query carries the query's name, and clients ask for the same hosts again and again.
///
/// ``DNSWireReader/parse(_:names:)`` looks the question up here (a cheap hash of its length and
/// ends, then the bytes compared) and hands out the stored bytes when they match: the name is the
/// same value it would have copied (same bytes, its own mixed-case flag, the same ``DNSName/wireHash``
/// kept beside it), without an allocation or a hash over every byte per message, and names that
/// share storage compare in one step.
///
/// A table of ``slotCount`` names (≈ 72 bytes each), so its memory is fixed, in sets of
/// ``CacheSets/ways`` (newest first). Direct-mapped (one slot a name), replaying a capture
/// of 6,070 distinct names copied 2,050 of its 21,713 question names again every pass (a copy, an
/// allocation, and a free on the engine's thread when the event was done); four ways keep ~500 (a
/// simulation of the table over the same names).
public struct DNSNameTable: Sendable {
    public static let slotCount = 16_384
    private static let sets = CacheSets(slots: slotCount)
    /// Names copied into the table (misses), for tests and diagnostics.
    public private(set) var copies = 0

    /// One slot: the lookup hash of the name (0: empty), its ``DNSName/wireHash`` and its bytes, side
    /// by side (one cache line; in three arrays a lookup missed the cache in each).
    private struct Slot {
        var hash: UInt64 = 0
        var wireHash: UInt64 = 0
        var name: [UInt8] = []
    }

    private var slots: [Slot]

    public init() {
        slots = [Slot](repeating: Slot(), count: Self.slotCount)
    }

    private init(empty: Void) {
        slots = []
    }

    /// No table: every name is copied (a one-off parse allocates nothing more for it).
    static var disabled: DNSNameTable { DNSNameTable(empty: ()) }

    /// The name that ``DNSNameReader/scan`` accepted at `start` (`scan`), from the table or copied
    /// into it.
    mutating func name(_ s: Span<UInt8>, at start: Int, _ scan: DNSNameScan) -> DNSName {
        // A question name at the message's first question cannot hold a pointer (it would have to
        // point into the header); another name may: read it the general way.
        guard scan.hops == 0 else {
            let wire = DNSNameReader.copyLowercased(s, at: start, wireLength: scan.wireLength)
            return DNSName(validatedWire: wire, hadMixedCase: Self.mixedCase(wire: s, at: start))
        }
        // The labels in place: length bytes (at most 63) are never letters, so case folding and the
        // case check run over every byte, in the one pass that compares (a hit) or copies (a miss).
        let bytes = s.extracting(start..<(start + scan.wireLength - 1))
        if slots.isEmpty { return Self.copy(bytes, labels: scan.labels) }
        let hash = Self.lookupHash(bytes)
        let set = Self.sets.firstSlot(of: hash)
        var way = 0
        while way < CacheSets.ways && slots[set + way].hash != 0 {
            if slots[set + way].hash == hash, let mixedCase = Self.matches(slots[set + way].name, bytes) {
                return DNSName(
                    validatedWire: slots[set + way].name, hadMixedCase: mixedCase, wireHash: slots[set + way].wireHash,
                    labelCount: scan.labels)
            }
            way += 1
        }
        let name = Self.copy(bytes, labels: scan.labels)
        // The oldest (or an empty slot) goes; the ones before it move down one.
        CacheSets.makeRoom(&slots, set: set, from: min(way, CacheSets.ways - 1))
        slots[set] = Slot(hash: hash, wireHash: name.wireHash, name: name.wire)
        copies += 1
        return name
    }

    /// Where a name goes in the table: its length and its first and last 8 bytes, case folded. Two
    /// names that share them share a slot (the bytes are compared), which costs a copy, not a verdict.
    /// The ends are read as two words and mixed by two multiplies (~20 instructions; FNV-1a over the
    /// same 16 bytes, one multiply a byte, took ~95 a message on replay's reader thread).
    private static func lookupHash(_ bytes: Span<UInt8>) -> UInt64 {
        let count = bytes.count
        let fold: UInt64 = 0x2020_2020_2020_2020
        let first: UInt64, last: UInt64
        if count >= 8 {
            first = bytes.word(at: 0)
            last = bytes.word(at: count - 8)
        } else {
            first = bytes.shortWord(at: 0, length: count)
            last = first
        }
        var hash = (UInt64(count) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        hash = (hash ^ (first | fold)) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 32
        hash = (hash ^ (last | fold)) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 32
        return hash | 1
    }

    /// Whether `stored` (lower-cased) is `bytes` lower-cased, and if so whether `bytes` mix upper- and
    /// lower-case letters (nil when the names differ): one pass, every byte, differences OR-ed together
    /// (no branch per byte, so the loop runs 16 or 32 bytes a step).
    private static func matches(_ storedBytes: [UInt8], _ bytes: Span<UInt8>) -> Bool? {
        let stored = storedBytes.span
        guard stored.count == bytes.count else { return nil }
        // The stored name is lower-cased: bytes equal to it have no upper-case letter, so no mixed case.
        // Most names arrive in lower case, so this settles most hits (~25 instructions for a 70-byte
        // name, where the case-folding compare below took ~230).
        if stored.sameBytes(bytes) { return false }
        var difference: UInt8 = 0, upper: UInt8 = 0, lower: UInt8 = 0
        for i in 0..<bytes.count {
            let c = bytes[i]
            let isUpper: UInt8 = c &- 0x41 < 26 ? 1 : 0
            upper |= isUpper
            lower |= c &- 0x61 < 26 ? 1 : 0
            difference |= stored[i] ^ (c | isUpper << 5)
        }
        return difference == 0 ? upper != 0 && lower != 0 : nil
    }

    /// The name lower-cased, with its hash and whether it mixed case worked out in the same pass.
    private static func copy(_ bytes: Span<UInt8>, labels: Int) -> DNSName {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var upper: UInt8 = 0, lower: UInt8 = 0
        let wire = [UInt8](capacity: bytes.count) { out in
            for i in 0..<bytes.count {
                let c = bytes[i]
                let isUpper: UInt8 = c &- 0x41 < 26 ? 1 : 0
                upper |= isUpper
                lower |= c &- 0x61 < 26 ? 1 : 0
                let folded = c | isUpper << 5
                hash = (hash ^ UInt64(folded)) &* 0x100_0000_01b3
                out.append(folded)
            }
        }
        return DNSName(validatedWire: wire, hadMixedCase: upper != 0 && lower != 0, wireHash: hash, labelCount: labels)
    }

    /// Whether the labels of the name at `start` (pointers followed) mix upper- and lower-case letters.
    private static func mixedCase(wire s: Span<UInt8>, at start: Int) -> Bool {
        var upper = false, lower = false
        var pos = start
        while true {
            let b = s[pos]
            if b == 0 { return upper && lower }
            if b >= 0xC0 {
                pos = Int(b & 0x3F) << 8 | Int(s[pos + 1])
                continue
            }
            var i = pos + 1
            while i <= pos + Int(b) {
                let c = s[i]
                if c &- 0x41 < 26 { upper = true } else if c &- 0x61 < 26 { lower = true }
                i += 1
            }
            pos += 1 + Int(b)
        }
    }
}
