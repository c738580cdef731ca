import AirlockEvents

/// One TCP segment's header fields, as the tracker needs them.
struct TCPSegment {
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let ack: UInt8 = 0x10

    var source: Endpoint
    var destination: Endpoint
    var sequence: UInt32
    var acknowledgement: UInt32
    var flags: UInt8
    var time: Timestamp

    func has(_ flag: UInt8) -> Bool { flags & flag != 0 }
}

/// Tracks TCP connections: DNS connections are reassembled in both directions and split into messages;
/// every other connection only until its first client payload is delivered. The table is bounded
/// (``PacketDecoderConfiguration/maxTCPFlows``), idle connections are forgotten by packet time, and
/// closed connections stay as small tombstones until then so late retransmissions are not mistaken
/// for new connections.
struct TCPTracker {
    /// A connection independent of direction: its endpoints in a fixed order.
    struct Key: FoldedKeyHashing {
        var low: Endpoint
        var high: Endpoint

        var folded: UInt64 { low.folded &* 0xBF58_476D_1CE4_E5B9 ^ high.folded }

        /// The key for a segment and whether its sender is `low`.
        static func make(_ source: Endpoint, _ destination: Endpoint) -> (Key, fromLow: Bool) {
            if EndpointOrder.precedes(source, destination) {
                return (Key(low: source, high: destination), true)
            }
            return (Key(low: destination, high: source), false)
        }
    }

    /// One direction of a DNS connection.
    struct DNSDirection {
        var assembler = SegmentAssembler()
        var framer = DNSStreamFramer(synchronised: false)
        /// Highest sequence number the peer acknowledged: proof that bytes before it were sent.
        var acknowledgedByPeer: UInt32?
        var finished = false
    }

    /// A DNS connection: both directions reassembled and split into messages.
    struct DNSStream {
        var low = DNSDirection()
        var high = DNSDirection()
    }

    /// Any other connection: followed until the client's first payload is delivered.
    struct FirstPayloadFlow {
        /// Which endpoint is the client: from the handshake, else the higher port; nil until known.
        var clientIsLow: Bool?
        var collector = FirstPayloadCollector()
    }

    /// What a tracked connection is, and whether it is still followed.
    enum FlowState {
        case dnsStream(DNSStream)
        case firstPayload(FirstPayloadFlow)
        /// Closed (FIN both ways, RST, or first payload delivered and FIN seen): kept only to absorb
        /// late segments until it idles out. Also stands in while a stream is taken out of the table
        /// to be changed, so its buffers keep one owner (no copy on write).
        case closed
    }

    struct Flow {
        var lastSeen: Int64
        var state: FlowState

        var isClosed: Bool {
            if case .closed = state { return true }
            return false
        }
    }

    struct Limits {
        var maxFlows: Int
        var idleTimeout: Int64
        var maxOutOfOrderSegments: Int
        var maxOutOfOrderBytes: Int
        var firstPayloadLimit: Int
        var budget: Int
    }

    private(set) var flows: [Key: Flow] = [:]
    let limits: Limits

    init(configuration: PacketDecoderConfiguration) {
        limits = Limits(
            maxFlows: max(1, configuration.maxTCPFlows),
            idleTimeout: configuration.tcpIdleTimeout.nanosecondCount,
            maxOutOfOrderSegments: max(1, configuration.maxOutOfOrderSegments),
            maxOutOfOrderBytes: max(0, configuration.maxOutOfOrderBytes),
            firstPayloadLimit: max(1, configuration.firstPayloadLimit),
            budget: configuration.maxBufferedBytes)
    }

    var count: Int { flows.count }

    // MARK: Segments

