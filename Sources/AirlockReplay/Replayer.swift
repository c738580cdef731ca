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
    /// Zones never convicted (built-in special-use zones; `--local-zone` and the policy add more).
    public var localZones: LocalZones = .defaults
    public var sandboxes: SandboxDirectory = .none
    public var packetConfiguration = PacketDecoderConfiguration()
    /// Whether `onRecord` wants every query's decision; off (`--summary`, the table), only what the
    /// summary needs is kept and only alerts (a verdict's first time), bypasses and notable policy
    /// decisions are reported: no record is built for each further query a convicted domain gets.
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
/// Two threads: a reader thread does capture → packets → DNS parsing → events (``ReplayReader``: the
/// first half of the pipeline, ``DNSEventBuilder``) and the calling thread runs the engine on the
/// events in capture order (``ReplayAnalyzer``), so verdicts are the same as a single-threaded run
/// and the callbacks run on the caller's thread.
public struct Replayer {
    public let options: ReplayOptions

    /// Runs `body` on the event at `index`, moved out of `events` as a local and moved back after: read
    /// in place, Swift copied it (retaining its name and group) for each call it was passed to while the
    /// analyzer changed; a swap with an empty event moved it three times.
    private static func lend<Event>(_ events: inout [Event], at index: Int32, _ body: (borrowing Event) -> Void) {
        events.withUnsafeMutableBufferPointer { events in
            // Checked in release builds too, as reading the array was (an unsafe move is not).
            precondition(events.indices.contains(Int(index)), "replay item points past its batch")
            let event = events.moveElement(from: Int(index))
            body(event)
            events.initializeElement(at: Int(index), to: event)
        }
    }

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
        let queue = BatchQueue<ReplayBatch>(limit: 16)
        let reader = ReplayReader(options: options, queue: queue)
        let thread = Thread { reader.run() }
        thread.stackSize = 8 << 20
        thread.start()
        // One analyzer per file (one for the run with `--continuous`); `analyzing` says whether a file began.
        var analyzer = ReplayAnalyzer(options: options)
        var analyzing = false
        while var batch = queue.take() {
            // Events are lent out of the batch (``lend(_:at:_:)``), which frees them all when it goes.
            for item in batch.items {
                switch item {
                case .query(let index, let message):
                    if message < 0 {
                        Self.lend(&batch.queries, at: index) { analyzer.query($0, onRecord) }
                    } else {
                        let m = Int(message)
                        analyzer.query(batch.queries[Int(index)], batch.messages[m], batch.origins[m], onRecord, onDNSLog)
                    }
                case .response(let index, let message):
                    if message < 0 {
                        Self.lend(&batch.responses, at: index) { analyzer.response($0, onRecord) }
                    } else {
                        let m = Int(message)
                        analyzer.response(
                            batch.responses[Int(index)], batch.messages[m], batch.origins[m],
                            batch.answers.isEmpty ? nil : batch.answers[m], onRecord, onDNSLog)
                    }
                case .other(let message):
                    let m = Int(message)
                    analyzer.other(
                        batch.messages[m], batch.origins[m], batch.answers.isEmpty ? nil : batch.answers[m], onDNSLog)
                case .note(let index):
                    note(batch.notes[Int(index)], &analyzer, &analyzing, &summary, onRecord, onProgress, onDNSLog)
                }
            }
        }
        if analyzing {
            analyzer.finishLog(onDNSLog)
            analyzer.fold(into: &summary)
        }
        let elapsed = clock.now - start
        summary.elapsedSeconds =
            Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return summary
    }
}

