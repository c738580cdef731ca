/// Splits one direction of a DNS-over-TCP stream into messages (RFC 7766: a 2-byte length, then the
/// message). Messages wholly inside one chunk are delivered straight from the packet; only a message
/// that spans chunks is copied.
///
/// The framer trusts a length prefix only when the header after it is plausible. When it is not (junk,
/// a gap, a mid-connection start) the framer is *unsynchronised*: it skips bytes until a chunk starts
/// with a length and a header that look like a real message, rather than deliver garbage.
struct DNSStreamFramer {
    /// True when the next byte is the first of a length prefix.
    private(set) var isSynchronised: Bool
    /// A message (with its length prefix) begun but not finished.
    private var partial: [UInt8] = []
    /// While unsynchronised: a chunk too short to judge, kept to be judged with the next one.
    private var candidate: [UInt8] = []

    init(synchronised: Bool) {
        isSynchronised = synchronised
    }

    var bufferedBytes: Int { partial.count + candidate.count }

    /// A length prefix followed by a plausible header with one well-formed question (or DSO).
    private static func startsMessage(_ bytes: Span<UInt8>) -> Bool {
        bytes.count >= 14
            && DNSPlausibility.looksLikeMessageStart(
                bytes, at: 2, length: Int(bytes.be16(0)), requireCompleteQuestion: false)
    }

    private mutating func dropCandidate(statistics: inout PacketStatistics) {
        statistics.tcpBytesSkipped += candidate.count
        statistics.release(candidate.count)
        candidate = []
    }

    /// What one pass over bytes found.
    private struct Scan {
        /// Bytes used by complete messages.
        var consumed = 0
        /// Framing broke at `consumed`; the rest is junk.
        var broken: MalformedReason?
    }

    /// Feeds the next in-order bytes of the stream. `context` names the direction and the packet time.
    mutating func consume<Sink: PacketSink>(
        _ chunk: Span<UInt8>, context: FlowContext, budget: Int,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        guard !chunk.isEmpty else { return }
        if !isSynchronised {
            if !candidate.isEmpty {
                // A short chunk (often a lone length prefix) followed by this one may start a message.
                var combined = candidate
                chunk.append(0..<chunk.count, to: &combined)
                let usable = Self.startsMessage(combined.span)
                statistics.release(candidate.count)
                if !usable { statistics.tcpBytesSkipped += candidate.count }
                candidate = []
                if usable {
                    isSynchronised = true
                    consume(combined.span, context: context, budget: budget, statistics: &statistics, sink: &sink)
                    return
                }
            }
            if chunk.count < 14 {
                guard statistics.reserve(chunk.count, limit: budget) else {
                    statistics.tcpBytesSkipped += chunk.count
                    return
                }
                chunk.append(0..<chunk.count, to: &candidate)
                return
            }
            guard Self.startsMessage(chunk) else {
                statistics.tcpBytesSkipped += chunk.count
                return
            }
            isSynchronised = true
        }
        if partial.isEmpty {
            let scan = Self.deliver(chunk, context: context, statistics: &statistics, sink: &sink)
            if let reason = scan.broken {
                desynchronise(reason, skipped: chunk.count - scan.consumed, statistics: &statistics, sink: &sink)
                return
            }
            guard scan.consumed < chunk.count else { return }
            guard statistics.reserve(chunk.count - scan.consumed, limit: budget) else {
                desynchronise(
                    .bufferBudgetExceeded, skipped: chunk.count - scan.consumed, statistics: &statistics, sink: &sink)
                return
            }
            chunk.append(scan.consumed..<chunk.count, to: &partial)
            return
        }
        guard statistics.reserve(chunk.count, limit: budget) else {
            desynchronise(.bufferBudgetExceeded, skipped: chunk.count, statistics: &statistics, sink: &sink)
            return
        }
        chunk.append(0..<chunk.count, to: &partial)
        let scan = Self.deliver(partial.span, context: context, statistics: &statistics, sink: &sink)
        if let reason = scan.broken {
            desynchronise(reason, skipped: partial.count - scan.consumed, statistics: &statistics, sink: &sink)
            return
        }
        statistics.release(scan.consumed)
        partial.removeFirst(scan.consumed)
    }

    /// Bytes were lost before the next chunk: whatever message was in progress cannot be completed.
    /// Returns true if a partial message was dropped.
    @discardableResult
    mutating func gap(statistics: inout PacketStatistics) -> Bool {
        let dropped = !partial.isEmpty
        dropCandidate(statistics: &statistics)
        statistics.tcpBytesSkipped += partial.count
        statistics.release(partial.count)
        partial = []
        isSynchronised = false
        return dropped
    }

    /// The stream ended (close, eviction, end of capture): a buffered partial message is reported.
    mutating func finish<Sink: PacketSink>(statistics: inout PacketStatistics, sink: inout Sink) {
        if gap(statistics: &statistics) { statistics.record(.tcpIncompleteMessage, &sink) }
    }

    private mutating func desynchronise<Sink: PacketSink>(
        _ reason: MalformedReason, skipped: Int, statistics: inout PacketStatistics, sink: inout Sink
    ) {
        statistics.record(reason, &sink)
        statistics.tcpBytesSkipped += skipped
        statistics.release(partial.count)
        partial = []
        isSynchronised = false
    }

    /// Delivers every complete message at the start of `bytes`, stopping at an incomplete one or at
    /// broken framing.
    private static func deliver<Sink: PacketSink>(
        _ bytes: Span<UInt8>, context: FlowContext, statistics: inout PacketStatistics, sink: inout Sink
    ) -> Scan {
        var scan = Scan()
        while bytes.count - scan.consumed >= 2 {
            let start = scan.consumed
            let length = Int(bytes.be16(start))
            guard length >= 12 else {
                scan.broken = .tcpBadDNSLength
                return scan
            }
            if bytes.count - start >= 14
                && !DNSPlausibility.headerFits(bytes, at: start + 2, length: length, anyOpcode: true)
            {
                scan.broken = .tcpImplausibleDNSHeader
                return scan
            }
            guard bytes.count - start >= 2 + length else { return scan }
            statistics.tcpDNSMessages += 1
            sink.dnsMessage(context, bytes.extracting((start + 2)..<(start + 2 + length)))
            scan.consumed = start + 2 + length
        }
        return scan
    }
}