    mutating func segment<Sink: PacketSink>(
        _ segment: TCPSegment, payload: Span<UInt8>, isDNS: Bool, now: Int64,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        let (key, fromLow) = Key.make(segment.source, segment.destination)
        let opensConnection = segment.has(TCPSegment.syn) && !segment.has(TCPSegment.ack)
        if var index = flows.index(forKey: key) {
            if opensConnection && isNewConnection(flows.values[index], fromLow: fromLow, segment) {
                // Port reuse: the old connection is over.
                var old = flows.remove(at: index).value
                Self.close(limits: limits, &old, key: key, time: segment.time, statistics: &statistics, sink: &sink)
                guard let created = insert(key, isDNS: isDNS, now: now, statistics: &statistics, sink: &sink) else { return }
                index = created
            }
            flows.values[index].lastSeen = now
            Self.process(
                limits: limits, &flows.values[index], key: key, fromLow: fromLow, segment, payload: payload,
                statistics: &statistics, sink: &sink)
        } else {
            // Only a handshake or data starts tracking: bare ACKs, FINs and RSTs of unknown connections
            // carry nothing to deliver.
            guard segment.has(TCPSegment.syn) || !payload.isEmpty, !segment.has(TCPSegment.rst) else {
                statistics.tcpSegmentsUntracked += 1
                return
            }
            guard let index = insert(key, isDNS: isDNS, now: now, statistics: &statistics, sink: &sink) else { return }
            if !segment.has(TCPSegment.syn) { statistics.tcpMidstreamFlows += 1 }
            Self.process(
                limits: limits, &flows.values[index], key: key, fromLow: fromLow, segment, payload: payload,
                statistics: &statistics, sink: &sink)
        }
    }

    /// A SYN on a known connection is a new connection when the old one closed or used another ISN.
    private func isNewConnection(_ flow: Flow, fromLow: Bool, _ segment: TCPSegment) -> Bool {
        let assembler: SegmentAssembler
        switch flow.state {
        case .closed: return true
        case .dnsStream(let stream): assembler = fromLow ? stream.low.assembler : stream.high.assembler
        case .firstPayload(let first): assembler = first.collector.assembler
        }
        guard assembler.isStarted else { return false }
        let distance = SegmentAssembler.distance(assembler.nextSequence, from: segment.sequence &+ 1)
        // A retransmitted SYN has the same ISN; data since then moves nextSequence a little ahead.
        return distance < 0 || distance > 1 << 20
    }

    private mutating func insert<Sink: PacketSink>(
        _ key: Key, isDNS: Bool, now: Int64, statistics: inout PacketStatistics, sink: inout Sink
    ) -> Dictionary<Key, Flow>.Index? {
        if flows.count >= limits.maxFlows { makeRoom(now: now, statistics: &statistics, sink: &sink) }
        if isDNS { statistics.tcpDNSFlows += 1 } else { statistics.tcpOtherFlows += 1 }
        flows[key] = Flow(lastSeen: now, state: isDNS ? .dnsStream(DNSStream()) : .firstPayload(FirstPayloadFlow()))
        return flows.index(forKey: key)
    }

    private static func process<Sink: PacketSink>(
        limits: Limits, _ flow: inout Flow, key: Key, fromLow: Bool, _ segment: TCPSegment, payload: Span<UInt8>,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        switch flow.state {
        case .closed:
            statistics.tcpSegmentsUntracked += 1
        case .dnsStream(var stream):
            flow.state = .closed
            let open = Self.processDNS(
                limits: limits, &stream, key: key, fromLow: fromLow, segment, payload: payload, statistics: &statistics,
                sink: &sink)
            if open { flow.state = .dnsStream(stream) }
        case .firstPayload(var first):
            flow.state = .closed
            let open = Self.processOther(
                limits: limits, &first, key: key, fromLow: fromLow, segment, payload: payload, statistics: &statistics,
                sink: &sink)
            if open { flow.state = .firstPayload(first) }
        }
    }

    // MARK: DNS connections