extension Replayer {
    /// What a batch's note means to the engine thread: a file starting or ending, a flow around the
    /// resolver, a progress report.
    private func note(
        _ note: ReplayNote, _ analyzer: inout ReplayAnalyzer, _ analyzing: inout Bool, _ summary: inout ReplaySummary,
        _ onRecord: (ReplayRecord) -> Void, _ onProgress: (ReplayProgress) -> Void,
        _ onDNSLog: (ZeekDNSRecord) -> Void
    ) {
        switch note {
        case .fileStart(let file):
            summary.files += 1
            if analyzing && !options.continuous {
                analyzer.finishLog(onDNSLog)
                analyzer.fold(into: &summary)
                analyzer = ReplayAnalyzer(options: options)
            }
            analyzing = true
            analyzer.file = file
        case .bypass(let context, let finding):
            analyzer.bypass(context, finding, onRecord)
        case .progress(let progress):
            onProgress(progress)
        case .fileEnd(let counters):
            summary.packets += counters.packets
            summary.dnsMessages += counters.dnsMessages
            summary.queries += counters.queries
            summary.responses += counters.responses
            summary.unmatchedResponses += counters.unmatchedResponses
            for (reason, count) in counters.malformed { summary.malformedByReason[reason, default: 0] += count }
            if let failure = counters.failure { summary.failures.append((counters.file, failure)) }
            if case .stopped(let packet, let offset, let reason) = counters.outcome {
                summary.truncations.append(
                    Truncation(file: counters.file, packet: packet, byteOffset: offset, reason: reason))
            }
        }
    }
}

extension FlaggedDomain {
    /// A further verdict on a domain already flagged: its query count, and a tunnel replacing an odd name.
    mutating func merge(_ verdict: Verdict) {
        queries = max(queries, verdict.queries)
        if self.verdict == .suspiciousName && verdict.kind == .tunnel {
            // A domain first seen as one odd name, then convicted: report the tunnel.
            self.verdict = .tunnel
            rule = verdict.rule
            campaign = verdict.members.map(\.value)
            campaignSize = verdict.memberCount
            queriesBeforeAlert = verdict.queries
            nameBytesBeforeAlert = verdict.nameBytes
            score = verdict.score
            reasons = verdict.reasons
            explanation = verdict.explanation
        }
    }
}

