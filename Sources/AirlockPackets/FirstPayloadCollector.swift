/// Gathers the first client→server bytes of a non-DNS TCP connection: up to the end of the first TLS
/// record when the stream starts with one (a ClientHello may span several segments), otherwise the
/// first segment's bytes. Nothing after that is kept: this is the cheap path for every other connection.
struct FirstPayloadCollector {
    var assembler = SegmentAssembler()
    private var collected: [UInt8] = []
    private(set) var isDelivered = false

    var bufferedBytes: Int { collected.count }

    /// How many bytes make the first payload complete, or nil when more bytes are needed to tell.
    static func neededLength(_ bytes: Span<UInt8>, limit: Int) -> Int? {
        guard !bytes.isEmpty else { return nil }
        // TLS handshake record: content type 22, then version and a 2-byte length.
        guard bytes[0] == 0x16 else { return min(bytes.count, limit) }
        guard bytes.count >= 5 else { return nil }
        return min(5 + Int(bytes.be16(3)), limit)
    }

    /// Takes the next in-order client bytes; delivers the payload once complete.
    mutating func consume<Sink: PacketSink>(
        _ chunk: Span<UInt8>, context: FlowContext, limit: Int, budget: Int,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        guard !isDelivered, !chunk.isEmpty else { return }
        if collected.isEmpty, let needed = Self.neededLength(chunk, limit: limit), chunk.count >= needed {
            deliver(chunk.extracting(0..<needed), context: context, complete: true, statistics: &statistics, sink: &sink)
            return
        }
        let room = limit - collected.count
        let taken = min(room, chunk.count)
        guard statistics.reserve(taken, limit: budget) else {
            statistics.record(.bufferBudgetExceeded, &sink)
            finish(context: context, statistics: &statistics, sink: &sink)
            return
        }
        chunk.append(0..<taken, to: &collected)
        guard let needed = Self.neededLength(collected.span, limit: limit), collected.count >= needed else { return }
        let bytes = collected
        statistics.release(collected.count)
        collected = []
        deliver(bytes.span.extracting(0..<needed), context: context, complete: true, statistics: &statistics, sink: &sink)
    }

    /// The connection ended first: deliver what was gathered, if anything.
    mutating func finish<Sink: PacketSink>(context: FlowContext, statistics: inout PacketStatistics, sink: inout Sink) {
        assembler.discardHeld(statistics: &statistics)
        guard !isDelivered, !collected.isEmpty else { return }
        let bytes = collected
        statistics.release(collected.count)
        collected = []
        deliver(bytes.span, context: context, complete: false, statistics: &statistics, sink: &sink)
    }

    private mutating func deliver<Sink: PacketSink>(
        _ payload: Span<UInt8>, context: FlowContext, complete: Bool,
        statistics: inout PacketStatistics, sink: inout Sink
    ) {
        isDelivered = true
        assembler.discardHeld(statistics: &statistics)
        statistics.tcpFlowStarts += 1
        if !complete { statistics.tcpFlowStartsIncomplete += 1 }
        sink.flowStart(context, firstClientPayload: payload)
    }
}