    /// One segment of a DNS connection; false when it closed the connection.
    private static func processDNS<Sink: PacketSink>(
        limits: Limits, _ flow: inout DNSStream, key: Key, fromLow: Bool, _ segment: TCPSegment, payload: Span<UInt8>,
        statistics: inout PacketStatistics, sink: inout Sink
    ) -> Bool {
        let context = FlowContext(
            time: segment.time, source: segment.source, destination: segment.destination, transport: .tcp)
        let reverse = FlowContext(
            time: segment.time, source: segment.destination, destination: segment.source, transport: .tcp)
        if segment.has(TCPSegment.rst) {
            Self.finish(limits: limits, &flow, key: key, time: segment.time, statistics: &statistics, sink: &sink)
            return false
        }
        if segment.has(TCPSegment.syn) && segment.has(TCPSegment.ack) {
            // A SYN-ACK names the client's first sequence number even if the capture missed the SYN.
            if fromLow {
                Self.startFromHandshake(&flow.high, at: segment.acknowledgement)
            } else {
                Self.startFromHandshake(&flow.low, at: segment.acknowledgement)
            }
        }
        if segment.has(TCPSegment.ack) {
            if fromLow {
                Self.acknowledge(limits: limits, &flow.high, segment.acknowledgement, context: reverse, statistics: &statistics, sink: &sink)
            } else {
                Self.acknowledge(limits: limits, &flow.low, segment.acknowledgement, context: reverse, statistics: &statistics, sink: &sink)
            }
        }
        if fromLow {
            Self.receive(limits: limits, &flow.low, segment, payload: payload, context: context, statistics: &statistics, sink: &sink)
        } else {
            Self.receive(limits: limits, &flow.high, segment, payload: payload, context: context, statistics: &statistics, sink: &sink)
        }
        if flow.low.finished && flow.high.finished {
            Self.finish(limits: limits, &flow, key: key, time: segment.time, statistics: &statistics, sink: &sink)
            return false
        }
        return true
    }

    private static func startFromHandshake(_ direction: inout DNSDirection, at sequence: UInt32) {
        guard !direction.assembler.isStarted else { return }
        direction.assembler.start(at: sequence)
        direction.framer = DNSStreamFramer(synchronised: true)
    }

    private static func receive<Sink: PacketSink>(
        limits: Limits, _ direction: inout DNSDirection, _ segment: TCPSegment, payload: Span<UInt8>, context: FlowContext,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        var sequence = segment.sequence
        if segment.has(TCPSegment.syn) {
            sequence &+= 1
            if !direction.assembler.isStarted {
                direction.assembler.start(at: sequence)
                direction.framer = DNSStreamFramer(synchronised: true)
            }
        }
        if !payload.isEmpty {
            if !direction.assembler.isStarted {
                // Joined mid-connection: wait for a segment that starts a message.
                direction.assembler.start(at: sequence)
            }
            if let acknowledged = direction.acknowledgedByPeer,
                SegmentAssembler.distance(acknowledged, from: sequence) >= 0
            {
                // The peer acknowledged everything before this segment: holes before it are lost.
                Self.skipLostBytes(
                    limits: limits, &direction, upTo: sequence, heldOnly: false, context: context,
                    statistics: &statistics, sink: &sink)
            }
            Self.place(limits: limits, &direction, sequence: sequence, payload: payload, context: context, statistics: &statistics, sink: &sink)
        }
        if segment.has(TCPSegment.fin) { direction.finished = true }
    }

    private static func place<Sink: PacketSink>(
        limits: Limits, _ direction: inout DNSDirection, sequence: UInt32, payload: Span<UInt8>, context: FlowContext,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        let placement = direction.assembler.place(
            sequence: sequence, payload: payload, maxSegments: limits.maxOutOfOrderSegments,
            maxBytes: limits.maxOutOfOrderBytes, statistics: &statistics, budget: limits.budget)
        switch placement {
        case .inOrder(let skip):
            direction.framer.consume(
                payload.extracting(skip...), context: context, budget: limits.budget, statistics: &statistics,
                sink: &sink)
            Self.drain(limits: limits, &direction, context: context, statistics: &statistics, sink: &sink)
        case .duplicate:
            statistics.tcpRetransmittedSegments += 1
        case .held:
            statistics.tcpOutOfOrderSegments += 1
        case .overflow, .overBudget:
            // Stop waiting for the missing bytes: resume at the earliest data we have.
            statistics.record(placement == .overflow ? .tcpOutOfOrderOverflow : .bufferBudgetExceeded, &sink)
            direction.framer.gap(statistics: &statistics)
            if let first = direction.assembler.firstHeldSequence,
                SegmentAssembler.distance(first, from: sequence) < 0
            {
                _ = direction.assembler.skipToFirstHeld()
                Self.drain(limits: limits, &direction, context: context, statistics: &statistics, sink: &sink)
                Self.place(limits: limits, &direction, sequence: sequence, payload: payload, context: context, statistics: &statistics, sink: &sink)
            } else {
                direction.assembler.skip(to: sequence)
                Self.place(limits: limits, &direction, sequence: sequence, payload: payload, context: context, statistics: &statistics, sink: &sink)
            }
        }
    }