/// One engine's worth of replay state: the engine (the second half of the pipeline; the reader
/// thread made the events), and what it found.
struct ReplayAnalyzer {
    var file = ""
    var engine: DetectionEngine
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
        engine = DetectionEngine(
            configuration: Self.engineConfiguration(options.configuration), exemptions: options.exemptions,
            localZones: options.localZones)
        policy = options.policy.map(PolicyReplay.init(policy:))
        if options.dnsLog { dnsLog = DNSLogJoiner() }
    }

    /// Feature cache slots replay uses unless the configuration sets its own: a capture is read as fast as
    /// it can be, and its distinct names between two asks of one name outnumber a live proxy's default
    /// cache (4,096 slots): a miss extracts the name again. 65,536 slots (≈ 13 MB) keep a busy
    /// capture's working set. The cache changes what a query costs, never its verdict.
    static let featureCacheSlots: Double = 65_536

    static func engineConfiguration(_ configuration: DetectionConfiguration) -> DetectionConfiguration {
        var configuration = configuration
        if configuration.featureCacheSlots == DetectionConfiguration.default.featureCacheSlots {
            configuration.featureCacheSlots = featureCacheSlots
        }
        return configuration
    }

    /// A query: the engine's assessment, what it flags, and (with `--policy`) the policy's decision.
    mutating func query(_ event: borrowing DNSQueryEvent, _ emit: (ReplayRecord) -> Void) {
        let assessment = engine.inspect(event)
        judged(event, assessment, emit)
    }

    /// The same, for a query whose message travelled with it (`--dns-log`, `--policy`).
    mutating func query(
        _ event: DNSQueryEvent, _ message: DNSMessage, _ origin: MessageOrigin, _ emit: (ReplayRecord) -> Void,
        _ log: (ZeekDNSRecord) -> Void
    ) {
        let assessment = engine.inspect(event)
        if dnsLog != nil {
            dnsLog!.query(
                message, logOrigin(origin), airlock: AirlockDNSFields(event: event, assessment: assessment),
                into: &logBuffer)
            flushLog(log)
        }
        judged(event, assessment, emit)
    }

    private mutating func judged(_ event: DNSQueryEvent, _ assessment: DNSAssessment, _ emit: (ReplayRecord) -> Void) {
        if let verdict = assessment.verdict {
            note(verdict, event.time, event.client, event.sandbox, engine.evidenceKey(for: event))
        } else if assessment.nameScore >= suspiciousScore && !assessment.exempt {
            noteSuspicious(event, assessment.nameScore)
        }
        if recordEveryDecision || assessment.verdict?.isFirst == true { emit(.query(file: file, event, assessment)) }
        if let record = policy?.query(event, assessment, file: file), recordEveryDecision || record.isNotable {
            emit(.policy(file: file, record))
        }
    }

    /// A response paired with its query: folded into its domain's evidence.
    mutating func response(_ event: borrowing DNSResponseEvent, _ emit: (ReplayRecord) -> Void) {
        if let verdict = engine.observe(event) { responseVerdict(event, verdict, emit) }
    }

    /// The same, for a response whose message travelled with it (`--dns-log`, `--policy`).
    mutating func response(
        _ event: DNSResponseEvent, _ message: DNSMessage, _ origin: MessageOrigin, _ answers: [ZeekAnswer]?,
        _ emit: (ReplayRecord) -> Void, _ log: (ZeekDNSRecord) -> Void
    ) {
        let verdict = engine.observe(event)
        if dnsLog != nil {
            dnsLog!.response(message, logOrigin(origin), answers: answers ?? [], verdict: verdict, into: &logBuffer)
            flushLog(log)
        }
        if let verdict { responseVerdict(event, verdict, emit) }
        if let record = policy?.response(message, event, verdict, file: file) { emit(.policy(file: file, record)) }
    }

    private mutating func responseVerdict(_ event: DNSResponseEvent, _ verdict: Verdict, _ emit: (ReplayRecord) -> Void) {
        note(verdict, event.time, event.client, event.sandbox, engine.evidenceKey(for: event))
        emit(.responseVerdict(file: file, event, verdict))
    }

    /// A message that made no event (an unmatched response, no question): only `dns.log` shows it.
    mutating func other(
        _ message: DNSMessage, _ origin: MessageOrigin, _ answers: [ZeekAnswer]?, _ log: (ZeekDNSRecord) -> Void
    ) {
        guard dnsLog != nil else { return }
        if message.isResponse {
            dnsLog!.response(message, logOrigin(origin), answers: answers ?? [], into: &logBuffer)
        } else {
            dnsLog!.query(message, logOrigin(origin), airlock: nil, into: &logBuffer)
        }
        flushLog(log)
    }

    private func logOrigin(_ origin: MessageOrigin) -> DNSLogJoiner.Origin {
        DNSLogJoiner.Origin(
            time: origin.time, source: origin.source, destination: origin.destination, transport: origin.transport)
    }

    /// Passes on the `dns.log` records the join completed.
    private mutating func flushLog(_ log: (ZeekDNSRecord) -> Void) {
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
        if let index = flagged.index(forKey: verdict.domain) {
            // In place, through one mutating call: a convicted domain's every further query carries its
            // verdict (reading `flagged.values[index].x` copied the whole entry out first).
            flagged.values[index].merge(verdict)
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
        for key in flaggedOrder {
            var f = flagged[key]!
            if let evidenceKey = flaggedKeys[key], let totals = engine.totals(for: evidenceKey) {
                f.queries = max(f.queries, totals.queries)
            }
            summary.flagged.append(f)
        }
        summary.bypasses += observedBypasses
        summary.suspiciousNames += suspicious.values
            .filter { flagged[$0.domain] == nil }
            .sorted { ($0.score, $0.name) > ($1.score, $1.name) }
        summary.peakTrackedDomains = max(summary.peakTrackedDomains, engine.trackedDomains)
        if let policy { summary.policy.append(policy.summary) }
    }
}
