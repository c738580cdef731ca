import AirlockCapture
import AirlockDNSWire
import AirlockEngine
import AirlockEvents
import AirlockPackets
import AirlockPipeline

/// What replay reports as it goes, for the table and JSON-lines outputs.
public enum ReplayRecord: Sendable {
    /// Every query's decision (with its verdict, if any).
    case query(file: String, DNSQueryEvent, DNSAssessment)
    /// A verdict reached on a response (NXDOMAIN ratio, downstream payload).
    case responseVerdict(file: String, DNSResponseEvent, Verdict)
    /// A flow around the resolver; `first` for the first flow of its kind (client, destination, name).
    case bypass(ObservedBypass, first: Bool)
}

/// Options for a replay run.
public struct ReplayOptions: Sendable {
    public var files: [String]
    /// BPF filter applied by libpcap before decoding.
    public var filter: String?
    /// One engine across all files in order (a rotated capture of one session) instead of one per file.
    public var continuous = false
    public var configuration: DetectionConfiguration = .default
    public var exemptions: DomainExemptions = .defaults
    public var sandboxes: SandboxDirectory = .none
    public var packetConfiguration = PacketDecoderConfiguration()

    public init(files: [String], filter: String? = nil) {
        self.files = files
        self.filter = filter
    }
}

/// Runs capture files through the same pipeline the live proxies use.
public struct Replayer {
    public let options: ReplayOptions

    public init(options: ReplayOptions) {
        self.options = options
    }

    /// Replays every file; `onRecord` sees each decision as it happens, `onProgress` the packet index
    /// within the current file every 2^16 packets.
    public func run(
        onRecord: (ReplayRecord) -> Void = { _ in },
        onProgress: (_ file: String, _ packets: Int) -> Void = { _, _ in }
    ) -> ReplaySummary {
        var summary = ReplaySummary()
        let clock = ContinuousClock()
        let start = clock.now
        var session: ReplaySession?
        for file in options.files {
            if session == nil || !options.continuous {
                if let finished = session { finished.fold(into: &summary) }
                session = ReplaySession(options: options)
            }
            session!.file = file
            summary.files += 1
            do {
                let reader = try PcapFileReader(path: file, filter: options.filter)
                let linkType = reader.linkType
                let outcome = reader.forEachPacket { record, bytes in
                    session!.packet(record, linkType: linkType, bytes: bytes, onRecord: onRecord)
                    if record.index & 0xFFFF == 0xFFFF { onProgress(file, record.index + 1) }
                }
                session!.finishFile(onRecord: onRecord)
                if case .stopped(let packet, let offset, let reason) = outcome {
                    summary.truncations.append(Truncation(file: file, packet: packet, byteOffset: offset, reason: reason))
                }
            } catch {
                summary.failures.append((file, String(describing: error)))
            }
        }
        session?.fold(into: &summary)
        let elapsed = clock.now - start
        summary.elapsedSeconds =
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }
}

/// One engine's worth of replay state: the decoder and the sink it feeds, kept apart so decoding
/// into the sink never copies the decoder's flow tables.
struct ReplaySession {
    var decoder: PacketDecoder
    var sink: ReplaySink
    var file: String {
        get { sink.file }
        set { sink.file = newValue }
    }

    init(options: ReplayOptions) {
        decoder = PacketDecoder(configuration: options.packetConfiguration)
        sink = ReplaySink(options: options)
    }

    mutating func packet(_ record: PacketRecord, linkType: Int32, bytes: Span<UInt8>, onRecord: (ReplayRecord) -> Void) {
        sink.packets += 1
        withoutActuallyEscaping(onRecord) { callback in
            sink.emit = callback
            decoder.decode(linkType: linkType, time: record.time, bytes: bytes, into: &sink)
            sink.emit = nil
        }
    }

    /// Delivers what the decoder still holds at the end of a file (TCP data after a gap, etc.).
    mutating func finishFile(onRecord: (ReplayRecord) -> Void) {
        withoutActuallyEscaping(onRecord) { callback in
            sink.emit = callback
            decoder.finish(into: &sink)
            sink.emit = nil
        }
    }

    func fold(into summary: inout ReplaySummary) { sink.fold(into: &summary) }
}

/// The packet sink: DNS messages into the pipeline, flow starts into the bypass detector.
struct ReplaySink: PacketSink {
    var file = ""
    var pipeline: DNSPipeline
    var bypasses: BypassDetector
    var flagged: [DomainKey: FlaggedDomain] = [:]
    var flaggedOrder: [DomainKey] = []
    var observedBypasses: [ObservedBypass] = []
    /// Index into `observedBypasses` by what makes two flows the same finding.
    var bypassIndex: [BypassKey: Int] = [:]
    struct BypassKey: Hashable {
        var client: IPAddress
        var destination: Endpoint
        var kind: String
        var serverName: String?
    }
    /// Per domain, the highest-scoring suspicious name that raised no alert (bounded).
    var suspicious: [DomainKey: SuspiciousName] = [:]
    let suspiciousScore: Double
    static let suspiciousLimit = 1_000
    var packets = 0
    var dnsMessages = 0
    var malformed: [String: Int] = [:]
    var peakTracked = 0
    /// The record callback for the packet being decoded (set around each `decode` call).
    var emit: ((ReplayRecord) -> Void)?

