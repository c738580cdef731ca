import AirlockEvents

/// A cache in front of ``DomainGrouper``: the PSL walk and the key's string are paid once per distinct
/// name tail, not once per query. A tunnel's names differ in their data labels but share their tail,
/// so nearly every query hits. Slots are kept in sets of ``CacheSets/ways``, newest first
/// (direct-mapped, two tails sharing a slot were grouped again each time they alternated).
///
/// The cache key is the name's last five labels in wire form (no public suffix has more than four
/// labels, so eTLD+1 lies within them) plus the server when the grouping falls back to it.
public struct GroupingCache: Sendable {
    private let grouper: DomainGrouper
    /// libpsl's answers for the hostname tails of the names that missed (a tunnel's data labels
    /// defeat the cache, not the memo).
    private var memo: PublicSuffixMemo
    /// What a slot holds besides the tail's bytes, side by side: a lookup reads one or two cache lines
    /// here and the tail's bytes, where separate arrays for each field cost a miss apiece (most of a
    /// lookup in a capture with tens of thousands of names).
    private struct Slot {
        /// The tail's hash, ``tailHash(_:of:)`` (0: empty).
        var hash: UInt64 = 0
        /// The tail's length (255: longer).
        var tailLength: UInt8 = 0
        /// For a ``DomainKey/Kind/serverAddress`` key, the server it holds for.
        var server: IPAddress?
        var key = DomainKey(value: "", kind: .suffixOnly, labelCount: 0)
    }

    private var slots: [Slot]
    /// The tails' bytes, ``tailStride`` a slot in one flat array (no array per tail to retain on every
    /// lookup).
    private var tailBytes: [UInt8]
    /// Tails longer than ``tailStride`` (data labels inside the last five), kept apart.
    private var longTails: [[UInt8]]
    private let sets: CacheSets
    public private(set) var hits = 0
    public private(set) var misses = 0
    /// Bytes of a tail stored inline; longer ones (rare: data labels) go to ``longTails``.
    static let tailStride = 64

    /// - Parameter capacity: slots, rounded up to a power of two (memory: capacity × ~150 bytes).
    public init(grouper: DomainGrouper = DomainGrouper(), capacity: Int = 8192) {
        sets = CacheSets(slots: capacity)
        let size = sets.slotCount
        self.grouper = grouper
        memo = PublicSuffixMemo(capacity: max(size / 16, 256))
        slots = [Slot](repeating: Slot(), count: size)
        tailBytes = [UInt8](repeating: 0, count: size * Self.tailStride)
        longTails = [[UInt8]](repeating: [], count: size)
    }

    public mutating func key(for name: DNSName, server: Endpoint) -> DomainKey {
        let wire = name.wire
        let bytes = wire.span
        // A name of five labels or fewer is its own tail: its label count is stored, so no walk.
        let tailStart = name.labelCount <= 5 ? 0 : Self.tailStart(wire, labels: 5)
        let tail = bytes.extracting(tailStart..<bytes.count)
        let hash = Self.tailHash(tail, of: name, whole: tailStart == 0)
        let set = sets.firstSlot(of: hash)
        let length = tail.count
        var way = 0
        while way < CacheSets.ways && slots[set + way].hash != 0 {
            let slot = set + way
            if slots[slot].hash == hash && Int(slots[slot].tailLength) == min(length, 255)
                && (length <= Self.tailStride
                    ? tailBytes.span.extracting((slot * Self.tailStride)..<(slot * Self.tailStride + length))
                        .sameBytes(tail)
                    : Self.equal(longTails[slot], bytes, from: tailStart))
                && (slots[slot].server == nil || slots[slot].server == server.address)
            {
                hits += 1
                return slots[slot].key
            }
            way += 1
        }
        misses += 1
        let key = grouper.key(for: name, server: server, memo: &memo)
        // A group whose labels reach beyond the tail would not be determined by it: don't cache. Nor a
        // suffix-only key as long as the tail: it counts the name's own labels (a name that is a suffix
        // itself, or binary labels over one), and a longer name with the same tail has another key.
        let tailLabels = Self.labelCount(wire, from: tailStart)
        if key.kind == .serverAddress || key.labelCount < tailLabels
            || (key.labelCount == tailLabels && key.kind != .suffixOnly)
        {
            // The oldest (or an empty slot) goes; the ones before it move down one.
            makeRoom(set, from: min(way, CacheSets.ways - 1))
            let slot = set
            slots[slot].hash = hash
            slots[slot].tailLength = UInt8(min(length, 255))
            if length <= Self.tailStride {
                var j = 0
                while j < length {
                    tailBytes[slot * Self.tailStride + j] = bytes[tailStart + j]
                    j += 1
                }
                if !longTails[slot].isEmpty { longTails[slot] = [] }
            } else {
                longTails[slot] = Array(wire[tailStart...])
            }
            slots[slot].key = key
            slots[slot].server = key.kind == .serverAddress ? server.address : nil
        }
        return key
    }

