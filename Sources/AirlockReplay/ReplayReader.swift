import AirlockCapture
import AirlockDNSLog
import AirlockDnstap
import AirlockDNSWire
import AirlockLDNS
import AirlockNames
import AirlockEvents
import AirlockPackets
import AirlockPipeline

/// What the reader thread hands to the engine thread, in capture order: small and trivially copied
/// (the engine thread walks one per message), pointing into the batch's arrays.
enum ReplayItem: Sendable {
    /// A query event (its index in ``ReplayBatch/queries``) and, when messages are kept, its message's
    /// index in ``ReplayBatch/messages`` (else -1).
    case query(Int32, message: Int32)
    /// A response paired with its query (index in ``ReplayBatch/responses``), and its message's index.
    case response(Int32, message: Int32)
    /// A message that made no event (an unmatched response, no question): sent only when messages are
    /// kept, for `dns.log`.
    case other(message: Int32)
    /// Something other than a message (index in ``ReplayBatch/notes``).
    case note(Int32)
}

/// The rarer things the reader tells the engine thread, in ``ReplayBatch/notes``.
enum ReplayNote: Sendable {
    case fileStart(String)
    case bypass(FlowContext, BypassFinding)
    case progress(ReplayProgress)
    /// A file is done: its counters and how the read ended (or why it could not start).
    case fileEnd(FileCounters)
}

/// One batch from the reader thread: items in capture order, the events they point to in arrays
/// beside them (read in place by the engine thread, never copied through an enum payload), and —
/// only for `--policy` and `--dns-log`, which read the messages themselves — the parsed messages.
struct ReplayBatch: Sendable {
    var items: [ReplayItem] = []
    var notes: [ReplayNote] = []
    var queries: [DNSQueryEvent] = []
    var responses: [DNSResponseEvent] = []
    /// Kept messages and where each travelled.
    var messages: [DNSMessage] = []
    var origins: [MessageOrigin] = []
    /// With `dnsLog`, per kept message: a response's answers rendered for `dns.log` (the bytes are gone
    /// later), nil for a query.
    var answers: [[ZeekAnswer]?] = []

}

/// Counters the reader keeps per file.
struct FileCounters: Sendable {
    var file: String
    var packets = 0
    var dnsMessages = 0
    var malformed: [String: Int] = [:]
    var outcome: ReadOutcome?
    var failure: String?
    /// Queries, responses and unmatched responses the event builder saw in this file.
    var queries = 0
    var responses = 0
    var unmatchedResponses = 0
}

/// Stages 1–3 of replay on their own thread: capture → packets → DNS messages (parsed) → events
/// (grouped, sandbox-labelled, responses paired: ``DNSEventBuilder``), and flow starts (classified),
/// batched into a ``BatchQueue``. The engine thread judges the events in the same order.
struct ReplayReader {
    let options: ReplayOptions
    let queue: BatchQueue<ReplayBatch>
    static let batchSize = 2048
    /// Grouping cache slots: replay can afford more than a live proxy's default (≈ 130 bytes each).
    static let groupingCacheSlots = 65_536

    func run() {
        if let live = options.live {
            runLive(live)
            return
        }
        var decoder = PacketDecoder(configuration: options.packetConfiguration)
        var sink = ReaderSink(
            queue: queue, parser: options.parser, builder: builder(), keepMessages: options.keepsMessages,
            renderAnswers: options.dnsLog)
        sink.reserving = true
        for (index, file) in options.files.enumerated() {
            // Each file starts afresh (the sink's first builder is the first file's: its tables are large).
            if !options.continuous && index > 0 {
                decoder = PacketDecoder(configuration: options.packetConfiguration)
                sink.builder = builder()
            }
            sink.start(file)
            do {
                let reader = try PcapFileReader(path: file, filter: options.filter)
                let linkType = reader.linkType
                let outcome = reader.forEachPacket { record, bytes in
                    sink.counters.packets += 1
                    decoder.decode(linkType: linkType, time: record.time, bytes: bytes, into: &sink)
                    if record.index & 0xFFFF == 0xFFFF {
                        sink.append(
                            .progress(
                                ReplayProgress(
                                    file: file, packets: record.index + 1, bytesRead: reader.bytesRead,
                                    totalBytes: reader.totalBytes)))
                    }
                }
                decoder.finish(into: &sink)
                sink.counters.outcome = outcome
            } catch {
                sink.counters.failure = String(describing: error)
            }
            sink.end()
        }
        sink.flush()
        queue.close()
    }