    /// Feeds held segments that became contiguous to the framer.
    private static func drain<Sink: PacketSink>(
        limits: Limits, _ direction: inout DNSDirection, context: FlowContext, statistics: inout PacketStatistics, sink: inout Sink
    ) {
        while let bytes = direction.assembler.popContiguous(statistics: &statistics) {
            direction.framer.consume(
                bytes.span, context: context, budget: limits.budget, statistics: &statistics, sink: &sink)
        }
    }

    /// The peer's acknowledgement proves which of this direction's bytes were sent. If segments wait
    /// for bytes the peer already acknowledged, those bytes were lost by the capture: stop waiting.
    private static func acknowledge<Sink: PacketSink>(
        limits: Limits, _ direction: inout DNSDirection, _ acknowledgement: UInt32, context: FlowContext,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        guard direction.assembler.isStarted,
            SegmentAssembler.distance(acknowledgement, from: direction.assembler.nextSequence) > 0
        else { return }
        if let previous = direction.acknowledgedByPeer,
            SegmentAssembler.distance(acknowledgement, from: previous) <= 0
        {
            // Not news.
        } else {
            direction.acknowledgedByPeer = acknowledgement
        }
        // Only held segments make the hole matter now; otherwise the next segment will (an ACK that
        // overtook its data in a multi-queue capture must not discard that data).
        guard direction.assembler.hasHeld else { return }
        Self.skipLostBytes(
            limits: limits, &direction, upTo: acknowledgement, heldOnly: true, context: context,
            statistics: &statistics, sink: &sink)
    }

    /// Gives up on every hole before `limit` (bytes the peer acknowledged, so they were sent and the
    /// capture lost them): each hole is a counted gap, and held segments behind it are delivered.
    /// With `heldOnly`, stops at the last held segment instead of skipping to `limit` itself.
    private static func skipLostBytes<Sink: PacketSink>(
        limits: Limits, _ direction: inout DNSDirection, upTo limit: UInt32, heldOnly: Bool, context: FlowContext,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        while SegmentAssembler.distance(limit, from: direction.assembler.nextSequence) > 0 {
            if let first = direction.assembler.firstHeldSequence, SegmentAssembler.distance(limit, from: first) >= 0 {
                statistics.record(.tcpGap, &sink)
                direction.framer.gap(statistics: &statistics)
                _ = direction.assembler.skipToFirstHeld()
                Self.drain(limits: limits, &direction, context: context, statistics: &statistics, sink: &sink)
            } else {
                if heldOnly { return }
                statistics.record(.tcpGap, &sink)
                direction.framer.gap(statistics: &statistics)
                direction.assembler.skip(to: limit)
            }
        }
    }

    /// Ends a direction: segments still waiting behind a gap are given their chance (the gap is
    /// counted), then any partial message is reported.
    private static func finishDirection<Sink: PacketSink>(
        limits: Limits, _ direction: inout DNSDirection, context: FlowContext, statistics: inout PacketStatistics, sink: inout Sink
    ) {
        while direction.assembler.skipToFirstHeld() {
            statistics.record(.tcpGap, &sink)
            direction.framer.gap(statistics: &statistics)
            Self.drain(limits: limits, &direction, context: context, statistics: &statistics, sink: &sink)
        }
        direction.framer.finish(statistics: &statistics, sink: &sink)
        direction.assembler.discardHeld(statistics: &statistics)
    }

    // MARK: Other connections

