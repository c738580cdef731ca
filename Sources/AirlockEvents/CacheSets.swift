/// The slot arithmetic of a fixed-size cache kept in sets of ``ways`` adjacent slots (the name table,
/// the grouping cache, the feature cache): a key may sit in any slot of its set, the newest first,
/// and a new key pushes out the set's oldest (first in, first out: a hit moves nothing, so a lookup
/// writes nothing; least-recently-used, which moved every hit found behind the front, kept as many
/// keys in a simulation of the name table over the benchmark capture's names, 498 misses a pass
/// against 507, and cost more: the grouping cache's promotions swapped 64-byte tails).
///
/// Why not one slot a key (direct-mapped): two keys that share a slot push each other out whenever
/// they alternate, however empty the rest of the table is. Replaying a capture of 6,070 distinct names
/// through a 16,384-slot table, a third of them did, every pass; four ways keep a key unless four
/// others of its set came in since, for the price of comparing up to four slots that lie in one or
/// two cache lines.
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

    /// Makes room at the front of the set starting at `first` for a new key: the slots before `way` (the
    /// first empty one, or the last, the oldest) move down one, and slot `way`'s content ends up at the
    /// front, for the caller to overwrite. Swaps, so nothing a slot holds is retained or released.
    @inlinable @inline(__always)
    public static func makeRoom<Slot>(_ slots: inout [Slot], set first: Int, from way: Int) {
        guard way > 0 else { return }
        var i = first + way
        while i > first {
            slots.swapAt(i, i - 1)
            i -= 1
        }
    }
}
