import AirlockEvents

/// Puts fragmented IPv4 and IPv6 datagrams back together, within fixed bounds: a table of at most
/// ``PacketDecoderConfiguration/maxReassemblies`` datagrams, each dropped after
/// ``PacketDecoderConfiguration/fragmentTimeout`` of packet time. Fragments that overlap earlier ones
/// with different bytes drop the whole datagram (the RFC 5722 rule, applied to IPv4 too): an overlap is
/// either corruption or an attempt to show the monitor other bytes than the receiver sees.
struct FragmentReassembler {
    struct Key: FoldedKeyHashing {
        var source: IPAddress
        var destination: IPAddress
        var identification: UInt32
        /// IPv4's protocol field; 0 for IPv6, whose upper protocol travels in the first fragment.
        var protocolNumber: UInt8

        var folded: UInt64 {
            source.folded &* 0xBF58_476D_1CE4_E5B9 ^ destination.folded ^ UInt64(identification) << 24
                ^ UInt64(protocolNumber) << 56
        }
    }

    /// A datagram being assembled.
    struct Partial {
        var firstSeen: Int64
        var data: [UInt8] = []
        /// Received byte ranges, sorted and merged.
        var ranges: [Range<Int>] = []
        /// Known once the last fragment (more-fragments clear) arrived.
        var totalLength: Int?
        /// The header that follows the fragmentable part's start (IPv6), from the offset-0 fragment.
        var firstHeader: UInt8?
        /// Set after an overlap or a size violation: later fragments are swallowed until timeout.
        var dropped = false
    }

    /// A finished datagram: the bytes after the IP header (IPv4) or after the fragment header (IPv6).
    struct Datagram {
        var payload: [UInt8]
        var firstHeader: UInt8
    }

    private var partials: [Key: Partial] = [:]
    let maxReassemblies: Int
    let timeout: Int64
    let maxBufferedBytes: Int

    init(configuration: PacketDecoderConfiguration) {
        maxReassemblies = max(1, configuration.maxReassemblies)
        timeout = configuration.fragmentTimeout.nanosecondCount
        maxBufferedBytes = configuration.maxBufferedBytes
    }

    var count: Int { partials.count }

    /// Adds one fragment; returns the datagram when this fragment completed it.
    mutating func add<Sink: PacketSink>(
        key: Key, offset: Int, moreFragments: Bool, header: UInt8, payload: Span<UInt8>, now: Int64,
        statistics: inout PacketStatistics, sink: inout Sink
    ) -> Datagram? {
        statistics.fragments += 1

        let end = offset + payload.count
        if partials[key] == nil {
            if partials.count >= maxReassemblies { evictOldest(statistics: &statistics, sink: &sink) }
            partials[key] = Partial(firstSeen: now)
        }
        guard let index = partials.index(forKey: key), !partials.values[index].dropped else { return nil }

        if end > 65_535 {
            drop(index, .fragmentTooLarge, statistics: &statistics, sink: &sink)
            return nil
        }
        if moreFragments && payload.count % 8 != 0 {
            drop(index, .fragmentMisaligned, statistics: &statistics, sink: &sink)
            return nil
        }
        switch placement(of: offset..<end, in: partials.values[index], payload: payload, last: !moreFragments) {
        case .duplicate:
            statistics.duplicateFragments += 1
            return nil
        case .conflict:
            drop(index, .fragmentOverlap, statistics: &statistics, sink: &sink)
            return nil
        case .new:
            break
        }
        let growth = max(0, end - partials.values[index].data.count)
        guard statistics.reserve(growth, limit: maxBufferedBytes) else {
            drop(index, .bufferBudgetExceeded, statistics: &statistics, sink: &sink)
            return nil
        }
        partials.values[index].store(payload, at: offset, last: !moreFragments, header: header)
        guard partials.values[index].isComplete else { return nil }

        let finished = partials.remove(at: index).value
        statistics.release(finished.data.count)
        statistics.datagramsReassembled += 1
        var bytes = finished.data
        bytes.removeLast(bytes.count - finished.totalLength!)
        return Datagram(payload: bytes, firstHeader: finished.firstHeader ?? header)
    }

    /// Reports every datagram still missing fragments (the capture ended) and forgets them all.
    mutating func finish<Sink: PacketSink>(statistics: inout PacketStatistics, sink: inout Sink) {
        for partial in partials.values {
            statistics.release(partial.data.count)
            if !partial.dropped { statistics.record(.fragmentIncomplete, &sink) }
        }
        partials.removeAll()
    }