    /// One segment of another connection; false when it closed the connection.
    private static func processOther<Sink: PacketSink>(
        limits: Limits, _ flow: inout FirstPayloadFlow, key: Key, fromLow: Bool, _ segment: TCPSegment,
        payload: Span<UInt8>, statistics: inout PacketStatistics, sink: inout Sink
    ) -> Bool {
        if segment.has(TCPSegment.syn) {
            if flow.clientIsLow == nil {
                // SYN comes from the client, SYN-ACK from the server.
                flow.clientIsLow = segment.has(TCPSegment.ack) ? !fromLow : fromLow
            }
            if !flow.collector.assembler.isStarted {
                // The SYN's sequence + 1, or the SYN-ACK's acknowledgement: the client's first data byte.
                let (clientIsLow, isSynAck) = (flow.clientIsLow, segment.has(TCPSegment.ack))
                if clientIsLow == fromLow && !isSynAck {
                    flow.collector.assembler.start(at: segment.sequence &+ 1)
                } else if clientIsLow != fromLow && isSynAck {
                    flow.collector.assembler.start(at: segment.acknowledgement)
                }
            }
        }
        if flow.clientIsLow == nil && !payload.isEmpty {
            // No handshake seen: the side on the lower port is taken as the server.
            let senderIsClient = segment.destination.port <= segment.source.port
            flow.clientIsLow = senderIsClient ? fromLow : !fromLow
        }
        let fromClient = flow.clientIsLow == fromLow
        if fromClient && !payload.isEmpty && !flow.collector.isDelivered {
            let sequence = segment.has(TCPSegment.syn) ? segment.sequence &+ 1 : segment.sequence
            if !flow.collector.assembler.isStarted { flow.collector.assembler.start(at: sequence) }
            let context = FlowContext(
                time: segment.time, source: segment.source, destination: segment.destination, transport: .tcp)
            Self.collect(limits: limits, &flow.collector, sequence: sequence, payload: payload, context: context, statistics: &statistics, sink: &sink)
        }
        if segment.has(TCPSegment.rst) || segment.has(TCPSegment.fin) {
            // Either side closing means no more first payload is coming worth waiting for.
            Self.finish(limits: limits, &flow, key: key, time: segment.time, statistics: &statistics, sink: &sink)
            return false
        }
        return true
    }

    private static func collect<Sink: PacketSink>(
        limits: Limits, _ collector: inout FirstPayloadCollector, sequence: UInt32, payload: Span<UInt8>, context: FlowContext,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        let placement = collector.assembler.place(
            sequence: sequence, payload: payload, maxSegments: limits.maxOutOfOrderSegments,
            maxBytes: min(limits.maxOutOfOrderBytes, limits.firstPayloadLimit), statistics: &statistics,
            budget: limits.budget)
        switch placement {
        case .inOrder(let skip):
            collector.consume(
                payload.extracting(skip...), context: context, limit: limits.firstPayloadLimit,
                budget: limits.budget, statistics: &statistics, sink: &sink)
            while !collector.isDelivered, let bytes = collector.assembler.popContiguous(statistics: &statistics) {
                collector.consume(
                    bytes.span, context: context, limit: limits.firstPayloadLimit, budget: limits.budget,
                    statistics: &statistics, sink: &sink)
            }
        case .duplicate:
            statistics.tcpRetransmittedSegments += 1
        case .held:
            statistics.tcpOutOfOrderSegments += 1
        case .overflow, .overBudget:
            // Too much waiting for a lost segment: deliver what there is.
            collector.finish(context: context, statistics: &statistics, sink: &sink)
        }
    }

    // MARK: Closing and eviction

    /// Delivers or reports whatever the connection still holds and turns it into a tombstone.
    private static func close<Sink: PacketSink>(
        limits: Limits, _ flow: inout Flow, key: Key, time: Timestamp, statistics: inout PacketStatistics, sink: inout Sink
    ) {
        let state = flow.state
        flow.state = .closed
        switch state {
        case .closed:
            break
        case .dnsStream(var stream):
            Self.finish(limits: limits, &stream, key: key, time: time, statistics: &statistics, sink: &sink)
        case .firstPayload(var first):
            Self.finish(limits: limits, &first, key: key, time: time, statistics: &statistics, sink: &sink)
        }
    }

