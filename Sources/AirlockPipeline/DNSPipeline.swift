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
/// use, so the same traffic gets the same verdicts wherever it is seen: ``DNSEventBuilder`` makes the
/// event, the ``DetectionEngine`` judges it.
public struct DNSPipeline: Sendable {
    public private(set) var engine: DetectionEngine
    private var builder: DNSEventBuilder

    public var queries: Int { builder.queries }
    public var responses: Int { builder.responses }
    public var unmatchedResponses: Int { builder.unmatchedResponses }

    public init(
        engine: DetectionEngine = DetectionEngine(), grouper: GroupingCache = GroupingCache(),
        sandboxes: SandboxDirectory = .none
    ) {
        self.engine = engine
        self.builder = DNSEventBuilder(grouper: grouper, sandboxes: sandboxes)
    }

    /// Feeds one parsed message; queries are assessed, responses paired and observed.
    public mutating func handle(_ message: DNSMessage, from origin: MessageOrigin) -> DNSDecision {
        switch builder.event(for: message, from: origin) {
        case .query(let event): return .query(event, engine.inspect(event))
        case .response(let event): return .response(event, engine.observe(event))
        case .unmatchedResponse: return .unmatchedResponse(message)
        case .noQuestion: return .noQuestion(message)
        }
    }

    /// ``handle(_:from:)`` for a message the caller knows to be a query with one question (the live
    /// proxy checks both before): the event, then the engine's assessment of it (``inspect(_:)``).
    /// Returned as they are made rather than through ``DNSDecision``: the proxy judges every query,
    /// and building the enum and taking it apart again copied the event and assessment whole
    /// (~500 bytes) three times a query.
    public mutating func queryEvent(_ message: DNSMessage, _ question: DNSQuestion, from origin: MessageOrigin)
        -> DNSQueryEvent
    {
        builder.queryEvent(message, question, origin)
    }

    /// The engine's assessment of a query event from ``queryEvent(_:_:from:)``.
    public mutating func inspect(_ event: borrowing DNSQueryEvent) -> DNSAssessment { engine.inspect(event) }

    /// ``handle(_:from:)`` for a message the caller knows to be a response with one question, as
    /// ``queryEvent(_:_:from:)`` is for a query: its event, nil when no pending query matches it.
    public mutating func responseEvent(_ message: DNSMessage, _ question: DNSQuestion, from origin: MessageOrigin)
        -> DNSResponseEvent?
    {
        guard let query = builder.pairedQuery(message, question, origin) else { return nil }
        return builder.responseEvent(message, query, origin)
    }

    /// The engine's reading of a response event from ``responseEvent(_:_:from:)``.
    public mutating func observe(_ event: borrowing DNSResponseEvent) -> Verdict? { engine.observe(event) }
}
