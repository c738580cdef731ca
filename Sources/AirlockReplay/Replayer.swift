import AirlockCapture
import AirlockDNSLog
import AirlockEnforcement
import Foundation
import AirlockDNSWire
import AirlockEngine
import AirlockEvents
import AirlockPackets
import AirlockPipeline
import AirlockPolicy

/// What replay reports as it goes, for the table and JSON-lines outputs.
public enum ReplayRecord: Sendable {
    /// Every query's decision (with its verdict, if any).
    case query(file: String, DNSQueryEvent, DNSAssessment)
    /// A verdict reached on a response (NXDOMAIN ratio, downstream payload).
    case responseVerdict(file: String, DNSResponseEvent, Verdict)
    /// A flow around the resolver; `first` for the first flow of its kind (client, destination, name).
    case bypass(ObservedBypass, first: Bool)
    /// With a policy (`--policy`): its decision on a query, or a refused answer (rebinding).
    case policy(file: String, DNSDecisionRecord)
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
    /// Whether `onRecord` wants every query's decision; off (`--summary`), only what the summary needs
    /// is kept and no per-query record is built.
    public var recordEveryDecision = true
    /// Which DNS parser reads messages: the zero-copy Swift reader, or libldns (the reference codec,
    /// ~10× slower; the two agree on every field both report — see AirlockDNSWireTests).
    public var parser: DNSParserChoice = .fast
    /// A policy to apply as the live proxy would (dry run); its sandboxes label the events.
    public var policy: Policy?
    /// Whether to build the Zeek-style `dns.log` (`onDNSLog`): answers are rendered while the
    /// message bytes exist, queries and responses joined per connection and transaction ID.
    public var dnsLog = false
    /// Live input (`airlock watch`) instead of `files`: an interface or dnstap, until stopped.
    public var live: LiveInput?

    public init(files: [String], filter: String? = nil) {
        self.files = files
        self.filter = filter
    }
}

/// How far the reader is in the current file, reported every 2^16 packets.
public struct ReplayProgress: Sendable {
    public var file: String
    /// Packets read from this file so far.
    public var packets: Int
    /// Bytes of the file read (compressed bytes for gzip) and its size, when known (not for a pipe).
    public var bytesRead: Int64?
    public var totalBytes: Int64?

    public init(file: String, packets: Int, bytesRead: Int64? = nil, totalBytes: Int64? = nil) {
        self.file = file
        self.packets = packets
        self.bytesRead = bytesRead
        self.totalBytes = totalBytes
    }

    /// Share of the file read, in [0, 1], when the size is known.
    public var fraction: Double? {
        guard let bytesRead, let totalBytes, totalBytes > 0 else { return nil }
        return min(1, Double(bytesRead) / Double(totalBytes))
    }
}

/// The DNS message parser replay uses.
public enum DNSParserChoice: String, Sendable, CaseIterable {
    case fast
    case ldns
}

/// Runs capture files through the same pipeline the live proxies use.
///
/// Two threads: a reader thread does capture → packets → DNS parsing (``ReplayReader``) and the calling
/// thread runs the pipeline and engine on the parsed messages in capture order (``ReplayAnalyzer``), so
/// verdicts are the same as a single-threaded run and the callbacks run on the caller's thread.
public struct Replayer {
    public let options: ReplayOptions

    public init(options: ReplayOptions) {
        self.options = options
    }