    private enum Placement { case new, duplicate, conflict }

    private func placement(of range: Range<Int>, in partial: Partial, payload: Span<UInt8>, last: Bool) -> Placement {
        if let total = partial.totalLength {
            // A second "last" fragment must end at the same place; nothing may reach past the end.
            if range.upperBound > total || (last && range.upperBound != total) { return .conflict }
        } else if last, let highest = partial.ranges.last?.upperBound, highest > range.upperBound {
            return .conflict
        }
        // Identical bytes seen again are harmless (duplicated capture, re-fragmentation on another path);
        // different bytes for the same offsets are not.
        var covered = false
        for held in partial.ranges where held.overlaps(range) {
            let common = max(held.lowerBound, range.lowerBound)..<min(held.upperBound, range.upperBound)
            for index in common where partial.data[index] != payload[index - range.lowerBound] { return .conflict }
            if held.lowerBound <= range.lowerBound && held.upperBound >= range.upperBound { covered = true }
        }
        // An empty non-final fragment adds nothing.
        if range.isEmpty && !last { return .duplicate }
        return covered && !(last && partial.totalLength == nil) ? .duplicate : .new
    }

    private mutating func drop<Sink: PacketSink>(
        _ index: Dictionary<Key, Partial>.Index, _ reason: MalformedReason,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        statistics.release(partials.values[index].data.count)
        partials.values[index].data = []
        partials.values[index].ranges = []
        partials.values[index].dropped = true
        statistics.record(reason, &sink)
    }

    /// Drops datagrams older than the timeout.
    mutating func sweep<Sink: PacketSink>(now: Int64, statistics: inout PacketStatistics, sink: inout Sink) {
        guard !partials.isEmpty else { return }
        let deadline = now.saturatingSubtract(timeout)
        var expired: [Key] = []
        for index in partials.indices where partials.values[index].firstSeen < deadline {
            expired.append(partials.keys[index])
        }
        for key in expired {
            guard let partial = partials.removeValue(forKey: key) else { continue }
            statistics.release(partial.data.count)
            if !partial.dropped { statistics.record(.fragmentTimeout, &sink) }
        }
    }

    /// The table is full: the oldest sixteenth of the partial datagrams go (amortised O(1) per insertion
    /// under a flood of fragments with fresh identifications).
    private mutating func evictOldest<Sink: PacketSink>(statistics: inout PacketStatistics, sink: inout Sink) {
        var times: [Int64] = []
        times.reserveCapacity(partials.count)
        for index in partials.indices { times.append(partials.values[index].firstSeen) }
        guard !times.isEmpty else { return }
        let batch = RecencyEviction.batch(of: times.count)
        let threshold = RecencyEviction.threshold(&times, batch: batch)
        var victims: [Key] = []
        victims.reserveCapacity(batch)
        for index in partials.indices where victims.count < batch && partials.values[index].firstSeen <= threshold {
            victims.append(partials.keys[index])
        }
        for key in victims {
            guard let victim = partials.removeValue(forKey: key) else { continue }
            statistics.release(victim.data.count)
            if !victim.dropped { statistics.record(.fragmentTableFull, &sink) }
        }
    }
}

extension FragmentReassembler.Partial {
    mutating func store(_ payload: Span<UInt8>, at offset: Int, last: Bool, header: UInt8) {
        let end = offset + payload.count
        if data.count < end { data += [UInt8](repeating: 0, count: end - data.count) }
        // Through a span of the buffer: a loop of array stores checked uniqueness and bounds per byte
        // (~7 instructions a byte, 2 % of replay on a capture with fragmented answers).
        var held = data.mutableSpan
        for index in 0..<payload.count { held[offset + index] = payload[index] }
        if last { totalLength = end }
        if offset == 0 { firstHeader = header }
        guard !payload.isEmpty else { return }
        var merged = offset..<end
        var kept: [Range<Int>] = []
        kept.reserveCapacity(ranges.count + 1)
        for held in ranges {
            if held.upperBound < merged.lowerBound || held.lowerBound > merged.upperBound {
                kept.append(held)
            } else {
                merged = min(held.lowerBound, merged.lowerBound)..<max(held.upperBound, merged.upperBound)
            }
        }
        let insertAt = kept.firstIndex { $0.lowerBound > merged.lowerBound } ?? kept.count
        kept.insert(merged, at: insertAt)
        ranges = kept
    }

    var isComplete: Bool {
        guard let totalLength else { return false }
        return ranges.count == 1 && ranges[0] == 0..<totalLength
    }
}