    /// ``CacheSets/makeRoom(_:set:from:)`` for the slots, their long tails and their inline tail bytes
    /// (swapped eight bytes at a time).
    private mutating func makeRoom(_ set: Int, from way: Int) {
        guard way > 0 else { return }
        CacheSets.makeRoom(&slots, set: set, from: way)
        CacheSets.makeRoom(&longTails, set: set, from: way)
        let stride = Self.tailStride
        tailBytes.withUnsafeMutableBytes { raw in
            var i = set + way
            while i > set {
                var k = 0
                while k < stride {
                    let a = (i - 1) * stride + k, b = i * stride + k
                    let x = raw.loadUnaligned(fromByteOffset: a, as: UInt64.self)
                    raw.storeBytes(of: raw.loadUnaligned(fromByteOffset: b, as: UInt64.self), toByteOffset: a, as: UInt64.self)
                    raw.storeBytes(of: x, toByteOffset: b, as: UInt64.self)
                    k += 8
                }
                i -= 1
            }
        }
    }

    /// The hash a tail is kept under (never 0). A whole name's is its ``DNSName/wireHash``, made when the
    /// name was; a longer name's tail is hashed here from its length and its first, middle and last
    /// eight bytes, read as words (~25 instructions: FNV-1a over a tail of one of the benchmark
    /// capture's six-label names took ~470). The same tail reached both ways is kept in two slots with
    /// the same key: a hash only picks the set, the bytes decide a hit.
    static func tailHash(_ tail: Span<UInt8>, of name: DNSName, whole: Bool) -> UInt64 {
        if whole { return name.wireHash | 1 }
        let count = tail.count
        let first: UInt64, middle: UInt64, last: UInt64
        if count >= 8 {
            first = tail.word(at: 0)
            middle = tail.word(at: (count - 8) / 2)
            last = tail.word(at: count - 8)
        } else {
            first = tail.shortWord(at: 0, length: count)
            middle = 0
            last = 0
        }
        var hash = (UInt64(count) &+ 1) &* 0x9E37_79B9_7F4A_7C15
        hash = (hash ^ first) &* 0xBF58_476D_1CE4_E5B9
        hash ^= hash >> 32
        hash = (hash ^ middle) &* 0x94D0_49BB_1331_11EB
        hash ^= hash >> 32
        hash = (hash ^ last) &* 0xFF51_AFD7_ED55_8CCD
        hash ^= hash >> 32
        return hash | 1
    }

    /// Whether `stored` holds `wire` from `start` on (also ``PublicSuffixMemo``'s check).
    static func equal(_ stored: [UInt8], _ wire: Span<UInt8>, from start: Int) -> Bool {
        stored.span.sameBytes(wire.extracting(start..<wire.count))
    }

    /// Byte offset where the last `labels` labels begin.
    static func tailStart(_ wire: [UInt8], labels: Int) -> Int {
        let bytes = wire.span
        var starts = InlineArray<8, Int>(repeating: 0)
        var count = 0, i = 0
        while i < bytes.count {
            starts[count & 7] = i
            count += 1
            i += Int(bytes[i]) + 1
        }
        return count <= labels ? 0 : starts[(count - labels) & 7]
    }

    static func labelCount(_ wire: [UInt8], from start: Int) -> Int {
        var count = 0, i = start
        while i < wire.count {
            count += 1
            i += Int(wire[i]) + 1
        }
        return count
    }
}
