import AirlockEvents

/// A direct-mapped cache in front of ``DomainGrouper``: the PSL walk and the key's string are paid
/// once per distinct name tail, not once per query. A tunnel's names differ in their data labels but
/// share their tail, so nearly every query hits.
///
/// The cache key is the name's last five labels in wire form (no public suffix has more than four
/// labels, so eTLD+1 lies within them) plus the server when the grouping falls back to it.
public struct GroupingCache: Sendable {
    private struct Entry {
        var hash: UInt64
        var tail: [UInt8]
        var key: DomainKey
    }

    private let grouper: DomainGrouper
    private var slots: [Entry?]
    private let mask: Int
    public private(set) var hits = 0
    public private(set) var misses = 0

    /// - Parameter capacity: slots, rounded up to a power of two (memory: capacity × ~100 bytes).
    public init(grouper: DomainGrouper = DomainGrouper(), capacity: Int = 8192) {
        var size = 1
        while size < capacity { size <<= 1 }
        self.grouper = grouper
        self.slots = Array(repeating: nil, count: size)
        self.mask = size - 1
    }

    public mutating func key(for name: DNSName, server: Endpoint) -> DomainKey {
        let wire = name.wire
        let tailStart = Self.tailStart(wire, labels: 5)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for i in tailStart..<wire.count { hash = (hash ^ UInt64(wire[i])) &* 0x100_0000_01b3 }
        let slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        if let entry = slots[slot], entry.hash == hash, entry.tail.elementsEqual(wire[tailStart...]) {
            if entry.key.kind != .serverAddress {
                hits += 1
                return entry.key
            }
            if entry.key.value == server.address.description {
                hits += 1
                return entry.key
            }
        }
        misses += 1
        let key = grouper.key(for: name, server: server)
        // A group whose labels reach beyond the tail would not be determined by it: don't cache.
        if key.kind == .serverAddress || key.labelCount <= Self.labelCount(wire, from: tailStart) {
            slots[slot] = Entry(hash: hash, tail: Array(wire[tailStart...]), key: key)
        }
        return key
    }

    /// Byte offset where the last `labels` labels begin.
    static func tailStart(_ wire: [UInt8], labels: Int) -> Int {
        var starts = InlineArray<8, Int>(repeating: 0)
        var count = 0, i = 0
        while i < wire.count {
            starts[count & 7] = i
            count += 1
            i += Int(wire[i]) + 1
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
