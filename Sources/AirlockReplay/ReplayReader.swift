import AirlockCapture
import AirlockDNSLog
import AirlockDnstap
import AirlockDNSWire
import AirlockLDNS
import AirlockEvents
import AirlockPackets
import AirlockPipeline

/// What the reader thread hands to the engine thread, in capture order.
enum ReplayItem: Sendable {
    case fileStart(String)
    /// A parsed message; with `dnsLog`, a response's answers rendered for `dns.log` (the bytes are gone later).
    case message(DNSMessage, MessageOrigin, answers: [ZeekAnswer]?)
    case bypass(FlowContext, BypassFinding)
    case progress(ReplayProgress)
    /// A file is done: its counters and how the read ended (or why it could not start).
    case fileEnd(FileCounters)
}

/// Counters the reader keeps per file.
struct FileCounters: Sendable {
    var file: String
    var packets = 0
    var dnsMessages = 0
    var malformed: [String: Int] = [:]
    var outcome: ReadOutcome?
    var failure: String?
}

/// Stage 1–2 of replay on its own thread: capture → packets → DNS messages (parsed) and flow starts
/// (classified), batched into a ``BatchQueue``. Everything after parsing runs on the engine thread.
struct ReplayReader {
    let options: ReplayOptions
    let queue: BatchQueue<ReplayItem>
    static let batchSize = 2048

    func run() {
        if let live = options.live {
            runLive(live)
            return
        }
        var decoder = PacketDecoder(configuration: options.packetConfiguration)
        var sink = ReaderSink(queue: queue, parser: options.parser, renderAnswers: options.dnsLog)
        for file in options.files {
            if !options.continuous { decoder = PacketDecoder(configuration: options.packetConfiguration) }
            sink.counters = FileCounters(file: file)
            sink.append(.fileStart(file))
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
            sink.append(.fileEnd(sink.counters))
        }
        sink.flush()
        queue.close()
    }
}

extension ReplayReader {
    /// A live interface or dnstap: one input, read until it ends or `live.stop` is set. Batches are
    /// handed over after every packet or record, so decisions come out as traffic happens.
    func runLive(_ live: LiveInput) {
        var sink = ReaderSink(queue: queue, parser: options.parser, renderAnswers: options.dnsLog)
        sink.counters = FileCounters(file: live.name)
        sink.append(.fileStart(live.name))
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
        sink.append(.fileEnd(sink.counters))
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
    let queue: BatchQueue<ReplayItem>
    let bypasses = BypassDetector()
    let parser: DNSParserChoice
    /// Whether responses' answers are rendered for the Zeek-style `dns.log`.
    let renderAnswers: Bool
    var counters = FileCounters(file: "")
    private var batch: [ReplayItem] = []

    init(queue: BatchQueue<ReplayItem>, parser: DNSParserChoice, renderAnswers: Bool = false) {
        self.queue = queue
        self.parser = parser
        self.renderAnswers = renderAnswers
        batch.reserveCapacity(ReplayReader.batchSize)
    }

    mutating func append(_ item: ReplayItem) {
        batch.append(item)
        if batch.count >= ReplayReader.batchSize { flush() }
    }

    mutating func flush() {
        guard !batch.isEmpty else { return }
        queue.put(batch)
        batch = []
        batch.reserveCapacity(ReplayReader.batchSize)
    }

    mutating func dnsMessage(_ context: FlowContext, _ message: Span<UInt8>) {
        counters.dnsMessages += 1
        let parsed: DNSMessage
        switch parser {
        case .fast:
            switch DNSWireReader.parse(message) {
            case .success(let m): parsed = m
            case .failure(let error):
                counters.malformed["dns_" + error.reason, default: 0] += 1
                return
            }
        case .ldns:
            var bytes: [UInt8] = []
            bytes.reserveCapacity(message.count)
            for i in 0..<message.count { bytes.append(message[i]) }
            switch LDNSCodec.parse(bytes) {
            case .success(let m): parsed = m
            case .failure(let error):
                counters.malformed["dns_ldns_" + Self.reasonKey(error.message), default: 0] += 1
                return
            }
        }
        let answers = renderAnswers && parsed.isResponse ? ZeekAnswerRenderer.answers(message) ?? [] : nil
        append(
            .message(
                parsed,
                MessageOrigin(
                    time: context.time, source: context.source, destination: context.destination,
                    transport: context.transport), answers: answers))
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