    /// Replays every file; `onRecord` sees each decision as it happens, `onProgress` how far the
    /// reader is in the current file every 2^16 packets, `onDNSLog` each `dns.log` record (with
    /// ``ReplayOptions/dnsLog``) once its transaction is complete or aged out.
    public func run(
        onRecord: (ReplayRecord) -> Void = { _ in },
        onProgress: (ReplayProgress) -> Void = { _ in },
        onDNSLog: (ZeekDNSRecord) -> Void = { _ in }
    ) -> ReplaySummary {
        var summary = ReplaySummary()
        let clock = ContinuousClock()
        let start = clock.now
        let queue = BatchQueue<ReplayItem>(limit: 16)
        let reader = ReplayReader(options: options, queue: queue)
        let thread = Thread { reader.run() }
        thread.stackSize = 8 << 20
        thread.start()
        var analyzer: ReplayAnalyzer?
        while let batch = queue.take() {
            for item in batch {
                switch item {
                case .fileStart(let file):
                    summary.files += 1
                    if analyzer == nil || !options.continuous {
                        analyzer?.finishLog(onDNSLog)
                        analyzer?.fold(into: &summary)
                        analyzer = ReplayAnalyzer(options: options)
                    }
                    analyzer!.file = file
                case .message(let message, let origin, let answers):
                    analyzer!.handle(message, origin, answers, onRecord, onDNSLog)
                case .bypass(let context, let finding):
                    analyzer!.bypass(context, finding, onRecord)
                case .progress(let progress):
                    onProgress(progress)
                case .fileEnd(let counters):
                    summary.packets += counters.packets
                    summary.dnsMessages += counters.dnsMessages
                    for (reason, count) in counters.malformed { summary.malformedByReason[reason, default: 0] += count }
                    if let failure = counters.failure { summary.failures.append((counters.file, failure)) }
                    if case .stopped(let packet, let offset, let reason) = counters.outcome {
                        summary.truncations.append(
                            Truncation(file: counters.file, packet: packet, byteOffset: offset, reason: reason))
                    }
                }
            }
        }
        analyzer?.finishLog(onDNSLog)
        analyzer?.fold(into: &summary)
        let elapsed = clock.now - start
        summary.elapsedSeconds =
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }
}

/// One engine's worth of replay state: the pipeline, and what it found.
struct ReplayAnalyzer {
    var file = ""
    var pipeline: DNSPipeline
    var flagged: [DomainKey: FlaggedDomain] = [:]
    var flaggedOrder: [DomainKey] = []
    /// Whose evidence first flagged each domain (for its final query count).
    var flaggedKeys: [DomainKey: EvidenceKey] = [:]
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
    /// The policy dry run, with `--policy`.
    var policy: PolicyReplay?
    /// The `dns.log` join, with ``ReplayOptions/dnsLog``; `logBuffer` is reused between messages.
    var dnsLog: DNSLogJoiner?
    var logBuffer: [ZeekDNSRecord] = []

    let recordEveryDecision: Bool

    init(options: ReplayOptions) {
        recordEveryDecision = options.recordEveryDecision
        suspiciousScore = options.configuration.suspiciousNameScore
        pipeline = DNSPipeline(
            engine: DetectionEngine(configuration: options.configuration, exemptions: options.exemptions),
            sandboxes: options.policy.map(SandboxDirectory.init(policy:)) ?? options.sandboxes)
        policy = options.policy.map(PolicyReplay.init(policy:))
        if options.dnsLog { dnsLog = DNSLogJoiner() }
    }

    mutating func handle(
        _ message: DNSMessage, _ origin: MessageOrigin, _ answers: [ZeekAnswer]?, _ emit: (ReplayRecord) -> Void,
        _ log: (ZeekDNSRecord) -> Void
    ) {
        let decision = pipeline.handle(message, from: origin)
        if dnsLog != nil { self.log(message, origin, answers, decision, log) }
        switch decision {
        case .query(let event, let assessment):
            if let verdict = assessment.verdict {
                note(verdict, event.time, event.client, event.sandbox, pipeline.engine.evidenceKey(for: event))
            } else if assessment.nameScore >= suspiciousScore && !assessment.exempt {
                noteSuspicious(event, assessment.nameScore)
            }
            if recordEveryDecision || assessment.verdict != nil { emit(.query(file: file, event, assessment)) }
            if let record = policy?.query(event, assessment, file: file), recordEveryDecision || record.isNotable {
                emit(.policy(file: file, record))
            }
        case .response(let event, let verdict):
            if let verdict {
                note(verdict, event.time, event.client, event.sandbox, pipeline.engine.evidenceKey(for: event))
                emit(.responseVerdict(file: file, event, verdict))
            }
            if let record = policy?.response(message, event, verdict, file: file) { emit(.policy(file: file, record)) }
        case .unmatchedResponse, .noQuestion:
            break
        }
    }

    /// Feeds the `dns.log` join and passes on the records it completes.
    private mutating func log(
        _ message: DNSMessage, _ origin: MessageOrigin, _ answers: [ZeekAnswer]?, _ decision: DNSDecision,
        _ log: (ZeekDNSRecord) -> Void
    ) {
        let o = DNSLogJoiner.Origin(
            time: origin.time, source: origin.source, destination: origin.destination, transport: origin.transport)
        switch decision {
        case .query(let event, let assessment):
            dnsLog!.query(message, o, airlock: AirlockDNSFields(event: event, assessment: assessment), into: &logBuffer)
        case .response(_, let verdict):
            dnsLog!.response(message, o, answers: answers ?? [], verdict: verdict, into: &logBuffer)
        case .unmatchedResponse, .noQuestion:
            if message.isResponse {
                dnsLog!.response(message, o, answers: answers ?? [], into: &logBuffer)
            } else {
                dnsLog!.query(message, o, airlock: nil, into: &logBuffer)
            }
        }
        for record in logBuffer { log(record) }
        logBuffer.removeAll(keepingCapacity: true)
    }

