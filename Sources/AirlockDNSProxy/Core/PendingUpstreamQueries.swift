import AirlockDNSWire
import AirlockEvents

/// Queries sent upstream and not yet answered, keyed the way an answer must match them: the
/// upstream it went to, the transport, and the random ID it went with. The question is checked too
/// (by the core), so a spoofed or late answer finds nothing, or finds a different question, and is dropped.
struct PendingUpstreamQueries {
    struct Key: Hashable {
        var upstream: Endpoint
        var transport: Transport
        var id: UInt16

        /// The fields packed into one or three words: every query hashes its key three times (a
        /// fresh ID's check, the insert, the answer's lookup), and the synthesized hash fed the
        /// hasher field by field.
        func hash(into hasher: inout Hasher) {
            let low = UInt64(upstream.port) << 24 | UInt64(id) << 8 | (transport == .udp ? 0 : 1)
            switch upstream.address {
            case .v4(let address):
                hasher.combine(UInt64(address) << 40 ^ low)
            case .v6(let high, let lowHalf):
                hasher.combine(high)
                hasher.combine(lowHalf)
                hasher.combine(low)
            }
        }
    }

    struct Entry {
        var client: ClientHandle
        /// The client's own query ID, restored in the answer.
        var clientID: UInt16
        /// The query sent upstream (``UpstreamQueryWriter``, the current upstream ID in place), resent
        /// on retries: not the client's bytes.
        var query: [UInt8]
        /// The question as the client wrote it when its case differs from the lower-case form sent
        /// upstream (put back into the answer), else nil.
        var clientQuestion: [UInt8]?
        var question: DNSQuestion
        /// The domain group the engine put the question in (for answer-stage records).
        var domain: DomainKey
        /// Largest answer the client takes over UDP (its EDNS size, at least 512).
        var udpLimit: Int
        var upstreams: [Endpoint]
        /// Index into ``upstreams`` of the first attempt; attempt `n` goes to `(first + n) % count`.
        var firstUpstream: Int
        var attempt: Int
        var maxAttempts: Int
        var timeoutNanoseconds: Int64
        var cacheKey: PacketCache.Key?
        /// Monotonic time the query arrived, for the failure message.
        var arrived: Int64
        var serial: UInt64 = 0
        var deadline: Int64 = 0

        var currentUpstream: Endpoint { upstreams[(firstUpstream + attempt) % upstreams.count] }

        /// The forwarded query with the client's question bytes: what the proxy's own answers
        /// (SERVFAIL, a rebinding block) are built from, so they echo the client's case.
        var clientView: [UInt8] {
            guard let clientQuestion else { return query }
            var out = query
            MessageEditing.restoreQuestion(
                clientQuestion, in: &out, at: DNSHeader.byteCount..<(DNSHeader.byteCount + clientQuestion.count))
            return out
        }
    }

    private var entries: [Key: Entry] = [:]
    private var deadlines = DeadlineHeap()
    private var nextSerial: UInt64 = 1

    var count: Int { entries.count }

    func contains(_ key: Key) -> Bool { entries.index(forKey: key) != nil }

    func peek(_ key: Key) -> Entry? { entries[key] }

    /// Stores `entry` under `key`, due at `deadline` (monotonic ns).
    mutating func insert(_ key: Key, _ entry: consuming Entry, deadline: Int64) {
        entry.serial = nextSerial
        entry.deadline = deadline
        nextSerial &+= 1
        entries[key] = entry
        deadlines.push(DeadlineHeap.Item(deadline: deadline, serial: entry.serial, key: key))
    }

    mutating func remove(_ key: Key) -> Entry? { entries.removeValue(forKey: key) }

    /// What an answer found under its key.
    enum Match {
        case none
        /// An entry is waiting under the key but for another question: it stays.
        case otherQuestion
        case entry(Entry)
    }

    /// Removes and returns the entry under `key` when it waits for `question` (name compared
    /// case-insensitively, type and class exactly); one hash lookup.
    mutating func take(_ key: Key, question: DNSQuestion) -> Match {
        guard let index = entries.index(forKey: key) else { return .none }
        // Taken out first (a move; reading the question in place copied the whole entry) and put
        // back in the rare case of another question.
        let (_, waiting) = entries.remove(at: index)
        let asked = waiting.question
        guard question.name.wire == asked.name.wire, question.type == asked.type, question.qclass == asked.qclass
        else {
            entries[key] = waiting
            return .otherQuestion
        }
        return .entry(waiting)
    }

    /// The earliest deadline still pending (stale heap items are skipped).
    mutating func nextDeadline() -> Int64? {
        while let top = deadlines.top {
            if let index = entries.index(forKey: top.key), entries.values[index].serial == top.serial {
                return top.deadline
            }
            _ = deadlines.pop()
        }
        return nil
    }

    /// Removes and returns the entries whose deadline is at or before `now`.
    mutating func expired(now: Int64) -> [(Key, Entry)] {
        var out: [(Key, Entry)] = []
        while let top = deadlines.top, top.deadline <= now {
            _ = deadlines.pop()
            if let entry = entries[top.key], entry.serial == top.serial {
                entries[top.key] = nil
                out.append((top.key, entry))
            }
        }
        return out
    }

    /// Removes and returns every entry sent to `upstream` over `transport` (it is unreachable).
    mutating func removeAll(upstream: Endpoint, transport: Transport) -> [(Key, Entry)] {
        let keys = entries.keys.filter { $0.upstream == upstream && $0.transport == transport }
        return keys.compactMap { key in entries.removeValue(forKey: key).map { (key, $0) } }
    }
}

/// A binary min-heap of deadlines with lazy deletion: answered queries leave stale items that are
/// skipped when they surface, so an answer costs no heap work.
struct DeadlineHeap {
    struct Item {
        var deadline: Int64
        var serial: UInt64
        var key: PendingUpstreamQueries.Key
    }

    private var items: [Item] = []

    var top: Item? { items.first }
    var count: Int { items.count }

    mutating func push(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].deadline < items[parent].deadline else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> Item? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let item = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count && items[left].deadline < items[smallest].deadline { smallest = left }
            if right < items.count && items[right].deadline < items[smallest].deadline { smallest = right }
            if smallest == parent { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return item
    }
}
