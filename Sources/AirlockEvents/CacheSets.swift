/// The slot arithmetic of a fixed-size cache kept in sets of ``ways`` adjacent slots (the name table,
/// the grouping cache, the feature cache): a key may sit in any slot of its set, the most recently
/// used first, and a new key takes the place of the set's least recently used.
///
/// Why not one slot a key (direct-mapped): two keys that share a slot push each other out whenever
/// they alternate, however empty the rest of the table is. Replaying a capture of 6,070 distinct names
/// through a 16,384-slot table, a third of them did, every pass; four ways keep a key unless four
/// others of its set were used since (LRU), for the price of comparing up to four slots that lie in
/// one or two cache lines.
public struct CacheSets: Sendable {
    /// Slots a key may sit in.
    public static let ways = 4

    /// The slot count, a power of two and at least ``ways``.
    public let slotCount: Int
    @usableFromInline let setMask: UInt64

    /// `slots` rounded up to a power of two, at least ``ways``.
    public init(slots: Int) {
        var count = Self.ways
        while count < slots { count <<= 1 }
        slotCount = count
        setMask = UInt64(count - Self.ways)
    }

    /// The first slot of the set `hash` falls in (the hash's bits above the way bits pick the set).
    @inlinable @inline(__always)
    public func firstSlot(of hash: UInt64) -> Int {
        Int(truncatingIfNeeded: (hash ^ (hash >> 29)) & setMask)
    }

    /// Moves the slot `way` of the set starting at `first` to the front, the ones before it down one:
    /// swaps, so nothing a slot holds is retained or released. After a miss, `way` is the last
    /// (least recently used) slot, which the new key then overwrites.
    /// Always inlined: called for every hit, nearly all of them in the front slot already.
    @inlinable @inline(__always)
    public static func moveToFront<Slot>(_ slots: inout [Slot], set first: Int, from way: Int) {
        guard way > 0 else { return }
        var i = first + way
        while i > first {
            slots.swapAt(i, i - 1)
            i -= 1
        }
    }
}
