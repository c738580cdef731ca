import AirlockEvents

/// Remembers which watched UDP 5-tuples were already reported, so each is reported once. Bounded: idle
/// tuples are forgotten, and when full the least recently seen go first.
struct UDPFlowSet {
    struct Key: Hashable {
        var source: Endpoint
        var destination: Endpoint
    }

    private var lastSeen: [Key: Int64] = [:]
    let maxFlows: Int
    let idleTimeout: Int64

    init(configuration: PacketDecoderConfiguration) {
        maxFlows = max(1, configuration.maxUDPFlows)
        idleTimeout = configuration.udpIdleTimeout.nanosecondCount
    }

    var count: Int { lastSeen.count }

    /// Notes a datagram; true when its 5-tuple is new.
    mutating func isNew<Sink: PacketSink>(
        _ key: Key, now: Int64, statistics: inout PacketStatistics, sink: inout Sink
    ) -> Bool {
        if let index = lastSeen.index(forKey: key) {
            lastSeen.values[index] = now
            return false
        }
        if lastSeen.count >= maxFlows {
            sweep(now: now)
            if lastSeen.count >= maxFlows {
                let victims = RecencyEviction.oldest(lastSeen, fraction: 16)
                for victim in victims {
                    lastSeen[victim] = nil
                    statistics.record(.udpFlowTableFull, &sink)
                }
            }
        }
        lastSeen[key] = now
        return true
    }

    mutating func sweep(now: Int64) {
        let deadline = now.saturatingSubtract(idleTimeout)
        guard lastSeen.values.contains(where: { $0 < deadline }) else { return }
        lastSeen = lastSeen.filter { $0.value >= deadline }
    }
}

/// Picks the least recently seen entries of a full table, a batch at a time so that a flood of new keys
/// costs amortised O(log n) per insertion rather than a full scan each.
enum RecencyEviction {
    static func oldest<Key: Hashable>(_ table: [Key: Int64], fraction: Int) -> [Key] {
        oldest(table.map { ($0.key, $0.value) }, fraction: fraction)
    }

    static func oldest<Key>(_ entries: [(Key, Int64)], fraction: Int) -> [Key] {
        let count = max(1, entries.count / fraction)
        return entries.sorted { $0.1 < $1.1 }.prefix(count).map(\.0)
    }
}
