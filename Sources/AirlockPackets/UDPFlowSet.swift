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
                var times = Array(lastSeen.values)
                let batch = RecencyEviction.batch(of: times.count)
                let threshold = RecencyEviction.threshold(&times, batch: batch)
                var victims: [Key] = []
                victims.reserveCapacity(batch)
                for (key, seen) in lastSeen where seen <= threshold && victims.count < batch { victims.append(key) }
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

/// Picks the least recently seen entries of a full table, a batch at a time (a sixteenth) so that a
/// flood of new keys costs amortised O(1) per insertion rather than a full scan each.
enum RecencyEviction {
    /// How many entries one eviction removes from a table of `count`.
    static func batch(of count: Int) -> Int { max(1, count / 16) }

    /// The time at or before which the `batch` least recent entries were last seen.
    static func threshold(_ times: inout [Int64], batch: Int) -> Int64 {
        kthSmallest(&times, batch - 1)
    }

    /// Hoare's selection: the element that would sit at `k` if `values` were sorted (reorders it).
    static func kthSmallest(_ values: inout [Int64], _ k: Int) -> Int64 {
        var low = 0
        var high = values.count - 1
        let target = min(max(k, 0), high)
        while low < high {
            let pivot = values[low + (high - low) / 2]
            var i = low
            var j = high
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            if target <= j {
                high = j
            } else if target >= i {
                low = i
            } else {
                return values[target]
            }
        }
        return values[target]
    }
}
