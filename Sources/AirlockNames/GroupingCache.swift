import AirlockEvents

/// A direct-mapped cache in front of ``DomainGrouper``: the PSL walk and the key's string are paid
/// once per distinct name tail, not once per query. A tunnel's names differ in their data labels but
/// share their tail, so nearly every query hits.
///
/// The cache key is the name's last five labels in wire form (no public suffix has more than four
/// labels, so eTLD+1 lies within them) plus the server when the grouping falls back to it.
public struct GroupingCache: Sendable {
    private let grouper: DomainGrouper
    /// Per slot (parallel arrays, so a lookup copies nothing but the key it returns): the tail's
    /// FNV-1a hash (0: empty), the tail's bytes, the key, and for a ``DomainKey/Kind/serverAddress``
    /// key the server it holds for.
    private var hashes: [UInt64]
    private var tails: [[UInt8]]
    private var keys: [DomainKey]
    private var servers: [IPAddress?]
    private let mask: Int
    public private(set) var hits = 0
    public private(set) var misses = 0

    /// - Parameter capacity: slots, rounded up to a power of two (memory: capacity × ~100 bytes).
    public init(grouper: DomainGrouper = DomainGrouper(), capacity: Int = 8192) {
        var size = 1
        while size < capacity { size <<= 1 }
        self.grouper = grouper
        hashes = [UInt64](repeating: 0, count: size)
        tails = [[UInt8]](repeating: [], count: size)
        keys = [DomainKey](repeating: DomainKey(value: "", kind: .suffixOnly, labelCount: 0), count: size)
        servers = [IPAddress?](repeating: nil, count: size)
        self.mask = size - 1
    }

    public mutating func key(for name: DNSName, server: Endpoint) -> DomainKey {
        let wire = name.wire
        let bytes = wire.span
        let tailStart = Self.tailStart(wire, labels: 5)
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        var i = tailStart
        while i < bytes.count {
            hash = (hash ^ UInt64(bytes[i])) &* 0x100_0000_01b3
            i += 1
        }
        hash |= 1
        let slot = Int(truncatingIfNeeded: hash ^ (hash >> 29)) & mask
        if hashes[slot] == hash && Self.tail(tails[slot], equals: bytes, from: tailStart) {
            if servers[slot] == nil || servers[slot] == server.address {
                hits += 1
                return keys[slot]
            }
        }
        misses += 1
        let key = grouper.key(for: name, server: server)
        // A group whose labels reach beyond the tail would not be determined by it: don't cache.
        if key.kind == .serverAddress || key.labelCount <= Self.labelCount(wire, from: tailStart) {
            hashes[slot] = hash
            tails[slot] = Array(wire[tailStart...])
            keys[slot] = key
            servers[slot] = key.kind == .serverAddress ? server.address : nil
        }
        return key
    }

    /// Whether `tail` holds the bytes of `wire` from `start` on.
    private static func tail(_ stored: [UInt8], equals wire: Span<UInt8>, from start: Int) -> Bool {
        let tail = stored.span
        guard tail.count == wire.count - start else { return false }
        var i = 0
        while i < tail.count {
            if tail[i] != wire[start + i] { return false }
            i += 1
        }
        return true
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