    /// A DNS connection ends: both directions deliver or report what they hold.
    private static func finish<Sink: PacketSink>(
        limits: Limits, _ stream: inout DNSStream, key: Key, time: Timestamp, statistics: inout PacketStatistics,
        sink: inout Sink
    ) {
        Self.finishDirection(
            limits: limits, &stream.low, context: FlowContext(time: time, source: key.low, destination: key.high, transport: .tcp),
            statistics: &statistics, sink: &sink)
        Self.finishDirection(
            limits: limits, &stream.high, context: FlowContext(time: time, source: key.high, destination: key.low, transport: .tcp),
            statistics: &statistics, sink: &sink)
    }

    /// Another connection ends: what the client sent so far is its first payload.
    private static func finish<Sink: PacketSink>(
        limits: Limits, _ flow: inout FirstPayloadFlow, key: Key, time: Timestamp, statistics: inout PacketStatistics,
        sink: inout Sink
    ) {
        let clientIsLow = flow.clientIsLow ?? true
        let context = FlowContext(
            time: time, source: clientIsLow ? key.low : key.high, destination: clientIsLow ? key.high : key.low,
            transport: .tcp)
        flow.collector.finish(context: context, statistics: &statistics, sink: &sink)
    }

    /// Forgets connections idle longer than the timeout, reporting what they still held.
    mutating func sweep<Sink: PacketSink>(now: Int64, statistics: inout PacketStatistics, sink: inout Sink) {
        let deadline = now.saturatingSubtract(limits.idleTimeout)
        var idle: [Key] = []
        for index in flows.indices where flows.values[index].lastSeen < deadline { idle.append(flows.keys[index]) }
        for key in idle {
            guard var flow = flows.removeValue(forKey: key) else { continue }
            if !flow.isClosed { statistics.tcpFlowsIdledOut += 1 }
            Self.close(limits: limits, &flow, key: key, time: Timestamp(nanoseconds: now), statistics: &statistics, sink: &sink)
        }
    }

    /// The table is full: drop idle connections, else the least recently seen sixteenth.
    private mutating func makeRoom<Sink: PacketSink>(now: Int64, statistics: inout PacketStatistics, sink: inout Sink) {
        sweep(now: now, statistics: &statistics, sink: &sink)
        guard flows.count >= limits.maxFlows else { return }
        var times: [Int64] = []
        times.reserveCapacity(flows.count)
        for index in flows.indices { times.append(flows.values[index].lastSeen) }
        let batch = RecencyEviction.batch(of: times.count)
        let threshold = RecencyEviction.threshold(&times, batch: batch)
        var victims: [Key] = []
        victims.reserveCapacity(batch)
        for index in flows.indices where victims.count < batch && flows.values[index].lastSeen <= threshold {
            victims.append(flows.keys[index])
        }
        for key in victims {
            guard var flow = flows.removeValue(forKey: key) else { continue }
            if !flow.isClosed { statistics.record(.tcpFlowTableFull, &sink) }
            Self.close(limits: limits, &flow, key: key, time: Timestamp(nanoseconds: now), statistics: &statistics, sink: &sink)
        }
    }

    /// The capture ended: every connection delivers or reports what it holds.
    mutating func finish<Sink: PacketSink>(now: Int64, statistics: inout PacketStatistics, sink: inout Sink) {
        let all = flows
        flows = [:]
        for (key, var flow) in all {
            Self.close(limits: limits, &flow, key: key, time: Timestamp(nanoseconds: now), statistics: &statistics, sink: &sink)
        }
    }
}

/// A total order on endpoints, to name a connection the same way from both directions.
enum EndpointOrder {
    static func precedes(_ a: Endpoint, _ b: Endpoint) -> Bool {
        switch (a.address, b.address) {
        case (.v4(let x), .v4(let y)):
            return x != y ? x < y : a.port < b.port
        case (.v4, .v6):
            return true
        case (.v6, .v4):
            return false
        case (.v6(let xh, let xl), .v6(let yh, let yl)):
            if xh != yh { return xh < yh }
            if xl != yl { return xl < yl }
            return a.port < b.port
        }
    }
}