    init(options: ReplayOptions) {
        suspiciousScore = options.configuration.suspiciousNameScore
        pipeline = DNSPipeline(
            engine: DetectionEngine(configuration: options.configuration, exemptions: options.exemptions),
            sandboxes: options.sandboxes)
        bypasses = BypassDetector()
    }

    mutating func dnsMessage(_ context: FlowContext, _ message: Span<UInt8>) {
        dnsMessages += 1
        let parsed: DNSMessage
        switch DNSWireReader.parse(message) {
        case .success(let m): parsed = m
        case .failure(let error):
            malformed["dns_" + error.reason, default: 0] += 1
            return
        }
        let origin = MessageOrigin(
            time: context.time, source: context.source, destination: context.destination, transport: context.transport)
        switch pipeline.handle(parsed, from: origin) {
        case .query(let event, let assessment):
            if let verdict = assessment.verdict {
                note(verdict, event.time, event.client, event.sandbox)
            } else if assessment.nameScore >= suspiciousScore && !assessment.exempt {
                noteSuspicious(event, assessment.nameScore)
            }
            emit?(.query(file: file, event, assessment))
        case .response(let event, let verdict):
            if let verdict {
                note(verdict, event.time, event.client, event.sandbox)
                emit?(.responseVerdict(file: file, event, verdict))
            }
        case .unmatchedResponse, .noQuestion:
            break
        }
    }

    mutating func flowStart(_ context: FlowContext, firstClientPayload: Span<UInt8>) {
        guard
            let bypass = bypasses.inspect(
                destination: context.destination, transport: context.transport, firstClientPayload: firstClientPayload)
        else { return }
        let key = BypassKey(
            client: context.source.address, destination: context.destination, kind: bypass.kind,
            serverName: bypass.serverName)
        if let index = bypassIndex[key] {
            observedBypasses[index].flows += 1
            emit?(.bypass(observedBypasses[index], first: false))
            return
        }
        let observed = ObservedBypass(
            file: file, time: context.time, client: context.source, destination: context.destination,
            transport: context.transport, kind: bypass.kind, serverName: bypass.serverName, reason: bypass.reason)
        bypassIndex[key] = observedBypasses.count
        observedBypasses.append(observed)
        emit?(.bypass(observed, first: true))
    }

    mutating func malformed(_ reason: MalformedReason) {
        malformed[reason.rawValue, default: 0] += 1
    }

    private mutating func note(_ verdict: Verdict, _ time: Timestamp, _ client: Endpoint, _ sandbox: SandboxID?) {
        if var existing = flagged[verdict.domain] {
            existing.queries = max(existing.queries, verdict.queries)
            if existing.verdict == .suspiciousName && verdict.kind == .tunnel {
                // A domain first seen as one odd name, then convicted: report the tunnel.
                existing.verdict = .tunnel
                existing.queriesBeforeAlert = verdict.queries
                existing.nameBytesBeforeAlert = verdict.nameBytes
                existing.score = verdict.score
                existing.reasons = verdict.reasons
                existing.explanation = verdict.explanation
            }
            flagged[verdict.domain] = existing
            return
        }
        flaggedOrder.append(verdict.domain)
        flagged[verdict.domain] = FlaggedDomain(
            file: file, domain: verdict.domain, verdict: verdict.kind, queries: verdict.queries,
            queriesBeforeAlert: verdict.queries, nameBytesBeforeAlert: verdict.nameBytes, score: verdict.score,
            reasons: verdict.reasons, explanation: verdict.explanation, firstAlert: time, client: client, sandbox: sandbox)
    }

    private mutating func noteSuspicious(_ event: DNSQueryEvent, _ score: Double) {
        if var existing = suspicious[event.domain] {
            existing.count += 1
            if score > existing.score {
                existing.score = score
                existing.name = event.name.description
            }
            suspicious[event.domain] = existing
        } else if suspicious.count < Self.suspiciousLimit {
            suspicious[event.domain] = SuspiciousName(
                file: file, name: event.name.description, domain: event.domain, score: score, count: 1)
        }
    }

    /// Adds this session's figures to the run's summary.
    func fold(into summary: inout ReplaySummary) {
        summary.packets += packets
        summary.dnsMessages += dnsMessages
        summary.queries += pipeline.queries
        summary.responses += pipeline.responses
        summary.unmatchedResponses += pipeline.unmatchedResponses
        for (reason, count) in malformed { summary.malformedByReason[reason, default: 0] += count }
        for key in flaggedOrder {
            var f = flagged[key]!
            if let totals = pipeline.engine.totals(for: key) { f.queries = max(f.queries, totals.queries) }
            summary.flagged.append(f)
        }
        summary.bypasses += observedBypasses
        summary.suspiciousNames += suspicious.values
            .filter { flagged[$0.domain] == nil }
            .sorted { ($0.score, $0.name) > ($1.score, $1.name) }
        summary.peakTrackedDomains = max(summary.peakTrackedDomains, pipeline.engine.trackedDomains)
    }
}