    /// A new event builder, with the sandboxes the run labels events with (the policy's, if any).
    func builder() -> DNSEventBuilder {
        DNSEventBuilder(
            grouper: GroupingCache(capacity: Self.groupingCacheSlots),
            sandboxes: options.policy.map(SandboxDirectory.init(policy:)) ?? options.sandboxes)
    }
}

extension ReplayOptions {
    /// Whether the engine thread needs the parsed messages themselves (the policy's rebinding check
    /// reads answers; `dns.log` logs every message).
    var keepsMessages: Bool { dnsLog || policy != nil }
}

extension ReplayReader {
    /// A live interface or dnstap: one input, read until it ends or `live.stop` is set. Batches are
    /// handed over after every packet or record, so decisions come out as traffic happens.
    func runLive(_ live: LiveInput) {
        var sink = ReaderSink(
            queue: queue, parser: options.parser, builder: builder(), keepMessages: options.keepsMessages,
            renderAnswers: options.dnsLog)
        sink.start(live.name)
        sink.flush()
        switch live.source {
        case .interface(let interface, let promiscuous):
            var decoder = PacketDecoder(configuration: options.packetConfiguration)
            do {
                let capture = try LiveCapture(interface: interface, filter: options.filter, promiscuous: promiscuous)
                let linkType = capture.linkType
                announce(live, &sink)
                let outcome = capture.forEachPacket(stop: { live.stop.isSet }) { record, bytes in
                    sink.counters.packets += 1
                    decoder.decode(linkType: linkType, time: record.time, bytes: bytes, into: &sink)
                    sink.flush()
                }
                decoder.finish(into: &sink)
                sink.counters.outcome = outcome
                if let dropped = capture.statistics?.dropped, dropped > 0 { sink.counters.malformed["kernel_dropped"] = dropped }
            } catch {
                sink.counters.failure = String(describing: error)
            }
        case .dnstap(let location):
            var source = DnstapSource()
            let deliver: (DnstapMessage) -> Void = { message in
                sink.counters.packets += 1
                sink.dnsMessage(
                    FlowContext(
                        time: message.time, source: message.source, destination: message.destination,
                        transport: message.transport), message.message.span)
                sink.flush()
            }
            do {
                switch DnstapSource.Location(location) {
                case .file(let path):
                    announce(live, &sink)
                    if let problem = try source.readFile(path, stop: { live.stop.isSet }, deliver) {
                        sink.counters.outcome = .stopped(atPacket: source.records, byteOffset: nil, reason: problem)
                    } else {
                        sink.counters.outcome = .complete
                    }
                case .socket(let path):
                    try source.serve(path, stop: { live.stop.isSet }, ready: { announce(live, &sink) }, deliver)
                    sink.counters.outcome = .complete
                }
            } catch {
                sink.counters.failure = "dnstap \(location): \(error)"
            }
            if source.badFrames > 0 { sink.counters.malformed["dnstap_bad_frame"] = source.badFrames }
            if source.badRecords > 0 { sink.counters.malformed["dnstap_bad_record"] = source.badRecords }
        }
        sink.end()
        sink.flush()
        queue.close()
    }
}

extension ReplayReader {
    /// Tells the engine thread the input is open (a progress report with no packet yet), so `watch`
    /// says "watching" only once packets can really be seen.
    func announce(_ live: LiveInput, _ sink: inout ReaderSink) {
        sink.append(.progress(ReplayProgress(file: live.name, packets: 0)))
        sink.flush()
    }
}

/// The decoder's sink on the reader thread.
struct ReaderSink: PacketSink {
    let queue: BatchQueue<ReplayBatch>
    let bypasses = BypassDetector()
    let parser: DNSParserChoice
    var builder: DNSEventBuilder
    /// Whether the parsed messages travel with the events.
    let keepMessages: Bool
    /// Whether responses' answers are rendered for the Zeek-style `dns.log`.
    let renderAnswers: Bool
    var counters = FileCounters(file: "")
    /// The builder's counts when the file started (it carries on across files with `--continuous`).
    private var countsAtStart = (queries: 0, responses: 0, unmatched: 0)
    private var batch = ReplayBatch()
    /// Question names parsed recently: a response's name (its query's) and names asked again are not copied.
    private var names = DNSNameTable()
    /// Whether batches are made with room for a full batch (reading files; a live input hands over a
    /// batch per packet).
    var reserving = false

