import AirlockDNSWire
import AirlockEngine
import AirlockEvents
import AirlockNames

/// Where a DNS message travelled: the transport facts the parser can't see.
public struct MessageOrigin: Sendable {
    public var time: Timestamp
    public var source: Endpoint
    public var destination: Endpoint
    public var transport: Transport

    public init(time: Timestamp, source: Endpoint, destination: Endpoint, transport: Transport) {
        self.time = time
        self.source = source
        self.destination = destination
        self.transport = transport
    }
}

/// What the pipeline made of one DNS message.
public enum DNSDecision: Sendable {
    /// A query, its event and the engine's assessment.
    case query(DNSQueryEvent, DNSAssessment)
    /// A response paired with its query; a verdict when it tipped its domain over.
    case response(DNSResponseEvent, Verdict?)
    /// A response no pending query matches (capture started mid-stream, spoofed or late answer).
    case unmatchedResponse(DNSMessage)
    /// A message with no question to judge (e.g. an empty query, a NOTIFY, a bare header).
    case noQuestion(DNSMessage)
}

/// Parsed DNS message → event → engine. The one path both the offline replay and the live DNS proxy
/// use, so the same traffic gets the same verdicts wherever it is seen.
public struct DNSPipeline: Sendable {
    public private(set) var engine: DetectionEngine
    private var grouper: GroupingCache
    private let sandboxes: SandboxDirectory
    private var pending: PendingQueries

    public private(set) var queries = 0
    public private(set) var responses = 0
    public private(set) var unmatchedResponses = 0

    public init(
        engine: DetectionEngine = DetectionEngine(), grouper: GroupingCache = GroupingCache(),
        sandboxes: SandboxDirectory = .none
    ) {
        self.engine = engine
        self.grouper = grouper
        self.sandboxes = sandboxes
        self.pending = PendingQueries()
    }

    /// Feeds one parsed message; queries are assessed, responses paired and observed.
    public mutating func handle(_ message: DNSMessage, from origin: MessageOrigin) -> DNSDecision {
        guard let question = message.question else { return .noQuestion(message) }
        if message.isResponse {
            return handleResponse(message, question, origin)
        }
        queries += 1
        let client = origin.source, server = origin.destination
        let domain = grouper.key(for: question.name, server: server)
        let sandbox = sandboxes.sandbox(for: client.address)
        let event = DNSQueryEvent(
            time: origin.time, client: client, server: server, transport: origin.transport, id: message.id,
            name: question.name, qtype: question.type, domain: domain, sandbox: sandbox,
            recursionDesired: message.flags.rd)
        let assessment = engine.inspect(event)
        pending.insert(
            .init(client: client, server: server, id: message.id),
            .init(time: origin.time, name: question.name, qtype: question.type, domain: domain, sandbox: sandbox))
        return .query(event, assessment)
    }

    private mutating func handleResponse(
        _ message: DNSMessage, _ question: DNSQuestion, _ origin: MessageOrigin
    ) -> DNSDecision {
        responses += 1
        let client = origin.destination, server = origin.source
        guard
            let query = pending.take(
                .init(client: client, server: server, id: message.id), name: question.name, qtype: question.type,
                at: origin.time)
        else {
            unmatchedResponses += 1
            return .unmatchedResponse(message)
        }
        let event = DNSResponseEvent(
            time: origin.time, client: client, server: server, transport: origin.transport, id: message.id,
            name: query.name, qtype: query.qtype, domain: query.domain, sandbox: query.sandbox, rcode: message.rcode,
            answerTypes: message.answerTypes, payloadBytes: message.payloadBytes, addresses: message.answerAddresses,
            minTTL: message.minAnswerTTL, truncated: message.flags.tc, recursionDesired: message.flags.rd)
        return .response(event, engine.observe(event))
    }
}