    /// Logs the transactions still open (end of a file, or of the run with `--continuous`).
    mutating func finishLog(_ log: (ZeekDNSRecord) -> Void) {
        guard dnsLog != nil else { return }
        dnsLog!.finish(into: &logBuffer)
        for record in logBuffer { log(record) }
        logBuffer.removeAll()
    }

    mutating func bypass(_ context: FlowContext, _ finding: BypassFinding, _ emit: (ReplayRecord) -> Void) {
        let key = BypassKey(
            client: context.source.address, destination: context.destination, kind: finding.kind,
            serverName: finding.serverName)
        if let index = bypassIndex[key] {
            observedBypasses[index].flows += 1
            emit(.bypass(observedBypasses[index], first: false))
            return
        }
        let observed = ObservedBypass(
            file: file, time: context.time, client: context.source, destination: context.destination,
            transport: context.transport, kind: finding.kind, serverName: finding.serverName, reason: finding.reason)
        bypassIndex[key] = observedBypasses.count
        observedBypasses.append(observed)
        emit(.bypass(observed, first: true))
    }

    private mutating func note(
        _ verdict: Verdict, _ time: Timestamp, _ client: Endpoint, _ sandbox: SandboxID?, _ key: EvidenceKey
    ) {
        // A campaign verdict convicts every member: each is reported, with the campaign's figures.
        if verdict.isFirst {
            for member in verdict.members where member != verdict.domain && flagged[member] == nil {
                var moved = verdict
                moved.domain = member
                noteOne(moved, time, client, sandbox, EvidenceKey(domain: member, client: key.client))
            }
        } else if verdict.rule == "dns.tunnel.campaign" && flagged[verdict.domain] == nil {
            // Made-up suffixes sent to one server after the campaign was convicted: one group, reported
            // under the server already.
            return
        }
        noteOne(verdict, time, client, sandbox, key)
    }

    private mutating func noteOne(
        _ verdict: Verdict, _ time: Timestamp, _ client: Endpoint, _ sandbox: SandboxID?, _ key: EvidenceKey
    ) {
        if var existing = flagged[verdict.domain] {
            existing.queries = max(existing.queries, verdict.queries)
            if existing.verdict == .suspiciousName && verdict.kind == .tunnel {
                // A domain first seen as one odd name, then convicted: report the tunnel.
                existing.verdict = .tunnel
                existing.rule = verdict.rule
                existing.campaign = verdict.members.map(\.value)
                existing.campaignSize = verdict.memberCount
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
        flaggedKeys[verdict.domain] = key
        flagged[verdict.domain] = FlaggedDomain(
            file: file, domain: verdict.domain, verdict: verdict.kind, queries: verdict.queries,
            queriesBeforeAlert: verdict.queries, nameBytesBeforeAlert: verdict.nameBytes, score: verdict.score,
            reasons: verdict.reasons, explanation: verdict.explanation, rule: verdict.rule,
            campaign: verdict.members.map(\.value), campaignSize: verdict.memberCount, firstAlert: time, client: client,
            sandbox: sandbox)
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
        summary.queries += pipeline.queries
        summary.responses += pipeline.responses
        summary.unmatchedResponses += pipeline.unmatchedResponses
        for key in flaggedOrder {
            var f = flagged[key]!
            if let evidenceKey = flaggedKeys[key], let totals = pipeline.engine.totals(for: evidenceKey) {
                f.queries = max(f.queries, totals.queries)
            }
            summary.flagged.append(f)
        }
        summary.bypasses += observedBypasses
        summary.suspiciousNames += suspicious.values
            .filter { flagged[$0.domain] == nil }
            .sorted { ($0.score, $0.name) > ($1.score, $1.name) }
        summary.peakTrackedDomains = max(summary.peakTrackedDomains, pipeline.engine.trackedDomains)
        if let policy { summary.policy.append(policy.summary) }
    }
}