    init(
        queue: BatchQueue<ReplayBatch>, parser: DNSParserChoice, builder: DNSEventBuilder = DNSEventBuilder(),
        keepMessages: Bool = false, renderAnswers: Bool = false
    ) {
        self.queue = queue
        self.parser = parser
        self.builder = builder
        self.keepMessages = keepMessages || renderAnswers
        self.renderAnswers = renderAnswers
    }

    mutating func start(_ file: String) {
        counters = FileCounters(file: file)
        countsAtStart = (builder.queries, builder.responses, builder.unmatchedResponses)
        append(.fileStart(file))
    }

    mutating func end() {
        counters.queries = builder.queries - countsAtStart.queries
        counters.responses = builder.responses - countsAtStart.responses
        counters.unmatchedResponses = builder.unmatchedResponses - countsAtStart.unmatched
        append(.fileEnd(counters))
    }

    mutating func append(_ item: ReplayItem) {
        batch.items.append(item)
        if batch.items.count >= ReplayReader.batchSize { flush() }
    }

    mutating func append(_ note: ReplayNote) {
        batch.notes.append(note)
        append(.note(Int32(batch.notes.count - 1)))
    }

    mutating func flush() {
        guard !batch.items.isEmpty else { return }
        queue.put(batch)
        batch = ReplayBatch()
        if reserving {
            // A file's batches fill up: room made once, not by doubling (each doubling copies the events).
            batch.items.reserveCapacity(ReplayReader.batchSize)
            batch.queries.reserveCapacity(ReplayReader.batchSize)
            batch.responses.reserveCapacity(ReplayReader.batchSize)
        }
    }

    mutating func dnsMessage(_ context: FlowContext, _ message: Span<UInt8>) {
        counters.dnsMessages += 1
        switch parser {
        case .fast:
            do {
                // Handed on where it is parsed (the ~0.5 KB message is not copied into a variable first).
                add(try DNSWireReader.parse(message, names: &names), context, message)
            } catch {
                counters.malformed["dns_" + error.reason, default: 0] += 1
            }
        case .ldns:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(message.count)
            for i in 0..<message.count { bytes.append(message[i]) }
            switch LDNSCodec.parse(bytes) {
            case .success(let parsed): add(parsed, context, message)
            case .failure(let error):
                counters.malformed["dns_ldns_" + Self.reasonKey(error.message), default: 0] += 1
            }
        }
    }

    /// A parsed message: its event into the batch, and the message too when it is kept.
    private mutating func add(_ parsed: DNSMessage, _ context: FlowContext, _ message: Span<UInt8>) {
        let origin = MessageOrigin(
            time: context.time, source: context.source, destination: context.destination,
            transport: context.transport)
        var kept = -1
        if keepMessages {
            kept = batch.messages.count
            batch.messages.append(parsed)
            batch.origins.append(origin)
            if renderAnswers {
                batch.answers.append(parsed.isResponse ? ZeekAnswerRenderer.answers(message) ?? [] : nil)
            }
        }
        switch builder.add(parsed, from: origin, queries: &batch.queries, responses: &batch.responses) {
        case .query:
            append(.query(Int32(batch.queries.count - 1), message: Int32(kept)))
        case .response:
            append(.response(Int32(batch.responses.count - 1), message: Int32(kept)))
        case .unmatchedResponse, .noQuestion:
            if keepMessages { append(.other(message: Int32(kept))) }
        }
    }

    /// ldns's error text as a snake_case counter key ("Label longer than 63 bytes" → label_longer_than_63_bytes).
    static func reasonKey(_ message: String) -> String {
        var key = ""
        for scalar in message.lowercased().unicodeScalars {
            if ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar) {
                key.unicodeScalars.append(scalar)
            } else if !key.hasSuffix("_") && !key.isEmpty {
                key += "_"
            }
        }
        return key.hasSuffix("_") ? String(key.dropLast()) : key
    }

    mutating func flowStart(_ context: FlowContext, firstClientPayload: Span<UInt8>) {
        guard
            let finding = bypasses.inspect(
                destination: context.destination, transport: context.transport, firstClientPayload: firstClientPayload)
        else { return }
        append(.bypass(context, finding))
    }

    mutating func malformed(_ reason: MalformedReason) {
        counters.malformed[reason.rawValue, default: 0] += 1
    }
}
